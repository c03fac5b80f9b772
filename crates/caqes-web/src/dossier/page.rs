//! The dossier page: the view of every indicator line (value, target, points and
//! explanation, per site), the actions, documents and history, kept once rendered.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, Referentiel};
use caqes_core::scoring::{self, TargetOrigin};
use caqes_core::value::Review;
use caqes_core::workflow::available_actions;
use caqes_store::CampaignId;
use caqes_store::{
    Campaign, DossierPageRows, EntityEvaluation, LegalEntity, Role, StoredDeclaration, StoredValue,
    Submission, SubmissionState,
};
use serde::Deserialize;

use super::{
    Dossier, am_pending_codes, classes, comments,
    engine::{status_label, value_choices, value_hint},
    entered_by_establishment, evaluation_of, is_evaluated, is_submitted, load_parts, stored_inputs,
    today,
    typed::{Errors, Typed, typed_from_stored, words_in},
};
use crate::auth::{CurrentUser, Session};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Path, Query};
use crate::request::state::AppState;
use crate::ui::page::{Page, impl_page};
use crate::ui::page_cache::{self, PageKey};
use crate::ui::{Layout, fr};

pub struct SiteInput {
    /// The site's FINESS géographique.
    pub site: String,
    pub site_name: String,
    /// HTML id part: `{site}-{code}`.
    pub id: String,
    /// Form field suffix: `{site}:{code}` (fields `n:…`, `d:…`, `v:…`).
    pub key: String,
    pub n: String,
    pub d: String,
    pub v: String,
    /// The motive of an NC (typed or stored).
    pub m: String,
    /// The ARS's review of the NC, in French (« proposée », « acceptée », « refusée : … »).
    pub review: Option<String>,
    /// Whether the ARS may accept or refuse this NC now.
    pub reviewable: bool,
    pub error: Option<String>,
    pub error_field: &'static str,
}

pub struct RowView {
    pub code: String,
    pub label: String,
    pub numerator_def: Option<String>,
    pub denominator_def: Option<String>,
    pub sources: String,
    pub unit: String,
    pub status: String,
    pub concerned: bool,
    pub numeric: bool,
    pub editable: bool,
    pub bonus: bool,
    pub max_points: String,
    pub points: String,
    pub target: String,
    pub met: String,
    pub hint: &'static str,
    /// Yes/no answers as radio buttons (value, label); empty for a number.
    pub choices: &'static [(&'static str, &'static str)],
    pub comment: Option<String>,
    /// The engine's explanation of the line (the same sentence as `caqes evaluate`).
    pub explanation: String,
    /// The target is missing: the line cannot be compared until the ARS sets it.
    pub target_missing: bool,
    /// The multi-site entity's line lacks these sites' values (W7).
    pub missing_sites: Vec<String>,
    /// An indicator computed separately per class (D5): its values are typed in its class
    /// rows, which follow it.
    pub per_class: bool,
    /// A class row (`III-02/EPO`) of such an indicator.
    pub class_row: bool,
    /// The codes of the indicator's class rows.
    pub class_codes: Vec<String>,
    pub sites: Vec<SiteInput>,
    /// An Assurance Maladie indicator without a value yet: « en attente de l'Assurance Maladie ».
    pub am_pending: bool,
    /// The class the établissement selects (IV-02, IV-03).
    pub class_field: Option<ClassField>,
    /// The comments on this line (OMEDIT, ARS, the établissement's answers).
    pub thread: Option<comments::Thread>,
}

impl RowView {
    /// Whether the user may write in this line's thread (the établissement's answer).
    pub fn thread_writable(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| t.can_write)
    }
}

/// The class field of an indicator measured on « la classe sélectionnée ».
pub struct ClassField {
    pub label: &'static str,
    pub hint: &'static str,
    /// `classe:{code}` in the values form.
    pub name: String,
    pub value: String,
}

pub struct PartView {
    pub number: String,
    pub title: String,
    pub rows: Vec<RowView>,
    /// `partie-{number}`: the table of contents' link.
    pub anchor: String,
    /// « 12,5 / 20 points » (and the bonus), from the engine's lines.
    pub subtotal: String,
}

