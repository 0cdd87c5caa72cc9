//! A REAL Docker engine for the tests, driven through the `docker` CLI (the thing users use):
//! tiny images built `FROM scratch` around Debian's static busybox, pushed to a local
//! `docker-registry` and pulled back so their RepoDigests are real, containers started with the
//! labels docker compose sets, everything removed on drop. Plus a recording proxy between
//! driftgate and the engine socket, and a minimal HTTP/1.1 client for the socket.
//!
//! Skipped with a printed reason where no engine is reachable or `busybox-static` /
//! `docker-registry` are missing, unless DRIFTGATE_REQUIRE_DOCKER is set (as `.ci/run` does).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::registry::{self, Registry};

/// The engine socket everything here talks to.
pub const DOCKER_SOCK: &str = "/var/run/docker.sock";
/// The static busybox Debian's `busybox-static` installs.
pub const BUSYBOX: &str = "/bin/busybox";

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique(label: &str) -> String {
    format!(
        "{label}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Prints "skipping: <why>" and returns `None`, or panics when DRIFTGATE_REQUIRE_DOCKER is set.
pub fn skip<T>(why: &str) -> Option<T> {
    if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
        panic!("{why}, and DRIFTGATE_REQUIRE_DOCKER is set");
    }
    eprintln!("skipping: {why}");
    None
}

fn is_static_busybox() -> bool {
    // Debian's dynamic `busybox` package also installs /bin/busybox; only the static one runs
    // in an image FROM scratch. A static ELF has no PT_INTERP program header.
    let Ok(bytes) = std::fs::read(BUSYBOX) else {
        return false;
    };
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" || bytes[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[o..o + 8]);
        u64::from_le_bytes(b) as usize
    };
    let (phoff, phentsize, phnum) = (u64_at(32), u16_at(54), u16_at(56));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        o + 4 <= bytes.len()
            && u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) != 3
    })
}

