//! A workflow file as the forges decode it for status contexts (act `model.ReadWorkflow` and
//! `jobparser.Parse`, yaml.v3): its `name:` (a Go string: the text as written), its `on:`, and
//! its jobs in file order with the line of each key. Only what the context model needs is kept.

use crate::yaml::tree::{self, Node};
use crate::yaml::{self, YamlError};

/// One workflow file found in the repository.
#[derive(Debug, Clone)]
pub struct WorkflowFile {
    /// Path relative to the repository root, as shown to users (`.gitea/workflows/ci.yml`).
    pub path: String,
    /// Path relative to the workflows folder: what the forge stores as the workflow id.
    pub entry: String,
    pub text: String,
}

impl WorkflowFile {
    /// The file name the forge falls back to for the workflow name (`path.Base(WorkflowID)`).
    pub fn base_name(&self) -> &str {
        self.entry.rsplit('/').next().unwrap_or(&self.entry)
    }
}

/// A parsed workflow: what the status contexts depend on.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Top-level `name:` as a Go string field holds it (the text as written, `""` when absent or
    /// null); never interpolated by the forges.
    pub name: String,
    pub on: Node,
    pub jobs: Vec<Job>,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub line: usize,
    pub body: Node,
}

impl Job {
    /// A field of the job, `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.body.field(key)
    }

    /// `name:` as a Go string field (`""` when absent or null).
    pub fn name(&self) -> Result<String, String> {
        match self.body.get("name") {
            None => Ok(String::new()),
            Some(n) => n
                .string_field()
                .map_err(|e| format!("job {:?} name: {e}", self.id)),
        }
    }

    /// The text of a string-valued field (`if:`, `uses:`), `None` when absent, null or not a
    /// scalar.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::text)
    }
}

/// Parses a workflow, or says why the forge could not either.
pub fn parse(text: &str) -> Result<Workflow, YamlError> {
    if text.len() > yaml::MAX_FILE_BYTES {
        return Err(YamlError {
            message: format!(
                "file is {} bytes, over the {} byte limit",
                text.len(),
                yaml::MAX_FILE_BYTES
            ),
            line: None,
        });
    }
    let root = tree::parse(text)?;
    let fail = |line: usize, message: String| YamlError {
        message,
        line: Some(line),
    };
    let root_line = root.line;
    let tree::Value::Map(pairs) = root.value else {
        return Err(fail(root_line, "the workflow is not a mapping".into()));
    };
    // The parts the contexts depend on are moved out of the tree, never copied.
    let (mut name, mut on, mut jobs_node) = (String::new(), None, None);
    for (k, v) in pairs {
        match k.text() {
            Some("name") => {
                name = v
                    .string_field()
                    .map_err(|e| fail(v.line, format!("the workflow `name:`: {e}")))?;
            }
            Some("on") => on = Some(v),
            Some("jobs") => jobs_node = Some(v),
            _ => {}
        }
    }
    let on = on.unwrap_or(Node {
        line: root_line,
        value: tree::Value::Scalar(tree::Scalar {
            text: String::new(),
            style: tree::Style::Plain,
            tag: None,
        }),
    });
    let mut jobs = Vec::new();
    match jobs_node {
        None => {}
        Some(j) if j.is_null() => {}
        Some(j) => {
            let line = j.line;
            let tree::Value::Map(pairs) = j.value else {
                return Err(fail(
                    line,
                    "`jobs:` is not a mapping of job ids to jobs".into(),
                ));
            };
            for (k, v) in pairs {
                let id = k
                    .string_field()
                    .map_err(|e| fail(k.line, format!("a job id: {e}")))?;
                if v.map().is_none() {
                    return Err(fail(v.line, format!("job {id:?} is not a mapping")));
                }
                jobs.push(Job {
                    id,
                    line: k.line,
                    body: v,
                });
            }
        }
    }
    Ok(Workflow { name, on, jobs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_keep_file_order_and_key_lines() {
        let w =
            parse("name: CI\non: push\njobs:\n  zeta:\n    runs-on: x\n  alpha:\n    runs-on: y\n")
                .expect("parse");
        assert_eq!(w.name, "CI");
        let ids: Vec<(&str, usize)> = w.jobs.iter().map(|j| (j.id.as_str(), j.line)).collect();
        assert_eq!(ids, [("zeta", 4), ("alpha", 6)]);
    }

    #[test]
    fn names_are_go_strings() {
        let w = parse("name: 3.10\non: push\njobs:\n  a:\n    name: True\n    runs-on: x\n")
            .expect("parse");
        assert_eq!(w.name, "3.10");
        assert_eq!(w.jobs[0].name().as_deref(), Ok("True"));
        let w = parse("name: ~\non: push\njobs: {}\n").expect("parse");
        assert_eq!(w.name, "");
    }

    #[test]
    fn structural_errors_are_parse_errors() {
        assert!(parse("name: [a]\non: push\njobs: {}\n").is_err());
        assert!(parse("on: push\njobs:\n  a: 3\n").is_err());
        assert!(parse("- a\n- b\n").is_err());
    }
}
