//! Engagements of an établissement: multi-year targets proposed by the
//! établissement and agreed by the ARS, the internal action plan, and the
//! evidence documents of a campaign dossier.
//!
//! Seeds: the établissement « propose des cibles pluriannuelles », the ARS
//! « valide les cibles » (avenant formalisant pour chaque ES ses cibles);
//! only an accepted target is written to `targets`, the table the scoring
//! reads, in the same transaction as the acceptance and its audit line.
//!
//! One file per engagement: `targets` (the negotiation of multi-year targets),
//! `action_plan` (the internal action plan), `evidence` (the documents of a
//! dossier and the checks on a file before it is kept).

mod action_plan;
mod evidence;
mod targets;

pub use action_plan::*;
pub use evidence::*;
pub use targets::*;

use crate::accounts::require_role;
use crate::{LegalEntity, Result, Role, StoreError, User};

/// The établissement user of this very entity.
pub(super) fn require_own_entity(
    user: &User,
    entity: &LegalEntity,
    action: &'static str,
) -> Result<()> {
    require_role(user, Role::Etablissement, action)?;
    if user.entity != Some(entity.finess) {
        return Err(StoreError::NotFound("établissement"));
    }
    Ok(())
}

pub(super) fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}
