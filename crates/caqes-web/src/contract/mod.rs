//! Contracts: the ARS of the region lists them with their next deadline,
//! proposes a contract (volets chosen), fixes the hearing date, records
//! avenants and résiliations; the établissement sees its own contract only,
//! signs it, refuses it (after a confirmation explaining the sanction) or asks
//! for a hearing; the Assurance Maladie and the OMEDIT read the region.
//! Anything outside the user's scope answers 404. The sanction for refusing to
//! sign, its decision and notification, are in `refusal`.

mod deadline;
mod refusal;

use caqes_core::RegionCode;
use deadline::{next_deadline, state_label};
pub(crate) use refusal::refusal_scope;
pub use refusal::{RefusalView, decide_refusal, notify_refusal, open_refusal};

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_core::Finess;
use caqes_core::calendar::CalendarParameters;
use caqes_core::volets::Volet;
use caqes_store::contract::{AmendmentKind, parse_volet, volet_code};
use caqes_store::{
    Contract, ContractState, LegalEntity, NewContract, Role, StoreError, User, VoletState,
};
use jiff::civil::Date;
use serde::Deserialize;

use crate::auth::role::require;
use crate::auth::{CurrentUser, Session};
use crate::dossier::today;
use crate::notifications::receipt::ReceiptView;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::flash::{self, Flash};
use crate::ui::list::{self, Cell, Column, ListQuery, ListRow, Listing};
use crate::ui::page::{Page, impl_page};
use caqes_store::ReceiptId;
use caqes_store::notify::receipt::ReceiptKind;

fn fr_date(d: Date) -> String {
    crate::ui::fr::date(d)
}

fn internal(e: StoreError) -> AppError {
    AppError::from(e)
}

pub struct ContractLine {
    pub entity_name: String,
    pub finess: String,
    pub state: String,
    pub volets: String,
    pub next: String,
}

/// The columns of the contracts' list (searched, sorted, exported).
const CONTRACT_COLUMNS: [Column; 5] = [
    Column {
        key: "entite",
        label: "Entité juridique",
    },
    Column {
        key: "finess",
        label: "FINESS juridique",
    },
    Column {
        key: "etat",
        label: "État",
    },
    Column {
        key: "volets",
        label: "Volets",
    },
    Column {
        key: "echeance",
        label: "Prochaine échéance",
    },
];

impl ListRow for ContractLine {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.entity_name),
            Cell::text(&self.finess),
            Cell::text(&self.state),
            Cell::text(&self.volets),
            Cell::text(&self.next),
        ]
    }
}

pub struct EntityChoice {
    pub finess: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "contracts.html")]
pub struct ContractsPage {
    pub layout: Layout,
    pub list: Listing<ContractLine>,
    /// Entities without a live contract (proposal form, ARS only).
    pub proposable: Vec<EntityChoice>,
    pub can_propose: bool,
    /// (form code, label) of the additional volets.
    pub additional: Vec<(&'static str, &'static str)>,
    pub today: String,
    pub error: Option<String>,
}

pub struct VoletLine {
    pub label: &'static str,
    pub code: &'static str,
    pub duration: String,
    pub term: String,
    pub state: &'static str,
    pub terminable: bool,
    /// The volet pertinence's terms fixed in the contract (W10), as a sentence.
    pub terms: Option<String>,
}

pub struct AmendmentLine {
    pub kind: &'static str,
    pub object: String,
    pub signed_on: String,
    pub effective_on: String,
    pub receipt: ReceiptView,
}

