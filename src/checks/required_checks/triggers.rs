//! `on:` as the forges read it (string, list or mapping), reduced to the events that post a
//! commit status and whether each posts on a pull request into the protected branch.

use serde_json::{Map, Value};

use super::behaviour::Behaviour;
use super::patterns::filter_selects;

/// Events whose runs post a commit status (`services/actions/commit_status.go`).
const POSTING: [&str; 4] = ["push", "pull_request", "pull_request_target", "release"];
/// What a pull request triggers on when `types:` is absent.
const DEFAULT_PR_TYPES: [&str; 3] = ["opened", "synchronize", "reopened"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posting {
    /// Posts on every pull request commit.
    Always,
    /// Posts only under conditions (reasons given), or posts `skipped`.
    Conditional(Vec<String>),
    /// Never posts on a pull request into this branch (reason given).
    Never(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The trigger as written in `on:`.
    pub on: String,
    /// The event string the context carries.
    pub event: &'static str,
    pub posting: Posting,
}

/// The status-posting triggers of a workflow, or why the forge would reject its `on:`.
pub fn triggers(on: &Value, branch: Option<&str>, b: &Behaviour) -> Result<Vec<Trigger>, String> {
    let entries: Vec<(String, Value)> = match on {
        Value::Null => return Err("the workflow has no `on:`".into()),
        Value::String(s) => vec![(s.clone(), Value::Null)],
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok((s.clone(), Value::Null)),
                other => Err(format!("`on:` list item {other} is not an event name")),
            })
            .collect::<Result<_, _>>()?,
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        other => return Err(format!("`on:` is {other}, not an event, list or mapping")),
    };
    let mut out = Vec::new();
    for (name, spec) in entries {
        let Some(event) = POSTING.iter().find(|e| **e == name) else {
            continue;
        };
        let filters = match &spec {
            Value::Null | Value::String(_) => Map::new(),
            Value::Object(m) => m.clone(),
            Value::Array(_) => Map::new(),
            other => return Err(format!("`on.{name}` is {other}")),
        };
        let filters = filters
            .into_iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    string_list(&v).ok_or(format!(
                        "`on.{name}.{k}` is not a string or list of strings"
                    ))?,
                ))
            })
            .collect::<Result<Vec<(String, Vec<String>)>, String>>()?;
        let (event, posting) = match *event {
            "push" => ("push", push(&filters, b)),
            "release" => (
                "release",
                Posting::Conditional(vec![
                    "posted for release events, on the released commit, never on a pull request's commits".into(),
                ]),
            ),
            pr => (
                if pr == "pull_request_target" && b.pull_request_target_event {
                    "pull_request_target"
                } else {
                    "pull_request"
                },
                pull_request(pr, &filters, branch, b),
            ),
        };
        out.push(Trigger {
            on: name,
            event,
            posting,
        });
    }
    Ok(out)
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| super::workflow::scalar_text(i).filter(|_| !i.is_null()))
            .collect(),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

fn skipped_note(b: &Behaviour) -> &'static str {
    if b.filtered_posts_skipped {
        " (this forge then posts `skipped`, which counts as passing, so the check can pass without running)"
    } else {
        " (otherwise no status is posted and the pull request waits)"
    }
}

fn push(filters: &[(String, Vec<String>)], b: &Behaviour) -> Posting {
    let has = |k: &str| filters.iter().any(|(f, _)| f == k);
    if let Some((k, _)) = filters.iter().find(|(k, _)| {
        !matches!(
            k.as_str(),
            "branches" | "branches-ignore" | "tags" | "tags-ignore" | "paths" | "paths-ignore"
        )
    }) {
        return Posting::Never(format!(
            "`on.push.{k}` is not a push filter; the forge never matches it"
        ));
    }
    let branch_filter = has("branches") || has("branches-ignore");
    if (has("tags") || has("tags-ignore")) && !branch_filter {
        return Posting::Never("push runs only for tags".into());
    }
    let mut why = Vec::new();
    for (k, v) in filters {
        match k.as_str() {
            "branches" | "branches-ignore" => why.push(format!(
                "push runs only when the pushed branch passes `{k}: {}`",
                v.join(", ")
            )),
            "paths" | "paths-ignore" => why.push(format!(
                "push runs only when changed files pass `{k}: {}`{}",
                v.join(", "),
                skipped_note(b)
            )),
            _ => {}
        }
    }
    if why.is_empty() {
        Posting::Always
    } else {
        Posting::Conditional(why)
    }
}

