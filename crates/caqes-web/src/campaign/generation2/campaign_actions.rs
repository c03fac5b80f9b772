//! The ARS's actions on the whole campaign: the contracting unit chosen (legal or
//! geographic FINESS) and the values of N and N−1 imported for every unit.

use axum::extract::State;
use axum::response::Response;
use caqes_core::regimes::ObjectivesGrid;
use caqes_data::objectives_input::read_value_rows;
use caqes_store::generation2::UnitKind;
use caqes_store::generation2::write::ValueImportRow;
use caqes_store::{Campaign, CampaignId, Role, StoreError, User};

use super::context::{Fields, objectives};
use crate::auth::CurrentUser;
use crate::auth::role::require;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::ui::flash::{self, Flash};
use crate::ui::page::Page;

/// What both actions begin with: the campaign of the user's region (404 otherwise),
/// the action reserved to the ARS (403), the campaign on an objectives grid (409).
async fn campaign_action(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    what: &str,
) -> AppResult<(Campaign, ObjectivesGrid)> {
    let campaign = state
        .store
        .campaign(campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    require(user, Role::Ars, what)?;
    let grid = objectives(state, &campaign).await?;
    Ok((campaign, grid))
}

/// The ARS chooses the contracting unit of the campaign (legal or geographic FINESS).
pub async fn choose_unit(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: Fields,
) -> AppResult<Response> {
    let (campaign, _) = campaign_action(
        &state,
        &s.user,
        &campaign_id,
        "Le choix de l'unité de contrat",
    )
    .await?;
    let kind = UnitKind::parse(form.trimmed("unite")).ok_or_else(|| {
        AppError::BadRequest("Unité de contrat : juridique ou géographique.".into())
    })?;
    state
        .store
        .g2_set_unit_kind(&s.user, &campaign, kind)
        .await?;
    Ok(flash::redirect(
        &format!("/campagnes/{}", campaign.id),
        Flash::UnitChosen,
    ))
}

/// `POST /campagnes/{campaign}/objectifs/valeurs/import` (ARS, multipart): `valeurs.csv`
/// (`finess;indicateur;annee;montant;numerateur;denominateur`, the format of `caqes
/// evaluate`), chosen (`valeurs_fichier`) or pasted (`valeurs`). Read by
/// `caqes_data::objectives_input::read_value_rows` (the first problem names the file, the
/// line and the column), checked against the campaign by the store; all rows or none. A
/// refused file gives the campaign's page again (422) with the refusal above the form.
pub async fn import_values(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    let (campaign, grid) =
        campaign_action(&state, &s.user, &campaign_id, "L'import des valeurs").await?;
    let text = form.content("valeurs").await?;
    let file = form
        .file("valeurs_fichier")
        .map_or_else(|| "valeurs.csv".to_owned(), |f| f.name.clone());
    let refusal = match read_value_rows(&file, &text, &grid) {
        Err(e) => format!("{e}."),
        Ok(rows) => {
            let rows = rows
                .into_iter()
                .map(|r| ValueImportRow {
                    unit: r.finess,
                    indicator: r.indicator,
                    year: r.year,
                    values: r.values,
                    line: r.line,
                })
                .collect::<Vec<_>>();
            match state
                .store
                .g2_import_values(&s.user, &campaign, &grid, &file, &rows)
                .await
            {
                Ok(_) => {
                    return Ok(flash::redirect(
                        &format!("/campagnes/{}", campaign.id),
                        Flash::ValuesImported,
                    ));
                }
                Err(StoreError::Conflict(c)) => format!("{c}."),
                Err(e) => return Err(e.into()),
            }
        }
    };
    // The campaign's page again, its import form preceded by the refusal (422).
    let mut page = super::pages::campaign_page(&state, &s, campaign, grid).await?;
    page.import_errors = vec![refusal];
    Ok(page.invalid())
}
