//! The engagements page of a dossier: multi-year targets proposed by the
//! établissement and accepted or returned by the ARS, the internal action
//! plan, and the evidence documents (multipart upload, download, deletion).
//!
//! Every route loads the dossier with [`crate::dossier::load`], so anything
//! outside the user's scope answers 404; each write is further reserved to
//! its role by the store.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, Kind};
use caqes_store::dossier::engagements::{
    ActionInput, ActionStatus, MAX_DOCUMENT_BYTES, NewDocument, NewTargetProposal, PlanCounts,
    ProposalState,
};
use caqes_store::{ActionItemId, CampaignId, EvidenceId, ProposalId};
use caqes_store::{Role, SubmissionState};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::dossier::{Dossier, fr, load};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Multipart, Path};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::flash::{self, Flash};
use crate::ui::page::{Page, impl_page};

/// The largest request body of an upload: the file plus the other fields and
/// the multipart framing.
pub const MAX_UPLOAD_BODY: usize = MAX_DOCUMENT_BYTES + 256 * 1024;

pub struct ProposalView {
    pub id: ProposalId,
    pub indicator: String,
    pub year: i16,
    pub raw: String,
    pub state: &'static str,
    pub pending: bool,
    pub returned: bool,
    pub proposed_by: String,
    pub proposed_at: String,
    pub reviewed_by: String,
    pub comment: String,
}

pub struct TargetInput {
    pub name: String,
    pub id: String,
    pub year: i16,
    pub value: String,
    /// The target the scoring reads now for that year, if any.
    pub current: String,
}

pub struct TargetRow {
    pub code: String,
    pub label: String,
    pub unit: String,
    pub inputs: Vec<TargetInput>,
}

pub struct ActionView {
    pub id: ActionItemId,
    pub action: String,
    pub serves: String,
    pub pilot: String,
    pub due_on: String,
    /// The date field's value (the input's format, never shown as text).
    pub due_on_value: String,
    pub status_code: &'static str,
    pub status: &'static str,
    pub comment: String,
}

pub struct DocumentView {
    pub id: EvidenceId,
    pub file_name: String,
    pub size: String,
    pub sha256: String,
    pub indicator: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

pub struct StatusOption {
    pub code: &'static str,
    pub label: &'static str,
}

pub struct EngagementsView {
    pub base: String,
    pub campaign_id: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub years: String,
    pub year_list: Vec<i16>,
    pub target_rows: Vec<TargetRow>,
    pub proposals: Vec<ProposalView>,
    /// Proposals awaiting the ARS (accepted several at once: `dossier::bulk`).
    pub pending_count: usize,
    pub actions: Vec<ActionView>,
    pub done: u32,
    pub planned: u32,
    pub progress: String,
    pub documents: Vec<DocumentView>,
    pub statuses: Vec<StatusOption>,
    pub indicator_codes: Vec<String>,
    pub can_propose: bool,
    pub can_review: bool,
    pub can_edit_plan: bool,
    pub can_upload: bool,
    pub can_delete: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "engagements.html")]
pub struct EngagementsPage {
    pub layout: Layout,
    pub view: EngagementsView,
}

impl_page!(EngagementsPage);

fn base_url(d: &Dossier) -> String {
    format!(
        "/campagnes/{}/dossiers/{}/engagements",
        d.campaign.id, d.entity.finess
    )
}

/// The years of the multi-year targets: the three years after the état des
/// lieux (seed 003: « proposition de cibles pluriannuelles 2019, 2020 et 2021
/// par chaque ES » after the 2018 état des lieux).
fn target_years(d: &Dossier) -> Vec<i16> {
    let y = d.referentiel.baseline_year;
    vec![y + 1, y + 2, y + 3]
}

/// The indicators that take a numeric target and concern the entity's category.
fn target_indicators(d: &Dossier) -> Vec<&caqes_core::referentiel::Indicator> {
    d.referentiel
        .indicators
        .iter()
        .filter(|i| {
            i.is_numeric() && i.applicability(d.entity.category) == Applicability::Concerned
        })
        .collect()
}

fn field_name(code: &str, year: i16) -> String {
    format!("cible:{code}:{year}")
}

