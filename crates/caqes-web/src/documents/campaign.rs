//! The IRAPS synthesis, from the campaign page, for the ARS, the Assurance
//! Maladie and the OMEDIT of the region (the établissement and the
//! administrator never: 404). Aggregates only, from what the campaign page and
//! the targeting pages read: the confirmed targeting lists, the scores stored at
//! evaluation, the indicators most often missed (each evaluated dossier's lines as
//! its dossier page computes them), the notified decisions of the volet obligatoire.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use caqes_core::evaluation::dashboard::{BANDS, band_of};
use caqes_core::referentiel::Applicability;
use caqes_core::volets::Volet;
use caqes_core::{Euros, Finess};
use caqes_documents::{
    CategoryScores, IrapsSynthesis, MissedIndicator, TargetedEstablishment, VoletTotals,
};
use caqes_store::CampaignId;
use caqes_store::documents::Issuance;
use caqes_store::targeting::TargetingStatus;
use caqes_store::volets::lifecycle::{VoletKind, VoletOutcome};
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;
use caqes_store::{Role, SubmissionState};

use crate::auth::CurrentUser;
use crate::documents::{authority, context, issue};
use crate::dossier::today;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::volets::targeting::pertinence::funnel_plots;

/// `GET /campagnes/{campaign}/synthese-iraps.pdf`
pub async fn iraps(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
) -> AppResult<Response> {
    let user = &session.user;
    let campaign = state
        .store
        .campaign(&campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = matches!(user.role, Role::Ars | Role::AssuranceMaladie | Role::Omedit);
    if !allowed || !user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    let rows = state.store.submissions_of_campaign(&campaign).await?;
    let names: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r.entity.finess.to_string(), r.entity.name.clone()))
        .collect();

    let mut targeted = Vec::new();
    for (volet, code) in [
        (Volet::Transports, caqes_store::targeting::TRANSPORTS),
        (Volet::Qualite, caqes_store::targeting::qualite::QUALITE),
        (
            Volet::Pertinence,
            caqes_store::targeting::pertinence::PERTINENCE,
        ),
    ] {
        for t in state.store.confirmed_targeting(&campaign.id, code).await? {
            if t.status != TargetingStatus::Cible {
                continue;
            }
            let name = match names.get(t.entity.as_str()) {
                Some(n) => n.clone(),
                None => state
                    .store
                    .legal_entity(&t.entity)
                    .await?
                    .map_or_else(|| t.entity.to_string(), |e| e.name),
            };
            targeted.push(TargetedEstablishment {
                name,
                finess: t.entity,
                volet,
                theme: None,
                reason: t.engine_reason,
            });
        }
    }

    let referentiel = state
        .store
        .referentiel(&campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "référentiel {} introuvable",
                campaign.referentiel_id
            ))
        })?;
    // Every dossier's lines, as the follow-up and the dashboard read them (the store's memo).
    let entities: Vec<caqes_store::LegalEntity> = rows.iter().map(|r| r.entity.clone()).collect();
    let scores = state
        .store
        .campaign_scores(&campaign, &referentiel, &entities)
        .await?;
    // Per indicator: (missed, concerned and measured), over the evaluated dossiers.
    let mut missed: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut by_category: BTreeMap<String, CategoryScores> = BTreeMap::new();
    let mut sanctions = 0u32;
    let mut sanctions_amount = Euros::ZERO;
    for r in &rows {
        let evaluated = matches!(
            r.submission.state,
            SubmissionState::Evalue
                | SubmissionState::Notifie
                | SubmissionState::Conteste
                | SubmissionState::Clos
        );
        if !evaluated {
            continue;
        }
        let c = by_category
            .entry(r.entity.category.label().to_owned())
            .or_insert_with(|| CategoryScores {
                category: r.entity.category.label().to_owned(),
                counts: vec![0; BANDS.len()],
                not_evaluable: 0,
            });
        match r.submission.score {
            Some(s) => {
                if let Some(n) = c.counts.get_mut(band_of(s)) {
                    *n += 1;
                }
            }
            None => c.not_evaluable += 1,
        }
        // The lines as the dossier page computes them (same stored values, same engine call).
        let score = scores.score(&r.entity).ok_or_else(|| {
            AppError::Internal(format!("score de {} introuvable", r.entity.finess))
        })?;
        for line in &score.lines {
            if line.status != Applicability::Concerned || line.met.is_none() {
                continue;
            }
            let m = missed.entry(line.code.clone()).or_default();
            m.1 += 1;
            if line.met == Some(false) {
                m.0 += 1;
            }
        }
        let decisions = state.store.decisions_of(&r.submission.id).await?;
        if let Some(amount) = decisions
            .iter()
            .rev()
            .find(|v| v.is_frozen())
            .and_then(|v| v.final_amount)
            .filter(|a| *a > Euros::ZERO)
        {
            sanctions += 1;
            sanctions_amount = sanctions_amount + amount;
        }
    }
    let mut most_missed: Vec<MissedIndicator> = missed
        .into_iter()
        .filter(|(_, (m, _))| *m > 0)
        .map(|(code, (missed, concerned))| MissedIndicator {
            label: referentiel
                .indicator(&code)
                .map(|i| i.label.clone())
                .unwrap_or_default(),
            code,
            missed,
            concerned,
        })
        .collect();
    // Most missed first; the grid's code order between equals (stable sort).
    most_missed.sort_by_key(|m| std::cmp::Reverse(m.missed));
    most_missed.truncate(10);
    // The decisions notified in total, volet by volet (the socle's sanctions above).
    let entities: Vec<Finess> = rows.iter().map(|r| r.entity.finess).collect();
    let totals = vec![
        VoletTotals {
            volet: Volet::Obligatoire,
            sanctions,
            sanctions_amount,
            incentives: 0,
            incentives_amount: Euros::ZERO,
            msap: 0,
        },
        volet_totals::<Transports>(&state, &campaign.id, &entities, Volet::Transports).await?,
        volet_totals::<Qualite>(&state, &campaign.id, &entities, Volet::Qualite).await?,
        volet_totals::<Pertinence>(&state, &campaign.id, &entities, Volet::Pertinence).await?,
    ];
    // The pertinence targeting's funnel plots, as on the targeting screen, without names
    // (« l'instance n'a pas vocation à examiner la situation individuelle »).
    let verdicts = state.store.pertinence_verdicts(&campaign).await?;
    let funnels = funnel_plots(&verdicts, &referentiel.parameters.pertinence)
        .into_iter()
        .map(|(_, mut chart)| {
            for p in &mut chart.points {
                p.label = String::new();
            }
            chart
        })
        .collect();
    let auth = authority(&state, &campaign.region).await?;
    let synthesis = IrapsSynthesis {
        region: auth.place.clone(),
        year: campaign.year,
        date: today(),
        targeted,
        score_bands: BANDS.iter().map(|b| b.2.to_owned()).collect(),
        scores: by_category.into_values().collect(),
        most_missed,
        totals,
        funnels,
    };
    let ctx = context(auth)?;
    let name = format!("synthese-iraps-{}-{}.pdf", campaign.region, campaign.year);
    issue(
        &state,
        user,
        "synthèse IRAPS",
        &Issuance {
            document: "synthese_iraps",
            subject_kind: "campagne",
            subject_id: campaign.id.as_str(),
            region: Some(&campaign.region),
            finess: None,
            filename: &name,
        },
        move || synthesis.render(&ctx),
    )
    .await
}

