//! runtime-pin against an in-process fake control plane: every outcome, the fail-closed paths,
//! `--wait` with a pin that moves and one that never does, and a record proving only GET is sent.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, StatusCode};
use axum::routing::any;

const OLD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const TOKEN: &str = "cp-test-token-8d41b7e2c9";

/// Method and Authorization header of every request the fake received.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// What the fake answers: status, content type, body; may change over time.
type Answer = Arc<dyn Fn(Duration) -> (u16, &'static str, String) + Send + Sync>;

#[derive(Clone)]
struct Fake {
    answer: Answer,
    started: Instant,
    seen: Seen,
}

fn pins(prod: &str, staging: &str) -> String {
    format!(
        r#"{{"runtime_image_pins": [
            {{"environment": "prod", "service": "api", "image_digest": "{prod}"}},
            {{"environment": "staging", "service": "api", "image_digest": "{staging}"}},
            {{"environment": "dev", "service": "api", "image_digest": "not-a-digest"}}
        ]}}"#
    )
}

fn serve(answer: Answer) -> (SocketAddr, Seen) {
    let fake = Fake {
        answer,
        started: Instant::now(),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let seen = fake.seen.clone();
    let app = Router::new().route(
        "/pins",
        any(move |method: Method, headers: HeaderMap| {
            let fake = fake.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                fake.seen
                    .lock()
                    .expect("lock")
                    .push((method.to_string(), auth));
                let (status, kind, body) = (fake.answer)(fake.started.elapsed());
                Response::builder()
                    .status(StatusCode::from_u16(status).expect("status"))
                    .header("content-type", kind)
                    .body(Body::from(body))
                    .expect("response")
            }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
    });
    (addr, seen)
}

fn json(status: u16, body: String) -> Answer {
    Arc::new(move |_| (status, "application/json", body.clone()))
}

fn driftgate(args: &[&str], token: Option<&str>) -> (Output, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.arg("runtime-pin").args(args);
    for v in [
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITEA_STEP_SUMMARY",
        "FORGEJO_STEP_SUMMARY",
        "DRIFTGATE_TOKEN",
        "GITEA_TOKEN",
        "FORGEJO_TOKEN",
        "GITHUB_TOKEN",
    ] {
        cmd.env_remove(v);
    }
    if let Some(t) = token {
        cmd.env("DRIFTGATE_TOKEN", t);
    }
    let start = Instant::now();
    let out = cmd.output().expect("run driftgate");
    (out, start.elapsed())
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/pins")
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn in_sync_is_clean_and_sends_one_bearer_get() {
    let (addr, seen) = serve(json(200, pins(NEW, OLD)));
    let u = url(addr);
    let (out, _) = driftgate(
        &[
            "--digest",
            NEW,
            "--url",
            &u,
            "--match",
            "environment=prod",
            "--json",
        ],
        Some(TOKEN),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["result"], "clean");
    assert_eq!(r["pinned"][0], NEW);
    assert_eq!(r["reads"], 1);
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(
        seen,
        vec![("GET".to_string(), Some(format!("Bearer {TOKEN}")))]
    );
}

#[test]
fn mismatch_missing_and_malformed_are_findings() {
    let (addr, _) = serve(json(200, pins(NEW, OLD)));
    let u = url(addr);
    for (m, kind) in [
        ("environment=staging", "mismatch"),
        ("environment=qa", "missing-pin"),
        ("environment=dev", "malformed-pin"),
    ] {
        let (out, _) = driftgate(
            &["--digest", NEW, "--url", &u, "--match", m, "--json"],
            Some(TOKEN),
        );
        assert_eq!(out.status.code(), Some(2), "{m}");
        let r = report(&out);
        assert_eq!(r["findings"][0]["kind"], kind, "{m}");
        if kind == "mismatch" {
            let msg = r["findings"][0]["message"].as_str().expect("message");
            assert!(msg.contains(NEW) && msg.contains(OLD), "{msg}");
        }
    }
}

#[test]
fn digest_file_from_buildx_metadata() {
    let (addr, _) = serve(json(200, pins(NEW, OLD)));
    let dir = std::env::temp_dir().join(format!("driftgate-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let meta = dir.join("metadata.json");
    std::fs::write(
        &meta,
        format!(r#"{{"containerimage.digest": "{NEW}", "image.name": "r/app:1"}}"#),
    )
    .expect("write");
    let (out, _) = driftgate(
        &[
            "--digest-file",
            meta.to_str().expect("utf8"),
            "--url",
            &url(addr),
            "--match",
            "environment=prod",
        ],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn usage_errors_exit_1_without_a_request() {
    let (addr, seen) = serve(json(200, pins(NEW, OLD)));
    let u = url(addr);
    let (out, _) = driftgate(&["--digest", "sha256:ABC", "--url", &u], Some(TOKEN));
    assert_eq!(out.status.code(), Some(1));
    let (out, _) = driftgate(&["--digest", NEW, "--url", &u], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no token"));
    let (out, _) = driftgate(
        &["--digest", NEW, "--url", &u, "--match", "novalue"],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(1));
    let (out, _) = driftgate(&["--url", &u], Some(TOKEN));
    assert_eq!(out.status.code(), Some(1), "clap usage error must exit 1");
    assert!(seen.lock().expect("lock").is_empty());
}

#[test]
fn fail_closed_answers() {
    let cases: Vec<(Answer, i32, &str)> = vec![
        (json(401, r#"{"message":"unauthorized"}"#.into()), 3, "401"),
        (json(403, r#"{"message":"forbidden"}"#.into()), 3, "403"),
        (json(500, r#"{"message":""}"#.into()), 5, "500"),
        (
            Arc::new(|_| (200, "text/html", "<html><body>login</body></html>".into())),
            5,
            "html",
        ),
        (
            json(200, r#"{"runtime_image_pins": {"prod": "x"}}"#.into()),
            5,
            "rows not an array",
        ),
        (json(200, r#"{"pins": []}"#.into()), 5, "no rows"),
        (
            json(200, r#"{"runtime_image_pins": ["#.into()),
            5,
            "truncated",
        ),
    ];
    for (answer, code, what) in cases {
        let (addr, seen) = serve(answer);
        let (out, _) = driftgate(
            &[
                "--digest",
                NEW,
                "--url",
                &url(addr),
                "--match",
                "environment=prod",
            ],
            Some(TOKEN),
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "{what}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            seen.lock().expect("lock").iter().all(|(m, _)| m == "GET"),
            "{what}"
        );
    }
}

#[test]
fn refused_and_silent_servers_are_unreachable_within_the_timeout() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (out, _) = driftgate(
        &[
            "--digest",
            NEW,
            "--url",
            &format!("http://127.0.0.1:{port}/pins"),
        ],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(5));
    // Accepts connections, never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("addr");
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().take(8).flatten() {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let (out, took) = driftgate(
        &[
            "--digest",
            NEW,
            "--url",
            &format!("http://{addr}/pins"),
            "--timeout",
            "1",
        ],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no answer within 1s"));
    assert!(
        took < Duration::from_secs(20),
        "bounded by --timeout and retries: {took:?}"
    );
    drop(holder);
}

#[test]
fn wait_succeeds_when_the_pin_moves() {
    let answer: Answer = Arc::new(|t| {
        let prod = if t < Duration::from_secs(2) { OLD } else { NEW };
        (200, "application/json", pins(prod, OLD))
    });
    let (addr, seen) = serve(answer);
    let (out, _) = driftgate(
        &[
            "--digest",
            NEW,
            "--url",
            &url(addr),
            "--match",
            "environment=prod",
            "--wait",
            "20",
            "--json",
        ],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(0));
    let r = report(&out);
    let reads = r["reads"].as_u64().expect("reads");
    assert!(reads >= 2, "{reads}");
    assert_eq!(seen.lock().expect("lock").len() as u64, reads);
    assert!(r["waited_seconds"].as_f64().expect("waited") >= 1.5);
}

#[test]
fn wait_gives_up_with_a_finding_when_the_pin_never_moves() {
    let (addr, _) = serve(json(200, pins(OLD, OLD)));
    let (out, took) = driftgate(
        &[
            "--digest",
            NEW,
            "--url",
            &url(addr),
            "--match",
            "environment=prod",
            "--wait",
            "3",
            "--json",
        ],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(2));
    let r = report(&out);
    assert_eq!(r["findings"][0]["kind"], "mismatch");
    assert!(r["reads"].as_u64().expect("reads") >= 2);
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(15),
        "{took:?}"
    );
}