async fn render(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    typed: &[(String, String)],
    error: Option<String>,
) -> AppResult<Response> {
    let user = &session.user;
    let finess = d.entity.finess;
    let years = target_years(d);
    let mut current = std::collections::BTreeMap::new();
    for y in &years {
        current.insert(*y, state.store.targets_for(&finess, *y).await?);
    }
    let target_rows = target_indicators(d)
        .into_iter()
        .map(|i| TargetRow {
            code: i.code.clone(),
            label: i.label.clone(),
            unit: i.unit.clone(),
            inputs: years
                .iter()
                .map(|y| {
                    let name = field_name(&i.code, *y);
                    TargetInput {
                        id: format!("cible-{}-{y}", i.code),
                        year: *y,
                        value: typed
                            .iter()
                            .find(|(k, _)| *k == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                        current: current
                            .get(y)
                            .and_then(|m| m.get(&i.code))
                            .map(|t| fr(*t))
                            .unwrap_or_default(),
                        name,
                    }
                })
                .collect(),
        })
        .collect();
    let proposals: Vec<ProposalView> = state
        .store
        .target_proposals(&finess)
        .await?
        .into_iter()
        .map(|p| ProposalView {
            pending: p.state == ProposalState::Proposee,
            returned: p.state == ProposalState::ARevoir,
            id: p.id,
            indicator: p.indicator,
            year: p.year,
            raw: p.raw,
            state: p.state.label(),
            proposed_by: p.proposed_by.unwrap_or_default(),
            proposed_at: crate::ui::fr::instant(&p.proposed_at),
            reviewed_by: p.reviewed_by.unwrap_or_default(),
            comment: p.review_comment.unwrap_or_default(),
        })
        .collect();
    let items = state.store.action_items(&finess).await?;
    let counts = PlanCounts::of(&items);
    let actions = items
        .into_iter()
        .map(|a| ActionView {
            id: a.id,
            action: a.action,
            serves: a.serves,
            pilot: a.pilot,
            due_on: a.due_on.map(crate::ui::fr::date).unwrap_or_default(),
            due_on_value: a.due_on.map(|d| d.to_string()).unwrap_or_default(),
            status_code: a.status.code(),
            status: a.status.label(),
            comment: a.progress_comment.unwrap_or_default(),
        })
        .collect();
    let documents = state
        .store
        .documents(&d.submission.id)
        .await?
        .into_iter()
        .map(|doc| DocumentView {
            id: doc.id,
            file_name: doc.file_name,
            size: format!("{} octets", doc.size),
            sha256: doc.sha256,
            indicator: doc.indicator.unwrap_or_default(),
            uploaded_by: doc.uploaded_by.unwrap_or_default(),
            uploaded_at: crate::ui::fr::instant(&doc.uploaded_at),
        })
        .collect();
    let own = user.role == Role::Etablissement && user.entity == Some(d.entity.finess);
    let editable_dossier = matches!(
        d.submission.state,
        SubmissionState::Brouillon | SubmissionState::Renvoye
    );
    let view = EngagementsView {
        base: base_url(d),
        campaign_id: d.campaign.id.to_string(),
        entity_name: d.entity.name.clone(),
        entity_finess: finess.to_string(),
        years: years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        year_list: years.clone(),
        target_rows,
        pending_count: proposals.iter().filter(|p| p.pending).count(),
        proposals,
        actions,
        done: counts.done,
        planned: counts.planned,
        progress: counts
            .progress()
            .map(|p| {
                format!(
                    "{}\u{202f}%",
                    fr(p.value() * rust_decimal::Decimal::ONE_HUNDRED)
                )
            })
            .unwrap_or_else(|| "aucune action prévue".into()),
        documents,
        statuses: ActionStatus::ALL
            .into_iter()
            .map(|s| StatusOption {
                code: s.code(),
                label: s.label(),
            })
            .collect(),
        indicator_codes: d
            .referentiel
            .indicators
            .iter()
            .map(|i| i.code.clone())
            .collect(),
        can_propose: own,
        can_review: user.role == Role::Ars,
        can_edit_plan: own,
        // Not once evaluated: the evidence the evaluation relied on is frozen.
        can_upload: own
            && caqes_store::dossier::engagements::ADDING_STATES.contains(&d.submission.state),
        can_delete: own && editable_dossier,
        error: error.clone(),
    };
    let page = EngagementsPage {
        layout: Layout::for_user("Engagements", user, &session.csrf),
        view,
    };
    // A form refused with its message: 422.
    Ok(page.invalid_if(error.is_some()))
}

/// GET …/engagements
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    render(&state, &session, &d, &[], None).await
}

