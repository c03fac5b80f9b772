//! The dossier of one legal entity for one campaign: the data-entry form
//! generated from the référentiel, the live score, and the workflow actions.

pub mod bulk;
pub mod classes;
pub mod comments;
pub mod decision;
pub mod engagements;
pub mod engine;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, Referentiel, Source};
use caqes_core::scoring::{self, TargetOrigin};
use caqes_core::value::Field;
use caqes_core::value::Review;
use caqes_core::workflow::available_actions;
use caqes_store::CampaignId;
use caqes_store::{
    Action, Actor, Campaign, DossierPageRows, DossierParts, EntityEvaluation, EntityScoring,
    Evaluated, LegalEntity, Motives, Role, ScoreRecord, Site, StoredDeclaration, StoredValue,
    Submission, SubmissionState, User,
};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::state::AppState;
use crate::ui::flash::{self, Flash};
use crate::ui::page::{Page, impl_page};
use crate::ui::page_cache::{self, PageKey};
use crate::ui::{Layout, fr};
use engine::{status_label, value_choices, value_hint};

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
    let referentiel = state
        .store
        .referentiel_shared(&campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "référentiel {} introuvable",
                campaign.referentiel_id
            ))
        })?;
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

/// The documents of a dossier, by its state: the fiche always, the
/// self-evaluation and its receipt once submitted, the evaluation report once
/// evaluated.
fn document_links(d: &Dossier) -> Vec<DocumentLink> {
    let base = format!(
        "/campagnes/{}/dossiers/{}/documents",
        d.campaign.id, d.entity.finess
    );
    let state = d.submission.state;
    let mut out = vec![DocumentLink {
        id: "document-fiche",
        label: "Fiche récapitulative",
        href: format!("{base}/fiche-recapitulative.pdf"),
    }];
    if is_submitted(state) {
        out.push(DocumentLink {
            id: "document-autoevaluation",
            label: "Rapport d'autoévaluation",
            href: format!("{base}/rapport-autoevaluation.pdf"),
        });
        out.push(DocumentLink {
            id: "document-accuse-depot",
            label: "Accusé de dépôt",
            href: format!("{base}/accuse-depot.pdf"),
        });
    }
    if is_evaluated(state) {
        out.push(DocumentLink {
            id: "document-rapport-evaluation",
            label: "Rapport d'évaluation",
            href: format!("{base}/rapport-evaluation.pdf"),
        });
        out.push(DocumentLink {
            id: "document-rapport-annuel",
            label: "Rapport annuel d'évaluation conjoint (ARS et Assurance Maladie)",
            href: format!("{base}/rapport-annuel.pdf"),
        });
    }
    out
}

/// What was typed for one site and indicator, as shown in the inputs.
#[derive(Clone, Default)]
struct TypedValue {
    n: String,
    d: String,
    v: String,
    m: String,
}

/// Typed values per (site, indicator), as shown in the inputs.
type Typed = BTreeMap<(String, String), TypedValue>;
/// Errors per (site, indicator).
type Errors = BTreeMap<(String, String), (Field, String)>;

/// A stored word as people write it: `EN_COURS` is « EN COURS » (the
/// engine reads both).
fn words(text: &str) -> String {
    if text == "EN_COURS" {
        "EN COURS".to_owned()
    } else {
        text.to_owned()
    }
}

/// `EN_COURS` is « EN COURS » wherever it appears in a sentence.
fn words_in(text: &str) -> String {
    text.replace("EN_COURS", "EN COURS")
}

fn typed_from_stored(stored: &[StoredValue], declarations: &[StoredDeclaration]) -> Typed {
    stored
        .iter()
        .map(|v| {
            let value = v
                .declared
                .clone()
                .or(v.value.clone())
                .map(|t| words(&t))
                .unwrap_or_default();
            let motive = declarations
                .iter()
                .find(|d| d.site == v.site && d.indicator == v.indicator)
                .map(|d| d.declaration.motive().to_owned())
                .unwrap_or_default();
            (
                (v.site.to_string(), v.indicator.clone()),
                TypedValue {
                    n: v.numerator.clone().unwrap_or_default(),
                    d: v.denominator.clone().unwrap_or_default(),
                    v: value,
                    m: motive,
                },
            )
        })
        .collect()
}

pub use caqes_store::today;

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

fn review_text(d: &StoredDeclaration) -> String {
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
            let mut text = format!("{} / {} points", fr(p.points), fr(p.max_points));
            if !p.bonus_max.is_zero() {
                text.push_str(&format!(" + {} bonus", fr(p.bonus_points)));
            }
            (p.number, text)
        })
        .collect()
}

