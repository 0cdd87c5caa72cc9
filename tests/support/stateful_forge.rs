//! A stateful in-process fake Gitea/Forgejo API v1 for sweeps and issue mode: repositories
//! (default branch, archived), branch protections, workflow files behind the contents API,
//! labels, issues and comments, all held in memory and changed by the writes driftgate makes.
//! Every request is recorded with its method, path and query, and JSON body.
//!
//! Shapes and status codes follow the research notes on Gitea's API (and Forgejo's where it
//! differs):
//! - lists page like `GetListOptions`: `page` from 1, `limit` default 30 and capped at 50;
//!   `X-Total-Count` on every paged list; `Link` (next, last, first, prev, joined by "," with
//!   the query re-encoded with sorted keys) on issue and repository lists but not on labels;
//! - the contents API is not paged: a directory answers every entry as a `ContentsResponse`
//!   array with `encoding`/`content` null, a file one object with base64 `content`, a missing
//!   path or ref the flavor's 404;
//! - `POST …/issues` and `POST …/labels` answer 201, `PATCH …/issues/{n}` 201 (sic),
//!   `POST …/issues/{n}/comments` 201, `POST …/issues/{n}/labels` 200 with the issue's labels;
//! - the issue list filters by `state` (open by default), `type` and `labels` (names; the
//!   filter is dropped when none resolves, AND over several), newest first.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::fake_forge::{
    Kind, TOKEN, api_error, branch, forgejo_rule, gitea_rule, not_found, repository,
};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub body: Option<Value>,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or(&self.target)
    }

    pub fn query(&self, key: &str) -> Option<String> {
        self.target
            .split_once('?')?
            .1
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| decode(v))
    }
}

/// What `GET …/branch_protections` answers.
#[derive(Debug, Clone)]
pub enum Protections {
    /// The rules, as the API returns them.
    Rules(Value),
    /// A refusal or failure: status and JSON body.
    Fail(u16, Value),
}

#[derive(Debug, Clone)]
pub struct Label {
    pub id: u64,
    pub name: String,
    /// Without `#`, as the API answers it.
    pub color: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: String,
    /// "open" or "closed".
    pub state: String,
    pub label_ids: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub id: i64,
    pub full_name: String,
    pub default_branch: String,
    pub archived: bool,
    pub protections: Protections,
    /// Workflow (and other) files at the default branch: path → text.
    pub files: BTreeMap<String, String>,
    pub labels: Vec<Label>,
    pub issues: Vec<Issue>,
    pub comments: Vec<Comment>,
    /// The token may read but not comment (a fork pull request's job token): comment writes
    /// answer 403 as `reqRepoWriter`-style checks do (status only, empty body).
    pub read_only: bool,
}

impl Repo {
    pub fn owner(&self) -> &str {
        self.full_name.split('/').next().unwrap_or_default()
    }

    pub fn open_issues(&self) -> Vec<&Issue> {
        self.issues.iter().filter(|i| i.state == "open").collect()
    }

    pub fn comments_on(&self, number: u64) -> Vec<&Comment> {
        self.comments.iter().filter(|c| c.issue == number).collect()
    }

    pub fn label_named(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name == name)
    }
}

struct Data {
    /// In id order (the order Gitea lists them).
    repos: Vec<Repo>,
    next_id: u64,
}

struct Inner {
    kind: Kind,
    version: String,
    url: String,
    /// ROOT_URL, with a trailing slash.
    root: String,
    data: Mutex<Data>,
    seen: Mutex<Vec<Seen>>,
    /// Added to every answer (the benchmark's network).
    latency: Mutex<Duration>,
    /// Added to answers of the issue list (after its snapshot was taken): makes races real.
    issue_list_delay: Mutex<Duration>,
}

/// The fake API server. Dropping it stops the server.
pub struct StatefulForge {
    pub url: String,
    inner: Arc<Inner>,
    _rt: tokio::runtime::Runtime,
}

