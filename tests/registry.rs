//! runtime-pin's registry source against a REAL registry (Debian's `docker-registry`, started
//! here on 127.0.0.1 with its own storage), images uploaded through the distribution API, with
//! and without htpasswd auth; and the Bearer token flow against a fake registry and token
//! endpoint run by the test. Skipped with a printed reason where `docker-registry`/`htpasswd`
//! are missing, unless DRIFTGATE_REQUIRE_REGISTRY is set (as `.ci/run` does).

mod support;

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, Method, Response};
use axum::routing::any;
use serde_json::{Value, json};
use support::registry::{Registry, start};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const UNRELATED: &str = "sha256:9999999999999999999999999999999999999999999999999999999999999999";

fn sha256(b: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, b);
    format!(
        "sha256:{}",
        d.as_ref()
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    )
}

/// Uploads through the distribution API (monolithic blob upload, manifest PUT).
struct Pusher {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    basic: Option<(String, String)>,
}

impl Pusher {
    fn new(reg: &Registry, basic: Option<(&str, &str)>) -> Pusher {
        Pusher::at(&reg.addr, basic)
    }

    fn at(addr: &str, basic: Option<(&str, &str)>) -> Pusher {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Pusher {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt"),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            base: format!("http://{addr}"),
            basic: basic.map(|(u, p)| (u.to_string(), p.to_string())),
        }
    }

    fn auth(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.basic {
            Some((u, p)) => r.basic_auth(u, Some(p)),
            None => r,
        }
    }

    fn blob(&self, repo: &str, bytes: &[u8]) -> (String, usize) {
        let digest = sha256(bytes);
        self.rt.block_on(async {
            let r = self
                .auth(
                    self.client
                        .post(format!("{}/v2/{repo}/blobs/uploads/", self.base)),
                )
                .send()
                .await
                .expect("start upload");
            assert_eq!(r.status().as_u16(), 202, "start upload");
            let loc = r.headers()["location"]
                .to_str()
                .expect("location")
                .to_string();
            let loc = if loc.starts_with("http") {
                loc
            } else {
                format!("{}{loc}", self.base)
            };
            let sep = if loc.contains('?') { '&' } else { '?' };
            let r = self
                .auth(self.client.put(format!("{loc}{sep}digest={digest}")))
                .header("content-type", "application/octet-stream")
                .body(bytes.to_vec())
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status().as_u16(), 201, "upload blob");
        });
        (digest, bytes.len())
    }

    fn manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &Value,
    ) -> (String, usize) {
        let bytes = serde_json::to_vec(body).expect("json");
        self.rt.block_on(async {
            let r = self
                .auth(
                    self.client
                        .put(format!("{}/v2/{repo}/manifests/{reference}", self.base)),
                )
                .header("content-type", media_type)
                .body(bytes.clone())
                .send()
                .await
                .expect("put manifest");
            assert_eq!(
                r.status().as_u16(),
                201,
                "put manifest: {:?}",
                r.text().await
            );
        });
        (sha256(&bytes), bytes.len())
    }

    /// A one-layer image for `arch`; `seed` makes it unique.
    fn image(
        &self,
        repo: &str,
        tag: &str,
        arch: &str,
        seed: &str,
        docker: bool,
    ) -> (String, usize) {
        let config = json!({"architecture": arch, "os": "linux", "config": {"Labels": {"seed": seed}},
            "rootfs": {"type": "layers", "diff_ids": []}});
        let (cd, cs) = self.blob(repo, &serde_json::to_vec(&config).expect("json"));
        let (ld, ls) = self.blob(repo, format!("layer {seed} {arch}").as_bytes());
        let (mt, cmt, lmt) = if docker {
            (
                DOCKER_MANIFEST,
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            )
        } else {
            (
                OCI_MANIFEST,
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar",
            )
        };
        let m = json!({"schemaVersion": 2, "mediaType": mt,
            "config": {"mediaType": cmt, "digest": cd, "size": cs},
            "layers": [{"mediaType": lmt, "digest": ld, "size": ls}]});
        self.manifest(repo, tag, mt, &m)
    }

    /// A two-platform index; returns (index digest, amd64 digest, arm64 digest).
    fn index(&self, repo: &str, tag: &str, seed: &str) -> (String, String, String) {
        let (amd, amd_size) = self.image(repo, &format!("{tag}-amd64"), "amd64", seed, false);
        let (arm, arm_size) = self.image(repo, &format!("{tag}-arm64"), "arm64", seed, false);
        let idx = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd, "size": amd_size, "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm, "size": arm_size, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ]});
        let (d, _) = self.manifest(repo, tag, OCI_INDEX, &idx);
        (d, amd, arm)
    }
}

