//! `driftgate image-drift` against the REAL Docker engine on this machine: tiny busybox images
//! built FROM scratch, pushed to a local `docker-registry` and pulled back (real RepoDigests),
//! containers started with docker compose's labels, and driftgate pointed at a recording proxy
//! in front of the engine socket (`--docker-host unix://<proxy>`), so every engine call it makes
//! is seen. Each test has its own registry, names and containers, all removed on drop.
//!
//! Skipped with a printed reason where no engine is reachable or busybox-static /
//! docker-registry are missing, unless DRIFTGATE_REQUIRE_DOCKER is set (as `.ci/run` does).

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::docker::{DOCKER_SOCK, Lab, Proxy, docker, inspect_image};

/// What one driftgate run did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing the whole report when it differs.
    fn expect(&self, code: i32) -> Value {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let r = self.json();
        assert_eq!(r["schema"], "driftgate.report/v1", "{r:#}");
        assert_eq!(r["check"], "image-drift", "{r:#}");
        assert_eq!(r["exit_code"], code, "{r:#}");
        r
    }
}

/// `driftgate image-drift <args> --docker-host <host> --json`, with a clean environment
/// (no runner, proxy, Docker or compose variables from outside), killed after a minute.
fn drift(host: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.arg("image-drift")
        .args(args)
        .args(["--docker-host", host, "--json", "--timeout", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy().to_string();
        if [
            "GITHUB_",
            "GITEA_",
            "FORGEJO_",
            "DRIFTGATE_",
            "INPUT_",
            "RUNNER_",
            "DOCKER_",
            "COMPOSE_",
        ]
        .iter()
        .any(|p| n.starts_with(p))
            || n.to_ascii_lowercase().ends_with("_proxy")
        {
            cmd.env_remove(&name);
        }
    }
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
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("driftgate image-drift {args:?} ran longer than 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code().expect("driftgate killed by a signal"),
        stdout: out_t.join().expect("stdout"),
        stderr: err_t.join().expect("stderr"),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The kinds of all findings, in report order.
fn kinds(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// Findings of `kind`.
fn findings<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

/// The module (service) called `name`.
fn module<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no module {name:?} in {r:#}"))
}

/// A compose file with `name:` (when given) and `services` as (service, image).
fn compose(name: Option<&str>, services: &[(&str, &str)]) -> String {
    let mut y = String::new();
    if let Some(n) = name {
        y.push_str(&format!("name: {n}\n"));
    }
    y.push_str("services:\n");
    for (svc, image) in services {
        y.push_str(&format!(
            "  {svc}:\n    image: \"{image}\"\n    restart: unless-stopped\n"
        ));
    }
    y
}

/// Every recorded engine call is a read.
fn assert_read_only(proxy: &Proxy) {
    let records = proxy.records();
    assert!(!records.is_empty(), "no engine call went through the proxy");
    for (m, p) in &records {
        assert!(m == "GET" || m == "HEAD", "state-changing call {m} {p}");
    }
}

#[test]
fn in_sync_by_digest() {
    let Some(lab) = Lab::start("insync") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    let container = lab.run_service(&project, "app", 1, &declared);
    let file = lab.write(
        "insync/compose.yaml",
        &compose(Some(&project), &[("app", &declared)]),
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(&proxy.url(), &["--compose", s(&file)]).expect(0);
    assert_eq!(r["result"], "clean", "{r:#}");
    assert!(
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["severity"] != "error"),
        "{r:#}"
    );
    let m = module(&r, "app");
    assert_eq!(m["status"], "in-sync", "{r:#}");
    assert_eq!(m["declared"], declared.as_str(), "{r:#}");
    let c = &m["containers"][0];
    assert_eq!(c["name"], container.as_str(), "{r:#}");
    assert_eq!(c["image_id"], v1.id.as_str(), "{r:#}");
    assert_eq!(c["state"], "running", "{r:#}");
    assert!(
        c["repo_digests"]
            .as_array()
            .expect("repo_digests")
            .iter()
            .any(|d| d == v1.repo_digests[0].as_str()),
        "{r:#}"
    );
    assert_read_only(&proxy);
}

/// Several `--docker-host`: one report, rows per engine, one exit code (an unreachable
/// engine's 5 wins over the others' clean).
#[test]
fn several_engines_in_one_report() {
    let Some(lab) = Lab::start("engines") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &declared);
    let file = lab.write(
        "engines/compose.yaml",
        &compose(Some(&project), &[("app", &declared)]),
    );
    // The same engine through two proxies: two engines that both run the service.
    let (a, b) = (Proxy::start(DOCKER_SOCK), Proxy::start(DOCKER_SOCK));
    let r = drift(
        &a.url(),
        &["--compose", s(&file), "--docker-host", &b.url()],
    )
    .expect(0);
    let modules: Vec<&Value> = r["modules"].as_array().expect("modules").iter().collect();
    assert_eq!(modules.len(), 2, "{r:#}");
    let engines: Vec<&str> = modules
        .iter()
        .filter_map(|m| m["engine"].as_str())
        .collect();
    assert!(engines.contains(&b.url().as_str()), "{r:#}");
    assert_eq!(r["engines"].as_array().expect("engines").len(), 2, "{r:#}");
    assert_read_only(&a);
    assert_read_only(&b);
    // One engine dead: the other is still read, and the result is unreachable (5).
    let r = drift(
        &a.url(),
        &[
            "--compose",
            s(&file),
            "--docker-host",
            "unix:///nonexistent-driftgate.sock",
        ],
    )
    .expect(5);
    let statuses: Vec<&str> = r["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .filter_map(|m| m["status"].as_str())
        .collect();
    assert!(
        statuses.contains(&"in-sync") && statuses.contains(&"unverifiable"),
        "{r:#}"
    );
}

/// `--resolve-tags`: the tag moved in its registry while this engine's copy of the tag did not
/// (nobody pulled): by the engine alone in sync, by the registry stale. A tag whose registry
/// cannot be read is never clean.
#[test]
fn resolve_tags_sees_a_tag_that_moved_upstream() {
    let Some(lab) = Lab::start("upstream") else {
        return;
    };
    let repo = lab.repo("drift/upstream");
    let tag = format!("{repo}:v1");
    let old = lab.publish(&[&tag], "one");
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &tag);
    // A new build is pushed as :v1; the engine's :v1 is put back on the old image.
    lab.build(&tag, "two");
    docker(&["push", "-q", &tag]);
    docker(&["tag", &old.id, &tag]);
    let file = lab.write("upstream/compose.yaml", &compose(None, &[("app", &tag)]));
    let proxy = Proxy::start(DOCKER_SOCK);
    let args = ["--compose", s(&file), "--project", &project];
    let r = drift(&proxy.url(), &args).expect(0);
    assert_eq!(module(&r, "app")["status"], "in-sync", "{r:#}");
    let mut with = args.to_vec();
    with.push("--resolve-tags");
    let r = drift(&proxy.url(), &with).expect(2);
    assert_eq!(kinds(&r), ["stale-container"], "{r:#}");
    assert!(r.to_string().contains("in its registry"), "{r:#}");
    assert_read_only(&proxy);
    // A registry that cannot be read: unreachable (5), never clean.
    let dead = lab.write(
        "upstream/dead.yaml",
        &compose(None, &[("app", "127.0.0.1:9/drift/none:v1")]),
    );
    let r = drift(
        &proxy.url(),
        &[
            "--compose",
            s(&dead),
            "--project",
            &project,
            "--resolve-tags",
        ],
    )
    .expect(5);
    assert!(kinds(&r).contains(&"unreachable".to_string()), "{r:#}");
}

/// A project that real compose started (Debian's `docker-compose up`): its containers are found
/// by the labels compose sets, and starting it from one more file than is checked is said
/// (`com.docker.compose.project.config_files`).
#[test]
fn a_project_compose_itself_started() {
    let Some(lab) = Lab::start("composeup") else {
        return;
    };
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
            panic!("docker-compose is not installed, and DRIFTGATE_REQUIRE_DOCKER is set");
        }
        eprintln!("skipping: docker-compose is not installed");
        return;
    }
    let repo = lab.repo("drift/composeup");
    let tag = format!("{repo}:v1");
    lab.publish(&[&tag], "up");
    let project = lab.name("up").replace('-', "");
    let base = lab.write(
        "composeup/compose.yml",
        &format!("services:\n  app:\n    image: {tag}\n    network_mode: none\n"),
    );
    let extra = lab.write(
        "composeup/extra.yml",
        "services:\n  app:\n    labels:\n      started-by: extra\n",
    );
    let compose = |args: &[&str]| {
        let mut c = Command::new("docker-compose");
        c.args(["-p", &project, "-f", s(&base), "-f", s(&extra)])
            .args(args);
        c.output().expect("docker-compose")
    };
    let up = compose(&["up", "-d", "--no-build"]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&base), "--project", &project],
    );
    let _ = compose(&["down", "-v"]);
    let r = r.expect(0);
    assert_eq!(module(&r, "app")["status"], "in-sync", "{r:#}");
    let notice = findings(&r, "compose-files");
    assert_eq!(notice.len(), 1, "{r:#}");
    assert!(
        notice[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("extra.yml"),
        "{r:#}"
    );
    assert_read_only(&proxy);
}

