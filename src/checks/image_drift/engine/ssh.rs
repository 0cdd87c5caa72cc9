//! `ssh://` without an ssh library: a private Unix socket (in a fresh 0700 folder) that the HTTP
//! client talks to as to a local engine, and for each connection accepted there a fresh
//!
//! ```text
//! ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=S -T \
//!     [-l USER] [-p PORT] -- HOST docker system dial-stdio
//! ```
//!
//! child with the connection's bytes piped through its stdin and stdout, as the docker CLI's
//! own ssh transport does. The local `ssh` reads the user's `~/.ssh/config`, keys and agent.
//! Dropping the relay ends every child and removes the folder: it closes the relayed
//! connections (so ssh reads the end of its stdin and exits), kills the children, and reaps
//! them, waiting at most [`REAP_WAIT`].

use std::io::{Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::host::SshTarget;
use crate::error::Error;

/// What is kept of ssh's stderr for messages.
const MAX_STDERR: usize = 4096;
/// How long dropping the relay waits for its ssh children to end.
const REAP_WAIT: Duration = Duration::from_secs(2);

pub struct Relay {
    dir: PathBuf,
    socket: PathBuf,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    children: Mutex<Vec<Child>>,
    /// The relay's side of every accepted connection, to close them on drop.
    conns: Mutex<Vec<UnixStream>>,
    stop: AtomicBool,
    /// ssh's stderr (and any failure to start it), capped.
    stderr: Mutex<String>,
    /// stderr readers still running.
    readers: AtomicUsize,
}

impl Shared {
    fn note(&self, text: &str) {
        if let Ok(mut s) = self.stderr.lock() {
            for c in text.chars() {
                if s.len() + c.len_utf8() > MAX_STDERR {
                    break;
                }
                s.push(c);
            }
        }
    }
}

/// The ssh command line for `target` (without the program name).
pub fn ssh_args(target: &SshTarget, timeout: Duration) -> Vec<String> {
    let mut a: Vec<String> = [
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push(format!("ConnectTimeout={}", timeout.as_secs().max(1)));
    a.push("-T".into());
    if let Some(u) = &target.user {
        a.extend(["-l".into(), u.clone()]);
    }
    if let Some(p) = target.port {
        a.extend(["-p".into(), p.to_string()]);
    }
    a.extend(
        ["--", &target.host, "docker", "system", "dial-stdio"]
            .iter()
            .map(|s| s.to_string()),
    );
    a
}

impl Relay {
    /// Listens on a fresh private socket; nothing is spawned until the first connection.
    pub fn start(target: &SshTarget, timeout: Duration) -> Result<Relay, Error> {
        let dir = private_dir().map_err(|e| {
            Error::Unreachable(format!(
                "cannot make a private folder for the ssh relay in {}: {e}",
                std::env::temp_dir().display()
            ))
        })?;
        let socket = dir.join("engine.sock");
        let listener = match UnixListener::bind(&socket) {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(Error::Unreachable(format!(
                    "cannot listen on {} for the ssh relay: {e}",
                    socket.display()
                )));
            }
        };
        let shared = Arc::new(Shared::default());
        let args = ssh_args(target, timeout);
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    serve(conn, &args, &s);
                }
            }
        });
        Ok(Relay {
            dir,
            socket,
            shared,
        })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// What ssh printed on stderr (it says why it could not connect or log in), once it has
    /// finished writing it (waiting at most a second).
    pub fn diagnostics(&self) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.shared.readers.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let text = self.shared.stderr.lock().ok()?.clone();
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!one_line.is_empty()).then_some(one_line)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Ok(mut conns) = self.shared.conns.lock() {
            for c in conns.drain(..) {
                let _ = c.shutdown(std::net::Shutdown::Both);
            }
        }
        if let Ok(mut children) = self.shared.children.lock() {
            for c in children.iter_mut() {
                let _ = c.kill();
            }
            let deadline = Instant::now() + REAP_WAIT;
            children.retain_mut(|c| {
                while Instant::now() < deadline {
                    if !matches!(c.try_wait(), Ok(None)) {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                true
            });
        }
        // Wakes the acceptor so that it sees `stop` and closes the listener.
        let _ = UnixStream::connect(&self.socket);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One accepted connection: a fresh ssh child, bytes piped both ways on two threads, its stderr
/// kept for messages on a third.
fn serve(conn: UnixStream, args: &[String], shared: &Arc<Shared>) {
    let spawned = Command::new("ssh")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            shared.note(&format!("cannot run the local ssh client: {e}\n"));
            return; // dropping `conn` closes it: the HTTP client sees the engine hang up
        }
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    let (Ok(mut from_client), Ok(kept), mut to_client) = (conn.try_clone(), conn.try_clone(), conn)
    else {
        drop((stdin, stdout, stderr));
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    {
        let (Ok(mut children), Ok(mut conns)) = (shared.children.lock(), shared.conns.lock())
        else {
            return;
        };
        if shared.stop.load(Ordering::SeqCst) {
            drop((stdin, stdout, stderr));
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        children.push(child);
        conns.push(kept);
    }
    std::thread::spawn(move || {
        pump(&mut from_client, &mut stdin);
        // dropping stdin tells ssh (and dial-stdio) that the client is done
    });
    std::thread::spawn(move || {
        pump(&mut stdout, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    shared.readers.fetch_add(1, Ordering::SeqCst);
    let s = shared.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        loop {
            match stderr.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => s.note(&String::from_utf8_lossy(&buf[..n])),
            }
        }
        s.readers.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Copies until the end of `from` or an error, with plain reads and writes. Not
/// `std::io::copy`: between a socket and a pipe it uses `splice`, and a splice waiting for
/// socket data holds the pipe's lock, so ssh could not read what was already written (a
/// deadlock until the connection closes).
fn pump(from: &mut impl Read, to: &mut impl Write) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).and_then(|()| to.flush()).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// A fresh folder only this user can enter, under the temp folder; a name already taken is
/// never reused (mkdir does not follow a planted symlink).
fn private_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let mut last = None;
    for _ in 0..8 {
        let mut r = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut r)
            .map_err(|_| std::io::Error::other("no randomness"))?;
        let name = format!(
            "driftgate-ssh-{}-{}",
            std::process::id(),
            r.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let dir = base.join(name);
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free name")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_command_line_keeps_the_host_after_the_options() {
        let t = SshTarget {
            user: Some("ops".into()),
            host: "prod-1".into(),
            port: Some(2222),
        };
        assert_eq!(
            ssh_args(&t, Duration::from_secs(30)).join(" "),
            "-o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=30 -T \
             -l ops -p 2222 -- prod-1 docker system dial-stdio"
        );
        let t = SshTarget {
            user: None,
            host: "prod-1".into(),
            port: None,
        };
        assert_eq!(
            ssh_args(&t, Duration::from_millis(10)).join(" "),
            "-o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=1 -T \
             -- prod-1 docker system dial-stdio"
        );
    }

    #[test]
    fn the_relay_socket_is_private_and_removed_on_drop() {
        let t = SshTarget {
            user: None,
            host: "relay-test.invalid".into(),
            port: None,
        };
        let relay = Relay::start(&t, Duration::from_secs(1)).expect("relay");
        let dir = relay.socket().parent().expect("dir").to_path_buf();
        let mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        assert!(relay.socket().exists());
        drop(relay);
        assert!(!dir.exists());
    }
}
