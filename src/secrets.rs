//! The one redaction path. Every secret driftgate knows — the forge token, the issue token, the
//! registry password, tokens a registry hands out — is registered here once, and every output
//! (stdout, stderr, summary, step outputs, report, issue and comment bodies, error messages
//! built from remote text) is passed through [`redact`] before it is written.
//!
//! A multi-line secret is registered line by line as well as whole: a runner masks it line by
//! line (one `::add-mask::` per line), and any one line of it must not appear anywhere else.

use std::borrow::Cow;
use std::sync::RwLock;

/// Values shorter than this are not redacted: they would blank ordinary words and punctuation
/// (a JSON key's `{` line), and no real token is that short.
pub const MIN_SECRET_CHARS: usize = 4;

/// Environment variables that hold secrets for some check, whichever check runs.
pub const SECRET_VARS: [&str; 8] = [
    "DRIFTGATE_TOKEN",
    "GITEA_TOKEN",
    "FORGEJO_TOKEN",
    "GITHUB_TOKEN",
    "DRIFTGATE_ISSUE_TOKEN",
    "DRIFTGATE_REGISTRY_PASSWORD",
    // The action's `token` input, as the runner passes it, and the job token it defaults to.
    "INPUT_TOKEN",
    "INPUT_JOB-TOKEN",
];

static REGISTRY: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// The pieces of a secret value that must never be printed: the whole (trimmed) value and each
/// of its lines, longest first, each at least [`MIN_SECRET_CHARS`] characters — and each as
/// JSON escapes it (`"`, `\\`, control characters), because the JSON report is redacted as the
/// text it is written as.
pub fn pieces(value: &str) -> Vec<String> {
    let mut out: Vec<String> = std::iter::once(value.trim())
        .chain(value.lines().map(str::trim))
        .filter(|p| p.chars().count() >= MIN_SECRET_CHARS)
        .map(str::to_string)
        .collect();
    let escaped: Vec<String> = out
        .iter()
        .filter_map(|p| {
            let quoted = serde_json::to_string(p).ok()?;
            let inner = quoted.get(1..quoted.len().checked_sub(1)?)?;
            (inner != p).then(|| inner.to_string())
        })
        .collect();
    out.extend(escaped);
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out.dedup();
    out
}

/// Registers a secret (and each of its lines) for redaction everywhere.
pub fn register(value: &str) {
    let new = pieces(value);
    if new.is_empty() {
        return;
    }
    if let Ok(mut r) = REGISTRY.write() {
        for p in new {
            if !r.contains(&p) {
                r.push(p);
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        r.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    }
}

/// Registers the value of every variable in `names` that is set.
pub fn register_env(names: &[&str], getenv: &dyn Fn(&str) -> Option<String>) {
    for n in names {
        if let Some(v) = getenv(n) {
            register(&v);
        }
    }
}

/// Whether any secret is registered (redaction is skipped entirely when none is).
pub fn any() -> bool {
    REGISTRY.read().map(|r| !r.is_empty()).unwrap_or(true)
}

/// A position at or before `at` where `text` may be split without cutting through any
/// registered secret, so that the two parts can be redacted apart (a stream too long to hold).
pub fn safe_cut(text: &str, at: usize) -> usize {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let Ok(r) = REGISTRY.read() else {
        return 0;
    };
    let mut cut = floor(at);
    loop {
        let mut moved = false;
        for s in r.iter() {
            let lo = floor(cut.saturating_sub(s.len()));
            let hi = floor(cut + s.len());
            let spanning = text[lo..hi]
                .match_indices(s.as_str())
                .map(|(i, _)| lo + i)
                .find(|start| *start < cut && start + s.len() > cut);
            if let Some(start) = spanning {
                cut = start;
                moved = true;
            }
        }
        if !moved {
            return cut;
        }
    }
}

/// `text` with every registered secret replaced by `***`. Borrowed when nothing matched.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(r) = REGISTRY.read() else {
        // A poisoned lock means a thread panicked mid-registration: print nothing raw.
        return Cow::Owned("*** (redaction unavailable)".into());
    };
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    for s in r.iter() {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), "***"));
        }
    }
    out
}

/// The `::add-mask::` lines a runner needs for `value`: one per line of at least
/// [`MIN_SECRET_CHARS`] characters (masking `{` would blank every brace of the log), escaped as
/// workflow-command data so that the runner unescapes them back to the literal line.
pub fn mask_commands(value: &str) -> Vec<String> {
    value
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().count() >= MIN_SECRET_CHARS)
        .map(|l| format!("::add-mask::{}", crate::report::escape::command_data(l)))
        .collect()
}

/// Every string of a JSON value redacted: what driftgate writes to a forge (an issue or comment
/// body holding the summary, which may quote remote text) goes through the same path as every
/// other output.
pub fn redact_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(redact(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(redact_json).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), redact_json(x))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_secrets_are_masked_and_redacted_line_by_line() {
        let v = "first-line\nsecond\n::stop-commands::x\n}";
        assert_eq!(
            mask_commands(v),
            [
                "::add-mask::first-line",
                "::add-mask::second",
                "::add-mask::::stop-commands::x",
            ]
        );
        let p = pieces(v);
        assert!(p.contains(&"second".to_string()));
        assert!(p.contains(&"::stop-commands::x".to_string()));
        // Too short to redact without blanking ordinary text.
        assert!(!p.contains(&"}".to_string()));
        assert!(p.iter().any(|x| x.contains('\n')), "the whole value too");
        // As the JSON report writes it.
        assert!(p.contains(&"first-line\\nsecond\\n::stop-commands::x\\n}".to_string()));
        let q = pieces("pa\"ss\\word");
        assert!(q.contains(&"pa\\\"ss\\\\word".to_string()), "{q:?}");
    }

    #[test]
    fn a_stream_is_cut_only_where_no_secret_spans_the_cut() {
        register("cut-secret\"x");
        let text = format!("{}cut-secret\\\"x tail", "a".repeat(20));
        let at = 20 + 5;
        let cut = safe_cut(&text, at);
        assert_eq!(cut, 20);
        assert_eq!(safe_cut(&text, 10), 10);
        assert_eq!(safe_cut("é", 1), 0);
    }

    #[test]
    fn registered_secrets_are_redacted_longest_first() {
        register("abcd-secret-value");
        register("abcd");
        assert_eq!(redact("x abcd-secret-value y abcd"), "x *** y ***");
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }
}
