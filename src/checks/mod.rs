//! Checks, one folder each.

pub mod required_checks;