impl StatefulForge {
    /// A Gitea server reporting `1.24.3`.
    pub fn gitea() -> StatefulForge {
        StatefulForge::start(Kind::Gitea, "1.24.3")
    }

    /// A Forgejo server reporting `15.0.3+gitea-1.22.0`.
    pub fn forgejo() -> StatefulForge {
        StatefulForge::start(Kind::Forgejo, "15.0.3+gitea-1.22.0")
    }

    pub fn start(kind: Kind, version: &str) -> StatefulForge {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let url = format!("http://127.0.0.1:{port}");
        let inner = Arc::new(Inner {
            kind,
            version: version.to_string(),
            url: url.clone(),
            root: format!("{url}/"),
            data: Mutex::new(Data {
                repos: Vec::new(),
                next_id: 1000,
            }),
            seen: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            issue_list_delay: Mutex::new(Duration::ZERO),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        {
            let _guard = rt.enter();
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            rt.spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        StatefulForge {
            url,
            inner,
            _rt: rt,
        }
    }

    pub fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// ROOT_URL with a trailing slash.
    pub fn root(&self) -> &str {
        &self.inner.root
    }

    /// Adds a repository (next id) whose default branch has a rule requiring `contexts`.
    pub fn add_repo(&self, full_name: &str, default_branch: &str, contexts: &[&str]) {
        let rule = match self.inner.kind {
            Kind::Gitea => gitea_rule(default_branch, contexts),
            Kind::Forgejo => forgejo_rule(default_branch, contexts),
        };
        let mut d = self.inner.data.lock().unwrap();
        let id = d.repos.len() as i64 + 1;
        d.repos.push(Repo {
            id,
            full_name: full_name.to_string(),
            default_branch: default_branch.to_string(),
            archived: false,
            protections: Protections::Rules(json!([rule])),
            files: BTreeMap::new(),
            labels: Vec::new(),
            issues: Vec::new(),
            comments: Vec::new(),
            read_only: false,
        });
    }

    /// Changes a repository's state.
    pub fn with_repo<T>(&self, full_name: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        let mut d = self.inner.data.lock().unwrap();
        let r = d
            .repos
            .iter_mut()
            .find(|r| r.full_name == full_name)
            .unwrap_or_else(|| panic!("no repository {full_name} in the fake"));
        f(r)
    }

    /// A copy of a repository's state.
    pub fn repo(&self, full_name: &str) -> Repo {
        self.with_repo(full_name, |r| r.clone())
    }

    /// Sets the required contexts of the repository's rule (same flavor shape).
    pub fn require(&self, full_name: &str, contexts: &[&str]) {
        let kind = self.inner.kind;
        self.with_repo(full_name, |r| {
            let rule = match kind {
                Kind::Gitea => gitea_rule(&r.default_branch, contexts),
                Kind::Forgejo => forgejo_rule(&r.default_branch, contexts),
            };
            r.protections = Protections::Rules(json!([rule]));
        });
    }

    pub fn write_file(&self, full_name: &str, path: &str, text: &str) {
        self.with_repo(full_name, |r| {
            r.files.insert(path.to_string(), text.to_string());
        });
    }

    /// Adds a label as an earlier run or a user made it; returns its id.
    pub fn add_label(&self, full_name: &str, name: &str) -> u64 {
        let id = self.next_id();
        self.with_repo(full_name, |r| {
            r.labels.push(Label {
                id,
                name: name.to_string(),
                color: "d73a4a".into(),
                description: String::new(),
            })
        });
        id
    }

    /// Adds an open issue as an earlier run (or a user) left it; returns its number.
    pub fn add_issue(&self, full_name: &str, title: &str, body: &str, label_ids: &[u64]) -> u64 {
        let id = self.next_id();
        self.with_repo(full_name, |r| {
            let number = next_number(r);
            r.issues.push(Issue {
                id,
                number,
                title: title.to_string(),
                body: body.to_string(),
                state: "open".into(),
                label_ids: label_ids.to_vec(),
            });
            number
        })
    }

    fn next_id(&self) -> u64 {
        let mut d = self.inner.data.lock().unwrap();
        d.next_id += 1;
        d.next_id
    }

    /// Every answer waits this long first (the benchmark's network latency).
    pub fn set_latency(&self, d: Duration) {
        *self.inner.latency.lock().unwrap() = d;
    }

    /// Answers to `GET …/issues` are taken when the request arrives and sent this much later.
    pub fn set_issue_list_delay(&self, d: Duration) {
        *self.inner.issue_list_delay.lock().unwrap() = d;
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_seen(&self) {
        self.inner.seen.lock().unwrap().clear();
    }

    /// `METHOD target` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.target))
            .collect()
    }

    /// Every request that is not a GET (or HEAD).
    pub fn writes(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method != "GET" && s.method != "HEAD")
            .collect()
    }
}

fn next_number(r: &Repo) -> u64 {
    r.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1
}

// ------------------------------------------------------------------------------------------
// The server.

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
    /// No body at all (`ctx.Status(...)`: 204, and the bare 403 of `editIssueComment`).
    empty: bool,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
            empty: false,
        }
    }

    fn empty(status: u16) -> Reply {
        Reply {
            empty: true,
            ..Reply::json(status, Value::Null)
        }
    }

    fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let json_body = if body.is_empty() {
        None
    } else {
        Some(serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
    };
    let seen = Seen {
        method: method.to_string(),
        target,
        body: json_body,
    };
    inner.seen.lock().unwrap().push(seen.clone());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let reply = route(&inner, &seen, auth.as_deref());
    let mut wait = *inner.latency.lock().unwrap();
    if seen.method == "GET" && seen.path().ends_with("/issues") {
        wait += *inner.issue_list_delay.lock().unwrap();
    }
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let mut b = Response::builder()
        .status(reply.status)
        .header("content-type", "application/json;charset=utf-8");
    for (k, v) in &reply.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let text = if reply.empty {
        String::new()
    } else {
        reply.body.to_string()
    };
    b.body(Body::from(text)).expect("response")
}

