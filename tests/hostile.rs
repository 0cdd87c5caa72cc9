//! Hostile workflows: what an attacker or an accident can put in a repository must never turn
//! the gate green, hang it, or inject workflow commands into the runner's log.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn repo(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("driftgate-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join(".gitea/workflows");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write");
    }
    root
}

fn run(root: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.arg("required-checks")
        .arg("--root")
        .arg(root)
        .arg("--branch")
        .arg("main");
    cmd.args(args);
    for v in [
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITEA_STEP_SUMMARY",
        "FORGEJO_STEP_SUMMARY",
        "GITHUB_SERVER_URL",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd.output().expect("run driftgate");
    (out, start.elapsed())
}

const VALID: &str =
    "name: ci\non: pull_request\njobs:\n  test:\n    runs-on: x\n    steps: [{run: make}]\n";

#[test]
fn malformed_yaml_beside_a_satisfying_workflow_is_partial_not_clean() {
    let root = repo(
        "malformed",
        &[
            ("ci.yml", VALID),
            ("broken.yml", "name: x\non: push\njobs:\n  a: {runs-on: x\n"),
        ],
    );
    let (out, _) = run(&root, &["--required", "ci / test (pull_request)", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["result"], "partial");
    let kinds: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"unverifiable"), "{kinds:?}");
    assert_eq!(doc["findings"][0]["subject"], ".gitea/workflows/broken.yml");
}

#[test]
fn a_yaml_alias_bomb_is_partial_quickly() {
    let mut bomb = String::from(
        "name: bomb\non: push\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    bomb.push_str("jobs:\n  a:\n    runs-on: *x11\n");
    let root = repo("bomb", &[("ci.yml", VALID), ("bomb.yml", &bomb)]);
    let (out, took) = run(&root, &["--required", "ci / test (pull_request)"]);
    assert_eq!(out.status.code(), Some(8));
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("bomb.yml") && log.contains("budget"), "{log}");
    // A guard against an unbounded expansion (10^12 nodes), not a performance claim.
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn job_and_workflow_names_cannot_inject_workflow_commands() {
    let hostile = "name: \"ci\\n::add-mask::wf-secret\"\non: pull_request\njobs:\n  a:\n    name: \"x\\n::error::injected\\r\\n::set-env name=A::b\"\n    runs-on: x\n  b:\n    name: \"::add-mask::job-secret\"\n    runs-on: x\n";
    let root = repo("inject", &[("ci.yml", hostile)]);
    let summary = root.join("summary.md");
    let (out, _) = run(
        &root,
        &[
            "--required",
            "nothing / here (pull_request)",
            "--summary",
            summary.to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for line in text.lines() {
            let t = line.trim_start();
            for bad in [
                "::add-mask::",
                "::error::injected",
                "::set-env",
                "::stop-commands",
            ] {
                assert!(!t.starts_with(bad), "injected command line: {line:?}");
            }
        }
        // The names are still shown, escaped.
        assert!(text.contains("add-mask") || stream.is_empty());
    }
    let md = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        !md.lines().any(|l| l.trim_start().starts_with("::")),
        "{md}"
    );
}

#[test]
fn a_huge_workflow_file_is_refused_not_read() {
    let big = format!(
        "name: big\non: push\njobs:\n  a:\n    runs-on: x\n#{}\n",
        "x".repeat(3 * 1024 * 1024)
    );
    let root = repo("huge", &[("ci.yml", VALID), ("big.yml", &big)]);
    let (out, _) = run(&root, &["--required", "ci / test (pull_request)"]);
    assert_eq!(out.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&out.stdout).contains("byte limit"));
}
