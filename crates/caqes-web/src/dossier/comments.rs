//! The dossier comments of the OMEDIT and the ARS, shown on the dossier page:
//! internal ones for the regional roles, shared ones for the établissement too.

use axum::extract::State;
use axum::response::Response;
use caqes_store::{Role, User, Visibility};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::dossier::Dossier;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::state::AppState;
use crate::ui::flash::{self, Flash};

pub struct CommentLine {
    pub at: String,
    pub author: String,
    pub role: &'static str,
    pub indicator: String,
    pub shared: bool,
    pub visibility: &'static str,
    pub body: String,
}

/// The comments block of the dossier page.
pub struct CommentsView {
    pub lines: Vec<CommentLine>,
    /// The OMEDIT and the ARS of the region comment; others only read.
    pub can_comment: bool,
    pub action: String,
    /// Indicator codes of the référentiel, for the optional indicator.
    pub indicators: Vec<(String, String)>,
}

fn may_comment(role: Role) -> bool {
    matches!(role, Role::Omedit | Role::Ars)
}

/// Internal comments are for the regional roles (and administrators); the
/// établissement only sees the shared ones.
fn sees_internal(role: Role) -> bool {
    role != Role::Etablissement
}

/// Loads the comments `user` may read on an already authorized dossier.
pub async fn comments_view(state: &AppState, user: &User, d: &Dossier) -> AppResult<CommentsView> {
    let lines = state
        .store
        .comments_of(&d.submission.id, sees_internal(user.role))
        .await?
        .into_iter()
        .map(|c| CommentLine {
            at: crate::ui::fr::instant(&c.at),
            author: c.author_name,
            role: c.author_role.label(),
            indicator: c.indicator.unwrap_or_default(),
            shared: c.visibility == Visibility::Partage,
            visibility: c.visibility.label(),
            body: c.body,
        })
        .collect();
    Ok(CommentsView {
        lines,
        can_comment: may_comment(user.role),
        action: format!(
            "/campagnes/{}/dossiers/{}/commentaires",
            d.campaign.id, d.entity.finess
        ),
        indicators: d
            .referentiel
            .indicators
            .iter()
            .map(|i| (i.code.clone(), i.label.clone()))
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct CommentInput {
    #[serde(default)]
    body: String,
    #[serde(default)]
    indicator: String,
    #[serde(default)]
    visibility: String,
}

/// Adds a comment (OMEDIT or ARS of the dossier's region; anyone else 404).
pub async fn add_comment(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(input): Form<CommentInput>,
) -> AppResult<Response> {
    let d = crate::dossier::load(&state, &s.user, &campaign_id, &finess).await?;
    if !may_comment(s.user.role) {
        return Err(AppError::NotFound);
    }
    let body = input.body.trim();
    if body.is_empty() {
        return Err(AppError::Conflict(
            "Commentaire : le texte est obligatoire.".into(),
        ));
    }
    let visibility = Visibility::parse(input.visibility.trim()).ok_or_else(|| {
        AppError::Conflict("Visibilité : choisir « interne » ou « partagé ».".into())
    })?;
    let indicator = match input.indicator.trim() {
        "" => None,
        code if d.referentiel.indicator(code).is_some() => Some(code),
        code => {
            return Err(AppError::Conflict(format!(
                "Indicateur : « {code} » n'appartient pas au référentiel de la campagne."
            )));
        }
    };
    state
        .store
        .add_comment(
            &s.user,
            &d.submission,
            &d.campaign.region,
            indicator,
            visibility,
            body,
        )
        .await?;
    Ok(flash::redirect(
        &format!(
            "/campagnes/{}/dossiers/{}#commentaires",
            d.campaign.id, d.entity.finess
        ),
        Flash::CommentAdded,
    ))
}
