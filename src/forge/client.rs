//! The Gitea/Forgejo API v1 reads driftgate makes. Only GET: the gate is read-only.

use std::time::Duration;

use serde_json::Value;

use super::http::{Answer, Http, HttpOptions};
use super::version::{Flavor, Version, identify};
use crate::error::Error;

/// The most pages a listing is followed for (50 items each): a guard against a server that
/// keeps answering.
const MAX_PAGES: u32 = 1000;
const PAGE_LIMIT: u32 = 50;

pub const PROTECTION_HINT: &str = "Reading branch protection needs a token of a repository admin \
(with read:repository scope); the Actions job token gets 403, so pass a separate read-only admin token.";
pub const READ_HINT: &str = "Check that the token exists and can read the repository.";

pub struct Forge {
    http: Http,
    /// `<server>/api/v1`, without a trailing slash.
    api: String,
}

impl Forge {
    pub fn new(server: &str, opts: HttpOptions) -> Result<Forge, Error> {
        let server = server.trim().trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(Error::Usage(format!(
                "the server URL {server:?} must start with http:// or https://"
            )));
        }
        Ok(Forge {
            http: Http::new(opts)?,
            api: format!("{server}/api/v1"),
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    pub fn has_token(&self) -> bool {
        self.http.has_token()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// `GET /version`: the flavor and release of the server.
    pub async fn version(&self) -> Result<(Flavor, Version, String), Error> {
        let a = self
            .http
            .get_json(&self.url("/version"), "GET /api/v1/version", READ_HINT)
            .await?;
        let v = a
            .json
            .get("version")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::Unreachable(
                    "GET /api/v1/version: the answer has no \"version\" string".into(),
                )
            })?
            .to_string();
        let (flavor, version) = identify(&v).map_err(Error::Unreachable)?;
        Ok((flavor, version, v))
    }

    /// `GET /repos/{owner}/{repo}`: the repository's default branch.
    pub async fn default_branch(&self, repo: &str) -> Result<String, Error> {
        let what = format!("GET /api/v1/repos/{repo}");
        let a = self
            .http
            .get_json(&self.url(&format!("/repos/{repo}")), &what, READ_HINT)
            .await?;
        a.json
            .get("default_branch")
            .and_then(Value::as_str)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::Unreachable(format!("{what}: the answer has no default_branch")))
    }

    /// `GET /repos/{owner}/{repo}/branch_protections`: every rule, in the forge's order.
    pub async fn branch_protections(&self, repo: &str) -> Result<Value, Error> {
        let what = format!("GET /api/v1/repos/{repo}/branch_protections");
        let a = self
            .http
            .get_json(
                &self.url(&format!("/repos/{repo}/branch_protections")),
                &what,
                PROTECTION_HINT,
            )
            .await?;
        if !a.json.is_array() {
            return Err(Error::Unreachable(format!(
                "{what}: the answer is not a list of rules"
            )));
        }
        Ok(a.json)
    }

    /// Every item of a paginated list (`page`/`limit`, `X-Total-Count`). A list without
    /// `X-Total-Count` is taken as unpaginated.
    pub async fn list_all(&self, path: &str, hint: &str) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        for page in 1..=MAX_PAGES {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = self.url(&format!("{path}{sep}page={page}&limit={PAGE_LIMIT}"));
            let what = format!("GET /api/v1{path} (page {page})");
            let Answer { json, headers } = self.http.get_json(&url, &what, hint).await?;
            let Value::Array(batch) = json else {
                return Err(Error::Unreachable(format!(
                    "{what}: the answer is not a list"
                )));
            };
            let n = batch.len();
            items.extend(batch);
            let total = headers
                .get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<usize>().ok());
            // Gitea drops items the token cannot see after paging, so a page may come back
            // short: the page count (total / limit), not the items collected, says when to stop.
            // That also bounds a server that ignores `page`.
            match total {
                Some(t) if (page as usize) * (PAGE_LIMIT as usize) < t && n > 0 => continue,
                _ => return Ok(items),
            }
        }
        Err(Error::Unreachable(format!(
            "GET /api/v1{path}: more than {MAX_PAGES} pages"
        )))
    }
}

/// The default per-request timeout (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
