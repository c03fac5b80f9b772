//! THE référentiel resolver (builtin grids, parsed once per process, and the versions
//! uploaded into the database, never overwritten) and the upload of a new version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use caqes_core::referentiel::Referentiel;
use caqes_core::regimes::{self, AnyReferentiel, builtin_any};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::conflict::ReferentielConflict;
use crate::{Actor, Campaign, Result, Store, StoreError, now_text};

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

impl Store {
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
    let parsed = regimes::load(&file, &text).map_err(crate::unreadable("référentiel déposé"))?;
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
