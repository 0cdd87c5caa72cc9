//! Proxies from the environment are honoured (`HTTP_PROXY`/`HTTPS_PROXY`, and `NO_PROXY` to
//! bypass them): the forge is `http://localhost:9`, where nothing listens, so only a request sent
//! through the proxy can succeed (and no name is looked up off this machine). The "proxy"
//! answers as the forge would and records what it was asked.

use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, Uri};
use axum::routing::any;

type Seen = Arc<Mutex<Vec<String>>>;

fn proxy() -> (u16, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = Router::new().fallback(any(move |uri: Uri, headers: HeaderMap| {
        let record = record.clone();
        async move {
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
            record.lock().expect("lock").push(format!("{uri} host={host}"));
            let body = match uri.path() {
                "/api/v1/version" => r#"{"version":"1.24.3"}"#.to_string(),
                "/api/v1/repos/acme/widget" => {
                    r#"{"id":1,"full_name":"acme/widget","default_branch":"main","archived":false}"#.to_string()
                }
                "/api/v1/repos/acme/widget/branches/main" => {
                    r#"{"name":"main","protected":false,"required_approvals":0,"enable_status_check":false,"status_check_contexts":[],"user_can_push":true,"user_can_merge":true,"effective_branch_protection_name":""}"#.to_string()
                }
                _ => r#"{"errors":null,"message":"not found","url":"http://localhost:9/api/swagger"}"#.to_string(),
            };
            ([("content-type", "application/json")], body)
        }
    }));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(l, app).await;
        });
    });
    (port, seen)
}

fn run(env: &[(&str, String)]) -> Output {
    let root = std::env::temp_dir().join(format!("driftgate-proxy-{}", std::process::id()));
    std::fs::create_dir_all(root.join(".gitea/workflows")).expect("dir");
    std::fs::write(
        root.join(".gitea/workflows/ci.yml"),
        "name: ci\non: push\njobs:\n  a:\n    runs-on: x\n",
    )
    .expect("write");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.args([
        "required-checks",
        "--server",
        "http://localhost:9",
        "--repo",
        "acme/widget",
        "--json",
    ])
    .args(["--timeout", "5"])
    .arg("--root")
    .arg(&root);
    for v in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_BASE_REF",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("DRIFTGATE_TOKEN", "proxy-test-token-9b2");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run driftgate")
}

fn result(out: &Output) -> String {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    doc["result"].as_str().unwrap_or_default().to_string()
}

#[test]
fn requests_go_through_the_proxy_from_the_environment() {
    let (port, seen) = proxy();
    let out = run(&[("HTTP_PROXY", format!("http://127.0.0.1:{port}"))]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(result(&out), "clean");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.iter().all(|s| s.contains("host=localhost:9")),
        "{seen:?}"
    );
    assert!(seen[2].contains("/api/v1/repos/acme/widget/branches/main"));
}

#[test]
fn no_proxy_bypasses_it_and_the_forge_itself_is_unreachable() {
    let (port, seen) = proxy();
    let out = run(&[
        ("HTTP_PROXY", format!("http://127.0.0.1:{port}")),
        ("NO_PROXY", "localhost".to_string()),
    ]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(result(&out), "unreachable");
    assert!(seen.lock().expect("lock").is_empty());
    // And without any proxy at all, the same.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(5));
}
