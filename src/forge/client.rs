//! The Gitea/Forgejo API v1 reads driftgate makes. Only GET: the gate is read-only.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use super::http::{Answer, Http, HttpOptions};
use super::version::{Flavor, Version, identify};
use crate::error::Error;

/// The most pages a listing is followed for (50 items each): a guard against a server that
/// keeps answering.
pub const MAX_PAGES: u32 = 1000;
const PAGE_LIMIT: u32 = 50;
/// Bytes of answers one listing may add up to, at most (an organisation of 20,000 repositories
/// answers about 80 MB).
pub const MAX_LISTING_BYTES: usize = 256 * 1024 * 1024;

/// For `branch_protections`, which only the required-checks sweep of a rule needs to name it.
pub const PROTECTION_HINT: &str = "Listing branch protection rules needs a token of a repository admin \
(with read:repository scope); the Actions job token gets 403.";
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

    pub(crate) fn url(&self, path: &str) -> String {
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

    /// `GET /repos/{owner}/{repo}/branches/{branch}`: the branch with the status checks of the
    /// rule the forge itself applies to it. Any reader may ask (the Actions job token included).
    pub async fn branch(&self, repo: &str, branch: &str) -> Result<Value, Error> {
        let what = format!("GET /api/v1/repos/{repo}/branches/{branch}");
        let a = self
            .http
            .get_json(
                &self.url(&format!("/repos/{repo}/branches/{}", encode_path(branch))),
                &what,
                READ_HINT,
            )
            .await?;
        if !a.json.is_object() {
            return Err(Error::Unreachable(format!(
                "{what}: the answer is not a branch"
            )));
        }
        Ok(a.json)
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

    /// Every item of a paginated list (`page`/`limit`). With a plausible `X-Total-Count` the page
    /// count it gives says when to stop (Gitea drops items the token cannot see after paging, so
    /// a page may come back short); without one (missing, negative, not a number, absurd) pages
    /// are read until one comes back empty or short. A listing that stops at a cap, or whose
    /// pages repeat, is `Error::Incomplete`: never read as whole.
    /// Each item is passed to `keep` as it arrives, and only what it returns is kept, so that
    /// memory holds what the caller needs, not every page.
    pub async fn list<T>(
        &self,
        path: &str,
        hint: &str,
        keep: impl Fn(&Value) -> Result<Option<T>, Error>,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut bytes = 0usize;
        let mut seen_pages: HashSet<u64> = HashSet::new();
        for page in 1..=MAX_PAGES {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = self.url(&format!("{path}{sep}page={page}&limit={PAGE_LIMIT}"));
            let what = format!("GET /api/v1{path} (page {page})");
            let Answer {
                json,
                headers,
                bytes: size,
            } = self.http.get_json(&url, &what, hint).await?;
            let Value::Array(batch) = json else {
                return Err(Error::Unreachable(format!(
                    "{what}: the answer is not a list"
                )));
            };
            let n = batch.len();
            bytes = bytes.saturating_add(size);
            if bytes > MAX_LISTING_BYTES {
                return Err(Error::Incomplete(format!(
                    "GET /api/v1{path}: the listing is larger than {MAX_LISTING_BYTES} bytes (driftgate's cap); it was not read whole"
                )));
            }
            if n > 0 && !seen_pages.insert(page_hash(&batch)) {
                return Err(Error::Incomplete(format!(
                    "GET /api/v1{path}: page {page} repeats an earlier page (the server ignores paging?); the listing cannot be read whole"
                )));
            }
            for item in &batch {
                if let Some(t) = keep(item)? {
                    items.push(t);
                }
            }
            drop(batch);
            let total = headers
                .get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<usize>().ok())
                .filter(|t| *t <= MAX_PAGES as usize * PAGE_LIMIT as usize);
            let more = match total {
                Some(t) => (page as usize) * (PAGE_LIMIT as usize) < t && n > 0,
                None => n >= PAGE_LIMIT as usize,
            };
            if !more {
                return Ok(items);
            }
        }
        Err(Error::Incomplete(format!(
            "GET /api/v1{path}: more than {MAX_PAGES} pages (driftgate's cap); the listing was not read whole"
        )))
    }
}

/// A fingerprint of a page's items, to notice a server that answers every page alike.
fn page_hash(items: &[Value]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for i in items {
        i.to_string().hash(&mut h);
    }
    h.finish()
}

