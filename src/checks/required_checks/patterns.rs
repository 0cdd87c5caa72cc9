//! The glob dialects involved: required status contexts (anchored, `*` also matches `/`, as
//! Gitea's `services/pull/commit_status.go`), branch-rule names and workflow branch filters
//! (`/` separates: `*` stops at it, `**` crosses it).

use globset::{Candidate, Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// A required context as the forge matches it.
#[derive(Debug, Clone)]
pub struct RequiredPattern {
    pub text: String,
    glob: Glob,
    matcher: GlobMatcher,
}

fn required_glob(text: &str) -> Result<Glob, String> {
    GlobBuilder::new(text)
        .literal_separator(false)
        .backslash_escape(true)
        .empty_alternates(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

impl RequiredPattern {
    pub fn new(text: &str) -> Result<RequiredPattern, String> {
        let glob = required_glob(text)?;
        Ok(RequiredPattern {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
            glob,
        })
    }

    pub fn matches(&self, context: &str) -> bool {
        self.matcher.is_match(context)
    }
}

/// All required patterns compiled together, so that each context is matched once against the
/// whole set instead of once per pattern (thousands of contexts × hundreds of patterns).
pub struct RequiredSet {
    set: GlobSet,
}

impl RequiredSet {
    pub fn new(patterns: &[RequiredPattern]) -> RequiredSet {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(p.glob.clone());
        }
        // Every glob already compiled alone; a set of valid globs cannot fail to build.
        RequiredSet {
            set: b.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    /// Indices (into the patterns given to `new`) of the patterns `context` satisfies.
    pub fn matching(&self, context: &str) -> Vec<usize> {
        self.set.matches_candidate(&Candidate::new(context))
    }
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
        let m = branch_glob(body).ok()?;
        if m.is_match(branch) {
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
