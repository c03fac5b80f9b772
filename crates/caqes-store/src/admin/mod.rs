//! Administration: account status (deactivation, forced password change),
//! référentiels uploaded into the database (versioned, never overwritten) and
//! THE référentiel resolver, dossier comments (append-only), and the paged,
//! filtered audit log; the regions, legal entities and sites of the platform
//! (`establishments`); the online backup and its restoration (`backup`).

pub mod audit;
pub(crate) mod audited_write;
pub mod backup;
pub mod documents;
pub(crate) mod establishments;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use caqes_core::Finess;
use caqes_core::referentiel::Referentiel;
use caqes_core::regimes::{self, AnyReferentiel, builtin_any};
use jiff::civil::Date;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::conflict::{DossierConflict, ReferentielConflict};
use crate::model::ids::{SubmissionId, UserId};
use crate::{
    Actor, AuditEntry, Backend, Campaign, Result, Role, Store, StoreError, Submission,
    SubmissionState, Transition, User, new_id, now_text,
};

/// What the dossier page reads besides its scores (`Store::dossier_page_rows`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DossierPageRows {
    /// Oldest first, as `Store::comments_of`.
    pub comments: Vec<Comment>,
    /// Class chosen by indicator code, as `Store::chosen_classes`.
    pub chosen_classes: std::collections::BTreeMap<String, String>,
    /// In order, as `Store::transitions_of`.
    pub transitions: Vec<Transition>,
}

/// A user with what the administration list shows besides the account itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub user: User,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

/// A référentiel uploaded by an administrator (one version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReferentiel {
    /// What a campaign stores in `referentiel_id`: `{referentiel_id}@v{version}`.
    pub key: String,
    pub referentiel_id: String,
    pub version: i64,
    pub title: String,
    pub file_name: String,
    pub uploaded_at: String,
}

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
    pub id: String,
    pub indicator: Option<String>,
    pub visibility: Visibility,
    pub body: String,
    pub author_name: String,
    pub author_role: Role,
    pub at: String,
}

/// Which audit lines to show. `region = None` means every region (administrators).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub region: Option<String>,
    pub object_kind: Option<String>,
    /// Part of the actor's label (name or e-mail), without case.
    pub actor: Option<String>,
    /// Inclusive calendar days (UTC).
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// One page of the audit log and the number of lines matching the filter.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
}

fn user_summary_from_row(r: &AnyRow) -> Result<UserSummary> {
    let role: String = r.try_get("role")?;
    let entity: Option<String> = r.try_get("entity")?;
    Ok(UserSummary {
        user: User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
            role: role.parse().map_err(StoreError::Corrupt)?,
            region: r.try_get("region")?,
            entity: entity.as_deref().map(crate::parse_finess).transpose()?,
            password_hash: r.try_get("password_hash")?,
            active: r.try_get::<i64, _>("active")? != 0,
            must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        },
        created_at: r.try_get("created_at")?,
        last_login_at: r.try_get("last_login_at")?,
    })
}

