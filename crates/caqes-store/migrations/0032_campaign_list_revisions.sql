-- The list revision of each region (issue 14): a number bumped, in the same transaction, by
-- every write to what a campaign page of the region lists — its campaigns, their dossiers
-- (`submissions`) and its legal entities. The triggers are installed at connection
-- (`caqes_store::campaign::list_revision`), as the score revisions' are. With the region's
-- score revision it keys the campaign page kept by the web: one query finds it.
--
-- `tx` is PostgreSQL's transaction id of the last bump (one bump per region and
-- transaction; NULL under SQLite). Derived data: left out of backups, rebuilt by the
-- triggers on restore.
CREATE TABLE campaign_list_revisions (
    region TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    tx BIGINT
);
