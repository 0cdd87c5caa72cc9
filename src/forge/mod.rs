//! The Gitea/Forgejo API v1 client and what is known about the forges.

pub mod client;
pub mod http;
pub mod issues;
pub mod version;
