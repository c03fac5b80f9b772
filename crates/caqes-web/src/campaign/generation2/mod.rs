//! The second-generation campaign on the platform (issue 13): the campaign's follow-up
//! and the dossier of an entity when the campaign runs on an objectives grid
//! (`caqes-2022`, `incitation-2026`), and the actions of each role on a contracting
//! unit. The campaign and dossier routes of the first generation branch here on the
//! grid's regime; every figure comes from `caqes_core::regimes` through
//! `caqes_store::generation2::evaluate`, the engine of `caqes evaluate`.

pub mod levers;
pub mod view;

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::regimes::outcome::{Revision, YearValues};
use caqes_core::value::parse_decimal;
use caqes_data::objectives_input::read_value_rows;
use caqes_store::CampaignId;
use caqes_store::generation2::write::{TargetingInput, ValueImportRow};
use caqes_store::generation2::{ContractState2, HearingSubject, UnitKind, evaluate};
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::{Campaign, LegalEntity, Role, User};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::auth::{CurrentUser, Session};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::upload::UploadForm;
use crate::state::AppState;
use crate::ui::flash::{self, Flash};
use crate::ui::page::{Page, impl_page};
use crate::ui::{Layout, fr};
use view::{ConfirmView, UnitView};

/// A campaign, an entity in the user's scope, and the campaign's objectives grid.
pub struct Context2 {
    pub campaign: Campaign,
    pub entity: LegalEntity,
    pub grid: ObjectivesGrid,
}

/// Loads a second-generation dossier: 404 outside the user's scope, 409 on a
/// first-generation campaign (its own pages apply).
async fn load(
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

async fn objectives(state: &AppState, campaign: &Campaign) -> AppResult<ObjectivesGrid> {
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

fn require(user: &User, role: Role, what: &str) -> AppResult<()> {
    if user.role == role {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} est réservé au rôle {}.",
            role.label()
        )))
    }
}

fn date_field(form: &BTreeMap<String, String>, name: &str, label: &str) -> AppResult<Date> {
    let text = form.get(name).map(|s| s.trim()).unwrap_or_default();
    text.parse::<Date>().map_err(|_| {
        AppError::BadRequest(format!(
            "{label} : date attendue (jour, mois, année), reçu « {text} »."
        ))
    })
}

fn amount_field(form: &BTreeMap<String, String>, name: &str, label: &str) -> AppResult<Decimal> {
    let text = form.get(name).map(|s| s.trim()).unwrap_or_default();
    let cleaned = text.replace('€', "");
    parse_decimal(&cleaned)
        .ok_or_else(|| AppError::BadRequest(format!("{label} : montant illisible « {text} ».")))
}

fn form_map(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

#[derive(Template)]
#[template(path = "generation2_dossier.html")]
pub struct DossierPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub previous_year: i16,
    pub grid_title: String,
    pub regime: &'static str,
    pub incentive_word: &'static str,
    pub example: bool,
    pub entity_name: String,
    pub finess: String,
    pub unit_kind: &'static str,
    pub units: Vec<UnitView>,
    pub to_confirm: Vec<ConfirmView>,
    pub is_ars: bool,
    pub is_etab: bool,
}

