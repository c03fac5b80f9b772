//! What the dossier page reads besides its scores, in one query.

use caqes_core::Finess;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::admin::comments::{Comment, Visibility};
use crate::model::ids::SubmissionId;
use crate::{Result, Store, StoreError, SubmissionState, Transition};

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

impl Store {
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
            s.parse().map_err(crate::unreadable("état d'un dossier"))
        };
        let mut out = DossierPageRows::default();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            match kind.as_str() {
                "c" => {
                    let visibility = text(r, "b")?;
                    out.comments.push(Comment {
                        id: text(r, "id")?.into(),
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
}
