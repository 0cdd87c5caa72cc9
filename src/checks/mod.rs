//! Checks, one folder each.

pub mod image_drift;
pub mod required_checks;
pub mod runtime_pin;