async fn render(
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
async fn page_rows(
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

fn page_layout(session: &Session, entity: &LegalEntity, campaign: &Campaign) -> Layout {
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
async fn render_page(
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
                (Some(_), Some(c)) => c.max_points.map(fr).unwrap_or_else(|| "—".into()),
                (Some(_), None) => "—".into(),
                (None, _) => line.map_or_else(|| fr(ind.points), |l| fr(l.max_points)),
            },
            points: match grid_line.class {
                Some(_) => class_part
                    .and_then(|c| c.points)
                    .map(fr)
                    .unwrap_or_default(),
                None => line.map_or_else(String::new, |l| fr(l.points)),
            },
            target: match grid_line.class {
                Some(_) => class_part.and_then(|c| c.target).map(fr),
                None => line.and_then(|l| l.target).map(fr),
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
            score: fr(score.score),
            total: fr(score.total),
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
        score: fr(score.score),
        bonus: fr(score.bonus),
        total: fr(score.total),
        stored_score: d.submission.total.map(fr),
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
        return crate::generation2::dossier_page(
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

/// Reads the form's fields (`n:{site}:{code}`, `d:…`, `v:…`, `m:…` the motive of an
/// NC) for the indicators the établissement enters; fields of other sites or indicators
/// are ignored. Returns the valid values with their NC motives, what was typed, and the
/// errors.
fn parse_form(
    d: &Dossier,
    pairs: Vec<(String, String)>,
) -> (Vec<StoredValue>, Motives, Typed, Errors) {
    let form: BTreeMap<String, String> = pairs.into_iter().collect();
    let field = |kind: &str, site: &str, code: &str| -> String {
        form.get(&format!("{kind}:{site}:{code}"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let multi = d.sites.len() > 1;
    let baseline = d.campaign.year <= d.referentiel.baseline_year;
    let mut typed = Typed::new();
    let mut errors = Errors::new();
    let mut values = Vec::new();
    let mut motives = Motives::new();
    // Every line the form shows: an indicator computed per class (D5) is typed class by
    // class (`III-02/EPO`), not as a whole.
    for grid_line in d.referentiel.lines_in_order() {
        let (ind, code) = (grid_line.indicator, grid_line.code);
        let by_category = ind.applicability(d.entity.category);
        if !entered_by_establishment(&ind.sources)
            || by_category == Applicability::Nc
            || (grid_line.class.is_none() && !ind.classes.is_empty())
        {
            continue;
        }
        for s in &d.sites {
            let site = s.finess.to_string();
            let t = TypedValue {
                n: field("n", &site, code),
                d: field("d", &site, code),
                v: field("v", &site, code),
                m: field("m", &site, code),
            };
            typed.insert((site.clone(), code.to_owned()), t.clone());
            let declared =
                matches!(t.v.to_uppercase().as_str(), "NC" | "NM").then(|| t.v.to_uppercase());
            // The seeds' applicability (W4): NM follows from the category, never declared;
            // NC on an indicator the category makes concerned needs its motive, which the
            // ARS reviews.
            let rule_error = match (by_category, declared.as_deref()) {
                (Applicability::Concerned, Some("NM")) => Some(format!(
                    "NM ne se déclare pas : il découle de la catégorie, pour laquelle {} est concerné",
                    ind.code
                )),
                (Applicability::Concerned, Some("NC")) if t.m.is_empty() => Some(
                    "NC sans motif : préciser le motif tiré de l'activité de l'établissement (revu par l'ARS)"
                        .to_owned(),
                ),
                _ => None,
            };
            if let Some(message) = rule_error {
                errors.insert((site.clone(), code.to_owned()), (Field::Value, message));
                continue;
            }
            // « EN COURS » (the radio button, or typed) is stored as the files write it.
            let v = if t.v.to_uppercase() == "EN COURS" {
                "EN_COURS".to_owned()
            } else {
                t.v.clone()
            };
            // Parsed once, here: the store keeps the typed value (and the text as typed).
            let value = StoredValue::typed_text(
                s.finess,
                d.campaign.year,
                code,
                Some(&t.n),
                Some(&t.d),
                Some(&v),
            )
            .parsed(ind, baseline, multi);
            let value = match value {
                Ok(value) => value,
                Err(e) => {
                    errors.insert(
                        (site.clone(), code.to_owned()),
                        (e.field, e.message.replace("EN_COURS", "EN COURS")),
                    );
                    continue;
                }
            };
            if declared.as_deref() == Some("NC") && !t.m.is_empty() {
                motives.insert((s.finess, code.to_owned()), t.m.clone());
            }
            values.push(value);
        }
    }
    (values, motives, typed, errors)
}

/// The classes typed (`classe:{code}`) for the indicators measured on a class
/// the établissement selects; an empty field removes the class. The first
/// wrong one is refused with its reason (nothing is saved).
fn parse_classes(
    d: &Dossier,
    pairs: &[(String, String)],
) -> Result<BTreeMap<String, Option<String>>, String> {
    let mut out = BTreeMap::new();
    for ind in &d.referentiel.indicators {
        let Some(kind) = classes::class_kind(ind) else {
            continue;
        };
        if ind.applicability(d.entity.category) != Applicability::Concerned {
            continue;
        }
        let name = format!("classe:{}", ind.code);
        let Some((_, text)) = pairs.iter().find(|(k, _)| *k == name) else {
            continue;
        };
        let class = match text.trim() {
            "" => None,
            t => Some(
                kind.check(t)
                    .map_err(|e| format!("Rien n'a été enregistré : {} — {e}.", ind.code))?,
            ),
        };
        out.insert(ind.code.clone(), class);
    }
    Ok(out)
}

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
fn missing_values<'a>(d: &'a Dossier, stored: &[StoredValue]) -> Vec<&'a str> {
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
        score: fr(score.score),
        total: fr(score.total),
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

#[derive(Template)]
// Whitespace around template tags collapsed: the page repeats its indicator block ~90
// times, and the blank lines of `{% if %}` made ~7 % of its bytes (issue 14).
#[template(path = "dossier.html", whitespace = "minimize")]
pub struct DossierPage {
    pub layout: Layout,
    pub view: DossierView,
}

impl_page!(DossierPage, SubmissionConfirmPage);