#[test]
fn drift_to_an_older_digest() {
    let Some(lab) = Lab::start("older") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let v2 = lab.publish(&[&format!("{repo}:v2")], "v2");
    assert_ne!(v1.digest(), v2.digest());
    let project = lab.name("p");
    // The engine still runs v1; the compose file was bumped to v2.
    lab.run_service(&project, "app", 1, &format!("{repo}@{}", v1.digest()));
    let declared = format!("{repo}@{}", v2.digest());
    let file = lab.write("older/compose.yaml", &compose(None, &[("app", &declared)]));
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(2);
    assert_eq!(r["result"], "finding", "{r:#}");
    assert_eq!(kinds(&r), ["drift"], "{r:#}");
    assert_eq!(findings(&r, "drift")[0]["severity"], "error", "{r:#}");
    let m = module(&r, "app");
    assert_eq!(m["status"], "drift", "{r:#}");
    assert_eq!(m["containers"][0]["image_id"], v1.id.as_str(), "{r:#}");
    assert_read_only(&proxy);
}

#[test]
fn the_matching_repo_digest_is_not_the_first() {
    let Some(lab) = Lab::start("second") else {
        return;
    };
    let (app, mirror) = (lab.repo("drift/app"), lab.repo("drift/mirror"));
    // One image pushed to two repositories: two RepoDigests, same manifest digest.
    let img = lab.publish(&[&format!("{app}:v1"), &format!("{mirror}:v1")], "one");
    let digests = inspect_image(&img.id)["RepoDigests"].clone();
    let digests: Vec<&str> = digests
        .as_array()
        .expect("RepoDigests")
        .iter()
        .map(|d| d.as_str().expect("digest"))
        .collect();
    assert_eq!(digests.len(), 2, "{digests:?}");
    let declared = digests[1].to_string();
    let project = lab.name("p");
    // The container was started from the other repository's tag: only RepoDigests[1] matches
    // the declared repository.
    let first_repo = digests[0].split_once('@').expect("@").0;
    lab.run_service(&project, "app", 1, &format!("{first_repo}:v1"));
    let file = lab.write("second/compose.yaml", &compose(None, &[("app", &declared)]));
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(0);
    assert_eq!(module(&r, "app")["status"], "in-sync", "{r:#}");
    let listed = module(&r, "app")["containers"][0]["repo_digests"].clone();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(2),
        "both RepoDigests reported: {r:#}"
    );
    assert_read_only(&proxy);
}

