//! Acknowledgements of receipt on the pages: what the ARS and the
//! établissement see (« reçu le … par … »), the form by which the ARS records
//! a paper receipt, and the electronic receipt recorded when an établissement
//! user opens a proposal, an avenant or a notified decision (see
//! `caqes_store::notify::receipt`).

use crate::request::extract::Form;
use crate::ui::flash::{self, Flash};
use axum::extract::State;
use axum::response::Response;
use caqes_store::notify::receipt::{Receipt, ReceiptKind, ReceiptMode};
use caqes_store::{ReceiptId, Role, User};
use jiff::civil::Date;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;

/// How a document's receipt is shown, with the paper form for the ARS.
#[derive(Clone, Debug)]
pub struct ReceiptView {
    /// « 03/02/2020 (accusé de réception électronique, ouverte par …) », or `None`.
    pub received: Option<String>,
    /// The ARS may record a paper receipt (none yet): the form's fields.
    pub paper_form: Option<PaperForm>,
}

#[derive(Clone, Debug)]
pub struct PaperForm {
    pub kind: &'static str,
    pub id: String,
    /// Where to come back after recording.
    pub back: String,
    pub today: String,
}

/// « 3 février 2020 (accusé de réception électronique, ouverte par Jeanne…) »:
/// `Receipt::describe` with the date in words.
pub fn describe(r: &Receipt) -> String {
    let by =
        r.by.as_ref()
            .map(|b| match r.mode {
                ReceiptMode::Papier => format!(", enregistré par {b}"),
                ReceiptMode::Electronique => format!(", ouverte par {b}"),
            })
            .unwrap_or_default();
    format!("{} ({}{by})", crate::ui::fr::date(r.on), r.mode.label())
}

impl ReceiptView {
    pub fn new(
        user: &User,
        receipt: Option<&Receipt>,
        kind: ReceiptKind,
        id: &str,
        back: &str,
    ) -> ReceiptView {
        Self::for_role(user.role, receipt, kind, id, back)
    }

    /// [`ReceiptView::new`] when only the role is at hand.
    pub fn for_role(
        role: Role,
        receipt: Option<&Receipt>,
        kind: ReceiptKind,
        id: &str,
        back: &str,
    ) -> ReceiptView {
        ReceiptView {
            received: receipt.map(describe),
            paper_form: (receipt.is_none() && role == Role::Ars).then(|| PaperForm {
                kind: kind.code(),
                id: id.to_owned(),
                back: back.to_owned(),
                today: crate::dossier::today().to_string(),
            }),
        }
    }
}

#[derive(Deserialize)]
pub struct PaperReceiptForm {
    objet: String,
    id: String,
    date_reception: String,
    retour: String,
}

fn kind_of(code: &str) -> Option<ReceiptKind> {
    [
        ReceiptKind::Contrat,
        ReceiptKind::Avenant,
        ReceiptKind::Decision,
        ReceiptKind::DecisionVolet,
        ReceiptKind::SanctionRefus,
        ReceiptKind::SurveillanceG2,
        ReceiptKind::PenaliteG2,
    ]
    .into_iter()
    .find(|k| k.code() == code)
}

/// The ARS records the date of a paper acknowledgement of receipt; the store
/// checks the role, the region and the dates (404 outside the region).
pub async fn record_paper(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(form): Form<PaperReceiptForm>,
) -> AppResult<Response> {
    if s.user.role != Role::Ars {
        return Err(AppError::Forbidden(
            "L'enregistrement d'une réception papier est réservé à l'ARS.".into(),
        ));
    }
    let kind = kind_of(form.objet.trim()).ok_or(AppError::NotFound)?;
    let on: Date = form.date_reception.trim().parse().map_err(|_| {
        AppError::Conflict(format!(
            "Champ « date de réception » : date illisible « {} » (attendu AAAA-MM-JJ).",
            form.date_reception.trim()
        ))
    })?;
    state
        .store
        .record_paper_receipt(&s.user, kind, &ReceiptId::from(form.id.trim()), on)
        .await?;
    let back = if form.retour.starts_with('/') && !form.retour.starts_with("//") {
        form.retour
    } else {
        "/".to_owned()
    };
    Ok(flash::redirect(&back, Flash::PaperReceipt))
}
