//! The documents of a dossier page: evaluation report (once evaluated),
//! self-evaluation report and submission receipt (once submitted), fiche
//! récapitulative. Scope as the dossier page (`dossier::load`: 404 outside it).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use caqes_core::Euros;
use caqes_core::Finess;
use caqes_core::calendar::paris;
use caqes_core::evaluation::dashboard::by_part;
use caqes_core::evaluation_grid::{Achievement, EvaluationGrid, GridRow, Obligation};
use caqes_core::referentiel::{Direction, Kind, Source};
use caqes_core::volets::Volet;
use caqes_documents::dashboard::history_charts;
use caqes_documents::{
    ActionPlanItem, Bound, CalendarStep, DocumentError, EvaluationReport, FicheRecapitulative,
    JointYearlyReport, RegionalTarget, ReportDecision, SelfEvaluationPart, SelfEvaluationReport,
    SelfEvaluationValue, SubmissionReceipt, SubmittedDocument, SubmittedValue, TransmittedData,
    VoletReport, When, format,
};
use caqes_store::CampaignId;
use caqes_store::documents::Issuance;
use caqes_store::volets::lifecycle::VoletOutcome;
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;
use caqes_store::{StoredValue, SubmissionState, User};

use crate::auth::CurrentUser;
use crate::dashboard::establishment::lines_by_year;
use crate::documents::{authority, context, establishment};
use crate::dossier::{Dossier, is_evaluated, is_submitted, load, today};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::volets::lifecycle::VoletScreen;

/// A kind of document of a dossier: `what` names it in an error, `kind` in the
/// audit log, and its file is `{stem}-{FINESS}-{year}.pdf`.
struct DossierDocument {
    what: &'static str,
    kind: &'static str,
    stem: &'static str,
}

const EVALUATION_REPORT: DossierDocument = DossierDocument {
    what: "rapport d'évaluation",
    kind: "rapport_evaluation",
    stem: "rapport-evaluation",
};
const JOINT_REPORT: DossierDocument = DossierDocument {
    what: "rapport annuel d'évaluation",
    kind: "rapport_annuel",
    stem: "rapport-annuel",
};
const SELF_EVALUATION: DossierDocument = DossierDocument {
    what: "rapport d'autoévaluation",
    kind: "rapport_autoevaluation",
    stem: "rapport-autoevaluation",
};
const RECEIPT: DossierDocument = DossierDocument {
    what: "accusé de dépôt",
    kind: "accuse_depot",
    stem: "accuse-depot",
};
const FICHE: DossierDocument = DossierDocument {
    what: "fiche récapitulative",
    kind: "fiche_recapitulative",
    stem: "fiche-recapitulative",
};

/// The document `doc` of the dossier `d`, rendered by `document`: its issuance
/// recorded, the PDF answered (see [`super::issue`]).
async fn issue<F>(
    state: &AppState,
    user: &User,
    d: &Dossier,
    doc: &DossierDocument,
    document: F,
) -> AppResult<Response>
where
    F: FnOnce() -> Result<Vec<u8>, DocumentError> + Send + 'static,
{
    let filename = format!("{}-{}-{}.pdf", doc.stem, d.entity.finess, d.campaign.year);
    let issuance = Issuance {
        document: doc.kind,
        subject_kind: "dossier",
        subject_id: d.submission.id.as_str(),
        region: Some(&d.entity.region),
        finess: Some(d.entity.finess.as_str()),
        filename: &filename,
    };
    super::issue(state, user, doc.what, &issuance, document).await
}

/// A value as entered, all sites together (« 85 / 100 », « NC (motif : …) », « site A :
/// 3 / 4 », one site per line).
fn entered_value(d: &Dossier, values: &[&StoredValue]) -> String {
    let declarations = &d.scoring.inputs.declarations;
    let one = |v: &StoredValue| -> String {
        let motive = declarations
            .iter()
            .find(|x| x.site == v.site && x.year == v.year && x.indicator == v.indicator)
            .map(|x| x.declaration.motive());
        value_text(v, motive)
    };
    if values.len() == 1 && d.sites.len() <= 1 {
        return one(values[0]);
    }
    values
        .iter()
        .map(|v| {
            let site = d
                .sites
                .iter()
                .find(|s| s.finess == v.site)
                .map_or_else(|| v.site.to_string(), |s| s.name.clone());
            format!("{site} : {}", one(v))
        })
        .collect::<Vec<_>>()
        // One site per line: joined in one run, a narrow column cut them anywhere (seen
        // at A4, session 8).
        .join("\n")
}

