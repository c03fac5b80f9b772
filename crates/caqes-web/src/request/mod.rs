//! What every request goes through, below every topic: its id, its body limit, the
//! extractors with French rejections, the error page, private uploads (streamed to disk),
//! the metrics, and the application state every handler receives (`state`).

pub mod error;
pub mod extract;
pub mod files;
pub mod id;
pub mod limits;
pub mod metrics;
pub mod state;
pub mod upload;
