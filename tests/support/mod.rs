//! Helpers for the integration tests: a fake forge, a real registry, a real Docker engine.
//! Each test binary uses only some of them.
#![allow(dead_code)]

pub mod docker;
pub mod fake_forge;
pub mod limits;
pub mod registry;
pub mod s_server;
pub mod stateful_forge;

/// A Gitea workflow posting `CI / build` and `CI / lint` on push and pull_request, shared by the
/// tests that need a repository with workflows.
pub const GITEA_CI: &str = "\
name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: cargo build
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: cargo clippy
";
