//! required ⊆ emitted: the findings for a set of required patterns over the analysed workflows.

use std::collections::{BTreeMap, BTreeSet};

use super::contexts::{Analysis, Emitter, Unresolved};
use super::patterns::{RequiredPattern, RequiredSet};
use crate::outcome::Finding;

/// Suggestions must look at least this close to the required context (Jaro–Winkler).
const SUGGEST_AT: f64 = 0.7;
const SUGGESTIONS: usize = 3;
/// Below this many emitted contexts, threads cost more than they save.
const PARALLEL_FROM: usize = 4096;

pub fn evaluate(required: &[String], a: &Analysis, branch: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut patterns = Vec::new();
    for text in required {
        match RequiredPattern::new(text) {
            Ok(p) => patterns.push(p),
            Err(e) => out.push(Finding::problem(
                "invalid-pattern",
                text,
                format!("the required context is not a valid glob ({e}); the forge cannot match it, so pull requests wait for it"),
            )),
        }
    }
    // Which patterns each emitter satisfies, computed once: the rest is lookups.
    let set = RequiredSet::new(&patterns);
    let hits: Vec<Vec<usize>> = a
        .emitters
        .iter()
        .map(|e| set.matching(&e.context))
        .collect();
    let mut by_pattern: Vec<Vec<&Emitter>> = vec![Vec::new(); patterns.len()];
    for (e, h) in a.emitters.iter().zip(&hits) {
        for i in h {
            by_pattern[*i].push(e);
        }
    }
    let contexts = lowered(a);
    for (p, matching) in patterns.iter().zip(&by_pattern) {
        out.extend(check_pattern(p, matching, a, &contexts, branch));
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
    for u in &a.unresolved {
        let subject = format!("{} job {}", u.file, u.job);
        if patterns.iter().any(|p| could_match(u, p)) {
            out.push(
                Finding::unverified(
                    "unverifiable",
                    subject,
                    format!(
                        "the job's context cannot be computed statically ({}); it could post a required context ({})",
                        u.reason, u.template
                    ),
                )
                .at(u.file.clone(), Some(u.line)),
            );
        } else {
            out.push(
                Finding::notice(
                    "unresolved",
                    subject,
                    format!(
                        "the job's context cannot be computed statically ({}); whatever it posts ({}) matches no required context",
                        u.reason, u.template
                    ),
                )
                .at(u.file.clone(), Some(u.line)),
            );
        }
    }
    out.extend(duplicates(a));
    let mut extra = BTreeMap::new();
    for (e, h) in a.emitters.iter().zip(&hits) {
        if h.is_empty() {
            extra.entry(e.context.clone()).or_insert(e);
        }
    }
    for (ctx, e) in extra {
        out.push(
            Finding::notice("extra", ctx, "emitted but not required")
                .at(e.file.clone(), Some(e.line)),
        );
    }
    out
}

fn check_pattern(
    p: &RequiredPattern,
    matching: &[&Emitter],
    a: &Analysis,
    contexts: &[(String, &str)],
    branch: &str,
) -> Vec<Finding> {
    if let Some(first) = matching.first() {
        if matching.iter().all(|e| !e.conditions.is_empty()) {
            let emitters: BTreeSet<String> = matching
                .iter()
                .map(|e| format!("{} job {}", e.file, e.job))
                .collect();
            let f = Finding::warning(
                "conditional",
                p.text.clone(),
                format!(
                    "only conditional emitters post it ({}): {}; pull requests outside the condition may wait forever",
                    emitters.into_iter().collect::<Vec<_>>().join(", "),
                    first.conditions.join("; ")
                ),
            )
            .at(first.file.clone(), Some(first.line));
            return vec![f];
        }
        return Vec::new();
    }
    let could: Vec<&Unresolved> = a.unresolved.iter().filter(|u| could_match(u, p)).collect();
    if !could.is_empty() || !a.broken.is_empty() {
        let mut why: Vec<String> = could
            .iter()
            .map(|u| format!("{} job {} ({})", u.file, u.job, u.reason))
            .collect();
        why.extend(
            a.broken
                .iter()
                .map(|b| format!("{} does not parse", b.file)),
        );
        return vec![Finding::unverified(
            "unverifiable",
            p.text.clone(),
            format!(
                "no workflow job is proven to post it, and some could: {}",
                why.join("; ")
            ),
        )];
    }
    let silent: Vec<String> = a
        .silent
        .iter()
        .filter(|s| p.matches(&s.context))
        .map(|s| format!("{} job {} names it, but {}", s.file, s.job, s.reason))
        .collect();
    let mut msg = format!(
        "no workflow job posts this required context, so pull requests into {branch} wait for it forever (the merge API answers 405)"
    );
    if !silent.is_empty() {
        msg.push_str(&format!(": {}", silent.join("; ")));
    }
    vec![
        Finding::problem("orphan", p.text.clone(), msg)
            .with_suggestions(suggest(&p.text, contexts)),
    ]
}

/// Emitted contexts, unique and lower-cased once, for suggestions.
fn lowered(a: &Analysis) -> Vec<(String, &str)> {
    let contexts: BTreeSet<&str> = a.emitters.iter().map(|e| e.context.as_str()).collect();
    contexts
        .into_iter()
        .map(|c| (c.to_lowercase(), c))
        .collect()
}

/// The closest emitted contexts by Jaro–Winkler on lower-cased text (it favours a shared
/// prefix, which suits `workflow / job (event)`).
fn suggest(required: &str, contexts: &[(String, &str)]) -> Vec<String> {
    let want = required.to_lowercase();
    let score = |part: &[(String, &str)]| -> Vec<(f64, String)> {
        part.iter()
            .map(|(lower, c)| (strsim::jaro_winkler(&want, lower), *c))
            .filter(|(s, _)| *s >= SUGGEST_AT)
            .map(|(s, c)| (s, c.to_string()))
            .collect()
    };
    // Thousands of contexts per orphan add up in big repositories: spread them over the cores.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut scored: Vec<(f64, String)> = if threads < 2 || contexts.len() < PARALLEL_FROM {
        score(contexts)
    } else {
        let chunk = contexts.len().div_ceil(threads);
        std::thread::scope(|s| {
            let parts: Vec<_> = contexts
                .chunks(chunk)
                .map(|part| s.spawn(move || score(part)))
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, c)| c)
        .collect()
}

/// Whether an unresolved job could post something the pattern matches: either glob accepts the
/// other's text.
fn could_match(u: &Unresolved, p: &RequiredPattern) -> bool {
    if p.matches(&u.template) {
        return true;
    }
    RequiredPattern::new(&u.template).is_ok_and(|t| t.matches(&p.text))
}

fn duplicates(a: &Analysis) -> Vec<Finding> {
    let mut by_context: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for e in &a.emitters {
        by_context
            .entry(e.context.as_str())
            .or_default()
            .insert((e.file.as_str(), e.job.as_str()));
    }
    by_context
        .into_iter()
        .filter(|(_, jobs)| jobs.len() > 1)
        .map(|(ctx, jobs)| {
            let list: Vec<String> = jobs.iter().map(|(f, j)| format!("{f} job {j}")).collect();
            Finding::warning(
                "duplicate",
                ctx,
                format!(
                    "posted by {}; the forge keeps one status per context, so the last to finish decides it (go-gitea/gitea#35699)",
                    list.join(" and ")
                ),
            )
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
        }
    }

    #[test]
    fn suggestions_are_the_same_serial_or_spread_over_threads() {
        let mut a = Analysis::default();
        a.emitters.push(emitter("ci / test (pull_request)"));
        a.emitters.push(emitter("CI / tests (push)"));
        let small = suggest("ci / test (push)", &lowered(&a));
        for i in 0..(PARALLEL_FROM + 100) {
            a.emitters
                .push(emitter(&format!("wf{i} / build-{i} (push)")));
        }
        let big = suggest("ci / test (push)", &lowered(&a));
        assert_eq!(small, big);
        assert_eq!(big[0], "CI / tests (push)");
        assert!(big.contains(&"ci / test (pull_request)".to_string()));
    }

    #[test]
    fn an_orphan_names_its_closest_emitters_and_a_broken_file_makes_it_unverifiable() {
        let mut a = Analysis::default();
        a.emitters.push(emitter("ci / test (pull_request)"));
        let f = evaluate(&["ci / test (push)".into()], &a, "main");
        assert_eq!(f[0].kind, "orphan");
        assert_eq!(f[0].suggestions, ["ci / test (pull_request)"]);
        a.broken
            .push(crate::checks::required_checks::contexts::Broken {
                file: "x.yml".into(),
                line: None,
                reason: "bad".into(),
            });
        let kinds: Vec<&str> = evaluate(&["ci / test (push)".into()], &a, "main")
            .iter()
            .map(|f| f.kind)
            .collect();
        assert!(
            kinds.contains(&"unverifiable") && !kinds.contains(&"orphan"),
            "{kinds:?}"
        );
    }
}