/// One site's value as entered; an NC with the motive the établissement gave (the ARS
/// reviews it: the report says what was declared, not only that it was).
fn value_text(v: &StoredValue, motive: Option<&str>) -> String {
    if let Some(declared) = &v.declared {
        return match motive {
            Some(m) => format!("{declared} (motif : {m})"),
            None => declared.clone(),
        };
    }
    match (&v.numerator, &v.denominator, &v.value) {
        (Some(n), Some(den), _) => format!("{n} / {den}"),
        (Some(n), None, _) => n.clone(),
        (_, _, Some(v)) => v.clone(),
        _ => "–".to_owned(),
    }
}

/// The stored values per line, in the grid's reading order: each indicator, then its
/// classes when it is computed per class (D5, `III-02/EPO`, labelled with the class) —
/// a class's value is the établissement's entry as much as an indicator's. With each,
/// the number of the grid part it belongs to.
fn values_by_indicator<'a>(
    d: &Dossier,
    stored: &'a [StoredValue],
) -> Vec<(String, String, String, Vec<&'a StoredValue>)> {
    let mut by: BTreeMap<&str, Vec<&StoredValue>> = BTreeMap::new();
    for v in stored {
        by.entry(v.indicator.as_str()).or_default().push(v);
    }
    d.referentiel
        .lines_in_order()
        .filter_map(|line| {
            let label = match line.class {
                Some(c) => format!("{} — classe {}", line.indicator.label, c.label),
                None => line.indicator.label.clone(),
            };
            by.remove(line.code)
                .map(|vs| (line.code.to_owned(), label, line.indicator.part.clone(), vs))
        })
        .collect()
}

async fn action_plan(state: &AppState, d: &Dossier) -> AppResult<Vec<ActionPlanItem>> {
    Ok(state
        .store
        .action_items(&d.entity.finess)
        .await?
        .into_iter()
        .map(|a| ActionPlanItem {
            action: a.action,
            indicators: Some(a.serves).filter(|s| !s.trim().is_empty()),
            owner: Some(a.pilot).filter(|s| !s.trim().is_empty()),
            due: a.due_on,
            status: a.status.label().to_lowercase(),
            progress: None,
        })
        .collect())
}

/// The evaluation report: the score the dossier page shows (same stored values,
/// same engine call), each indicator explained, the notified decision if any.
pub async fn evaluation_report(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if !is_evaluated(d.submission.state) {
        return Err(AppError::NotFound);
    }
    let evaluation = &d.scoring.evaluation;
    let (score, remarks) = (evaluation.score.clone(), evaluation.warnings.clone());
    let (result, observation, notified) = socle_outcome(&state, &d).await?;
    let notified = notified.as_ref();
    let (grid, _) = evaluation_grid(&state, &d, result, observation).await?;
    let auth = authority(&state, &d.entity.region).await?;
    let ctx = context(auth)?;
    let report = EvaluationReport {
        establishment: establishment(&d.entity),
        year: d.campaign.year,
        referentiel: format!("{} ({})", d.referentiel.title, d.referentiel.id),
        date: today(),
        grid,
        score: caqes_documents::socle_score(&score),
        redistribution: caqes_documents::redistribution_text(&score),
        parts: caqes_documents::explained_parts(
            &d.referentiel,
            &score,
            d.campaign.year,
            "valeurs saisies sur la plateforme",
        ),
        part_scores: by_part(&d.referentiel, &score),
        history: history_charts(
            &d.referentiel,
            d.entity.category,
            &lines_by_year(&state, &d, &score.lines).await?,
            true,
        ),
        action_plan: action_plan(&state, &d).await?,
        decision: notified.and_then(|v| {
            Some(ReportDecision {
                summary: format!(
                    "Sanction de {} notifiée le {}",
                    format::euros(v.final_amount?),
                    format::date(v.notified_on?)
                ),
                motivation: v.motivation.clone(),
            })
        }),
        remarks,
    };
    issue(&state, &session.user, &d, &EVALUATION_REPORT, move || {
        report.render(&ctx)
    })
    .await
}

