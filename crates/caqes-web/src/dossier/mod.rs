//! The dossier of one legal entity for one campaign: the data-entry form
//! generated from the référentiel, the live score, and the workflow actions.

pub mod bulk;
pub mod classes;
pub mod comments;
pub mod decision;
pub mod engagements;
pub mod engine;
pub mod page;
pub mod typed;
pub mod values;
pub mod workflow;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, Referentiel, Source};
use caqes_store::CampaignId;
use caqes_store::{
    Campaign, DossierParts, EntityEvaluation, EntityScoring, LegalEntity, Site, StoredDeclaration,
    StoredValue, Submission, User,
};
use rust_decimal::Decimal;

use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::fr;

pub use caqes_store::today;

/// Everything a dossier page is about, loaded only within the user's scope.
pub struct Dossier {
    pub campaign: Campaign,
    pub entity: LegalEntity,
    pub sites: Vec<Site>,
    pub submission: Submission,
    /// Shared with the store (a builtin grid is parsed once per process, never copied).
    pub referentiel: Arc<Referentiel>,
    /// The stored inputs and their evaluation, from the store's memo (computed once per
    /// revision of the entity's data, `caqes_store::scores`).
    pub scoring: Arc<EntityScoring>,
}

/// Loads a dossier, answering 404 for anything outside the user's scope.
pub async fn load(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    finess: &Finess,
) -> AppResult<Dossier> {
    // One query for the three: the same 404 whichever is missing.
    let parts = state
        .store
        .dossier_parts(campaign_id, finess)
        .await?
        .ok_or(AppError::NotFound)?;
    load_parts(state, user, parts).await
}

/// The campaign and the entity of a dossier the user may read (its own entity, its
/// region's); 404 otherwise, whichever is missing.
pub(crate) async fn campaign_and_entity(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    finess: &Finess,
) -> AppResult<(Campaign, LegalEntity)> {
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
    Ok((campaign, entity))
}

/// [`load`] from the dossier's rows already read.
async fn load_parts(state: &AppState, user: &User, parts: DossierParts) -> AppResult<Dossier> {
    let DossierParts {
        campaign,
        entity,
        submission,
        revision,
    } = parts;
    if !user.can_read_entity(&entity) || entity.region != campaign.region {
        return Err(AppError::NotFound);
    }
    let referentiel = points_grid(state, &campaign).await?;
    // The revision was read with the dossier, before the inputs: what the memo holds for
    // it is at least as recent as the page's other rows.
    let scoring = state
        .store
        .entity_scoring(&campaign, &referentiel, &entity, revision)
        .await?;
    Ok(Dossier {
        campaign,
        entity,
        sites: scoring.sites.clone(),
        submission,
        referentiel,
        scoring,
    })
}

/// The points grid of a first-generation campaign, shared; a campaign without
/// its grid is a broken database (500), not the user's mistake.
pub(crate) async fn points_grid(
    state: &AppState,
    campaign: &Campaign,
) -> AppResult<Arc<Referentiel>> {
    state
        .store
        .referentiel_shared(&campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "référentiel {} introuvable",
                campaign.referentiel_id
            ))
        })
}

/// French display of a decimal (2 decimals at most, comma separator).
pub fn fr(d: Decimal) -> String {
    caqes_core::rate::round_half_away(d, 2)
        .normalize()
        .to_string()
        .replace('.', ",")
}

/// Whether the établissement itself enters this indicator (others come from
/// the Assurance Maladie, the ARS or the ATIH).
fn entered_by_establishment(sources: &[Source]) -> bool {
    sources.is_empty() || sources.contains(&Source::ES)
}

/// Whether the dossier has been evaluated (the evaluation report exists).
pub fn is_evaluated(state: caqes_store::SubmissionState) -> bool {
    use caqes_store::SubmissionState as S;
    matches!(state, S::Evalue | S::Notifie | S::Conteste | S::Clos)
}

/// Whether the établissement's submission stands (submitted and not returned
/// for changes): what it submitted is what is stored.
pub fn is_submitted(state: caqes_store::SubmissionState) -> bool {
    !state.is_editable()
}

/// The dossier scored from `values` (years N and N−1) by the engine's one path
/// (`caqes_store::evaluate_entity`, the same calls as `caqes evaluate`).
pub(crate) fn evaluation_of(
    d: &Dossier,
    values: &[StoredValue],
    declarations: &[StoredDeclaration],
    targets: &BTreeMap<String, Decimal>,
) -> EntityEvaluation {
    caqes_store::evaluate_entity(
        &d.referentiel,
        &d.entity,
        &d.sites,
        d.campaign.year,
        values,
        declarations,
        targets,
    )
}

/// What the scoring reads for a dossier, from the store: values of years N and N−1, NC
/// declarations, targets.
pub(crate) async fn stored_inputs(
    state: &AppState,
    d: &Dossier,
) -> AppResult<(
    Vec<StoredValue>,
    Vec<StoredDeclaration>,
    BTreeMap<String, Decimal>,
)> {
    // One query for the three (values of N and N−1, declarations, targets).
    let inputs = state
        .store
        .entity_inputs(&d.entity.finess, d.campaign.year)
        .await?;
    Ok((inputs.values, inputs.declarations, inputs.targets))
}

/// The Assurance Maladie's indicators concerned by the entity's category that have no
/// value of the campaign year yet (any site; an indicator computed per class counts its
/// classes' values): the ARS validates or evaluates without them only by an explicit,
/// recorded decision (« en attente de l'Assurance Maladie »).
pub(crate) fn am_pending_codes(
    referentiel: &Referentiel,
    category: caqes_core::Category,
    year: i16,
    values: &[StoredValue],
) -> Vec<String> {
    let with_value: BTreeSet<&str> = values
        .iter()
        .filter(|v| v.year == year)
        .map(|v| v.indicator.split('/').next().unwrap_or(&v.indicator))
        .collect();
    referentiel
        .indicators
        .iter()
        .filter(|ind| {
            ind.sources.contains(&Source::AM)
                && ind.applicability(category) == Applicability::Concerned
                && !with_value.contains(ind.code.as_str())
        })
        .map(|ind| ind.code.clone())
        .collect()
}
