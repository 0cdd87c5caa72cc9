//! Helpers for the integration tests: a fake forge, a real registry, a real Docker engine.
//! Each test binary uses only some of them.
#![allow(dead_code)]

pub mod docker;
pub mod fake_forge;
pub mod registry;
pub mod stateful_forge;
