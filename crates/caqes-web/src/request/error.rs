//! One error type for every handler: a French page for the user, the cause in the log.
//!
//! Anything a user may not see answers 404 exactly like something that does
//! not exist, so that identifiers of other entities reveal nothing.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::ui::{ErrorPage, Layout};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not found, or outside the user's scope.
    #[error("page introuvable")]
    NotFound,
    /// Not logged in: go to the login page.
    #[error("connexion requise")]
    LoginRequired,
    /// Missing or wrong CSRF token, or an action reserved to another role.
    #[error("{0}")]
    Forbidden(String),
    /// The request cannot be applied in the current state (shown to the user).
    #[error("{0}")]
    Conflict(String),
    /// Too many login attempts: wait `retry_after` seconds (sent as `Retry-After`).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// A request the server cannot read: a malformed form, query string or
    /// multipart body (the cause goes to the log, not to the page).
    #[error("{0}")]
    BadRequest(String),
    /// A body larger than the route allows, refused before it is read.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The server is busy with the same work for others (e.g. XLSX parsing):
    /// 503 with `Retry-After`.
    #[error("{0}")]
    Busy(String),
    /// A method the route does not answer (e.g. GET on a form's target).
    #[error("méthode non autorisée")]
    MethodNotAllowed,
    #[error(transparent)]
    Store(#[from] caqes_store::StoreError),
    /// A page that could not be rendered (a bug: the cause goes to the log).
    #[error("gabarit : {0}")]
    Template(#[from] askama::Error),
    #[error("erreur interne : {0}")]
    Internal(String),
    /// A step that failed for a technical reason (a file, a thread, a date out
    /// of range): what it was, the failure kept as the source for the log.
    #[error("erreur interne : {what}")]
    Failed {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl AppError {
    /// The [`AppError::Failed`] of `what`, for `map_err`.
    pub fn failed<E>(what: &'static str) -> impl FnOnce(E) -> AppError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        move |source| AppError::Failed {
            what,
            source: Box::new(source),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// `Retry-After` of [`AppError::Busy`].
pub const BUSY_RETRY_SECONDS: u64 = 5;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "La page demandée n'existe pas ou vous n'y avez pas accès.".to_owned(),
            ),
            AppError::LoginRequired => return Redirect::to("/connexion").into_response(),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "Action refusée", m.clone()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, "Action impossible", m.clone()),
            AppError::TooManyRequests { message, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de tentatives",
                message.clone(),
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Requête invalide", m.clone()),
            AppError::PayloadTooLarge(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "Envoi trop volumineux", m.clone())
            }
            AppError::Busy(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service momentanément occupé",
                m.clone(),
            ),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Action impossible",
                "Cette adresse ne s'ouvre pas ainsi : revenez à la page précédente et utilisez le bouton ou le formulaire prévu."
                    .to_owned(),
            ),
            AppError::Store(caqes_store::StoreError::Workflow(e)) => {
                (StatusCode::FORBIDDEN, "Action refusée", e.to_string())
            }
            AppError::Store(caqes_store::StoreError::Conflict(c)) => {
                (StatusCode::CONFLICT, "Action impossible", c.to_string())
            }
            AppError::Store(caqes_store::StoreError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "La page demandée n'existe pas ou vous n'y avez pas accès.".to_owned(),
            ),
            AppError::Store(_)
            | AppError::Template(_)
            | AppError::Internal(_)
            | AppError::Failed { .. } => {
                // The causes too: a store error keeps the refusal it reports as its source.
                let causes = std::iter::successors(std::error::Error::source(&self), |e| e.source())
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ; ");
                tracing::error!(error = %self, causes, "erreur interne");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur technique",
                    "Une erreur technique est survenue ; réessayez plus tard.".to_owned(),
                )
            }
        };
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            AppError::Busy(_) => Some(BUSY_RETRY_SECONDS),
            _ => None,
        };
        let page = ErrorPage {
            layout: Layout::anonymous(title),
            message,
        };
        let mut response = match page.render() {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => (status, message_fallback(title)).into_response(),
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

fn message_fallback(title: &str) -> String {
    title.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A technical failure answers the generic 500 page, never its cause, and
    /// keeps the cause as its source for the log.
    #[tokio::test]
    async fn a_failed_step_is_a_500_that_keeps_its_source_out_of_the_page() {
        let err = AppError::failed("lecture du fichier déposé")(std::io::Error::other(
            "/srv/caqes/secret: permission refusée",
        ));
        assert_eq!(
            err.to_string(),
            "erreur interne : lecture du fichier déposé"
        );
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("/srv/caqes/secret: permission refusée")
        );
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("Erreur technique"), "{page}");
        assert!(!page.contains("secret"), "{page}");
    }
}