/// The instruction's evaluation grid of a dossier (« la grille d'évaluation […] synthétise
/// les éléments d'évaluation de l'établissement et sa traduction financière »): the volet
/// obligatoire's score and decision, then each additional volet's notified decision of the
/// year with its objectives; with each additional volet's report for the joint report.
async fn evaluation_grid(
    state: &AppState,
    d: &Dossier,
    result: Achievement,
    observation: Option<String>,
) -> AppResult<(EvaluationGrid, Vec<VoletReport>)> {
    let mut grid = EvaluationGrid::new(d.entity.finess, d.campaign.year);
    grid.add(GridRow::without_amount(
        Volet::Obligatoire,
        vec![Obligation::new(
            format!("Score de la grille {}", d.referentiel.id),
            result,
        )],
        Vec::new(),
        observation,
    ))
    .map_err(|e| AppError::Internal(format!("grille d'évaluation : {e}")))?;
    let mut reports = Vec::new();
    for (row, report) in [
        volet_row::<Transports>(state, d, Volet::Transports).await?,
        volet_row::<Qualite>(state, d, Volet::Qualite).await?,
        volet_row::<Pertinence>(state, d, Volet::Pertinence).await?,
    ]
    .into_iter()
    .flatten()
    {
        grid.add(row)
            .map_err(|e| AppError::Internal(format!("grille d'évaluation : {e}")))?;
        reports.push(report);
    }
    Ok((grid, reports))
}

/// The score and the notified decision of the volet obligatoire, as the grid states
/// them: (result, observation, the notified version).
async fn socle_outcome(
    state: &AppState,
    d: &Dossier,
) -> AppResult<(
    Achievement,
    Option<String>,
    Option<caqes_store::SanctionDecision>,
)> {
    let decisions = state.store.decisions_of(&d.submission.id).await?;
    // Only a notified version is a decision (the établissement sees no other).
    let notified = decisions.into_iter().rev().find(|v| v.is_frozen());
    let result = match d.scoring.evaluation.score.value() {
        Some(s) => Achievement::Niveau(format!("{}/100", format::decimal(s, 2))),
        None => Achievement::Niveau("non évaluable".into()),
    };
    let observation = match &notified {
        Some(v) => v
            .final_amount
            .map(|a| format!("sanction de {} décidée par le DG ARS", format::euros(a))),
        None => Some("décision du DG ARS non encore notifiée".into()),
    };
    Ok((result, observation, notified))
}

/// The joint yearly evaluation report of the ARS and the Assurance Maladie across
/// volets (seed 004, « rapport annuel d'évaluation »): the grid, the socle's score,
/// each additional volet's objectives, action plan and consequence, with the decisions
/// as notified. Shown with the evaluation report, to the same roles.
pub async fn joint_report(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if !is_evaluated(d.submission.state) {
        return Err(AppError::NotFound);
    }
    let (result, observation, notified) = socle_outcome(&state, &d).await?;
    let (grid, additional) = evaluation_grid(&state, &d, result, observation.clone()).await?;
    let score = &d.scoring.evaluation.score;
    let mut volets = vec![VoletReport {
        volet: Volet::Obligatoire,
        objectives: Vec::new(),
        action_plan_progress: None,
        consequence: observation.unwrap_or_default(),
        motivation: notified.and_then(|v| v.motivation),
    }];
    volets.extend(additional);
    let auth = authority(&state, &d.entity.region).await?;
    let am_body = format!(
        "direction de la coordination de la gestion du risque de l'Assurance Maladie ({})",
        auth.place
    );
    let ctx = context(auth)?;
    let report = JointYearlyReport {
        establishment: establishment(&d.entity),
        year: d.campaign.year,
        referentiel: format!("{} ({})", d.referentiel.title, d.referentiel.id),
        date: today(),
        grid,
        score: caqes_documents::socle_score(score),
        volets,
        next_year: Vec::new(),
        am_body,
    };
    issue(&state, &session.user, &d, &JOINT_REPORT, move || {
        report.render(&ctx)
    })
    .await
}

