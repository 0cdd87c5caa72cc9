//! driftgate's Docker engine client against a hostile fake engine: a tiny HTTP/1.1 server on a
//! Unix socket in this process (`--docker-host unix://<socket>`), answering what a broken or
//! malicious engine could: a body far past the cap (streamed, never held here either), an
//! answer that stalls, a refusal, a body that is not JSON. driftgate runs as the real binary
//! under an address-space limit and a watchdog. All traffic stays on the socket, except for
//! plain `tcp://` (the same fake on 127.0.0.1) and the TLS cases: an `openssl s_server` on
//! 127.0.0.1 requiring a client certificate.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/s_server.rs"]
mod s_server;

/// The engine client's cap on an answer (`MAX_BODY_BYTES` in src/checks/image_drift/engine.rs).
const CAP: u64 = 64 * 1024 * 1024;
/// What the "huge" answers offer: 2.5 GiB, as in the report that started this.
const HUGE: u64 = 5 * 512 * 1024 * 1024;
/// The address space driftgate runs in: far less than a huge answer.
const ADDRESS_SPACE: u64 = 1024 * 1024 * 1024;
/// Any run taking longer is killed and the test fails.
const WATCHDOG: Duration = Duration::from_secs(60);

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// What the fake engine does for one request.
#[derive(Clone)]
enum Answer {
    /// Status and JSON (or any) body, with its Content-Length and content type.
    Body(u16, &'static str, String),
    /// 200 and a JSON array of containers that never ends before `HUGE` bytes, in chunked
    /// encoding (no length up front), generated as it is sent.
    HugeChunked,
    /// 200 with `Content-Length: HUGE`, then the same stream.
    HugeWithLength,
    /// Headers (with a Content-Length), then nothing: the body never comes.
    StallAfterHeaders,
    /// Nothing at all: not even headers.
    StallBeforeHeaders,
}

struct Fake {
    /// `unix://<socket>` or `tcp://127.0.0.1:<port>`.
    url: String,
    /// The socket file, for a Unix-socket fake.
    path: Option<PathBuf>,
    /// Request lines seen (`GET /path?query`), in order.
    requests: Arc<Mutex<Vec<String>>>,
    /// Body bytes the fake managed to send.
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Fake {
    /// A fake engine on a fresh Unix socket.
    fn start(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Fake {
        let path = std::env::temp_dir().join(format!(
            "driftgate-fake-engine-{}-{}.sock",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind fake engine");
        let fake = Fake::new(format!("unix://{}", path.display()), Some(path));
        let (r, s, halt) = (fake.requests.clone(), fake.sent.clone(), fake.stop.clone());
        let answer: Arc<Answerer> = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let Ok(read) = conn.try_clone() else { continue };
                let (r, s, halt, answer) = (r.clone(), s.clone(), halt.clone(), answer.clone());
                std::thread::spawn(move || serve(read, conn, &*answer, &r, &s, &halt));
            }
        });
        fake
    }

    /// The same fake engine on 127.0.0.1, for `tcp://`.
    fn start_tcp(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Fake {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake engine");
        let port = listener.local_addr().expect("addr").port();
        let fake = Fake::new(format!("tcp://127.0.0.1:{port}"), None);
        let (r, s, halt) = (fake.requests.clone(), fake.sent.clone(), fake.stop.clone());
        let answer: Arc<Answerer> = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let Ok(read) = conn.try_clone() else { continue };
                let (r, s, halt, answer) = (r.clone(), s.clone(), halt.clone(), answer.clone());
                std::thread::spawn(move || serve(read, conn, &*answer, &r, &s, &halt));
            }
        });
        fake
    }

