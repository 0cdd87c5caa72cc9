//! The outcome core every check shares: findings, their severity and the one result a run ends
//! with. The result decides the exit code; nothing else in the crate picks exit codes.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

/// What a run proved, in precedence order: when several apply, the earliest variant wins, so a
/// result that was not fully verified never reads as a definite one, and never as clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The check could not start (bad flag or input, missing token, unreadable local file).
    Usage,
    /// A remote refused the credentials.
    Auth,
    /// A remote could not be read.
    Unreachable,
    /// Some subjects could not be verified.
    Partial,
    /// A proven problem.
    Finding,
    /// Everything asked was verified and nothing is wrong.
    Clean,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Usage => 1,
            Verdict::Auth => 3,
            Verdict::Unreachable => 5,
            Verdict::Partial => 8,
            Verdict::Finding => 2,
            Verdict::Clean => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Usage => "usage",
            Verdict::Auth => "auth",
            Verdict::Unreachable => "unreachable",
            Verdict::Partial => "partial",
            Verdict::Finding => "finding",
            Verdict::Clean => "clean",
        }
    }

    /// The result of several verdicts together: the one with precedence.
    pub fn combine(self, other: Verdict) -> Verdict {
        self.min(other)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

/// One thing a check has to say about one subject. `verdict` is what the finding does to the
/// run's result; it is implied by the kind and therefore not part of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub kind: &'static str,
    /// Shared, not copied, where a check holds the same text (an `extra` notice's context).
    pub subject: Arc<str>,
    /// Fixed texts (`emitted but not required`, once per extra context) are not copied.
    pub message: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
    /// Accepted on purpose by a waiver of the config file: shown, not counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Box<Waived>>,
    #[serde(skip)]
    pub verdict: Verdict,
}

/// Why a finding is accepted, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waived {
    pub reason: String,
    pub until: Option<String>,
}

impl Finding {
    pub fn new(
        severity: Severity,
        verdict: Verdict,
        kind: &'static str,
        subject: impl Into<Arc<str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Finding {
            severity,
            kind,
            subject: subject.into(),
            message: message.into(),
            file: None,
            line: None,
            suggestions: Vec::new(),
            waived: None,
            verdict,
        }
    }

    /// A proven problem: error severity, exit 2.
    pub fn problem(
        kind: &'static str,
        subject: impl Into<Arc<str>>,
        msg: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(Severity::Error, Verdict::Finding, kind, subject, msg)
    }

    /// Something that could not be verified: error severity, exit 8.
    pub fn unverified(
        kind: &'static str,
        subject: impl Into<Arc<str>>,
        msg: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(Severity::Error, Verdict::Partial, kind, subject, msg)
    }

    /// A risk worth a look that does not change the result.
    pub fn warning(
        kind: &'static str,
        subject: impl Into<Arc<str>>,
        msg: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(Severity::Warning, Verdict::Clean, kind, subject, msg)
    }

    /// Information only.
    pub fn notice(
        kind: &'static str,
        subject: impl Into<Arc<str>>,
        msg: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(Severity::Notice, Verdict::Clean, kind, subject, msg)
    }

    pub fn at(mut self, file: impl Into<Arc<str>>, line: Option<usize>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self
    }

    pub fn with_suggestions(mut self, suggestions: Vec<String>) -> Self {
        self.suggestions = suggestions;
        self
    }
}

/// The result of a list of findings: clean when there is nothing that changes it.
pub fn verdict_of(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .map(|f| f.verdict)
        .fold(Verdict::Clean, Verdict::combine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_1_3_5_8_2_0() {
        let order = [
            Verdict::Usage,
            Verdict::Auth,
            Verdict::Unreachable,
            Verdict::Partial,
            Verdict::Finding,
            Verdict::Clean,
        ];
        let codes: Vec<u8> = order.iter().map(|v| v.exit_code()).collect();
        assert_eq!(codes, [1, 3, 5, 8, 2, 0]);
        // Every pair combines to the earlier one, whatever the argument order.
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                assert_eq!(a.combine(*b), order[i.min(j)]);
            }
        }
    }

    #[test]
    fn warnings_and_notices_leave_a_run_clean_but_partial_beats_finding() {
        let mut f = vec![
            Finding::warning("conditional", "a", "m"),
            Finding::notice("extra", "b", "m"),
        ];
        assert_eq!(verdict_of(&f), Verdict::Clean);
        f.push(Finding::problem("orphan", "c", "m"));
        assert_eq!(verdict_of(&f), Verdict::Finding);
        f.push(Finding::unverified("unverifiable", "d", "m"));
        assert_eq!(verdict_of(&f), Verdict::Partial);
    }
}
