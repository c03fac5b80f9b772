//! The additional volets' evaluations and decisions: one life cycle (`lifecycle`)
//! shared by transports, qualité and pertinence, and the sum notified to an entity.

pub mod lifecycle;
pub mod notified_sum;
pub mod pertinence;
pub mod qualite;
pub mod transport;
