//! What every request goes through, below every topic: its id, its body limit, the
//! extractors with French rejections, the error page, private uploads (streamed to disk),
//! the metrics.

pub mod error;
pub mod extract;
pub mod files;
pub mod id;
pub mod limits;
pub mod metrics;
pub mod upload;
