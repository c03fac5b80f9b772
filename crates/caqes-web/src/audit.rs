//! The audit log of the region, for the ARS.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use caqes_store::Role;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::pages::{AuditPage, Layout};

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<Html<String>> {
    let region = match (s.user.role, &s.user.region) {
        (Role::Ars, Some(r)) => r.clone(),
        _ => return Err(AppError::NotFound),
    };
    let region_name = state
        .store
        .region(&region)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let entries = state.store.audit_in_region(&region, 500).await?;
    let layout = Layout::for_user("Journal d'audit", &s.user, &s.csrf);
    Ok(Html(
        AuditPage {
            layout,
            region_name,
            entries,
        }
        .render()?,
    ))
}
