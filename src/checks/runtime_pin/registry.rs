//! The registry source: resolve `REGISTRY/REPO:TAG` through the OCI distribution API (HEAD, or
//! GET when HEAD is refused or carries no digest), anonymously, with basic credentials, or with
//! the `WWW-Authenticate: Bearer` token flow, and say whether the tag names an index or a single
//! manifest.

use crate::reference::Reference;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use serde_json::Value;

use crate::error::Error;
use crate::forge::http::{Auth, Http, Raw, Request};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Registry credentials from the environment.
pub const USERNAME_ENV: &str = "DRIFTGATE_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "DRIFTGATE_REGISTRY_PASSWORD";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// The credentials for `registry`: `DRIFTGATE_REGISTRY_USERNAME`/`_PASSWORD`, else what
/// `docker login` left in the docker config (see `docker_config`), else none (anonymous).
/// A docker config that cannot be read is a usage error: it was there to be used.
pub fn credentials_for(registry: &str) -> Result<Option<Credentials>, Error> {
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    if let Some(p) = get(PASSWORD_ENV) {
        crate::secrets::register(&p);
    }
    if let (Some(username), Some(password)) = (get(USERNAME_ENV), get(PASSWORD_ENV)) {
        return Ok(Some(Credentials { username, password }));
    }
    super::docker_config::credentials(&|k| get(k), registry).map_err(Error::Usage)
}

/// `--image`: a tag reference; a digest reference would make the check trivially true.
pub fn parse_image(s: &str) -> Result<Reference, Error> {
    let r = Reference::parse(s)
        .map_err(|e| Error::Usage(format!("--image {s:?} is not an image reference: {e}")))?;
    if r.digest().is_some() {
        return Err(Error::Usage(format!(
            "--image {s:?} names a digest; give the tag whose pin should have moved"
        )));
    }
    Ok(r.or_latest())
}

/// One platform entry of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub digest: String,
    pub platform: String,
}

/// What the tag resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub digest: String,
    pub media_type: String,
    pub is_index: bool,
    /// For an index: its platform manifests (read only when needed).
    pub platforms: Vec<Platform>,
}

/// What the tag names, or that it names nothing (404: the pin is missing).
pub enum Lookup {
    Found(Resolved),
    Missing(String),
}

pub struct Registry<'a> {
    http: &'a Http,
    creds: Option<Credentials>,
    base: String,
    repository: String,
    tag: String,
    /// The Authorization that worked, reused for the index body.
    auth: Option<AuthValue>,
}

#[derive(Debug, Clone)]
enum AuthValue {
    Basic(String, String),
    Bearer(String),
}

const HINT: &str = "Set DRIFTGATE_REGISTRY_USERNAME and DRIFTGATE_REGISTRY_PASSWORD to credentials that may pull the repository.";

impl<'a> Registry<'a> {
    pub fn new(http: &'a Http, reference: &Reference, creds: Option<Credentials>) -> Self {
        let host = reference.api_host().to_string();
        // Plain HTTP only for a registry on this machine, as docker treats localhost.
        let hostname = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        let scheme = if matches!(hostname, "localhost" | "127.0.0.1" | "[::1]") {
            "http"
        } else {
            "https"
        };
        if let Some(c) = &creds {
            http.add_secret(&c.password);
            // What a server could echo of the Authorization header is a secret too.
            use base64::Engine;
            http.add_secret(
                &base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", c.username, c.password)),
            );
        }
        Registry {
            http,
            creds,
            base: format!("{scheme}://{host}/v2"),
            repository: reference.repository().to_string(),
            tag: reference.tag().unwrap_or("latest").to_string(),
            auth: None,
        }
    }

    fn manifest_url(&self, reference: &str) -> String {
        format!("{}/{}/manifests/{reference}", self.base, self.repository)
    }

