//! Running the real binary as a hang and blow-up detector: under an address-space limit
//! (`setrlimit(RLIMIT_AS)`, so that an allocation spree fails the run instead of the machine)
//! and a watchdog that kills it after a deadline. These are not speed assertions: the limits
//! are far above what a correct run needs.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space a run may map (the binary needs well under 200 MiB).
pub const MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;
/// Wall time a run may take before it is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// What a limited run did.
#[derive(Debug)]
pub struct Limited {
    /// The exit code; `None` when killed by a signal (an abort, or the watchdog).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub timed_out: bool,
}

/// Runs `cmd` with stdin closed, under [`MEMORY_LIMIT`] and [`TIME_LIMIT`].
pub fn run_limited(mut cmd: Command) -> Limited {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // glibc reserves 64 MiB of address space per malloc arena; keep that small and fixed.
        .env("MALLOC_ARENA_MAX", "2");
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
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
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > TIME_LIMIT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Limited {
        code: status.code(),
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
        elapsed: started.elapsed(),
        timed_out,
    }
}