/// `Some(())` when a Docker engine answers `docker info` and the tools the tests need are
/// installed; otherwise "skipping: <reason>" (or a panic under DRIFTGATE_REQUIRE_DOCKER).
pub fn docker_available() -> Option<()> {
    if registry::which("docker").is_none() {
        return skip("no `docker` CLI on PATH");
    }
    let info = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .env("DOCKER_HOST", format!("unix://{DOCKER_SOCK}"))
        .stdin(Stdio::null())
        .output();
    match info {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return skip(&format!(
                "no Docker engine at {DOCKER_SOCK} (`docker info`: {})",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Err(e) => return skip(&format!("`docker info` did not run: {e}")),
    }
    if !is_static_busybox() {
        return skip("no static /bin/busybox (apt-get install busybox-static)");
    }
    if registry::which("docker-registry").is_none() {
        return skip("docker-registry not installed (apt-get install docker-registry)");
    }
    Some(())
}

/// Runs `docker args…` against the local engine; panics with its output when it fails.
pub fn docker(args: &[&str]) -> String {
    let out = docker_raw(args);
    assert!(
        out.status.success(),
        "docker {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `docker args…`, whatever its outcome.
pub fn docker_raw(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", format!("unix://{DOCKER_SOCK}"))
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env("DOCKER_CLI_HINTS", "false")
        .stdin(Stdio::null())
        .output()
        .expect("run docker")
}

/// `docker image inspect` of one reference or ID.
pub fn inspect_image(reference: &str) -> Value {
    let text = docker(&["image", "inspect", reference]);
    let v: Value = serde_json::from_str(&text).expect("inspect JSON");
    v[0].clone()
}

/// A pulled image: its ID and every RepoDigest (`repo@sha256:…`) the engine reports.
#[derive(Debug, Clone)]
pub struct Image {
    pub id: String,
    pub repo_digests: Vec<String>,
}

impl Image {
    /// The manifest digest (`sha256:…`) of the first RepoDigest.
    pub fn digest(&self) -> String {
        self.repo_digests[0]
            .split_once('@')
            .expect("repo@digest")
            .1
            .to_string()
    }
}

/// Compose labels for `docker run`.
pub struct Compose<'a> {
    pub project: &'a str,
    pub service: &'a str,
    pub number: u32,
}

/// One test's corner of the engine: a registry of its own, a unique name prefix, and every
/// container and image it created (removed on drop, containers first).
pub struct Lab {
    /// Unique per test and process: container names and compose projects start with it.
    pub prefix: String,
    pub registry: Registry,
    /// A scratch folder (build contexts, compose files, manifests), removed on drop.
    pub dir: PathBuf,
    containers: Mutex<Vec<String>>,
    images: Mutex<Vec<String>>,
}

impl Lab {
    /// A lab named after the test, or `None` (printed reason) when Docker is unavailable.
    pub fn start(test: &str) -> Option<Lab> {
        docker_available()?;
        let prefix = unique(&format!("dg-{test}"))
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
        let registry = registry::start(&prefix, None)?;
        let dir = std::env::temp_dir().join(format!("driftgate-docker-{prefix}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("lab dir");
        Some(Lab {
            prefix,
            registry,
            dir,
            containers: Mutex::new(Vec::new()),
            images: Mutex::new(Vec::new()),
        })
    }

    /// `127.0.0.1:PORT/<path>`: a repository in this lab's registry.
    pub fn repo(&self, path: &str) -> String {
        format!("{}/{path}", self.registry.addr)
    }

    /// `<prefix>-<suffix>`: a name no other test uses.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    /// Writes `text` at `rel` under the lab folder (creating folders); returns the path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Builds an image FROM scratch holding /busybox, distinct per `seed`, tagged `tag`; returns
    /// its ID. Never pushed: no RepoDigests.
    pub fn build(&self, tag: &str, seed: &str) -> String {
        let ctx = self.dir.join(unique("build"));
        std::fs::create_dir_all(&ctx).expect("context");
        std::fs::copy(BUSYBOX, ctx.join("busybox")).expect("copy busybox");
        std::fs::write(
            ctx.join("Dockerfile"),
            format!(
                "FROM scratch\nCOPY busybox /busybox\nLABEL seed=\"{}-{seed}\"\nCMD [\"/busybox\", \"sleep\", \"3600\"]\n",
                self.prefix
            ),
        )
        .expect("Dockerfile");
        let out = docker(&["build", "-q", "-t", tag, ctx.to_str().expect("utf-8")]);
        let _ = std::fs::remove_dir_all(&ctx);
        let id = out
            .lines()
            .rev()
            .find(|l| l.starts_with("sha256:"))
            .map(str::to_string)
            .unwrap_or_else(|| inspect_image(tag)["Id"].as_str().expect("Id").to_string());
        self.images.lock().expect("lock").push(id.clone());
        id
    }

    /// Builds one image (`seed`) under every reference in `refs` (full `repo:tag` names in this
    /// lab's registry), pushes each, removes them locally and pulls them back, so the engine
    /// reports real RepoDigests. The first reference's tag moves if it pointed elsewhere.
    pub fn publish(&self, refs: &[&str], seed: &str) -> Image {
        self.build(refs[0], seed);
        for r in &refs[1..] {
            docker(&["tag", refs[0], r]);
        }
        for r in refs {
            docker(&["push", "-q", r]);
        }
        // `--no-prune`: the untagged parent layers are the build cache other tests' builds may
        // be using at this moment (pruning them made a concurrent `docker build` fail with
        // "failed to get digest … no such file or directory").
        let mut rmi = vec!["rmi", "--no-prune"];
        rmi.extend_from_slice(refs);
        docker(&rmi);
        for r in refs {
            docker(&["pull", "-q", r]);
        }
        let v = inspect_image(refs[0]);
        let id = v["Id"].as_str().expect("Id").to_string();
        self.images.lock().expect("lock").push(id.clone());
        let repo_digests = v["RepoDigests"]
            .as_array()
            .expect("RepoDigests")
            .iter()
            .map(|d| d.as_str().expect("digest").to_string())
            .collect::<Vec<_>>();
        assert!(
            !repo_digests.is_empty(),
            "pulled image has no RepoDigests: {v}"
        );
        Image { id, repo_digests }
    }

    /// `docker run -d --name <name> [compose labels] <image>` (no network); returns the name.
    pub fn run(&self, name: &str, image: &str, compose: Option<Compose>) -> String {
        let mut args: Vec<String> = ["run", "-d", "--network", "none", "--name", name]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(c) = compose {
            for (k, v) in [
                ("com.docker.compose.project", c.project.to_string()),
                ("com.docker.compose.service", c.service.to_string()),
                ("com.docker.compose.container-number", c.number.to_string()),
                ("com.docker.compose.oneoff", "False".to_string()),
            ] {
                args.push("--label".into());
                args.push(format!("{k}={v}"));
            }
        }
        args.push(image.to_string());
        self.containers.lock().expect("lock").push(name.to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker(&args);
        name.to_string()
    }

    /// A compose-labelled container `<project>-<service>-<number>` as docker compose names it.
    pub fn run_service(&self, project: &str, service: &str, number: u32, image: &str) -> String {
        let name = format!("{project}-{service}-{number}");
        self.run(
            &name,
            image,
            Some(Compose {
                project,
                service,
                number,
            }),
        )
    }

    /// Stops a container at once (busybox as PID 1 ignores SIGTERM): state `exited`.
    pub fn kill(&self, name: &str) {
        docker(&["kill", name]);
        docker(&["wait", name]);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let containers =
            std::mem::take(&mut *self.containers.lock().unwrap_or_else(|e| e.into_inner()));
        for chunk in containers.chunks(50) {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(chunk.iter().map(String::as_str));
            let _ = docker_raw(&args);
        }
        let mut images =
            std::mem::take(&mut *self.images.lock().unwrap_or_else(|e| e.into_inner()));
        images.sort();
        images.dedup();
        if !images.is_empty() {
            let mut args = vec!["rmi", "-f", "--no-prune"];
            args.extend(images.iter().map(String::as_str));
            let _ = docker_raw(&args);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ------------------------------------------------------------------------------------------
// The recording proxy.

/// A Unix-socket server that forwards every byte to the engine socket and records the request
/// line (method, path) of every HTTP request passing through, keep-alive included.
pub struct Proxy {
    pub path: PathBuf,
    records: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens at a fresh temp path and forwards to `upstream` (normally [`DOCKER_SOCK`]).
    pub fn start(upstream: &str) -> Proxy {
        let path = std::env::temp_dir().join(format!("{}.sock", unique("driftgate-proxy")));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind proxy socket");
        let records = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (rec, halt, up) = (records.clone(), stop.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let (rec, up) = (rec.clone(), up.clone());
                std::thread::spawn(move || relay(client, &up, rec));
            }
        });
        Proxy {
            path,
            records,
            stop,
        }
    }

    /// `unix://<socket path>`, for `--docker-host`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Every request seen so far: (method, path with query), in arrival order.
    pub fn records(&self) -> Vec<(String, String)> {
        self.records.lock().expect("lock").clone()
    }

    /// Forgets the requests recorded so far.
    pub fn clear(&self) {
        self.records.lock().expect("lock").clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One client connection: bytes go upstream unchanged as they arrive, and a parser records each
/// request head. Answers flow back on a second thread.
fn relay(mut client: UnixStream, upstream: &str, records: Arc<Mutex<Vec<(String, String)>>>) {
    let Ok(mut server) = UnixStream::connect(upstream) else {
        return; // the client sees the connection close, as with a dead engine
    };
    let (Ok(mut server_r), Ok(mut client_w)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_r, &mut client_w);
        let _ = client_w.shutdown(std::net::Shutdown::Write);
    });
    let mut parser = RequestParser::default();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for (m, p) in parser.feed(&buf[..n]) {
            records.lock().expect("lock").push((m, p));
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = server.shutdown(std::net::Shutdown::Write);
    let _ = back.join();
}

/// Incremental HTTP/1.1 request framing: heads up to CRLFCRLF, bodies by Content-Length or
/// chunked encoding, raw bytes after an Upgrade.
#[derive(Default)]
struct RequestParser {
    state: State,
    head: Vec<u8>,
    line: Vec<u8>,
}

#[derive(Default)]
enum State {
    #[default]
    Head,
    Body(usize),
    ChunkSize,
    ChunkData(usize),
    Trailer,
    Raw,
}

impl RequestParser {
    fn feed(&mut self, mut data: &[u8]) -> Vec<(String, String)> {
        let mut seen = Vec::new();
        while !data.is_empty() {
            match self.state {
                State::Raw => return seen,
                State::Head => {
                    let b = data[0];
                    data = &data[1..];
                    self.head.push(b);
                    if self.head.ends_with(b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&self.head).to_string();
                        self.head.clear();
                        let head = head.trim_start_matches("\r\n");
                        let mut lines = head.split("\r\n");
                        let first = lines.next().unwrap_or_default();
                        let mut parts = first.split(' ');
                        let method = parts.next().unwrap_or_default().to_string();
                        let path = parts.next().unwrap_or_default().to_string();
                        let (mut length, mut chunked, mut upgrade) = (0usize, false, false);
                        for l in lines {
                            let Some((k, v)) = l.split_once(':') else {
                                continue;
                            };
                            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                            match k.as_str() {
                                "content-length" => length = v.parse().unwrap_or(0),
                                "transfer-encoding" => {
                                    chunked = v.to_ascii_lowercase().contains("chunked")
                                }
                                "upgrade" => upgrade = true,
                                _ => {}
                            }
                        }
                        seen.push((method, path));
                        self.state = if upgrade {
                            State::Raw
                        } else if chunked {
                            State::ChunkSize
                        } else if length > 0 {
                            State::Body(length)
                        } else {
                            State::Head
                        };
                    }
                }
                State::Body(left) => {
                    let n = left.min(data.len());
                    data = &data[n..];
                    self.state = if n == left {
                        State::Head
                    } else {
                        State::Body(left - n)
                    };
                }
                State::ChunkSize | State::Trailer => {
                    let b = data[0];
                    data = &data[1..];
                    self.line.push(b);
                    if self.line.ends_with(b"\r\n") {
                        let line = String::from_utf8_lossy(&self.line).trim().to_string();
                        self.line.clear();
                        self.state = match self.state {
                            State::Trailer if line.is_empty() => State::Head,
                            State::Trailer => State::Trailer,
                            _ => {
                                let size = line.split(';').next().unwrap_or("0").trim();
                                match usize::from_str_radix(size, 16).unwrap_or(0) {
                                    0 => State::Trailer,
                                    n => State::ChunkData(n + 2), // + CRLF
                                }
                            }
                        };
                    }
                }
                State::ChunkData(left) => {
                    let n = left.min(data.len());
                    data = &data[n..];
                    self.state = if n == left {
                        State::ChunkSize
                    } else {
                        State::ChunkData(left - n)
                    };
                }
            }
        }
        seen
    }
}

// ------------------------------------------------------------------------------------------
// A minimal engine client over the socket (for the per-module comparison).

/// One keep-alive HTTP/1.1 connection to an engine socket.
pub struct EngineConn {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl EngineConn {
    pub fn connect(socket: &Path) -> EngineConn {
        let s = UnixStream::connect(socket).expect("connect to the engine socket");
        EngineConn {
            writer: s.try_clone().expect("clone"),
            reader: BufReader::new(s),
        }
    }

    /// `GET path`; returns (status, body). Content-Length and chunked answers are read whole.
    pub fn get(&mut self, path: &str) -> (u16, Vec<u8>) {
        write!(
            self.writer,
            "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: driftgate-tests\r\n\r\n"
        )
        .expect("write request");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    length = v.trim().parse::<usize>().ok();
                } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).expect("chunk size");
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                    .expect("chunk size");
                if size == 0 {
                    // Trailers up to the empty line.
                    loop {
                        line.clear();
                        self.reader.read_line(&mut line).expect("trailer");
                        if line.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader.read_exact(&mut body[start..]).expect("chunk");
                let mut crlf = [0u8; 2];
                self.reader.read_exact(&mut crlf).expect("chunk end");
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            self.reader.read_exact(&mut body).expect("body");
        }
        (status, body)
    }

    /// `GET path` as JSON, asserting 200.
    pub fn get_json(&mut self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).expect("engine JSON")
    }
}
