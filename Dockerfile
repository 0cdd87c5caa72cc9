# driftgate's container action image: one static binary and a CA bundle on `scratch`.
#
# Two ways to build the same final layout (/driftgate, /etc/ssl/certs/ca-certificates.crt):
#   docker build .                 from source (the default, last stage; needs network)
#   docker build --target local .  from a static binary built outside, placed in dist/ as
#                                  dist/driftgate and dist/etc/ssl/certs/ca-certificates.crt
#                                  (for machines that cannot pull a base image)
# The legacy builder (what act_runner uses) builds every stage before its target, so the `local`
# stage comes first and stays valid without dist/: `Dockerfile` is always there, `dis[t]` may match
# nothing.

FROM scratch AS local
COPY Dockerfile dis[t] /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 0:0
ENTRYPOINT ["/driftgate"]

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin driftgate \
 && mkdir -p /out/etc/ssl/certs \
 && cp target/x86_64-unknown-linux-musl/release/driftgate /out/driftgate \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt

FROM scratch
COPY --from=build /out/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# Container actions run as root: the workspace and /var/run/act belong to the runner's user 0.
USER 0:0
ENTRYPOINT ["/driftgate"]
