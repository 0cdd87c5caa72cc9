//! required ⊆ emitted: the findings for a set of required patterns over the analysed workflows.

use std::collections::{BTreeMap, BTreeSet};

use super::behaviour::Behaviour;
use super::contexts::{Analysis, Emitter, Silent, Unresolved};
use super::hollow;
use super::patterns::{RequiredPattern, RequiredSet};
use super::suggest::{Suggester, suggest_all};
use super::triggers::Unmet;
use crate::outcome::Finding;

/// The shape of a scoped workflow's context (`ScopedWorkflowStatusContextName`).
const SCOPED_SHAPE: &str = "*/*: * / * (*)";

pub fn evaluate(set: &RequiredSet, a: &Analysis, branch: &str, b: &Behaviour) -> Vec<Finding> {
    let mut out = Vec::new();
    evaluate_into(set, a, branch, b, &mut out);
    out
}

/// [`evaluate`], appending to `out`: a large run's findings are mostly `extra` notices (34,000
/// on the 1,000-workflow bench, 4.9 MB), which a second vector would hold twice at the peak.
pub fn evaluate_into(
    set: &RequiredSet,
    a: &Analysis,
    branch: &str,
    b: &Behaviour,
    out: &mut Vec<Finding>,
) {
    let rules = hollow::Rules::new(a, set, b);
    for (text, e) in &set.invalid {
        out.push(Finding::problem(
            "invalid-pattern",
            text.as_str(),
            format!("the required context is not a valid glob ({e}); the forge cannot match it, so pull requests wait for it"),
        ));
    }
    let n = set.patterns.len();
    // Which patterns each emitter satisfies, computed once: the rest is lookups.
    let hits = matches(set, &a.emitters);
    let mut by_pattern: Vec<Vec<&Emitter>> = vec![Vec::new(); n];
    for (e, h) in a.emitters.iter().zip(&hits) {
        for i in h {
            if let Some(v) = by_pattern.get_mut(*i) {
                v.push(e);
            }
        }
    }
    // Patterns nothing emits may become orphans that want the closest emitted contexts: the
    // suggester's contexts are made ready on another core while the rest is worked out here;
    // its index, for the orphans found, is then built on both.
    let likely = by_pattern.iter().any(Vec::is_empty);
    let suggester = || Suggester::new(a.emitters.iter().map(|e| &*e.context));
    std::thread::scope(|scope| {
        let ready = likely.then(|| scope.spawn(suggester));
        // One notice per distinct context, from its first emitter; sorted without copying texts,
        // on this core while the suggester's contexts are made ready on the other.
        let mut extra: Vec<&Emitter> = a
            .emitters
            .iter()
            .zip(&hits)
            .filter(|(_, h)| h.is_empty())
            .map(|(e, _)| e)
            .collect();
        extra.sort_by(|x, y| x.context.cmp(&y.context));
        extra.dedup_by(|later, first| later.context == first.context);
        // Which patterns each unresolved job could post: either glob accepts the other's text. Each
        // job's template is compiled once.
        let mut could: Vec<Vec<&Unresolved>> = vec![Vec::new(); n];
        let mut could_any = vec![false; a.unresolved.len()];
        for (j, u) in a.unresolved.iter().enumerate() {
            let mut which = set.matching(&u.template);
            if let Ok(t) = RequiredPattern::new(&u.template) {
                // Only pattern texts that start with the template's literal prefix can match it.
                which.extend(
                    set.starting_with(&t.prefix())
                        .into_iter()
                        .filter(|i| set.patterns.get(*i).is_some_and(|p| t.matches(p))),
                );
            }
            which.sort_unstable();
            which.dedup();
            could_any[j] = !which.is_empty();
            for i in which {
                if let Some(v) = could.get_mut(i) {
                    v.push(u);
                }
            }
        }
        let mut silent: Vec<Vec<&Silent>> = vec![Vec::new(); n];
        for s in &a.silent {
            for i in set.matching(&s.context) {
                if let Some(v) = silent.get_mut(i) {
                    v.push(s);
                }
            }
        }
        // Findings that name the closest emitted contexts get them afterwards, all at once.
        let mut wants: Vec<usize> = Vec::new();
        for (i, text) in set.patterns.iter().enumerate() {
            let (found, suggest) = check_pattern(
                text,
                &by_pattern[i],
                &could[i],
                &silent[i],
                a,
                branch,
                b,
                &rules,
            );
            out.extend(found);
            if suggest {
                wants.push(out.len() - 1);
            }
        }
        let ready = ready.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        if !wants.is_empty() {
            let subjects: Vec<&str> = wants
                .iter()
                .filter_map(|i| out.get(*i).map(|f| &*f.subject))
                .collect();
            // `wants` are among the likely orphans, so the suggester is ready; were it not, it
            // is made here.
            let s = ready.unwrap_or_else(suggester);
            let all = suggest_all(&s, &subjects);
            for (i, suggestions) in wants.iter().zip(all) {
                if let Some(f) = out.get_mut(*i) {
                    f.suggestions = suggestions;
                }
            }
        }
        for b in &a.broken {
            out.push(
                Finding::unverified(
                    "unverifiable",
                    b.file.clone(),
                    format!(
                        "the workflow does not parse ({}); the forge cannot run it, and driftgate cannot tell which contexts it was meant to post",
                        b.reason
                    ),
                )
                .at(b.file.clone(), b.line),
            );
        }
        for (u, could) in a.unresolved.iter().zip(could_any) {
            let subject = format!("{} job {}", u.file, u.job);
            let f = if u.capped {
                Finding::unverified(
                    "unverifiable",
                    subject,
                    format!("the job's contexts are not computed: {}", u.reason),
                )
            } else if could {
                Finding::unverified(
                    "unverifiable",
                    subject,
                    format!(
                        "the job's context cannot be computed statically ({}); it could post a required context ({})",
                        u.reason, u.template
                    ),
                )
            } else {
                Finding::notice(
                    "unresolved",
                    subject,
                    format!(
                        "the job's context cannot be computed statically ({}); whatever it posts ({}) matches no required context",
                        u.reason, u.template
                    ),
                )
            };
            out.push(f.at(u.file.clone(), Some(u.line)));
        }
        out.extend(duplicates(&by_pattern));
        out.reserve_exact(extra.len());
        for e in extra {
            out.push(
                Finding::notice("extra", e.context.clone(), "emitted but not required")
                    .at(e.file.clone(), Some(e.line)),
            );
        }
    })
}

