//! The score revisions (migrations 0026 and 0031): a number per region that changes, in
//! the same transaction, with every write to what the engine reads to score the region's
//! establishments — values (years N and N−1), NC declarations and their review, targets,
//! sites, and the legal entities' category or region — and, per legal entity, the value of
//! its region's number at the last such write concerning that entity. The référentiel is
//! not in it: a campaign's grid key names one immutable grid (an upload is a new version
//! under a new key), so the memo's keys carry the key itself. Nothing else the engine reads
//! is shared by the region's establishments (no regional or national figure enters a
//! score), so every write concerns a known set of entities: a transaction writing to all of
//! them (an import, a restore) moves every one of them.
//!
//! Triggers rather than calls in each write: every write path (forms, imports, the PHEV
//! upload, the demo, a restore, a write from another process or from the command line)
//! bumps them without having to remember to. Under PostgreSQL several processes may serve
//! the same database, which is why the revisions live in the database and are read by each
//! page (one indexed row, or one column of a query the page makes anyway).

use caqes_core::Finess;
use caqes_core::RegionCode;
use sqlx::Row;

use crate::{Backend, Result, Store};

/// A score revision, as read before the data it guards: scores computed from data read
/// after it are at least as recent as the revision. A region's revision, or an entity's
/// (the value of its region's revision at the entity's last change): an entity's revision
/// means something only together with the region it was read under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScoreRevision(pub i64);

/// How a table's row names its legal entity and region: through its site, through its
/// legal entity, or being the legal entity.
#[derive(Clone, Copy)]
enum Owner {
    Site,
    Entity,
    Own,
}

impl Owner {
    /// The legal entity of the row `row` (`NEW` or `OLD`) as an SQL expression (both
    /// engines).
    fn entity(self, row: &str) -> String {
        match self {
            Owner::Site => format!("(SELECT s.entity FROM sites s WHERE s.finess = {row}.site)"),
            Owner::Entity => format!("{row}.entity"),
            Owner::Own => format!("{row}.finess"),
        }
    }

    /// The region of the row `row` as an SQL expression (both engines).
    fn region(self, row: &str) -> String {
        match self {
            Owner::Site => format!(
                "(SELECT e.region FROM sites s JOIN legal_entities e ON e.finess = s.entity \
                 WHERE s.finess = {row}.site)"
            ),
            Owner::Entity => {
                format!("(SELECT e.region FROM legal_entities e WHERE e.finess = {row}.entity)")
            }
            Owner::Own => format!("{row}.region"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Owner::Site => "site",
            Owner::Entity => "entity",
            Owner::Own => "own",
        }
    }
}

/// The tables the scores are computed from. Legal entities only through their category
/// and region (a new name changes no score).
const TABLES: [(&str, Owner); 4] = [
    ("indicator_values", Owner::Site),
    ("nc_declarations", Owner::Site),
    ("targets", Owner::Entity),
    ("sites", Owner::Entity),
];
const ENTITY_CHANGE: &str =
    "OLD.category IS DISTINCT FROM NEW.category OR OLD.region IS DISTINCT FROM NEW.region";

/// The SQLite triggers of migration 0026, which bumped the region's revision only: replaced
/// by triggers of other names (SQLite has no `CREATE OR REPLACE TRIGGER`).
const SQLITE_TRIGGERS_0026: [&str; 15] = [
    "indicator_values_score_revision_insert",
    "indicator_values_score_revision_update",
    "indicator_values_score_revision_delete",
    "nc_declarations_score_revision_insert",
    "nc_declarations_score_revision_update",
    "nc_declarations_score_revision_delete",
    "targets_score_revision_insert",
    "targets_score_revision_update",
    "targets_score_revision_delete",
    "sites_score_revision_insert",
    "sites_score_revision_update",
    "sites_score_revision_delete",
    "legal_entities_score_revision_insert",
    "legal_entities_score_revision_update",
    "legal_entities_score_revision_delete",
];

/// The three SQLite triggers `{table}_{name}_insert`, `…_update` and `…_delete` on
/// every row of `table`, whose statements are `bump` of the row the write concerns: the
/// new row, the old one then the new one (a row can change region), the old one. The
/// score and list revisions are bumped this way (idempotent).
pub(crate) fn sqlite_row_triggers(
    table: &str,
    name: &str,
    bump: impl Fn(&str) -> String,
) -> [String; 3] {
    [
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_{name}_insert AFTER INSERT ON {table} \
             BEGIN {} END",
            bump("NEW")
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_{name}_update AFTER UPDATE ON {table} \
             BEGIN {} {} END",
            bump("OLD"),
            bump("NEW")
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_{name}_delete AFTER DELETE ON {table} \
             BEGIN {} END",
            bump("OLD")
        ),
    ]
}