/// The dossier page of an entity on a second-generation campaign (from `dossier::show`).
pub async fn dossier_page(
    state: &AppState,
    session: &Session,
    campaign: Campaign,
    entity: LegalEntity,
    grid: ObjectivesGrid,
) -> AppResult<Response> {
    let user = &session.user;
    let is_ars = user.role == Role::Ars;
    let is_etab = user.role == Role::Etablissement;
    let kind = state.store.g2_unit_kind(&campaign).await?;
    let am_revenue = state.store.am_figures(&entity.finess).await?.am_revenue;
    let today = caqes_store::today();
    let mut units = Vec::new();
    for u in state.store.g2_units(&campaign, &entity).await? {
        let file = state.store.g2_unit_file(&campaign, u.finess).await?;
        let base = view::unit_base(&campaign.id, entity.finess, u.finess);
        let back_link = format!(
            "/campagnes/{}/dossiers/{}#unite-{}",
            campaign.id, entity.finess, u.finess
        );
        let contract = file.contract.as_ref();
        let state_of = contract.map(|c| c.state);
        let procedure = contract.and_then(|c| c.procedure(&grid));
        let retained = file.retained().count();
        let (outcome, outcome_error) = if file.engaged(&grid) {
            match evaluate(&grid, campaign.year, &file) {
                Ok(o) => (Some(o), None),
                Err(e) => (None, Some(e.to_string())),
            }
        } else {
            (None, None)
        };
        let evaluation = file.evaluation.as_ref();
        let decided = evaluation.and_then(|e| e.decided_amount);
        let notified = evaluation.is_some_and(|e| e.notified());
        let (sequence, sequence_error) = match evaluation.map(|e| e.sequence()) {
            Some(Ok(s)) => (
                Some(view::SequenceView {
                    report: fr::date(s.reception_rapport),
                    observations_until: fr::date(s.fin_observations),
                    notification_from: fr::date(s.notification_au_plus_tot),
                    notification_until: fr::date(s.notification_au_plus_tard),
                    notification_received: s.reception_notification.map(fr::date),
                    late: s.notification_hors_delai,
                    second_period_until: s.fin_second_delai.map(fr::date),
                    final_from: s.decision_finale_a_partir_du.map(fr::date),
                }),
                None,
            ),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };
        let default_start = grid
            .contract
            .as_ref()
            .and_then(|c| c.debut_defaut.as_ref())
            .map(|d| d.valeur)
            .filter(|d| d.year() <= campaign.year)
            .unwrap_or_else(|| jiff::civil::date(campaign.year, 1, 1));
        let default_end = grid
            .contract
            .as_ref()
            .map(|c| c.fin_au_plus_tard.valeur)
            .unwrap_or(caqes_core::regimes::grid::LEGAL_END);
        units.push(UnitView {
            finess: u.finess.to_string(),
            name: u.name,
            targeting: view::targeting_views(&grid, &file),
            targeting_editable: is_ars && contract.is_none(),
            retained,
            contract: view::contract_view(&grid, &file, am_revenue),
            can_propose: is_ars && contract.is_none() && retained > 0 && grid.contract.is_some(),
            default_start: default_start.to_string(),
            default_end: default_end.to_string(),
            can_answer: is_etab && state_of == Some(ContractState2::Propose),
            can_second: is_ars
                && contract.is_some_and(|c| {
                    c.state != ContractState2::Signe
                        && c.second_received_on.is_none()
                        && c.sanction.is_none()
                }),
            can_sanction: is_ars
                && contract.is_some_and(|c| {
                    c.state != ContractState2::Signe
                        && c.sanction.is_none()
                        && !c.hearing.awaiting_date()
                })
                && procedure
                    .and_then(|p| p.sanction_a_partir_du)
                    .is_some_and(|from| from <= today),
            objectives: view::objective_views(&grid, campaign.year, &file),
            surveillance_receipt: file
                .surveillance
                .as_ref()
                .filter(|s| s.decision.is_some())
                .map(|s| {
                    view::letter_receipt(
                        user.role,
                        ReceiptKind::SurveillanceG2,
                        s.receipt.as_ref(),
                        (&campaign.id, u.finess),
                        &back_link,
                    )
                })
                .transpose()?,
            penalty_receipt: file
                .penalty
                .as_ref()
                .map(|p| {
                    view::letter_receipt(
                        user.role,
                        ReceiptKind::PenaliteG2,
                        p.receipt.as_ref(),
                        (&campaign.id, u.finess),
                        &back_link,
                    )
                })
                .transpose()?,
            can_set_objective: is_ars && retained > 0 && contract.is_none() && evaluation.is_none(),
            today: today.to_string(),
            can_enter: file.engaged(&grid) && !notified && (is_ars || is_etab),
            outcome_error,
            can_revise: is_ars
                && decided.is_none()
                && outcome.as_ref().is_some_and(|o| !o.lignes.is_empty()),
            revisable: outcome
                .as_ref()
                .map(|o| o.lignes.iter().map(|l| l.code.clone()).collect())
                .unwrap_or_default(),
            outcome: outcome.as_ref().map(view::outcome_view),
            sequence,
            sequence_error,
            can_record_report: is_ars && file.engaged(&grid) && decided.is_none(),
            can_decide: is_ars && evaluation.is_some() && decided.is_none(),
            decided: decided.map(|d| fr::euros(d.0)),
            can_notify: is_ars
                && decided.is_some()
                && !notified
                && !evaluation.is_some_and(|e| e.hearing.awaiting_date()),
            hearing_contract: contract.and_then(|c| {
                view::hearing_view(
                    HearingSubject::Contrat,
                    c.hearing,
                    procedure.and_then(|p| p.fin_second_delai),
                    c.state != ContractState2::Signe && c.sanction.is_none(),
                    (is_ars, is_etab),
                    today,
                )
            }),
            hearing_evaluation: evaluation.and_then(|e| {
                view::hearing_view(
                    HearingSubject::Evaluation,
                    e.hearing,
                    e.sequence().ok().map(|s| s.fin_observations),
                    !notified,
                    (is_ars, is_etab),
                    today,
                )
            }),
            letter: notified.then(|| format!("{base}/interessement.pdf")),
            levers: view::levers_view(
                &grid,
                campaign.year,
                &file,
                outcome.as_ref().map(|o| o.objectifs_manques),
                am_revenue,
                is_ars,
                is_etab,
                today,
            ),
            base,
        });
    }
    let page = DossierPage {
        layout: Layout::for_user(&format!("Dossier — {}", entity.name), user, &session.csrf),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        year: campaign.year,
        previous_year: campaign.year - 1,
        grid_title: grid.title.clone(),
        regime: grid.regime.code(),
        incentive_word: grid.regime.incentive_word(),
        example: grid.example,
        entity_name: entity.name.clone(),
        finess: entity.finess.to_string(),
        unit_kind: kind.label(),
        units,
        to_confirm: view::to_confirm(&grid),
        is_ars,
        is_etab,
    };
    Ok(page.response())
}