/// One additional volet's decisions in total: for each entity, its latest notified
/// version (a correction replaces the decision it corrects).
async fn volet_totals<V: VoletKind>(
    state: &AppState,
    campaign: &CampaignId,
    entities: &[Finess],
    volet: Volet,
) -> AppResult<VoletTotals> {
    let mut totals = VoletTotals {
        volet,
        sanctions: 0,
        sanctions_amount: Euros::ZERO,
        incentives: 0,
        incentives_amount: Euros::ZERO,
        msap: 0,
    };
    for entity in entities {
        let versions = state.store.volet_versions::<V>(campaign, entity).await?;
        let Some(v) = versions.iter().rev().find(|v| v.is_frozen()) else {
            continue;
        };
        let amount = v.final_amount.unwrap_or(Euros::ZERO);
        match v.outcome {
            VoletOutcome::Interessement if amount > Euros::ZERO => {
                totals.incentives += 1;
                totals.incentives_amount = totals.incentives_amount + amount;
            }
            VoletOutcome::Sanction if amount > Euros::ZERO => {
                totals.sanctions += 1;
                totals.sanctions_amount = totals.sanctions_amount + amount;
            }
            VoletOutcome::MiseSousAccordPrealable if v.final_msap_months.unwrap_or(0) > 0 => {
                totals.msap += 1;
            }
            _ => {}
        }
    }
    Ok(totals)
}
