//! Observed state from the Docker Engine API: two calls whatever the number of modules,
//! `GET /containers/json?all=true` and `GET /images/json?all=true&digests=true`, both reads.
//! Nothing here can change the engine's state: these two paths are the only requests ever built.
//!
//! driftgate's own small client on the one HTTP stack (reqwest, rustls with ring): a Unix
//! socket, HTTP or verified HTTPS over TCP, or ssh through a private relay socket
//! ([`ssh::Relay`]). Each call is bounded by the timeout for the whole answer, headers and body;
//! a body is read in chunks up to [`MAX_BODY_BYTES`] and refused past it; it is parsed into the
//! few fields the comparison needs. Unversioned paths: the engine serves its own API version.

pub mod host;
pub mod ssh;

use std::collections::HashMap;
use std::time::Duration;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, de::DeserializeOwned};

use crate::error::Error;
use crate::forge::http::{Capped, chain, read_capped};
use host::Transport;

pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The largest engine answer read. The engine lists every container or image in one answer
/// (no paging). A container entry is about 1–4 KiB (labels, mounts, networks), an image entry
/// under 1 KiB, so 64 MiB is over 15,000 containers, far past any single engine, while the
/// memory a hostile engine can make driftgate use stays bounded (the body, plus the few fields
/// kept from it).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// An error answer is read only for its message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The only labels kept from a container: how compose names its project and service, and
/// which files the project was started from.
const KEPT_LABELS: [&str; 3] = [
    "com.docker.compose.project",
    "com.docker.compose.service",
    "com.docker.compose.project.config_files",
];
/// A kept label longer than this is cut (a hostile engine's label is not a path list).
const MAX_LABEL: usize = 4096;

const CONTAINERS: &str = "/containers/json?all=true";
const IMAGES: &str = "/images/json?all=true&digests=true";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    /// Names without the leading `/`.
    pub names: Vec<String>,
    /// The image as configured (`docker ps` IMAGE): a name, or the image ID when the name no
    /// longer points at the image the container runs.
    pub image: String,
    pub image_id: String,
    /// Only the compose project and service labels.
    pub labels: HashMap<String, String>,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub containers: Vec<Container>,
    pub images: Vec<Image>,
    /// Engine API calls made.
    pub calls: usize,
}

