//! How a document becomes pages: flow layout of A4 pages, PDF writing with the
//! subset Marianne fonts, the vector drawing model and its charts, French formats.

pub mod charts;
pub mod drawing;
pub(crate) mod fonts;
pub mod format;
pub(crate) mod layout;
pub(crate) mod pdf;
pub mod ranking_chart;
