//! `required-checks`: proves that every status context branch protection requires is posted by
//! some workflow job (required ⊆ emitted), as the forge names contexts.

pub mod behaviour;
pub mod contexts;
pub mod expr;
pub mod matrix;
pub mod patterns;
pub mod triggers;
pub mod workflow;