/// A store refusal the user can fix, shown on the page; anything else as usual.
async fn or_page(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    typed: &[(String, String)],
    result: caqes_store::Result<()>,
    done: Flash,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(flash::redirect(&base_url(d), done)),
        Err(caqes_store::StoreError::Workflow(
            e @ caqes_store::WorkflowError::CommentRequired(_),
        )) => render(state, session, d, typed, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

/// Reads the target fields; an error names the field (indicator and year).
fn parse_targets(
    d: &Dossier,
    pairs: &[(String, String)],
) -> Result<Vec<NewTargetProposal>, String> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for ind in target_indicators(d) {
        for year in target_years(d) {
            let name = field_name(&ind.code, year);
            let Some(raw) = pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
            else {
                continue;
            };
            let Some(target) = caqes_core::value::parse_decimal(raw) else {
                errors.push(format!(
                    "cible {} pour {year} : « {raw} » n'est pas un nombre (exemple : 85 ou 85,5)",
                    ind.code
                ));
                continue;
            };
            let out_of_range = match ind.kind {
                Kind::Proportion => {
                    target < rust_decimal::Decimal::ZERO
                        || target > rust_decimal::Decimal::ONE_HUNDRED
                }
                Kind::Ratio => target < rust_decimal::Decimal::ZERO,
                _ => false,
            };
            if out_of_range {
                errors.push(format!(
                    "cible {} pour {year} : « {raw} » est hors des bornes ({})",
                    ind.code,
                    if ind.kind == Kind::Proportion {
                        "un pourcentage entre 0 et 100"
                    } else {
                        "un ratio positif ou nul"
                    }
                ));
                continue;
            }
            out.push(NewTargetProposal {
                indicator: ind.code.clone(),
                year,
                raw: raw.to_owned(),
                target,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join(" ; "))
    }
}

/// POST …/engagements/cibles (établissement)
pub async fn propose(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess)): Path<(CampaignId, Finess)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "proposer des cibles est réservé à l'établissement".into(),
        ));
    }
    match parse_targets(&d, &pairs) {
        Err(message) => render(&state, &session, &d, &pairs, Some(message)).await,
        Ok(list) if list.is_empty() => {
            render(
                &state,
                &session,
                &d,
                &pairs,
                Some("aucune cible saisie : renseignez au moins une cible".into()),
            )
            .await
        }
        Ok(list) => {
            state
                .store
                .propose_targets(&session.user, &d.entity, &list)
                .await?;
            Ok(flash::redirect(&base_url(&d), Flash::TargetsProposed))
        }
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    commentaire: String,
}

/// POST …/engagements/cibles/{id}/accepter (ARS)
pub async fn accept(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess, id)): Path<(CampaignId, Finess, ProposalId)>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    let result = state
        .store
        .accept_target_proposal(&session.user, &d.entity, &id, Some(&form.commentaire))
        .await
        .map(|_| ());
    or_page(&state, &session, &d, &[], result, Flash::TargetAccepted).await
}

/// POST …/engagements/cibles/{id}/renvoyer (ARS, comment required)
pub async fn send_back(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess, id)): Path<(CampaignId, Finess, ProposalId)>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    let result = state
        .store
        .return_target_proposal(&session.user, &d.entity, &id, &form.commentaire)
        .await
        .map(|_| ());
    or_page(&state, &session, &d, &[], result, Flash::TargetSentBack).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    sert: String,
    #[serde(default)]
    pilote: String,
    #[serde(default)]
    echeance: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    avancement: String,
}

fn action_input(form: &ActionForm) -> Result<ActionInput, String> {
    let required = |value: &str, label: &str| -> Result<String, String> {
        let v = value.trim();
        if v.is_empty() {
            Err(format!("le champ « {label} » est obligatoire"))
        } else {
            Ok(v.chars().take(1000).collect())
        }
    };
    let due_on = match form.echeance.trim() {
        "" => None,
        t => Some(t.parse::<jiff::civil::Date>().map_err(|_| {
            format!("le champ « Échéance » : « {t} » n'est pas une date (AAAA-MM-JJ)")
        })?),
    };
    Ok(ActionInput {
        action: required(&form.action, "Action")?,
        serves: required(&form.sert, "Indicateur ou thème")?,
        pilot: required(&form.pilote, "Pilote")?,
        due_on,
        status: ActionStatus::parse(&form.statut)
            .ok_or_else(|| "le champ « Statut » est invalide".to_owned())?,
        progress_comment: Some(form.avancement.trim().to_owned()).filter(|c| !c.is_empty()),
    })
}

/// POST …/engagements/actions (établissement: new action)
pub async fn add_action(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess)): Path<(CampaignId, Finess)>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    match action_input(&form) {
        Err(message) => render(&state, &session, &d, &[], Some(message)).await,
        Ok(input) => {
            state
                .store
                .add_action_item(&session.user, &d.entity, &input)
                .await?;
            Ok(flash::redirect(&base_url(&d), Flash::ActionAdded))
        }
    }
}

/// POST …/engagements/actions/{id} (établissement: update)
pub async fn update_action(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess, id)): Path<(CampaignId, Finess, ActionItemId)>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    match action_input(&form) {
        Err(message) => render(&state, &session, &d, &[], Some(message)).await,
        Ok(input) => {
            state
                .store
                .update_action_item(&session.user, &d.entity, &id, &input)
                .await?;
            Ok(flash::redirect(&base_url(&d), Flash::ActionUpdated))
        }
    }
}

