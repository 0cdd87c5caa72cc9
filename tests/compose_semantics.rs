//! image-drift declares what `docker compose` would run: for a table of interpolation and merge
//! cases, the images driftgate declares must equal the ones compose's own `config` prints
//! (Debian's `docker-compose`, compose v1, is the compose available here; it does not know
//! top-level `name:`, so no case uses it). Cases v1 does not know (`${V:+alt}`, nested
//! defaults, profiles) are checked against the compose specification in
//! `src/checks/image_drift/compose/`. No engine is needed: driftgate's report lists what was
//! declared even when the engine is unreachable.

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;
use support::fake_forge::{TempDir, driftgate};

/// `(service, image)` as compose's `config` prints them, or compose's failure.
fn compose_config(
    dir: &TempDir,
    files: &[&str],
    env: &[(&str, &str)],
) -> Result<BTreeMap<String, String>, String> {
    let mut cmd = Command::new("docker-compose");
    for f in files {
        cmd.args(["-f", f]);
    }
    cmd.arg("config")
        .current_dir(dir.str())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("docker-compose");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let doc: Value =
        serde_saphyr::from_str(&String::from_utf8_lossy(&out.stdout)).expect("config output");
    Ok(doc["services"]
        .as_object()
        .expect("services")
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v["image"].as_str()?.replace("$$", "$"))))
        .collect())
}