    fn new(url: String, path: Option<PathBuf>) -> Fake {
        Fake {
            url,
            path,
            requests: Arc::new(Mutex::new(Vec::new())),
            sent: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        match &self.path {
            Some(p) => {
                let _ = UnixStream::connect(p);
                let _ = std::fs::remove_file(p);
            }
            None => {
                if let Some(addr) = self.url.strip_prefix("tcp://") {
                    let _ = std::net::TcpStream::connect(addr);
                }
            }
        }
    }
}

type Answerer = dyn Fn(&str) -> Answer + Send + Sync;

/// One connection (its two halves), keep-alive: read a request head, answer it, repeat.
fn serve(
    read: impl Read,
    mut out: impl Write,
    answer: &Answerer,
    requests: &Mutex<Vec<String>>,
    sent: &AtomicU64,
    stop: &AtomicBool,
) {
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        // The rest of the head; driftgate's requests have no body.
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" || h == "\n" {
                break;
            }
        }
        let target = line
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        requests.lock().expect("lock").push(target.clone());
        let path = target.split_once(' ').map_or("", |(_, p)| p).to_string();
        match answer(&path) {
            Answer::Body(code, kind, body) => {
                let head = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if out.write_all(head.as_bytes()).is_err()
                    || out.write_all(body.as_bytes()).is_err()
                {
                    return;
                }
            }
            Answer::HugeChunked => {
                let _ = out.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                );
                stream_huge(&mut out, true, sent, stop);
                return;
            }
            Answer::HugeWithLength => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n"
                );
                let _ = out.write_all(head.as_bytes());
                stream_huge(&mut out, false, sent, stop);
                return;
            }
            Answer::StallAfterHeaders => {
                let _ = out.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[",
                );
                stall(stop);
                return;
            }
            Answer::StallBeforeHeaders => {
                stall(stop);
                return;
            }
        }
    }
}

fn stall(stop: &AtomicBool) {
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < WATCHDOG {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `[` and then container entries, 1 MiB at a time from one reused buffer, until `HUGE` bytes
/// were offered or the reader went away.
fn stream_huge(out: &mut impl Write, chunked: bool, sent: &AtomicU64, stop: &AtomicBool) {
    let entry = br#"{"Id":"c","Names":["/n"],"Image":"i","ImageID":"sha256:x","Labels":{"a":"b"},"State":"running"},"#;
    let mut block = Vec::with_capacity(1 << 20);
    block.push(b'[');
    while block.len() + entry.len() <= 1 << 20 {
        block.extend_from_slice(entry);
    }
    let mut total = 0u64;
    let mut first = true;
    while total < HUGE && !stop.load(Ordering::SeqCst) {
        let data = if first { &block[..] } else { &block[1..] };
        first = false;
        let ok = if chunked {
            out.write_all(format!("{:x}\r\n", data.len()).as_bytes())
                .and_then(|()| out.write_all(data))
                .and_then(|()| out.write_all(b"\r\n"))
        } else {
            out.write_all(data)
        };
        if ok.is_err() {
            return;
        }
        total += data.len() as u64;
        sent.store(total, Ordering::SeqCst);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn report(&self, code: i32) -> Value {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let r: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr));
        assert_eq!(r["exit_code"], code, "{r:#}");
        r
    }

    /// The message of the one error finding.
    fn error(&self, code: i32) -> String {
        let r = self.report(code);
        let errors: Vec<&Value> = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        assert_eq!(errors.len(), 1, "{r:#}");
        errors[0]["message"].as_str().expect("message").to_string()
    }
}

/// A compose file declaring one service, `web`, by digest, matched by its container name.
fn compose() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "driftgate-fake-engine-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        format!(
            "name: fake\nservices:\n  web:\n    image: example.invalid/app@{DIGEST}\n    container_name: web\n"
        ),
    )
    .expect("compose");
    file
}

/// `driftgate image-drift --compose <one service> --docker-host <fake> --json --timeout T`
/// under an address-space limit, in a clean environment, killed by the watchdog.
fn drift(fake: &Fake, timeout: u64) -> Run {
    let file = compose();
    let run = drift_at(&fake.url(), &file, timeout);
    let _ = std::fs::remove_dir_all(file.parent().expect("dir"));
    run
}

