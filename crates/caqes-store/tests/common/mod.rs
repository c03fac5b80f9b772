//! What the store's test stories share: the contract stories' conflict assertion
//! (`contracts.rs`, `refusal.rs`) and the three targeting stories' fixture and
//! refusals (`targeting.rs`, `quality_targeting.rs`, `pertinence_targeting.rs`).
// Each test file is its own crate and uses only one part of this module.
#![allow(dead_code)]

pub mod contract;
pub mod targeting;
