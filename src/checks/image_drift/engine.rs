//! Observed state from the Docker Engine API: two calls whatever the number of modules (list
//! containers, list images with digests), each under its own timeout (bollard's own timeout does
//! not cover response bodies). Both are GETs: nothing here changes the engine's state.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::{ListContainersOptions, ListImagesOptions};

use crate::error::Error;

pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    /// Names without the leading `/`.
    pub names: Vec<String>,
    /// The image as configured (`docker ps` IMAGE): a name, or the image ID when the name no
    /// longer points at the image the container runs.
    pub image: String,
    pub image_id: String,
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

/// Connects as the docker CLI would: `unix://`, `tcp://` (TLS with `DOCKER_TLS_VERIFY` and
/// certificates from `DOCKER_CERT_PATH`), `https://`, `ssh://` (runs the local `ssh`).
pub fn connect(host: &str) -> Result<Docker, Error> {
    if let Some(rest) = host.strip_prefix("ssh://") {
        let authority = rest.split('/').next().unwrap_or(rest);
        let hostport = authority.rsplit('@').next().unwrap_or(authority);
        if hostport
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            return Err(Error::Usage(format!(
                "{host}: the ssh transport cannot take a port in the URL (it would connect to port 22); \
                 give the host a `Host` entry with `Port` in ~/.ssh/config and use ssh://user@that-alias"
            )));
        }
    }
    // One crypto provider for the process (ring), shared with the HTTP client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Docker::connect_with_host(host).map_err(|e| classify(host, "connect", &e))
}

pub async fn observe(docker: &Docker, host: &str, timeout: Duration) -> Result<Observed, Error> {
    let mut o = Observed::default();
    let containers = bounded(
        host,
        "GET /containers/json?all=true",
        timeout,
        docker.list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        })),
    )
    .await;
    o.calls += 1;
    let containers = containers?;
    let images = bounded(
        host,
        "GET /images/json?digests=true",
        timeout,
        docker.list_images(Some(ListImagesOptions {
            all: true,
            digests: true,
            ..Default::default()
        })),
    )
    .await;
    o.calls += 1;
    let images = images?;
    o.containers = containers
        .into_iter()
        .map(|c| Container {
            id: c.id.unwrap_or_default(),
            names: c
                .names
                .unwrap_or_default()
                .into_iter()
                .map(|n| n.trim_start_matches('/').to_string())
                .collect(),
            image: c.image.unwrap_or_default(),
            image_id: c.image_id.unwrap_or_default(),
            labels: c.labels.unwrap_or_default(),
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        })
        .collect();
    o.images = images
        .into_iter()
        .map(|i| Image {
            id: i.id,
            repo_tags: i.repo_tags,
            repo_digests: i.repo_digests,
        })
        .collect();
    Ok(o)
}

async fn bounded<T>(
    host: &str,
    what: &str,
    timeout: Duration,
    call: impl std::future::Future<Output = Result<T, bollard::errors::Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(timeout, call).await {
        Ok(r) => r.map_err(|e| classify(host, what, &e)),
        Err(_) => Err(Error::Unreachable(format!(
            "{host}: {what} gave no complete answer within {}s",
            timeout.as_secs()
        ))),
    }
}

/// The engine's errors as driftgate's: refused credentials (HTTP 401/403, a TLS certificate
/// refusal) are auth; everything else means the engine could not be read.
fn classify(host: &str, what: &str, e: &bollard::errors::Error) -> Error {
    use bollard::errors::Error as B;
    let detail = crate::forge::http::chain(e);
    match e {
        B::DockerResponseServerError {
            status_code: 401 | 403,
            ..
        } => Error::Auth(format!(
            "{host}: {what}: the engine refused the credentials ({detail})"
        )),
        _ if detail.to_lowercase().contains("certificate") => Error::Auth(format!(
            "{host}: {what}: TLS refused ({detail}); check DOCKER_CERT_PATH"
        )),
        _ => Error::Unreachable(format!(
            "{host}: {what}: the engine cannot be read ({detail})"
        )),
    }
}