#[test]
fn a_local_image_without_repo_digests_is_partial() {
    let Some(lab) = Lab::start("local") else {
        return;
    };
    let repo = lab.repo("drift/local");
    let id = lab.build(&format!("{repo}:v1"), "never-pushed");
    let v = inspect_image(&id);
    assert!(v["RepoDigests"].as_array().is_none_or(Vec::is_empty), "{v}");
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &format!("{repo}:v1"));
    // Declared by a digest that happens to be the image ID: the ID is never proof.
    let declared = format!("{repo}@{id}");
    let file = lab.write("local/compose.yaml", &compose(None, &[("app", &declared)]));
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(8);
    assert_eq!(r["result"], "partial", "{r:#}");
    assert_eq!(kinds(&r), ["unverifiable"], "{r:#}");
    assert_eq!(module(&r, "app")["status"], "unverifiable", "{r:#}");
    assert_read_only(&proxy);
}

/// The engine lists a dangling image (its tag moved to a newer build) with the placeholders
/// `<none>@<none>` / `<none>:<none>`: no digest, so unverifiable (8), never drift (2).
#[test]
fn a_dangling_image_is_unverifiable_not_drift() {
    let Some(lab) = Lab::start("dangling") else {
        return;
    };
    let repo = lab.repo("drift/dangling");
    let tag = format!("{repo}:v1");
    let old = lab.build(&tag, "one");
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &tag);
    // The tag moves: the running image keeps no name at all.
    let new = lab.build(&tag, "two");
    assert_ne!(old, new);
    let declared = format!("{repo}@sha256:{}", "c".repeat(64));
    let file = lab.write(
        "dangling/compose.yaml",
        &compose(None, &[("app", &declared)]),
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(8);
    assert_eq!(kinds(&r), ["unverifiable"], "{r:#}");
    let m = module(&r, "app");
    assert_eq!(m["status"], "unverifiable", "{r:#}");
    assert!(r.to_string().contains("dangling"), "{r:#}");
    assert_read_only(&proxy);
}

