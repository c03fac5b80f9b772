-- The revision of what the scores of a region's establishments are computed from (issues 12
-- and 14: the dossier page, the campaign follow-up and the region's dashboard keep the
-- engine's results in memory, keyed by this number, instead of scoring on every view).
-- One row per region, created by the first write. Triggers installed by `Store::connect`
-- (their syntax differs between the two engines, see `caqes_store::scores::revision`) bump
-- it in the same transaction as every insert, update or deletion of a value, NC declaration,
-- target, site, legal entity's category or region, or campaign: a page that reads the
-- revision before its data never serves scores older than the revision it read. `tx` is
-- PostgreSQL's transaction id of the last bump, so that a transaction writing thousands of
-- values updates the row once (NULL under SQLite, whose row is bumped by every write).
-- Derived data: left out of backups (`caqes sauvegarde`), rebuilt by the triggers on restore.
CREATE TABLE score_revisions (
    region TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    tx BIGINT
);
