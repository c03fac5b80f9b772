//! The sanction for refusing to sign a contract (L162-30-2, seed 004): the ARS
//! opens the procedure once the contract is refused or réputé refusé, decides
//! the basis and the amount (the ceiling, or less with a motivation), notifies
//! it; the établissement sees it from its notification, with the appeal route
//! and deadline that follow from its receipt.

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::{Contract, LegalEntity, Role};
use serde::Deserialize;

use super::{fr_date, load_contract, outcome, params, parse_date_field, render};
use crate::auth::role::require;
use crate::auth::{CurrentUser, Session};
use crate::dossier::today;
use crate::notifications::receipt::ReceiptView;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::Flash;
use crate::ui::page::Page;

/// The sanction for refusing to sign (`caqes_store::refusal`), as shown.
pub struct RefusalView {
    pub ground: &'static str,
    pub state: &'static str,
    pub basis: Option<String>,
    pub ceiling: Option<String>,
    pub amount: Option<String>,
    pub motivation: Option<String>,
    pub decided_by: Option<String>,
    pub notified_on: Option<String>,
    /// The notification's receipt, with the ARS's paper form.
    pub receipt: Option<ReceiptView>,
    /// « 15/05/2019 (tribunal administratif) » once received.
    pub appeal_deadline: Option<String>,
    pub can_decide: bool,
    pub can_notify: bool,
    /// The letter exists (notified).
    pub letter: bool,
    /// Both bases, for the decision form.
    pub am_revenue: Option<String>,
    pub liste_en_sus: Option<String>,
}

pub(super) async fn refusal_view(
    state: &AppState,
    session: &Session,
    c: &Contract,
    back: &str,
) -> AppResult<Option<RefusalView>> {
    let role = session.user.role;
    let Some(r) = state.store.refusal_of(&c.id).await? else {
        return Ok(None);
    };
    // The établissement learns of the sanction by its notification only.
    if role == Role::Etablissement && !r.is_notified() {
        return Ok(None);
    }
    let appeal_deadline = match &r.receipt {
        Some(rc) => {
            let (court, d) = caqes_core::calendar::appeal_deadline(
                &params(),
                rc.on,
                caqes_core::calendar::Contestation::Sanction,
            )
            .map_err(AppError::failed(
                "délai de recours de la sanction pour refus",
            ))?;
            Some(format!("{} ({})", fr_date(d.date), court.label()))
        }
        None => None,
    };
    let figures = if role == Role::Ars && !r.is_notified() {
        Some(state.store.am_figures(&c.entity).await?)
    } else {
        None
    };
    Ok(Some(RefusalView {
        ground: r.ground.label(),
        state: r.state.label(),
        basis: r.basis.map(|b| match b {
            caqes_core::sanction::SanctionBasis::ProduitsAm(e) => {
                format!("1 % des produits de l'assurance maladie ({e})")
            }
            caqes_core::sanction::SanctionBasis::ListeEnSus(e) => {
                format!("30 % de la liste en sus ({e})")
            }
        }),
        ceiling: r.ceiling.map(|e| e.to_string()),
        amount: r.amount.map(|e| e.to_string()),
        motivation: r.motivation.clone(),
        decided_by: r.decided_by.clone(),
        notified_on: r.notified_on.map(fr_date),
        receipt: r.is_notified().then(|| {
            ReceiptView::new(
                &session.user,
                r.receipt.as_ref(),
                ReceiptKind::SanctionRefus,
                r.id.as_str(),
                back,
            )
        }),
        appeal_deadline,
        can_decide: role == Role::Ars && !r.is_notified(),
        can_notify: role == Role::Ars && r.state == caqes_core::refusal::RefusalState::Decidee,
        letter: r.is_notified(),
        am_revenue: figures
            .as_ref()
            .and_then(|f| f.am_revenue)
            .map(|e| e.to_string()),
        liste_en_sus: figures
            .as_ref()
            .and_then(|f| f.liste_en_sus)
            .map(|e| e.to_string()),
    }))
}

/// `POST /contrats/{finess}/sanction-refus/ouvrir`: the ARS opens the procedure
/// (the store checks that the contract is refused or réputé refusé).
pub async fn open_refusal(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(finess): Path<Finess>,
) -> AppResult<Response> {
    let (_, c) = load_contract(&state, &session, &finess).await?;
    require(
        &session.user,
        Role::Ars,
        "L'ouverture de la procédure de sanction",
    )?;
    let r = state.store.open_refusal(&session.user, &c, today()).await;
    outcome(&state, &session, &finess, r, Flash::RefusalOpened).await
}

#[derive(Deserialize)]
pub struct RefusalDecisionForm {
    #[serde(default)]
    assiette: String,
    #[serde(default)]
    montant: String,
    #[serde(default)]
    motivation: String,
}

/// `POST /contrats/{finess}/sanction-refus/decider`: the basis, and an amount
/// (empty: the ceiling) with its motivation when lower.
pub async fn decide_refusal(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(finess): Path<Finess>,
    Form(form): Form<RefusalDecisionForm>,
) -> AppResult<Response> {
    let (_, c) = load_contract(&state, &session, &finess).await?;
    require(&session.user, Role::Ars, "La décision de sanction")?;
    let basis = match form.assiette.trim() {
        "produits_am" => caqes_core::sanction::Basis::ProduitsAm,
        "liste_en_sus" => caqes_core::sanction::Basis::ListeEnSus,
        _ => {
            let m = "Champ « assiette » : choisissez les produits de l'assurance maladie ou la liste en sus.";
            return render(&state, &session, &finess, false, Some(m.into()))
                .await
                .map(Page::invalid);
        }
    };
    let amount = if form.montant.trim().is_empty() {
        None
    } else {
        match crate::volets::lifecycle::parse_amount("montant", &form.montant) {
            Ok(a) => Some(a),
            Err(m) => {
                return render(&state, &session, &finess, false, Some(format!("Champ {m}")))
                    .await
                    .map(Page::invalid);
            }
        }
    };
    let r = state
        .store
        .decide_refusal(&session.user, &c, basis, amount, Some(&form.motivation))
        .await;
    outcome(&state, &session, &finess, r, Flash::RefusalDecided).await
}

#[derive(Deserialize)]
pub struct RefusalNotifyForm {
    #[serde(default)]
    date_notification: String,
}

/// `POST /contrats/{finess}/sanction-refus/notifier`.
pub async fn notify_refusal(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(finess): Path<Finess>,
    Form(form): Form<RefusalNotifyForm>,
) -> AppResult<Response> {
    let (_, c) = load_contract(&state, &session, &finess).await?;
    require(&session.user, Role::Ars, "La notification de la sanction")?;
    let on = match parse_date_field(&form.date_notification, "date de notification") {
        Ok(d) => d,
        Err(m) => {
            return render(&state, &session, &finess, false, Some(m))
                .await
                .map(Page::invalid);
        }
    };
    let r = state.store.notify_refusal(&session.user, &c, on).await;
    outcome(&state, &session, &finess, r, Flash::RefusalNotified).await
}

/// The contract and its refusal procedure within the user's scope, for the
/// letter (`documents::refusal`): 404 outside it, like the page.
pub(crate) async fn refusal_scope(
    state: &AppState,
    session: &Session,
    finess: &Finess,
) -> AppResult<(LegalEntity, Contract)> {
    load_contract(state, session, finess).await
}