/// Emitters matched on one thread at a time below this many.
const MATCHES_PER_THREAD: usize = 2048;

/// The patterns each emitter's context matches, in emitter order.
fn matches(set: &RequiredSet, emitters: &[Emitter]) -> Vec<Vec<usize>> {
    crate::cores::map_parts(emitters, MATCHES_PER_THREAD, |part| {
        part.iter().map(|e| set.matching(&e.context)).collect()
    })
}

#[allow(clippy::too_many_arguments)]
fn check_pattern(
    text: &str,
    matching: &[&Emitter],
    could: &[&Unresolved],
    silent: &[&Silent],
    a: &Analysis,
    branch: &str,
    b: &Behaviour,
    rules: &hollow::Rules,
) -> (Vec<Finding>, bool) {
    if let Some(first) = matching.first() {
        let mut out = Vec::new();
        // Waits: every emitter may not post at all, and the pull request then waits for ever.
        let waits = |e: &&Emitter| e.conditions.iter().any(|c| c.unmet == Unmet::Waits);
        if matching.iter().all(waits) {
            let emitters: BTreeSet<String> = matching
                .iter()
                .map(|e| format!("{} job {}", e.file, e.job))
                .collect();
            let why: BTreeSet<String> = matching
                .iter()
                .flat_map(|e| e.conditions.iter())
                .filter(|c| c.unmet == Unmet::Waits)
                .map(|c| c.text.to_string())
                .collect();
            out.push(
                Finding::warning(
                    "conditional",
                    text,
                    format!(
                        "only conditional emitters post it ({}): {}; pull requests outside the condition may wait forever",
                        emitters.into_iter().collect::<Vec<_>>().join(", "),
                        why.into_iter().collect::<Vec<_>>().join("; ")
                    ),
                )
                .at(first.file.clone(), Some(first.line)),
            );
        }
        // Passes without the work: any emitter of a matching context that can.
        let mut causes: BTreeSet<hollow::Cause> = BTreeSet::new();
        let mut at: Option<&Emitter> = None;
        for e in matching {
            let c = rules.causes(e);
            if !c.is_empty() {
                at.get_or_insert(e);
                causes.extend(c);
            }
        }
        if let Some(e) = at {
            let why: Vec<String> = causes.iter().map(|c| c.why.clone()).collect();
            let fix: BTreeSet<String> = causes.iter().map(|c| c.fix.clone()).collect();
            out.push(
                Finding::warning(
                    "hollow",
                    text,
                    format!(
                        "it can pass without the work: {}; this forge posts {} for a skipped job, which counts as passing. Fix: {}",
                        why.join("; "),
                        rules.skipped_status(),
                        fix.into_iter().collect::<Vec<_>>().join("; or ")
                    ),
                )
                .at(e.file.clone(), Some(e.line)),
            );
        }
        return (out, false);
    }
    let capped = a.unresolved.iter().any(|u| u.capped);
    if !could.is_empty() || !a.broken.is_empty() || capped {
        let mut why: Vec<String> = could
            .iter()
            .map(|u| format!("{} job {} ({})", u.file, u.job, u.reason))
            .collect();
        why.extend(
            a.broken
                .iter()
                .map(|b| format!("{} does not parse", b.file)),
        );
        why.extend(
            a.unresolved
                .iter()
                .filter(|u| u.capped && !could.iter().any(|c| std::ptr::eq(*c, *u)))
                .map(|u| format!("{} job {} is over a cap", u.file, u.job)),
        );
        return (
            vec![Finding::unverified(
                "unverifiable",
                text,
                format!(
                    "no workflow job is proven to post it, and some could: {}",
                    why.join("; ")
                ),
            )],
            false,
        );
    }
    if b.scoped_workflows && could_be_scoped(text) {
        return (
            vec![Finding::unverified(
                "unverifiable",
                text,
                format!(
                    "no workflow of the repository posts it, but on this Gitea release an owner- or instance-level scoped workflow (#38154) could, as `<owner>/<repo>: <workflow> / <job> (<event>)`; no API lists scoped workflows, so driftgate cannot tell whether pull requests into {branch} will get it"
                ),
            )],
            true,
        );
    }
    let silent: Vec<String> = silent
        .iter()
        .map(|s| format!("{} job {} names it, but {}", s.file, s.job, s.reason))
        .collect();
    let mut msg = format!(
        "no workflow job posts this required context, so pull requests into {branch} wait for it forever (the merge API answers 405)"
    );
    if !silent.is_empty() {
        msg.push_str(&format!(": {}", silent.join("; ")));
    }
    if b.scoped_workflows {
        msg.push_str(
            " (scoped workflows, Gitea #38154, post `<owner>/<repo>: …` contexts, which this pattern cannot match)",
        );
    }
    (vec![Finding::problem("orphan", text, msg)], true)
}