/// One row of the campaign's follow-up.
pub struct FollowUpRow {
    pub entity: String,
    pub unit: String,
    pub link: String,
    pub retained: usize,
    pub contract: String,
    pub values: usize,
    pub computed: String,
    pub decided: String,
    pub notified: String,
    /// The mise sous surveillance and the 2026 penalty, in a few words.
    pub levers: String,
}

impl_page!(DossierPage, CampaignPage);

#[derive(Template)]
#[template(path = "generation2_campaign.html")]
pub struct CampaignPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub title: String,
    pub year: i16,
    pub grid_title: String,
    pub regime: &'static str,
    pub incentive_word: &'static str,
    pub example: bool,
    pub unit_kind: &'static str,
    pub unit_juridique: bool,
    pub can_choose_unit: bool,
    /// The ARS imports the values of N and N−1 of the campaign's units.
    pub can_import_values: bool,
    pub rows: Vec<FollowUpRow>,
    pub to_confirm: Vec<ConfirmView>,
}

/// The follow-up of a second-generation campaign (from `campaign::show`).
pub async fn campaign_page(
    state: &AppState,
    session: &Session,
    campaign: Campaign,
    grid: ObjectivesGrid,
) -> AppResult<CampaignPage> {
    let user = &session.user;
    let kind = state.store.g2_unit_kind(&campaign).await?;
    let mut rows = Vec::new();
    let mut any_contract = false;
    for entity in state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?
    {
        for u in state.store.g2_units(&campaign, &entity).await? {
            let file = state.store.g2_unit_file(&campaign, u.finess).await?;
            any_contract |= file.contract.is_some();
            let computed = if file.engaged(&grid) {
                evaluate(&grid, campaign.year, &file)
                    .map(|o| fr::euros(o.total.0))
                    .unwrap_or_else(|_| "erreur de saisie".to_owned())
            } else {
                "—".to_owned()
            };
            let evaluation = file.evaluation.as_ref();
            rows.push(FollowUpRow {
                entity: entity.name.clone(),
                unit: u.finess.to_string(),
                link: format!("/campagnes/{}/dossiers/{}", campaign.id, entity.finess),
                retained: file.retained().count(),
                contract: file
                    .contract
                    .as_ref()
                    .map(|c| c.state.label().to_owned())
                    .unwrap_or_else(|| "aucun".to_owned()),
                values: file.values.len(),
                computed,
                decided: evaluation
                    .and_then(|e| e.decided_amount)
                    .map(|d| fr::euros(d.0))
                    .unwrap_or_else(|| "—".to_owned()),
                notified: evaluation
                    .and_then(|e| e.notification_received_on)
                    .map(fr::date)
                    .unwrap_or_else(|| "—".to_owned()),
                levers: view::levers_summary(&file),
            });
        }
    }
    let page = CampaignPage {
        layout: Layout::for_user(&campaign.title, user, &session.csrf),
        campaign_id: campaign.id.to_string(),
        title: campaign.title.clone(),
        year: campaign.year,
        grid_title: grid.title.clone(),
        regime: grid.regime.code(),
        incentive_word: grid.regime.incentive_word(),
        example: grid.example,
        unit_kind: kind.label(),
        unit_juridique: kind == UnitKind::Juridique,
        can_choose_unit: user.role == Role::Ars && !any_contract,
        can_import_values: user.role == Role::Ars,
        rows,
        to_confirm: view::to_confirm(&grid),
    };
    Ok(page)
}

