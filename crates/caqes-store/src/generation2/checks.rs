//! What every write of the second generation checks first, and the one reader of a stored
//! date: who may act (the ARS of the campaign's region, or the établissement itself) and the
//! refusal every check returns.

use jiff::civil::Date;

use crate::{Campaign, LegalEntity, Result, Role, StoreError, User, WorkflowError};

/// A date stored as ISO text (`2024-03-15`); anything else is corruption.
pub(super) fn date(text: &str) -> Result<Date> {
    text.parse::<Date>()
        .map_err(|e| StoreError::Corrupt(format!("date « {text} » : {e}")))
}

/// Only the ARS of the campaign's region decides.
pub(super) fn ensure_ars(user: &User, campaign: &Campaign, action: &'static str) -> Result<()> {
    if user.role != Role::Ars {
        return Err(WorkflowError::WrongRole {
            action,
            role: Role::Ars.label(),
        }
        .into());
    }
    if user.region != Some(campaign.region) {
        return Err(StoreError::NotFound("campagne"));
    }
    Ok(())
}

/// The établissement of the entity itself.
pub(super) fn ensure_own(user: &User, entity: &LegalEntity, action: &'static str) -> Result<()> {
    if user.role != Role::Etablissement {
        return Err(WorkflowError::WrongRole {
            action,
            role: Role::Etablissement.label(),
        }
        .into());
    }
    if user.entity != Some(entity.finess) {
        return Err(StoreError::NotFound("dossier"));
    }
    Ok(())
}