/// A connected engine: the client, where it points, and the ssh relay when there is one.
pub struct Engine {
    // Declared before `relay`: the client's pooled connections close before the relay's ssh
    // children are killed.
    client: reqwest::Client,
    /// `http(s)://authority[/path]` the call paths are appended to.
    base: String,
    /// The host as given (a password in it redacted), for messages.
    host: String,
    timeout: Duration,
    relay: Option<ssh::Relay>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Prepares the client as the docker CLI would connect: `unix://`, `tcp://` (TLS with
/// `DOCKER_TLS_VERIFY` and certificates from `DOCKER_CERT_PATH`), `https://`, `ssh://` (runs
/// the local `ssh`). Nothing is sent yet. A host that names no engine, or certificate files
/// that cannot be read, are usage errors.
pub fn connect(host: &str, timeout: Duration) -> Result<Engine, Error> {
    let transport = host::parse(host, &env)?;
    // One crypto provider for the process (ring), shared with the forge client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
        // The engine never redirects; an answer that does is not followed anywhere.
        .redirect(reqwest::redirect::Policy::none());
    let mut relay = None;
    let base = match &transport {
        Transport::Unix(path) => {
            b = b.unix_socket(path.as_path());
            "http://localhost".to_string()
        }
        Transport::Ssh(target) => {
            let r = ssh::Relay::start(target, timeout)?;
            b = b.unix_socket(r.socket());
            relay = Some(r);
            "http://localhost".to_string()
        }
        Transport::Tcp { base, tls } => {
            if let Some(tls) = tls {
                b = with_tls(b, tls)?;
            }
            base.clone()
        }
    };
    if !matches!(transport, Transport::Tcp { tls: Some(_), .. }) {
        // No TLS on this transport: an empty root store (which trusts nothing) rather than the
        // system's, which the platform verifier would read file by file when the client is built.
        b = b.tls_certs_only(Vec::new());
    }
    let client = b.build().map_err(|e| {
        Error::Unreachable(format!(
            "{}: cannot set up the engine client: {}",
            host::redact(host),
            chain(&e)
        ))
    })?;
    Ok(Engine {
        client,
        base,
        host: host::redact(host),
        timeout,
        relay,
    })
}

/// Verified TLS: `ca.pem` as the only roots when present (else the system's), and the client
/// certificate `cert.pem` + `key.pem` when present, from the certificate folder.
fn with_tls(
    mut b: reqwest::ClientBuilder,
    tls: &host::Tls,
) -> Result<reqwest::ClientBuilder, Error> {
    b = b.https_only(true);
    let Some(dir) = &tls.cert_dir else {
        return Ok(b);
    };
    let read = |name: &str| {
        let p = dir.join(name);
        match std::fs::read(&p) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Usage(format!(
                "cannot read {} (DOCKER_CERT_PATH): {e}",
                p.display()
            ))),
        }
    };
    let bad = |name: &str, why: String| {
        Error::Usage(format!(
            "{} (DOCKER_CERT_PATH): {why}",
            dir.join(name).display()
        ))
    };
    if let Some(pem) = read("ca.pem")? {
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| bad("ca.pem", format!("not a PEM certificate ({})", chain(&e))))?;
        if certs.is_empty() {
            return Err(bad("ca.pem", "holds no PEM certificate".into()));
        }
        b = b.tls_certs_only(certs);
    }
    match (read("cert.pem")?, read("key.pem")?) {
        (Some(mut cert), Some(key)) => {
            cert.push(b'\n');
            cert.extend_from_slice(&key);
            let id = reqwest::Identity::from_pem(&cert).map_err(|e| {
                bad(
                    "cert.pem",
                    format!(
                        "with key.pem, not a client certificate and key ({})",
                        chain(&e)
                    ),
                )
            })?;
            b = b.identity(id);
        }
        (None, None) => {}
        (Some(_), None) => return Err(bad("key.pem", "missing beside cert.pem".into())),
        (None, Some(_)) => return Err(bad("cert.pem", "missing beside key.pem".into())),
    }
    Ok(b)
}

impl Engine {
    /// Lists containers (all of them, running or not) and images (with their digests).
    pub async fn observe(&self) -> Result<Observed, Error> {
        let containers: Vec<WireContainer> = self.get(CONTAINERS).await?;
        let images: Vec<WireImage> = self.get(IMAGES).await?;
        let containers = containers
            .into_iter()
            .map(|c| Container {
                id: c.id,
                names: c
                    .names
                    .into_iter()
                    .map(|mut n| {
                        if n.starts_with('/') {
                            n.remove(0);
                        }
                        n
                    })
                    .collect(),
                image: c.image,
                image_id: c.image_id,
                labels: c.labels.0,
                state: c.state,
            })
            .collect();
        let images = images
            .into_iter()
            .map(|i| Image {
                id: i.id,
                repo_tags: i.repo_tags,
                repo_digests: i.repo_digests,
            })
            .collect();
        Ok(Observed {
            containers,
            images,
            calls: 2,
        })
    }