fn route(inner: &Inner, seen: &Seen, auth: Option<&str>) -> Reply {
    let path = seen.path();
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Reply::json(404, not_found(inner.kind, &inner.root));
    };
    let segs: Vec<String> = rest.split('/').map(|p| percent_decode(p, false)).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = seen.method.as_str();
    if m == "GET" && segs == ["version"] {
        return Reply::json(200, json!({ "version": inner.version }));
    }
    // reqToken(): everything else here needs the token.
    let expected = format!("token {TOKEN}");
    match auth {
        None => return Reply::json(401, api_error("token is required", &inner.root)),
        Some(a) if a != expected => {
            let message = match inner.kind {
                Kind::Gitea => "invalid username, password or token",
                Kind::Forgejo => "user does not exist [uid: 0, name: ]",
            };
            return Reply::json(401, api_error(message, &inner.root));
        }
        Some(_) => {}
    }
    let mut guard = inner.data.lock().unwrap();
    let d = &mut *guard;
    match (m, segs.as_slice()) {
        ("GET", ["orgs" | "users", owner, "repos"]) => {
            let all: Vec<Value> = d
                .repos
                .iter()
                .filter(|r| r.owner() == *owner)
                .map(|r| repo_json(inner, r))
                .collect();
            if all.is_empty() {
                return Reply::json(404, owner_not_found(inner.kind, &inner.root, owner));
            }
            paged(inner, seen, all, true)
        }
        (_, ["repos", owner, name, tail @ ..]) => {
            let full = format!("{owner}/{name}");
            let Some(r) = d.repos.iter_mut().find(|r| r.full_name == full) else {
                return Reply::json(404, not_found(inner.kind, &inner.root));
            };
            repo_route(inner, seen, r, m, tail, &mut d.next_id)
        }
        _ => Reply::json(404, not_found(inner.kind, &inner.root)),
    }
}

