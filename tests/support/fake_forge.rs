//! An in-process fake Gitea/Forgejo API v1 (axum on 127.0.0.1:0) that records every request,
//! a raw TCP server for answers no HTTP framework will send (truncated bodies, silence), and a
//! runner for the real `driftgate` binary with a clean environment and a hard time limit.
//!
//! Bodies and headers follow what the forges really send (see the research notes on the
//! API shapes): 404 `{"errors":null,"message":"not found","url":"<root>/api/swagger"}` on
//! Gitea ≥ 1.25, `{"message":...,"url":...,"errors":[]}` on Forgejo, 401 "token is required",
//! the full BranchProtection object per flavor, and unpaginated `branch_protections`.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The token every run gets in `DRIFTGATE_TOKEN`: long and distinctive, so a leak is unmistakable.
pub const TOKEN: &str = "dg-test-token-5f1e9c3a7b2d4e6f8091a2b3c4d5e6f7";

/// The repository every test asks about.
pub const REPO: &str = "acme/widget";

/// The longest a single driftgate run may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub authorization: Option<String>,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or(&self.target)
    }
}

/// One answer of the fake.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// A JSON answer as the forges send it (`application/json;charset=utf-8`).
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=utf-8".into(),
            )],
            body: body.to_string(),
        }
    }

    /// Any body with its content type.
    pub fn raw(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Which forge the fake pretends to be: decides the version string, the rule shape and the
/// error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gitea,
    Forgejo,
}

type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

struct Inner {
    kind: Kind,
    root: String,
    seen: Mutex<Vec<Seen>>,
    routes: Mutex<HashMap<String, Handler>>,
    /// How often each path was asked, for scripted sequences.
    counts: Mutex<HashMap<String, usize>>,
}

/// The fake API server. Dropping it stops the server.
pub struct FakeForge {
    pub url: String,
    inner: Arc<Inner>,
    _rt: tokio::runtime::Runtime,
}

impl FakeForge {
    /// A Gitea server reporting `version` (e.g. "1.24.3") whose `main` rule requires `contexts`.
    pub fn gitea(version: &str, contexts: &[&str]) -> FakeForge {
        let f = FakeForge::start(Kind::Gitea);
        f.defaults(version, json!([gitea_rule("main", contexts)]));
        f
    }

    /// A Forgejo server reporting `version` (e.g. "15.0.3+gitea-1.22.0").
    pub fn forgejo(version: &str, contexts: &[&str]) -> FakeForge {
        let f = FakeForge::start(Kind::Forgejo);
        f.defaults(version, json!([forgejo_rule("main", contexts)]));
        f
    }

    /// A server with no routes at all: every path answers the flavor's 404.
    pub fn start(kind: Kind) -> FakeForge {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let url = format!("http://127.0.0.1:{port}");
        let inner = Arc::new(Inner {
            kind,
            root: format!("{url}/"),
            seen: Mutex::new(Vec::new()),
            routes: Mutex::new(HashMap::new()),
            counts: Mutex::new(HashMap::new()),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        {
            let _guard = rt.enter();
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            rt.spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        FakeForge {
            url,
            inner,
            _rt: rt,
        }
    }

    fn defaults(&self, version: &str, rules: Value) {
        self.reply(
            "/api/v1/version",
            vec![Reply::json(200, &json!({ "version": version }))],
        );
        self.reply(
            &format!("/api/v1/repos/{REPO}"),
            vec![Reply::json(200, &repository(&self.url, 7, REPO, "main"))],
        );
        let main = rules.as_array().and_then(|r| r.first()).cloned();
        self.readable(
            &format!("/api/v1/repos/{REPO}/branches/main"),
            vec![Reply::json(200, &branch("main", main.as_ref(), false))],
        );
        self.protected(
            &format!("/api/v1/repos/{REPO}/branch_protections"),
            vec![Reply::json(200, &rules)],
        );
    }

    /// As `reply`, for a route any reader of a private repository may call
    /// (`reqRepoReader`): a wrong token is the flavor's 401, no token the 404 of a repository
    /// the caller cannot see.
    pub fn readable(&self, path: &str, replies: Vec<Reply>) {
        let anonymous = Reply::json(404, &not_found(self.inner.kind, &self.inner.root));
        self.behind_token(path, anonymous, replies);
    }

    /// `replies` for the fake's token; `anonymous` without one; the flavor's 401 for another.
    fn behind_token(&self, path: &str, anonymous: Reply, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        let kind = self.inner.kind;
        let root = self.inner.root.clone();
        self.handler(path, move |seen, n| {
            let expected = format!("token {TOKEN}");
            match seen.authorization.as_deref() {
                None => anonymous.clone(),
                Some(a) if a != expected => Reply::json(401, &invalid_token(kind, &root)),
                Some(_) => replies[n.min(replies.len() - 1)].clone(),
            }
        });
    }

    /// Answers `path` with `replies` in turn; the last one repeats.
    pub fn reply(&self, path: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        self.handler(path, move |_, n| replies[n.min(replies.len() - 1)].clone());
    }

    /// As `reply`, behind the forge's token check (`reqToken()`): no `Authorization` header
    /// answers 401 "token is required", another token the flavor's invalid-token 401.
    pub fn protected(&self, path: &str, replies: Vec<Reply>) {
        let anonymous = Reply::json(401, &api_error("token is required", &self.inner.root));
        self.behind_token(path, anonymous, replies);
    }

    /// Answers `path` with a function of the request and of how many came before it.
    pub fn handler(&self, path: &str, f: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) {
        self.inner
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Arc::new(f));
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// `METHOD target` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.target))
            .collect()
    }

    /// How many requests went to `path` (query ignored).
    pub fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path() == path).count()
    }