#[test]
fn tag_only_in_sync_with_the_folder_as_project() {
    let Some(lab) = Lab::start("tag") else {
        return;
    };
    let repo = lab.repo("drift/app");
    lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}:v1");
    // No --project, no name: the folder's name, normalised as docker compose does
    // (lower case, only [a-z0-9_-]).
    let folder = format!("Drift.Stack_{}", lab.prefix.replace('-', ""));
    let project = folder.to_lowercase().replace('.', "");
    lab.run_service(&project, "app", 1, &declared);
    let file = lab.write(
        &format!("{folder}/docker-compose.yml"),
        &compose(None, &[("app", &declared)]),
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(&proxy.url(), &["--compose", s(&file)]).expect(0);
    assert_eq!(module(&r, "app")["status"], "in-sync", "{r:#}");
    assert_eq!(module(&r, "app")["declared"], declared.as_str(), "{r:#}");
    assert_read_only(&proxy);
}

#[test]
fn tag_moved_but_container_not_recreated() {
    let Some(lab) = Lab::start("moved") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let tag = format!("{repo}:v1");
    let old = lab.publish(&[&tag], "one");
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &tag);
    // A new image is pushed as :v1 and pulled; the container still runs the old one.
    let new = lab.publish(&[&tag], "two");
    assert_ne!(old.id, new.id);
    assert_eq!(inspect_image(&tag)["Id"], new.id.as_str());
    let file = lab.write("moved/compose.yaml", &compose(None, &[("app", &tag)]));
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(2);
    assert_eq!(kinds(&r), ["stale-container"], "{r:#}");
    let m = module(&r, "app");
    assert_eq!(m["status"], "stale-container", "{r:#}");
    assert_eq!(m["containers"][0]["image_id"], old.id.as_str(), "{r:#}");
    assert_read_only(&proxy);
}

#[test]
fn missing_container() {
    let Some(lab) = Lab::start("missing") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &declared);
    // `worker` is declared but never started.
    let file = lab.write(
        "missing/compose.yaml",
        &compose(Some(&project), &[("app", &declared), ("worker", &declared)]),
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(&proxy.url(), &["--compose", s(&file)]).expect(2);
    assert_eq!(r["result"], "finding", "{r:#}");
    assert_eq!(kinds(&r), ["missing-container"], "{r:#}");
    assert_eq!(module(&r, "worker")["status"], "missing-container", "{r:#}");
    assert_eq!(
        module(&r, "worker")["containers"].as_array().map(Vec::len),
        Some(0),
        "{r:#}"
    );
    assert_eq!(module(&r, "app")["status"], "in-sync", "{r:#}");
    assert_read_only(&proxy);
}

