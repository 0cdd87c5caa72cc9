//! `schema/report.v1.json` against real reports: every check, clean and failing, offline and
//! from the fake forge, a usage error from the action path, and a report cut at its size cap.
//! And the schema must be able to fail: documents that break the contract are refused.

mod support;
use support::GITEA_CI;

use serde_json::{Value, json};
use support::fake_forge::{FakeForge, Run, TOKEN, TempDir, driftgate};

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/report.v1.json"
    ))
    .expect("schema/report.v1.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema is a valid draft 2020-12 schema")
}

#[track_caller]
fn valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{doc:#}");
}

fn report(r: &Run) -> Value {
    r.json()
}

#[test]
fn real_reports_of_every_check_follow_the_schema() {
    let v = validator();
    let root = env!("CARGO_MANIFEST_DIR");
    let drifted = format!("{root}/examples/drifted-repo");
    let protection = format!("{drifted}/branch-protection.json");
    let mut seen = std::collections::BTreeSet::new();
    let mut check = |r: Run, what: &str| {
        let doc = report(&r);
        valid(&v, &doc, what);
        seen.insert(doc["result"].as_str().unwrap_or_default().to_string());
    };

    // required-checks: a finding, clean, partial.
    check(
        driftgate(
            &[
                "required-checks",
                "--root",
                &drifted,
                "--protection-file",
                &protection,
                "--json",
            ],
            &[],
        ),
        "required-checks finding",
    );
    let repo = TempDir::new("schema-clean");
    repo.write(".gitea/workflows/ci.yml", GITEA_CI);
    check(
        driftgate(
            &[
                "required-checks",
                "--root",
                repo.str(),
                "--required",
                "CI / build (push)",
                "--json",
            ],
            &[],
        ),
        "required-checks clean",
    );
    let broken = TempDir::new("schema-partial");
    broken.write(".gitea/workflows/ci.yml", "on: [push\njobs: {");
    check(
        driftgate(
            &[
                "required-checks",
                "--root",
                broken.str(),
                "--required",
                "x / y (push)",
                "--json",
            ],
            &[],
        ),
        "required-checks partial",
    );
    // Online, with an orphan and suggestions.
    let forge = FakeForge::gitea("1.27.3", &["CI / biuld (pull_request)"]);
    check(
        driftgate(
            &[
                "required-checks",
                "--server",
                &forge.url,
                "--repo",
                "acme/widget",
                "--root",
                repo.str(),
                "--json",
                "--timeout",
                "10",
            ],
            &[("DRIFTGATE_TOKEN", TOKEN)],
        ),
        "required-checks online",
    );
    // runtime-pin: usage, unreachable, auth, finding.
    let digest = format!("sha256:{}", "a".repeat(64));
    check(
        driftgate(
            &[
                "runtime-pin",
                "--digest",
                "sha256:xyz",
                "--image",
                "r.invalid/x:y",
                "--json",
            ],
            &[],
        ),
        "runtime-pin usage",
    );
    check(
        driftgate(
            &[
                "runtime-pin",
                "--digest",
                &digest,
                "--image",
                "127.0.0.1:9/x:y",
                "--timeout",
                "1",
                "--json",
            ],
            &[],
        ),
        "runtime-pin unreachable",
    );
    let cp = FakeForge::start(support::fake_forge::Kind::Gitea);
    cp.reply(
        "/pins",
        vec![support::fake_forge::Reply::json(
            200,
            &json!({"runtime_image_pins": [{"environment": "prod", "image_digest": format!("sha256:{}", "b".repeat(64))}]}),
        )],
    );
    check(
        driftgate(
            &[
                "runtime-pin",
                "--digest",
                &digest,
                "--url",
                &format!("{}/pins", cp.url),
                "--match",
                "environment=prod",
                "--json",
            ],
            &[("DRIFTGATE_TOKEN", TOKEN)],
        ),
        "runtime-pin mismatch",
    );
    // image-drift: the engine unreachable.
    let compose = TempDir::new("schema-compose");
    compose.write("compose.yml", "services:\n  web:\n    image: nginx:1\n");
    check(
        driftgate(
            &[
                "image-drift",
                "--compose",
                compose.join("compose.yml").to_str().expect("utf8"),
                "--docker-host",
                "unix:///nonexistent-dg.sock",
                "--json",
            ],
            &[],
        ),
        "image-drift unreachable",
    );
    for result in ["clean", "usage", "finding", "unreachable", "partial"] {
        assert!(
            seen.contains(result),
            "no {result} report was checked: {seen:?}"
        );
    }
}

#[test]
fn documents_that_break_the_contract_are_refused() {
    let v = validator();
    let good = json!({
        "schema": "driftgate.report/v1", "check": "runtime-pin", "mode": "assert",
        "result": "clean", "exit_code": 0, "findings": [],
        "source": {"kind": "registry"}, "expected": format!("sha256:{}", "a".repeat(64)),
        "pinned": [], "reads": 1
    });
    valid(&v, &good, "the base document");
    let broken = |path: &str, value: Value| {
        let mut d = good.clone();
        *d.pointer_mut(path).expect("path") = value;
        d
    };
    for (what, doc) in [
        (
            "another schema",
            broken("/schema", json!("driftgate.report/v2")),
        ),
        ("an unknown result", broken("/result", json!("green"))),
        (
            "an exit code that is not the result's",
            broken("/exit_code", json!(2)),
        ),
        (
            "a finding with an unknown severity",
            broken(
                "/findings",
                json!([{"severity": "fatal", "kind": "x", "subject": "s", "message": "m"}]),
            ),
        ),
        (
            "a finding with an extra member",
            broken(
                "/findings",
                json!([{"severity": "error", "kind": "x", "subject": "s", "message": "m", "extra": 1}]),
            ),
        ),
        (
            "a pin that is no digest",
            broken("/pinned", json!(["latest"])),
        ),
    ] {
        assert!(!v.is_valid(&doc), "{what} was accepted");
    }
}

/// `schema/config.v1.json` agrees with the config reader: what one accepts the other accepts.
#[test]
fn the_config_schema_agrees_with_the_reader() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/config.v1.json"
    ))
    .expect("schema/config.v1.json");
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    let v = jsonschema::draft202012::new(&schema).expect("a valid schema");
    let spec_example = r#"forge: {flavor: forgejo, version: "15.0"}
workflows: [.gitea/workflows]
ignore:
  - check: required-checks
    kind: conditional
    subject: "Docs / build (*)"
    reason: docs-only workflow; the paths filter is intended
    until: 2027-03-01
sweep:
  exclude: ["acme/archive-*", acme/sandbox]
"#;
    let cases = [
        (spec_example, true),
        (include_str!("cmd/config/waive-orphan.yml"), true),
        (include_str!("cmd/config/expired.yml"), true),
        (include_str!("cmd/config/typo.yml"), false),
        (include_str!("cmd/config/no-reason.yml"), false),
        ("forge: {flavor: github}\n", false),
        (
            "ignore:\n  - {check: image-drift, kind: drift, reason: x, until: 2027-13-01}\n",
            false,
        ),
    ];
    for (yaml, ok) in cases {
        let doc: Value = serde_saphyr::from_str(yaml).expect("YAML");
        assert_eq!(v.is_valid(&doc), ok, "schema on {yaml}");
        assert_eq!(
            driftgate::config::Config::parse(yaml).is_ok(),
            ok,
            "reader on {yaml}"
        );
    }
}
