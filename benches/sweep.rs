//! `cargo bench --bench sweep`: an organisation of 200 repositories behind the stateful fake
//! forge (tests/support/stateful_forge.rs) answering every request after 50 ms, swept by the
//! real release binary with `driftgate required-checks --owner acme --json`, first at
//! `--concurrency 1`, then at the default (8).
//!
//! Prints the wall time and the requests of each run (from the fake's log and from the
//! report's per-repository counts), and the ratio of the wall times. Nothing here asserts
//! on time.
//!
//! Knobs: `DRIFTGATE_BENCH_REPOS` (default 200), `DRIFTGATE_BENCH_LATENCY_MS` (default 50).
//!
//! Cargo passes `--bench` when it runs this target from `cargo bench`; without it (e.g.
//! `cargo test --benches`) the benchmark does nothing.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::fake_forge::TOKEN;
use support::stateful_forge::StatefulForge;

/// The binary Cargo built for this bench (the `bench` profile, which inherits `release`).
const DRIFTGATE: &str = env!("CARGO_BIN_EXE_driftgate");

/// A run that takes longer than this is killed (at 50 ms and concurrency 1, 200 repositories
/// take about 40 s).
const LIMIT: Duration = Duration::from_secs(600);

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("sweep: skipped (run it with `cargo bench --bench sweep`)");
        return;
    }
    let repos = env_usize("DRIFTGATE_BENCH_REPOS", 200);
    let latency = Duration::from_millis(env_usize("DRIFTGATE_BENCH_LATENCY_MS", 50) as u64);

    let forge = StatefulForge::gitea();
    let ci = "name: CI\non: [push, pull_request]\njobs:\n  build:\n    runs-on: docker\n    steps:\n      - run: make\n  lint:\n    runs-on: docker\n    steps:\n      - run: make lint\n";
    for id in 1..=repos {
        let name = format!("acme/svc-{id:03}");
        // Every tenth repository requires a context nothing posts.
        let required: &[&str] = if id % 10 == 3 {
            &["CI / build (pull_request)", "CI / deploy (push)"]
        } else {
            &["CI / build (pull_request)", "CI / lint (*)"]
        };
        forge.add_repo(&name, "main", required);
        forge.write_file(&name, ".gitea/workflows/ci.yml", ci);
    }
    forge.set_latency(latency);
    println!(
        "{repos} repositories of acme behind a fake Gitea 1.24.3 answering each request after {} ms",
        latency.as_millis()
    );
    println!("binary: {DRIFTGATE}");

    let mut walls = Vec::new();
    for concurrency in [Some("1"), None] {
        forge.clear_seen();
        let mut args = vec![
            "required-checks",
            "--server",
            forge.url.as_str(),
            "--owner",
            "acme",
            "--json",
        ];
        if let Some(c) = concurrency {
            args.extend(["--concurrency", c]);
        }
        let (code, stdout, wall) = run(&args);
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("the report is not JSON ({e}): {stdout}");
        });
        let rows = doc["repositories"].as_array().map_or(0, Vec::len);
        let per_repo: u64 = doc["repositories"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["requests"].as_u64()).sum())
            .unwrap_or(0);
        let seen = forge.seen().len();
        println!(
            "--concurrency {:<13} wall {:>7.2} s   requests {seen} ({per_repo} for the repositories, {} for version and list)   repositories {rows}   result {} (exit {code})",
            concurrency.unwrap_or("8 (default)"),
            wall.as_secs_f64(),
            seen.saturating_sub(per_repo as usize),
            doc["result"].as_str().unwrap_or("?"),
        );
        walls.push(wall);
    }
    println!(
        "ratio concurrency 1 / default: {:.2}x",
        walls[0].as_secs_f64() / walls[1].as_secs_f64()
    );
}

/// Runs the binary with the token and no runner variables; (exit code, stdout, wall time).
fn run(args: &[&str]) -> (i32, String, Duration) {
    let mut cmd = Command::new(DRIFTGATE);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if [
            "GITHUB_",
            "GITEA_",
            "FORGEJO_",
            "DRIFTGATE_",
            "INPUT_",
            "RUNNER_",
        ]
        .iter()
        .any(|p| n.starts_with(p))
            || n.to_ascii_lowercase().ends_with("_proxy")
        {
            cmd.env_remove(&name);
        }
    }
    cmd.env("DRIFTGATE_TOKEN", TOKEN)
        .env("NO_PROXY", "127.0.0.1,localhost");
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn driftgate");
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("driftgate {args:?} ran longer than {}s", LIMIT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = started.elapsed();
    (status.code().unwrap_or(-1), reader.join().unwrap(), wall)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