fn pull_request(
    on: &str,
    filters: &[(String, Vec<String>)],
    branch: Option<&str>,
    b: &Behaviour,
) -> Posting {
    let mut why = Vec::new();
    for (k, v) in filters {
        match k.as_str() {
            "types" => {
                let missing: Vec<&str> = DEFAULT_PR_TYPES
                    .iter()
                    .copied()
                    .filter(|t| !v.iter().any(|p| type_matches(p, t)))
                    .collect();
                if !missing.is_empty() {
                    why.push(format!(
                        "`{on}.types: {}` leaves out {}, so new commits may get no status",
                        v.join(", "),
                        missing.join(", ")
                    ));
                }
            }
            "branches" | "branches-ignore" => {
                let ignore = k == "branches-ignore";
                match branch.map(|br| (br, filter_selects(v, br, ignore))) {
                    Some((_, Some(true))) => {}
                    Some((br, Some(false))) => {
                        let msg =
                            format!("`{on}.{k}: {}` leaves out the branch {br}", v.join(", "));
                        if b.filtered_posts_skipped {
                            why.push(format!("{msg}{}", skipped_note(b)));
                        } else {
                            return Posting::Never(msg);
                        }
                    }
                    Some((_, None)) => why.push(format!(
                        "`{on}.{k}: {}` uses `?` or `+`, which driftgate does not evaluate",
                        v.join(", ")
                    )),
                    None => why.push(format!(
                        "`{on}.{k}: {}` depends on the target branch, which is not known",
                        v.join(", ")
                    )),
                }
            }
            "paths" | "paths-ignore" => why.push(format!(
                "runs only when changed files pass `{on}.{k}: {}`{}",
                v.join(", "),
                skipped_note(b)
            )),
            other => {
                return Posting::Never(format!(
                    "`{on}.{other}` is not a pull request filter; the forge never matches it"
                ));
            }
        }
    }
    if why.is_empty() {
        Posting::Always
    } else {
        Posting::Conditional(why)
    }
}

/// Activity types are matched as globs after the forge maps its own names.
fn type_matches(pattern: &str, activity: &str) -> bool {
    super::patterns::branch_glob(pattern)
        .map(|g| g.is_match(activity))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::version::{Flavor, Version};
    use serde_json::json;

    fn gitea(minor: u32) -> Behaviour {
        Behaviour::new(Flavor::Gitea, Version::new(1, minor))
    }

    #[test]
    fn on_forms_and_non_posting_events() {
        let b = gitea(26);
        let t = triggers(&json!("push"), Some("main"), &b).expect("string");
        assert_eq!(t.len(), 1);
        let t = triggers(
            &json!(["push", "pull_request", "workflow_dispatch"]),
            None,
            &b,
        )
        .expect("list");
        assert_eq!(
            t.iter().map(|t| t.event).collect::<Vec<_>>(),
            ["push", "pull_request"]
        );
        let t = triggers(
            &json!({"schedule": [{"cron": "0 0 * * *"}], "issues": null}),
            None,
            &b,
        )
        .expect("map");
        assert!(t.is_empty());
        assert!(triggers(&json!(null), None, &b).is_err());
        assert!(triggers(&json!({"push": {"branches": {"a": 1}}}), None, &b).is_err());
    }

    #[test]
    fn pull_request_target_event_string_depends_on_version() {
        let on = json!({"pull_request_target": null});
        assert_eq!(
            triggers(&on, None, &gitea(22)).expect("ok")[0].event,
            "pull_request"
        );
        assert_eq!(
            triggers(&on, None, &gitea(23)).expect("ok")[0].event,
            "pull_request_target"
        );
    }

    #[test]
    fn branch_filters_are_evaluated_against_the_protected_branch() {
        let on = json!({"pull_request": {"branches": ["release/*"]}});
        let t = triggers(&on, Some("main"), &gitea(26)).expect("ok");
        assert!(matches!(t[0].posting, Posting::Never(_)));
        let t = triggers(&on, Some("release/2"), &gitea(26)).expect("ok");
        assert_eq!(t[0].posting, Posting::Always);
        // Gitea 1.27 posts `skipped` for filtered workflows: conditional, not absent.
        let t = triggers(&on, Some("main"), &gitea(27)).expect("ok");
        assert!(matches!(t[0].posting, Posting::Conditional(_)));
        let t = triggers(&on, None, &gitea(26)).expect("ok");
        assert!(matches!(t[0].posting, Posting::Conditional(_)));
    }

    #[test]
    fn types_paths_and_tags() {
        let b = gitea(26);
        let cond = |on: Value| {
            matches!(
                triggers(&on, Some("main"), &b).expect("ok")[0].posting,
                Posting::Conditional(_)
            )
        };
        assert!(cond(json!({"pull_request": {"types": ["labeled"]}})));
        assert!(!cond(
            json!({"pull_request": {"types": ["opened", "synchronize", "reopened", "labeled"]}})
        ));
        assert!(cond(json!({"pull_request": {"paths": ["src/**"]}})));
        assert!(cond(json!({"push": {"branches": ["main"]}})));
        let t = triggers(&json!({"push": {"tags": ["v*"]}}), Some("main"), &b).expect("ok");
        assert!(matches!(t[0].posting, Posting::Never(_)));
    }
}