/// The ARS chooses the contracting unit of the campaign (legal or geographic FINESS).
pub async fn choose_unit(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let campaign = state
        .store
        .campaign(&campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !s.user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    require(&s.user, Role::Ars, "Le choix de l'unité de contrat")?;
    objectives(&state, &campaign).await?;
    let form = form_map(pairs);
    let kind = form
        .get("unite")
        .and_then(|u| UnitKind::parse(u.trim()))
        .ok_or_else(|| {
            AppError::BadRequest("Unité de contrat : juridique ou géographique.".into())
        })?;
    state
        .store
        .g2_set_unit_kind(&s.user, &campaign, kind)
        .await?;
    Ok(flash::redirect(
        &format!("/campagnes/{}", campaign.id),
        Flash::UnitChosen,
    ))
}

type UnitPath = Path<(CampaignId, Finess, Finess)>;

/// `POST /campagnes/{campaign}/objectifs/valeurs/import` (ARS, multipart): `valeurs.csv`
/// (`finess;indicateur;annee;montant;numerateur;denominateur`, the format of `caqes
/// evaluate`), chosen (`valeurs_fichier`) or pasted (`valeurs`). Read by
/// `caqes_data::objectives_input::read_value_rows` (the first problem names the file, the
/// line and the column), checked against the campaign by the store; all rows or none.
pub async fn import_values(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    let campaign = state
        .store
        .campaign(&campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !s.user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    require(&s.user, Role::Ars, "L'import des valeurs")?;
    let grid = objectives(&state, &campaign).await?;
    let text = form.content("valeurs").await?;
    let file = form
        .file("valeurs_fichier")
        .map_or_else(|| "valeurs.csv".to_owned(), |f| f.name.clone());
    let rows = read_value_rows(&file, &text, &grid)
        .map_err(|e| AppError::Conflict(format!("{e}.")))?
        .into_iter()
        .map(|r| ValueImportRow {
            unit: r.finess,
            indicator: r.indicator,
            year: r.year,
            values: r.values,
            line: r.line,
        })
        .collect::<Vec<_>>();
    state
        .store
        .g2_import_values(&s.user, &campaign, &grid, &file, &rows)
        .await?;
    Ok(flash::redirect(
        &format!("/campagnes/{}", campaign.id),
        Flash::ValuesImported,
    ))
}

/// What every action on a unit begins with: the dossier in the user's scope (404
/// otherwise), the role the action is reserved to (403 otherwise), the unit's FINESS.
async fn unit_action(
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

fn back(c: &Context2, unit: Finess) -> String {
    format!(
        "/campagnes/{}/dossiers/{}#unite-{unit}",
        c.campaign.id, c.entity.finess
    )
}

/// The ARS's targeting of a unit: measures per threshold, retained or not, motive.
pub async fn confirm_targeting(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "Le ciblage").await?;
    let form = form_map(pairs);
    let mut decisions = Vec::new();
    for ind in &c.grid.indicators {
        let mut measures = Vec::with_capacity(ind.seuils_ciblage.len());
        for (i, t) in ind.seuils_ciblage.iter().enumerate() {
            let text = form
                .get(&format!("m:{}:{i}", ind.code))
                .map(|s| s.trim())
                .unwrap_or_default();
            if text.is_empty() {
                measures.push(None);
            } else {
                measures.push(Some(parse_decimal(text).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "{} — {} : nombre illisible « {text} ».",
                        ind.code, t.libelle
                    ))
                })?));
            }
        }
        let retained = form.contains_key(&format!("r:{}", ind.code));
        let motive = form
            .get(&format!("motif:{}", ind.code))
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        // A line left blank is not examined: no decision, hence no motive to give.
        if measures.iter().all(Option::is_none) && !retained && motive.is_none() {
            continue;
        }
        decisions.push(TargetingInput {
            indicator: ind.code.clone(),
            measures,
            retained,
            motive,
        });
    }
    state
        .store
        .g2_confirm_targeting(&s.user, &c.campaign, &c.grid, &c.entity, unit, &decisions)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::TargetingConfirmed))
}

