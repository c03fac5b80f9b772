//! Dashboards (issue 12): the établissement's (`establishment`) and the region's
//! (`region`), with server-side SVG charts (`caqes_documents::{bar_chart, line_chart}`),
//! each next to the table of its figures.

pub mod establishment;
pub mod figures;
pub mod region;