    /// Resolves the tag to a digest.
    pub async fn resolve(&mut self) -> Result<Lookup, Error> {
        let url = self.manifest_url(&self.tag.clone());
        let accept = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");
        let what = format!("HEAD {url}");
        let mut raw = self.send(Method::HEAD, &url, &what, &accept).await?;
        let digest_header = |r: &Raw| {
            r.headers
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let head_useless = matches!(raw.status.as_u16(), 400 | 405 | 501)
            || (raw.status.is_success() && digest_header(&raw).is_none());
        let mut body = None;
        if head_useless {
            let what = format!("GET {url}");
            raw = self.send(Method::GET, &url, &what, &accept).await?;
            body = Some(raw.body.clone());
        }
        if raw.status.as_u16() == 404 {
            return Ok(Lookup::Missing(format!(
                "{url}: HTTP 404, the tag {} does not exist in {}",
                self.tag, self.repository
            )));
        }
        if !raw.status.is_success() {
            return Err(self.http.error_for(&raw, &url, HINT));
        }
        let media_type = media_type(&raw.headers);
        let digest = match (digest_header(&raw), &body) {
            // A body was read: its SHA-256 is the truth, and a header that disagrees with it
            // means the answer cannot be trusted at all.
            (Some(d), Some(b)) if d != sha256(b) => {
                return Err(Error::Unreachable(format!(
                    "GET {url}: the registry's Docker-Content-Digest {d} is not the SHA-256 of the manifest it sent ({})",
                    sha256(b)
                )));
            }
            (_, Some(b)) => sha256(b),
            (Some(d), None) if super::digest::is_digest(&d) => d,
            (Some(d), None) => {
                return Err(Error::Unreachable(format!(
                    "HEAD {url}: the registry's Docker-Content-Digest {d:?} is not a sha256 digest"
                )));
            }
            (None, None) => {
                return Err(Error::Unreachable(format!(
                    "{url}: the registry sent no Docker-Content-Digest"
                )));
            }
        };
        let is_index = media_type == OCI_INDEX || media_type == DOCKER_LIST;
        Ok(Lookup::Found(Resolved {
            digest,
            media_type,
            is_index,
            platforms: Vec::new(),
        }))
    }

    /// The platform manifests of an index, by digest (the body must hash to it).
    pub async fn platforms(&mut self, index_digest: &str) -> Result<Vec<Platform>, Error> {
        let url = self.manifest_url(index_digest);
        let what = format!("GET {url}");
        let raw = self
            .send(
                Method::GET,
                &url,
                &what,
                &[OCI_INDEX, DOCKER_LIST].join(", "),
            )
            .await?;
        if !raw.status.is_success() {
            return Err(self.http.error_for(&raw, &what, HINT));
        }
        if sha256(&raw.body) != index_digest {
            return Err(Error::Unreachable(format!(
                "{what}: the body does not hash to {index_digest}"
            )));
        }
        let v: Value = serde_json::from_slice(&raw.body)
            .map_err(|e| Error::Unreachable(format!("{what}: not a JSON index ({e})")))?;
        let list = v
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::Unreachable(format!("{what}: the index has no manifests")))?;
        Ok(list
            .iter()
            .filter_map(|m| {
                let digest = m.get("digest")?.as_str()?.to_string();
                let p = m.get("platform");
                let field = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str);
                let mut platform = format!(
                    "{}/{}",
                    field("os").unwrap_or("?"),
                    field("architecture").unwrap_or("?")
                );
                if let Some(v) = field("variant") {
                    platform.push('/');
                    platform.push_str(v);
                }
                Some(Platform { digest, platform })
            })
            .collect())
    }

    /// Sends with the auth that worked so far; on a 401 challenge, authenticates and resends.
    async fn send(
        &mut self,
        method: Method,
        url: &str,
        what: &str,
        accept: &str,
    ) -> Result<Raw, Error> {
        let raw = self.send_with(method.clone(), url, what, accept).await?;
        if raw.status.as_u16() != 401 || self.auth.is_some() {
            return Ok(raw);
        }
        self.auth = Some(self.answer_challenge(&raw.headers, url).await?);
        let raw = self.send_with(method, url, what, accept).await?;
        if matches!(raw.status.as_u16(), 401 | 403) {
            return Err(Error::Auth(format!(
                "{what}: HTTP {} after authenticating; the credentials may not pull {}. {HINT}",
                raw.status.as_u16(),
                self.repository
            )));
        }
        Ok(raw)
    }

    async fn send_with(
        &self,
        method: Method,
        url: &str,
        what: &str,
        accept: &str,
    ) -> Result<Raw, Error> {
        let auth = match &self.auth {
            None => Auth::None,
            Some(AuthValue::Basic(u, p)) => Auth::Basic(u, p),
            Some(AuthValue::Bearer(t)) => Auth::Bearer(t),
        };
        self.http
            .fetch(&Request {
                method,
                url,
                what,
                accept,
                auth,
                body: None,
            })
            .await
    }

    async fn answer_challenge(&self, headers: &HeaderMap, url: &str) -> Result<AuthValue, Error> {
        let header = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let (scheme, params) = parse_challenge(header);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => match &self.creds {
                Some(c) => Ok(AuthValue::Basic(c.username.clone(), c.password.clone())),
                None => Err(Error::Auth(format!(
                    "{url}: the registry asks for basic credentials. {HINT}"
                ))),
            },
            "bearer" => self.bearer_token(&params, url).await.map(AuthValue::Bearer),
            _ => Err(Error::Auth(format!(
                "{url}: HTTP 401 with a challenge driftgate cannot answer ({header:?}). {HINT}"
            ))),
        }
    }

    /// The token flow: GET realm?service=&scope= (with basic credentials if given).
    async fn bearer_token(&self, params: &[(String, String)], url: &str) -> Result<String, Error> {
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let realm = get("realm")
            .ok_or_else(|| Error::Auth(format!("{url}: a Bearer challenge without realm")))?;
        let mut token_url = reqwest::Url::parse(realm).map_err(|e| {
            Error::Unreachable(format!(
                "{url}: the token realm {realm:?} is not a URL ({e})"
            ))
        })?;
        {
            let mut q = token_url.query_pairs_mut();
            if let Some(s) = get("service") {
                q.append_pair("service", s);
            }
            let scope = get("scope")
                .map(str::to_string)
                .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
            q.append_pair("scope", &scope);
        }
        let token_url = token_url.to_string();
        let what = format!("GET {realm} (registry token)");
        let auth = match &self.creds {
            Some(c) => Auth::Basic(&c.username, &c.password),
            None => Auth::None,
        };
        let raw = self
            .http
            .fetch(&Request {
                method: Method::GET,
                url: &token_url,
                what: &what,
                accept: "application/json",
                auth,
                body: None,
            })
            .await?;
        if !raw.status.is_success() {
            return Err(self.http.error_for(&raw, &what, HINT));
        }
        let v: Value = serde_json::from_slice(&raw.body)
            .map_err(|e| Error::Unreachable(format!("{what}: not JSON ({e})")))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Unreachable(format!("{what}: the answer has no token")))?;
        self.http.add_secret(token);
        Ok(token.to_string())
    }
}

