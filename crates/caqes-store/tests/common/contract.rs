//! What the store's contract stories share (`contracts.rs`, `refusal.rs`).

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