pub struct ContractView {
    pub entity_name: String,
    pub finess: String,
    pub state: String,
    /// The proposal's receipt (day 0 of the 15 days), with the ARS's paper form.
    pub receipt: ReceiptView,
    pub next: Option<String>,
    pub period_end: String,
    /// Until when the établissement may answer, in words: one deadline,
    /// the calendar's (`caqes_core::calendar::signature_period`), or the
    /// hearing's day while the ARS has not fixed it.
    pub answer_until: String,
    pub extended: bool,
    pub hearing_requested_on: Option<String>,
    pub hearing_on: Option<String>,
    pub decided: Option<String>,
    pub entry_into_force: Option<String>,
    pub sanction_from: String,
    pub volets: Vec<VoletLine>,
    pub amendments: Vec<AmendmentLine>,
    pub can_answer: bool,
    pub can_request_hearing: bool,
    pub can_schedule_hearing: bool,
    pub can_amend: bool,
    pub can_terminate: bool,
    /// The refusal confirmation step is shown.
    pub confirm_refusal: bool,
    /// The procedure of the sanction for refusing to sign, as the user may see it.
    pub refusal: Option<RefusalView>,
    /// The ARS may open that procedure (contract refused or réputé refusé).
    pub can_open_refusal: bool,
    pub today: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "contract.html")]
pub struct ContractPage {
    pub layout: Layout,
    pub view: ContractView,
}

impl_page!(ContractsPage, ContractPage);

fn params() -> CalendarParameters {
    // The decree's values (15 days, volets of 1 to 5 years); the same for every region.
    CalendarParameters::default()
}

/// The region the user reads as a whole (ARS, AM, OMEDIT), otherwise 404.
fn regional(session: &Session) -> AppResult<RegionCode> {
    match session.user.role {
        Role::Ars | Role::AssuranceMaladie | Role::Omedit => {
            session.user.region.ok_or(AppError::NotFound)
        }
        Role::Etablissement | Role::Admin => Err(AppError::NotFound),
    }
}

/// The entity, within the user's scope, and its current contract (404 otherwise).
async fn load(
    state: &AppState,
    session: &Session,
    finess: &Finess,
) -> AppResult<(LegalEntity, Option<Contract>)> {
    let entity = state
        .store
        .legal_entity(finess)
        .await?
        .ok_or(AppError::NotFound)?;
    if session.user.role == Role::Admin || !session.user.can_read_entity(&entity) {
        return Err(AppError::NotFound);
    }
    let contract = state.store.contract_of(finess).await?;
    Ok((entity, contract))
}

async fn load_contract(
    state: &AppState,
    session: &Session,
    finess: &Finess,
) -> AppResult<(LegalEntity, Contract)> {
    let (entity, contract) = load(state, session, finess).await?;
    Ok((entity, contract.ok_or(AppError::NotFound)?))
}

