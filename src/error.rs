//! Typed errors for anything that stops a check from finishing, and the one place where each
//! maps to a result (and so to an exit code).

use crate::outcome::{Finding, Severity, Verdict};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The check could not start: a bad flag, input or local file.
    #[error("{0}")]
    Usage(String),
    /// A remote refused the credentials (401/403).
    #[error("{0}")]
    Auth(String),
    /// A remote could not be read: transport, timeout, 404 on something that must exist,
    /// 5xx/429 after retries, or a body that is not the JSON expected.
    #[error("{0}")]
    Unreachable(String),
    /// Something could be read only in part (a listing stopped at a cap, pages that repeat):
    /// what depends on it is unverifiable.
    #[error("{0}")]
    Incomplete(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn verdict(&self) -> Verdict {
        match self {
            Error::Usage(_) => Verdict::Usage,
            Error::Auth(_) => Verdict::Auth,
            Error::Unreachable(_) => Verdict::Unreachable,
            Error::Incomplete(_) => Verdict::Partial,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Error::Incomplete(_) => "unverifiable",
            other => other.verdict().as_str(),
        }
    }

    /// The error as a finding, so that fail-closed errors travel through the same reports.
    pub fn into_finding(self, subject: impl Into<std::sync::Arc<str>>) -> Finding {
        let verdict = self.verdict();
        Finding::new(
            Severity::Error,
            verdict,
            self.kind(),
            subject,
            self.to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_exit_code() {
        assert_eq!(Error::Usage("x".into()).verdict().exit_code(), 1);
        assert_eq!(Error::Auth("x".into()).verdict().exit_code(), 3);
        assert_eq!(Error::Unreachable("x".into()).verdict().exit_code(), 5);
        assert_eq!(Error::Incomplete("x".into()).verdict().exit_code(), 8);
        let f = Error::Auth("denied".into()).into_finding("repo");
        assert_eq!(
            (f.kind, f.severity, f.verdict),
            ("auth", Severity::Error, Verdict::Auth)
        );
    }
}