/// Whether a pattern could match a scoped workflow's context: either glob accepts the other's
/// text.
fn could_be_scoped(pattern: &str) -> bool {
    let (Ok(p), Ok(shape)) = (
        RequiredPattern::new(pattern),
        RequiredPattern::new(SCOPED_SHAPE),
    ) else {
        return false;
    };
    p.matches(SCOPED_SHAPE) || shape.matches(pattern)
}

/// Contexts a required pattern matches that more than one job, or more than one matrix leg of a
/// job, post: the forge keeps one status per context, and the last to finish decides it.
fn duplicates(by_pattern: &[Vec<&Emitter>]) -> Vec<Finding> {
    let mut by_context: BTreeMap<&str, Vec<&Emitter>> = BTreeMap::new();
    for e in by_pattern.iter().flatten() {
        let v = by_context.entry(&*e.context).or_default();
        if !v.iter().any(|x| std::ptr::eq(*x, *e)) {
            v.push(e);
        }
    }
    by_context
        .into_iter()
        .filter_map(|(ctx, emitters)| {
            let jobs: BTreeSet<(&str, &str)> = emitters
                .iter()
                .map(|e| (&*e.file, e.job.as_str()))
                .collect();
            let legs: Vec<String> = emitters
                .iter()
                .filter(|e| e.legs > 1)
                .map(|e| format!("{} matrix legs of {} job {}", e.legs, e.file, e.job))
                .collect();
            if jobs.len() < 2 && legs.is_empty() {
                return None;
            }
            let mut who: Vec<String> = Vec::new();
            if jobs.len() > 1 {
                who.push(format!(
                    "posted by {}",
                    jobs.iter()
                        .map(|(f, j)| format!("{f} job {j}"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            if !legs.is_empty() {
                who.push(format!(
                    "{} post it under one name (their names do not tell the legs apart)",
                    legs.join(" and ")
                ));
            }
            Some(Finding::warning(
                "duplicate",
                ctx,
                format!(
                    "{}; the forge keeps one status per context, so the last to finish decides it and a failing one can be hidden (go-gitea/gitea#35699)",
                    who.join("; ")
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::required_checks::contexts::Emitter;

    fn emitter(context: &str) -> Emitter {
        Emitter {
            context: context.into(),
            file: ".gitea/workflows/ci.yml".into(),
            line: 1,
            job: "j".into(),
            event: "push",
            conditions: Vec::new(),
            legs: 1,
        }
    }

    #[test]
    fn an_orphan_names_its_closest_emitters_and_a_broken_file_makes_it_unverifiable() {
        let mut a = Analysis::default();
        a.emitters.push(emitter("ci / test (pull_request)"));
        let set = RequiredSet::new(&["ci / test (push)".into()]).expect("set");
        let b = Behaviour::newest(crate::forge::version::Flavor::Forgejo);
        let f = evaluate(&set, &a, "main", &b);
        assert_eq!(f[0].kind, "orphan");
        assert_eq!(f[0].suggestions, ["ci / test (pull_request)"]);
        a.broken
            .push(crate::checks::required_checks::contexts::Broken {
                file: "x.yml".into(),
                line: None,
                reason: "bad".into(),
            });
        let kinds: Vec<&str> = evaluate(&set, &a, "main", &b)
            .iter()
            .map(|f| f.kind)
            .collect();
        assert!(
            kinds.contains(&"unverifiable") && !kinds.contains(&"orphan"),
            "{kinds:?}"
        );
    }
}