fn stored_referentiel_from_row(r: &AnyRow) -> Result<StoredReferentiel> {
    Ok(StoredReferentiel {
        key: r.try_get("campaign_key")?,
        referentiel_id: r.try_get("referentiel_id")?,
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        file_name: r.try_get("file_name")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

fn audit_entry_from_row(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        actor_label: r.try_get("actor_label")?,
        region: r.try_get("region")?,
        action: r.try_get("action")?,
        object_kind: r.try_get("object_kind")?,
        object_id: r.try_get("object_id")?,
        before: r.try_get("before_json")?,
        after: r.try_get("after_json")?,
    })
}

/// Account status as written in the audit log.
fn status_json(active: bool, must_change_password: bool) -> serde_json::Value {
    json!({ "actif": active, "changement_mot_de_passe_impose": must_change_password })
}

impl Store {
    /// Every account, by role then e-mail.
    pub async fn list_users(&self) -> Result<Vec<UserSummary>> {
        let rows = sqlx::query(
            "SELECT id, email, display_name, role, region, entity, password_hash, active, \
             must_change_password, created_at, last_login_at FROM users ORDER BY role, email",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_summary_from_row).collect()
    }

    /// Whether at least one active administrator exists (`caqes serve` tells how to create one otherwise).
    pub async fn has_active_admin(&self) -> Result<bool> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND active = 1")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok(n > 0)
    }

    /// Creates an account whose password was chosen by someone else (an
    /// administrator or the command line): the user must replace it at the
    /// first login. One transaction with its audit line.
    pub async fn create_user_with_temporary_password(
        &self,
        actor: &Actor,
        new: &crate::NewUser,
    ) -> Result<User> {
        let id = new_id();
        let email = new.email.as_str().to_owned();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, region, entity, password_hash, created_at, \
             active, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 1)",
        )
        .bind(id.clone())
        .bind(email.clone())
        .bind(new.display_name.clone())
        .bind(new.role.code().to_owned())
        .bind(new.region.clone())
        .bind(new.entity.map(|f| f.to_string()))
        .bind(new.password_hash.clone())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        // The hash is never copied into the audit log.
        let line = AuditLine {
            region: new.region.as_deref(),
            action: "utilisateur.creer",
            object_kind: "utilisateur",
            object_id: &id,
            before: None,
            after: Some(json!({
                "email": email, "role": new.role.code(), "region": new.region,
                "entity": new.entity.map(|f| f.to_string()),
                "actif": true, "changement_mot_de_passe_impose": true,
            })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        self.user_by_id(&UserId::from(id))
            .await?
            .ok_or(StoreError::NotFound("utilisateur"))
    }

    /// Deactivates or reactivates an account; deactivation ends every session of
    /// the account in the same transaction.
    pub async fn set_user_active(
        &self,
        actor: &Actor,
        user_id: &UserId,
        active: bool,
    ) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT active, must_change_password, region FROM users WHERE id = $1")
                .bind(user_id.to_owned())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("utilisateur"))?;
        let was_active = row.try_get::<i64, _>("active")? != 0;
        let must_change = row.try_get::<i64, _>("must_change_password")? != 0;
        let region: Option<String> = row.try_get("region")?;
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(user_id.to_owned())
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        let line = AuditLine {
            region: region.as_deref(),
            action: if active {
                "utilisateur.reactiver"
            } else {
                "utilisateur.desactiver"
            },
            object_kind: "utilisateur",
            object_id: user_id.as_str(),
            before: Some(status_json(was_active, must_change)),
            after: Some(status_json(active, must_change)),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        self.user_by_id(user_id)
            .await?
            .ok_or(StoreError::NotFound("utilisateur"))
    }

    /// An administrator sets a temporary password: the user's sessions end and
    /// the user must choose a new password at the next login.
    pub async fn reset_password(&self, actor: &Actor, user_id: &UserId, hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT active, must_change_password, region FROM users WHERE id = $1")
                .bind(user_id.to_owned())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("utilisateur"))?;
        let active = row.try_get::<i64, _>("active")? != 0;
        let must_change = row.try_get::<i64, _>("must_change_password")? != 0;
        let region: Option<String> = row.try_get("region")?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(user_id.to_owned())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id.to_owned())
            .execute(&mut *tx)
            .await?;
        // The hashes are never copied into the audit log.
        let mut after = status_json(active, true);
        after["mot_de_passe"] = json!("réinitialisé (temporaire)");
        let line = AuditLine {
            region: region.as_deref(),
            action: "utilisateur.reinitialiser_mot_de_passe",
            object_kind: "utilisateur",
            object_id: user_id.as_str(),
            before: Some(status_json(active, must_change)),
            after: Some(after),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers the instant of a successful login (shown to administrators;
    /// not an audited change of data).
    pub async fn record_login(&self, user_id: &UserId) -> Result<()> {
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(user_id.to_owned())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// THE référentiel resolver: a builtin id, or the key of an uploaded version.
    pub async fn referentiel(&self, key: &str) -> Result<Option<Referentiel>> {
        // A builtin grid needs no connection: under load, waiting for one of the
        // few reading connections was part of every dossier page's latency.
        if let Some(AnyReferentiel::Points(r)) = builtin_grid(key) {
            return Ok(Some(r));
        }
        let mut conn = self.pool.acquire().await?;
        referentiel_in(&mut conn, key).await
    }

    /// [`Store::referentiel`] shared rather than copied: a builtin grid is the process's
    /// own (a dossier page copied its ~40 indicators and their texts on every view).
    pub async fn referentiel_shared(&self, key: &str) -> Result<Option<Arc<Referentiel>>> {
        if let Some(r) = builtin_points_shared(key) {
            return Ok(Some(r));
        }
        Ok(self.referentiel(key).await?.map(Arc::new))
    }

    /// The référentiel of a campaign, builtin or uploaded: every rule that reads
    /// the grid's parameters (sanction scale, targeting thresholds, indicators)
    /// goes through here, so a campaign on an uploaded grid behaves as one on a
    /// builtin grid.
    pub async fn campaign_referentiel(&self, campaign: &Campaign) -> Result<Referentiel> {
        // An objectives grid goes the long way, which refuses it with its reason.
        if let Some(AnyReferentiel::Points(r)) = builtin_grid(&campaign.referentiel_id) {
            return Ok(r);
        }
        let mut conn = self.pool.acquire().await?;
        campaign_referentiel_in(&mut conn, campaign).await
    }

    /// THE resolver for any regime: a first-generation grid (points) or an objectives
    /// grid (`caqes-2022`, `incitation-2026`), builtin or uploaded.
    pub async fn referentiel_any(&self, key: &str) -> Result<Option<AnyReferentiel>> {
        let mut conn = self.pool.acquire().await?;
        any_referentiel_in(&mut conn, key).await
    }

    /// The référentiel of a campaign whatever its regime: the pages that differ by
    /// regime branch on it ([`AnyReferentiel::regime`]).
    pub async fn campaign_any_referentiel(&self, campaign: &Campaign) -> Result<AnyReferentiel> {
        let mut conn = self.pool.acquire().await?;
        campaign_any_referentiel_in(&mut conn, campaign).await
    }

    /// A page of the first generation (points, PHEV import, volets' targeting…) on a
    /// second-generation campaign: refused with a French 409 rather than shown.
    pub async fn ensure_points_campaign(&self, campaign: &Campaign) -> Result<()> {
        match self.campaign_any_referentiel(campaign).await? {
            AnyReferentiel::Points(_) => Ok(()),
            AnyReferentiel::Objectives(g) => Err(ReferentielConflict::ObjectivesCampaign {
                title: campaign.title.clone(),
                regime: g.regime,
            }
            .into()),
        }
    }

    /// The référentiels a campaign may use: (key, title), builtins first (every
    /// regime: a second-generation campaign runs on an objectives grid).
    pub async fn referentiel_choices(&self) -> Result<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = builtin_any()
            .into_iter()
            .map(|r| {
                let label = match r.regime() {
                    regimes::Regime::Caqes2018 => r.title().to_owned(),
                    other => format!("{} (régime {})", r.title(), other.code()),
                };
                (r.id().to_owned(), label)
            })
            .collect();
        for r in self.uploaded_referentiels().await? {
            out.push((
                r.key.clone(),
                format!(
                    "{} (version {} déposée le {})",
                    r.title,
                    r.version,
                    r.uploaded_at.get(..10).unwrap_or(&r.uploaded_at)
                ),
            ));
        }
        Ok(out)
    }

    /// Every uploaded version, newest first within each id.
    pub async fn uploaded_referentiels(&self) -> Result<Vec<StoredReferentiel>> {
        let rows = sqlx::query(
            "SELECT campaign_key, referentiel_id, version, title, file_name, uploaded_at \
             FROM uploaded_referentiels ORDER BY referentiel_id, version DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_referentiel_from_row).collect()
    }

    /// Validates and stores a référentiel as a new version of its id. A file
    /// that does not validate is refused with the engine's French message
    /// (file and line); an id of a builtin référentiel is refused, since the
    /// resolver would never reach the uploaded one.
    pub async fn upload_referentiel(
        &self,
        actor: &Actor,
        file_name: &str,
        text: &str,
    ) -> Result<StoredReferentiel> {
        // Any regime: the header's `regime` chooses the format (objectives grids too).
        let any = regimes::load(file_name, text).map_err(ReferentielConflict::Invalid)?;
        let parsed = UploadedHead {
            id: any.id().to_owned(),
            title: any.title().to_owned(),
            indicators: match &any {
                AnyReferentiel::Points(r) => r.indicators.len(),
                AnyReferentiel::Objectives(g) => g.indicators.len(),
            },
        };
        if regimes::builtin_any_by_id(&parsed.id).is_some() {
            return Err(ReferentielConflict::BuiltinId {
                file: file_name.to_string(),
                id: parsed.id.clone(),
            }
            .into());
        }
        let mut tx = self.begin_write().await?;
        let last: Option<i64> = sqlx::query(
            "SELECT MAX(version) AS v FROM uploaded_referentiels WHERE referentiel_id = $1",
        )
        .bind(parsed.id.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get("v")?;
        let version = last.unwrap_or(0) + 1;
        let key = format!("{}@v{version}", parsed.id);
        let uploaded_at = now_text();
        sqlx::query(
            "INSERT INTO uploaded_referentiels (campaign_key, referentiel_id, version, title, file_name, \
             source_toml, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(key.clone())
        .bind(parsed.id.clone())
        .bind(version)
        .bind(parsed.title.clone())
        .bind(file_name.to_owned())
        .bind(text.to_owned())
        .bind(actor.user_id.clone())
        .bind(uploaded_at.clone())
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: None,
            action: "referentiel.deposer",
            object_kind: "referentiel",
            object_id: &key,
            // A new version never replaces anything: the previous one is named for the record.
            before: last.map(|v| json!({ "version_precedente": format!("{}@v{v}", parsed.id) })),
            after: Some(json!({
                "id": parsed.id, "version": version, "titre": parsed.title, "fichier": file_name,
                "indicateurs": parsed.indicators,
            })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(StoredReferentiel {
            key,
            referentiel_id: parsed.id,
            version,
            title: parsed.title,
            file_name: file_name.to_owned(),
            uploaded_at,
        })
    }

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
        region: &str,
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
            id,
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

    /// What the dossier page shows besides its scores, in one round trip rather than three
    /// (issue 14: each query crosses to the SQLite connection's thread and back, or to the
    /// PostgreSQL server): the comments `comments_of` returns, the classes `chosen_classes`
    /// returns for (`entity`, `year`) and the history `transitions_of` returns. The three
    /// row shapes share the columns of one `UNION ALL`, told apart by `kind`.
    pub async fn dossier_page_rows(
        &self,
        submission_id: &SubmissionId,
        include_internal: bool,
        entity: &Finess,
        year: i16,
    ) -> Result<DossierPageRows> {
        let rows = sqlx::query(
            "SELECT 'c' AS kind, CAST(0 AS BIGINT) AS seq, c.at AS at, c.id AS id, \
                    c.indicator AS a, c.visibility AS b, c.body AS c3, c.author_role AS d, \
                    u.display_name AS name \
             FROM dossier_comments c JOIN users u ON u.id = c.author \
             WHERE c.submission = $1 AND (c.visibility = 'partage' OR $2 = 1) \
             UNION ALL \
             SELECT 'k', 0, NULL, NULL, indicator, class_code, NULL, NULL, NULL \
             FROM chosen_classes WHERE entity = $3 AND year = $4 \
             UNION ALL \
             SELECT 't', t.seq, t.at, NULL, t.from_state, t.to_state, t.comment, NULL, u.display_name \
             FROM submission_transitions t JOIN users u ON u.id = t.actor WHERE t.submission = $1 \
             ORDER BY kind, seq, at, id",
        )
        .bind(submission_id.to_owned())
        .bind(i64::from(include_internal))
        .bind(entity.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        let text = |r: &AnyRow, column: &str| -> Result<String> {
            let value: Option<String> = r.try_get(column)?;
            value.ok_or_else(|| StoreError::Corrupt(format!("colonne « {column} » vide")))
        };
        let state = |s: String| -> Result<SubmissionState> {
            s.parse()
                .map_err(|e: caqes_core::workflow::UnknownState| StoreError::Corrupt(e.to_string()))
        };
        let mut out = DossierPageRows::default();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            match kind.as_str() {
                "c" => {
                    let visibility = text(r, "b")?;
                    out.comments.push(Comment {
                        id: text(r, "id")?,
                        indicator: r.try_get("a")?,
                        visibility: Visibility::parse(&visibility).ok_or_else(|| {
                            StoreError::Corrupt(format!("visibilité inconnue « {visibility} »"))
                        })?,
                        body: text(r, "c3")?,
                        author_name: text(r, "name")?,
                        author_role: text(r, "d")?.parse().map_err(StoreError::Corrupt)?,
                        at: text(r, "at")?,
                    });
                }
                "k" => {
                    out.chosen_classes.insert(text(r, "a")?, text(r, "b")?);
                }
                "t" => out.transitions.push(Transition {
                    seq: r.try_get("seq")?,
                    from: state(text(r, "a")?)?,
                    to: state(text(r, "b")?)?,
                    actor: text(r, "name")?,
                    at: text(r, "at")?,
                    comment: r.try_get("c3")?,
                }),
                other => {
                    return Err(StoreError::Corrupt(format!("ligne inconnue « {other} »")));
                }
            }
        }
        Ok(out)
    }

    /// One page of the audit log, newest first, with the number of matching lines.
    pub async fn audit_page(&self, filter: &AuditFilter) -> Result<AuditPage> {
        // The same optional conditions for both queries; a NULL parameter disables one.
        let conditions = "($1 IS NULL OR region = $1) AND ($2 IS NULL OR object_kind = $2) \
             AND ($3 IS NULL OR LOWER(actor_label) LIKE $3) AND ($4 IS NULL OR at >= $4) \
             AND ($5 IS NULL OR at < $5)";
        let actor = filter
            .actor
            .as_deref()
            .map(|a| format!("%{}%", a.trim().to_lowercase()));
        let from = filter.from.map(|d| d.to_string());
        // `to` is inclusive: compare with the next day's start.
        let to = filter.to.map(|d| {
            d.tomorrow()
                .map_or_else(|_| "9999-12-31".to_owned(), |t| t.to_string())
        });
        let cast = match self.backend {
            // PostgreSQL cannot infer the type of a parameter used only in `IS NULL`.
            Backend::Postgres => true,
            Backend::Sqlite => false,
        };
        let conditions = if cast {
            conditions
                .replace("$1 IS NULL", "$1::text IS NULL")
                .replace("$2 IS NULL", "$2::text IS NULL")
                .replace("$3 IS NULL", "$3::text IS NULL")
                .replace("$4 IS NULL", "$4::text IS NULL")
                .replace("$5 IS NULL", "$5::text IS NULL")
        } else {
            conditions.to_owned()
        };
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE {conditions}"
        ))
        .bind(filter.region.clone())
        .bind(filter.object_kind.clone())
        .bind(actor.clone())
        .bind(from.clone())
        .bind(to.clone())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let per_page = filter.per_page.max(1);
        let offset = (filter.page.max(1) - 1) * per_page;
        let rows = sqlx::query(&format!(
            "SELECT id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json \
             FROM audit_log WHERE {conditions} ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7"
        ))
        .bind(filter.region.clone())
        .bind(filter.object_kind.clone())
        .bind(actor)
        .bind(from)
        .bind(to)
        .bind(per_page)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows
            .iter()
            .map(audit_entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(AuditPage { entries, total })
    }

    /// The object kinds present in the audit log (for the filter's list).
    pub async fn audit_object_kinds(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT object_kind FROM audit_log ORDER BY object_kind")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get("object_kind").map_err(StoreError::from))
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

/// What the upload's audit line and list need of a grid of any regime.
struct UploadedHead {
    id: String,
    title: String,
    indicators: usize,
}

/// [`Store::referentiel`] on a connection already held (inside a transaction): a
/// first-generation grid only. An objectives grid is refused with a French message
/// (409) rather than read as points: a page of the first generation has nothing to
/// show on a second-generation campaign.
pub(crate) async fn referentiel_in(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<Referentiel>> {
    match any_referentiel_in(conn, key).await? {
        None => Ok(None),
        Some(AnyReferentiel::Points(r)) => Ok(Some(r)),
        Some(AnyReferentiel::Objectives(g)) => Err(ReferentielConflict::ObjectivesReferentiel {
            id: g.id.clone(),
            regime: g.regime,
        }
        .into()),
    }
}

/// [`Store::referentiel_any`] on a connection already held.
pub(crate) async fn any_referentiel_in(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<AnyReferentiel>> {
    if let Some(r) = builtin_grid(key) {
        return Ok(Some(r));
    }
    let row = sqlx::query(
        "SELECT file_name, source_toml FROM uploaded_referentiels WHERE campaign_key = $1",
    )
    .bind(key.to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let file: String = row.try_get("file_name")?;
    let text: String = row.try_get("source_toml")?;
    uploaded_grid(key, file, text).map(Some)
}

/// The embedded référentiels of every regime, parsed and validated once per process:
/// parsing 78 Ko of TOML on every dossier and campaign page was most of their time.
fn builtin_grid(id: &str) -> Option<AnyReferentiel> {
    builtin_grids().iter().find(|r| r.id() == id).cloned()
}

fn builtin_grids() -> &'static [AnyReferentiel] {
    static GRIDS: OnceLock<Vec<AnyReferentiel>> = OnceLock::new();
    GRIDS.get_or_init(builtin_any)
}

/// The builtin grid of points `id`, shared.
fn builtin_points_shared(id: &str) -> Option<Arc<Referentiel>> {
    static SHARED: OnceLock<Vec<Arc<Referentiel>>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            builtin_grids()
                .iter()
                .filter_map(|r| match r {
                    AnyReferentiel::Points(p) => Some(Arc::new(p.clone())),
                    AnyReferentiel::Objectives(_) => None,
                })
                .collect()
        })
        .iter()
        .find(|r| r.id == id)
        .cloned()
}

/// Whether `id` names a builtin grid of points (first generation), without copying it.
pub(crate) fn is_builtin_points(id: &str) -> bool {
    builtin_grids()
        .iter()
        .any(|r| r.id() == id && matches!(r, AnyReferentiel::Points(_)))
}

/// An uploaded référentiel parsed from its stored text, parsed again only
/// when the text differs from the one parsed last under this key (another
/// database in the same process, a restored one): the result depends on the
/// file name and the text only.
fn uploaded_grid(key: &str, file: String, text: String) -> Result<AnyReferentiel> {
    type Parsed = HashMap<String, (String, String, AnyReferentiel)>;
    static PARSED: OnceLock<Mutex<Parsed>> = OnceLock::new();
    let cache = PARSED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock()
        && let Some((f, t, r)) = map.get(key)
        && *f == file
        && *t == text
    {
        return Ok(r.clone());
    }
    // It was validated when uploaded; failing now means the engine's rules changed.
    let parsed = regimes::load(&file, &text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Ok(mut map) = cache.lock() {
        map.insert(key.to_owned(), (file, text, parsed.clone()));
    }
    Ok(parsed)
}

/// [`Store::campaign_any_referentiel`] on a connection already held.
pub(crate) async fn campaign_any_referentiel_in(
    conn: &mut AnyConnection,
    campaign: &Campaign,
) -> Result<AnyReferentiel> {
    any_referentiel_in(conn, &campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "référentiel {} de la campagne {} introuvable",
                campaign.referentiel_id, campaign.id
            ))
        })
}

/// [`Store::campaign_referentiel`] on a connection already held.
pub(crate) async fn campaign_referentiel_in(
    conn: &mut AnyConnection,
    campaign: &Campaign,
) -> Result<Referentiel> {
    referentiel_in(conn, &campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "référentiel {} de la campagne {} introuvable",
                campaign.referentiel_id, campaign.id
            ))
        })
}
