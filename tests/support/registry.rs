//! A REAL registry for the tests: Debian's `docker-registry`, started on 127.0.0.1 with its own
//! config and storage under the temp dir, killed and removed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `bin` on PATH, if any.
pub fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(bin))
        .find(|p| p.is_file())
}

/// `docker-registry` (and `htpasswd` when `basic`), or `None` with a printed reason; a panic
/// instead when DRIFTGATE_REQUIRE_REGISTRY is set.
fn tools(basic: bool) -> Option<(PathBuf, Option<PathBuf>)> {
    let registry = which("docker-registry");
    let htpasswd = which("htpasswd");
    match (registry, htpasswd) {
        (Some(r), h) if h.is_some() || !basic => Some((r, h)),
        _ => {
            let why = "docker-registry or htpasswd not installed (apt-get install docker-registry apache2-utils)";
            if std::env::var_os("DRIFTGATE_REQUIRE_REGISTRY").is_some() {
                panic!("{why}, and DRIFTGATE_REQUIRE_REGISTRY is set");
            }
            eprintln!("skipping: {why}");
            None
        }
    }
}

/// A running `docker-registry serve`; `addr` is `127.0.0.1:PORT`.
pub struct Registry {
    child: Child,
    pub addr: String,
    dir: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago. Another listener can take it before the registry binds
/// it; `start` then sees the registry exit, or answer without its API header, and tries again.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Starts a registry named `name` (unique per test), with htpasswd auth when `basic` is set.
/// `None` (printed reason) when the tools are missing and not required.
pub fn start(name: &str, basic: Option<(&str, &str)>) -> Option<Registry> {
    let (bin, htpasswd) = tools(basic.is_some())?;
    let dir =
        std::env::temp_dir().join(format!("driftgate-registry-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("dir");
    let mut auth = String::new();
    if let Some((user, pass)) = basic {
        let out = Command::new(htpasswd.expect("htpasswd"))
            .args(["-Bbn", user, pass])
            .output()
            .expect("htpasswd");
        assert!(out.status.success(), "htpasswd failed");
        std::fs::write(dir.join("htpasswd"), &out.stdout).expect("write htpasswd");
        auth = format!(
            "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            dir.join("htpasswd").display()
        );
    }
    for _ in 0..5 {
        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
            dir.join("data").display()
        );
        std::fs::write(dir.join("config.yml"), config).expect("config");
        let child = Command::new(&bin)
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let mut reg = Registry {
            child,
            addr: format!("127.0.0.1:{port}"),
            dir: dir.clone(),
        };
        if reg.ready() {
            return Some(reg);
        }
        // Dropping `reg` would remove the folder the next try needs.
        let _ = reg.child.kill();
        let _ = reg.child.wait();
        std::mem::forget(reg);
    }
    let _ = std::fs::remove_dir_all(&dir);
    panic!("docker-registry did not start on a free port in 5 tries");
}

impl Registry {
    /// Waits up to 15 s until this registry, still running, answers `GET /v2/` with its API
    /// header; false when it exited (its port was taken) or never answered so.
    fn ready(&mut self) -> bool {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return false;
            }
            if let Ok(mut s) = std::net::TcpStream::connect(&self.addr) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let request = format!(
                    "GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.addr
                );
                let mut head = Vec::new();
                if s.write_all(request.as_bytes()).is_ok() {
                    let _ = s.take(64 * 1024).read_to_end(&mut head);
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if head.contains("docker-distribution-api-version: registry/2.0") {
                    // Another test's registry can answer on a port both were given, while this
                    // one is still starting: it must still be running a moment later.
                    std::thread::sleep(Duration::from_millis(300));
                    return matches!(self.child.try_wait(), Ok(None));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}
