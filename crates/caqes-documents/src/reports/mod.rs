//! The reports: evaluation report (with the engine's explanation), self-evaluation,
//! fiche récapitulative, the IRAPS synthesis.

pub(crate) mod evaluation_report;
pub(crate) mod explained;
pub(crate) mod fiche;
pub(crate) mod iraps;
pub(crate) mod self_evaluation;
