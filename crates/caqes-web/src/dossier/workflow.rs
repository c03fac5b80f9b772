//! The dossier's workflow: its actions (submit, review, evaluate…), the submission's
//! confirmation page and the ARS's review of an NC motive.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::referentiel::Applicability;
use caqes_core::value::Review;
use caqes_core::workflow::available_actions;
use caqes_store::CampaignId;
use caqes_store::{Action, Actor, Evaluated, Role, ScoreRecord, StoredValue};
use serde::Deserialize;

use super::{
    Dossier, am_pending_codes, entered_by_establishment, evaluation_of, load, page::render,
    stored_inputs,
};
use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};
use crate::ui::page::{Page, impl_page};
use crate::ui::{Layout, fr};

#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    #[serde(default)]
    commentaire: String,
    /// `confirme` when the ARS evaluates knowing that some targets are missing.
    #[serde(default)]
    cibles_manquantes: Option<String>,
    /// `confirme` when the ARS validates or evaluates without the Assurance Maladie's
    /// values still pending.
    #[serde(default)]
    am_en_attente: Option<String>,
}

/// Applies a workflow action; the store checks the role and the state again in its transaction.
pub async fn apply_action(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    let action = Action::parse(&form.action)
        .ok_or_else(|| AppError::Forbidden("Action inconnue.".into()))?;
    let (values, declarations, targets) = stored_inputs(&state, &d).await?;
    let score = evaluation_of(&d, &values, &declarations, &targets).score;
    if action == Action::Soumettre {
        let stored: Vec<StoredValue> = values
            .iter()
            .filter(|v| v.year == d.campaign.year)
            .cloned()
            .collect();
        let missing = missing_values(&d, &stored);
        if !missing.is_empty() {
            let message = format!(
                "Soumission impossible : valeur manquante pour {} (saisir la valeur, ou NC / NM).",
                missing.join(", ")
            );
            return render(&state, &session, &d, None, false, Some(message))
                .await
                .map(Page::invalid);
        }
    }
    // Only for an action this user may take in this state (the store refuses the others).
    let allowed = available_actions(d.submission.state, session.user.role).contains(&action);
    // Validating or evaluating while the Assurance Maladie's values are still pending is
    // the ARS's explicit decision, recorded with the transition (issue 10).
    let am_pending = if matches!(action, Action::Valider | Action::Evaluer) && allowed {
        am_pending_codes(&d.referentiel, d.entity.category, d.campaign.year, &values)
    } else {
        Vec::new()
    };
    if !am_pending.is_empty() && form.am_en_attente.as_deref() != Some("confirme") {
        let message = format!(
            "Valeurs de l'Assurance Maladie en attente pour {} : cocher la décision de poursuivre sans elles (ces lignes comptent alors comme non renseignées), ou attendre les données.",
            am_pending.join(", ")
        );
        return render(&state, &session, &d, None, false, Some(message))
            .await
            .map(Page::invalid);
    }
    if action == Action::Evaluer && allowed {
        // The score is final only when every concerned line is compared with a target (W3:
        // « cible manquante » until the ARS contracts or the référentiel gives one), and
        // only for an establishment that has something to score (W5).
        // A line computed per class (D5) misses the targets of its classes.
        let missing = score.missing_targets();
        let confirmed = form.cibles_manquantes.as_deref() == Some("confirme")
            && !form.commentaire.trim().is_empty();
        // A non-évaluable establishment is evaluated all the same (W5): the evaluation
        // records the finding, no score, and the decision page proposes no sanction.
        let message = if score.evaluable && !missing.is_empty() && !confirmed {
            Some(format!(
                "Évaluation impossible : cible manquante pour {}. Contractualiser la cible, ou cocher la décision d'évaluer ces lignes sans cible (0 point) et la motiver.",
                missing.join(", ")
            ))
        } else {
            None
        };
        if let Some(message) = message {
            return render(&state, &session, &d, None, false, Some(message))
                .await
                .map(Page::invalid);
        }
    }
    let evaluated = (action == Action::Evaluer).then_some(if score.evaluable {
        Evaluated::Scored(ScoreRecord {
            score: score.score,
            bonus: score.bonus,
            total: score.total,
        })
    } else {
        Evaluated::NotEvaluable
    });
    // The ARS's decision on missing targets is recorded with the transition (W3: « the ARS
    // records a decision on it »).
    let missing_targets: Vec<&str> = score.missing_targets();
    let comment_text = if action == Action::Evaluer && !score.evaluable {
        let finding = "Établissement non évaluable : aucun indicateur portant des points n'est concerné ; pas de score, aucune sanction proposée.";
        match form.commentaire.trim() {
            "" => finding.to_owned(),
            c => format!("{finding} {c}"),
        }
    } else if action == Action::Evaluer && !missing_targets.is_empty() {
        format!(
            "Évalué sans cible pour {} (0 point) : {}",
            missing_targets.join(", "),
            form.commentaire.trim()
        )
    } else {
        form.commentaire.clone()
    };
    let comment_text = if am_pending.is_empty() {
        comment_text
    } else {
        format!(
            "Décidé sans les valeurs de l'Assurance Maladie en attente pour {}. {}",
            am_pending.join(", "),
            comment_text.trim()
        )
    };
    let comment = Some(comment_text.as_str()).filter(|c| !c.trim().is_empty());
    state
        .store
        .apply_evaluated_action(
            &session.user,
            &d.submission,
            &d.entity.region,
            action,
            comment,
            evaluated,
        )
        .await?;
    let done = match action {
        Action::Soumettre => Flash::Submitted,
        Action::PrendreEnRevue => Flash::TakenIntoReview,
        Action::Renvoyer => Flash::SentBack,
        Action::Valider => Flash::Validated,
        Action::Evaluer => Flash::Evaluated,
        Action::Notifier => Flash::DecisionNotified,
        Action::Contester => Flash::Contested,
        Action::Clore => Flash::Closed,
    };
    Ok(flash::redirect(
        &format!("/campagnes/{campaign_id}/dossiers/{finess}"),
        done,
    ))
}

