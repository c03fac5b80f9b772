//! PHEV dashboards (Open PHMEV figures of the region and of an entity) and the
//! juste-prescription estimator (issue 12). The rows come from the PHEV upload
//! (`crate::am`, kept by `caqes_store::phev`); the figures are `caqes_core::phev`'s and
//! `caqes_core::estimator`'s; the charts are `caqes_documents`' ranking chart.

pub mod dashboard;
pub mod estimator;
mod view;
