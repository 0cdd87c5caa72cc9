//! A workflow file as the forges read it for status contexts: its `name:`, its triggers and its
//! jobs (in file order, each with the line its key is on). Everything else is left alone.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

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

#[derive(Debug, Deserialize)]
struct Raw {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    on: Option<Value>,
    #[serde(default)]
    jobs: Option<Jobs>,
}

/// Jobs in file order with the line of each key.
#[derive(Debug, Default)]
struct Jobs(Vec<(String, usize, Value)>);

impl<'de> Deserialize<'de> for Jobs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Jobs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of job ids to jobs")
            }
            fn visit_unit<E>(self) -> Result<Jobs, E> {
                Ok(Jobs::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Jobs, A::Error> {
                let mut jobs = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value: Value = map.next_value()?;
                    jobs.push((key.value, key.referenced.line() as usize, value));
                }
                Ok(Jobs(jobs))
            }
        }
        d.deserialize_any(V)
    }
}

/// A parsed workflow: what the status contexts depend on.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Top-level `name:` as written (never interpolated by the forges), `None` when absent.
    pub name: Option<String>,
    pub on: Value,
    pub jobs: Vec<Job>,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub line: usize,
    pub body: Value,
}

impl Job {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.body.get(key).filter(|v| !v.is_null())
    }
}

/// Parses a workflow, or says why the forge could not either.
pub fn parse(text: &str) -> Result<Workflow, YamlError> {
    let raw: Raw = yaml::parse(text)?;
    let name = match raw.name {
        None | Some(Value::Null) => None,
        Some(v) => Some(scalar_text(&v).ok_or_else(|| YamlError {
            message: "the workflow `name:` is not a string".into(),
            line: None,
        })?),
    };
    let on = raw.on.unwrap_or(Value::Null);
    let jobs = raw
        .jobs
        .unwrap_or_default()
        .0
        .into_iter()
        .map(|(id, line, body)| Job { id, line, body })
        .collect::<Vec<_>>();
    for job in &jobs {
        if !job.body.is_object() {
            return Err(YamlError {
                message: format!("job {:?} is not a mapping", job.id),
                line: Some(job.line),
            });
        }
    }
    Ok(Workflow { name, on, jobs })
}

/// A scalar as Go's yaml.v3 reads it into a string field; `None` for mappings and sequences.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_keep_file_order_and_key_lines() {
        let w =
            parse("name: CI\non: push\njobs:\n  zeta:\n    runs-on: x\n  alpha:\n    runs-on: y\n")
                .expect("parse");
        assert_eq!(w.name.as_deref(), Some("CI"));
        let ids: Vec<(&str, usize)> = w.jobs.iter().map(|j| (j.id.as_str(), j.line)).collect();
        assert_eq!(ids, [("zeta", 4), ("alpha", 6)]);
    }

    #[test]
    fn structural_errors_are_parse_errors() {
        assert!(parse("name: [a]\non: push\njobs: {}\n").is_err());
        assert!(parse("on: push\njobs:\n  a: 3\n").is_err());
        assert!(parse("- a\n- b\n").is_err());
    }
}
