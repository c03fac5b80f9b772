//! Scores served from memory (issues 12 and 14): the region's [`revision::ScoreRevision`],
//! bumped by triggers with every write the engine's inputs depend on, and the
//! [`memo`] of the engine's results keyed by it (a dossier's evaluation, a campaign's
//! provisional scores). `docs/platform.md`, « Performances », says what is cached and when
//! it is recomputed.

pub mod memo;
pub mod revision;