impl Store {
    /// The score revision of `region` (0 before its first write).
    pub async fn score_revision(&self, region: &RegionCode) -> Result<ScoreRevision> {
        let row = sqlx::query("SELECT revision FROM score_revisions WHERE region = $1")
            .bind(region.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(ScoreRevision(match row {
            Some(r) => r.try_get("revision")?,
            None => 0,
        }))
    }

    /// The entities of `region` written since the region's revision `since` (their
    /// revision is above it), with their revision.
    pub async fn entities_revised_since(
        &self,
        region: &RegionCode,
        since: ScoreRevision,
    ) -> Result<Vec<(String, ScoreRevision)>> {
        let rows = sqlx::query(
            "SELECT entity, revision FROM entity_score_revisions WHERE region = $1 AND revision > $2",
        )
        .bind(region.to_string())
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("entity")?, ScoreRevision(r.try_get("revision")?))))
            .collect()
    }

    /// The score revision of the legal entity `entity` in `region` (0 before its first
    /// write; 0 too when its last write was under another region).
    pub async fn entity_score_revision(
        &self,
        entity: &Finess,
        region: &RegionCode,
    ) -> Result<ScoreRevision> {
        let row = sqlx::query(
            "SELECT revision FROM entity_score_revisions WHERE entity = $1 AND region = $2",
        )
        .bind(entity.to_string())
        .bind(region.to_string())
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
        // SQLite has no transaction id: the rows are bumped by every row written, which
        // costs two indexed updates per row (SQLite updates the pages in place).
        let bump = |owner: Owner, row: &str| {
            let (entity, region) = (owner.entity(row), owner.region(row));
            format!(
                "INSERT INTO score_revisions (region, revision) \
                 SELECT r, 1 FROM (SELECT {region} AS r) WHERE r IS NOT NULL \
                 ON CONFLICT (region) DO UPDATE SET revision = revision + 1; \
                 INSERT INTO entity_score_revisions (entity, region, revision) \
                 SELECT x.e, x.r, v.revision FROM (SELECT {entity} AS e, {region} AS r) x \
                 JOIN score_revisions v ON v.region = x.r WHERE x.e IS NOT NULL \
                 ON CONFLICT (entity) DO UPDATE SET region = excluded.region, \
                 revision = excluded.revision;"
            )
        };
        let mut statements: Vec<String> = SQLITE_TRIGGERS_0026
            .iter()
            .map(|name| format!("DROP TRIGGER IF EXISTS {name}"))
            .collect();
        for (table, owner) in TABLES {
            statements.extend(sqlite_row_triggers(table, "scores", |row| bump(owner, row)));
        }
        let own = Owner::Own;
        statements.push(format!(
            "CREATE TRIGGER IF NOT EXISTS legal_entities_scores_insert AFTER INSERT ON legal_entities \
             BEGIN {} END",
            bump(own, "NEW")
        ));
        statements.push(format!(
            "CREATE TRIGGER IF NOT EXISTS legal_entities_scores_update \
             AFTER UPDATE OF category, region ON legal_entities WHEN {} \
             BEGIN {} {} END",
            ENTITY_CHANGE.replace("IS DISTINCT FROM", "IS NOT"),
            bump(own, "OLD"),
            bump(own, "NEW")
        ));
        statements.push(format!(
            "CREATE TRIGGER IF NOT EXISTS legal_entities_scores_delete AFTER DELETE ON legal_entities \
             BEGIN {} END",
            bump(own, "OLD")
        ));
        for sql in statements {
            sqlx::raw_sql(&sql).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn postgres_triggers(&self) -> Result<()> {
        // Once per transaction and region (and entity): an import of thousands of values
        // would otherwise update one row thousands of times in one transaction (each update
        // a new row version that the next one walks past). Within a transaction the
        // region's revision does not move after its first bump, so the entity's is the
        // same for all its rows; an entity that changes region is written again.
        let mut statements = vec![
            "CREATE OR REPLACE FUNCTION caqes_bump_scores(p_entity TEXT, p_region TEXT) \
             RETURNS void LANGUAGE plpgsql AS $$ \
             DECLARE current_revision BIGINT; BEGIN \
             IF p_region IS NULL THEN RETURN; END IF; \
             INSERT INTO score_revisions AS s (region, revision, tx) \
             VALUES (p_region, 1, txid_current()) \
             ON CONFLICT (region) DO UPDATE SET revision = s.revision + 1, tx = EXCLUDED.tx \
             WHERE s.tx IS DISTINCT FROM EXCLUDED.tx; \
             IF p_entity IS NULL THEN RETURN; END IF; \
             SELECT revision INTO current_revision FROM score_revisions WHERE region = p_region; \
             INSERT INTO entity_score_revisions AS x (entity, region, revision, tx) \
             VALUES (p_entity, p_region, current_revision, txid_current()) \
             ON CONFLICT (entity) DO UPDATE SET region = EXCLUDED.region, \
             revision = EXCLUDED.revision, tx = EXCLUDED.tx \
             WHERE x.tx IS DISTINCT FROM EXCLUDED.tx OR x.region IS DISTINCT FROM EXCLUDED.region; \
             END $$"
                .to_owned(),
        ];
        for owner in [Owner::Site, Owner::Entity, Owner::Own] {
            statements.push(format!(
                "CREATE OR REPLACE FUNCTION caqes_score_revision_{}() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 IF TG_OP <> 'INSERT' THEN PERFORM caqes_bump_scores({}, {}); END IF; \
                 IF TG_OP <> 'DELETE' THEN PERFORM caqes_bump_scores({}, {}); END IF; \
                 RETURN NULL; END $$",
                owner.name(),
                owner.entity("OLD"),
                owner.region("OLD"),
                owner.entity("NEW"),
                owner.region("NEW")
            ));
        }
        // Migration 0026's function, which bumped the region only: no trigger calls it now.
        statements.push("DROP FUNCTION IF EXISTS caqes_bump_score_revision(TEXT)".to_owned());
        for (table, owner) in TABLES {
            statements.push(format!(
                "CREATE OR REPLACE TRIGGER {table}_score_revision \
                 AFTER INSERT OR UPDATE OR DELETE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION caqes_score_revision_{}()",
                owner.name()
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
