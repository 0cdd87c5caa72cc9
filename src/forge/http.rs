//! The one HTTP client every remote read goes through: token from the environment (never
//! printed), a timeout per request, bounded retries with backoff for 5xx and 429 (honouring
//! `Retry-After` up to a cap), a body size cap, private CAs, proxies from the environment, and a
//! record of every request made. Status codes become typed errors here and nowhere else.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::error::Error;

/// Variables read for the token when `--token-env` is not given, in this order.
pub const TOKEN_CHAIN: [&str; 4] = [
    "DRIFTGATE_TOKEN",
    "GITEA_TOKEN",
    "FORGEJO_TOKEN",
    "GITHUB_TOKEN",
];

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub value: String,
    /// The variable it came from, safe to show.
    pub source: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(*** from {})", self.source)
    }
}

/// Finds the token: the variable named by `--token-env`, else the default chain.
/// An empty variable counts as unset.
pub fn token_from_env(token_env: Option<&str>) -> Option<Token> {
    let names: Vec<&str> = match token_env {
        Some(n) => vec![n],
        None => TOKEN_CHAIN.to_vec(),
    };
    names.into_iter().find_map(|n| {
        let raw = std::env::var(n).ok()?;
        // Registered whole and line by line before anything can print it.
        crate::secrets::register(&raw);
        Some(raw.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|value| Token {
                value,
                source: n.to_string(),
            })
    })
}

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub ca_cert: Option<PathBuf>,
    pub token: Option<Token>,
    /// Retries after the first attempt, for 5xx, 429 and transport errors.
    pub retries: u32,
    /// First backoff; doubled per retry.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the read fails at once.
    pub max_retry_after: Duration,
    pub max_body_bytes: usize,
    /// `Authorization: <scheme> <token>`: `token` for the forge API, `Bearer` elsewhere.
    pub auth_scheme: &'static str,
}

impl HttpOptions {
    pub fn new(timeout: Duration, ca_cert: Option<PathBuf>, token: Option<Token>) -> Self {
        if let Some(t) = &token {
            crate::secrets::register(&t.value);
        }
        HttpOptions {
            timeout,
            ca_cert,
            token,
            retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
            auth_scheme: "token",
        }
    }
}

/// One request as sent, for the report's counts and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub method: String,
    pub url: String,
}

pub struct Http {
    client: reqwest::Client,
    opts: HttpOptions,
    sent: Arc<Mutex<Vec<Sent>>>,
}

/// A successful answer: parsed JSON, its headers and the size of its body.
pub struct Answer {
    pub json: Value,
    pub headers: HeaderMap,
    pub bytes: usize,
}

