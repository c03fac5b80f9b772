//! The evaluation of the volet obligatoire: scoring with its line-by-line explanation,
//! the pooling of a multi-site entity from its sites' components, and the dashboards'
//! figures and what-if re-scoring drawn from the engine's scores.

pub mod dashboard;
pub mod entity;
pub mod multisite;
pub mod scoring;
mod weights;
pub mod what_if;