fn media_type(h: &HeaderMap) -> String {
    h.get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or(s).trim().to_string())
        .unwrap_or_default()
}

pub fn sha256(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `Bearer realm="https://auth",service="registry",scope="repository:a:pull"` → scheme, params.
pub fn parse_challenge(header: &str) -> (String, Vec<(String, String)>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if key.is_empty() || chars.next() != Some('=') {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
        }
        params.push((key.trim().to_string(), value.trim().to_string()));
    }
    (scheme.to_string(), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_quoted_and_bare_params() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:o/app:pull,push""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[1], ("service".into(), "registry.example".into()));
        assert_eq!(p[2], ("scope".into(), "repository:o/app:pull,push".into()));
        let (s, p) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!((s.as_str(), p.len()), ("Basic", 1));
    }

    #[test]
    fn image_references_normalise_and_refuse_digests() {
        let r = parse_image("127.0.0.1:5000/team/app:v1").expect("ref");
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("127.0.0.1:5000", "team/app", Some("v1"))
        );
        let r = parse_image("redis").expect("ref");
        assert_eq!(
            (r.api_host(), r.repository(), r.tag()),
            ("registry-1.docker.io", "library/redis", Some("latest"))
        );
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(parse_image(&format!("r.example/app@{d}")).is_err());
        assert!(parse_image("has space:x").is_err());
        assert!(parse_image("").is_err());
    }

    #[test]
    fn sha256_of_bytes() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
