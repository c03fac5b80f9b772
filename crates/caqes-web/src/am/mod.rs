//! Assurance Maladie data for the AM user of a region: the PHEV indicators
//! (III-01, III-03, IV-01, IV-02) computed from Open PHMEV files by the
//! `caqes_data::phmev` pipeline, and the sanction bases of each legal entity
//! (AM revenue and liste en sus amount, by form or CSV). Also the ARS's choice
//! of the sanction basis of a dossier.
//!
//! PHEV upload: « Aperçu » receives the files (multipart), keeps them in a
//! private temporary directory named by a random token (never in the
//! database), runs the pipeline and shows the figures; « Confirmer » re-runs
//! the pipeline on the same files, writes the values in one transaction with
//! an audit line carrying the files' provenance (names, SHA-256, rows), and
//! deletes the directory. A refused file is deleted at once; uploads never
//! confirmed are deleted after [`UPLOAD_TTL`].

mod basis;
mod figures;
mod phev_upload;

pub use basis::{BasisView, basis_label, basis_view, choose_basis};
use caqes_core::RegionCode;
use caqes_store::{Campaign, CampaignId, Role, User};
pub use figures::{
    am_data_save, am_data_show, am_import_confirm, am_import_form, am_import_preview,
};
pub use phev_upload::{phev_confirm, phev_form, phev_preview};

use crate::imports::ErrorLine;
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;

/// Name given in error reports to the pasted AM figures.
pub use caqes_data::am_figures::AM_FILE;

pub(super) fn am_region(user: &User) -> AppResult<RegionCode> {
    match (user.role, user.region) {
        (Role::AssuranceMaladie, Some(r)) => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

pub(super) async fn campaign_of_am(
    state: &AppState,
    user: &User,
    id: &CampaignId,
) -> AppResult<Campaign> {
    let region = am_region(user)?;
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    if campaign.region != region {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    Ok(campaign)
}

pub(super) fn error_line(file: &str, message: String) -> ErrorLine {
    ErrorLine {
        file: file.to_owned(),
        line: String::new(),
        column: String::new(),
        message,
    }
}
