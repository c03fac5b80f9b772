-- The audit log as a hash chain (issue 14): each line commits to the previous
-- one, so that an edited or deleted line is detected (`caqes audit verifier`).
--
-- The chain lives in its own table, one link per audit line, rather than in
-- new columns of `audit_log`: existing lines are chained by INSERTs, never by
-- an UPDATE of the append-only `audit_log` (whose guards are backend-specific
-- triggers that a portable migration cannot drop).
--
-- `seq` is the line's position (1, 2, ...; the primary key makes two lines
-- with the same position impossible, so concurrent writers cannot fork the
-- chain); `hash` is the hexadecimal SHA-256 of the line's canonical encoding
-- and of the previous link's hash (see `caqes_store::audit`).
CREATE TABLE audit_chain (
    seq BIGINT PRIMARY KEY CHECK (seq >= 1),
    line TEXT NOT NULL UNIQUE REFERENCES audit_log(id),
    -- NULL only for the lines written before this migration, between the
    -- migration and the end of the first `Store::connect`, which computes them
    -- in `seq` order (SHA-256 is not available in SQLite's SQL).
    hash TEXT
);

-- Lines written before this migration join the chain in (at, id) order: the
-- order the audit pages show them in.
INSERT INTO audit_chain (seq, line, hash)
SELECT ROW_NUMBER() OVER (ORDER BY at, id), id, NULL FROM audit_log;

-- A notified decision records the chain head at its notification: the hash of
-- the last audit line written before the notification's own line. The
-- verifier checks that this link still exists and is followed by the line of
-- the notification, so that truncating the log after a notification is seen.
ALTER TABLE sanction_decisions ADD COLUMN notified_chain_head TEXT;
ALTER TABLE volet_decisions ADD COLUMN notified_chain_head TEXT;