fn volet_list(c: &Contract) -> String {
    c.volets
        .iter()
        .map(|v| match v.state {
            VoletState::Actif => v.volet.label().to_owned(),
            VoletState::Resilie => format!("{} (résilié)", v.volet.label()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    if session.user.role == Role::Etablissement {
        let finess = session.user.entity.ok_or(AppError::NotFound)?;
        return Ok(Redirect::to(&format!("/contrats/{finess}")).into_response());
    }
    match render_list(&state, &session, None, &query).await? {
        Listed::Page(page) => Ok(page.response()),
        Listed::Csv(response) => Ok(response),
    }
}

/// The contracts' page, or its CSV export when the query asks for it.
enum Listed {
    Page(Box<ContractsPage>),
    Csv(Response),
}

async fn render_list(
    state: &AppState,
    session: &Session,
    error: Option<String>,
    query: &ListQuery,
) -> AppResult<Listed> {
    let region = regional(session)?;
    let params = params();
    let today = today();
    let contracts = state.store.contracts_in_region(&region).await?;
    let mut lines = Vec::new();
    for c in &contracts {
        lines.push(ContractLine {
            entity_name: c.entity_name.clone(),
            finess: c.entity.to_string(),
            state: state_label(c, &params, today)?,
            volets: volet_list(c),
            next: next_deadline(c, &params, today)?.unwrap_or_else(|| "—".to_owned()),
        });
    }
    let list = list::apply(lines, &CONTRACT_COLUMNS, query, "/contrats", &[], None);
    if query.wants_csv() {
        return Ok(Listed::Csv(list::csv_response(
            "contrats.csv",
            &CONTRACT_COLUMNS,
            &list,
        )));
    }
    let live: Vec<_> = contracts
        .iter()
        .filter(|c| c.state != ContractState::Refuse)
        .map(|c| c.entity)
        .collect();
    let proposable = state
        .store
        .legal_entities_in_region(&region)
        .await?
        .into_iter()
        .filter(|e| !live.contains(&e.finess))
        .map(|e| EntityChoice {
            finess: e.finess.to_string(),
            name: e.name,
        })
        .collect();
    let page = ContractsPage {
        layout: Layout::for_user("Contrats CAQES", &session.user, &session.csrf),
        list,
        proposable,
        can_propose: session.user.role == Role::Ars,
        additional: [Volet::Transports, Volet::Pertinence, Volet::Qualite]
            .into_iter()
            .map(|v| (volet_code(v), v.label()))
            .collect(),
        today: today.to_string(),
        error,
    };
    Ok(Listed::Page(Box::new(page)))
}

fn parse_date_field(text: &str, field: &str) -> Result<Date, String> {
    text.trim().parse::<Date>().map_err(|_| {
        format!(
            "Champ « {field} » : date illisible « {} » (attendu AAAA-MM-JJ).",
            text.trim()
        )
    })
}

#[derive(Deserialize)]
pub struct ProposeForm {
    finess: String,
    #[serde(default)]
    reception: String,
    #[serde(default)]
    transports: Option<String>,
    #[serde(default)]
    duree_transports: String,
    #[serde(default)]
    pertinence: Option<String>,
    #[serde(default)]
    duree_pertinence: String,
    /// The volet pertinence's terms (W10): `retenue` or `msap`, its months, the ceiling.
    #[serde(default)]
    nature_pertinence: String,
    #[serde(default)]
    duree_msap_pertinence: String,
    #[serde(default)]
    plafond_pertinence: String,
    #[serde(default)]
    qualite: Option<String>,
    #[serde(default)]
    duree_qualite: String,
}

fn read_proposal(form: &ProposeForm) -> Result<NewContract, String> {
    // Empty: the proposal is received when the établissement opens it.
    let received_on = match form.reception.trim() {
        "" => None,
        text => Some(parse_date_field(text, "date de réception (papier)")?),
    };
    let mut additional = Vec::new();
    for (volet, checked, years) in [
        (Volet::Transports, &form.transports, &form.duree_transports),
        (Volet::Pertinence, &form.pertinence, &form.duree_pertinence),
        (Volet::Qualite, &form.qualite, &form.duree_qualite),
    ] {
        if checked.is_none() {
            continue;
        }
        let years: u8 = years.trim().parse().map_err(|_| {
            format!(
                "Champ « durée du volet {} » : nombre d'années entre 1 et 5 attendu.",
                volet.label()
            )
        })?;
        additional.push((volet, years));
    }
    let pertinence_terms = if form.pertinence.is_some() {
        Some(crate::volets::pertinence::read_terms(
            &form.nature_pertinence,
            &form.duree_msap_pertinence,
            &form.plafond_pertinence,
        )?)
    } else {
        None
    };
    Ok(NewContract {
        pertinence_terms,
        received_on,
        additional,
    })
}

pub async fn propose(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Form(form): Form<ProposeForm>,
) -> AppResult<Response> {
    regional(&session)?;
    require(&session.user, Role::Ars, "La proposition d'un contrat")?;
    // A malformed FINESS is an entity that does not exist (404, as outside the scope).
    let finess = Finess::parse(form.finess.trim()).map_err(|_| AppError::NotFound)?;
    let entity = state
        .store
        .legal_entity(&finess)
        .await?
        .filter(|e| session.user.can_read_entity(e))
        .ok_or(AppError::NotFound)?;
    let proposal = match read_proposal(&form) {
        Ok(p) => p,
        Err(m) => return list_error(&state, &session, m).await,
    };
    match state
        .store
        .propose_contract(&session.user, &entity, &proposal)
        .await
    {
        Ok(_) => Ok(flash::redirect(
            &format!("/contrats/{}", entity.finess),
            Flash::ContractProposed,
        )),
        Err(StoreError::Conflict(c)) => list_error(&state, &session, c.to_string()).await,
        Err(e) => Err(e.into()),
    }
}

async fn list_error(state: &AppState, session: &Session, m: String) -> AppResult<Response> {
    match render_list(state, session, Some(m), &ListQuery::default()).await? {
        Listed::Page(page) => Ok(page.invalid()),
        Listed::Csv(response) => Ok(response),
    }
}

async fn render(
    state: &AppState,
    session: &Session,
    finess: &Finess,
    confirm_refusal: bool,
    error: Option<String>,
) -> AppResult<ContractPage> {
    let (entity, contract) = load_contract(state, session, finess).await?;
    let params = params();
    let today = today();
    let c = &contract;
    // Before its receipt the proposal has no period yet (the établissement's
    // own opening is its receipt, recorded by `show` before rendering).
    let period = match c.receipt {
        Some(_) => Some(c.signature_period(&params).map_err(internal)?),
        None => None,
    };
    let role = session.user.role;
    let open = c.state == ContractState::Propose
        && match &period {
            Some(p) => today <= p.fin || c.hearing_pending(&params).map_err(internal)?,
            None => false,
        };
    let back = format!("/contrats/{}", entity.finess);
    let mut volets = Vec::new();
    for v in &c.volets {
        let term = match c.volet_term(&params, v).map_err(internal)? {
            Some(t) => format!("du {} au {}", fr_date(t.debut), fr_date(t.fin)),
            None if v.volet == Volet::Obligatoire => "durée indéterminée".to_owned(),
            None => "à compter du 1er janvier suivant la signature".to_owned(),
        };
        let term = match c.termination_of(v.volet) {
            Some(a) => format!(
                "{term} ; résilié au {}",
                fr_date(a.effective_on().map_err(internal)?)
            ),
            None => term,
        };
        volets.push(VoletLine {
            label: v.volet.label(),
            code: volet_code(v.volet),
            duration: v
                .duration_years
                .map(|y| format!("{y} an(s)"))
                .unwrap_or_else(|| "—".to_owned()),
            term,
            state: v.state.label(),
            terminable: v.volet != Volet::Obligatoire && v.state == VoletState::Actif,
            terms: v
                .pertinence_terms
                .map(crate::volets::pertinence::terms_sentence),
        });
    }
    let mut amendments = Vec::new();
    for a in &c.amendments {
        amendments.push(AmendmentLine {
            kind: match a.kind {
                AmendmentKind::Modification => "Avenant",
                AmendmentKind::Resiliation => "Avenant de résiliation",
            },
            object: match a.volet {
                Some(v) => format!("Volet {} : {}", v.label(), a.object),
                None => a.object.clone(),
            },
            signed_on: fr_date(a.signed_on),
            effective_on: fr_date(a.effective_on().map_err(internal)?),
            receipt: ReceiptView::new(
                &session.user,
                a.receipt.as_ref(),
                ReceiptKind::Avenant,
                a.id.as_str(),
                &back,
            ),
        });
    }
    let refusal = refusal::refusal_view(state, session, c, &back).await?;
    let deemed_refused = c.state == ContractState::Propose
        && period.as_ref().is_some_and(|p| today > p.fin)
        && !c.hearing_pending(&params).map_err(internal)?;
    let can_open_refusal = role == Role::Ars
        && refusal.is_none()
        && (c.state == ContractState::Refuse || deemed_refused);
    let view = ContractView {
        refusal,
        can_open_refusal,
        entity_name: entity.name.clone(),
        finess: entity.finess.to_string(),
        state: state_label(c, &params, today)?,
        receipt: ReceiptView::new(
            &session.user,
            c.receipt.as_ref(),
            ReceiptKind::Contrat,
            c.id.as_str(),
            &back,
        ),
        next: next_deadline(c, &params, today)?,
        period_end: period.as_ref().map(|p| fr_date(p.fin)).unwrap_or_default(),
        answer_until: if c.hearing_pending(&params).map_err(internal)? {
            "jusqu'au jour de l'audition, dont l'ARS fixera la date".to_owned()
        } else {
            period
                .as_ref()
                .map(|p| format!("jusqu'au {}", fr_date(p.deadline().date)))
                .unwrap_or_default()
        },
        extended: period.as_ref().is_some_and(|p| p.prolonge),
        hearing_requested_on: c.hearing_requested_on.map(fr_date),
        hearing_on: c.hearing_on.map(fr_date),
        decided: c.decided_on.map(|d| {
            format!(
                "{} le {}{}",
                c.state.label(),
                fr_date(d),
                c.decided_by
                    .as_ref()
                    .map(|b| format!(" par {b}"))
                    .unwrap_or_default()
            )
        }),
        entry_into_force: c.entry_into_force().map_err(internal)?.map(fr_date),
        sanction_from: match &period {
            // The day after the hearing, whose date the ARS has not fixed yet.
            Some(_) if c.hearing_pending(&params).map_err(internal)? => {
                "lendemain de l'audition".to_owned()
            }
            Some(p) => fr_date(p.sanction_notifiable_from().map_err(AppError::failed(
                "date à partir de laquelle la sanction peut être notifiée",
            ))?),
            None => String::new(),
        },
        amendments,
        can_answer: role == Role::Etablissement && open,
        can_request_hearing: role == Role::Etablissement
            && open
            && c.hearing_requested_on.is_none()
            && period.as_ref().is_some_and(|p| today <= p.fin_initiale),
        can_schedule_hearing: role == Role::Ars
            && c.state == ContractState::Propose
            && c.hearing_requested_on.is_some(),
        can_amend: role == Role::Ars && c.state == ContractState::Signe,
        can_terminate: role == Role::Ars
            && c.state == ContractState::Signe
            && volets.iter().any(|v| v.terminable),
        volets,
        confirm_refusal,
        today: today.to_string(),
        error,
    };
    let layout = Layout::for_user(
        &format!("Contrat — {}", entity.name),
        &session.user,
        &session.csrf,
    );
    Ok(ContractPage { layout, view })
}

/// Shows the contract; an établissement user of the entity opening it
/// acknowledges receipt of the proposal and of the avenants not yet received
/// (today, Europe/Paris), before the page shows the deadlines that follow.
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(finess): Path<Finess>,
) -> AppResult<ContractPage> {
    if session.user.role == Role::Etablissement {
        let (_, c) = load_contract(&state, &session, &finess).await?;
        let mut unread: Vec<(ReceiptKind, ReceiptId)> = Vec::new();
        if c.receipt.is_none() {
            unread.push((ReceiptKind::Contrat, ReceiptId::from(&c.id)));
        }
        for a in c.amendments.iter().filter(|a| a.receipt.is_none()) {
            unread.push((ReceiptKind::Avenant, ReceiptId::from(&a.id)));
        }
        // A notified refusal sanction is received when the page shows it.
        let refusal = state.store.refusal_of(&c.id).await?;
        if let Some(r) = refusal
            .as_ref()
            .filter(|r| r.is_notified() && r.receipt.is_none())
        {
            unread.push((ReceiptKind::SanctionRefus, ReceiptId::from(&r.id)));
        }
        state
            .store
            .acknowledge_opening(&session.user, &unread)
            .await?;
    }
    render(&state, &session, &finess, false, None).await
}

/// A user's mistake comes back on the page with its message (422).
async fn outcome<T>(
    state: &AppState,
    session: &Session,
    finess: &Finess,
    result: Result<T, StoreError>,
    done: Flash,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(flash::redirect(&format!("/contrats/{finess}"), done)),
        Err(StoreError::Conflict(c)) => render(state, session, finess, false, Some(c.to_string()))
            .await
            .map(Page::invalid),
        Err(e) => Err(e.into()),
    }
}

/// An action on the contract of `finess` (`/contrats/{finess}/…`): what every handler
/// below begins with (the contract in the user's scope, the role the action is
/// reserved to) and ends with (the contract page, or the page again with the user's
/// mistake).
pub struct ContractAction {
    state: AppState,
    session: Session,
    finess: Finess,
}

impl FromRequestParts<AppState> for ContractAction {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let CurrentUser(session) = CurrentUser::from_request_parts(parts, state).await?;
        let Path(finess) = Path::<Finess>::from_request_parts(parts, state).await?;
        Ok(ContractAction {
            state: state.clone(),
            session,
            finess,
        })
    }
}