/// `(module, declared image)` of a report.
fn declared_in(doc: &Value) -> BTreeMap<String, String> {
    doc["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .filter_map(|m| {
            Some((
                m["name"].as_str()?.to_string(),
                m["declared"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// `(service, image)` as driftgate declares them, or its usage error.
fn declared(
    dir: &TempDir,
    files: &[&str],
    env: &[(&str, &str)],
) -> Result<BTreeMap<String, String>, String> {
    let mut args = vec!["image-drift".to_string()];
    for f in files {
        args.push("--compose".into());
        args.push(dir.join(f).display().to_string());
    }
    args.extend(
        [
            "--docker-host",
            "unix:///nonexistent-driftgate.sock",
            "--json",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = driftgate(&args, env);
    let doc = r.json();
    if r.code == 1 {
        return Err(doc["findings"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string());
    }
    Ok(declared_in(&doc))
}

#[test]
fn declared_images_equal_composes_own_config() {
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
            panic!("docker-compose is not installed, and DRIFTGATE_REQUIRE_DOCKER is set");
        }
        eprintln!("skipping: docker-compose is not installed (apt-get install docker-compose)");
        return;
    }
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
    );
    let cases: &[Case] = &[
        (
            ".env beside the file sets the tag",
            &[
                (
                    "compose.yml",
                    "services:\n  web:\n    image: app:${TAG:-v1}\n",
                ),
                (".env", "TAG=v2\n"),
            ],
            &["compose.yml"],
            &[],
        ),
        (
            "the shell wins over .env",
            &[
                (
                    "compose.yml",
                    "services:\n  web:\n    image: app:${TAG:-v1}\n",
                ),
                (".env", "TAG=v2\n"),
            ],
            &["compose.yml"],
            &[("TAG", "v3")],
        ),
        (
            "an empty value and the two defaults",
            &[
                (
                    "compose.yml",
                    "services:\n  a:\n    image: app:${E:-d1}\n  b:\n    image: app:x${E-d2}\n  c:\n    image: app:${U-d3}\n",
                ),
                (".env", "E=\n"),
            ],
            &["compose.yml"],
            &[],
        ),
        (
            "quoted .env values, export and comments",
            &[
                (
                    "compose.yml",
                    "services:\n  a:\n    image: ${REG}/app:${TAG}\n",
                ),
                (
                    ".env",
                    "# registry\nexport REG=\"r.example:5000\"\nTAG='v9' \n",
                ),
            ],
            &["compose.yml"],
            &[],
        ),
        (
            "two files merge into one project",
            &[
                (
                    "a.yml",
                    "services:\n  web:\n    image: app:v1\n  db:\n    image: postgres:16\n",
                ),
                (
                    "b.yml",
                    "services:\n  web:\n    image: app:v2\n  cache:\n    image: redis:7\n",
                ),
            ],
            &["a.yml", "b.yml"],
            &[],
        ),
        (
            "extends in the same file and from another",
            &[
                (
                    "compose.yml",
                    "services:\n  base:\n    image: app:${TAG:-v1}\n  web:\n    extends:\n      service: base\n  worker:\n    extends:\n      file: common.yml\n      service: worker\n  api:\n    extends:\n      file: common.yml\n      service: worker\n    image: api:v7\n",
                ),
                (
                    "common.yml",
                    "services:\n  worker:\n    image: worker:${WTAG:-w1}\n",
                ),
                (".env", "TAG=v2\nWTAG=w2\n"),
            ],
            &["compose.yml"],
            &[],
        ),
        (
            "dollars escaped",
            &[("compose.yml", "services:\n  web:\n    image: app:v$$1\n")],
            &["compose.yml"],
            &[],
        ),
        (
            "a required variable that is set",
            &[(
                "compose.yml",
                "services:\n  web:\n    image: app:${TAG:?set TAG}\n",
            )],
            &["compose.yml"],
            &[("TAG", "v5")],
        ),
        (
            "a required variable that is not set stops both",
            &[(
                "compose.yml",
                "services:\n  web:\n    image: app:${TAG:?set TAG}\n",
            )],
            &["compose.yml"],
            &[],
        ),
    ];
    for (what, files, given, env) in cases {
        let dir = TempDir::new("compose-case");
        for (name, text) in *files {
            dir.write(name, text);
        }
        let want = compose_config(&dir, given, env);
        let got = declared(&dir, given, env);
        match (&want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(g, w, "{what}"),
            (Err(_), Err(message)) => {
                // compose v1 words it "Missing mandatory value"; driftgate as compose v2 does.
                assert!(
                    message.contains("required variable TAG is missing a value: set TAG"),
                    "{what}: {message}"
                );
            }
            _ => panic!("{what}: compose says {want:?}, driftgate {got:?}"),
        }
    }
}

/// Without `--compose`, the files compose itself finds: the first default name and its
/// override, from the project directory upwards (here the project directory's parent).
#[test]
fn without_compose_files_the_ones_compose_finds_are_read() {
    let dir = TempDir::new("compose-discover");
    dir.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: app:${TAG:-v1}\n  db:\n    image: postgres:16\n",
    )
    .write(
        "docker-compose.override.yml",
        "services:\n  web:\n    image: app:override\n",
    )
    .write(".env", "TAG=v2\n")
    .write("sub/README", "a folder below the project\n");
    let r = driftgate(
        &[
            "image-drift",
            "--project-directory",
            dir.join("sub").to_str().expect("utf8"),
            "--docker-host",
            "unix:///nonexistent-driftgate.sock",
            "--json",
        ],
        &[],
    );
    let doc = r.json();
    let got: BTreeMap<String, String> = declared_in(&doc);
    assert_eq!(got["web"], "app:override", "{doc:#}");
    assert_eq!(got["db"], "postgres:16", "{doc:#}");
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok()
    {
        assert_eq!(compose_config(&dir, &[], &[]).expect("compose config"), got);
    }
    // COMPOSE_FILE from the starting folder's .env, as compose reads it.
    let other = TempDir::new("compose-file-env");
    other
        .write("stack/one.yml", "services:\n  web:\n    image: app:one\n")
        .write(".env", "COMPOSE_FILE=stack/one.yml\n");
    let r = driftgate(
        &[
            "image-drift",
            "--project-directory",
            other.str(),
            "--docker-host",
            "unix:///nonexistent-driftgate.sock",
            "--json",
        ],
        &[],
    );
    assert!(r.stdout.contains("app:one"), "{}", r.stdout);
    // Nothing to find: usage, saying where compose looks.
    let empty = TempDir::new("compose-none");
    let r = driftgate(
        &["image-drift", "--project-directory", empty.str(), "--json"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
}

/// compose-spec `include.md` (compose ≥ 2.20; compose v1 here does not know it): the included
/// file's services join the project, read with its own folder's `.env`; a service defined on
/// both sides stops compose.
#[test]
fn included_files_bring_their_services() {
    let dir = TempDir::new("compose-include");
    dir.write(
        "compose.yml",
        "include:\n  - sub/compose.yml\nservices:\n  web:\n    image: app:v1\n",
    )
    .write(
        "sub/compose.yml",
        "services:\n  db:\n    image: postgres:${PG}\n",
    )
    .write("sub/.env", "PG=16\n");
    let file = dir.join("compose.yml");
    let run = |f: &std::path::Path| {
        driftgate(
            &[
                "image-drift",
                "--compose",
                f.to_str().expect("utf8"),
                "--docker-host",
                "unix:///nonexistent-driftgate.sock",
                "--json",
            ],
            &[],
        )
    };
    let r = run(&file);
    let doc = r.json();
    let got: BTreeMap<String, String> = declared_in(&doc);
    assert_eq!(got["web"], "app:v1", "{doc:#}");
    assert_eq!(got["db"], "postgres:16", "{doc:#}");
    dir.write(
        "clash.yml",
        "include:\n  - sub/compose.yml\nservices:\n  db:\n    image: mine:v1\n",
    );
    let r = run(&dir.join("clash.yml"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    // An extends loop is unverifiable, not a hang.
    dir.write(
        "loop.yml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n    image: x:1\n",
    );
    let r = run(&dir.join("loop.yml"));
    assert_eq!(r.code, 8, "{}", r.stdout);
}

#[test]
fn profiles_and_scale_zero_are_not_expected_to_run() {
    let dir = TempDir::new("compose-profiles");
    dir.write(
        "compose.yml",
        "services:\n  web:\n    image: app:v1\n  debug:\n    image: tools:v1\n    profiles: [debug]\n  off:\n    image: off:v1\n    scale: 0\n",
    );
    let run = |env: &[(&str, &str)]| {
        let r = driftgate(
            &[
                "image-drift",
                "--compose",
                dir.join("compose.yml").to_str().expect("utf8"),
                "--docker-host",
                "unix:///nonexistent-driftgate.sock",
                "--json",
            ],
            env,
        );
        let doc = r.json();
        doc["modules"]
            .as_array()
            .expect("modules")
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap_or_default().to_string(),
                    m["status"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    let off = run(&[]);
    assert_eq!(off["debug"], "skipped", "{off:?}");
    assert_eq!(off["off"], "skipped", "{off:?}");
    assert_eq!(off["web"], "unverifiable", "{off:?}");
    let on = run(&[("COMPOSE_PROFILES", "debug")]);
    assert_eq!(on["debug"], "unverifiable", "{on:?}");
}
