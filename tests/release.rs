//! The release path end to end, as `.gitea/workflows/release.yml` runs it (`.ci/release`):
//! a static binary into `dist/`, the `local` image built and pushed to a REAL registry
//! (Debian's docker-registry) under the version and the moving major tag, action.yml pinned
//! to `docker://IMAGE@sha256:…`, both tags verified with driftgate's own `runtime-pin`, and
//! the pinned reference pulled and run as a runner would. With an aarch64 binary too
//! (`DRIFTGATE_STATIC_BINARY_ARM64`), the same path makes one index of both architectures, and
//! the aarch64 binary is run under qemu-user. Everything happens in a copy of the files the
//! script needs, never in the repository. Needs Docker, the registry and the static binaries;
//! skipped with a printed reason without them, required in CI.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::fake_forge::TempDir;

fn skip(why: &str) {
    if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
        panic!("{why}, and DRIFTGATE_REQUIRE_DOCKER is set");
    }
    eprintln!("skipping: {why}");
}

fn static_binary() -> PathBuf {
    match std::env::var_os("DRIFTGATE_STATIC_BINARY") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/x86_64-unknown-linux-musl/release/driftgate"),
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("spawn")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn docker(args: &[&str]) -> Output {
    run(Command::new("docker").args(args))
}

#[test]
fn release_builds_pushes_pins_and_verifies_by_digest() {
    release_path(None);
}

#[test]
fn release_of_two_architectures_is_one_index() {
    let Some(arm) = std::env::var_os("DRIFTGATE_STATIC_BINARY_ARM64").map(PathBuf::from) else {
        let why = "no aarch64 binary (DRIFTGATE_STATIC_BINARY_ARM64; .ci/run builds one)";
        if std::env::var_os("DRIFTGATE_REQUIRE_ARM64").is_some() {
            panic!("{why}, and DRIFTGATE_REQUIRE_ARM64 is set");
        }
        eprintln!("skipping: {why}");
        return;
    };
    // The binary itself runs, under qemu-user (it is an aarch64 ELF, statically linked).
    match Command::new("qemu-aarch64-static")
        .arg(&arm)
        .arg("--version")
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "{}", text(&o));
            assert!(String::from_utf8_lossy(&o.stdout).starts_with("driftgate "));
        }
        Err(e) if std::env::var_os("DRIFTGATE_REQUIRE_ARM64").is_some() => {
            panic!("qemu-aarch64-static: {e}")
        }
        Err(e) => eprintln!("not run under qemu-user: {e}"),
    }
    release_path(Some(arm));
}

fn release_path(arm: Option<PathBuf>) {
    let binary = static_binary();
    if !binary.is_file() {
        return skip(&format!("no static binary at {}", binary.display()));
    }
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        _ => return skip("the Docker engine is unreachable"),
    }
    // One registry (and storage folder) per test: they run at once.
    let label = if arm.is_some() {
        "release-two"
    } else {
        "release-one"
    };
    let Some(reg) = support::registry::start(label, None) else {
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = TempDir::new("release");
    for f in [".ci/release", "Dockerfile", "action.yml"] {
        let to = work.join(f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(repo.join(f), &to).expect("copy");
    }
    let script = work.join(".ci/release");
    let release = |args: &[&str]| {
        let mut cmd = Command::new("bash");
        cmd.arg(&script).args(args).env("DRIFTGATE_BINARY", &binary);
        match &arm {
            Some(a) => cmd.env("DRIFTGATE_BINARY_ARM64", a),
            None => cmd.env_remove("DRIFTGATE_BINARY_ARM64"),
        };
        run(&mut cmd)
    };

    let out = release(&["dist"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(work.join("dist/driftgate").is_file());
    assert!(
        work.join("dist/etc/ssl/certs/ca-certificates.crt")
            .is_file()
    );

    assert_eq!(work.join("dist-arm64/driftgate").is_file(), arm.is_some());

    let name = format!("{}/acme/driftgate", reg.addr);
    let version = format!("{name}:v9.8.7");
    let out = release(&["image", &version, "v9"]);
    assert!(out.status.success(), "{}", text(&out));
    let pinned = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let digest = pinned
        .strip_prefix(&format!("{name}@"))
        .unwrap_or_else(|| panic!("IMAGE@DIGEST expected: {}", text(&out)))
        .to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    // The tagged action.yml names the image by digest; nothing else in it changes.
    let before = std::fs::read_to_string(work.join("action.yml")).expect("action.yml");
    let out = release(&["pin", &pinned]);
    assert!(out.status.success(), "{}", text(&out));
    let after = std::fs::read_to_string(work.join("action.yml")).expect("action.yml");
    let doc: Value = serde_saphyr::from_str(&after).expect("pinned action.yml parses");
    assert_eq!(doc["runs"]["using"], "docker");
    assert_eq!(doc["runs"]["image"], format!("docker://{pinned}"));
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(before.lines().count(), after.lines().count());
    // Pinning twice, or a digest that is none, is refused.
    assert!(!release(&["pin", &pinned]).status.success());
    let fresh = TempDir::new("release-bad");
    std::fs::write(fresh.join("action.yml"), &before).expect("write");
    let bad = release(&[
        "pin",
        &format!("{name}@sha256:xyz"),
        fresh.join("action.yml").to_str().expect("utf8"),
    ]);
    assert!(!bad.status.success(), "{}", text(&bad));

    // As the release workflow verifies: both tags now name the digest just pushed.
    let pin = |digest: &str, tag: &str| {
        run(Command::new(env!("CARGO_BIN_EXE_driftgate"))
            .args([
                "runtime-pin",
                "--digest",
                digest,
                "--image",
                &format!("{name}:{tag}"),
                "--json",
                "--timeout",
                "10",
            ])
            .env("HOME", "/nonexistent-driftgate-home"))
    };
    for tag in ["v9.8.7", "v9"] {
        let out = pin(&digest, tag);
        assert_eq!(out.status.code(), Some(0), "{tag}: {}", text(&out));
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        let kind = if arm.is_some() { "index" } else { "manifest" };
        assert_eq!(report["source"]["digest_kind"], kind, "{}", text(&out));
    }
    if arm.is_some() {
        // The aarch64 image alone is a platform of the index (runtime-pin reads the index).
        let out = docker(&[
            "image",
            "inspect",
            "--format",
            "{{range .RepoDigests}}{{println .}}{{end}}",
            &format!("{name}:v9.8.7-arm64"),
        ]);
        let arm_digest = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}@")).map(str::to_string))
            .unwrap_or_else(|| panic!("the arm64 image's digest: {}", text(&out)));
        let out = pin(&arm_digest, "v9.8.7");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        let source = &report["source"];
        assert!(
            source["expected_is"].to_string().contains("linux/arm64"),
            "{source}"
        );
        let platforms = source["platforms"].to_string();
        assert!(
            platforms.contains("linux/amd64") && platforms.contains("linux/arm64"),
            "{platforms}"
        );
    }

    // A runner pulls `docker://IMAGE@DIGEST` and runs it: the tags are gone locally first.
    for r in [version.as_str(), &format!("{name}:v9")] {
        let _ = docker(&["rmi", "--no-prune", r]);
    }
    let out = docker(&["pull", "-q", &pinned]);
    assert!(out.status.success(), "{}", text(&out));
    let out = docker(&["run", "--rm", &pinned, "--version"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("driftgate "),
        "{}",
        text(&out)
    );
    let _ = docker(&["rmi", &pinned]);
}
