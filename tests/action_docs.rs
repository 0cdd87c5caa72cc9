//! The README's action input and output tables must say exactly what action.yml says: names,
//! defaults, required-ness and descriptions. The docs cannot drift from the action.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Action {
    inputs: BTreeMap<String, Input>,
    outputs: BTreeMap<String, Output>,
    runs: Runs,
}

#[derive(Deserialize)]
struct Input {
    description: String,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
struct Output {
    description: String,
}

#[derive(Deserialize)]
struct Runs {
    using: String,
    image: String,
}

/// The rows of the markdown table between `<!-- name:start -->` and `<!-- name:end -->`.
fn table(readme: &str, name: &str) -> Vec<Vec<String>> {
    let start = readme
        .find(&format!("<!-- {name}:start -->"))
        .expect("start marker");
    let end = readme
        .find(&format!("<!-- {name}:end -->"))
        .expect("end marker");
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn unquote(cell: &str) -> String {
    cell.trim_matches('`').to_string()
}

#[test]
fn readme_tables_equal_action_yml() {
    let action: Action =
        serde_saphyr::from_str(&std::fs::read_to_string("action.yml").expect("action.yml"))
            .expect("action.yml parses");
    assert_eq!(
        (action.runs.using.as_str(), action.runs.image.as_str()),
        ("docker", "Dockerfile")
    );
    let readme = std::fs::read_to_string("README.md").expect("README.md");

    let rows = table(&readme, "action-inputs");
    let documented: BTreeMap<String, (String, String)> = rows
        .iter()
        .map(|r| (unquote(&r[0]), (r[1].clone(), r[2].clone())))
        .collect();
    assert_eq!(rows.len(), documented.len(), "an input is documented twice");
    let declared: BTreeMap<String, (String, String)> = action
        .inputs
        .iter()
        .map(|(k, i)| {
            let default = if i.required {
                "(required)".to_string()
            } else {
                match i.default.as_deref() {
                    Some("") | None => String::new(),
                    Some(d) => format!("`{d}`"),
                }
            };
            (k.clone(), (default, i.description.clone()))
        })
        .collect();
    assert_eq!(documented, declared);

    let rows = table(&readme, "action-outputs");
    let documented: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (unquote(&r[0]), r[1].clone()))
        .collect();
    let declared: BTreeMap<String, String> = action
        .outputs
        .iter()
        .map(|(k, o)| (k.clone(), o.description.clone()))
        .collect();
    assert_eq!(documented, declared);
}

#[test]
fn every_spec_input_and_output_exists() {
    let action: Action =
        serde_saphyr::from_str(&std::fs::read_to_string("action.yml").expect("action.yml"))
            .expect("action.yml parses");
    for name in [
        "check",
        "mode",
        "token",
        "server-url",
        "repository",
        "branch",
        "workflows",
        "flavor",
        "required",
        "protection-file",
        "url",
        "rows",
        "match",
        "field",
        "digest",
        "digest-file",
        "image",
        "wait",
        "compose",
        "project",
        "manifests",
        "docker-host",
        "module",
        "label",
        "report",
        "timeout",
        "ca-cert",
        "repos",
        "owner",
        "concurrency",
    ] {
        assert!(
            action.inputs.contains_key(name),
            "input {name} missing from action.yml"
        );
    }
    for name in ["result", "exit-code", "findings", "report"] {
        assert!(
            action.outputs.contains_key(name),
            "output {name} missing from action.yml"
        );
    }
}