    /// The server's root URL with a trailing slash, as Gitea's ROOT_URL.
    pub fn root(&self) -> &str {
        &self.inner.root
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let seen = Seen {
        method: method.to_string(),
        target: uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| uri.path().to_string()),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    inner.seen.lock().unwrap().push(seen.clone());
    let path = seen.path().to_string();
    let n = {
        let mut counts = inner.counts.lock().unwrap();
        let c = counts.entry(path.clone()).or_insert(0);
        *c += 1;
        *c - 1
    };
    let route = inner.routes.lock().unwrap().get(&path).cloned();
    let reply = match route {
        Some(f) => f(&seen, n),
        None => Reply::json(404, &not_found(inner.kind, &inner.root)),
    };
    let mut b = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Body::from(reply.body)).expect("response")
}

/// The 401 for a token the forge does not know.
fn invalid_token(kind: Kind, root: &str) -> Value {
    let message = match kind {
        Kind::Gitea => "invalid username, password or token",
        Kind::Forgejo => "user does not exist [uid: 0, name: ]",
    };
    api_error(message, root)
}

/// `GET /repos/{o}/{r}/branches/{branch}` as `services/convert` `ToBranch` answers it (Gitea
/// 1.26/1.27 and Forgejo 11/15 alike): the status checks of the rule the forge applies to the
/// branch (`rule`, none when no rule applies); the rule's name only for repository admins.
pub fn branch(name: &str, rule: Option<&Value>, admin: bool) -> Value {
    let commit = json!({
        "id": "3f1c0e0f9b7f1d7f5c2a6b0e8d4c2a1b0f9e8d7c",
        "message": "Merge pull request 'ci: build on push' (#12) from feature into main\n",
        "url": "http://forge.example/acme/widget/commit/3f1c0e0f9b7f1d7f5c2a6b0e8d4c2a1b0f9e8d7c",
        "author": {"name": "alice", "email": "alice@example.com", "username": "alice"},
        "committer": {"name": "alice", "email": "alice@example.com", "username": "alice"},
        "verification": {"verified": false, "reason": "gpg.error.not_signed_commit",
            "signature": "", "signer": null, "payload": ""},
        "timestamp": "2026-11-20T09:15:00Z",
        "added": null, "removed": null, "modified": null
    });
    match rule {
        None => json!({
            "name": name, "commit": commit, "protected": false, "required_approvals": 0,
            "enable_status_check": false, "status_check_contexts": [],
            "user_can_push": true, "user_can_merge": true,
            "effective_branch_protection_name": ""
        }),
        Some(r) => json!({
            "name": name, "commit": commit, "protected": true,
            "required_approvals": r["required_approvals"],
            "enable_status_check": r["enable_status_check"],
            "status_check_contexts": r["status_check_contexts"],
            "user_can_push": false, "user_can_merge": true,
            "effective_branch_protection_name": if admin { r["rule_name"].clone() } else { json!("") }
        }),
    }
}

/// `{"message": ..., "url": "<root>/api/swagger"}`, the forges' `APIError`.
pub fn api_error(message: &str, root: &str) -> Value {
    json!({ "message": message, "url": format!("{root}api/swagger") })
}

/// The 404 body for a missing repository or route: a sorted map on Gitea ≥ 1.25 (`errors`
/// null), the `APINotFound` struct on Forgejo (`errors` an empty list, struct order).
pub fn not_found(kind: Kind, root: &str) -> Value {
    let url = format!("{root}api/swagger");
    match kind {
        Kind::Gitea => json!({ "errors": null, "message": "not found", "url": url }),
        Kind::Forgejo => {
            json!({ "message": "The target couldn't be found.", "url": url, "errors": [] })
        }
    }
}

