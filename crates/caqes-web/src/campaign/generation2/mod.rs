//! The second-generation campaign on the platform (issue 13): the campaign's follow-up
//! and the dossier of an entity when the campaign runs on an objectives grid
//! (`caqes-2022`, `incitation-2026`), and the actions of each role on a contracting
//! unit. The campaign and dossier routes of the first generation branch here on the
//! grid's regime; every figure comes from `caqes_core::regimes` through
//! `caqes_store::generation2::evaluate`, the engine of `caqes evaluate`.
//!
//! One file per topic of a unit's life: `targeting` (and the ARS's own objectives),
//! `contract` (proposal, answer, refusal sanction), `values`, `hearings`,
//! `evaluation` (report, revisions, intéressement), `levers` (surveillance,
//! observations, 2026 penalty); `campaign_actions` for the campaign as a whole,
//! `pages` for the dossier and follow-up pages, `view` for what they show, and
//! `context` for what every handler begins with.

pub mod campaign_actions;
pub mod context;
pub mod contract;
pub mod evaluation;
pub mod hearings;
pub mod levers;
pub mod pages;
pub mod targeting;
pub mod values;
pub mod view;
