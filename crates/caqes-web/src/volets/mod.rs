//! The additional volets: their targeting screens (`targeting`) and their evaluation and
//! decision pages: one life cycle (`lifecycle`)
//! shared by transports, qualité and pertinence, and the sum notified to an entity.

pub(crate) mod lifecycle;
pub mod notified_sum;
pub(crate) mod objectives;
pub(crate) mod page;
pub mod pertinence;
pub mod qualite;
pub mod targeting;
pub mod transport;
