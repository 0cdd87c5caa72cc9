//! driftgate: fail-closed drift gates for Forgejo/Gitea Actions.

pub mod error;
pub mod outcome;
pub mod report;