pub struct ActionButton {
    pub code: &'static str,
    pub label: &'static str,
    pub needs_comment: bool,
}

pub struct HistoryLine {
    pub at: String,
    pub from: &'static str,
    pub to: &'static str,
    pub actor: String,
    pub comment: Option<String>,
}

/// What the établissement submitted, and when (Europe/Paris).
pub struct SubmissionReceiptView {
    pub at: String,
    pub by: String,
    pub values: usize,
    pub indicators: usize,
    pub score: String,
    pub total: String,
}

pub struct DossierView {
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub referentiel_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub category: String,
    pub site_count: usize,
    pub state_label: &'static str,
    pub editable: bool,
    pub actions: Vec<ActionButton>,
    /// False when nothing carrying points is concerned: « non évaluable », no score.
    pub evaluable: bool,
    pub score: String,
    pub bonus: String,
    pub total: String,
    pub stored_score: Option<String>,
    /// The score computed today differs from the one the evaluation retained (values,
    /// targets or NC reviews changed since): the page says which one counts.
    pub score_diverges: bool,
    /// Evaluated without a score: the W5 finding « non évaluable » was recorded.
    pub evaluated_not_evaluable: bool,
    /// Indicators whose target is missing (finalisation waits for them).
    pub targets_missing: Vec<String>,
    /// The Assurance Maladie's concerned indicators without a value yet: validating or
    /// evaluating needs the ARS's explicit decision.
    pub am_pending: Vec<String>,
    pub warnings: Vec<String>,
    pub parts: Vec<PartView>,
    pub history: Vec<HistoryLine>,
    pub last_comment: Option<String>,
    pub saved: bool,
    pub error_count: usize,
    /// The errors, each linking to its field (`#n-…`, `#d-…`, `#v-…`).
    pub error_links: Vec<(String, String)>,
    pub deadline: String,
    /// The accusé de dépôt of the last submission.
    pub receipt: Option<SubmissionReceiptView>,
    pub days_left: i64,
    pub message: Option<String>,
    /// Comments the user may read, and the form when the user may comment.
    pub comments: comments::CommentsView,
    /// The documents of the dossier the user may download now.
    pub documents: Vec<DocumentLink>,
}

/// A document downloadable from a page (`caqes_web::documents`).
pub struct DocumentLink {
    pub id: &'static str,
    pub label: &'static str,
    pub href: String,
}

/// The documents of a dossier, by its state: the fiche always, the
/// self-evaluation and its receipt once submitted, the evaluation report once
/// evaluated.
pub(super) fn document_links(d: &Dossier) -> Vec<DocumentLink> {
    let base = format!(
        "/campagnes/{}/dossiers/{}/documents",
        d.campaign.id, d.entity.finess
    );
    let link = |id: &'static str, label: &'static str, file: &str| DocumentLink {
        id,
        label,
        href: format!("{base}/{file}"),
    };
    let state = d.submission.state;
    let mut out = vec![link(
        "document-fiche",
        "Fiche récapitulative",
        "fiche-recapitulative.pdf",
    )];
    if is_submitted(state) {
        out.push(link(
            "document-autoevaluation",
            "Rapport d'autoévaluation",
            "rapport-autoevaluation.pdf",
        ));
        out.push(link(
            "document-accuse-depot",
            "Accusé de dépôt",
            "accuse-depot.pdf",
        ));
    }
    if is_evaluated(state) {
        out.push(link(
            "document-rapport-evaluation",
            "Rapport d'évaluation",
            "rapport-evaluation.pdf",
        ));
        out.push(link(
            "document-rapport-annuel",
            "Rapport annuel d'évaluation conjoint (ARS et Assurance Maladie)",
            "rapport-annuel.pdf",
        ));
    }
    out
}

pub(super) fn review_text(d: &StoredDeclaration) -> String {
    match (d.declaration.review, &d.review_comment) {
        (Review::Proposed, _) => "NC proposé, en attente de la revue de l'ARS".into(),
        (Review::Accepted, _) => "NC accepté par l'ARS".into(),
        (Review::Refused, Some(c)) => format!("NC refusé par l'ARS : {c}"),
        (Review::Refused, None) => "NC refusé par l'ARS".into(),
    }
}

