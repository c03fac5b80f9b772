-- The score revision of each legal entity (issues 12 and 14): the value of its region's
-- revision (`score_revisions`, migration 0026) at the last write to what the engine reads
-- to score this entity — its sites' values (years N and N−1) and NC declarations, its
-- targets, its sites, its category or region. Bumped by the same triggers, in the same
-- transaction, as the region's revision (`caqes_store::scores::revision`).
--
-- Why: with the region's revision alone, one value saved anywhere in the region made the
-- next region dashboard score all its establishments again (1,9 s for 3 000). The memo of a
-- region's scores remembers the region's revision it was computed at, R; when the region has
-- moved on, the entities whose revision is above R are the only ones to score again
-- (`region` and the index answer that). A dossier page compares its entity's revision only.
--
-- `region` is the entity's region when the row was written: an entity that moves is
-- written under its new region, whose memo scores it again; the old region's memo no longer
-- lists it. `tx` is PostgreSQL's transaction id of the last write (one update per entity and
-- transaction, as for the region; NULL under SQLite). Derived data: left out of backups,
-- rebuilt by the triggers on restore.
CREATE TABLE entity_score_revisions (
    entity TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    revision BIGINT NOT NULL,
    tx BIGINT
);

CREATE INDEX entity_score_revisions_by_region ON entity_score_revisions (region, revision);
