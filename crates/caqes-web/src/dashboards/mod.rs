//! The dashboards (issue 12): the campaign's (établissement, region) and the PHEV
//! figures with the juste-prescription estimator. Reached as `crate::dashboard` and
//! `crate::phev` through the crate root's re-exports.

pub mod dashboard;
pub mod phev;
