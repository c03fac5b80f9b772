//! Entering values: the live preview while typing and the saving of the form.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::value::Review;
use caqes_store::CampaignId;
use caqes_store::{Actor, Role, StoredDeclaration};

use super::{
    entered_by_establishment, evaluation_of, fr, load,
    page::{part_subtotals, render},
    stored_inputs,
    typed::{parse_classes, parse_form},
};
use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};
use crate::ui::page::Page;

/// The live preview while typing (progressive enhancement: `static/caqes.js`):
/// the score with the values typed so far and the errors, nothing saved.
pub async fn preview(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<axum::Json<serde_json::Value>> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "Seul l'établissement saisit ses valeurs.".into(),
        ));
    }
    let (mut values, motives, _, errors) = parse_form(&d, pairs);
    // Indicators not entered by the établissement keep their stored values, and year N−1
    // stays as stored.
    let (stored, stored_declarations, targets) = stored_inputs(&state, &d).await?;
    let typed_codes: BTreeSet<String> = values.iter().map(|v| v.indicator.clone()).collect();
    values.extend(stored.into_iter().filter(|v| {
        v.year != d.campaign.year
            || (!typed_codes.contains(&v.indicator)
                && d.referentiel
                    .line_of(&v.indicator)
                    .and_then(|n| d.referentiel.line_at(n))
                    .is_some_and(|l| !entered_by_establishment(&l.indicator.sources)))
    }));
    // The motives typed, as proposed declarations (a motive unchanged keeps its review).
    let declarations: Vec<StoredDeclaration> = motives
        .iter()
        .filter_map(|((site, code), motive)| {
            let kept = stored_declarations.iter().find(|x| {
                x.site == *site && x.indicator == *code && x.declaration.motive() == motive.trim()
            });
            match kept {
                Some(x) => Some(x.clone()),
                None => caqes_core::value::NcDeclaration::new(motive, Review::Proposed)
                    .ok()
                    .map(|declaration| StoredDeclaration {
                        site: *site,
                        year: d.campaign.year,
                        indicator: code.clone(),
                        declaration,
                        review_comment: None,
                    }),
            }
        })
        .collect();
    values.retain(|v| !v.is_empty());
    let score = evaluation_of(&d, &values, &declarations, &targets).score;
    let parts = part_subtotals(&d.referentiel, &score);
    let errors: BTreeMap<String, String> = errors
        .into_iter()
        .map(|((site, code), (_, message))| (format!("{site}-{code}"), message))
        .collect();
    Ok(axum::Json(serde_json::json!({
        "evaluable": score.evaluable,
        "score": fr(score.score),
        "bonus": fr(score.bonus),
        "total": fr(score.total),
        "parts": parts,
        "errors": errors,
    })))
}

/// Saves a draft: every field is validated with the engine's rules; if any
/// is wrong nothing is saved and the form comes back with the messages.
pub async fn save_values(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "Seul l'établissement saisit ses valeurs.".into(),
        ));
    }
    if !d.submission.state.is_editable() {
        return Err(AppError::Conflict(format!(
            "Le dossier est à l'état « {} » : les valeurs ne peuvent plus être modifiées.",
            d.submission.state.label()
        )));
    }
    // The « Soumettre » button belongs to the values form: what was typed is
    // saved first, then the confirmation step is shown.
    let then_submit = pairs.iter().any(|(k, v)| k == "suite" && v == "soumettre");
    let classes = match parse_classes(&d, &pairs) {
        Ok(c) => c,
        Err(message) => {
            let (_, _, typed, errors) = parse_form(&d, pairs);
            return render(
                &state,
                &session,
                &d,
                Some((typed, errors)),
                false,
                Some(message),
            )
            .await
            .map(Page::invalid);
        }
    };
    let (values, motives, typed, errors) = parse_form(&d, pairs);
    if !errors.is_empty() {
        let message = then_submit.then(|| {
            "Rien n'a été enregistré ni soumis : corrigez les valeurs signalées, puis soumettez à nouveau."
                .to_owned()
        });
        return render(&state, &session, &d, Some((typed, errors)), false, message)
            .await
            .map(Page::invalid);
    }
    state
        .store
        .save_values_with_motives(
            &Actor::user(&session.user),
            &d.campaign,
            &d.entity,
            &values,
            &motives,
        )
        .await?;
    if !classes.is_empty() {
        state
            .store
            .choose_classes(
                &Actor::user(&session.user),
                &d.campaign,
                &d.entity,
                &classes,
            )
            .await?;
    }
    let page = format!("/campagnes/{campaign_id}/dossiers/{finess}");
    if then_submit {
        return Ok(flash::redirect(
            &format!("{page}/soumission"),
            Flash::DraftSaved,
        ));
    }
    Ok(flash::redirect(&page, Flash::DraftSaved))
}