/// Borrow-splitting helper: `d.repos` and `d.next_id` are used together.
fn repo_route(
    inner: &Inner,
    seen: &Seen,
    r: &mut Repo,
    m: &str,
    tail: &[&str],
    next_id: &mut u64,
) -> Reply {
    let mut fresh_id = || {
        *next_id += 1;
        *next_id
    };
    let body = seen.body.clone().unwrap_or(Value::Null);
    match (m, tail) {
        ("GET", []) => Reply::json(200, repo_json(inner, r)),
        ("GET", ["branch_protections"]) => match &r.protections {
            Protections::Rules(v) => Reply::json(200, v.clone()),
            Protections::Fail(status, v) => Reply::json(*status, v.clone()),
        },
        // `GetBranch` (`reqRepoReader(unit.TypeCode)`): the rule `ToBranch` reports, with its
        // name (this fake's token is an admin's). A repository whose rules fail fails here too.
        ("GET", ["branches", name @ ..]) => {
            let name = name.join("/");
            if name != r.default_branch {
                return Reply::json(404, not_found(inner.kind, &inner.root));
            }
            match &r.protections {
                Protections::Rules(v) => {
                    let rule = v.as_array().and_then(|rules| {
                        rules.iter().find(|rule| {
                            let n = rule["rule_name"].as_str().unwrap_or_default();
                            n.eq_ignore_ascii_case(&name)
                                || n.strip_suffix('*').is_some_and(|p| {
                                    name.starts_with(p) && !name[p.len()..].contains('/')
                                })
                        })
                    });
                    Reply::json(200, branch(&name, rule, true))
                }
                Protections::Fail(status, v) => Reply::json(*status, v.clone()),
            }
        }
        ("GET", ["contents", path @ ..]) => contents(inner, seen, r, &path.join("/")),
        ("GET", ["labels"]) => {
            let all = r.labels.iter().map(|l| label_json(inner, r, l)).collect();
            paged(inner, seen, all, false)
        }
        ("POST", ["labels"]) => {
            let name = body["name"].as_str().unwrap_or_default().to_string();
            if name.is_empty() {
                return Reply::json(422, api_error("[Name]: Required", &inner.root));
            }
            let Some(color) = normalize_color(body["color"].as_str().unwrap_or_default()) else {
                return Reply::json(
                    422,
                    api_error(&format!("invalid color: {}", body["color"]), &inner.root),
                );
            };
            let label = Label {
                id: fresh_id(),
                name,
                color,
                description: body["description"].as_str().unwrap_or_default().into(),
            };
            r.labels.push(label.clone());
            Reply::json(201, label_json(inner, r, &label))
        }
        ("GET", ["issues"]) => {
            let state = seen.query("state").unwrap_or_default();
            let wanted: Vec<u64> = seen
                .query("labels")
                .map(|names| {
                    names
                        .split(',')
                        .filter_map(|n| r.label_named(n.trim()).map(|l| l.id))
                        .collect()
                })
                .unwrap_or_default();
            let mut items: Vec<&Issue> = r
                .issues
                .iter()
                .filter(|i| match state.as_str() {
                    "all" => true,
                    "closed" => i.state == "closed",
                    _ => i.state == "open",
                })
                .filter(|i| wanted.iter().all(|w| i.label_ids.contains(w)))
                .collect();
            // Newest first.
            items.sort_by_key(|i| std::cmp::Reverse(i.number));
            let all = items.iter().map(|i| issue_json(inner, r, i)).collect();
            paged(inner, seen, all, true)
        }
        ("POST", ["issues"]) => {
            let title = body["title"].as_str().unwrap_or_default().to_string();
            if title.is_empty() {
                return Reply::json(422, api_error("[Title]: Required", &inner.root));
            }
            let ids = body["labels"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect::<Vec<_>>())
                .unwrap_or_default();
            if let Some(bad) = ids.iter().find(|id| !r.labels.iter().any(|l| l.id == **id)) {
                return Reply::json(
                    422,
                    api_error(&format!("label does not exist [id: {bad}]"), &inner.root),
                );
            }
            let issue = Issue {
                id: fresh_id(),
                number: next_number(r),
                title,
                body: body["body"].as_str().unwrap_or_default().to_string(),
                state: if body["closed"] == true {
                    "closed".into()
                } else {
                    "open".into()
                },
                label_ids: ids,
            };
            r.issues.push(issue.clone());
            Reply::json(201, issue_json(inner, r, &issue))
        }
        // `EditIssueComment`/`DeleteIssueComment` (routers/api/v1/repo/issue_comment.go):
        // 200 with the comment, 204, or 404 for an id not in this repository.
        (_, ["issues", "comments", id]) => {
            let Some(idx) = id
                .parse::<u64>()
                .ok()
                .and_then(|id| r.comments.iter().position(|c| c.id == id))
            else {
                return Reply::json(404, not_found(inner.kind, &inner.root));
            };
            if r.read_only && m != "GET" {
                return Reply::empty(403);
            }
            match m {
                "GET" => Reply::json(200, comment_json(inner, r, &r.comments[idx])),
                "PATCH" => {
                    r.comments[idx].body = body["body"].as_str().unwrap_or_default().to_string();
                    Reply::json(200, comment_json(inner, r, &r.comments[idx]))
                }
                "DELETE" => {
                    r.comments.remove(idx);
                    Reply::empty(204)
                }
                _ => Reply::json(405, api_error("method not allowed", &inner.root)),
            }
        }
        (_, ["issues", n, rest @ ..]) => {
            let Some(idx) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| r.issues.iter().position(|i| i.number == n))
            else {
                return Reply::json(404, not_found(inner.kind, &inner.root));
            };
            match (m, rest) {
                ("GET", []) => Reply::json(200, issue_json(inner, r, &r.issues[idx])),
                ("PATCH", []) => {
                    let i = &mut r.issues[idx];
                    if let Some(t) = body["title"].as_str().filter(|t| !t.is_empty()) {
                        i.title = t.to_string();
                    }
                    if let Some(b) = body["body"].as_str() {
                        i.body = b.to_string();
                    }
                    if let Some(s) = body["state"].as_str() {
                        i.state = if s == "closed" { "closed" } else { "open" }.into();
                    }
                    let i = r.issues[idx].clone();
                    // EditIssue answers 201 Created.
                    Reply::json(201, issue_json(inner, r, &i))
                }
                ("POST", ["comments"]) if r.read_only => Reply::json(
                    403,
                    api_error("user should have permission to write issues", &inner.root),
                ),
                ("POST", ["comments"]) => {
                    let c = Comment {
                        id: fresh_id(),
                        issue: r.issues[idx].number,
                        body: body["body"].as_str().unwrap_or_default().to_string(),
                    };
                    r.comments.push(c.clone());
                    Reply::json(201, comment_json(inner, r, &c))
                }
                ("POST", ["labels"]) => {
                    let Some(items) = body["labels"].as_array() else {
                        return Reply::json(422, api_error("[Labels]: Required", &inner.root));
                    };
                    let ints = items.iter().all(Value::is_u64);
                    let strs = items.iter().all(Value::is_string);
                    if !ints && !strs {
                        return Reply::json(
                            400,
                            api_error(
                                "labels should be an array of strings or integers",
                                &inner.root,
                            ),
                        );
                    }
                    // Unknown ids and names are dropped silently.
                    let ids: Vec<u64> = items
                        .iter()
                        .filter_map(|v| match v {
                            Value::Number(n) => n.as_u64(),
                            Value::String(s) => r.label_named(s).map(|l| l.id),
                            _ => None,
                        })
                        .filter(|id| r.labels.iter().any(|l| l.id == *id))
                        .collect();
                    for id in ids {
                        if !r.issues[idx].label_ids.contains(&id) {
                            r.issues[idx].label_ids.push(id);
                        }
                    }
                    let labels = issue_labels(inner, r, &r.issues[idx]);
                    Reply::json(200, Value::Array(labels))
                }
                ("GET", ["comments"]) => {
                    let number = r.issues[idx].number;
                    let all = r
                        .comments
                        .iter()
                        .filter(|c| c.issue == number)
                        .map(|c| comment_json(inner, r, c))
                        .collect();
                    Reply::json(200, Value::Array(all))
                }
                _ => Reply::json(404, not_found(inner.kind, &inner.root)),
            }
        }
        _ => Reply::json(404, not_found(inner.kind, &inner.root)),
    }
}

