//! Checks, one folder each.

pub mod required_checks;
pub mod runtime_pin;