/// The self-evaluation report: what the établissement entered and submitted.
pub async fn self_evaluation(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if !is_submitted(d.submission.state) {
        return Err(AppError::NotFound);
    }
    let stored = state
        .store
        .values_for_entity(&d.entity.finess, d.campaign.year)
        .await?;
    let targets = state
        .store
        .targets_for(&d.entity.finess, d.campaign.year)
        .await?;
    let by = values_by_indicator(&d, &stored);
    let parts = d
        .referentiel
        .parts
        .iter()
        .map(|p| SelfEvaluationPart {
            title: format!("Partie {} – {}", p.number, p.title),
            values: by
                .iter()
                .filter(|(_, _, part, _)| *part == p.number)
                .map(|(code, label, _, vs)| SelfEvaluationValue {
                    code: code.clone(),
                    label: label.clone(),
                    value: entered_value(&d, vs),
                    // A class without its own target is compared with its indicator's.
                    target: targets
                        .get(code)
                        .or_else(|| {
                            code.split_once('/')
                                .and_then(|(indicator, _)| targets.get(indicator))
                        })
                        .map(|t| format::decimal(*t, 2)),
                    comment: None,
                })
                .collect(),
        })
        .filter(|p| !p.values.is_empty())
        .collect();
    let submitted = last_submission(&state, &d).await?;
    let ctx = context(authority(&state, &d.entity.region).await?)?;
    let report = SelfEvaluationReport {
        establishment: establishment(&d.entity),
        year: d.campaign.year,
        referentiel: format!("{} ({})", d.referentiel.title, d.referentiel.id),
        date: submitted
            .as_ref()
            .map_or_else(today, |(at, _, _)| at.date()),
        author: submitted.as_ref().map(|(_, by, _)| by.clone()),
        parts,
        action_plan: action_plan(&state, &d).await?,
        comments: d.submission.last_comment.iter().cloned().collect(),
    };
    issue(&state, &session.user, &d, &SELF_EVALUATION, move || {
        report.render(&ctx)
    })
    .await
}

/// The latest submission (transition to « soumis »): when (Paris time), by whom,
/// with its comment.
async fn last_submission(
    state: &AppState,
    d: &Dossier,
) -> AppResult<Option<(jiff::civil::DateTime, String, Option<String>)>> {
    let transitions = state.store.transitions_of(&d.submission.id).await?;
    let Some(t) = transitions
        .into_iter()
        .rev()
        .find(|t| t.to == SubmissionState::Soumis)
    else {
        return Ok(None);
    };
    let at: jiff::Timestamp =
        t.at.parse()
            .map_err(|e| AppError::Internal(format!("date de soumission « {} » : {e}", t.at)))?;
    Ok(Some((at.to_zoned(paris()).datetime(), t.actor, t.comment)))
}

/// The receipt of the submission: what was submitted, when, by whom.
pub async fn submission_receipt(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if !is_submitted(d.submission.state) {
        return Err(AppError::NotFound);
    }
    // A dossier evaluated without a recorded submission (imported by the ARS)
    // has no receipt to give.
    let Some((submitted_at, submitted_by, comment)) = last_submission(&state, &d).await? else {
        return Err(AppError::NotFound);
    };
    let stored = state
        .store
        .values_for_entity(&d.entity.finess, d.campaign.year)
        .await?;
    let values = values_by_indicator(&d, &stored)
        .into_iter()
        .map(|(code, label, _, vs)| SubmittedValue {
            value: entered_value(&d, &vs),
            code,
            label,
        })
        .collect();
    let documents = state
        .store
        .documents(&d.submission.id)
        .await?
        .into_iter()
        .map(|doc| SubmittedDocument {
            name: doc.file_name,
            bytes: u64::try_from(doc.size).unwrap_or(0),
            sha256: doc.sha256,
        })
        .collect();
    let actions = state.store.action_items(&d.entity.finess).await?.len();
    let ctx = context(authority(&state, &d.entity.region).await?)?;
    let receipt = SubmissionReceipt {
        establishment: establishment(&d.entity),
        year: d.campaign.year,
        referentiel: format!("{} ({})", d.referentiel.title, d.referentiel.id),
        number: d.submission.id.to_string(),
        submitted_at,
        submitted_by,
        submitted_by_role: Some("établissement".into()),
        values,
        action_plan_actions: actions,
        documents,
        comment,
    };
    issue(&state, &session.user, &d, &RECEIPT, move || {
        receipt.render(&ctx)
    })
    .await
}