/// `GetContentsOrList`: a file → one object with base64 content, a directory → every entry
/// (not paged) with encoding/content null, in git tree order.
fn contents(inner: &Inner, seen: &Seen, r: &Repo, path: &str) -> Reply {
    let reference = seen.query("ref").unwrap_or_default();
    let reference = if reference.is_empty() {
        r.default_branch.clone()
    } else {
        reference
    };
    if reference != r.default_branch {
        let errors = json!([format!(
            "object does not exist [id: {reference}, rel_path: ]"
        )]);
        return Reply::json(
            404,
            not_found_with(inner.kind, &inner.root, "not found", errors),
        );
    }
    let path = path.trim_matches('/');
    if let Some(text) = r.files.get(path) {
        let mut item = content_item(inner, r, path, "file", text.len(), &reference);
        item["encoding"] = json!("base64");
        item["content"] = json!(base64::engine::general_purpose::STANDARD.encode(text));
        return Reply::json(200, item);
    }
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    // name → (is dir, size)
    let mut entries: BTreeMap<String, (bool, usize)> = BTreeMap::new();
    for (p, text) in &r.files {
        let Some(rest) = p.strip_prefix(&prefix) else {
            continue;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                entries.insert(dir.to_string(), (true, 0));
            }
            None => {
                entries.insert(rest.to_string(), (false, text.len()));
            }
        }
    }
    if entries.is_empty() && !path.is_empty() {
        let errors = json!([format!("object does not exist [id: , rel_path: {path}]")]);
        return Reply::json(
            404,
            not_found_with(inner.kind, &inner.root, "GetContentsOrList", errors),
        );
    }
    let items: Vec<Value> = entries
        .iter()
        .map(|(name, (dir, size))| {
            content_item(
                inner,
                r,
                &format!("{prefix}{name}"),
                if *dir { "dir" } else { "file" },
                *size,
                &reference,
            )
        })
        .collect();
    Reply::json(200, Value::Array(items))
}

