//! Gates that pass without doing the work (`hollow`). Both forges count a skipped job's status
//! as passing (Gitea: `success` "Has been skipped" up to 1.24 via #23786, the `skipped` state from
//! 1.25 via #34507, merged as success; Forgejo: `success` up to 15, `skipped` ranked with success
//! from 16 via #12606). A required context proves nothing when its job can be skipped or pass
//! regardless:
//! - skipped by its own `if:` (or, on Gitea 1.27, posted `skipped` for a filtered workflow);
//! - skipped because a needed job failed or was skipped (`services/actions/job_emitter.go`: a job
//!   whose needs did not all succeed is skipped unless its `if:` runs it anyway), while the
//!   needed jobs' own contexts are not required, transitively;
//! - an aggregator whose `if:` runs it whatever its needs did (`always()`, `!cancelled()`,
//!   `failure()`) but which never reads their results;
//! - a `run` step with `continue-on-error`: the job succeeds when that step fails.
//!
//! Job-level `continue-on-error` is not one: Forgejo ignores it, and Gitea 1.27 (the first to
//! honour it) still posts the job's own status as `failure`; only the run's result and its
//! dependents treat it as success.

use foldhash::HashMap;
use std::collections::BTreeSet;

use super::behaviour::Behaviour;
use super::contexts::{Analysis, Emitter, JobFacts};
use super::patterns::RequiredSet;
use super::triggers::Unmet;

/// The hollow-gate rules over one analysis, for one required set and release.
pub struct Rules<'a> {
    set: &'a RequiredSet,
    b: &'a Behaviour,
    jobs: HashMap<(&'a str, &'a str), &'a JobFacts>,
    all: &'a [Emitter],
    /// Each job's emitters, by file and job id (looked up per need, never scanned); built the
    /// first time a need is looked up.
    emitters: std::cell::OnceCell<HashMap<(&'a str, &'a str), Vec<&'a Emitter>>>,
}

/// One reason a context can pass without the work, and what fixes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cause {
    pub why: String,
    pub fix: String,
}

impl<'a> Rules<'a> {
    pub fn new(a: &'a Analysis, set: &'a RequiredSet, b: &'a Behaviour) -> Rules<'a> {
        Rules {
            all: &a.emitters,
            emitters: std::cell::OnceCell::new(),
            set,
            b,
            jobs: a
                .jobs
                .iter()
                .map(|j| ((j.file.as_str(), j.id.as_str()), j))
                .collect(),
        }
    }

    /// How a skipped job's status reads on this release.
    pub fn skipped_status(&self) -> &'static str {
        if self.b.skipped_state {
            "`skipped`"
        } else {
            "`success` (\"Has been skipped\")"
        }
    }

    /// Why the emitter's context can pass without its job doing the work.
    pub fn causes(&self, e: &Emitter) -> Vec<Cause> {
        let mut out = Vec::new();
        for c in e.conditions.iter().filter(|c| c.unmet == Unmet::Skips) {
            out.push(Cause {
                why: c.text.to_string(),
                fix: "run the job on every pull request and decide inside its steps, or require a context that always runs".into(),
            });
        }
        let Some(job) = self.jobs.get(&(&*e.file, e.job.as_str())) else {
            return out;
        };
        out.extend(self.job_causes(job, e.event, &mut Vec::new()));
        out
    }

    /// The causes that lie in the job itself and in what it needs.
    fn job_causes(&self, job: &JobFacts, event: &str, visiting: &mut Vec<String>) -> Vec<Cause> {
        let mut out = Vec::new();
        if !job.lenient_steps.is_empty() {
            out.push(Cause {
                why: format!(
                    "step {} of job {} has `continue-on-error`, so the job succeeds when it fails",
                    job.lenient_steps.join(", "),
                    job.id
                ),
                fix: "remove `continue-on-error` from the step, or do not require this context"
                    .into(),
            });
        }
        if job.needs.is_empty() {
            return out;
        }
        let runs_anyway = self.runs_when_needs_fail(job.if_text.as_deref());
        if runs_anyway {
            if !job.reads_needs_results {
                out.push(Cause {
                    why: format!(
                        "job {} runs whatever {} did (`if: {}`) and never reads their results, so it passes when they fail",
                        job.id,
                        list(&job.needs),
                        job.if_text.as_deref().unwrap_or_default()
                    ),
                    fix: "fail it unless every needed result is `success` (e.g. `if: ${{ always() && !contains(needs.*.result, 'failure') && !contains(needs.*.result, 'cancelled') }}`), or require the needed jobs' contexts too".into(),
                });
            }
            return out;
        }
        visiting.push(job.id.clone());
        let unguarded: Vec<String> = job
            .needs
            .iter()
            .filter(|n| !self.guards(&job.file, n, event, visiting))
            .cloned()
            .collect();
        visiting.pop();
        if !unguarded.is_empty() {
            out.push(Cause {
                why: format!(
                    "job {} needs {}, whose contexts are not all required (or can pass without their work): when one of them fails or is skipped, this job is skipped",
                    job.id,
                    list(&unguarded),
                ),
                fix: format!(
                    "require the contexts of {} too, or give job {} `if: always()` and fail it unless `needs.<id>.result == 'success'`",
                    list(&unguarded),
                    job.id
                ),
            });
        }
        out
    }

    /// Whether a needed job's failure blocks the pull request: every context it posts for this
    /// event is required, and none of them can pass without its work.
    fn guards(&self, file: &str, id: &str, event: &str, visiting: &mut Vec<String>) -> bool {
        if visiting.iter().any(|v| v == id) {
            return false;
        }
        let Some(job) = self.jobs.get(&(file, id)) else {
            // A need that is not a job of this workflow: the forge rejects the run.
            return false;
        };
        let suffix = format!("({event})");
        let by_job = self.emitters.get_or_init(|| {
            let mut m: HashMap<(&'a str, &'a str), Vec<&'a Emitter>> = HashMap::default();
            for e in self.all {
                m.entry((&*e.file, e.job.as_str())).or_default().push(e);
            }
            m
        });
        let mine: Vec<&Emitter> = by_job
            .get(&(file, id))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|e| e.context.ends_with(&suffix))
            .collect();
        if mine.is_empty()
            || mine
                .iter()
                .any(|e| self.set.matching(&e.context).is_empty())
        {
            return false;
        }
        if mine
            .iter()
            .any(|e| e.conditions.iter().any(|c| c.unmet == Unmet::Skips))
        {
            return false;
        }
        self.job_causes(job, event, visiting).is_empty()
    }

    /// Whether a job with needs runs when one of them failed: Gitea 1.22 only for a literal
    /// `if: always()`; later releases and Forgejo when the condition holds a status function that
    /// is true then (`always()`, `failure()`, `!cancelled()`), since the forge adds `success()`
    /// to any other.
    fn runs_when_needs_fail(&self, if_text: Option<&str>) -> bool {
        let Some(text) = if_text else {
            return false;
        };
        let inner = text
            .trim()
            .strip_prefix("${{")
            .and_then(|t| t.strip_suffix("}}"))
            .unwrap_or(text)
            .trim();
        if self.b.flavor == crate::forge::version::Flavor::Gitea
            && self.b.version < crate::forge::version::Version::new(1, 23)
        {
            return text.trim() == "always()";
        }
        let t: String = inner.to_ascii_lowercase().split_whitespace().collect();
        t.contains("always()") || t.contains("failure()") || t.contains("!cancelled()")
    }
}

fn list(ids: &[String]) -> String {
    let set: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    set.into_iter().collect::<Vec<_>>().join(", ")
}