    /// One GET, bounded by the timeout for the whole answer, parsed as `T`.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let what = format!("GET {path}");
        match tokio::time::timeout(self.timeout, self.get_inner(path, &what)).await {
            Ok(r) => r,
            Err(_) => Err(self.annotate(
                &what,
                format!(
                    "gave no complete answer within {}s",
                    self.timeout.as_secs_f64()
                ),
            )),
        }
    }

    async fn get_inner<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T, Error> {
        let host = &self.host;
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.transport(what, &url, &e))?;
        let status = resp.status();
        if !status.is_success() {
            let body = match read_capped(&mut resp, MAX_ERROR_BODY_BYTES).await {
                Ok(Capped::Whole(b)) => b,
                _ => Vec::new(),
            };
            let code = status.as_u16();
            let said = engine_message(&body);
            return Err(match code {
                401 | 403 => Error::Auth(format!(
                    "{host}: {what}: HTTP {code}, the engine refused the credentials{said}"
                )),
                _ => Error::Unreachable(format!("{host}: {what}: HTTP {code}{said}")),
            });
        }
        let body = match read_capped(&mut resp, MAX_BODY_BYTES).await {
            Ok(Capped::Whole(b)) => b,
            Ok(Capped::TooLarge) => {
                return Err(Error::Unreachable(format!(
                    "{host}: {what}: the answer is larger than the {} MiB limit on engine answers",
                    MAX_BODY_BYTES / (1024 * 1024)
                )));
            }
            Err(e) => return Err(self.transport(what, &url, &e)),
        };
        serde_json::from_slice::<T>(&body).map_err(|e| {
            let kind = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no content type");
            Error::Unreachable(format!(
                "{host}: {what}: HTTP {} with a body that is not the JSON expected ({}: {e}): {}",
                status.as_u16(),
                excerpt(kind.as_bytes(), 60),
                excerpt(&body, 120)
            ))
        })
    }

    /// A transport error: a TLS certificate refusal is auth, anything else unreachable.
    fn transport(&self, what: &str, url: &str, e: &reqwest::Error) -> Error {
        // The message already names the host and the call; the URL (`http://localhost` for a
        // socket) would only confuse.
        let detail = chain(e).replace(&format!(" for url ({url})"), "");
        if e.is_timeout() {
            return self.annotate(
                what,
                format!(
                    "gave no complete answer within {}s ({detail})",
                    self.timeout.as_secs_f64()
                ),
            );
        }
        if detail.to_lowercase().contains("certificate") {
            return Error::Auth(format!(
                "{}: {what}: TLS refused ({detail}); check the certificates in DOCKER_CERT_PATH",
                self.host
            ));
        }
        let how = if e.is_connect() {
            "cannot connect"
        } else {
            "the engine cannot be read"
        };
        self.annotate(what, format!("{how} ({detail})"))
    }

    /// An unreachable-engine error, with what ssh said when the engine is behind ssh: a login
    /// or host key refusal there is auth.
    fn annotate(&self, what: &str, msg: String) -> Error {
        let host = &self.host;
        let Some(said) = self.relay.as_ref().and_then(ssh::Relay::diagnostics) else {
            return Error::Unreachable(format!("{host}: {what}: {msg}"));
        };
        let said = excerpt(said.as_bytes(), 300);
        let lower = said.to_lowercase();
        if [
            "permission denied",
            "host key verification failed",
            "remote host identification has changed",
        ]
        .iter()
        .any(|p| lower.contains(p))
        {
            Error::Auth(format!(
                "{host}: {what}: ssh was refused: {said} (check the key, agent and known_hosts)"
            ))
        } else {
            Error::Unreachable(format!("{host}: {what}: {msg}; ssh said: {said}"))
        }
    }
}

/// `: <message>` from an engine error body (`{"message": ...}`), else a short excerpt.
fn engine_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct E {
        message: String,
    }
    let m = match serde_json::from_slice::<E>(body) {
        Ok(e) => excerpt(e.message.as_bytes(), 200),
        Err(_) => excerpt(body, 200),
    };
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

/// A short single-line excerpt of remote text for messages.
fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > max {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    } else {
        one_line
    }
}

// ------------------------------------------------------------------------------------------
// The engine's JSON, only the fields the comparison needs; `null` lists and maps are empty.