/// The indicators the établissement enters and has not filled in (NC / NM count as filled).
pub(super) fn missing_values<'a>(d: &'a Dossier, stored: &[StoredValue]) -> Vec<&'a str> {
    let entered: BTreeSet<&str> = stored.iter().map(|v| v.indicator.as_str()).collect();
    // An indicator computed per class (D5) is complete when each of its classes has a
    // value (or NC), or when it has one value of its own (typed before the classes).
    d.referentiel
        .lines_in_order()
        .filter(|l| {
            let i = l.indicator;
            entered_by_establishment(&i.sources)
                && i.applicability(d.entity.category) != Applicability::Nc
                && match l.class {
                    None => i.classes.is_empty(),
                    Some(_) => !entered.contains(i.code.as_str()),
                }
        })
        .map(|l| l.code)
        .filter(|c| !entered.contains(c))
        .collect()
}

/// The confirmation step before a submission (works without JavaScript):
/// what will be sent, the values missing if any, and the consequence.
pub async fn confirm_submission(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<SubmissionConfirmPage> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "Seul l'établissement soumet son auto-évaluation.".into(),
        ));
    }
    let (values, declarations, targets) = stored_inputs(&state, &d).await?;
    let score = evaluation_of(&d, &values, &declarations, &targets).score;
    let stored: Vec<StoredValue> = values
        .into_iter()
        .filter(|v| v.year == d.campaign.year)
        .collect();
    let missing = missing_values(&d, &stored)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let page = SubmissionConfirmPage {
        layout: Layout::for_user(
            &format!("Soumettre l'auto-évaluation — {}", d.entity.name),
            &session.user,
            &session.csrf,
        ),
        campaign_id: d.campaign.id.to_string(),
        campaign_title: d.campaign.title.clone(),
        entity_name: d.entity.name.clone(),
        entity_finess: d.entity.finess.to_string(),
        submittable: d.submission.state.is_editable(),
        state_label: d.submission.state.label(),
        values: stored.len(),
        score: super::fr(score.score),
        total: super::fr(score.total),
        missing,
        deadline: fr::date(d.campaign.submission_deadline),
    };
    Ok(page)
}

#[derive(Template)]
#[template(path = "submission_confirm.html")]
pub struct SubmissionConfirmPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub submittable: bool,
    pub state_label: &'static str,
    pub values: usize,
    pub score: String,
    pub total: String,
    pub missing: Vec<String>,
    pub deadline: String,
}

#[derive(Deserialize)]
pub struct NcReviewForm {
    site: String,
    indicateur: String,
    /// `accepter` or `refuser`.
    decision: String,
    #[serde(default)]
    commentaire: String,
}

/// The ARS accepts or refuses the motive of an NC declared by the établissement (W4);
/// the store checks the state again in its transaction and writes the audit line.
pub async fn review_nc(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(form): Form<NcReviewForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role != Role::Ars {
        return Err(AppError::Forbidden(
            "Seule l'ARS revoit les indicateurs déclarés non concernés.".into(),
        ));
    }
    let review = match form.decision.as_str() {
        "accepter" => Review::Accepted,
        "refuser" => Review::Refused,
        _ => return Err(AppError::Forbidden("Décision inconnue.".into())),
    };
    let comment = Some(form.commentaire.as_str()).filter(|c| !c.trim().is_empty());
    if review == Review::Refused && comment.is_none() {
        return Err(AppError::Conflict(
            "Un refus de NC doit être motivé : saisir un commentaire pour l'établissement.".into(),
        ));
    }
    let site = d
        .sites
        .iter()
        .find(|s| s.finess.as_str() == form.site)
        .ok_or(AppError::NotFound)?;
    state
        .store
        .review_nc(
            &Actor::user(&session.user),
            &d.campaign,
            &d.entity,
            site.finess,
            &form.indicateur,
            review,
            comment,
        )
        .await?;
    Ok(flash::redirect(
        &format!(
            "/campagnes/{campaign_id}/dossiers/{finess}#indicateur-{}",
            form.indicateur
        ),
        if review == Review::Accepted {
            Flash::NcAccepted
        } else {
            Flash::NcRefused
        },
    ))
}

impl_page!(SubmissionConfirmPage);