/// A Gitea (1.24–1.26) BranchProtection, every field in the API's order.
pub fn gitea_rule(rule_name: &str, contexts: &[&str]) -> Value {
    let plain = !rule_name.contains(['*', '?', '\\', '[', ']', '{', '}']);
    json!({
        "branch_name": if plain { rule_name } else { "" },
        "rule_name": rule_name,
        "priority": 1,
        "enable_push": true,
        "enable_push_whitelist": true,
        "push_whitelist_usernames": ["alice"],
        "push_whitelist_teams": [],
        "push_whitelist_deploy_keys": false,
        "enable_force_push": false,
        "enable_force_push_allowlist": false,
        "force_push_allowlist_usernames": [],
        "force_push_allowlist_teams": [],
        "force_push_allowlist_deploy_keys": false,
        "enable_merge_whitelist": false,
        "merge_whitelist_usernames": [],
        "merge_whitelist_teams": [],
        "enable_status_check": true,
        "status_check_contexts": contexts,
        "required_approvals": 1,
        "enable_approvals_whitelist": false,
        "approvals_whitelist_username": [],
        "approvals_whitelist_teams": [],
        "block_on_rejected_reviews": true,
        "block_on_official_review_requests": false,
        "block_on_outdated_branch": false,
        "dismiss_stale_approvals": true,
        "ignore_stale_approvals": false,
        "require_signed_commits": false,
        "protected_file_patterns": "",
        "unprotected_file_patterns": "",
        "block_admin_merge_override": false,
        "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2025-06-02T08:30:00Z"
    })
}

/// A Forgejo BranchProtection: no priority, no force-push fields, `apply_to_admins`.
pub fn forgejo_rule(rule_name: &str, contexts: &[&str]) -> Value {
    let plain = !rule_name.contains(['*', '?', '\\', '[', ']', '{', '}']);
    json!({
        "branch_name": if plain { rule_name } else { "" },
        "rule_name": rule_name,
        "enable_push": false,
        "enable_push_whitelist": false,
        "push_whitelist_usernames": [],
        "push_whitelist_teams": [],
        "push_whitelist_deploy_keys": false,
        "enable_merge_whitelist": false,
        "merge_whitelist_usernames": [],
        "merge_whitelist_teams": [],
        "enable_status_check": true,
        "status_check_contexts": contexts,
        "required_approvals": 0,
        "enable_approvals_whitelist": false,
        "approvals_whitelist_username": [],
        "approvals_whitelist_teams": [],
        "block_on_rejected_reviews": false,
        "block_on_official_review_requests": false,
        "block_on_outdated_branch": false,
        "dismiss_stale_approvals": false,
        "ignore_stale_approvals": false,
        "require_signed_commits": false,
        "protected_file_patterns": "",
        "unprotected_file_patterns": "",
        "apply_to_admins": false,
        "created_at": "2026-03-01T12:00:00Z",
        "updated_at": "2026-03-01T12:00:00Z"
    })
}

/// A user object as `owner` carries it.
fn user(id: i64, login: &str, base: &str) -> Value {
    json!({
        "id": id, "login": login, "login_name": "", "source_id": 0, "full_name": "",
        "email": "", "avatar_url": format!("{base}/avatars/{id}"),
        "html_url": format!("{base}/{login}"), "language": "",
        "is_admin": false, "last_login": "0001-01-01T00:00:00Z",
        "created": "2025-01-01T00:00:00Z", "restricted": false, "active": false,
        "prohibit_login": false, "location": "", "website": "", "description": "",
        "visibility": "public", "followers_count": 0, "following_count": 0,
        "starred_repos_count": 0, "username": login
    })
}

/// `GET /repos/{owner}/{repo}`: the Repository object (the fields up to `permissions` in the
/// API's order, then a selection of the rest).
pub fn repository(base: &str, id: i64, full_name: &str, default_branch: &str) -> Value {
    let (owner, name) = full_name.split_once('/').unwrap();
    // Two halves: one `json!` this size exceeds the macro recursion limit.
    let head = json!({
        "id": id,
        "owner": user(3, owner, base),
        "name": name,
        "full_name": full_name,
        "description": "",
        "empty": false,
        "private": true,
        "fork": false,
        "template": false,
        "mirror": false,
        "size": 120,
        "language": "Rust",
        "languages_url": format!("{base}/api/v1/repos/{full_name}/languages"),
        "html_url": format!("{base}/{full_name}"),
        "url": format!("{base}/api/v1/repos/{full_name}"),
        "link": "",
        "ssh_url": format!("git@127.0.0.1:{full_name}.git"),
        "clone_url": format!("{base}/{full_name}.git"),
        "original_url": "",
        "website": "",
        "stars_count": 0,
        "forks_count": 0,
        "watchers_count": 1,
        "open_issues_count": 0,
        "open_pr_counter": 0,
        "release_counter": 0,
    });
    let rest = json!({
        "default_branch": default_branch,
        "archived": false,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-06-02T08:30:00Z",
        "archived_at": "1970-01-01T00:00:00Z",
        "permissions": { "admin": true, "push": true, "pull": true },
        "has_issues": true,
        "has_wiki": true,
        "has_pull_requests": true,
        "has_projects": true,
        "has_releases": true,
        "has_packages": true,
        "has_actions": true,
        "default_merge_style": "merge",
        "avatar_url": "",
        "internal": false,
        "mirror_interval": "",
        "object_format_name": "sha1",
        "topics": []
    });
    let mut repo = head;
    let obj = repo.as_object_mut().unwrap();
    obj.extend(rest.as_object().unwrap().clone());
    repo
}

