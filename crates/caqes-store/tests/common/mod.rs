//! What the store's test stories share: a conflict's French text (`contracts.rs`,
//! `refusal.rs`, the volet decision stories), the volets' life cycle (`volet`) and
//! the three targeting stories' fixture and refusals (`targeting`), and the dossier
//! evaluated the sanction decision stories start from (`evaluated`).
// Each test file is its own crate and uses only one part of this module.
#![allow(dead_code)]

pub mod evaluated;
pub mod targeting;
pub mod volet;

use caqes_store::StoreError;

/// `r` is the user's mistake (a conflict) whose French text says `needle`.
pub fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, needle: &str) {
    match r {
        Err(StoreError::Conflict(c)) => {
            let m = c.to_string();
            assert!(m.contains(needle), "« {m} » sans « {needle} »")
        }
        other => panic!("conflit attendu ({needle}), reçu {other:?}"),
    }
}
