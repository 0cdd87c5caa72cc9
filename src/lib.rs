//! driftgate: fail-closed drift gates for Forgejo/Gitea Actions.

pub mod action;
pub mod checks;
pub mod cli;
pub mod comment;
pub mod config;
pub mod cores;
pub mod error;
pub mod forge;
pub mod fsread;
pub mod outcome;
pub mod reference;
pub mod report;
pub mod secrets;
pub mod tracking;
pub mod waivers;
pub mod yaml;