pub async fn propose_contract(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) =
        unit_action(&state, &s.user, ids, Role::Ars, "La proposition du contrat").await?;
    let form = form_map(pairs);
    let start = date_field(&form, "debut", "Début du contrat")?;
    let end = date_field(&form, "fin", "Fin du contrat")?;
    let received = date_field(&form, "reception", "Réception de la proposition")?;
    state
        .store
        .g2_propose_contract(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            start,
            end,
            received,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ContractProposed))
}

pub async fn second_proposal(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La seconde proposition").await?;
    let form = form_map(pairs);
    let received = date_field(&form, "reception", "Réception de la seconde proposition")?;
    state
        .store
        .g2_second_proposal(&s.user, &c.campaign, &c.grid, &c.entity, unit, received)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::SecondProposal))
}

async fn answer(
    state: AppState,
    s: Session,
    ids: (CampaignId, Finess, Finess),
    sign: bool,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Etablissement,
        "La réponse au contrat",
    )
    .await?;
    state
        .store
        .g2_answer_contract(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            sign,
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(
        &back(&c, unit),
        if sign {
            Flash::ContractSigned
        } else {
            Flash::ContractRefused
        },
    ))
}

pub async fn sign(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(p): UnitPath,
) -> AppResult<Response> {
    answer(state, s, p, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(p): UnitPath,
) -> AppResult<Response> {
    answer(state, s, p, false).await
}

pub async fn decide_refusal(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La sanction du refus").await?;
    let form = form_map(pairs);
    let amount = amount_field(&form, "montant", "Montant de la sanction")?;
    state
        .store
        .g2_decide_refusal_sanction(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            caqes_core::Euros(amount),
            form.get("motif").map(String::as_str),
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::RefusalDecided))
}

/// Values of N and N−1 (`v:{code}:{year}:{montant|numerateur|denominateur}`).
pub async fn save_values(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess, unit)): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let c = load(&state, &s.user, &campaign_id, &finess).await?;
    if !matches!(s.user.role, Role::Ars | Role::Etablissement) {
        return Err(AppError::Forbidden(
            "La saisie des valeurs est réservée à l'établissement et à l'ARS.".into(),
        ));
    }
    let form = form_map(pairs);
    let mut rows: BTreeMap<(String, i16), YearValues> = BTreeMap::new();
    for (key, text) in &form {
        let Some(rest) = key.strip_prefix("v:") else {
            continue;
        };
        let mut parts = rest.rsplitn(3, ':');
        let (Some(part), Some(year), Some(code)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(year) = year.parse::<i16>() else {
            continue;
        };
        let text = text.trim();
        let value = if text.is_empty() {
            None
        } else {
            Some(parse_decimal(&text.replace('€', "")).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{code} {year}, {part} : nombre illisible « {text} »."
                ))
            })?)
        };
        let entry = rows.entry((code.to_owned(), year)).or_default();
        match part {
            "montant" => entry.montant = value,
            "numerateur" => entry.numerateur = value,
            "denominateur" => entry.denominateur = value,
            _ => {}
        }
    }
    let rows: Vec<(String, i16, YearValues)> = rows
        .into_iter()
        .map(|((code, year), v)| (code, year, v))
        .collect();
    state
        .store
        .g2_save_values(&s.user, &c.campaign, &c.grid, &c.entity, unit, &rows)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ValuesSaved))
}