fn content_item(
    inner: &Inner,
    r: &Repo,
    path: &str,
    kind: &str,
    size: usize,
    reference: &str,
) -> Value {
    let base = &inner.url;
    let full = &r.full_name;
    let name = path.rsplit('/').next().unwrap_or(path);
    let sha = fake_sha(&format!("{full}:{path}"));
    let url = format!("{base}/api/v1/repos/{full}/contents/{path}?ref={reference}");
    let html = format!("{base}/{full}/src/branch/{reference}/{path}");
    let git = format!("{base}/api/v1/repos/{full}/git/blobs/{sha}");
    let download = if kind == "file" {
        json!(format!("{base}/{full}/raw/branch/{reference}/{path}"))
    } else {
        Value::Null
    };
    match inner.kind {
        Kind::Gitea => json!({
            "name": name, "path": path, "sha": sha,
            "last_commit_sha": fake_sha(full),
            "last_committer_date": "2025-06-01T10:00:00Z",
            "last_author_date": "2025-06-01T10:00:00Z",
            "type": kind, "size": size, "encoding": null, "content": null, "target": null,
            "url": url, "html_url": html, "git_url": git, "download_url": download,
            "submodule_git_url": null,
            "_links": { "self": url, "git": git, "html": html }
        }),
        Kind::Forgejo => json!({
            "name": name, "path": path, "sha": sha,
            "last_commit_sha": fake_sha(full),
            "last_commit_when": "2025-06-01T10:00:00Z",
            "type": kind, "size": size, "encoding": null, "content": null, "target": null,
            "url": url, "html_url": html, "git_url": git, "download_url": download,
            "submodule_git_url": null,
            "_links": { "self": url, "git": git, "html": html }
        }),
    }
}

