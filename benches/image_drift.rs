//! `cargo bench --bench image_drift`: 100 running containers (busybox sleep, compose labels) on
//! the machine's REAL Docker engine, one image pushed to a local `docker-registry` and pulled
//! back (real RepoDigests), a compose file declaring all 100 services by digest. Times:
//!
//! - driftgate: the release binary's `driftgate image-drift --compose <file> --json`, through
//!   the recording proxy of `tests/support/docker.rs` (which counts its engine calls);
//! - per-module: for each service `GET /containers/{name}/json` then `GET /images/{id}/json`
//!   (plus the same RepoDigests comparison), spoken as HTTP/1.1 by hand over ONE keep-alive
//!   Unix-socket connection, through the same proxy, in this process. This is the fairer of the
//!   two per-module baselines: `docker inspect` per module would add ~two CLI process starts
//!   per module and measure the CLI, not the approach. It still flatters the per-module side:
//!   it pays no process start and no YAML parsing, which the driftgate timing includes (the
//!   startup baseline `driftgate --version` is printed for that reason).
//!
//! Also replays driftgate's recorded requests in-process (the engine's share of its time).
//! Prints both wall times (min/median over DRIFTGATE_BENCH_RUNS, default 5), the call counts and
//! the ratios. Skipped with a printed reason where Docker is unavailable. All containers and
//! images are removed at the end. Without `--bench` (e.g. `cargo test --benches`) it does nothing.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::docker::{DOCKER_SOCK, EngineConn, Lab, Proxy};

