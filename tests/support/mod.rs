//! Helpers for the integration tests that talk to a fake forge.

pub mod fake_forge;