/// 40 hex digits derived from `s` (stable, not a real hash of anything).
fn fake_sha(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!(
        "{h:016x}{:016x}{:08x}",
        h.rotate_left(17),
        h as u32 ^ 0x5a5a5a5a
    )
}

/// A page of `all` as `GetListOptions` reads `page`/`limit`, with `X-Total-Count` and, for
/// `with_link`, Gitea's `Link` header.
fn paged(inner: &Inner, seen: &Seen, all: Vec<Value>, with_link: bool) -> Reply {
    let limit = match seen.query("limit").and_then(|v| v.parse::<usize>().ok()) {
        Some(0) | None => 30,
        Some(l) => l.min(50),
    };
    let page = seen
        .query("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = all.len();
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    let mut reply = Reply::json(200, Value::Array(items))
        .header("x-total-count", &total.to_string())
        .header("access-control-expose-headers", "X-Total-Count, Link");
    if with_link {
        let links = link_header(&inner.root, seen, total, limit, page);
        if !links.is_empty() {
            reply = reply.header("link", &links);
        }
    }
    reply
}

/// `genAPILinks`: next, last, first, prev; the query re-encoded with sorted keys.
fn link_header(root: &str, seen: &Seen, total: usize, limit: usize, page: usize) -> String {
    let path = seen.path().trim_start_matches('/');
    let query: BTreeMap<String, String> = seen
        .target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let pages = total.div_ceil(limit).max(1);
    let current = page.clamp(1, pages);
    let link = |p: usize, rel: &str| {
        let mut q = query.clone();
        q.insert("page".into(), p.to_string());
        let q: Vec<String> = q
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("<{root}{path}?{}>; rel=\"{rel}\"", q.join("&"))
    };
    let mut links = Vec::new();
    if current * limit < total {
        links.push(link(current + 1, "next"));
        links.push(link(pages, "last"));
    }
    if current != 1 {
        links.push(link(1, "first"));
        links.push(link(current - 1, "prev"));
    }
    links.join(",")
}

fn repo_json(inner: &Inner, r: &Repo) -> Value {
    let mut v = repository(&inner.url, r.id, &r.full_name, &r.default_branch);
    v["archived"] = json!(r.archived);
    if r.archived {
        v["archived_at"] = json!("2025-05-01T00:00:00Z");
    }
    v
}

fn label_json(inner: &Inner, r: &Repo, l: &Label) -> Value {
    json!({
        "id": l.id,
        "name": l.name,
        "exclusive": false,
        "is_archived": false,
        "color": l.color,
        "description": l.description,
        "url": format!("{}/api/v1/repos/{}/labels/{}", inner.url, r.full_name, l.id)
    })
}

fn issue_labels(inner: &Inner, r: &Repo, i: &Issue) -> Vec<Value> {
    i.label_ids
        .iter()
        .filter_map(|id| r.labels.iter().find(|l| l.id == *id))
        .map(|l| label_json(inner, r, l))
        .collect()
}

fn poster(inner: &Inner) -> Value {
    json!({
        "id": 9, "login": "driftgate-bot", "login_name": "", "source_id": 0, "full_name": "",
        "email": "bot@example.invalid", "avatar_url": format!("{}/avatars/9", inner.url),
        "html_url": format!("{}/driftgate-bot", inner.url), "language": "",
        "is_admin": false, "last_login": "0001-01-01T00:00:00Z",
        "created": "2025-01-01T00:00:00Z", "restricted": false, "active": true,
        "prohibit_login": false, "location": "", "website": "", "description": "",
        "visibility": "public", "followers_count": 0, "following_count": 0,
        "starred_repos_count": 0, "username": "driftgate-bot"
    })
}

/// An `Issue` in the API's field order (two halves: one `json!` this size exceeds the macro
/// recursion limit).
fn issue_json(inner: &Inner, r: &Repo, i: &Issue) -> Value {
    let api = format!("{}/api/v1/repos/{}", inner.url, r.full_name);
    let comments = r.comments.iter().filter(|c| c.issue == i.number).count();
    let mut v = json!({
        "id": i.id,
        "url": format!("{api}/issues/{}", i.number),
        "html_url": format!("{}/{}/issues/{}", inner.url, r.full_name, i.number),
        "number": i.number,
        "user": poster(inner),
        "original_author": "",
        "original_author_id": 0,
        "title": i.title,
        "body": i.body,
        "ref": "",
        "assets": [],
        "labels": issue_labels(inner, r, i),
        "milestone": null,
        "assignee": null,
        "assignees": null,
    });
    let rest = json!({
        "state": i.state,
        "is_locked": false,
        "comments": comments,
        "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2025-06-01T10:00:00Z",
        "closed_at": if i.state == "closed" { json!("2025-06-02T10:00:00Z") } else { Value::Null },
        "due_date": null,
        "time_estimate": 0,
        "pull_request": null,
        "repository": {
            "id": r.id,
            "name": r.full_name.split('/').nth(1).unwrap_or_default(),
            "owner": r.owner(),
            "full_name": r.full_name
        },
        "pin_order": 0
    });
    v.as_object_mut()
        .unwrap()
        .extend(rest.as_object().unwrap().clone());
    v
}

fn comment_json(inner: &Inner, r: &Repo, c: &Comment) -> Value {
    json!({
        "id": c.id,
        "html_url": format!("{}/{}/issues/{}#issuecomment-{}", inner.url, r.full_name, c.issue, c.id),
        "pull_request_url": "",
        "issue_url": format!("{}/{}/issues/{}", inner.url, r.full_name, c.issue),
        "user": poster(inner),
        "original_author": "",
        "original_author_id": 0,
        "body": c.body,
        "assets": [],
        "created_at": "2025-06-02T10:00:00Z",
        "updated_at": "2025-06-02T10:00:00Z"
    })
}

/// `NormalizeColor`: lowercase, `#` optional, `abc` expanded; the API answers without `#`.
fn normalize_color(c: &str) -> Option<String> {
    let hex = c.trim().trim_start_matches('#').to_ascii_lowercase();
    if !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(hex),
        3 => Some(hex.chars().flat_map(|ch| [ch, ch]).collect()),
        _ => None,
    }
}

fn not_found_with(kind: Kind, root: &str, message: &str, errors: Value) -> Value {
    let url = format!("{root}api/swagger");
    match kind {
        Kind::Gitea => json!({ "errors": errors, "message": message, "url": url }),
        Kind::Forgejo => json!({ "message": message, "url": url, "errors": errors }),
    }
}

fn owner_not_found(kind: Kind, root: &str, owner: &str) -> Value {
    not_found_with(
        kind,
        root,
        "GetUserByName",
        json!([format!("user redirect does not exist [name: {owner}]")]),
    )
}

/// Gitea's non-admin answer on branch protections.
pub fn not_admin(root: &str) -> Value {
    api_error(
        "user should be an owner or a collaborator with admin write of a repository",
        root,
    )
}

fn decode(s: &str) -> String {
    percent_decode(s, true)
}

/// Percent-decoding; `+` is a space in a query, itself in a path.
fn percent_decode(s: &str, query: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%' && i + 3 <= b.len())
            .then(|| std::str::from_utf8(&b[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', None) if query => {
                out.push(b' ');
                i += 1;
            }
            (c, None) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url.QueryEscape`.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