fn source_label(s: Source) -> &'static str {
    match s {
        Source::ES => "Établissement",
        Source::AM => "Assurance Maladie",
        Source::ARS => "ARS",
        Source::ATIH => "ATIH",
    }
}

/// The fiche récapitulative: the data transmitted (by producer), the
/// campaign's calendar, the targets that apply to the establishment this year
/// (contracted, or the grid's default).
pub async fn fiche(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    let year = d.campaign.year;
    let targets = state.store.targets_for(&d.entity.finess, year).await?;
    let mut producers: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut regional = Vec::new();
    for ind in &d.referentiel.indicators {
        let sources = if ind.sources.is_empty() {
            vec![Source::ES]
        } else {
            ind.sources.clone()
        };
        for s in sources {
            producers
                .entry(source_label(s))
                .or_default()
                .push(ind.code.clone());
        }
        let (target, source) = match targets.get(&ind.code) {
            Some(t) => (Some(*t), "cible contractualisée"),
            None => (
                ind.default_targets.get(&year).copied(),
                "cible par défaut du référentiel",
            ),
        };
        if let Some(t) = target
            && ind.is_numeric()
        {
            regional.push(RegionalTarget {
                code: Some(ind.code.clone()),
                label: ind.label.clone(),
                bound: match ind.direction {
                    Direction::HigherIsBetter => Bound::AtLeast,
                    Direction::LowerIsBetter => Bound::AtMost,
                },
                percent: t,
                growth: ind.kind == Kind::Growth,
                unit: ind.unit.clone(),
                source: source.into(),
            });
        }
    }
    let mut data: Vec<TransmittedData> = producers
        .into_iter()
        .map(|(producer, codes)| TransmittedData {
            data: format!("Indicateurs {}", codes.join(", ")),
            producer: producer.to_owned(),
            period: format!("Données de l'année {year}"),
        })
        .collect();
    // The figures the Assurance Maladie transmitted for this entity (page « Données AM »),
    // the bases of the sanctions.
    let am = state.store.am_figures(&d.entity.finess).await?;
    let closed = am.year.map_or_else(
        || "du dernier exercice clos".to_owned(),
        |y| format!("de l'exercice {y}"),
    );
    for (what, amount) in [
        ("Produits versés par l'assurance maladie", am.am_revenue),
        ("Dépenses de la liste en sus", am.liste_en_sus),
    ] {
        if let Some(a) = amount {
            data.push(TransmittedData {
                data: format!("{what} : {}", format::euros(a)),
                producer: source_label(Source::AM).to_owned(),
                period: format!("Montant {closed}, base des sanctions"),
            });
        }
    }
    let contract = state.store.contract_of(&d.entity.finess).await?;
    let volets = match &contract {
        Some(c) if c.state == caqes_store::ContractState::Signe => {
            c.volets.iter().map(|v| v.volet).collect()
        }
        _ => vec![Volet::Obligatoire],
    };
    let ctx = context(authority(&state, &d.entity.region).await?)?;
    let fiche = FicheRecapitulative {
        establishment: establishment(&d.entity),
        year,
        date: today(),
        referentiel: format!("{} ({})", d.referentiel.title, d.referentiel.id),
        volets,
        data,
        calendar: vec![
            CalendarStep {
                when: When::Day(d.campaign.submission_deadline),
                step: "transmission du rapport d'autoévaluation sur la plateforme".into(),
            },
            CalendarStep {
                when: When::Day(d.campaign.evaluation_deadline),
                step: "évaluation conjointe ARS et assurance maladie".into(),
            },
        ],
        targets: regional,
        referents: Vec::new(),
    };
    issue(&state, &session.user, &d, &FICHE, move || {
        fiche.render(&ctx)
    })
    .await
}

