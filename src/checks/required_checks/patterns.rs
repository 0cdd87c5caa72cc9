//! The glob dialects involved: required status contexts (anchored, `*` also matches `/`, as
//! Gitea's `services/pull/commit_status.go`), branch-rule names and workflow branch filters
//! (`/` separates: `*` stops at it, `**` crosses it).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use globset::{GlobBuilder, GlobMatcher};

use super::glob::Glob;

/// Distinct required patterns, at most; a rule requiring more is not checked (unverifiable).
pub const MAX_REQUIRED: usize = 10_000;
/// Distinct glob patterns compiled, at most (each costs ~25 µs and ~12 KB); literal patterns are
/// compared as strings and cost nothing to prepare.
pub const MAX_GLOBS: usize = 1_000;

/// A required context as the forge matches it.
#[derive(Debug, Clone)]
pub struct RequiredPattern {
    pub text: String,
    /// `None` for a literal (no glob syntax): compared as a string.
    glob: Option<Glob>,
}

/// Whether a pattern is a plain string: no character that means anything to the glob syntax.
pub fn is_literal(text: &str) -> bool {
    !text.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

impl RequiredPattern {
    pub fn new(text: &str) -> Result<RequiredPattern, String> {
        let glob = if is_literal(text) {
            None
        } else {
            Some(Glob::new(text)?)
        };
        Ok(RequiredPattern {
            text: text.to_string(),
            glob,
        })
    }

    pub fn matches(&self, context: &str) -> bool {
        match &self.glob {
            None => self.text == context,
            Some(g) => g.matches(context),
        }
    }

    /// The literal text every context it matches starts with.
    pub fn prefix(&self) -> String {
        match &self.glob {
            None => self.text.clone(),
            Some(g) => g.prefix(),
        }
    }
}

/// The required patterns of a rule, prepared once and shared by the findings and the report:
/// de-duplicated, literals in a hash map, globs indexed by their literal prefix, so that a
/// context is only tried against the few patterns that can match it.
#[derive(Debug)]
pub struct RequiredSet {
    /// Distinct valid patterns, in the order the rule lists them.
    pub patterns: Vec<String>,
    /// Patterns that are not valid globs, with the reason.
    pub invalid: Vec<(String, String)>,
    literal: HashMap<String, usize>,
    /// Each glob with the index of its pattern.
    globs: Vec<(Glob, usize)>,
    /// Literal prefix → indices into `globs`.
    by_prefix: HashMap<String, Vec<usize>>,
    /// The distinct byte lengths of those prefixes, ascending.
    prefix_lens: Vec<usize>,
}

impl RequiredSet {
    /// Prepares `required`, or says which cap it is over.
    pub fn new(required: &[String]) -> Result<RequiredSet, String> {
        let mut seen: HashSet<&str> = HashSet::new();
        let distinct: Vec<&String> = required.iter().filter(|p| seen.insert(p)).collect();
        if distinct.len() > MAX_REQUIRED {
            return Err(format!(
                "the rule requires {} distinct contexts, over driftgate's cap of {MAX_REQUIRED}",
                distinct.len()
            ));
        }
        let globs = distinct.iter().filter(|p| !is_literal(p)).count();
        if globs > MAX_GLOBS {
            return Err(format!(
                "the rule requires {globs} distinct glob patterns, over driftgate's cap of {MAX_GLOBS}"
            ));
        }
        let mut set = RequiredSet {
            patterns: Vec::new(),
            invalid: Vec::new(),
            literal: HashMap::new(),
            globs: Vec::new(),
            by_prefix: HashMap::new(),
            prefix_lens: Vec::new(),
        };
        for text in distinct {
            if is_literal(text) {
                set.literal.insert(text.clone(), set.patterns.len());
                set.patterns.push(text.clone());
                continue;
            }
            match Glob::new(text) {
                Ok(g) => {
                    let prefix = g.prefix();
                    set.by_prefix
                        .entry(prefix)
                        .or_default()
                        .push(set.globs.len());
                    set.globs.push((g, set.patterns.len()));
                    set.patterns.push(text.clone());
                }
                Err(e) => set.invalid.push((text.clone(), e)),
            }
        }
        let mut lens: Vec<usize> = set.by_prefix.keys().map(String::len).collect();
        lens.sort_unstable();
        lens.dedup();
        set.prefix_lens = lens;
        Ok(set)
    }

    /// Indices (into `patterns`) of the patterns `context` satisfies, ascending.
    pub fn matching(&self, context: &str) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        if let Some(i) = self.literal.get(context) {
            out.push(*i);
        }
        for len in &self.prefix_lens {
            let Some(head) = context.get(..*len) else {
                if *len > context.len() {
                    break;
                }
                continue;
            };
            if let Some(candidates) = self.by_prefix.get(head) {
                out.extend(
                    candidates
                        .iter()
                        .filter_map(|g| self.globs.get(*g))
                        .filter(|(g, _)| g.matches(context))
                        .map(|(_, p)| *p),
                );
            }
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// Indices of the patterns whose text starts with `prefix` (the only ones a glob with that
    /// literal prefix can accept as text).
    pub fn starting_with(&self, prefix: &str) -> Vec<usize> {
        self.patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| p.starts_with(prefix))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Whether `text` matches the `/`-separated glob `pattern` (branch filters, activity types).
/// Most filters are plain names (`main`, `opened`): compared as strings. Compiled globs are
/// cached per thread, since every workflow repeats the same few (`release/**`).
pub fn branch_glob_matches(pattern: &str, text: &str) -> Result<bool, String> {
    if is_literal(pattern) {
        return Ok(pattern == text);
    }
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<String, Result<GlobMatcher, String>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    /// Distinct globs cached per thread at most; past it the cache starts over.
    const CACHED: usize = 1024;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if !c.contains_key(pattern) {
            if c.len() >= CACHED {
                c.clear();
            }
            c.insert(pattern.to_string(), branch_glob(pattern));
        }
        match c.get(pattern) {
            Some(Ok(m)) => Ok(m.is_match(text)),
            Some(Err(e)) => Err(e.clone()),
            None => branch_glob(pattern).map(|m| m.is_match(text)),
        }
    })
}

/// A glob with `/` as separator, for branch-rule names and branch filters.
pub fn branch_glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| e.kind().to_string())
}