/// « 12,5 / 20 points » per part (and « + 1 bonus » when the part has bonus
/// lines), from the engine's lines (`evaluation::dashboard::by_part`): the
/// table of contents and the sticky score show them.
pub(crate) fn part_subtotals(
    referentiel: &Referentiel,
    score: &scoring::Score,
) -> BTreeMap<String, String> {
    caqes_core::evaluation::dashboard::by_part(referentiel, score)
        .into_iter()
        .map(|p| {
            let mut text = format!(
                "{} / {} points",
                super::fr(p.points),
                super::fr(p.max_points)
            );
            if !p.bonus_max.is_zero() {
                text.push_str(&format!(" + {} bonus", super::fr(p.bonus_points)));
            }
            (p.number, text)
        })
        .collect()
}

pub(super) async fn render(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    typed: Option<(Typed, Errors)>,
    saved: bool,
    message: Option<String>,
) -> AppResult<DossierPage> {
    let rows = page_rows(state, session, &d.submission, &d.entity, d.campaign.year).await?;
    let layout = page_layout(session, &d.entity, &d.campaign);
    render_page(state, session, d, typed, saved, message, rows, layout).await
}

/// Comments, chosen classes and history in one query (issue 14: fewer round trips).
pub(super) async fn page_rows(
    state: &AppState,
    session: &Session,
    submission: &Submission,
    entity: &LegalEntity,
    year: i16,
) -> AppResult<DossierPageRows> {
    Ok(state
        .store
        .dossier_page_rows(
            &submission.id,
            comments::reads_internal(&session.user),
            &entity.finess,
            year,
        )
        .await?)
}

pub(super) fn page_layout(session: &Session, entity: &LegalEntity, campaign: &Campaign) -> Layout {
    Layout::for_user(
        &format!("{} — {}", entity.name, campaign.title),
        &session.user,
        &session.csrf,
    )
}

