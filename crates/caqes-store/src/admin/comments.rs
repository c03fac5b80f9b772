//! Comments on a dossier or one of its indicator lines (append-only): the threads the
//! ARS and the OMEDIT open, the établissement's answers, and who hears of them.

use caqes_core::RegionCode;
use serde_json::json;
use sqlx::Row;

use crate::admin::audit::{AuditLine, record};
use crate::conflict::DossierConflict;
use crate::model::ids::{CommentId, SubmissionId};
use crate::{Actor, Backend, Result, Role, Store, StoreError, Submission, User, new_id, now_text};

/// Who may read a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// ARS, Assurance Maladie and OMEDIT of the region only.
    Interne,
    /// Also the établissement whose dossier it is.
    Partage,
}

impl Visibility {
    pub fn code(self) -> &'static str {
        match self {
            Visibility::Interne => "interne",
            Visibility::Partage => "partage",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Interne => "interne (ARS/AM/OMEDIT)",
            Visibility::Partage => "partagé avec l'établissement",
        }
    }

    pub fn parse(code: &str) -> Option<Visibility> {
        [Visibility::Interne, Visibility::Partage]
            .into_iter()
            .find(|v| v.code() == code)
    }
}

/// One comment on a dossier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub indicator: Option<String>,
    pub visibility: Visibility,
    pub body: String,
    pub author_name: String,
    pub author_role: Role,
    pub at: String,
}

impl Store {
    /// Adds a comment to a dossier (append-only), with its audit line.
    ///
    /// The OMEDIT and the ARS open threads (on the dossier, or on one
    /// indicator line); the établissement answers a thread in which a comment
    /// was shared with it: its answer is shared, and the roles that wrote in
    /// the thread hear of it (ARS, OMEDIT).
    pub async fn add_comment(
        &self,
        author: &User,
        submission: &Submission,
        region: &RegionCode,
        indicator: Option<&str>,
        visibility: Visibility,
        body: &str,
    ) -> Result<Comment> {
        let id = new_id();
        let at = now_text();
        let answer = author.role == Role::Etablissement;
        if answer && author.entity != Some(submission.entity) {
            return Err(StoreError::NotFound("dossier"));
        }
        if answer && visibility != Visibility::Partage {
            return Err(DossierConflict::AnswerNotShared.into());
        }
        if !answer && !matches!(author.role, Role::Ars | Role::Omedit) {
            return Err(DossierConflict::CommentRole.into());
        }
        let mut tx = self.begin_write().await?;
        // The roles that shared a comment in this thread: who the answer is for.
        let mut thread_roles: Vec<String> = Vec::new();
        if answer {
            let rows = sqlx::query(
                "SELECT DISTINCT author_role FROM dossier_comments WHERE submission = $1 \
                 AND visibility = 'partage' AND author_role <> 'etablissement' \
                 AND COALESCE(indicator, '') = $2",
            )
            .bind(submission.id.clone())
            .bind(indicator.unwrap_or_default().to_owned())
            .fetch_all(&mut *tx)
            .await?;
            for r in &rows {
                thread_roles.push(r.try_get("author_role")?);
            }
            if thread_roles.is_empty() {
                return Err(DossierConflict::NothingToAnswer.into());
            }
        }
        sqlx::query(
            "INSERT INTO dossier_comments (id, submission, indicator, visibility, body, author, author_role, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(submission.id.clone())
        .bind(indicator.map(str::to_owned))
        .bind(visibility.code().to_owned())
        .bind(body.to_owned())
        .bind(author.id.clone())
        .bind(author.role.code().to_owned())
        .bind(at.clone())
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: Some(region),
            action: "dossier.commenter",
            object_kind: "commentaire",
            object_id: &id,
            before: None,
            after: Some(json!({
                "dossier": submission.id, "entite": submission.entity.to_string(),
                "indicateur": indicator, "visibilite": visibility.code(), "texte": body,
                "reponse": answer,
            })),
        };
        record(&mut tx, &Actor::user(author), line).await?;
        if answer {
            let entity = submission.entity.to_string();
            let anchor = indicator.map_or_else(
                || "commentaires".to_owned(),
                |code| format!("indicateur-{code}"),
            );
            let link = format!(
                "/campagnes/{}/dossiers/{entity}#{anchor}",
                submission.campaign
            );
            for role in &thread_roles {
                let event = if role == Role::Omedit.code() {
                    caqes_core::notification::Event::ReponseEtablissementOmedit
                } else {
                    caqes_core::notification::Event::ReponseEtablissement
                };
                crate::notify::emit(&mut tx, event, crate::notify::About::Entity(&entity), &link)
                    .await?;
            }
        } else if visibility == Visibility::Partage {
            let entity = submission.entity.to_string();
            crate::notify::emit(
                &mut tx,
                caqes_core::notification::Event::CommentairePartage,
                crate::notify::About::Entity(&entity),
                &format!("/campagnes/{}/dossiers/{entity}", submission.campaign),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Comment {
            id: CommentId::from(id),
            indicator: indicator.map(str::to_owned),
            visibility,
            body: body.to_owned(),
            author_name: author.display_name.clone(),
            author_role: author.role,
            at,
        })
    }

    /// The comments of a dossier, oldest first; internal ones only when asked.
    pub async fn comments_of(
        &self,
        submission_id: &SubmissionId,
        include_internal: bool,
    ) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT c.id, c.indicator, c.visibility, c.body, c.author_role, c.at, u.display_name \
             FROM dossier_comments c JOIN users u ON u.id = c.author \
             WHERE c.submission = $1 AND (c.visibility = 'partage' OR $2 = 1) ORDER BY c.at, c.id",
        )
        .bind(submission_id.to_owned())
        .bind(i64::from(include_internal))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let visibility: String = r.try_get("visibility")?;
                let role: String = r.try_get("author_role")?;
                Ok(Comment {
                    id: r.try_get("id")?,
                    indicator: r.try_get("indicator")?,
                    visibility: Visibility::parse(&visibility).ok_or_else(|| {
                        StoreError::Corrupt(format!("visibilité inconnue « {visibility} »"))
                    })?,
                    body: r.try_get("body")?,
                    author_name: r.try_get("display_name")?,
                    author_role: role.parse().map_err(StoreError::Corrupt)?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Triggers refusing UPDATE and DELETE on dossier comments (append-only),
    /// as for the audit log; idempotent.
    pub(crate) async fn install_comment_guards(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    let sql = format!(
                        "CREATE TRIGGER IF NOT EXISTS dossier_comments_no_{op} BEFORE {op} ON dossier_comments \
                         BEGIN SELECT RAISE(ABORT, 'historique en ajout seul : modification interdite'); END"
                    );
                    sqlx::raw_sql(&sql).execute(&self.pool).await?;
                }
            }
            Backend::Postgres => {
                // `caqes_append_only()` is created by the audit-log guards, installed first.
                sqlx::raw_sql(
                    "CREATE OR REPLACE TRIGGER dossier_comments_append_only BEFORE UPDATE OR DELETE \
                     ON dossier_comments FOR EACH ROW EXECUTE FUNCTION caqes_append_only()",
                )
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}