impl ContractAction {
    /// The contract in the user's scope (404 otherwise), then the role `what` is
    /// reserved to (403 otherwise).
    async fn contract(&self, role: Role, what: &str) -> AppResult<Contract> {
        let (_, c) = load_contract(&self.state, &self.session, &self.finess).await?;
        require(&self.session.user, role, what)?;
        Ok(c)
    }

    fn user(&self) -> &User {
        &self.session.user
    }

    async fn outcome<T>(&self, result: Result<T, StoreError>, done: Flash) -> AppResult<Response> {
        outcome(&self.state, &self.session, &self.finess, result, done).await
    }

    /// The contract page again with `message` (422): a field the user must correct.
    async fn invalid(&self, message: String) -> AppResult<Response> {
        render(
            &self.state,
            &self.session,
            &self.finess,
            false,
            Some(message),
        )
        .await
        .map(Page::invalid)
    }
}

pub async fn sign(at: ContractAction) -> AppResult<Response> {
    let c = at
        .contract(Role::Etablissement, "La signature du contrat")
        .await?;
    let r = at.state.store.sign_contract(at.user(), &c, today()).await;
    at.outcome(r, Flash::ContractSigned).await
}

#[derive(Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    confirmation: String,
}

/// Without `confirmation=oui`, shows the confirmation step explaining the
/// consequence; with it, records the refusal.
pub async fn refuse(at: ContractAction, Form(form): Form<RefuseForm>) -> AppResult<Response> {
    let c = at
        .contract(Role::Etablissement, "Le refus du contrat")
        .await?;
    if form.confirmation != "oui" {
        return Ok(render(&at.state, &at.session, &at.finess, true, None)
            .await?
            .response());
    }
    let r = at.state.store.refuse_contract(at.user(), &c, today()).await;
    at.outcome(r, Flash::ContractRefused).await
}

