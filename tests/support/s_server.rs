//! `openssl s_server -WWW` as a TLS server for the tests, on a port it picks itself.
//!
//! Picking a free port here and handing it over would race: between the probe listener's close
//! and s_server's bind, another test's listener can take the port, s_server then exits, and the
//! test talks to the wrong server (stop 20's CI run failed so). With `-accept 127.0.0.1:0`,
//! s_server binds first and prints `ACCEPT 127.0.0.1:<port>` (OpenSSL 3, unless `-quiet`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Spawns `openssl s_server -WWW -accept 127.0.0.1:0` plus `args`, in `dir`, and returns it with
/// the port it listens on. Its output is read to the end on a thread, so it never blocks on a
/// full pipe.
pub fn start(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> (Child, u16) {
    let mut child = Command::new("openssl")
        .args(["s_server", "-WWW", "-accept", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn openssl s_server");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(port) = line
                .strip_prefix("ACCEPT 127.0.0.1:")
                .and_then(|p| p.trim().parse::<u16>().ok())
            {
                let _ = tx.send(port);
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(port) => (child, port),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("openssl s_server printed no `ACCEPT` line within 20 s: {e}");
        }
    }
}