#[derive(Deserialize)]
struct WireContainer {
    #[serde(rename = "Id", default, deserialize_with = "nullable")]
    id: String,
    #[serde(rename = "Names", default, deserialize_with = "nullable")]
    names: Vec<String>,
    #[serde(rename = "Image", default, deserialize_with = "nullable")]
    image: String,
    #[serde(rename = "ImageID", default, deserialize_with = "nullable")]
    image_id: String,
    #[serde(rename = "Labels", default)]
    labels: KeptLabels,
    #[serde(rename = "State", default, deserialize_with = "nullable")]
    state: String,
}

#[derive(Deserialize)]
struct WireImage {
    #[serde(rename = "Id", default, deserialize_with = "nullable")]
    id: String,
    #[serde(rename = "RepoTags", default, deserialize_with = "nullable")]
    repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests", default, deserialize_with = "nullable")]
    repo_digests: Vec<String>,
}

fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A container's labels, keeping only [`KEPT_LABELS`]: the others are skipped while parsing,
/// so labels cost no memory however many a container has.
#[derive(Default)]
struct KeptLabels(HashMap<String, String>);

impl<'de> Deserialize<'de> for KeptLabels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeptLabels;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of labels or null")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<KeptLabels, E> {
                Ok(KeptLabels::default())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<KeptLabels, E> {
                Ok(KeptLabels::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<KeptLabels, D::Error> {
                d.deserialize_map(V)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<KeptLabels, M::Error> {
                let mut kept = HashMap::new();
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if KEPT_LABELS.contains(&k.as_ref()) {
                        let mut v = m.next_value::<String>()?;
                        v.truncate(crate::secrets::safe_cut(&v, MAX_LABEL));
                        kept.insert(k.into_owned(), v);
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(KeptLabels(kept))
            }
        }
        d.deserialize_option(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_needed_fields_are_kept_and_null_lists_are_empty() {
        let body = br#"[
          {"Id":"c1","Names":["/web-1","/other/alias"],"Image":"redis","ImageID":"sha256:aa",
           "Labels":{"com.docker.compose.project":"p","com.docker.compose.service":"web",
                     "org.example.big":"x","nested":{"ignored":[1,2]}},
           "State":"running","Status":"Up 2 hours","Ports":[],"Mounts":null},
          {"Id":"c2","Names":null,"Image":"x","ImageID":"sha256:bb","Labels":null,"State":"exited"},
          {"Id":"c3"}
        ]"#;
        let cs: Vec<WireContainer> = serde_json::from_slice(body).expect("containers");
        assert_eq!(cs.len(), 3);
        assert_eq!(cs[0].names, ["/web-1", "/other/alias"]);
        assert_eq!(cs[0].labels.0.len(), 2, "only the compose labels are kept");
        assert_eq!(cs[0].labels.0["com.docker.compose.service"], "web");
        assert!(cs[1].names.is_empty() && cs[1].labels.0.is_empty());
        assert_eq!((cs[2].state.as_str(), cs[2].image.as_str()), ("", ""));

        let body = br#"[{"Id":"sha256:aa","RepoTags":null,"RepoDigests":null,"Size":1},
                        {"Id":"sha256:bb","RepoTags":["redis:7"],"RepoDigests":["redis@sha256:cc"]}]"#;
        let is: Vec<WireImage> = serde_json::from_slice(body).expect("images");
        assert!(is[0].repo_tags.is_empty() && is[0].repo_digests.is_empty());
        assert_eq!(is[1].repo_digests, ["redis@sha256:cc"]);
    }

    #[test]
    fn a_body_of_the_wrong_shape_does_not_parse() {
        for body in [
            &b"{}"[..],
            b"null",
            b"<html>",
            b"[{\"Id\":1}]",
            b"[{\"Labels\":[]}]",
        ] {
            assert!(
                serde_json::from_slice::<Vec<WireContainer>>(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn engine_messages_are_short_single_lines() {
        assert_eq!(
            engine_message(br#"{"message":"denied\nby policy"}"#),
            ": denied by policy"
        );
        assert_eq!(engine_message(b""), "");
        let long = "x".repeat(1000);
        assert_eq!(engine_message(long.as_bytes()).chars().count(), 2 + 200 + 1);
    }
}