fn drift_at(host: &str, file: &Path, timeout: u64) -> Run {
    drift_env(host, file, timeout, &[])
}

/// As [`drift_at`], with `env` as the only variables besides PATH.
fn drift_env(host: &str, file: &Path, timeout: u64, env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.args(["image-drift", "--compose"])
        .arg(file)
        .args(["--docker-host", host, "--json", "--timeout"])
        .arg(timeout.to_string())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: ADDRESS_SPACE as libc::rlim_t,
                rlim_max: ADDRESS_SPACE as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
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
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("driftgate ran longer than {WATCHDOG:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    Run {
        code: status
            .code()
            .unwrap_or_else(|| panic!("driftgate was killed by a signal: {status:?}")),
        stdout: out_t.join().expect("stdout"),
        stderr: err_t.join().expect("stderr"),
        took,
    }
}

const CONTAINERS: &str = "/containers/json?all=true";
const IMAGES: &str = "/images/json?all=true&digests=true";

fn json(body: &str) -> Answer {
    Answer::Body(200, "application/json", body.to_string())
}

/// `null` where lists and maps belong is the engine's way of saying "none".
#[test]
fn the_two_reads_and_null_lists() {
    for fake in [Fake::start(null_lists), Fake::start_tcp(null_lists)] {
        let run = drift(&fake, 10);
        let r = run.report(8);
        assert_eq!(r["findings"][0]["kind"], "unverifiable", "{r:#}");
        assert_eq!(
            fake.requests(),
            [format!("GET {CONTAINERS}"), format!("GET {IMAGES}")],
            "exactly the two reads, nothing else ({})",
            fake.url()
        );
        assert_eq!(r["engine_calls"], 2, "{r:#}");
        assert_eq!(r["engine"]["host"], fake.url().as_str(), "{r:#}");
    }
}

fn null_lists(path: &str) -> Answer {
    match path {
        CONTAINERS => json(&format!(
            r#"[{{"Id":"c1","Names":["/web"],"Image":"example.invalid/app@{DIGEST}","ImageID":"sha256:aa",
                 "Labels":null,"State":"running","Ports":null,"Mounts":null}}]"#
        )),
        IMAGES => json(r#"[{"Id":"sha256:aa","RepoTags":null,"RepoDigests":null,"Labels":null}]"#),
        _ => Answer::Body(
            404,
            "application/json",
            r#"{"message":"page not found"}"#.into(),
        ),
    }
}

#[test]
fn a_streamed_answer_past_the_cap_is_unreachable_in_bounded_memory() {
    let fake = Fake::start(|path| match path {
        CONTAINERS => Answer::HugeChunked,
        _ => json("[]"),
    });
    let run = drift(&fake, 50);
    let message = run.error(5);
    assert!(
        message.contains("64 MiB") && message.contains(CONTAINERS),
        "names the cap and the call: {message}"
    );
    let sent = fake.sent.load(Ordering::SeqCst);
    assert!(
        sent < HUGE / 4,
        "driftgate stopped reading soon after the cap ({sent} bytes sent)"
    );
    // Counted per whole 1 MiB block written: the block that crossed the cap may be cut short.
    assert!(
        sent + (2 << 20) >= CAP,
        "the cap was reached ({sent} bytes sent)"
    );
    assert_eq!(fake.requests(), [format!("GET {CONTAINERS}")]);
    eprintln!("past the cap after {:?}, {sent} bytes offered", run.took);
}

#[test]
fn a_content_length_past_the_cap_is_refused_before_reading() {
    let fake = Fake::start(|path| match path {
        CONTAINERS => Answer::HugeWithLength,
        _ => json("[]"),
    });
    let run = drift(&fake, 50);
    let message = run.error(5);
    assert!(message.contains("64 MiB"), "{message}");
}