#[test]
fn stopped_container() {
    let Some(lab) = Lab::start("stopped") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    let name = lab.run_service(&project, "app", 1, &declared);
    lab.kill(&name);
    let file = lab.write(
        "stopped/compose.yaml",
        &compose(None, &[("app", &declared)]),
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(2);
    assert_eq!(kinds(&r), ["stopped-container"], "{r:#}");
    let m = module(&r, "app");
    assert_eq!(m["status"], "stopped-container", "{r:#}");
    assert_eq!(m["containers"][0]["state"], "exited", "{r:#}");
    assert_read_only(&proxy);
}

#[test]
fn manifests_skip_non_compose_modules() {
    let Some(lab) = Lab::start("manifests") else {
        return;
    };
    let repo = lab.repo("drift/web");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "web");
    let declared = format!("{repo}@{}", v1.digest());
    // `web` names its container; `api`'s container defaults to metadata.name.
    let web = lab.run(&lab.name("web-container"), &declared, None);
    let api = lab.run(&lab.name("api"), &declared, None);
    lab.write(
        "m/modules/web/module.yaml",
        &format!(
            "metadata:\n  name: web\nspec:\n  runtime:\n    kind: compose\n    container: {web}\n    image: \"{declared}\"\n"
        ),
    );
    lab.write(
        "m/modules/api/module.yaml",
        &format!(
            "metadata:\n  name: {api}\nspec:\n  runtime:\n    kind: compose\n    image: \"{declared}\"\n"
        ),
    );
    lab.write(
        "m/modules/timer/module.yaml",
        "metadata:\n  name: timer\nspec:\n  runtime:\n    kind: systemd\n    unit: timer.service\n    image: \"example.invalid/timer:v1\"\n",
    );
    let glob = format!("{}/m/modules/*/module.yaml", lab.dir.display());
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(&proxy.url(), &["--manifests", &glob]).expect(0);
    assert_eq!(r["result"], "clean", "{r:#}");
    assert_eq!(kinds(&r), ["skipped"], "{r:#}");
    assert_eq!(findings(&r, "skipped")[0]["severity"], "notice", "{r:#}");
    assert_eq!(module(&r, "timer")["status"], "skipped", "{r:#}");
    assert_eq!(module(&r, "web")["status"], "in-sync", "{r:#}");
    assert_eq!(
        module(&r, "web")["containers"][0]["name"],
        web.as_str(),
        "{r:#}"
    );
    assert_eq!(module(&r, &api)["status"], "in-sync", "{r:#}");
    assert!(
        module(&r, "web")["source"]
            .as_str()
            .is_some_and(|f| f.ends_with("modules/web/module.yaml")),
        "{r:#}"
    );
    assert_read_only(&proxy);
}

