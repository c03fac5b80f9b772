//! What every second-generation handler begins with: the campaign, the entity in
//! the user's scope and the campaign's objectives grid ([`Context2`]), the role an
//! action is reserved to, the unit acted on, and the form's dates and amounts.

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::value::parse_decimal;
use caqes_store::CampaignId;
use caqes_store::{Campaign, LegalEntity, Role, User};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;

/// A campaign, an entity in the user's scope, and the campaign's objectives grid.
pub struct Context2 {
    pub campaign: Campaign,
    pub entity: LegalEntity,
    pub grid: ObjectivesGrid,
}

/// Loads a second-generation dossier: 404 outside the user's scope, 409 on a
/// first-generation campaign (its own pages apply).
pub(super) async fn load(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    finess: &Finess,
) -> AppResult<Context2> {
    let campaign = state
        .store
        .campaign(campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entity = state
        .store
        .legal_entity(finess)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.can_read_entity(&entity) || entity.region != campaign.region {
        return Err(AppError::NotFound);
    }
    let grid = objectives(state, &campaign).await?;
    Ok(Context2 {
        campaign,
        entity,
        grid,
    })
}

pub(super) async fn objectives(state: &AppState, campaign: &Campaign) -> AppResult<ObjectivesGrid> {
    state
        .store
        .campaign_objectives(campaign)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "Cette campagne relève de la première génération du CAQES : ses objectifs ne se saisissent pas ici."
                    .into(),
            )
        })
}

pub(super) fn require(user: &User, role: Role, what: &str) -> AppResult<()> {
    if user.role == role {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} est réservé au rôle {}.",
            role.label()
        )))
    }
}

pub(super) fn date_field(
    form: &BTreeMap<String, String>,
    name: &str,
    label: &str,
) -> AppResult<Date> {
    let text = form.get(name).map(|s| s.trim()).unwrap_or_default();
    text.parse::<Date>().map_err(|_| {
        AppError::BadRequest(format!(
            "{label} : date attendue (jour, mois, année), reçu « {text} »."
        ))
    })
}

pub(super) fn amount_field(
    form: &BTreeMap<String, String>,
    name: &str,
    label: &str,
) -> AppResult<Decimal> {
    let text = form.get(name).map(|s| s.trim()).unwrap_or_default();
    let cleaned = text.replace('€', "");
    parse_decimal(&cleaned)
        .ok_or_else(|| AppError::BadRequest(format!("{label} : montant illisible « {text} ».")))
}

pub(super) fn form_map(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

/// The path of every action on a unit: campaign, entity, unit.
pub(super) type UnitPath = Path<(CampaignId, Finess, Finess)>;

/// What every action on a unit begins with: the dossier in the user's scope (404
/// otherwise), the role the action is reserved to (403 otherwise), the unit's FINESS.
pub(super) async fn unit_action(
    state: &AppState,
    user: &User,
    (campaign_id, finess, unit): (CampaignId, Finess, Finess),
    role: Role,
    what: &str,
) -> AppResult<(Context2, Finess)> {
    let c = load(state, user, &campaign_id, &finess).await?;
    require(user, role, what)?;
    Ok((c, unit))
}

pub(super) fn back(c: &Context2, unit: Finess) -> String {
    format!(
        "/campagnes/{}/dossiers/{}#unite-{unit}",
        c.campaign.id, c.entity.finess
    )
}

/// For the letter: the campaign, entity and grid of a unit in the user's scope.
pub(crate) async fn load_unit(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    finess: &Finess,
    unit: Finess,
) -> AppResult<(Context2, Finess)> {
    let c = load(state, user, campaign_id, finess).await?;
    if !state
        .store
        .g2_units(&c.campaign, &c.entity)
        .await?
        .iter()
        .any(|u| u.finess == unit)
    {
        return Err(AppError::NotFound);
    }
    Ok((c, unit))
}
