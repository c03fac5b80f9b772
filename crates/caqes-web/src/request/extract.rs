//! The extractors every handler uses instead of axum's own: [`Form`],
//! [`Query`], [`Path`] and [`Multipart`] behave like axum's, but a request
//! they cannot read is answered through [`AppError`] — a French page with the
//! layout and a way back — instead of axum's English plain text (« Failed to
//! deserialize form body… »). The technical cause goes to the log.
//!
//! A path that does not parse is a page that does not exist (404); a form,
//! query string or multipart body that does not parse is a bad request (400);
//! a body over the limit is refused with 413 (the session layer refuses most
//! of them before reading them, see [`crate::router::BodyLimit`]).

#![expect(
    clippy::disallowed_types,
    reason = "the one place built on axum's own extractors (clippy.toml forbids them elsewhere)"
)]

use axum::extract::multipart::MultipartError;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;

use crate::request::error::AppError;

/// `axum::Form` with French rejections.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

/// `axum::extract::Query` with French rejections.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with French rejections (404).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// `axum::extract::Multipart` with French rejections; its fields are read
/// with [`Multipart::next_field`] as with axum's.
pub struct Multipart(axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(AppError::from)
    }
}

impl Multipart {
    pub async fn next_field(
        &mut self,
    ) -> Result<Option<axum::extract::multipart::Field<'_>>, MultipartError> {
        self.0.next_field().await
    }
}

const RELOAD: &str = "rechargez la page et recommencez ; si le problème persiste, signalez-le à l'administrateur de la plateforme.";

/// The French sentence for a multipart body that broke while being read (the
/// cause, in English, goes to the log).
pub fn multipart_error_message(e: &MultipartError) -> String {
    tracing::info!(error = %e, "envoi de fichier illisible");
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "l'envoi dépasse la taille permise pour ce formulaire".to_owned()
    } else {
        "l'envoi est incomplet ou illisible (connexion interrompue ou formulaire mal formé)"
            .to_owned()
    }
}

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        tracing::info!(error = %rejection.body_text(), "formulaire refusé");
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge("Le formulaire dépasse la taille permise.".into())
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::BadRequest(format!(
                "Le formulaire n'a pas été envoyé sous la forme attendue : {RELOAD}"
            )),
            _ => AppError::BadRequest(format!(
                "Le formulaire envoyé est incomplet ou contient une valeur illisible : {RELOAD}"
            )),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        tracing::info!(error = %rejection.body_text(), "paramètres d'adresse refusés");
        AppError::BadRequest(
            "L'adresse de la page contient un paramètre illisible : revenez à la page précédente et utilisez les liens et filtres proposés."
                .into(),
        )
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        match rejection {
            // The route table and the handler disagree: our error, not the user's.
            PathRejection::MissingPathParams(e) => AppError::Internal(e.body_text()),
            other => {
                tracing::info!(error = %other.body_text(), "chemin refusé");
                AppError::NotFound
            }
        }
    }
}

impl From<MultipartRejection> for AppError {
    fn from(rejection: MultipartRejection) -> Self {
        tracing::info!(error = %rejection.body_text(), "envoi de fichier refusé");
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge("L'envoi dépasse la taille permise.".into())
        } else {
            AppError::BadRequest(format!(
                "Ce formulaire attend un envoi de fichier (multipart/form-data) : {RELOAD}"
            ))
        }
    }
}
