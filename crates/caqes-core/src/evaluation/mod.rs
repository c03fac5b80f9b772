//! The evaluation of the volet obligatoire: scoring with its line-by-line explanation,
//! and the pooling of a multi-site entity from its sites' components.

pub mod entity;
pub mod multisite;
pub mod scoring;
mod weights;