/// Evaluates a `branches:` (or, with `ignore`, `branches-ignore:`) filter for one branch the way
/// act's workflowpattern does: patterns in order, `!` negates, the last match decides.
/// `None` when a pattern uses the `?`/`+` quantifiers of the filter syntax, which driftgate does
/// not model.
pub fn filter_selects(patterns: &[String], branch: &str, ignore: bool) -> Option<bool> {
    let mut matched = false;
    for p in patterns {
        let (neg, body) = match p.strip_prefix('!') {
            Some(b) => (true, b),
            None => (false, p.as_str()),
        };
        if body.contains('?') || body.contains('+') {
            return None;
        }
        if branch_glob_matches(body, branch).ok()? {
            matched = !neg;
        }
    }
    Some(if ignore { !matched } else { matched })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_patterns_are_anchored_and_star_crosses_slash() {
        let p = RequiredPattern::new("ci / test (*)").expect("glob");
        assert!(p.matches("ci / test (push)"));
        assert!(p.matches("ci / test (a/b)"));
        assert!(!p.matches("ci / test (push) x"));
        assert!(!p.matches("xci / test (push)"));
        let p = RequiredPattern::new("{ci,build} / *").expect("glob");
        assert!(p.matches("build / a / b (push)"));
        let p = RequiredPattern::new("ci / te?t \\(push\\)").expect("glob");
        assert!(p.matches("ci / test (push)"));
        assert!(
            !RequiredPattern::new("CI / test (push)")
                .expect("glob")
                .matches("ci / test (push)")
        );
        assert!(RequiredPattern::new("ci / [abc").is_err());
    }

    #[test]
    fn branch_filters_follow_order_and_negation() {
        let f = |ps: &[&str], b: &str, ignore: bool| {
            let ps: Vec<String> = ps.iter().map(|s| s.to_string()).collect();
            filter_selects(&ps, b, ignore)
        };
        assert_eq!(f(&["main"], "main", false), Some(true));
        assert_eq!(f(&["release/*"], "release/1.0", false), Some(true));
        assert_eq!(f(&["release/*"], "release/1.0/x", false), Some(false));
        assert_eq!(f(&["release/**"], "release/1.0/x", false), Some(true));
        assert_eq!(f(&["*", "!main"], "main", false), Some(false));
        assert_eq!(f(&["*"], "feature/x", false), Some(false));
        assert_eq!(f(&["main"], "main", true), Some(false));
        assert_eq!(f(&["dev"], "main", true), Some(true));
        assert_eq!(f(&["v1.?"], "v1.1", false), None);
    }
}
