//! The list revisions (migration 0032, issue 14): a number per region that changes, in the
//! same transaction, with every write to what a campaign page of the region lists — its
//! campaigns, their dossiers (the `submissions` rows: state, score, last change) and the
//! region's legal entities (names, categories; the ARS also sees those without a dossier).
//! With the region's score revision ([`crate::ScoreRevision`]), it stands for everything
//! the campaign page is made of, so the page kept by the web's page cache is found with one
//! query (the campaign's row and both numbers) instead of reading the campaign's dossiers
//! and the region's entities to build the key.
//!
//! Triggers, as for the score revisions (`scores::revision`, whose reasons hold here): every
//! write path bumps the number without having to remember to, including a write from another
//! process. The number is read before the rows it guards, so a page built from rows read
//! after it is at least as recent as its key. A region's whole list moves together: a state
//! change in one campaign makes the region's other campaign pages render again once, which
//! costs little next to a score revision that moves with every value saved.

use caqes_core::RegionCode;
use sqlx::Row;

use crate::campaign::{CAMPAIGN_COLUMNS, campaign_from_row};
use crate::model::ids::CampaignId;
use crate::scores::revision::sqlite_row_triggers;
use crate::{Backend, Campaign, Result, ScoreRevision, Store};

/// A region's list revision, as read before the rows it guards (0 before the first write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListRevision(pub i64);

/// A campaign with the two numbers a page of it is kept under.
#[derive(Clone, Debug)]
pub struct CampaignRevisions {
    pub campaign: Campaign,
    /// What the campaign pages of its region list (campaigns, dossiers, entities).
    pub list: ListRevision,
    /// What the scores of its region are computed from.
    pub scores: ScoreRevision,
}

/// The tables listed by a campaign page, each with the SQL expression (both engines) of
/// the region of its row `{row}` (`NEW` or `OLD`).
const TABLES: [(&str, &str); 3] = [
    ("campaigns", "{row}.region"),
    (
        "submissions",
        "(SELECT c.region FROM campaigns c WHERE c.id = {row}.campaign)",
    ),
    ("legal_entities", "{row}.region"),
];

fn region_of(expression: &str, row: &str) -> String {
    expression.replace("{row}", row)
}

impl Store {
    /// The campaign `id` with its region's list and score revisions, in one query: what a
    /// campaign page needs to find itself in the page cache.
    pub async fn campaign_with_revisions(
        &self,
        id: &CampaignId,
    ) -> Result<Option<CampaignRevisions>> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS}, \
             COALESCE((SELECT l.revision FROM campaign_list_revisions l \
             WHERE l.region = campaigns.region), 0) AS list_revision, \
             COALESCE((SELECT s.revision FROM score_revisions s \
             WHERE s.region = campaigns.region), 0) AS score_revision \
             FROM campaigns WHERE id = $1"
        ))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(CampaignRevisions {
            campaign: campaign_from_row(&row)?,
            list: ListRevision(row.try_get("list_revision")?),
            scores: ScoreRevision(row.try_get("score_revision")?),
        }))
    }

    /// The list revision of `region` (0 before its first write).
    pub async fn list_revision(&self, region: &RegionCode) -> Result<ListRevision> {
        let row = sqlx::query("SELECT revision FROM campaign_list_revisions WHERE region = $1")
            .bind(region.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(ListRevision(match row {
            Some(r) => r.try_get("revision")?,
            None => 0,
        }))
    }

    /// Installs the triggers that bump the list revisions (idempotent, at every connection).
    pub(crate) async fn install_list_revision_triggers(&self) -> Result<()> {
        let statements = match self.backend {
            Backend::Sqlite => sqlite_triggers(),
            Backend::Postgres => postgres_triggers(),
        };
        for sql in statements {
            sqlx::raw_sql(&sql).execute(&self.pool).await?;
        }
        Ok(())
    }
}

fn sqlite_triggers() -> Vec<String> {
    let bump = |expression: &str, row: &str| {
        format!(
            "INSERT INTO campaign_list_revisions (region, revision) \
             SELECT r, 1 FROM (SELECT {} AS r) WHERE r IS NOT NULL \
             ON CONFLICT (region) DO UPDATE SET revision = revision + 1;",
            region_of(expression, row)
        )
    };
    let mut statements = Vec::new();
    for (table, expression) in TABLES {
        // A deleted submission's campaign is still there when its row goes (a campaign
        // deleted with its dossiers is bumped by its own row).
        statements.extend(sqlite_row_triggers(table, "list", |row| {
            bump(expression, row)
        }));
    }
    statements
}

fn postgres_triggers() -> Vec<String> {
    // Once per transaction and region, as for the score revisions: an import writing
    // hundreds of dossiers would otherwise update one row hundreds of times.
    let mut statements = vec![
        "CREATE OR REPLACE FUNCTION caqes_bump_list(p_region TEXT) \
         RETURNS void LANGUAGE plpgsql AS $$ BEGIN \
         IF p_region IS NULL THEN RETURN; END IF; \
         INSERT INTO campaign_list_revisions AS l (region, revision, tx) \
         VALUES (p_region, 1, txid_current()) \
         ON CONFLICT (region) DO UPDATE SET revision = l.revision + 1, tx = EXCLUDED.tx \
         WHERE l.tx IS DISTINCT FROM EXCLUDED.tx; \
         END $$"
            .to_owned(),
    ];
    for (table, expression) in TABLES {
        statements.push(format!(
            "CREATE OR REPLACE FUNCTION caqes_list_revision_{table}() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN \
             IF TG_OP <> 'INSERT' THEN PERFORM caqes_bump_list({}); END IF; \
             IF TG_OP <> 'DELETE' THEN PERFORM caqes_bump_list({}); END IF; \
             RETURN NULL; END $$",
            region_of(expression, "OLD"),
            region_of(expression, "NEW")
        ));
        statements.push(format!(
            "CREATE OR REPLACE TRIGGER {table}_list_revision \
             AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION caqes_list_revision_{table}()"
        ));
    }
    statements
}
