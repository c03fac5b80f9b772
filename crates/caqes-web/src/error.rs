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
    #[error("{0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Store(#[from] caqes_store::StoreError),
    #[error("erreur interne : {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("gabarit : {e}"))
    }
}

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
            AppError::TooManyRequests(m) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de tentatives",
                m.clone(),
            ),
            AppError::Store(caqes_store::StoreError::Workflow(e)) => {
                (StatusCode::FORBIDDEN, "Action refusée", e.to_string())
            }
            AppError::Store(caqes_store::StoreError::Conflict(m)) => {
                (StatusCode::CONFLICT, "Action impossible", m.clone())
            }
            AppError::Store(caqes_store::StoreError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "La page demandée n'existe pas ou vous n'y avez pas accès.".to_owned(),
            ),
            AppError::Store(_) | AppError::Internal(_) => {
                tracing::error!(error = %self, "erreur interne");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur technique",
                    "Une erreur technique est survenue ; réessayez plus tard.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            layout: Layout::anonymous(title),
            message,
        };
        match page.render() {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => (status, message_fallback(title)).into_response(),
        }
    }
}

fn message_fallback(title: &str) -> String {
    title.to_owned()
}