/// The grid's row of one additional volet: its latest notified decision for the
/// campaign (a correction replaces the decision it corrects), with the main objective
/// (obligation de résultat) and the complementary ones; `None` when nothing is notified.
async fn volet_row<V: VoletScreen>(
    state: &AppState,
    d: &Dossier,
    volet: Volet,
) -> AppResult<Option<(GridRow, VoletReport)>> {
    let versions = state
        .store
        .volet_versions::<V>(&d.campaign.id, &d.entity.finess)
        .await?;
    let Some(v) = versions.iter().rev().find(|v| v.is_frozen()) else {
        return Ok(None);
    };
    let (objectives, progress) = V::letter_objectives(&v.evaluation);
    let obligation = |o: &caqes_documents::ObjectiveResult| {
        let result = match o.met {
            Some(true) => Achievement::Atteint,
            Some(false) => Achievement::NonAtteint,
            None => Achievement::Niveau(o.result.clone()),
        };
        Obligation::new(o.label.clone(), result)
    };
    let main = objectives
        .iter()
        .filter(|o| o.main)
        .map(obligation)
        .collect();
    let complementary = objectives
        .iter()
        .filter(|o| !o.main)
        .map(obligation)
        .collect();
    let amount = v.final_amount.unwrap_or(Euros::ZERO);
    let notified = v.notified_on.map(format::date).unwrap_or_default();
    let (montant, observation) = match v.outcome {
        VoletOutcome::Interessement => (
            amount,
            format!(
                "intéressement de {} notifié le {notified}",
                format::euros(amount)
            ),
        ),
        VoletOutcome::Sanction => (
            Euros::ZERO - amount,
            format!(
                "sanction de {} notifiée le {notified}",
                format::euros(amount)
            ),
        ),
        VoletOutcome::MiseSousAccordPrealable => (
            Euros::ZERO,
            match v.final_msap_months {
                Some(0) | None => {
                    format!("mise sous accord préalable non prononcée (notifié le {notified})")
                }
                Some(m) => format!("mise sous accord préalable de {m} mois notifiée le {notified}"),
            },
        ),
        VoletOutcome::NiInteressementNiSanction => (
            Euros::ZERO,
            format!("ni intéressement ni sanction (notifié le {notified})"),
        ),
    };
    let report = VoletReport {
        volet,
        objectives: objectives.clone(),
        action_plan_progress: progress,
        consequence: observation.clone(),
        motivation: v.motivation.clone(),
    };
    let mut row = GridRow::without_amount(volet, main, complementary, Some(observation));
    row.montant = montant;
    Ok(Some((row, report)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use caqes_store::Typed;

    fn stored(
        declared: Option<&str>,
        numerator: Option<&str>,
        denominator: Option<&str>,
    ) -> StoredValue {
        StoredValue {
            site: Finess::parse("750712184").unwrap(),
            year: 2019,
            indicator: "III-03/EPO".to_owned(),
            numerator: numerator.map(str::to_owned),
            denominator: denominator.map(str::to_owned),
            value: None,
            declared: declared.map(str::to_owned),
            typed: Typed::Nothing,
        }
    }

    #[test]
    fn an_nc_is_written_with_its_motive() {
        let nc = stored(Some("NC"), None, None);
        assert_eq!(
            value_text(&nc, Some("Aucun patient sous EPO en 2019")),
            "NC (motif : Aucun patient sous EPO en 2019)"
        );
        assert_eq!(value_text(&nc, None), "NC");
        assert_eq!(
            value_text(&stored(None, Some("85"), Some("100")), None),
            "85 / 100"
        );
        assert_eq!(value_text(&stored(None, Some("12"), None), None), "12");
        assert_eq!(value_text(&stored(None, None, None), None), "–");
    }
}
