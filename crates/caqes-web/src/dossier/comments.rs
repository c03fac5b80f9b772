//! The dossier comments of the OMEDIT and the ARS, shown on the dossier page:
//! internal ones for the regional roles, shared ones for the établissement too.

use caqes_core::Finess;
use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use caqes_store::CampaignId;
use caqes_store::{Comment, Role, User, Visibility};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::dossier::Dossier;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
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
    /// Comments on the dossier as a whole (the others sit on their indicator's line).
    pub lines: Vec<CommentLine>,
    /// Indicators with a thread, and how many comments it holds (links to the lines).
    pub indicator_threads: Vec<(String, usize)>,
    /// The OMEDIT and the ARS of the region comment; others only read.
    pub can_comment: bool,
    /// The établissement answers the threads where a comment was shared with it.
    pub can_answer: bool,
    pub action: String,
    /// Indicator codes of the référentiel, for the optional indicator.
    pub indicators: Vec<(String, String)>,
}

/// The thread of one indicator line, shown on that line.
pub struct Thread {
    pub lines: Vec<CommentLine>,
    /// The user may write in it (regional roles), or answer it (établissement).
    pub can_write: bool,
    pub answer: bool,
}

fn may_comment(role: Role) -> bool {
    matches!(role, Role::Omedit | Role::Ars)
}

/// Internal comments are for the regional roles (and administrators); the
/// établissement only sees the shared ones.
fn sees_internal(role: Role) -> bool {
    role != Role::Etablissement
}

/// Whether `user` reads the dossier's internal comments (what to ask the store).
pub fn reads_internal(user: &User) -> bool {
    sees_internal(user.role)
}

/// Arranges the comments `user` may read on an already authorized dossier (`all`, read
/// with `reads_internal`): the dossier's block, and each indicator's thread (by code).
pub fn comments_view(
    all: Vec<Comment>,
    user: &User,
    d: &Dossier,
) -> (CommentsView, BTreeMap<String, Thread>) {
    let answer = user.role == Role::Etablissement;
    let mut lines = Vec::new();
    let mut threads: BTreeMap<String, Thread> = BTreeMap::new();
    let mut dossier_shared = false;
    for c in all {
        let shared = c.visibility == Visibility::Partage;
        let from_region = c.author_role != Role::Etablissement;
        let line = CommentLine {
            at: crate::ui::fr::instant(&c.at),
            author: c.author_name,
            role: c.author_role.label(),
            indicator: c.indicator.clone().unwrap_or_default(),
            shared,
            visibility: c.visibility.label(),
            body: c.body,
        };
        match c.indicator {
            Some(code) => {
                let t = threads.entry(code).or_insert_with(|| Thread {
                    lines: Vec::new(),
                    can_write: may_comment(user.role),
                    answer,
                });
                // The établissement answers once something was shared with it there.
                if answer && shared && from_region {
                    t.can_write = true;
                }
                t.lines.push(line);
            }
            None => {
                dossier_shared |= shared && from_region;
                lines.push(line);
            }
        }
    }
    let view = CommentsView {
        lines,
        indicator_threads: threads
            .iter()
            .map(|(code, t)| (code.clone(), t.lines.len()))
            .collect(),
        can_comment: may_comment(user.role),
        can_answer: answer && dossier_shared,
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
    };
    (view, threads)
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

/// Adds a comment (OMEDIT or ARS of the dossier's region), or the
/// établissement's answer to a thread shared with it (always shared; the store
/// checks that the thread holds a shared comment); anyone else 404.
pub async fn add_comment(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(input): Form<CommentInput>,
) -> AppResult<Response> {
    let d = crate::dossier::load(&state, &s.user, &campaign_id, &finess).await?;
    let answer = s.user.role == Role::Etablissement;
    if !may_comment(s.user.role) && !answer {
        return Err(AppError::NotFound);
    }
    let body = input.body.trim();
    if body.is_empty() {
        return Err(AppError::Conflict(
            "Commentaire : le texte est obligatoire.".into(),
        ));
    }
    let visibility = if answer {
        Visibility::Partage
    } else {
        Visibility::parse(input.visibility.trim()).ok_or_else(|| {
            AppError::Conflict("Visibilité : choisir « interne » ou « partagé ».".into())
        })?
    };
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
    let anchor = indicator.map_or_else(
        || "commentaires".to_owned(),
        |code| format!("indicateur-{code}"),
    );
    Ok(flash::redirect(
        &format!(
            "/campagnes/{}/dossiers/{}#{anchor}",
            d.campaign.id, d.entity.finess
        ),
        if answer {
            Flash::CommentAnswered
        } else {
            Flash::CommentAdded
        },
    ))
}
