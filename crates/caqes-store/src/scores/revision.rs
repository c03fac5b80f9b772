//! The score revision of a region (migration 0026): a number that changes, in the same
//! transaction, with every write to what the engine reads to score the region's
//! establishments — values (years N and N−1), NC declarations and their review, targets,
//! sites, and the legal entities' category or region. The référentiel is not in it: a
//! campaign's grid key names one immutable grid (an upload is a new version under a new
//! key), so the memo's keys carry the key itself.
//!
//! Triggers rather than calls in each write: every write path (forms, imports, the PHEV
//! upload, the demo, a restore, a write from another process or from the command line)
//! bumps it without having to remember to. Under PostgreSQL several processes may serve the
//! same database, which is why the revision lives in the database and is read by each page
//! (one indexed row, or one column of a query the page makes anyway).

use sqlx::Row;

use crate::{Backend, Result, Store};

/// The score revision of a region, as read before the data it guards: scores computed
/// from data read after it are at least as recent as the revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScoreRevision(pub i64);

/// How a table's row names its region: through its site, through its legal entity, or in
/// its own `region` column.
#[derive(Clone, Copy)]
enum RegionOf {
    Site,
    Entity,
    Own,
}

impl RegionOf {
    /// The region of the row `row` (`NEW` or `OLD`) as an SQL expression (both engines).
    fn expression(self, row: &str) -> String {
        match self {
            RegionOf::Site => format!(
                "(SELECT e.region FROM sites s JOIN legal_entities e ON e.finess = s.entity \
                 WHERE s.finess = {row}.site)"
            ),
            RegionOf::Entity => {
                format!("(SELECT e.region FROM legal_entities e WHERE e.finess = {row}.entity)")
            }
            RegionOf::Own => format!("{row}.region"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            RegionOf::Site => "site",
            RegionOf::Entity => "entity",
            RegionOf::Own => "own",
        }
    }
}

/// The tables the scores are computed from. Legal entities only through their category
/// and region (a new name changes no score).
const TABLES: [(&str, RegionOf); 4] = [
    ("indicator_values", RegionOf::Site),
    ("nc_declarations", RegionOf::Site),
    ("targets", RegionOf::Entity),
    ("sites", RegionOf::Entity),
];
const ENTITY_CHANGE: &str =
    "OLD.category IS DISTINCT FROM NEW.category OR OLD.region IS DISTINCT FROM NEW.region";

impl Store {
    /// The score revision of `region` (0 before its first write).
    pub async fn score_revision(&self, region: &str) -> Result<ScoreRevision> {
        let row = sqlx::query("SELECT revision FROM score_revisions WHERE region = $1")
            .bind(region.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(ScoreRevision(match row {
            Some(r) => r.try_get("revision")?,
            None => 0,
        }))
    }

    /// Installs the triggers that bump the revision (idempotent, at every connection).
    pub(crate) async fn install_score_revision_triggers(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => self.sqlite_triggers().await,
            Backend::Postgres => self.postgres_triggers().await,
        }
    }

    async fn sqlite_triggers(&self) -> Result<()> {
        // SQLite has no transaction id: the row is bumped by every row written, which
        // costs an indexed update per row (SQLite updates the page in place).
        let bump = |kind: RegionOf, row: &str| {
            format!(
                "INSERT INTO score_revisions (region, revision) \
                 SELECT r, 1 FROM (SELECT {} AS r) WHERE r IS NOT NULL \
                 ON CONFLICT (region) DO UPDATE SET revision = revision + 1;",
                kind.expression(row)
            )
        };
        let mut statements = Vec::new();
        for (table, kind) in TABLES {
            statements.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_score_revision_insert AFTER INSERT ON {table} \
                 BEGIN {} END",
                bump(kind, "NEW")
            ));
            statements.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_score_revision_update AFTER UPDATE ON {table} \
                 BEGIN {} {} END",
                bump(kind, "OLD"),
                bump(kind, "NEW")
            ));
            statements.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_score_revision_delete AFTER DELETE ON {table} \
                 BEGIN {} END",
                bump(kind, "OLD")
            ));
        }
        let own = RegionOf::Own;
        statements.push(format!(
            "CREATE TRIGGER IF NOT EXISTS legal_entities_score_revision_insert AFTER INSERT ON legal_entities \
             BEGIN {} END",
            bump(own, "NEW")
        ));
        statements.push(format!(
            "CREATE TRIGGER IF NOT EXISTS legal_entities_score_revision_update \
             AFTER UPDATE OF category, region ON legal_entities WHEN {} \
             BEGIN {} {} END",
            ENTITY_CHANGE.replace("IS DISTINCT FROM", "IS NOT"),
            bump(own, "OLD"),
            bump(own, "NEW")
        ));
        statements.push(format!(
            "CREATE TRIGGER IF NOT EXISTS legal_entities_score_revision_delete AFTER DELETE ON legal_entities \
             BEGIN {} END",
            bump(own, "OLD")
        ));
        for sql in statements {
            sqlx::raw_sql(&sql).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn postgres_triggers(&self) -> Result<()> {
        // Once per transaction and region: an import of thousands of values would
        // otherwise update one row thousands of times in one transaction (each update a new
        // row version that the next one walks past).
        let mut statements = vec![
            "CREATE OR REPLACE FUNCTION caqes_bump_score_revision(r TEXT) RETURNS void \
             LANGUAGE plpgsql AS $$ BEGIN \
             IF r IS NULL THEN RETURN; END IF; \
             INSERT INTO score_revisions AS s (region, revision, tx) VALUES (r, 1, txid_current()) \
             ON CONFLICT (region) DO UPDATE SET revision = s.revision + 1, tx = EXCLUDED.tx \
             WHERE s.tx IS DISTINCT FROM EXCLUDED.tx; \
             END $$"
                .to_owned(),
        ];
        for kind in [RegionOf::Site, RegionOf::Entity, RegionOf::Own] {
            statements.push(format!(
                "CREATE OR REPLACE FUNCTION caqes_score_revision_{}() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 IF TG_OP <> 'INSERT' THEN PERFORM caqes_bump_score_revision({}); END IF; \
                 IF TG_OP <> 'DELETE' THEN PERFORM caqes_bump_score_revision({}); END IF; \
                 RETURN NULL; END $$",
                kind.name(),
                kind.expression("OLD"),
                kind.expression("NEW")
            ));
        }
        for (table, kind) in TABLES {
            statements.push(format!(
                "CREATE OR REPLACE TRIGGER {table}_score_revision \
                 AFTER INSERT OR UPDATE OR DELETE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION caqes_score_revision_{}()",
                kind.name()
            ));
        }
        statements.push(
            "CREATE OR REPLACE TRIGGER legal_entities_score_revision \
             AFTER INSERT OR DELETE ON legal_entities \
             FOR EACH ROW EXECUTE FUNCTION caqes_score_revision_own()"
                .to_owned(),
        );
        statements.push(format!(
            "CREATE OR REPLACE TRIGGER legal_entities_score_revision_update \
             AFTER UPDATE OF category, region ON legal_entities \
             FOR EACH ROW WHEN ({ENTITY_CHANGE}) EXECUTE FUNCTION caqes_score_revision_own()"
        ));
        for sql in statements {
            sqlx::raw_sql(&sql).execute(&self.pool).await?;
        }
        Ok(())
    }
}