#[test]
fn a_body_that_never_comes_is_unreachable_within_the_timeout() {
    let fake = Fake::start(|path| match path {
        CONTAINERS => Answer::StallAfterHeaders,
        _ => json("[]"),
    });
    let run = drift(&fake, 2);
    let message = run.error(5);
    assert!(
        message.contains("within 2s") && message.contains(CONTAINERS),
        "{message}"
    );
    assert!(run.took < Duration::from_secs(10), "took {:?}", run.took);
}

#[test]
fn headers_that_never_come_are_unreachable_within_the_timeout() {
    let fake = Fake::start(|path| match path {
        IMAGES => Answer::StallBeforeHeaders,
        _ => json("[]"),
    });
    let run = drift(&fake, 2);
    let message = run.error(5);
    assert!(
        message.contains("within 2s") && message.contains(IMAGES),
        "{message}"
    );
    assert!(run.took < Duration::from_secs(10), "took {:?}", run.took);
}

#[test]
fn a_refusal_is_auth() {
    for code in [401, 403] {
        let fake = Fake::start(move |_| {
            Answer::Body(
                code,
                "application/json",
                r#"{"message":"authorization denied by plugin opa: request rejected"}"#.into(),
            )
        });
        let run = drift(&fake, 10);
        let message = run.error(3);
        assert!(
            message.contains(&format!("HTTP {code}"))
                && message.contains("authorization denied by plugin")
                && message.contains(&fake.url()),
            "names the host, the call and the engine's reason: {message}"
        );
    }
}

