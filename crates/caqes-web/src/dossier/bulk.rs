//! Bulk actions (issue 10): what the ARS does many times in a row, in one POST.
//!
//! - validate, or take into review, several dossiers of a campaign (the
//!   follow-up's checkboxes, or « tout sélectionner » of the rows shown);
//! - accept several proposed targets, of one dossier or of the whole campaign.
//!
//! Each item goes through the store's existing guarded write (the same
//! transaction, audit line and notification as the single action), one after
//! the other: an item refused (state not allowed, already reviewed) does not
//! undo the others. The answer is a page saying how many succeeded and listing
//! the refused ones with their reason.

use caqes_core::Finess;
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caqes_store::{Action, Campaign, Role, StoreError, SubmissionRow, User};
use caqes_store::{CampaignId, ProposalId};

use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;

/// The workflow actions offered in bulk: the ones without a comment or a score.
pub const BULK_ACTIONS: [Action; 2] = [Action::PrendreEnRevue, Action::Valider];

/// One item the bulk action could not apply, and why.
pub struct Refused {
    pub label: String,
    pub reason: String,
}

/// What a bulk action did.
pub struct Outcome {
    /// Items the action applied to.
    pub done: Vec<String>,
    pub refused: Vec<Refused>,
}

impl Outcome {
    fn new() -> Outcome {
        Outcome {
            done: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Records the store's answer for one item: a refusal carries the store's
    /// French reason; a technical error is logged and reported as such (the
    /// items already done stay done).
    fn record(&mut self, label: String, result: Result<(), StoreError>) {
        match result {
            Ok(()) => self.done.push(label),
            Err(e @ (StoreError::Workflow(_) | StoreError::Conflict(_))) => {
                self.refused.push(Refused {
                    label,
                    reason: e.to_string(),
                });
            }
            Err(StoreError::NotFound(what)) => self.refused.push(Refused {
                label,
                reason: format!("{what} introuvable"),
            }),
            Err(e) => {
                tracing::error!(error = %e, "action groupée : erreur technique");
                self.refused.push(Refused {
                    label,
                    reason: "erreur technique : réessayez".to_owned(),
                });
            }
        }
    }
}

#[derive(Template)]
#[template(path = "bulk_result.html")]
pub struct BulkResultPage {
    pub layout: Layout,
    /// « Validation des dossiers », « Acceptation des cibles »…
    pub heading: String,
    /// « dossier(s) validé(s) »…
    pub done_words: String,
    pub asked: usize,
    pub outcome: Outcome,
    pub back: String,
    pub back_label: String,
}

impl_page!(BulkResultPage);

/// The campaign of a bulk action: the ARS of its region only (404 otherwise,
/// like every page outside a user's scope).
async fn ars_campaign(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
) -> AppResult<Campaign> {
    let campaign = state
        .store
        .campaign(campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.role != Role::Ars || user.region != Some(campaign.region) {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}

/// The values of `key` in a form, trimmed, without duplicates, in order.
fn values_of(pairs: &[(String, String)], key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, v) in pairs {
        let v = v.trim();
        if k == key && !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}

/// The items chosen: the checked ones, or every row shown when « tout
/// sélectionner » is checked (without JavaScript the box cannot tick the rows,
/// so the server reads it).
fn chosen(pairs: &[(String, String)], item: &str) -> Vec<String> {
    if pairs.iter().any(|(k, v)| k == "tout" && v == "oui") {
        values_of(pairs, "affiche")
    } else {
        values_of(pairs, item)
    }
}

/// `POST /campagnes/{campaign}/actions-groupees`: `action` (`valider` or
/// `prendre_en_revue`) on every `dossier` (FINESS juridique) checked.
pub async fn dossiers(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let campaign = ars_campaign(&state, &s.user, &campaign_id).await?;
    let code = values_of(&pairs, "action").into_iter().next();
    let action = code
        .as_deref()
        .and_then(Action::parse)
        .filter(|a| BULK_ACTIONS.contains(a))
        .ok_or_else(|| {
            AppError::Conflict(
                "Action groupée : choisir « Prendre en revue » ou « Valider ».".into(),
            )
        })?;
    let asked = chosen(&pairs, "dossier");
    if asked.is_empty() {
        return Err(AppError::Conflict(
            "Aucun dossier sélectionné : cochez les dossiers, ou « tout sélectionner ».".into(),
        ));
    }
    // The campaign's dossiers, read once: a FINESS outside the campaign is refused.
    let rows: BTreeMap<String, SubmissionRow> = state
        .store
        .submissions_of_campaign(&campaign)
        .await?
        .into_iter()
        .map(|r| (r.entity.finess.to_string(), r))
        .collect();
    let referentiel = state.store.campaign_referentiel(&campaign).await?;
    let mut outcome = Outcome::new();
    for finess in &asked {
        let Some(row) = rows.get(finess) else {
            outcome.refused.push(Refused {
                label: finess.clone(),
                reason: "aucun dossier de cette campagne pour ce FINESS".to_owned(),
            });
            continue;
        };
        let label = format!("{} ({finess})", row.entity.name);
        // Validating without the Assurance Maladie's values is a decision taken dossier by
        // dossier, on its page (recorded there with the action), never in bulk.
        if action == Action::Valider {
            let inputs = state
                .store
                .entity_inputs(&row.entity.finess, campaign.year)
                .await?;
            let pending = crate::dossier::am_pending_codes(
                &referentiel,
                row.entity.category,
                campaign.year,
                &inputs.values,
            );
            if !pending.is_empty() {
                outcome.refused.push(Refused {
                    label,
                    reason: format!(
                        "valeurs de l'Assurance Maladie en attente pour {} : décider sur la page du dossier",
                        pending.join(", ")
                    ),
                });
                continue;
            }
        }
        let result = state
            .store
            .apply_evaluated_action(
                &s.user,
                &row.submission,
                &row.entity.region,
                action,
                None,
                None,
            )
            .await
            .map(|_| ());
        outcome.record(label, result);
    }
    let (heading, done_words) = match action {
        Action::Valider => ("Validation groupée des dossiers", "dossier(s) validé(s)"),
        _ => (
            "Prise en revue groupée des dossiers",
            "dossier(s) pris en revue",
        ),
    };
    Ok(BulkResultPage {
        layout: Layout::for_user(heading, &s.user, &s.csrf),
        heading: heading.to_owned(),
        done_words: done_words.to_owned(),
        asked: asked.len(),
        outcome,
        back: format!("/campagnes/{}", campaign.id),
        back_label: "Retour au suivi de la campagne".to_owned(),
    }
    .into_response())
}

/// Accepts each `(entity, proposal id)` of `items`, for the ARS of the campaign.
async fn accept_each(
    state: &AppState,
    user: &User,
    campaign: &Campaign,
    items: &[(String, ProposalId)],
) -> AppResult<Outcome> {
    let mut outcome = Outcome::new();
    let mut entities = BTreeMap::new();
    for (finess, id) in items {
        if !entities.contains_key(finess) {
            // A malformed FINESS is an entity that does not exist.
            let entity = match Finess::parse(finess) {
                Ok(f) => state
                    .store
                    .legal_entity(&f)
                    .await?
                    .filter(|e| e.region == campaign.region),
                Err(_) => None,
            };
            entities.insert(finess.clone(), entity);
        }
        let Some(Some(entity)) = entities.get(finess) else {
            outcome.refused.push(Refused {
                label: format!("{finess} — proposition {id}"),
                reason: "établissement introuvable dans la région".to_owned(),
            });
            continue;
        };
        let proposal = state
            .store
            .target_proposals(&entity.finess)
            .await?
            .into_iter()
            .find(|p| p.id == *id);
        let label = match &proposal {
            Some(p) => format!(
                "{} — {} {} : cible {}",
                entity.name, p.indicator, p.year, p.raw
            ),
            None => format!("{} — proposition {id}", entity.name),
        };
        let result = state
            .store
            .accept_target_proposal(user, entity, id, None)
            .await
            .map(|_| ());
        outcome.record(label, result);
    }
    Ok(outcome)
}

/// `POST /campagnes/{campaign}/cibles/accepter`: every `proposition`
/// (`{FINESS}:{id}`) checked on the campaign's page of pending targets.
pub async fn accept_campaign_targets(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let campaign = ars_campaign(&state, &s.user, &campaign_id).await?;
    state.store.ensure_points_campaign(&campaign).await?;
    let asked = chosen(&pairs, "proposition");
    if asked.is_empty() {
        return Err(AppError::Conflict(
            "Aucune cible sélectionnée : cochez les propositions à accepter.".into(),
        ));
    }
    let items: Vec<(String, ProposalId)> = asked
        .iter()
        .map(|v| match v.split_once(':') {
            Some((f, id)) => (f.to_owned(), ProposalId::from(id)),
            None => (String::new(), ProposalId::from(v.as_str())),
        })
        .collect();
    let outcome = accept_each(&state, &s.user, &campaign, &items).await?;
    let heading = "Acceptation groupée des cibles";
    Ok(BulkResultPage {
        layout: Layout::for_user(heading, &s.user, &s.csrf),
        heading: heading.to_owned(),
        done_words: "cible(s) acceptée(s)".to_owned(),
        asked: asked.len(),
        outcome,
        back: format!("/campagnes/{}/cibles", campaign.id),
        back_label: "Retour aux cibles proposées".to_owned(),
    }
    .into_response())
}

/// `POST /campagnes/{campaign}/dossiers/{finess}/engagements/cibles/accepter`:
/// every `proposition` (id) checked on the dossier's engagements page.
pub async fn accept_dossier_targets(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    // The dossier's scope first: another region's ARS, or anyone outside, gets 404.
    let d = crate::dossier::load(&state, &s.user, &campaign_id, &finess).await?;
    if s.user.role != Role::Ars {
        return Err(AppError::Forbidden(
            "Seule l'ARS accepte les cibles proposées.".into(),
        ));
    }
    state.store.ensure_points_campaign(&d.campaign).await?;
    let asked = chosen(&pairs, "proposition");
    if asked.is_empty() {
        return Err(AppError::Conflict(
            "Aucune cible sélectionnée : cochez les propositions à accepter.".into(),
        ));
    }
    let entity = d.entity.finess.to_string();
    let items: Vec<(String, ProposalId)> = asked
        .iter()
        .map(|id| (entity.clone(), ProposalId::from(id.as_str())))
        .collect();
    let outcome = accept_each(&state, &s.user, &d.campaign, &items).await?;
    let heading = "Acceptation groupée des cibles";
    Ok(BulkResultPage {
        layout: Layout::for_user(heading, &s.user, &s.csrf),
        heading: format!("{heading} — {}", d.entity.name),
        done_words: "cible(s) acceptée(s)".to_owned(),
        asked: asked.len(),
        outcome,
        back: format!(
            "/campagnes/{}/dossiers/{}/engagements",
            d.campaign.id, d.entity.finess
        ),
        back_label: "Retour aux engagements du dossier".to_owned(),
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_checked_items_or_every_row_shown() {
        let form = pairs(&[
            ("dossier", "a"),
            ("dossier", " b "),
            ("dossier", "a"),
            ("affiche", "a"),
            ("affiche", "b"),
            ("affiche", "c"),
        ]);
        assert_eq!(chosen(&form, "dossier"), ["a", "b"]);
        let mut all = form.clone();
        all.push(("tout".into(), "oui".into()));
        assert_eq!(chosen(&all, "dossier"), ["a", "b", "c"]);
    }

    #[test]
    fn a_refusal_keeps_the_stores_reason() {
        let mut o = Outcome::new();
        o.record("A".into(), Ok(()));
        o.record(
            "B".into(),
            Err(caqes_store::conflict::DecisionConflict::NothingToNotify.into()),
        );
        assert_eq!(o.done, ["A"]);
        assert_eq!(o.refused.len(), 1);
        assert_eq!(o.refused[0].reason, "aucune décision à notifier");
    }
}