/// The ARS's own objective of an indicator for the unit; an empty value goes back to
/// the grid's.
pub async fn set_objective(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "L'objectif propre").await?;
    let form = form_map(pairs);
    let indicator = form
        .get("indicateur")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let text = form.get("valeur").map(|s| s.trim()).unwrap_or_default();
    let value = if text.is_empty() {
        None
    } else {
        Some(
            parse_decimal(&text.replace(['%', '\u{a0}'], "")).ok_or_else(|| {
                AppError::BadRequest(format!("Objectif : nombre attendu, reçu « {text} »."))
            })?,
        )
    };
    let fixed_on = date_field(&form, "date", "Date de l'objectif")?;
    state
        .store
        .g2_set_objective(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            &indicator,
            value,
            fixed_on,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ObjectiveSet))
}

fn hearing_subject(form: &BTreeMap<String, String>) -> AppResult<HearingSubject> {
    form.get("objet")
        .and_then(|o| HearingSubject::parse(o.trim()))
        .ok_or_else(|| AppError::BadRequest("Objet de l'audition : contrat ou évaluation.".into()))
}

/// `POST …/objectifs/{unit}/audition/demander`: the établissement asks to be heard
/// (`objet` = `contrat` or `evaluation`), today.
pub async fn request_hearing(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Etablissement,
        "La demande d'audition",
    )
    .await?;
    let subject = hearing_subject(&form_map(pairs))?;
    state
        .store
        .g2_request_hearing(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            subject,
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::HearingRequested))
}

/// `POST …/objectifs/{unit}/audition/fixer`: the ARS fixes the hearing's day.
pub async fn fix_hearing(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La date de l'audition").await?;
    let form = form_map(pairs);
    let subject = hearing_subject(&form)?;
    let held_on = date_field(&form, "date", "Date de l'audition")?;
    state
        .store
        .g2_fix_hearing(&s.user, &c.campaign, &c.entity, unit, subject, held_on)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::HearingScheduled))
}

/// The DG ARS's downward revision of a line; an empty amount withdraws it.
pub async fn revise(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Ars,
        "La révision de l'intéressement",
    )
    .await?;
    let form = form_map(pairs);
    let indicator = form
        .get("indicateur")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let amount_text = form.get("montant").map(|s| s.trim()).unwrap_or_default();
    let revision = if amount_text.is_empty() {
        None
    } else {
        Some(Revision {
            amount: caqes_core::Euros(amount_field(&form, "montant", "Montant révisé")?),
            motive: form.get("motif").cloned().unwrap_or_default(),
        })
    };
    state
        .store
        .g2_revise(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            &indicator,
            revision,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::RevisionRecorded))
}

pub async fn record_report(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La réception du rapport").await?;
    let form = form_map(pairs);
    let received = date_field(&form, "reception", "Réception du rapport d'évaluation")?;
    state
        .store
        .g2_record_report(&s.user, &c.campaign, &c.grid, &c.entity, unit, received)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ReportRecorded))
}

pub async fn decide_incentive(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Ars,
        "La décision d'intéressement",
    )
    .await?;
    state
        .store
        .g2_decide_incentive(&s.user, &c.campaign, &c.grid, &c.entity, unit)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::IncentiveDecided))
}

pub async fn notify_incentive(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Ars,
        "La notification de l'intéressement",
    )
    .await?;
    let form = form_map(pairs);
    let received = date_field(&form, "reception", "Réception de la notification")?;
    state
        .store
        .g2_notify_incentive(&s.user, &c.campaign, &c.entity, unit, received)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::IncentiveNotified))
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
