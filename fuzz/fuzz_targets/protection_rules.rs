//! Branch protection rules come from the forge's API or a `--protection-file`: JSON whose rule
//! names are globs and whose required contexts are globs. Parse, pick the rule for a few
//! branches, and compile and match every required context found.
#![no_main]

use driftgate::checks::required_checks::patterns::{
    RequiredPattern, RequiredSet, branch_glob, filter_selects,
};
use driftgate::checks::required_checks::rules::{parse_rules, select};
use libfuzzer_sys::fuzz_target;

const BRANCHES: [&str; 6] = ["main", "Main", "release/1.0", "release/1.0/x", "dev/x", ""];

/// Contexts as the forges post them.
const CONTEXTS: [&str; 5] = [
    "ci / test (pull_request)",
    "CI / build (linux, 3.1) (push)",
    "/ lint (pull_request_target)",
    "deploy / a/b (release)",
    "",
];

/// Bounds the work per input.
const MAX_PATTERNS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rules) = parse_rules(text) else {
        return;
    };
    for branch in BRANCHES {
        if let Some(rule) = select(&rules, branch) {
            assert!(
                rule.applies_to(branch),
                "selected a rule that does not apply"
            );
        }
    }
    let mut patterns = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for rule in rules.iter().take(MAX_PATTERNS) {
        let _ = branch_glob(rule.name());
        for ctx in rule.status_check_contexts.iter().flatten() {
            if patterns.len() >= MAX_PATTERNS {
                break;
            }
            let Ok(p) = RequiredPattern::new(ctx) else {
                continue;
            };
            for c in CONTEXTS.iter().copied().chain([ctx.as_str(), rule.name()]) {
                p.matches(c);
            }
            patterns.push(p);
            texts.push(ctx.clone());
        }
    }
    // The set that matches emitted contexts in one pass must agree with the patterns one by one.
    let Ok(set) = RequiredSet::new(&texts) else {
        return;
    };
    assert!(set.invalid.is_empty(), "a pattern that compiles alone is invalid in the set");
    let compiled: Vec<RequiredPattern> = set
        .patterns
        .iter()
        .filter_map(|t| RequiredPattern::new(t).ok())
        .collect();
    assert_eq!(compiled.len(), set.patterns.len());
    let names: Vec<String> = rules.iter().map(|r| r.name().to_string()).collect();
    for c in CONTEXTS
        .iter()
        .copied()
        .chain(patterns.iter().map(|p| p.text.as_str()))
        .chain(names.iter().map(String::as_str))
        .take(2 * MAX_PATTERNS)
    {
        let mut from_set = set.matching(c);
        from_set.sort_unstable();
        let one_by_one: Vec<usize> = (0..compiled.len())
            .filter(|i| compiled[*i].matches(c))
            .collect();
        assert_eq!(from_set, one_by_one, "set and patterns disagree on {c:?}");
    }
    // Rule names double as branch filters in workflows (`branches: [...]`).
    let filters: Vec<String> = names.into_iter().take(MAX_PATTERNS).collect();
    for branch in BRANCHES {
        let _ = filter_selects(&filters, branch, false);
        let _ = filter_selects(&filters, branch, true);
    }
});
