//! The confirmation message after an action (« flash »): a POST handler answers
//! with [`redirect`], which marks the redirection with a [`Flash`]; [`layer`]
//! turns the mark into a short-lived cookie holding the flash's code, and on
//! the next page shown reads the code back, puts its French sentence in the
//! layout (a DSFR `fr-alert--success` in `base.html`) and clears the cookie.
//!
//! Only the code travels, and only codes of [`Flash::ALL`] are read: a forged
//! cookie can at most show one of these fixed sentences, never text of its own.
//! A cookie rather than a query string: the address the user copies or
//! reloads does not repeat the message, and no redirection changes.

use axum::extract::Request;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const FLASH_COOKIE: &str = "caqes_flash";

/// Every confirmation the application gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flash {
    DraftSaved,
    Submitted,
    TakenIntoReview,
    SentBack,
    Validated,
    Evaluated,
    Contested,
    Closed,
    CommentAdded,
    CommentAnswered,
    TargetsProposed,
    TargetAccepted,
    TargetSentBack,
    ActionAdded,
    ActionUpdated,
    DocumentUploaded,
    DocumentDeleted,
    AmOpinion,
    DecisionRecorded,
    DecisionNotified,
    DecisionCorrected,
    BasisChosen,
    VoletEvaluated,
    CampaignCreated,
    ContractProposed,
    ContractSigned,
    ContractRefused,
    HearingRequested,
    HearingScheduled,
    AmendmentRecorded,
    TerminationRecorded,
    AccountCreated,
    AccountDeactivated,
    AccountReactivated,
    PasswordChanged,
    LoggedOut,
    NotificationsRead,
    EmailRetried,
    PaperReceipt,
    NcAccepted,
    NcRefused,
    RefusalOpened,
    RefusalDecided,
    RefusalNotified,
    UnitChosen,
    TargetingConfirmed,
    SecondProposal,
    ValuesSaved,
    RevisionRecorded,
    ReportRecorded,
    IncentiveDecided,
    IncentiveNotified,
    DossierOpened,
    SurveillanceSet,
    ObservationsInvited,
    ObservationsPresented,
    SurveillanceDecided,
    PenaltyDecided,
    ObjectiveSet,
    OpinionRecorded,
    ValuesImported,
}

impl Flash {
    pub const ALL: [Flash; 61] = [
        Flash::DraftSaved,
        Flash::Submitted,
        Flash::TakenIntoReview,
        Flash::SentBack,
        Flash::Validated,
        Flash::Evaluated,
        Flash::Contested,
        Flash::Closed,
        Flash::CommentAdded,
        Flash::CommentAnswered,
        Flash::TargetsProposed,
        Flash::TargetAccepted,
        Flash::TargetSentBack,
        Flash::ActionAdded,
        Flash::ActionUpdated,
        Flash::DocumentUploaded,
        Flash::DocumentDeleted,
        Flash::AmOpinion,
        Flash::DecisionRecorded,
        Flash::DecisionNotified,
        Flash::DecisionCorrected,
        Flash::BasisChosen,
        Flash::VoletEvaluated,
        Flash::CampaignCreated,
        Flash::ContractProposed,
        Flash::ContractSigned,
        Flash::ContractRefused,
        Flash::HearingRequested,
        Flash::HearingScheduled,
        Flash::AmendmentRecorded,
        Flash::TerminationRecorded,
        Flash::AccountCreated,
        Flash::AccountDeactivated,
        Flash::AccountReactivated,
        Flash::PasswordChanged,
        Flash::LoggedOut,
        Flash::NotificationsRead,
        Flash::EmailRetried,
        Flash::PaperReceipt,
        Flash::NcAccepted,
        Flash::NcRefused,
        Flash::RefusalOpened,
        Flash::RefusalDecided,
        Flash::RefusalNotified,
        Flash::UnitChosen,
        Flash::TargetingConfirmed,
        Flash::SecondProposal,
        Flash::ValuesSaved,
        Flash::RevisionRecorded,
        Flash::ReportRecorded,
        Flash::IncentiveDecided,
        Flash::IncentiveNotified,
        Flash::DossierOpened,
        Flash::SurveillanceSet,
        Flash::ObservationsInvited,
        Flash::ObservationsPresented,
        Flash::SurveillanceDecided,
        Flash::PenaltyDecided,
        Flash::ObjectiveSet,
        Flash::OpinionRecorded,
        Flash::ValuesImported,
    ];

