-- Administration: account status, uploaded référentiels, dossier comments.

-- A deactivated account cannot log in (its sessions are deleted when it is
-- deactivated); an account whose password was reset by an administrator must
-- choose its own at the next login. Integers as BIGINT 0/1 for portability.
ALTER TABLE users ADD COLUMN active BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at TEXT;

-- Référentiels uploaded by administrators. Never overwritten: uploading the
-- same `referentiel_id` again adds version n+1, and campaigns name one exact
-- version through `campaign_key` (`{referentiel_id}@v{version}`).
CREATE TABLE uploaded_referentiels (
    campaign_key TEXT PRIMARY KEY,
    referentiel_id TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source_toml TEXT NOT NULL,
    uploaded_by TEXT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    UNIQUE (referentiel_id, version)
);

-- Comments on a dossier (append-only: a trigger refuses UPDATE and DELETE),
-- optionally about one indicator, either internal to the regional roles or
-- shared with the établissement.
CREATE TABLE dossier_comments (
    id TEXT PRIMARY KEY,
    submission TEXT NOT NULL REFERENCES submissions(id),
    indicator TEXT,
    visibility TEXT NOT NULL CHECK (visibility IN ('interne', 'partage')),
    body TEXT NOT NULL,
    author TEXT NOT NULL REFERENCES users(id),
    author_role TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX dossier_comments_submission ON dossier_comments(submission, at);
CREATE INDEX audit_log_at ON audit_log(at);
