//! The procedure's papers, downloadable from the page where their subject is
//! shown (issue 11): each handler resolves the user's scope exactly as the page
//! does (`dossier::load`, the decision's visibility, the contract's scope), builds
//! the document from the same stored data and the same engine call as the page,
//! renders it with `caqes-documents`, records its issuance in the audit log
//! (who, which document, subject, SHA-256 of the bytes) and only then hands the
//! PDF over.
//!
//! - [`dossier`]: evaluation report, self-evaluation report, submission receipt,
//!   fiche récapitulative (dossier page; the fiche also from the campaign page);
//! - [`decision`]: the notification letter of the volet obligatoire's sanction;
//! - [`volets`]: each additional volet's decision letter;
//! - [`campaign`]: the IRAPS synthesis;
//! - [`refusal`]: the letter notifying the sanction for refusing to sign;
//! - [`generation2`]: the second generation's intéressement letter.
//!
//! Letters state their appeal deadline from the receipt recorded on the platform
//! (issue 15); before the receipt they say the deadline runs from it.

pub mod campaign;
pub mod decision;
pub mod dossier;
pub mod generation2;
pub mod refusal;

pub mod volets;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use caqes_core::RegionCode;
use caqes_core::calendar::{CalendarParameters, Contestation, appeal_court, appeal_deadline};
use caqes_documents::{
    Addressee, AppealDeadline, AppealRoute, Appeals, Authority, Context, DocumentError,
    Establishment, LetterFrame, Signatory,
};
use caqes_store::documents::Issuance;
use caqes_store::{LegalEntity, User};
use jiff::civil::Date;

use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;

/// The issuing authority of a region's documents: « Agence régionale de santé
/// Normandie ».
pub(crate) async fn authority(state: &AppState, region: &RegionCode) -> AppResult<Authority> {
    let name = state
        .store
        .region(region)
        .await?
        .map_or_else(|| region.to_string(), |r| r.name);
    Ok(Authority {
        name: format!("Agence régionale de santé {name}"),
        department: Some("Direction de l'offre de soins".into()),
        place: name,
        address: Vec::new(),
    })
}

/// The generation time: `SOURCE_DATE_EPOCH` when set (reproducible bytes), now otherwise.
pub(crate) fn context(authority: Authority) -> AppResult<Context> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let generated_at = Context::generation_time(epoch.as_deref(), jiff::Timestamp::now())
        .map_err(AppError::failed("date de génération du document"))?;
    Ok(Context {
        authority,
        generated_at,
    })
}

/// The establishment as documents name it.
pub(crate) fn establishment(entity: &LegalEntity) -> Establishment {
    Establishment {
        name: entity.name.clone(),
        finess: entity.finess,
        category: Some(entity.category.label().to_owned()),
        address: Vec::new(),
    }
}

/// The frame of a letter of the DG ARS dated `date`, signed by `signed_by`.
pub(crate) fn letter_frame(
    authority: &Authority,
    date: Date,
    reference: String,
    signed_by: Option<&str>,
) -> LetterFrame {
    LetterFrame {
        date,
        reference: Some(reference),
        followed_by: None,
        sending: Some(
            "Notification par la plateforme CAQES (accusé de réception électronique à la première ouverture)"
                .into(),
        ),
        addressee: Addressee {
            civility: "Madame la Directrice, Monsieur le Directeur".into(),
        },
        signatory: Signatory {
            title: format!("Le directeur général de l'{}", lower_first(&authority.name)),
            name: signed_by.unwrap_or("Le directeur général").to_owned(),
            delegation: signed_by.map(|_| "Pour le directeur général et par délégation".into()),
        },
        copies: vec!["Organisme local d'assurance maladie".into()],
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The appeal routes of a decision whose notification was `received` (when
/// recorded on the platform): `contestation` before the tribunal administratif
/// and the recovery terms before the social-security court of the receipt's
/// date (of the letter's date while not received), with the last day computed
/// by `caqes_core::calendar` from the receipt. Without a receipt the letter
/// says that the deadline runs from it.
pub(crate) fn appeals(
    params: &CalendarParameters,
    letter_date: Date,
    received: Option<Date>,
    contestation: Contestation,
) -> AppResult<Appeals> {
    let contests = match contestation {
        Contestation::MontantInteressement => "le montant de l'intéressement",
        _ => "la sanction et son montant",
    };
    let on = received.unwrap_or(letter_date);
    let deadline = match received {
        Some(r) => {
            let (_, d) = appeal_deadline(params, r, contestation)
                .map_err(AppError::failed("délai de recours"))?;
            Some(AppealDeadline {
                received_on: r,
                last_day: d.date,
            })
        }
        None => None,
    };
    Ok(Appeals {
        months: params.delai_recours_mois,
        routes: vec![
            AppealRoute {
                court: appeal_court(contestation, on).label().to_owned(),
                contests: contests.to_owned(),
            },
            AppealRoute {
                court: appeal_court(Contestation::ModalitesRecouvrement, on)
                    .label()
                    .to_owned(),
                contests: "les modalités de recouvrement".to_owned(),
            },
        ],
        deadline,
    })
}

/// Renders `document` off the async runtime (laying out and subsetting fonts is
/// CPU work; `what` names it in an error), records its issuance in the audit log,
/// then answers the PDF as an attachment named `issuance.filename`: the log holds
/// the SHA-256 of exactly the bytes handed over.
pub(crate) async fn issue<F>(
    state: &AppState,
    user: &User,
    what: &'static str,
    issuance: &Issuance<'_>,
    document: F,
) -> AppResult<Response>
where
    F: FnOnce() -> Result<Vec<u8>, DocumentError> + Send + 'static,
{
    let bytes = tokio::task::spawn_blocking(document)
        .await
        .map_err(|e| AppError::Internal(format!("{what} : {e}")))?
        .map_err(|e| AppError::Internal(format!("{what} : {e}")))?;
    state.store.record_issuance(user, issuance, &bytes).await?;
    tracing::info!(
        document = issuance.document,
        subject = issuance.subject_id,
        "document émis"
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", issuance.filename),
            ),
        ],
        bytes,
    )
        .into_response())
}