    /// The cookie's value: letters and dashes only.
    pub fn code(self) -> &'static str {
        match self {
            Flash::DraftSaved => "brouillon",
            Flash::Submitted => "soumis",
            Flash::TakenIntoReview => "en-revue",
            Flash::SentBack => "renvoye",
            Flash::Validated => "valide",
            Flash::Evaluated => "evalue",
            Flash::Contested => "conteste",
            Flash::Closed => "clos",
            Flash::CommentAdded => "commentaire",
            Flash::CommentAnswered => "reponse-commentaire",
            Flash::TargetsProposed => "cibles-proposees",
            Flash::TargetAccepted => "cible-acceptee",
            Flash::TargetSentBack => "cible-renvoyee",
            Flash::ActionAdded => "action-ajoutee",
            Flash::ActionUpdated => "action-modifiee",
            Flash::DocumentUploaded => "piece-deposee",
            Flash::DocumentDeleted => "piece-supprimee",
            Flash::AmOpinion => "avis",
            Flash::DecisionRecorded => "decision",
            Flash::DecisionNotified => "notifiee",
            Flash::DecisionCorrected => "corrigee",
            Flash::BasisChosen => "assiette",
            Flash::VoletEvaluated => "volet-evalue",
            Flash::CampaignCreated => "campagne",
            Flash::ContractProposed => "contrat-propose",
            Flash::ContractSigned => "contrat-signe",
            Flash::ContractRefused => "contrat-refuse",
            Flash::HearingRequested => "audition-demandee",
            Flash::HearingScheduled => "audition-fixee",
            Flash::AmendmentRecorded => "avenant",
            Flash::TerminationRecorded => "resiliation",
            Flash::AccountCreated => "compte-cree",
            Flash::AccountDeactivated => "compte-desactive",
            Flash::AccountReactivated => "compte-reactive",
            Flash::PasswordChanged => "mot-de-passe-modifie",
            Flash::LoggedOut => "deconnecte",
            Flash::NotificationsRead => "tout-lu",
            Flash::EmailRetried => "courriel-relance",
            Flash::PaperReceipt => "reception-papier",
            Flash::NcAccepted => "nc-accepte",
            Flash::NcRefused => "nc-refuse",
            Flash::RefusalOpened => "refus-procedure",
            Flash::RefusalDecided => "refus-decide",
            Flash::RefusalNotified => "refus-notifie",
            Flash::UnitChosen => "unite-contrat",
            Flash::TargetingConfirmed => "ciblage-confirme",
            Flash::SecondProposal => "seconde-proposition",
            Flash::ValuesSaved => "valeurs-enregistrees",
            Flash::RevisionRecorded => "revision",
            Flash::ReportRecorded => "rapport-recu",
            Flash::IncentiveDecided => "interessement-decide",
            Flash::IncentiveNotified => "interessement-notifie",
            Flash::DossierOpened => "dossier-ouvert",
            Flash::SurveillanceSet => "surveillance-fixee",
            Flash::ObservationsInvited => "observations-invitees",
            Flash::ObservationsPresented => "observations-presentees",
            Flash::SurveillanceDecided => "surveillance-decidee",
            Flash::PenaltyDecided => "penalite-decidee",
            Flash::ObjectiveSet => "objectif-fixe",
            Flash::OpinionRecorded => "avis-enregistre",
            Flash::ValuesImported => "valeurs-importees",
        }
    }

    /// The sentence shown.
    pub fn message(self) -> &'static str {
        match self {
            Flash::DraftSaved => "Brouillon enregistré.",
            Flash::Submitted => {
                "Auto-évaluation soumise à l'ARS : l'accusé de dépôt figure sur cette page."
            }
            Flash::TakenIntoReview => "Dossier pris en revue.",
            Flash::SentBack => "Dossier renvoyé à l'établissement avec votre motif.",
            Flash::Validated => "Dossier validé.",
            Flash::Evaluated => "Dossier évalué : le score retenu est enregistré.",
            Flash::Contested => "Contestation enregistrée.",
            Flash::Closed => "Dossier clos.",
            Flash::CommentAdded => "Commentaire ajouté.",
            Flash::CommentAnswered => "Réponse envoyée ; les auteurs du fil en sont avertis.",
            Flash::TargetsProposed => "Cible proposée : l'ARS l'examinera.",
            Flash::TargetAccepted => "Cible acceptée.",
            Flash::TargetSentBack => "Cible renvoyée à l'établissement.",
            Flash::ActionAdded => "Action ajoutée au plan d'actions.",
            Flash::ActionUpdated => "Action mise à jour.",
            Flash::DocumentUploaded => "Pièce déposée.",
            Flash::DocumentDeleted => "Pièce supprimée.",
            Flash::AmOpinion => "Avis de l'Assurance Maladie enregistré.",
            Flash::DecisionRecorded => "Décision enregistrée.",
            Flash::DecisionNotified => "Décision notifiée à l'établissement.",
            Flash::DecisionCorrected => "Décision corrigée : la nouvelle version est enregistrée.",
            Flash::BasisChosen => "Assiette de la sanction enregistrée.",
            Flash::VoletEvaluated => "Évaluation du volet enregistrée.",
            Flash::CampaignCreated => "Campagne créée.",
            Flash::ContractProposed => "Contrat proposé à l'établissement.",
            Flash::ContractSigned => "Contrat signé.",
            Flash::ContractRefused => "Refus du contrat enregistré.",
            Flash::HearingRequested => "Demande d'audition enregistrée : l'ARS en fixera la date.",
            Flash::HearingScheduled => "Date de l'audition enregistrée.",
            Flash::AmendmentRecorded => "Avenant enregistré.",
            Flash::TerminationRecorded => "Résiliation enregistrée.",
            Flash::AccountCreated => "Compte créé.",
            Flash::AccountDeactivated => "Compte désactivé.",
            Flash::AccountReactivated => "Compte réactivé.",
            Flash::PasswordChanged => {
                "Mot de passe modifié : reconnectez-vous avec le nouveau mot de passe."
            }
            Flash::LoggedOut => "Vous êtes déconnecté.",
            Flash::NotificationsRead => "Toutes les notifications sont marquées comme lues.",
            Flash::EmailRetried => "Le courriel sera renvoyé.",
            Flash::PaperReceipt => "Date de réception enregistrée.",
            Flash::NcAccepted => {
                "Non-concernement accepté : l'indicateur est NC pour cet établissement."
            }
            Flash::NcRefused => {
                "Non-concernement refusé : l'établissement lit votre motif, l'indicateur reste concerné."
            }
            Flash::RefusalOpened => "Procédure de sanction pour refus de signature ouverte.",
            Flash::RefusalDecided => "Sanction pour refus de signature décidée.",
            Flash::RefusalNotified => {
                "Sanction pour refus de signature notifiée à l'établissement."
            }
            Flash::UnitChosen => "Unité de contrat de la campagne enregistrée.",
            Flash::TargetingConfirmed => "Ciblage confirmé.",
            Flash::SecondProposal => {
                "Seconde proposition enregistrée : le délai de 15 jours court depuis sa réception."
            }
            Flash::ValuesSaved => "Valeurs enregistrées.",
            Flash::RevisionRecorded => "Révision de l'intéressement enregistrée.",
            Flash::ReportRecorded => {
                "Réception du rapport d'évaluation enregistrée : le calendrier de l'évaluation est affiché."
            }
            Flash::IncentiveDecided => "Intéressement décidé.",
            Flash::IncentiveNotified => "Intéressement notifié : la lettre est téléchargeable.",
            Flash::DossierOpened => {
                "Dossier ouvert dans la campagne : l'établissement peut le remplir et le déposer."
            }
            Flash::SurveillanceSet => {
                "Mise sous surveillance enregistrée : l'établissement en est notifié."
            }
            Flash::ObservationsInvited => {
                "Invitation enregistrée : l'établissement est notifié et peut présenter ses observations."
            }
            Flash::ObservationsPresented => "Observations transmises à l'ARS.",
            Flash::SurveillanceDecided => {
                "Décision de la mise sous surveillance enregistrée et notifiée à l'établissement."
            }
            Flash::PenaltyDecided => "Pénalité décidée et notifiée à l'établissement.",
            Flash::ObjectiveSet => {
                "Objectif de l'établissement enregistré : l'établissement en est notifié."
            }
            Flash::OpinionRecorded => "Avis enregistré.",
            Flash::ValuesImported => {
                "Valeurs importées : toutes les lignes du fichier sont enregistrées."
            }
        }
    }

    pub fn from_code(code: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.code() == code)
    }
}