pub async fn request_hearing(at: ContractAction) -> AppResult<Response> {
    let c = at
        .contract(Role::Etablissement, "La demande d'audition")
        .await?;
    let r = at.state.store.request_hearing(at.user(), &c, today()).await;
    at.outcome(r, Flash::HearingRequested).await
}

#[derive(Deserialize)]
pub struct HearingForm {
    date_audition: String,
}

pub async fn schedule_hearing(
    at: ContractAction,
    Form(form): Form<HearingForm>,
) -> AppResult<Response> {
    let c = at.contract(Role::Ars, "La date de l'audition").await?;
    let on = match parse_date_field(&form.date_audition, "date de l'audition") {
        Ok(d) => d,
        Err(m) => return at.invalid(m).await,
    };
    let r = at.state.store.schedule_hearing(at.user(), &c, on).await;
    at.outcome(r, Flash::HearingScheduled).await
}

#[derive(Deserialize)]
pub struct AmendmentForm {
    objet: String,
    date_signature: String,
}

pub async fn amend(at: ContractAction, Form(form): Form<AmendmentForm>) -> AppResult<Response> {
    let c = at
        .contract(Role::Ars, "L'enregistrement d'un avenant")
        .await?;
    let on = match parse_date_field(&form.date_signature, "date de signature de l'avenant") {
        Ok(d) => d,
        Err(m) => return at.invalid(m).await,
    };
    let r = at
        .state
        .store
        .record_amendment(at.user(), &c, &form.objet, on)
        .await;
    at.outcome(r, Flash::AmendmentRecorded).await
}

#[derive(Deserialize)]
pub struct TerminationForm {
    volet: String,
    motif: String,
    date_signature: String,
}

pub async fn terminate(
    at: ContractAction,
    Form(form): Form<TerminationForm>,
) -> AppResult<Response> {
    let c = at.contract(Role::Ars, "La résiliation d'un volet").await?;
    let Some(volet) = parse_volet(form.volet.trim()) else {
        let m = "Champ « volet » : choisissez un volet du contrat.";
        return at.invalid(m.into()).await;
    };
    let on = match parse_date_field(&form.date_signature, "date de signature de la résiliation") {
        Ok(d) => d,
        Err(m) => return at.invalid(m).await,
    };
    let r = at
        .state
        .store
        .terminate_volet(at.user(), &c, volet, &form.motif, on)
        .await;
    at.outcome(r, Flash::TerminationRecorded).await
}
