//! How a document becomes pages: flow layout of A4 pages, PDF writing with the
//! subset Marianne fonts, the vector drawing model and its charts, French formats.

pub mod bar_chart;
pub mod charts;
pub mod dashboard;
pub mod drawing;
pub(crate) mod fonts;
pub mod format;
pub(crate) mod layout;
pub mod line_chart;
pub(crate) mod pdf;
pub mod ranking_chart;
pub(crate) mod scale;