tokio::task_local! {
    /// The flash of the current request, read by `Layout`.
    static CURRENT: Option<Flash>;
}

/// The confirmation to show on the page being rendered, if any.
pub fn in_request() -> Option<&'static str> {
    CURRENT.try_with(|f| f.map(Flash::message)).ok().flatten()
}

/// A redirection (303) after a successful action, carrying its confirmation.
pub fn redirect(to: &str, flash: Flash) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.extensions_mut().insert(flash);
    response
}

fn cookie_flash(req: &Request) -> Option<Flash> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == FLASH_COOKIE)
        .and_then(|(_, v)| Flash::from_code(v))
}

fn set_cookie(value: &str, max_age: u32, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    // Codes are ASCII letters and dashes: always a valid header.
    HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Reads the flash cookie for the page, writes the one a handler set, and
/// clears a flash once an HTML page has shown it. `secure`: the site's
/// cookies carry `Secure`.
pub async fn layer(secure: bool, req: Request, next: Next) -> Response {
    let shown = cookie_flash(&req);
    let mut response = CURRENT.scope(shown, next.run(req)).await;
    if let Some(flash) = response.extensions_mut().remove::<Flash>() {
        // Two minutes: time to follow the redirection, not to resurface later.
        response
            .headers_mut()
            .append(SET_COOKIE, set_cookie(flash.code(), 120, secure));
    } else if shown.is_some() && is_page(&response) {
        response
            .headers_mut()
            .append(SET_COOKIE, set_cookie("", 0, secure));
    }
    response
}

/// An HTML page the user sees (not a script, an image or a redirection).
fn is_page(response: &Response) -> bool {
    response.status() != StatusCode::SEE_OTHER
        && response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_read_back() {
        for f in Flash::ALL {
            assert_eq!(Flash::from_code(f.code()), Some(f), "{f:?}");
            assert!(
                f.code().chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{f:?}"
            );
            assert!(f.message().ends_with('.'), "{f:?}");
        }
        assert_eq!(Flash::from_code("<script>"), None);
        assert_eq!(Flash::from_code(""), None);
    }
}
