//! `--mode issue`: after a check, keep exactly one tracking issue per (check, repository,
//! target) in sync. The issue is found by a hidden marker in its body (and carries a label, by
//! default `driftgate`, created when missing): opened when there are findings and none is open,
//! edited only when its body would change, closed with a comment when the check is clean again.
//! Duplicates — two sweeps that raced, or a run that died between creating and labelling — are
//! closed, keeping the oldest.

use serde_json::json;

use crate::error::Error;
use crate::forge::client::Forge;
use crate::forge::issues::Issue;
use crate::outcome::{Finding, Verdict};

/// Where and what to track.
#[derive(Debug, Clone)]
pub struct Target {
    pub repo: String,
    pub check: String,
    /// The branch, registry tag or engine the check was about.
    pub target: String,
    pub label: String,
    /// Link to the run, when the runner says which.
    pub run_link: Option<String>,
}

impl Target {
    pub fn marker(&self) -> String {
        format!(
            "<!-- driftgate-tracking check={} repo={} target={} -->",
            self.check,
            self.repo,
            self.target.replace("--", "- -")
        )
    }

    fn title(&self) -> String {
        format!("driftgate: {} findings for {}", self.check, self.target)
    }

    fn body(&self, summary: &str) -> String {
        let mut b = format!("{}\n{summary}", self.marker());
        if let Some(link) = &self.run_link {
            b.push_str(&format!("\n{RUN_LINE}{link}\n"));
        }
        b
    }
}

const RUN_LINE: &str = "Last updated by run ";

/// What issue mode did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Opened(u64),
    Updated(u64),
    Unchanged(u64),
    Closed(Vec<u64>),
    /// Clean and nothing open, or a result that says nothing either way.
    Nothing(String),
}

/// The link to the run from the runner's variables, when all are known.
pub fn run_link(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    Some(format!(
        "{}/{}/actions/runs/{}",
        env("GITHUB_SERVER_URL")?.trim_end_matches('/'),
        env("GITHUB_REPOSITORY")?,
        env("GITHUB_RUN_ID")?
    ))
}

/// Bodies compare without the run line and volatile timings, so an unchanged result does not
/// edit the issue.
pub(crate) fn comparable(body: &str) -> String {
    body.lines()
        .filter(|l| !l.starts_with(RUN_LINE) && !l.starts_with("- **reads**"))
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Brings the tracking issue in line with the result.
pub async fn sync(
    forge: &Forge,
    t: &Target,
    verdict: Verdict,
    summary: &str,
) -> Result<Action, Error> {
    let marker = t.marker();
    let mine: Vec<Issue> = forge.open_issues(&t.repo, &marker).await?;
    match verdict {
        Verdict::Finding | Verdict::Partial => {}
        Verdict::Clean => {
            let mut closed = Vec::new();
            for i in &mine {
                let mut msg = format!("driftgate: {} is clean again for {}.", t.check, t.target);
                if let Some(link) = &t.run_link {
                    msg.push_str(&format!(" Run: {link}"));
                }
                forge.comment(&t.repo, i.number, &msg).await?;
                forge
                    .edit_issue(&t.repo, i.number, &json!({"state": "closed"}))
                    .await?;
                closed.push(i.number);
            }
            return Ok(if closed.is_empty() {
                Action::Nothing("clean, no tracking issue open".into())
            } else {
                Action::Closed(closed)
            });
        }
        other => {
            return Ok(Action::Nothing(format!(
                "the result is {}, which proves nothing either way: the tracking issue is left as it is",
                other.as_str()
            )));
        }
    }
    let label = match forge.label_id(&t.repo, &t.label).await? {
        Some(id) => id,
        None => forge.create_label(&t.repo, &t.label).await?,
    };
    let body = t.body(summary);
    let title = t.title();
    let (keep, action) = match mine.first() {
        None => {
            let n = forge.create_issue(&t.repo, &title, &body, label).await?;
            (n, Action::Opened(n))
        }
        Some(first) => {
            let n = first.number;
            let action = if comparable(&first.body) != comparable(&body) || first.title != title {
                forge
                    .edit_issue(&t.repo, n, &json!({"title": title, "body": body}))
                    .await?;
                Action::Updated(n)
            } else {
                Action::Unchanged(n)
            };
            // A run that died between creating and labelling left it unlabelled.
            if !first.label_ids.contains(&label) {
                forge.add_label(&t.repo, n, label).await?;
            }
            (n, action)
        }
    };
    // Another sweep may have opened one at the same moment: keep the oldest, close the rest.
    let now: Vec<Issue> = forge.open_issues(&t.repo, &marker).await?;
    let oldest = now.iter().map(|i| i.number).min().unwrap_or(keep);
    for dup in now.iter().filter(|i| i.number != oldest) {
        forge
            .comment(
                &t.repo,
                dup.number,
                &format!("driftgate: duplicate of #{oldest}, closing."),
            )
            .await?;
        forge
            .edit_issue(&t.repo, dup.number, &json!({"state": "closed"}))
            .await?;
    }
    Ok(if oldest != keep {
        Action::Closed(vec![keep])
    } else {
        action
    })
}

/// The notice a report gets for what issue mode did.
pub fn notice(t: &Target, a: &Action) -> Finding {
    let msg = match a {
        Action::Opened(n) => format!("opened tracking issue #{n}"),
        Action::Updated(n) => format!("updated tracking issue #{n}"),
        Action::Unchanged(n) => format!("tracking issue #{n} is up to date"),
        Action::Closed(ns) => format!(
            "closed tracking issue(s) {}",
            ns.iter()
                .map(|n| format!("#{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Action::Nothing(why) => why.clone(),
    };
    Finding::notice("tracking-issue", format!("{} {}", t.repo, t.target), msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_ignores_the_run_line_and_timings() {
        let a = "<!-- m -->\n### x\n- **reads**: 1 in 0.2s\n\nLast updated by run http://a/1\n";
        let b = "<!-- m -->\n### x\n- **reads**: 3 in 4.0s\n\nLast updated by run http://a/2\n";
        assert_eq!(comparable(a), comparable(b));
        assert_ne!(comparable(a), comparable("<!-- m -->\n### y\n"));
    }

    #[test]
    fn markers_cannot_be_closed_early_by_a_target() {
        let t = Target {
            repo: "o/r".into(),
            check: "image-drift".into(),
            target: "x --> y".into(),
            label: "driftgate".into(),
            run_link: None,
        };
        assert_eq!(t.marker().matches("-->").count(), 1);
    }
}
