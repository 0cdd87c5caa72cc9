//! Every example workflow shipped under examples/ is one the forges can run: driftgate's own
//! required-checks finds no file it cannot parse, under either forge's rules.

use std::process::Command;

#[test]
fn example_workflows_parse_under_both_forges() {
    for flavor in ["gitea", "forgejo"] {
        let out = Command::new(env!("CARGO_BIN_EXE_driftgate"))
            .args([
                "required-checks",
                "--root",
                "examples",
                "--workflows",
                "workflows",
            ])
            .args([
                "--branch",
                "main",
                "--flavor",
                flavor,
                "--required",
                "*",
                "--json",
            ])
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("run driftgate");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        let files = doc["workflows"]["files"].as_u64().expect("files");
        assert!(files >= 1, "no example workflow found");
        let unverifiable: Vec<&serde_json::Value> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == "unverifiable")
            .collect();
        assert!(unverifiable.is_empty(), "{flavor}: {unverifiable:?}");
    }
}