/// POST …/engagements/documents (établissement, multipart)
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess)): Path<(CampaignId, Finess)>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    let mut file: Option<(String, Bytes)> = None;
    let mut indicator = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return render_upload_error(
                    &state,
                    &session,
                    &d,
                    "le fichier dépasse la limite de 10 Mo ou l'envoi est incomplet",
                )
                .await;
            }
        };
        match field.name() {
            Some("fichier") => {
                let name = field.file_name().unwrap_or("document").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b)),
                    Err(_) => {
                        return render_upload_error(
                            &state,
                            &session,
                            &d,
                            &format!("le fichier « {name} » dépasse la limite de 10 Mo"),
                        )
                        .await;
                    }
                }
            }
            Some("indicateur") => {
                indicator = field.text().await.ok().filter(|t| !t.trim().is_empty());
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(n, _)| !n.is_empty()) else {
        return render_upload_error(&state, &session, &d, "le champ « Fichier » est obligatoire")
            .await;
    };
    if let Some(code) = &indicator
        && !d.referentiel.indicators.iter().any(|i| &i.code == code)
    {
        return render_upload_error(
            &state,
            &session,
            &d,
            &format!("le champ « Indicateur » : « {code} » n'est pas un indicateur du référentiel"),
        )
        .await;
    }
    let doc = NewDocument {
        file_name: &name,
        indicator,
        content: &bytes,
    };
    match state
        .store
        .add_document(&session.user, &d.entity, &d.submission, doc)
        .await?
    {
        Ok(_) => Ok(flash::redirect(&base_url(&d), Flash::DocumentUploaded)),
        Err(e) => render_upload_error(&state, &session, &d, &e.to_string()).await,
    }
}

async fn render_upload_error(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    message: &str,
) -> AppResult<Response> {
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "déposer une pièce justificative est réservé à l'établissement".into(),
        ));
    }
    render(state, session, d, &[], Some(message.to_owned())).await
}

/// The file name for `Content-Disposition`: an ASCII fallback without quotes
/// or separators, and the exact UTF-8 name percent-encoded (RFC 6266 / 5987).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// GET …/engagements/documents/{id}
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess, id)): Path<(CampaignId, Finess, EvidenceId)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    let (doc, bytes) = state
        .store
        .document_content(&d.submission.id, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let disposition = HeaderValue::from_str(&content_disposition(&doc.file_name)).map_err(
        AppError::failed("en-tête Content-Disposition du justificatif"),
    )?;
    let mime = HeaderValue::from_str(&doc.content_type)
        .map_err(AppError::failed("type du justificatif"))?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, mime);
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// POST …/engagements/documents/{id}/supprimer (établissement, dossier in progress)
pub async fn delete_document(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign, finess, id)): Path<(CampaignId, Finess, EvidenceId)>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign, &finess).await?;
    state
        .store
        .delete_document(&session.user, &d.entity, &d.submission, &id)
        .await?;
    Ok(flash::redirect(&base_url(&d), Flash::DocumentDeleted))
}

pub struct PendingLine {
    /// `{FINESS}:{id}`, the value of its checkbox (`dossier::bulk`).
    pub key: String,
    pub entity_name: String,
    pub link: String,
    pub indicator: String,
    pub year: i16,
    pub raw: String,
}

#[derive(Template)]
#[template(path = "engagements_region.html")]
pub struct RegionPage {
    pub layout: Layout,
    pub campaign_title: String,
    pub campaign_id: String,
    /// The ARS accepts several proposals at once.
    pub can_review: bool,
    pub lines: Vec<PendingLine>,
}

impl_page!(RegionPage);

/// GET /campagnes/{campaign}/cibles: the proposals awaiting the ARS in the region.
pub async fn region(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(campaign): Path<CampaignId>,
) -> AppResult<Response> {
    let campaign = state
        .store
        .campaign(&campaign)
        .await?
        .ok_or(AppError::NotFound)?;
    if !session.user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    let lines = state
        .store
        .pending_target_proposals_in_region(&campaign.region)
        .await?
        .into_iter()
        .map(|(p, entity_name)| PendingLine {
            key: format!("{}:{}", p.entity, p.id),
            entity_name,
            link: format!(
                "/campagnes/{}/dossiers/{}/engagements",
                campaign.id, p.entity
            ),
            indicator: p.indicator,
            year: p.year,
            raw: p.raw,
        })
        .collect();
    let page = RegionPage {
        layout: Layout::for_user("Cibles proposées", &session.user, &session.csrf),
        can_review: session.user.role == Role::Ars,
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title,
        lines,
    };
    Ok(page.into_response())
}