// ------------------------------------------------------------------------------------------
// A raw HTTP/1.1 server for what axum will not send.

/// What the raw server does with one request.
pub enum RawAction {
    /// Write these bytes, then close the connection.
    Send(Vec<u8>),
    /// Accept and read the request, then never answer (the connection stays open).
    Hang,
}

/// A complete HTTP/1.1 answer with `Connection: close`.
pub fn http_answer(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub struct RawServer {
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
    _rt: tokio::runtime::Runtime,
}

impl RawServer {
    /// Serves every request with `f(path and query)`.
    pub fn start(f: impl Fn(&str) -> RawAction + Send + Sync + 'static) -> RawServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let f = Arc::new(f);
        {
            let _guard = rt.enter();
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            let seen = seen.clone();
            rt.spawn(async move {
                loop {
                    let Ok((mut sock, _)) = listener.accept().await else {
                        continue;
                    };
                    let seen = seen.clone();
                    let f = f.clone();
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut buf = [0u8; 4096];
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            match sock.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        let text = String::from_utf8_lossy(&head).to_string();
                        let line = text.lines().next().unwrap_or_default().to_string();
                        let mut parts = line.split(' ');
                        let method = parts.next().unwrap_or_default().to_string();
                        let target = parts.next().unwrap_or_default().to_string();
                        seen.lock().unwrap().push(format!("{method} {target}"));
                        match f(&target) {
                            RawAction::Send(bytes) => {
                                let _ = sock.write_all(&bytes).await;
                                let _ = sock.shutdown().await;
                            }
                            RawAction::Hang => {
                                tokio::time::sleep(Duration::from_secs(3600)).await;
                                drop(sock);
                            }
                        }
                    });
                }
            });
        }
        RawServer {
            url: format!("http://127.0.0.1:{port}"),
            seen,
            _rt: rt,
        }
    }

    /// `METHOD target` of every request read so far.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

// ------------------------------------------------------------------------------------------
// Running the binary.

/// What one driftgate run did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// stdout as the JSON report (`--json`).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Messages of every finding of `kind`.
    pub fn messages(&self, kind: &str) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == kind)
            .map(|f| f["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// Variables of the runner and of the forges' token chain that must not leak in from the
/// environment the tests happen to run in.
const CLEARED: &[&str] = &[
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITEA_STEP_SUMMARY",
    "FORGEJO_STEP_SUMMARY",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_BASE_REF",
    "GITHUB_WORKSPACE",
    "GITHUB_ACTIONS",
    "GITHUB_TOKEN",
    "GITEA_TOKEN",
    "FORGEJO_TOKEN",
    "DRIFTGATE_TOKEN",
    "GITEA_ACTIONS",
    "FORGEJO_ACTIONS",
    "SSL_CERT_FILE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// `driftgate args…` with a clean runner environment plus `env` (not started).
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.args(args);
    for name in CLEARED {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if [
            "GITHUB_",
            "GITEA_",
            "FORGEJO_",
            "DRIFTGATE_",
            "INPUT_",
            "RUNNER_",
        ]
        .iter()
        .any(|p| n.starts_with(p))
        {
            cmd.env_remove(&name);
        }
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `driftgate args…` with a clean runner environment plus `env`, killing it (and
/// failing the test) if it runs longer than a minute.
pub fn driftgate(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = command(args, env);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn driftgate");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "driftgate {args:?} ran longer than {}s and was killed",
                RUN_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    Run {
        code: status.code().expect("driftgate was killed by a signal"),
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
        elapsed,
    }
}

// ------------------------------------------------------------------------------------------
// Temporary repositories.

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "driftgate-online-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// Writes `text` at `rel`, creating folders.
    pub fn write(&self, rel: &str, text: &str) -> &TempDir {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        self
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    pub fn str(&self) -> &str {
        self.path.to_str().expect("utf-8 temp path")
    }

    /// The contents of `rel`, or "" when it was never written.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_default()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