impl Forge {
    /// `GET /repos/{owner}/{repo}`: name, default branch, archived.
    pub async fn repo(&self, repo: &str) -> Result<RepoInfo, Error> {
        let what = format!("GET /api/v1/repos/{repo}");
        let a = self
            .http
            .get_json(&self.url(&format!("/repos/{repo}")), &what, READ_HINT)
            .await?;
        RepoInfo::from_json(&a.json)
            .ok_or_else(|| Error::Unreachable(format!("{what}: not a repository")))
    }

    /// Every repository of an organisation, or of a user when no organisation has that name.
    pub async fn repos_of(&self, owner: &str) -> Result<Vec<RepoInfo>, Error> {
        let keep = |v: &Value| {
            RepoInfo::from_json(v).map(Some).ok_or_else(|| {
                Error::Unreachable(format!(
                    "GET /api/v1/orgs/{owner}/repos: an item is not a repository"
                ))
            })
        };
        match self
            .list(&format!("/orgs/{owner}/repos"), READ_HINT, keep)
            .await
        {
            Err(Error::Unreachable(m)) if m.contains("HTTP 404") => {
                self.list(&format!("/users/{owner}/repos"), READ_HINT, keep)
                    .await
            }
            other => other,
        }
    }

    /// A directory listing at `reference`, or `None` when the path does not exist (404).
    pub async fn contents_dir(
        &self,
        repo: &str,
        dir: &str,
        reference: &str,
    ) -> Result<Option<Vec<Entry>>, Error> {
        let path = format!(
            "/repos/{repo}/contents/{}?ref={}",
            encode_path(dir),
            encode(reference)
        );
        let what = format!("GET /api/v1/repos/{repo}/contents/{dir}");
        let a = match self.http.get_json(&self.url(&path), &what, READ_HINT).await {
            Err(Error::Unreachable(m)) if m.contains("HTTP 404") => return Ok(None),
            other => other?,
        };
        let Value::Array(items) = a.json else {
            // A file where a folder was expected: not a workflow folder.
            return Ok(None);
        };
        Ok(Some(
            items
                .iter()
                .filter_map(|i| {
                    Some(Entry {
                        name: i.get("name")?.as_str()?.to_string(),
                        path: i.get("path")?.as_str()?.to_string(),
                        kind: i.get("type")?.as_str()?.to_string(),
                    })
                })
                .collect(),
        ))
    }

    /// A file's text at `reference` (base64 `content` of the contents API).
    pub async fn file_text(
        &self,
        repo: &str,
        path: &str,
        reference: &str,
    ) -> Result<String, Error> {
        let url = self.url(&format!(
            "/repos/{repo}/contents/{}?ref={}",
            encode_path(path),
            encode(reference)
        ));
        let what = format!("GET /api/v1/repos/{repo}/contents/{path}");
        let a = self.http.get_json(&url, &what, READ_HINT).await?;
        // A symbolic link's blob is its target text, which is what the forge parses.
        if a.json.get("type").and_then(Value::as_str) == Some("symlink")
            && let Some(target) = a.json.get("target").and_then(Value::as_str)
        {
            return Ok(target.to_string());
        }
        let content = a
            .json
            .get("content")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::Unreachable(format!("{what}: no base64 content (file too large?)"))
            })?;
        let bytes = base64_decode(content)
            .ok_or_else(|| Error::Unreachable(format!("{what}: content is not base64")))?;
        String::from_utf8(bytes).map_err(|_| Error::Unreachable(format!("{what}: not UTF-8 text")))
    }
}

/// What a sweep needs of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    pub full_name: String,
    pub default_branch: String,
    pub archived: bool,
}

impl RepoInfo {
    fn from_json(v: &Value) -> Option<RepoInfo> {
        Some(RepoInfo {
            full_name: v.get("full_name")?.as_str()?.to_string(),
            default_branch: v
                .get("default_branch")
                .and_then(Value::as_str)
                .unwrap_or("main")
                .to_string(),
            archived: v.get("archived").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// One item of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub path: String,
    /// `file`, `dir`, `symlink` or `submodule`.
    pub kind: String,
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes each segment of a path, keeping the slashes.
fn encode_path(p: &str) -> String {
    p.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// Base64 as the contents API sends it (standard alphabet; tolerate line breaks).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// The default per-request timeout (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_query_encoding() {
        assert_eq!(
            base64_decode("bmFtZTogY2kK").as_deref(),
            Some(&b"name: ci\n"[..])
        );
        assert_eq!(
            base64_decode("bmFt\nZTogY2kK").as_deref(),
            Some(&b"name: ci\n"[..])
        );
        assert!(base64_decode("not*base64").is_none());
        assert_eq!(encode("release/1.0"), "release%2F1.0");
        assert_eq!(encode_path(".gitea/work flows"), ".gitea/work%20flows");
    }
}