#[test]
fn module_filter_limits_the_run() {
    let Some(lab) = Lab::start("filter") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &declared);
    let file = lab.write(
        "filter/compose.yaml",
        &compose(Some(&project), &[("app", &declared), ("worker", &declared)]),
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(&proxy.url(), &["--compose", s(&file), "--module", "app"]).expect(0);
    let names: Vec<&str> = r["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .filter(|m| m["status"] != "skipped")
        .map(|m| m["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["app"], "{r:#}");
    let r = drift(&proxy.url(), &["--compose", s(&file)]).expect(2);
    assert_eq!(kinds(&r), ["missing-container"], "{r:#}");
}

#[test]
fn a_scaled_service_checks_every_replica() {
    let Some(lab) = Lab::start("scaled") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let v2 = lab.publish(&[&format!("{repo}:v2")], "v2");
    let project = lab.name("p");
    let declared = format!("{repo}@{}", v2.digest());
    lab.run_service(&project, "app", 1, &declared);
    let old = lab.run_service(&project, "app", 2, &format!("{repo}@{}", v1.digest()));
    let file = lab.write("scaled/compose.yaml", &compose(None, &[("app", &declared)]));
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(
        &proxy.url(),
        &["--compose", s(&file), "--project", &project],
    )
    .expect(2);
    assert_eq!(kinds(&r), ["drift"], "one replica drifted: {r:#}");
    let m = module(&r, "app");
    assert_eq!(m["status"], "drift", "{r:#}");
    let containers = m["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 2, "{r:#}");
    assert!(
        findings(&r, "drift")[0].to_string().contains(&old),
        "the finding names the stale replica {old}: {r:#}"
    );
    assert_read_only(&proxy);
}

#[test]
fn a_compose_file_that_does_not_parse_is_partial() {
    let Some(lab) = Lab::start("broken") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    lab.run_service(&project, "app", 1, &declared);
    let good = lab.write(
        "broken/compose.yaml",
        &compose(Some(&project), &[("app", &declared)]),
    );
    let bad = lab.write(
        "broken/other/compose.yaml",
        "services:\n  web:\n    image: [unclosed\n",
    );
    let proxy = Proxy::start(DOCKER_SOCK);
    let r = drift(&proxy.url(), &["--compose", s(&good), "--compose", s(&bad)]).expect(8);
    assert_eq!(kinds(&r), ["unverifiable"], "{r:#}");
    assert_eq!(module(&r, "app")["status"], "in-sync", "{r:#}");
}

/// Needs no engine at all: the engine is the thing that is missing.
#[test]
fn a_dead_docker_host_is_unreachable_whatever_else_is_wrong() {
    let dir = std::env::temp_dir().join(format!("driftgate-dead-host-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("modules/bad")).expect("dir");
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        compose(
            Some("deadhost"),
            &[
                ("app", "127.0.0.1:5000/drift/app@sha256:1111111111111111111111111111111111111111111111111111111111111111"),
                ("worker", "127.0.0.1:5000/drift/worker:v1"),
            ],
        ),
    )
    .expect("compose");
    // A manifest that does not parse would be `partial` (8) on its own.
    std::fs::write(dir.join("modules/bad/module.yaml"), "metadata: [\n").expect("manifest");
    let glob = format!("{}/modules/*/module.yaml", dir.display());
    let r = drift(
        "unix:///nonexistent.sock",
        &["--compose", s(&file), "--manifests", &glob],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let r = r.expect(5);
    assert_eq!(r["result"], "unreachable", "{r:#}");
    assert!(kinds(&r).iter().any(|k| k == "unreachable"), "{r:#}");
}

#[test]
fn read_only_and_a_constant_number_of_engine_calls() {
    let Some(lab) = Lab::start("readonly") else {
        return;
    };
    let repo = lab.repo("drift/app");
    let v1 = lab.publish(&[&format!("{repo}:v1")], "v1");
    let declared = format!("{repo}@{}", v1.digest());
    let project = lab.name("p");
    let services: Vec<String> = (1..=5).map(|i| format!("svc{i}")).collect();
    for svc in &services {
        lab.run_service(&project, svc, 1, &declared);
    }
    let all: Vec<(&str, &str)> = services
        .iter()
        .map(|s| (s.as_str(), declared.as_str()))
        .collect();
    let one = lab.write("ro/one/compose.yaml", &compose(Some(&project), &all[..1]));
    let five = lab.write("ro/five/compose.yaml", &compose(Some(&project), &all));

    let mut counts = Vec::new();
    for file in [&one, &five] {
        let proxy = Proxy::start(DOCKER_SOCK);
        let r = drift(&proxy.url(), &["--compose", s(file)]).expect(0);
        let records = proxy.records();
        assert_read_only(&proxy);
        assert_eq!(
            r["engine_calls"].as_u64(),
            Some(records.len() as u64),
            "engine_calls matches what the proxy saw: {records:?}\n{r:#}"
        );
        counts.push((records.len(), records));
    }
    assert_eq!(
        counts[0].0, counts[1].0,
        "1 module: {:?}\n5 modules: {:?}",
        counts[0].1, counts[1].1
    );
}