#[test]
fn what_is_not_the_json_expected_is_unreachable() {
    for answer in [
        Answer::Body(
            200,
            "text/html",
            "<html><body>Welcome to nginx!</body></html>".into(),
        ),
        json(r#"{"message":"an object, not a list"}"#),
        json(r#"[{"Id":"c1","Names":"/not-a-list"}]"#),
        json("[{\"Id\":\"c1\""),
        Answer::Body(
            500,
            "application/json",
            r#"{"message":"daemon broke"}"#.into(),
        ),
        Answer::Body(404, "text/plain", "404 page not found".into()),
    ] {
        let fake = Fake::start(move |_| answer.clone());
        let run = drift(&fake, 10);
        let message = run.error(5);
        assert!(message.contains(CONTAINERS), "{message}");
    }
}

#[test]
fn a_scheme_that_names_no_engine_is_a_usage_error() {
    let file = compose();
    let run = drift_at("npipe:////./pipe/docker_engine", &file, 5);
    let _ = std::fs::remove_dir_all(file.parent().expect("dir"));
    let message = run.error(1);
    assert!(message.contains("npipe:// is not supported"), "{message}");
}

// ------------------------------------------------------------------------------------------
// tcp:// with DOCKER_TLS_VERIFY: `openssl s_server -WWW` on 127.0.0.1 as the engine, serving
// the two answers as files and requiring a client certificate, as dockerd --tlsverify does.

fn which(bin: &str) -> bool {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .any(|d| Path::new(d).join(bin).is_file())
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate with an RSA key in the
/// PKCS#1 form docker's tooling writes, laid out as DOCKER_CERT_PATH folders: `certs` (all
/// three files), `ca-only`, and `other-ca` (a CA that did not sign the server).
struct TlsEngine {
    dir: PathBuf,
    port: u16,
    server: std::process::Child,
}

impl TlsEngine {
    fn start() -> Option<TlsEngine> {
        if !which("openssl") {
            if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
                panic!("no `openssl` CLI on PATH, and DRIFTGATE_REQUIRE_DOCKER is set");
            }
            eprintln!("skipping: no `openssl` CLI on PATH");
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "driftgate-tls-engine-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for d in [
            "certs",
            "ca-only",
            "other-ca",
            "www/containers",
            "www/images",
        ] {
            std::fs::create_dir_all(dir.join(d)).expect("dir");
        }
        let w = |rel: &str, text: &str| std::fs::write(dir.join(rel), text).expect("write");
        w(
            "server.ext",
            "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n",
        );
        w(
            "client.ext",
            "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = clientAuth\n",
        );
        #[rustfmt::skip]
        let steps: [&[&str]; 7] = [
            &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", "ca.key", "-out", "certs/ca.pem", "-days", "2", "-subj", "/CN=engine CA",
              "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", "other.key", "-out", "other-ca/ca.pem", "-days", "2", "-subj", "/CN=another CA"],
            &["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            &["x509", "-req", "-in", "server.csr", "-CA", "certs/ca.pem", "-CAkey", "ca.key",
              "-set_serial", "1", "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.pem"],
            &["genrsa", "-traditional", "-out", "certs/key.pem", "2048"],
            &["req", "-new", "-key", "certs/key.pem", "-out", "client.csr", "-subj", "/CN=client"],
            &["x509", "-req", "-in", "client.csr", "-CA", "certs/ca.pem", "-CAkey", "ca.key",
              "-set_serial", "2", "-days", "2", "-sha256", "-extfile", "client.ext", "-out", "certs/cert.pem"],
        ];
        for step in steps {
            openssl(&dir, step);
        }
        let key = std::fs::read_to_string(dir.join("certs/key.pem")).expect("key");
        assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{key}");
        std::fs::copy(dir.join("certs/ca.pem"), dir.join("ca-only/ca.pem")).expect("copy");
        for f in ["cert.pem", "key.pem"] {
            std::fs::copy(dir.join("certs").join(f), dir.join("other-ca").join(f)).expect("copy");
        }
        // `s_server -WWW` serves the request path, query included, as a file name.
        w(&format!("www{CONTAINERS}"), "[]");
        w(&format!("www{IMAGES}"), "[]");
        #[rustfmt::skip]
        let args = ["-Verify", "1", "-cert", "../server.pem", "-key", "../server.key",
                    "-CAfile", "../certs/ca.pem"].map(std::ffi::OsStr::new);
        let (server, port) = s_server::start(&dir.join("www"), &args);
        let engine = TlsEngine { dir, port, server };
        Some(engine)
    }

    fn run(&self, scheme: &str, cert_dir: Option<&str>) -> Run {
        let host = format!("{scheme}://127.0.0.1:{}", self.port);
        let file = compose();
        let certs = cert_dir.map(|d| self.dir.join(d));
        let mut env: Vec<(&str, &Path)> = Vec::new();
        if let Some(c) = &certs {
            env.push(("DOCKER_TLS_VERIFY", Path::new("1")));
            env.push(("DOCKER_CERT_PATH", c.as_path()));
        }
        let run = drift_env(&host, &file, 10, &env);
        let _ = std::fs::remove_dir_all(file.parent().expect("dir"));
        run
    }
}

impl Drop for TlsEngine {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn tls_with_a_client_certificate_and_its_refusals() {
    let Some(engine) = TlsEngine::start() else {
        return;
    };
    // Verified against ca.pem, with cert.pem + key.pem: both reads answered, `web` is missing.
    let r = engine.run("tcp", Some("certs")).report(2);
    assert_eq!(r["findings"][0]["kind"], "missing-container", "{r:#}");
    assert_eq!(r["engine_calls"], 2, "{r:#}");

    // No client certificate: the engine refuses the handshake.
    let message = engine.run("tcp", Some("ca-only")).error(3);
    assert!(message.contains("TLS refused"), "{message}");
    // A server certificate that ca.pem did not sign.
    let message = engine.run("tcp", Some("other-ca")).error(3);
    assert!(
        message.contains("TLS refused") && message.contains("DOCKER_CERT_PATH"),
        "{message}"
    );
    // Without DOCKER_TLS_VERIFY tcp:// is plain HTTP, which a TLS engine does not speak.
    let message = engine.run("tcp", None).error(5);
    assert!(message.contains(CONTAINERS), "{message}");
}
