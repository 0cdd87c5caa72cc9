//! `on:` as the forges read it (string, list or mapping), reduced to the events that post a
//! commit status and whether each posts on a pull request into the protected branch
//! (`modules/actions/workflows.go` `detectWorkflowMatch`, `matchPushEvent`,
//! `matchPullRequestEvent`; `services/actions/commit_status.go`).

use super::behaviour::Behaviour;
use super::patterns::filter_selects;
use crate::yaml::tree::Node;

/// What a pull request sees when a condition does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// No run and no status: a required context stays pending for ever.
    Waits,
    /// The forge posts `skipped` (or `success` "Has been skipped"), which counts as passing: the
    /// context passes without the work being done.
    Skips,
}

/// Why an emitter may not post on a given pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Shared: every emitter of a trigger or job holds the same condition (a 1,000-workflow
    /// run kept 18,000 copies of 200-byte texts).
    pub text: std::sync::Arc<str>,
    pub unmet: Unmet,
}

/// In the JSON report a condition is its text.
impl serde::Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl Condition {
    pub fn waits(text: impl Into<String>) -> Condition {
        Condition {
            text: text.into().into(),
            unmet: Unmet::Waits,
        }
    }

    pub fn skips(text: impl Into<String>) -> Condition {
        Condition {
            text: text.into().into(),
            unmet: Unmet::Skips,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posting {
    /// Posts on every pull request commit.
    Always,
    /// Posts only under conditions.
    Conditional(Vec<Condition>),
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

/// What a pull request triggers on when `types:` is absent.
const DEFAULT_PR_TYPES: [&str; 3] = ["opened", "synchronize", "reopened"];

/// The status-posting triggers of a workflow, or why the forge would reject its `on:`.
pub fn triggers(on: &Node, branch: Option<&str>, b: &Behaviour) -> Result<Vec<Trigger>, String> {
    let entries: Vec<(String, Option<&Node>)> = if on.is_null() {
        return Err("the workflow has no `on:`".into());
    } else if let Some(s) = on.scalar() {
        vec![(s.text.clone(), None)]
    } else if let Some(items) = on.seq() {
        items
            .iter()
            .map(|i| match i.scalar() {
                Some(s) => Ok((s.text.clone(), None)),
                None => Err(format!(
                    "line {}: an `on:` list item is not an event name",
                    i.line
                )),
            })
            .collect::<Result<_, _>>()?
    } else {
        let pairs = on.map().unwrap_or_default();
        pairs
            .iter()
            .map(|(k, v)| {
                k.string_field()
                    .map(|name| (name, Some(v)))
                    .map_err(|e| format!("`on:` {e}"))
            })
            .collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for (name, spec) in entries {
        let event: &'static str = match name.as_str() {
            "push" => "push",
            "pull_request" => "pull_request",
            "pull_request_target" => "pull_request_target",
            "release" => "release",
            "pull_request_review" if b.review_events => "pull_request_review",
            "pull_request_review_comment" if b.review_events => "pull_request_review_comment",
            _ => continue,
        };
        let filters = filters(&name, spec)?;
        let (event, posting) = match event {
            "push" => ("push", push(&filters, b)),
            "release" => (
                "release",
                Posting::Conditional(vec![Condition::waits(
                    "posted for release events, on the released commit, never on a pull request's commits",
                )]),
            ),
            "pull_request_review" | "pull_request_review_comment" => (
                event,
                Posting::Conditional(vec![Condition::waits(format!(
                    "posted only when a review{} is submitted on the pull request (Gitea #36589)",
                    if event == "pull_request_review_comment" {
                        " comment"
                    } else {
                        ""
                    }
                ))]),
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

/// The filters of one trigger: each a list of strings.
fn filters(name: &str, spec: Option<&Node>) -> Result<Vec<(String, Vec<String>)>, String> {
    let Some(spec) = spec.filter(|s| !s.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(pairs) = spec.map() else {
        // A string or list under an event is not a filter mapping; the forges ignore it.
        return Ok(Vec::new());
    };
    pairs
        .iter()
        .map(|(k, v)| {
            let key = k.string_field().map_err(|e| format!("`on.{name}`: {e}"))?;
            let list = string_list(v).ok_or(format!(
                "`on.{name}.{key}` is not a string or list of strings"
            ))?;
            Ok((key, list))
        })
        .collect()
}

fn string_list(v: &Node) -> Option<Vec<String>> {
    if v.is_null() {
        return Some(Vec::new());
    }
    if v.scalar().is_some() {
        return v.string_field().ok().map(|s| vec![s]);
    }
    v.seq()?
        .iter()
        .map(|i| i.string_field().ok().filter(|_| i.scalar().is_some()))
        .collect()
}

/// How a filter that leaves a push or pull request out behaves on this release.
fn filtered(b: &Behaviour, text: String) -> Condition {
    if b.filtered_posts_skipped {
        Condition::skips(format!(
            "{text}; when it does not, Gitea 1.27 posts `skipped` for required contexts (#38237, #38371), which counts as passing"
        ))
    } else {
        Condition::waits(format!(
            "{text}; when it does not, no status is posted and the pull request waits"
        ))
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
        // `matchPushEvent`: a branch push never matches a tag filter.
        return if b.filtered_posts_skipped {
            Posting::Conditional(vec![Condition::skips(
                "push runs only for tags; for a branch pushed to this repository Gitea 1.27 posts `skipped` instead (#38237, #38371), which counts as passing, and a pull request from a fork gets nothing and waits",
            )])
        } else {
            Posting::Never("push runs only for tags, never for a pull request's branch".into())
        };
    }
    let mut why = Vec::new();
    for (k, v) in filters {
        match k.as_str() {
            "branches" | "branches-ignore" => why.push(filtered(
                b,
                format!(
                    "push runs only when the pushed branch passes `{k}: {}`",
                    v.join(", ")
                ),
            )),
            "paths" | "paths-ignore" => why.push(filtered(
                b,
                format!(
                    "push runs only when changed files pass `{k}: {}`",
                    v.join(", ")
                ),
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
                    // Not a filter but an activity mismatch: no status on any release.
                    why.push(Condition::waits(format!(
                        "`{on}.types: {}` leaves out {}, so new commits may get no status",
                        v.join(", "),
                        missing.join(", ")
                    )));
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
                            why.push(Condition::skips(format!(
                                "{msg}; Gitea 1.27 then posts `skipped` for required contexts (#38237, #38371), which counts as passing"
                            )));
                        } else {
                            return Posting::Never(msg);
                        }
                    }
                    Some((_, None)) => why.push(Condition::waits(format!(
                        "`{on}.{k}: {}` uses `?` or `+`, which driftgate does not evaluate",
                        v.join(", ")
                    ))),
                    None => why.push(filtered(
                        b,
                        format!(
                            "`{on}.{k}: {}` depends on the target branch, which is not known",
                            v.join(", ")
                        ),
                    )),
                }
            }
            "paths" | "paths-ignore" => why.push(filtered(
                b,
                format!(
                    "runs only when changed files pass `{on}.{k}: {}`",
                    v.join(", ")
                ),
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
    super::patterns::branch_glob_matches(pattern, activity).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::version::{Flavor, Version};
    use crate::yaml::tree;

    fn gitea(minor: u32) -> Behaviour {
        Behaviour::new(Flavor::Gitea, Version::new(1, minor))
    }

    fn on(yaml: &str) -> Node {
        tree::parse(&format!("on: {yaml}\n"))
            .expect("parse")
            .get("on")
            .cloned()
            .expect("on")
    }

    #[test]
    fn on_forms_and_non_posting_events() {
        let b = gitea(26);
        let t = triggers(&on("push"), Some("main"), &b).expect("string");
        assert_eq!(t.len(), 1);
        let t = triggers(&on("[push, pull_request, workflow_dispatch]"), None, &b).expect("list");
        assert_eq!(
            t.iter().map(|t| t.event).collect::<Vec<_>>(),
            ["push", "pull_request"]
        );
        let t = triggers(
            &on("{schedule: [{cron: '0 0 * * *'}], issues: null}"),
            None,
            &b,
        )
        .expect("map");
        assert!(t.is_empty());
        assert!(triggers(&on("~"), None, &b).is_err());
        assert!(triggers(&on("{push: {branches: {a: 1}}}"), None, &b).is_err());
    }

    #[test]
    fn review_events_post_from_gitea_1_26() {
        let o = on("[pull_request_review, pull_request_review_comment]");
        assert!(triggers(&o, None, &gitea(25)).expect("ok").is_empty());
        let t = triggers(&o, None, &gitea(26)).expect("ok");
        assert_eq!(
            t.iter().map(|t| t.event).collect::<Vec<_>>(),
            ["pull_request_review", "pull_request_review_comment"]
        );
        assert!(matches!(t[0].posting, Posting::Conditional(_)));
    }

    #[test]
    fn pull_request_target_event_string_depends_on_version() {
        let o = on("{pull_request_target: null}");
        assert_eq!(
            triggers(&o, None, &gitea(22)).expect("ok")[0].event,
            "pull_request"
        );
        assert_eq!(
            triggers(&o, None, &gitea(23)).expect("ok")[0].event,
            "pull_request_target"
        );
    }

    #[test]
    fn branch_filters_are_evaluated_against_the_protected_branch() {
        let o = on("{pull_request: {branches: ['release/*']}}");
        let t = triggers(&o, Some("main"), &gitea(26)).expect("ok");
        assert!(matches!(t[0].posting, Posting::Never(_)));
        let t = triggers(&o, Some("release/2"), &gitea(26)).expect("ok");
        assert_eq!(t[0].posting, Posting::Always);
        // Gitea 1.27 posts `skipped` for filtered workflows: passing, not absent.
        let t = triggers(&o, Some("main"), &gitea(27)).expect("ok");
        match &t[0].posting {
            Posting::Conditional(c) => assert_eq!(c[0].unmet, Unmet::Skips),
            other => panic!("{other:?}"),
        }
        let t = triggers(&o, None, &gitea(26)).expect("ok");
        assert!(matches!(t[0].posting, Posting::Conditional(_)));
    }

    #[test]
    fn types_paths_and_tags() {
        let b = gitea(26);
        let cond = |o: &str| {
            matches!(
                triggers(&on(o), Some("main"), &b).expect("ok")[0].posting,
                Posting::Conditional(_)
            )
        };
        assert!(cond("{pull_request: {types: [labeled]}}"));
        assert!(!cond(
            "{pull_request: {types: [opened, synchronize, reopened, labeled]}}"
        ));
        assert!(cond("{pull_request: {paths: ['src/**']}}"));
        assert!(cond("{push: {branches: [main]}}"));
        let t = triggers(&on("{push: {tags: ['v*']}}"), Some("main"), &b).expect("ok");
        assert!(matches!(t[0].posting, Posting::Never(_)));
        // Gitea 1.27: a branch push posts `skipped` for a tag-only workflow.
        let t = triggers(&on("{push: {tags: ['v*']}}"), Some("main"), &gitea(27)).expect("ok");
        match &t[0].posting {
            Posting::Conditional(c) => assert_eq!(c[0].unmet, Unmet::Skips),
            other => panic!("{other:?}"),
        }
    }
}