fn driftgate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.arg("runtime-pin")
        .args(args)
        .arg("--json")
        .args(["--timeout", "5"]);
    for v in [
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "DRIFTGATE_REGISTRY_USERNAME",
        "DRIFTGATE_REGISTRY_PASSWORD",
        "DOCKER_CONFIG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    // No docker config of the machine's user: only what a test writes.
    cmd.env("HOME", "/nonexistent-driftgate-home");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run driftgate")
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn single_manifests_in_sync_moved_and_missing() {
    let Some(reg) = start("single", None) else {
        return;
    };
    let p = Pusher::new(&reg, None);
    let (v1, _) = p.image("team/app", "v1", "amd64", "one", false);
    let image = format!("{}/team/app:v1", reg.addr);

    let out = driftgate(&["--digest", &v1, "--image", &image], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = report(&out);
    assert_eq!(r["source"]["digest_kind"], "manifest");
    assert_eq!(r["source"]["expected_is"], "manifest");
    assert_eq!(r["source"]["media_type"], OCI_MANIFEST);
    assert_eq!(r["pinned"][0], v1.as_str());

    // The tag moves to another image: the old digest is now drift.
    let (v2, _) = p.image("team/app", "v1", "amd64", "two", false);
    let out = driftgate(&["--digest", &v1, "--image", &image], &[]);
    assert_eq!(out.status.code(), Some(2));
    let msg = report(&out)["findings"][0]["message"]
        .as_str()
        .expect("msg")
        .to_string();
    assert!(msg.contains(&v1) && msg.contains(&v2), "{msg}");

    // A tag that does not exist is a missing pin, not an outage.
    let out = driftgate(
        &[
            "--digest",
            &v1,
            "--image",
            &format!("{}/team/app:nope", reg.addr),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(report(&out)["findings"][0]["kind"], "missing-pin");

    // Docker's own manifest media type resolves too.
    let (d, _) = p.image("team/legacy", "v1", "amd64", "docker", true);
    let out = driftgate(
        &[
            "--digest",
            &d,
            "--image",
            &format!("{}/team/legacy:v1", reg.addr),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(report(&out)["source"]["media_type"], DOCKER_MANIFEST);
}

#[test]
fn multi_platform_index_by_index_or_platform_digest() {
    let Some(reg) = start("index", None) else {
        return;
    };
    let p = Pusher::new(&reg, None);
    let (index, _amd, arm) = p.index("team/multi", "v3", "m");
    let image = format!("{}/team/multi:v3", reg.addr);

    let out = driftgate(&["--digest", &index, "--image", &image], &[]);
    assert_eq!(out.status.code(), Some(0));
    let r = report(&out);
    assert_eq!(r["source"]["digest_kind"], "index");
    assert_eq!(r["source"]["expected_is"], "index");

    let out = driftgate(&["--digest", &arm, "--image", &image], &[]);
    assert_eq!(out.status.code(), Some(0));
    let r = report(&out);
    assert_eq!(
        r["source"]["expected_is"],
        "platform manifest (linux/arm64/v8)"
    );
    assert_eq!(r["findings"][0]["kind"], "platform-manifest");

    let out = driftgate(&["--digest", UNRELATED, "--image", &image], &[]);
    assert_eq!(out.status.code(), Some(2));
    let r = report(&out);
    assert_eq!(r["findings"][0]["kind"], "mismatch");
    assert_eq!(r["source"]["platforms"].as_array().map(Vec::len), Some(2));
}

#[test]
fn htpasswd_basic_credentials() {
    let (user, pass) = ("publisher", "pw-7c1e5f0a93d2");
    let Some(reg) = start("basic", Some((user, pass))) else {
        return;
    };
    let p = Pusher::new(&reg, Some((user, pass)));
    let (d, _) = p.image("team/private", "v1", "amd64", "secret", false);
    let image = format!("{}/team/private:v1", reg.addr);

    let out = driftgate(&["--digest", &d, "--image", &image], &[]);
    assert_eq!(out.status.code(), Some(3), "no credentials");
    let out = driftgate(
        &["--digest", &d, "--image", &image],
        &[
            ("DRIFTGATE_REGISTRY_USERNAME", user),
            ("DRIFTGATE_REGISTRY_PASSWORD", "wrong-password"),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "wrong credentials");
    let out = driftgate(
        &["--digest", &d, "--image", &image],
        &[
            ("DRIFTGATE_REGISTRY_USERNAME", user),
            ("DRIFTGATE_REGISTRY_PASSWORD", pass),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for s in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(s).contains(pass));
    }

    // What `docker login` leaves in config.json (docker/cli `configfile`): base64 `auth`.
    use base64::Engine as _;
    let config = std::env::temp_dir().join(format!("dg-docker-config-{}", std::process::id()));
    std::fs::create_dir_all(&config).expect("config dir");
    let write = |user: &str, pass: &str| {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        std::fs::write(
            config.join("config.json"),
            json!({"auths": {format!("http://{}", reg.addr): {"auth": auth}}}).to_string(),
        )
        .expect("config.json");
    };
    let dir = config.display().to_string();
    write(user, pass);
    let out = driftgate(
        &["--digest", &d, "--image", &image],
        &[("DOCKER_CONFIG", &dir)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    write(user, "wrong-password");
    let out = driftgate(
        &["--digest", &d, "--image", &image],
        &[("DOCKER_CONFIG", &dir)],
    );
    assert_eq!(out.status.code(), Some(3), "the config's wrong password");
    std::fs::write(config.join("config.json"), "{not json").expect("broken");
    let out = driftgate(
        &["--digest", &d, "--image", &image],
        &[("DOCKER_CONFIG", &dir)],
    );
    assert_eq!(out.status.code(), Some(1), "an unreadable config is usage");
    let _ = std::fs::remove_dir_all(&config);
}

#[test]
fn wait_until_the_tag_is_pushed() {
    let Some(reg) = start("wait", None) else {
        return;
    };
    let p = Pusher::new(&reg, None);
    // The same image under another tag first; `prod` arrives while driftgate polls.
    let (d, _) = p.image("team/late", "staging", "amd64", "late", false);
    let image = format!("{}/team/late:prod", reg.addr);
    let out = driftgate(&["--digest", &d, "--image", &image, "--wait", "1"], &[]);
    assert_eq!(out.status.code(), Some(2), "not there yet");
    assert_eq!(report(&out)["findings"][0]["kind"], "missing-pin");

    let addr = reg.addr.clone();
    let pusher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        Pusher::at(&addr, None)
            .image("team/late", "prod", "amd64", "late", false)
            .0
    });
    let out = driftgate(&["--digest", &d, "--image", &image, "--wait", "30"], &[]);
    assert_eq!(
        pusher.join().expect("pusher"),
        d,
        "the same image, so the same digest"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = report(&out);
    assert!(r["reads"].as_u64().expect("reads") >= 2);
    assert!(r["waited_seconds"].as_f64().expect("waited") >= 1.0);
    // A line per read: what it read, what it wanted, the time left.
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("runtime-pin: read "))
        .collect();
    assert!(lines.len() >= 2, "{err}");
    assert!(
        lines[0].contains("missing-pin") && lines[0].contains(&format!("wanted {d}")),
        "{err}"
    );
    assert!(lines[0].contains("s left"), "{err}");
    assert!(lines.last().unwrap().contains("in sync"), "{err}");
}

/// Every request the fake registry received: method, path with query, Authorization.
type Log = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

const BEARER: &str = "reg-bearer-3f9a0c7d51";
/// `robot:tok-pass-5521`, base64.
const BASIC: &str = "Basic cm9ib3Q6dG9rLXBhc3MtNTUyMQ==";

fn manifest_body() -> Vec<u8> {
    serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": UNRELATED, "size": 2},
        "layers": []}))
    .expect("json")
}

/// A registry that answers anonymous reads with a Bearer challenge, and its token endpoint
/// (which wants basic credentials). `head` false makes HEAD answer 405 and GET omit the digest
/// header, so the client must fall back to GET and hash the body.
fn fake_registry(head: bool) -> (SocketAddr, Log) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let record = log.clone();
    let app = Router::new().fallback(any(
        move |method: Method, uri: axum::http::Uri, RawQuery(_q): RawQuery, headers: HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
                let path = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
                record.lock().expect("lock").push((method.to_string(), path.clone(), auth.clone()));
                let resp = Response::builder();
                if path.starts_with("/token") {
                    return if auth.as_deref() == Some(BASIC) {
                        resp.status(200)
                            .header("content-type", "application/json")
                            .body(Body::from(json!({"token": BEARER, "expires_in": 300}).to_string()))
                    } else {
                        resp.status(401).body(Body::from(r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#))
                    }
                    .expect("response");
                }
                if auth.as_deref() != Some(&format!("Bearer {BEARER}")) {
                    return resp
                        .status(401)
                        .header(
                            "www-authenticate",
                            format!(r#"Bearer realm="http://{addr}/token",service="fake-registry",scope="repository:team/app:pull""#),
                        )
                        .header("content-type", "application/json")
                        .body(Body::from(r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#))
                        .expect("response");
                }
                let body = manifest_body();
                match (method.as_str(), head) {
                    ("HEAD", true) => resp
                        .status(200)
                        .header("content-type", OCI_MANIFEST)
                        .header("docker-content-digest", sha256(&body))
                        .body(Body::empty()),
                    ("HEAD", false) => resp.status(405).body(Body::empty()),
                    _ => resp.status(200).header("content-type", OCI_MANIFEST).body(Body::from(body)),
                }
                .expect("response")
            }
        },
    ));
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
    (addr, log)
}

const ROBOT: [(&str, &str); 2] = [
    ("DRIFTGATE_REGISTRY_USERNAME", "robot"),
    ("DRIFTGATE_REGISTRY_PASSWORD", "tok-pass-5521"),
];

#[test]
fn bearer_challenge_flow_with_a_token_endpoint() {
    let (addr, log) = fake_registry(true);
    let expected = sha256(&manifest_body());
    let out = driftgate(
        &[
            "--digest",
            &expected,
            "--image",
            &format!("{addr}/team/app:v1"),
        ],
        &ROBOT,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let log = log.lock().expect("lock").clone();
    let summary: Vec<(String, String)> =
        log.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    assert_eq!(
        summary[0],
        ("HEAD".to_string(), "/v2/team/app/manifests/v1".to_string())
    );
    assert_eq!(summary[1].0, "GET");
    assert!(
        summary[1]
            .1
            .starts_with("/token?service=fake-registry&scope=repository%3Ateam%2Fapp%3Apull"),
        "{summary:?}"
    );
    assert_eq!(
        summary[2],
        ("HEAD".to_string(), "/v2/team/app/manifests/v1".to_string())
    );
    assert!(
        log.iter().all(|(m, _, _)| m == "GET" || m == "HEAD"),
        "read-only: {log:?}"
    );
    // The bearer token goes only to the registry, the basic credentials only to the token endpoint.
    assert_eq!(
        log[2].2.as_deref(),
        Some(format!("Bearer {BEARER}").as_str())
    );
    for s in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(s);
        assert!(
            !text.contains(BEARER) && !text.contains("tok-pass-5521"),
            "{text}"
        );
    }
}

#[test]
fn head_refused_falls_back_to_get_and_hashes_the_body() {
    let (addr, log) = fake_registry(false);
    let expected = sha256(&manifest_body());
    let out = driftgate(
        &[
            "--digest",
            &expected,
            "--image",
            &format!("{addr}/team/app:v1"),
        ],
        &ROBOT,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let methods: Vec<String> = log
        .lock()
        .expect("lock")
        .iter()
        .map(|(m, _, _)| m.clone())
        .collect();
    assert_eq!(methods, ["HEAD", "GET", "HEAD", "GET"]);
}

#[test]
fn a_token_endpoint_that_refuses_is_auth() {
    let (addr, _) = fake_registry(true);
    let expected = sha256(&manifest_body());
    let out = driftgate(
        &[
            "--digest",
            &expected,
            "--image",
            &format!("{addr}/team/app:v1"),
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