/// The page from its rows and layout, read by the caller.
#[expect(
    clippy::too_many_arguments,
    reason = "the page's inputs, each read once by its caller"
)]
pub(super) async fn render_page(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    typed: Option<(Typed, Errors)>,
    saved: bool,
    message: Option<String>,
    rows: DossierPageRows,
    layout: Layout,
) -> AppResult<DossierPage> {
    let user = &session.user;
    // A page shown as stored takes the inputs and their evaluation from the store's
    // memo (read with the dossier); a form coming back with what was typed reads
    // the store again, as a write may have happened since the dossier was loaded.
    // Borrowed from the memo, not copied: the copies were thousands of allocations per
    // view of a three-site dossier (bench/web/RESULTS.md).
    let read_again;
    let (values, declarations, evaluation) = if typed.is_none() {
        let inputs = &d.scoring.inputs;
        (
            inputs.values.as_slice(),
            inputs.declarations.as_slice(),
            &d.scoring.evaluation,
        )
    } else {
        let (values, declarations, targets) = stored_inputs(state, d).await?;
        let evaluation = evaluation_of(d, &values, &declarations, &targets);
        read_again = (values, declarations, evaluation);
        (
            read_again.0.as_slice(),
            read_again.1.as_slice(),
            &read_again.2,
        )
    };
    let EntityEvaluation {
        score,
        pooled,
        warnings,
        ..
    } = evaluation;
    let lines: BTreeMap<&str, &scoring::Line> =
        score.lines.iter().map(|l| (l.code.as_str(), l)).collect();
    let stored: Vec<StoredValue> = values
        .iter()
        .filter(|v| v.year == d.campaign.year)
        .cloned()
        .collect();
    // The engine names categories by their code: the page says their name.
    let category = d.entity.category;
    let warnings: Vec<String> = warnings
        .iter()
        .map(|w| w.replace(category.code(), category.label()))
        .collect();
    let (typed, errors) =
        typed.unwrap_or_else(|| (typed_from_stored(&stored, declarations), Errors::new()));
    let (comments_view, mut threads) = comments::comments_view(rows.comments, user, d);
    let chosen = rows.chosen_classes;
    // The Assurance Maladie's concerned indicators without a value of year N: « en attente ».
    let am_pending = am_pending_codes(&d.referentiel, category, d.campaign.year, &stored);
    let subtotals = part_subtotals(&d.referentiel, score);
    let reviewable = user.role == Role::Ars && d.submission.state.nc_reviewable();
    let pooled_components = d.sites.len() > 1;
    let error_links = errors
        .iter()
        .map(|((site, code), (field, message))| {
            let prefix = match field.column() {
                "numerateur" => "n",
                "denominateur" => "d",
                _ => "v",
            };
            (
                format!("{prefix}-{site}-{code}"),
                format!("{code} (site {site}) : {message}"),
            )
        })
        .collect();
    let is_owner = user.role == Role::Etablissement;
    let editable = is_owner && d.submission.state.is_editable();

    let mut parts: Vec<PartView> = d
        .referentiel
        .parts
        .iter()
        .map(|p| PartView {
            anchor: format!("partie-{}", p.number),
            subtotal: subtotals.get(&p.number).cloned().unwrap_or_default(),
            number: p.number.clone(),
            title: p.title.clone(),
            rows: Vec::new(),
        })
        .collect();
    // Each indicator, followed by its classes when it is computed per class (D5).
    for grid_line in d.referentiel.lines_in_order() {
        let (ind, code) = (grid_line.indicator, grid_line.code);
        let line = lines.get(ind.code.as_str());
        // A class row shows its part of the indicator's line.
        let class_part = grid_line
            .class
            .and_then(|_| line.and_then(|l| l.explanation.classes.iter().find(|c| c.code == code)));
        let status = class_part.map_or_else(
            || line.map_or(ind.applicability(d.entity.category), |l| l.status),
            |c| c.status,
        );
        let category_status = ind.applicability(d.entity.category);
        let per_class = grid_line.class.is_none() && !ind.classes.is_empty();
        let sites = d
            .sites
            .iter()
            .map(|s| {
                let key = (s.finess.to_string(), code.to_owned());
                let t = typed.get(&key).cloned().unwrap_or_default();
                let err = errors.get(&key);
                let declaration = declarations
                    .iter()
                    .find(|x| x.site == s.finess && x.indicator == code);
                SiteInput {
                    site: s.finess.to_string(),
                    site_name: format!("{} ({})", s.name, s.finess),
                    id: format!("{}-{}", s.finess, code),
                    key: format!("{}:{}", s.finess, code),
                    n: t.n,
                    d: t.d,
                    v: t.v,
                    m: t.m,
                    review: declaration.map(review_text),
                    reviewable: reviewable && declaration.is_some(),
                    error: err.map(|(_, m)| m.clone()),
                    error_field: err.map_or("", |(f, _)| f.column()),
                }
            })
            .collect();
        let row = RowView {
            code: code.to_owned(),
            label: match grid_line.class {
                Some(c) => format!("classe {} ({})", c.label, ind.label),
                None => ind.label.clone(),
            },
            // A multi-site entity's year-over-year line is pooled from each site's components
            // (W6): each site gives that year's DDJ and patient-days, and N−1 is read from the
            // previous campaign's values.
            numerator_def: if pooled_components && ind.year_over_year {
                Some(format!(
                    "Nombre de DDJ du site en {} (l'année {} est lue dans la campagne précédente)",
                    d.campaign.year,
                    d.campaign.year - 1
                ))
            } else {
                ind.numerator.clone()
            },
            denominator_def: if pooled_components && ind.year_over_year {
                Some(format!(
                    "Nombre de journées d'hospitalisation (JH) du site en {}",
                    d.campaign.year
                ))
            } else {
                ind.denominator.clone()
            },
            sources: ind
                .sources
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            unit: ind.unit.clone(),
            status: status_label(status).to_owned(),
            concerned: category_status != Applicability::Nc,
            numeric: ind.is_numeric(),
            editable: editable
                && !per_class
                && entered_by_establishment(&ind.sources)
                && category_status != Applicability::Nc,
            bonus: ind.bonus,
            max_points: match (grid_line.class, class_part) {
                (Some(_), Some(c)) => c.max_points.map(super::fr).unwrap_or_else(|| "—".into()),
                (Some(_), None) => "—".into(),
                (None, _) => {
                    line.map_or_else(|| super::fr(ind.points), |l| super::fr(l.max_points))
                }
            },
            points: match grid_line.class {
                Some(_) => class_part
                    .and_then(|c| c.points)
                    .map(super::fr)
                    .unwrap_or_default(),
                None => line.map_or_else(String::new, |l| super::fr(l.points)),
            },
            target: match grid_line.class {
                Some(_) => class_part.and_then(|c| c.target).map(super::fr),
                None => line.and_then(|l| l.target).map(super::fr),
            }
            .or(ind
                .baseline_target
                .clone()
                .filter(|_| grid_line.class.is_none()))
            .unwrap_or_default(),
            met: match class_part.map_or_else(|| line.and_then(|l| l.met), |c| c.met) {
                Some(true) => "atteint".into(),
                Some(false) => "non atteint".into(),
                None => String::new(),
            },
            hint: value_hint(ind),
            choices: value_choices(ind).unwrap_or_default(),
            comment: ind.comment.clone().filter(|_| grid_line.class.is_none()),
            // The engine's sentence, with the words as people write them (a class's
            // result is in its indicator's sentence).
            explanation: line
                .filter(|_| grid_line.class.is_none())
                .map_or_else(String::new, |l| {
                    words_in(&l.explanation.text(l, d.campaign.year))
                }),
            target_missing: match grid_line.class {
                Some(_) => {
                    class_part.is_some_and(|c| c.target_origin == Some(TargetOrigin::Missing))
                }
                None => {
                    line.is_some_and(|l| l.explanation.target_origin == Some(TargetOrigin::Missing))
                }
            },
            missing_sites: pooled
                .lines
                .get(code)
                .filter(|_| status == Applicability::Concerned)
                .map(|p| p.missing_sites.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            per_class,
            class_row: grid_line.class.is_some(),
            class_codes: if per_class {
                ind.classes.iter().map(|c| c.line_code.clone()).collect()
            } else {
                Vec::new()
            },
            sites,
            am_pending: am_pending.contains(&ind.code),
            class_field: classes::class_kind(ind)
                .filter(|_| category_status == Applicability::Concerned)
                .map(|kind| ClassField {
                    label: kind.label(),
                    hint: kind.hint(),
                    name: format!("classe:{}", ind.code),
                    value: chosen.get(&ind.code).cloned().unwrap_or_default(),
                }),
            thread: threads.remove(&ind.code),
        };
        match parts.iter_mut().find(|p| p.number == ind.part) {
            Some(p) => p.rows.push(row),
            None => parts.push(PartView {
                anchor: format!("partie-{}", ind.part),
                subtotal: subtotals.get(&ind.part).cloned().unwrap_or_default(),
                number: ind.part.clone(),
                title: String::new(),
                rows: vec![row],
            }),
        }
    }
    parts.retain(|p| !p.rows.is_empty());

    let transitions = rows.transitions;
    // The last submission, while the dossier is still in the ARS's hands.
    let receipt = transitions
        .iter()
        .rev()
        .find(|t| t.to == SubmissionState::Soumis)
        .filter(|_| d.submission.state != SubmissionState::Brouillon)
        .filter(|_| d.submission.state != SubmissionState::Renvoye)
        .map(|t| SubmissionReceiptView {
            at: fr::instant(&t.at),
            by: t.actor.clone(),
            values: stored.len(),
            indicators: stored
                .iter()
                .map(|v| v.indicator.as_str())
                .collect::<BTreeSet<_>>()
                .len(),
            score: super::fr(score.score),
            total: super::fr(score.total),
        });
    let history = transitions
        .into_iter()
        .map(|t| HistoryLine {
            at: fr::instant(&t.at),
            from: t.from.label(),
            to: t.to.label(),
            actor: t.actor,
            comment: t.comment,
        })
        .collect();
    let actions = available_actions(d.submission.state, user.role)
        .into_iter()
        .map(|a| ActionButton {
            code: a.code(),
            label: a.label(),
            needs_comment: a.requires_comment(),
        })
        .collect();
    let view = DossierView {
        campaign_id: d.campaign.id.to_string(),
        campaign_title: d.campaign.title.clone(),
        year: d.campaign.year,
        referentiel_title: d.referentiel.title.clone(),
        entity_name: d.entity.name.clone(),
        entity_finess: d.entity.finess.to_string(),
        category: d.entity.category.label().to_owned(),
        site_count: d.sites.len(),
        state_label: d.submission.state.label(),
        editable,
        actions,
        evaluable: score.evaluable,
        score: super::fr(score.score),
        bonus: super::fr(score.bonus),
        total: super::fr(score.total),
        stored_score: d.submission.total.map(super::fr),
        score_diverges: score.evaluable
            && d.submission
                .total
                .is_some_and(|t| t.normalize() != score.total.normalize()),
        evaluated_not_evaluable: d.submission.total.is_none()
            && matches!(
                d.submission.state,
                SubmissionState::Evalue
                    | SubmissionState::Notifie
                    | SubmissionState::Conteste
                    | SubmissionState::Clos
            ),
        targets_missing: score
            .missing_targets()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        am_pending: am_pending.clone(),
        warnings,
        parts,
        history,
        last_comment: d.submission.last_comment.clone(),
        saved,
        error_count: errors.len(),
        error_links,
        deadline: fr::date(d.campaign.submission_deadline),
        receipt,
        days_left: today()
            .until(d.campaign.submission_deadline)
            .map_or(0, |s| i64::from(s.get_days())),
        message,
        comments: comments_view,
        documents: document_links(d),
    };
    Ok(DossierPage { layout, view })
}

#[derive(Deserialize)]
pub struct ShowQuery {
    enregistre: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let parts = state
        .store
        .dossier_parts(&campaign_id, &finess)
        .await?
        .ok_or(AppError::NotFound)?;
    // The same 404 as `load_parts`, before anything else is read.
    if !session.user.can_read_entity(&parts.entity) || parts.entity.region != parts.campaign.region
    {
        return Err(AppError::NotFound);
    }
    // A second-generation campaign has its own dossier (objectives, savings).
    if let Some(grid) = state.store.campaign_objectives(&parts.campaign).await? {
        return crate::generation2::pages::dossier_page(
            &state,
            &session,
            parts.campaign,
            parts.entity,
            grid,
        )
        .await;
    }
    // Everything the page is made of besides the scores, whose memo is keyed by the
    // revision read with the dossier: the page rendered from the same inputs is kept
    // (`page_cache`), and rendering it again would give the same bytes.
    let saved = q.enregistre.is_some();
    let rows = page_rows(
        &state,
        &session,
        &parts.submission,
        &parts.entity,
        parts.campaign.year,
    )
    .await?;
    let layout = page_layout(&session, &parts.entity, &parts.campaign);
    let key = PageKey::of(
        "dossier",
        &(&layout, &session.user, &parts, &rows, saved, today()),
    );
    if let Some(html) = page_cache::get(key) {
        return Ok(Html(html).into_response());
    }
    // Read once: the dossier's rows above serve the page too.
    let d = load_parts(&state, &session.user, parts).await?;
    let page = render_page(&state, &session, &d, None, saved, None, rows, layout).await?;
    let html = Bytes::from(page.render_sized()?);
    page_cache::put(key, html.clone());
    Ok(Html(html).into_response())
}

#[derive(Template)]
// Whitespace around template tags collapsed: the page repeats its indicator block ~90
// times, and the blank lines of `{% if %}` made ~7 % of its bytes (issue 14).
#[template(path = "dossier.html", whitespace = "minimize")]
pub struct DossierPage {
    pub layout: Layout,
    pub view: DossierView,
}

impl_page!(DossierPage);