impl Http {
    pub fn new(opts: HttpOptions) -> Result<Http, Error> {
        // One crypto provider for the process (ring); a second call only reports it is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &opts.ca_cert {
            let pem = crate::fsread::read_regular(path, 4 * 1024 * 1024, true).map_err(|e| {
                Error::Usage(format!("the CA certificate file {} {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::Usage(format!("{} holds no PEM certificate: {e}", path.display()))
            })?;
            if certs.is_empty() {
                return Err(Error::Usage(format!(
                    "{} holds no PEM certificate",
                    path.display()
                )));
            }
            b = b.tls_certs_merge(certs);
        }
        let client = b.build().map_err(|e| {
            Error::Unreachable(format!(
                "cannot set up TLS: {} (set SSL_CERT_FILE to a CA bundle, or pass --ca-cert)",
                chain(&e)
            ))
        })?;
        Ok(Http {
            client,
            opts,
            sent: Arc::new(Mutex::new(Vec::new())),
        })
    }

    pub fn has_token(&self) -> bool {
        self.opts.token.is_some()
    }

    /// Every request sent so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Another value that must never reach a message (a registry password or token): it joins
    /// the one redaction path every output goes through.
    pub fn add_secret(&self, secret: &str) {
        crate::secrets::register(secret);
    }

    /// Removes the token and other secrets from remote text before it can reach any message.
    fn scrub(&self, text: &str) -> String {
        crate::secrets::redact(text).into_owned()
    }

    /// GET `url` and parse the JSON answer. `what` names the resource in errors; `auth_hint`
    /// is added to 401/403 messages (which token the resource needs).
    pub async fn get_json(&self, url: &str, what: &str, auth_hint: &str) -> Result<Answer, Error> {
        self.send_json(Method::GET, url, what, auth_hint, None)
            .await
    }

    /// Sends a request whose answer has no body to read (DELETE answers 204); non-2xx answers
    /// become errors.
    pub async fn send_empty(
        &self,
        method: Method,
        url: &str,
        what: &str,
        auth_hint: &str,
    ) -> Result<(), Error> {
        self.send_ok(method, url, what, auth_hint, None)
            .await
            .map(|_| ())
    }

    /// The raw answer of an API request, or the error a non-2xx answer is.
    async fn send_ok(
        &self,
        method: Method,
        url: &str,
        what: &str,
        auth_hint: &str,
        body: Option<&Value>,
    ) -> Result<Raw, Error> {
        let raw = self
            .fetch(&Request {
                method,
                url,
                what,
                accept: "application/json",
                auth: Auth::Default,
                body,
            })
            .await?;
        if !raw.status.is_success() {
            return Err(self.error_for(&raw, what, auth_hint));
        }
        Ok(raw)
    }

    /// Sends `body` (if any) and parses the JSON answer; non-2xx answers become errors. Only
    /// issue mode and the pull-request comment send anything but GET.
    pub async fn send_json(
        &self,
        method: Method,
        url: &str,
        what: &str,
        auth_hint: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Error> {
        let raw = self.send_ok(method, url, what, auth_hint, body).await?;
        let json = serde_json::from_slice::<Value>(&raw.body).map_err(|e| {
            let kind = raw
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no content type");
            Error::Unreachable(format!(
                "{what}: HTTP {} with a body that is not the JSON expected ({kind}: {e}): {}",
                raw.status.as_u16(),
                self.excerpt(&raw.body)
            ))
        })?;
        Ok(Answer {
            json,
            headers: raw.headers,
            bytes: raw.body.len(),
        })
    }

    /// Sends a request, retrying 5xx, 429 and transport errors with backoff, and returns the
    /// answer whatever its status otherwise: callers that need a 401 (registry challenges) see it.
    pub async fn fetch(&self, req: &Request<'_>) -> Result<Raw, Error> {
        let mut attempt = 0;
        loop {
            let idempotent = matches!(req.method, Method::GET | Method::HEAD);
            let (error, after) = match self.once(req).await {
                Ok(raw) if !is_retryable(raw.status) || !idempotent => return Ok(raw),
                // A write is never repeated: it may have been applied before the answer failed.
                Err(Failure::Retry { error, .. }) if !idempotent => return Err(error),
                Ok(raw) => match self.classify(&raw, req.what, "") {
                    Failure::Retry { error, after } => (error, after),
                    Failure::Final(e) => return Err(e),
                },
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry { error, after }) => (error, after),
            };
            if attempt >= self.opts.retries {
                return Err(Error::Unreachable(format!(
                    "{error} (gave up after {} attempts)",
                    attempt + 1
                )));
            }
            let wait = after.unwrap_or(self.opts.backoff * 2u32.saturating_pow(attempt));
            if wait > self.opts.max_retry_after {
                return Err(Error::Unreachable(format!(
                    "{error}; the server asks to retry after {}s, more than the {}s driftgate waits",
                    wait.as_secs(),
                    self.opts.max_retry_after.as_secs()
                )));
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The error for an answer that is not 2xx.
    pub fn error_for(&self, raw: &Raw, what: &str, auth_hint: &str) -> Error {
        self.classify(raw, what, auth_hint).into()
    }

    async fn once(&self, r: &Request<'_>) -> Result<Raw, Failure> {
        if let Ok(mut s) = self.sent.lock() {
            s.push(Sent {
                method: r.method.to_string(),
                url: r.url.to_string(),
            });
        }
        let mut req = self
            .client
            .request(r.method.clone(), r.url)
            .header(reqwest::header::ACCEPT, r.accept);
        req = match (&r.auth, &self.opts.token) {
            (Auth::Default, Some(t)) => req.header(
                reqwest::header::AUTHORIZATION,
                format!("{} {}", self.opts.auth_scheme, t.value),
            ),
            (Auth::Default, None) | (Auth::None, _) => req,
            (Auth::Basic(user, pass), _) => req.basic_auth(user, Some(pass)),
            (Auth::Bearer(token), _) => req.bearer_auth(token),
        };
        if let Some(b) = r.body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.transport(e, r.what))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = if r.method == Method::HEAD {
            Vec::new()
        } else {
            self.read_body(resp, r.what).await?
        };
        Ok(Raw {
            status,
            headers,
            body,
        })
    }

    async fn read_body(&self, mut resp: reqwest::Response, what: &str) -> Result<Vec<u8>, Failure> {
        let cap = self.opts.max_body_bytes;
        if resp.content_length().is_some_and(|l| l as usize > cap) {
            return Err(Failure::Final(Error::Unreachable(format!(
                "{what}: the answer is larger than the {cap} byte limit"
            ))));
        }
        let mut buf = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > cap {
                        return Err(Failure::Final(Error::Unreachable(format!(
                            "{what}: the answer is larger than the {cap} byte limit"
                        ))));
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(buf),
                Err(e) => return Err(self.transport(e, what)),
            }
        }
    }

    fn transport(&self, e: reqwest::Error, what: &str) -> Failure {
        let detail = self.scrub(&chain(&e));
        let msg = if e.is_timeout() {
            format!(
                "{what}: no answer within {}s ({detail})",
                self.opts.timeout.as_secs()
            )
        } else if e.is_connect() {
            format!("{what}: cannot connect ({detail})")
        } else {
            format!("{what}: transport error ({detail})")
        };
        // An untrusted certificate does not get better by retrying: fail at once and say how.
        if detail.contains("certificate") || detail.contains("UnknownIssuer") {
            return Failure::Final(Error::Unreachable(format!(
                "{msg}; the server's certificate is not trusted: pass --ca-cert (action input ca-cert) or set SSL_CERT_FILE to its CA"
            )));
        }
        let error = Error::Unreachable(msg);
        // A body cut short surfaces as a decode error.
        if e.is_timeout() || e.is_connect() || e.is_body() || e.is_decode() || e.is_request() {
            Failure::Retry { error, after: None }
        } else {
            Failure::Final(error)
        }
    }

    /// Maps a non-2xx answer to its error: the one place where status codes become exit codes.
    fn classify(&self, raw: &Raw, what: &str, auth_hint: &str) -> Failure {
        let (status, headers, body) = (raw.status, &raw.headers, raw.body.as_slice());
        let message = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| {
                // Gitea answers {"message"}; registries {"errors":[{"message"}]}.
                v.get("message")
                    .or_else(|| v.pointer("/errors/0/message"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .map(|m| self.scrub(&m))
            .unwrap_or_else(|| self.excerpt(body));
        let code = status.as_u16();
        let said = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        match code {
            401 => Failure::Final(Error::Auth(format!(
                "{what}: HTTP 401, the server did not accept the token{said}. {auth_hint}"
            ))),
            403 => Failure::Final(Error::Auth(format!(
                "{what}: HTTP 403, the token may not read this{said}. {auth_hint}"
            ))),
            404 => Failure::Final(Error::Unreachable(format!(
                "{what}: HTTP 404{said}; check the server URL and repository, and that the token can see it"
            ))),
            429 | 500..=599 => Failure::Retry {
                error: Error::Unreachable(format!("{what}: HTTP {code}{said}")),
                after: retry_after(headers),
            },
            _ => Failure::Final(Error::Unreachable(format!("{what}: HTTP {code}{said}"))),
        }
    }

    /// A short, single-line, token-free excerpt of a body for messages.
    fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let scrubbed = self.scrub(&one_line);
        if scrubbed.chars().count() > 200 {
            format!("{}…", scrubbed.chars().take(200).collect::<String>())
        } else {
            scrubbed
        }
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status.as_u16() == 429 || status.is_server_error()
}

/// How one request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// The configured token, with the configured scheme (if a token is set).
    Default,
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

/// One request: method, URL, a name for messages, the `Accept` header and how to authenticate.
pub struct Request<'a> {
    pub method: Method,
    pub url: &'a str,
    pub what: &'a str,
    pub accept: &'a str,
    pub auth: Auth<'a>,
    /// A JSON body (issue mode's writes); reads have none.
    pub body: Option<&'a Value>,
}

/// An answer as received (the body is empty for HEAD).
pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

enum Failure {
    Final(Error),
    Retry {
        error: Error,
        after: Option<Duration>,
    },
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        match f {
            Failure::Final(e) | Failure::Retry { error: e, .. } => e,
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by forges or their proxies).
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    h.get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// An error with its causes, which is where reqwest puts the useful part.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// A body read with [`read_capped`].
pub(crate) enum Capped {
    Whole(Vec<u8>),
    /// The body is larger than the cap: what was read so far is dropped.
    TooLarge,
}

/// Reads a body in chunks and stops as soon as it would pass `cap` bytes (at once when
/// `Content-Length` already says so): never more than `cap` bytes are held, whatever the sender
/// streams. For readers that do not go through [`Http`] (the Docker engine client).
pub(crate) async fn read_capped(
    resp: &mut reqwest::Response,
    cap: usize,
) -> Result<Capped, reqwest::Error> {
    if resp.content_length().is_some_and(|l| l > cap as u64) {
        return Ok(Capped::TooLarge);
    }
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let need = buf.len() + chunk.len();
        if need > cap {
            return Ok(Capped::TooLarge);
        }
        if need > buf.capacity() {
            // Grow by doubling as Vec would, but never reserve past the cap.
            let want = need.max(buf.capacity() * 2).min(cap);
            buf.reserve_exact(want - buf.len());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Capped::Whole(buf))
}