const DRIFTGATE: &str = env!("CARGO_BIN_EXE_driftgate");
const API: &str = "/v1.41";

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("image_drift: skipped (run it with `cargo bench --bench image_drift`)");
        return;
    }
    let modules = env_usize("DRIFTGATE_BENCH_CONTAINERS", 100);
    let runs = env_usize("DRIFTGATE_BENCH_RUNS", 5).max(1);
    let Some(lab) = Lab::start("bench") else {
        println!("image_drift: skipped (no Docker engine / tools, reason above)");
        return;
    };

    let repo = lab.repo("drift/bench");
    let image = lab.publish(&[&format!("{repo}:v1")], "bench");
    let declared = format!("{repo}@{}", image.digest());
    let project = lab.name("p");
    let services: Vec<String> = (1..=modules).map(|i| format!("svc{i:03}")).collect();

    let started = Instant::now();
    let workers = 8;
    std::thread::scope(|s| {
        for w in 0..workers {
            let (lab, services, project, declared) = (&lab, &services, &project, &declared);
            s.spawn(move || {
                for svc in services.iter().skip(w).step_by(workers) {
                    lab.run_service(project, svc, 1, declared);
                }
            });
        }
    });
    println!(
        "started {modules} containers in {:.1} s (image {declared})",
        started.elapsed().as_secs_f64()
    );

    let mut yaml = format!("name: {project}\nservices:\n");
    for svc in &services {
        yaml.push_str(&format!("  {svc}:\n    image: \"{declared}\"\n"));
    }
    let file = lab.write("bench/compose.yaml", &yaml);
    let file = file.to_str().expect("utf-8").to_string();
    println!("binary: {DRIFTGATE}");

    // driftgate, through the proxy.
    let proxy = Proxy::start(DOCKER_SOCK);
    let mut dg = Vec::new();
    let mut dg_calls = 0;
    let mut dg_requests = Vec::new();
    for _ in 0..=runs {
        proxy.clear();
        let t = Instant::now();
        let out = Command::new(DRIFTGATE)
            .args(["image-drift", "--compose", &file, "--json"])
            .args(["--docker-host", &proxy.url()])
            .env_remove("DOCKER_HOST")
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_STEP_SUMMARY")
            .stdin(Stdio::null())
            .output()
            .expect("run driftgate");
        let elapsed = t.elapsed();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "driftgate printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            out.status.code(),
            Some(0),
            "driftgate is not clean over the bench containers: {report:#}"
        );
        let records = proxy.records();
        assert!(records.iter().all(|(m, _)| m == "GET" || m == "HEAD"));
        dg_calls = records.len();
        dg_requests = records;
        dg.push(elapsed);
    }
    dg.remove(0); // warm-up

    // driftgate's own requests, replayed in-process: the engine's share of its wall time.
    let mut replay = Vec::new();
    for _ in 0..=runs {
        let t = Instant::now();
        let mut conn = EngineConn::connect(&proxy.path);
        for (_, path) in &dg_requests {
            conn.get_json(path);
        }
        replay.push(t.elapsed());
    }
    replay.remove(0);

    // Process start alone, for scale.
    let mut startup = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let _ = Command::new(DRIFTGATE)
            .arg("--version")
            .stdout(Stdio::null())
            .status();
        startup.push(t.elapsed());
    }

    // Per module: inspect the container, then its image, over one keep-alive connection.
    let mut pm = Vec::new();
    let mut pm_calls = 0;
    for _ in 0..=runs {
        proxy.clear();
        let t = Instant::now();
        let mut conn = EngineConn::connect(&proxy.path);
        let mut in_sync = 0;
        for svc in &services {
            let c = conn.get_json(&format!("{API}/containers/{project}-{svc}-1/json"));
            let id = c["Image"].as_str().expect("Image");
            let i = conn.get_json(&format!("{API}/images/{id}/json"));
            let running = c["State"]["Running"].as_bool() == Some(true);
            let matches = i["RepoDigests"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d == declared.as_str()));
            in_sync += usize::from(running && matches);
        }
        drop(conn);
        let elapsed = t.elapsed();
        assert_eq!(in_sync, modules, "per-module pass disagrees");
        // The proxy records on its own threads; let the last request land.
        std::thread::sleep(Duration::from_millis(50));
        pm_calls = proxy.records().len();
        pm.push(elapsed);
    }
    pm.remove(0);

    let (dg_min, dg_med) = stats(&mut dg);
    let (pm_min, pm_med) = stats(&mut pm);
    let (st_min, st_med) = stats(&mut startup);
    let (rp_min, rp_med) = stats(&mut replay);
    println!();
    println!(
        "{modules} modules, {runs} timed runs each (after one warm-up), engine 20.10 via the recording proxy"
    );
    println!(
        "{:<44} {:>10} {:>12} {:>12}",
        "", "engine calls", "wall min", "wall median"
    );
    println!(
        "{:<44} {:>10} {:>12} {:>12}",
        "driftgate image-drift (process, end to end)",
        dg_calls,
        ms(dg_min),
        ms(dg_med)
    );
    println!(
        "{:<44} {:>10} {:>12} {:>12}",
        "per-module inspect (in-process, keep-alive)",
        pm_calls,
        ms(pm_min),
        ms(pm_med)
    );
    println!(
        "{:<44} {:>10} {:>12} {:>12}",
        "driftgate's requests replayed (in-process)",
        dg_requests.len(),
        ms(rp_min),
        ms(rp_med)
    );
    println!(
        "{:<44} {:>10} {:>12} {:>12}",
        "driftgate --version (process start only)",
        0,
        ms(st_min),
        ms(st_med)
    );
    println!();
    for (m, p) in &dg_requests {
        println!("driftgate's call: {m} {p}");
    }
    println!(
        "ratio per-module / driftgate: engine calls {:.1}x ({} / {}), wall median {:.2}x",
        pm_calls as f64 / dg_calls.max(1) as f64,
        pm_calls,
        dg_calls,
        pm_med.as_secs_f64() / dg_med.as_secs_f64()
    );
    println!(
        "without process start (driftgate median - --version median): {:.2}x",
        pm_med.as_secs_f64() / (dg_med.saturating_sub(st_med)).as_secs_f64().max(1e-6)
    );
    drop(proxy);
    let t = Instant::now();
    drop(lab);
    println!(
        "removed the containers and images in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn stats(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
