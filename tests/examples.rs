//! Every example workflow shipped under examples/, and our own under .gitea/, is one the forges
//! can run: driftgate's own required-checks finds no file it cannot parse, under either forge's
//! rules.

use std::process::Command;

#[test]
fn example_workflows_parse_under_both_forges() {
    check("examples", "workflows");
}

#[test]
fn our_own_workflows_parse_under_both_forges() {
    check(".", ".gitea/workflows");
}

fn check(root: &str, dir: &str) {
    for flavor in ["gitea", "forgejo"] {
        let out = Command::new(env!("CARGO_BIN_EXE_driftgate"))
            .args(["required-checks", "--root", root, "--workflows", dir])
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
        assert!(files >= 3, "{dir}: only {files} workflow files found");
        let unverifiable: Vec<&serde_json::Value> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == "unverifiable")
            .collect();
        assert!(
            unverifiable.is_empty(),
            "{dir} ({flavor}): {unverifiable:?}"
        );
    }
}
