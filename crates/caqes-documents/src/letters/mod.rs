//! The DG ARS's letters (decisions, sanctions) and the receipts.

pub(crate) mod interessement;
pub(crate) mod lever;
pub(crate) mod notification;
pub(crate) mod receipt;
