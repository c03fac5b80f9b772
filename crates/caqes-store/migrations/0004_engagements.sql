-- Engagements of an établissement: multi-year targets negotiated with the ARS,
-- the internal action plan, and evidence documents of a campaign dossier.

-- One row per proposal; a new proposal for the same indicator and year is a
-- new row, so the negotiation history is kept. Only an accepted proposal is
-- copied to `targets` (the table the scoring reads).
CREATE TABLE target_proposals (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    indicator TEXT NOT NULL,
    year BIGINT NOT NULL,
    -- What the établissement typed, and the engine's reading of it (exact decimal text).
    raw TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('proposee', 'acceptee', 'a_revoir')),
    proposed_by TEXT REFERENCES users(id),
    proposed_at TEXT NOT NULL,
    reviewed_by TEXT REFERENCES users(id),
    reviewed_at TEXT,
    review_comment TEXT,
    CHECK (state <> 'a_revoir' OR review_comment IS NOT NULL)
);
CREATE INDEX target_proposals_entity ON target_proposals(entity, indicator, year);

CREATE TABLE action_items (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    action TEXT NOT NULL,
    -- The indicator code or the theme the action serves.
    serves TEXT NOT NULL,
    pilot TEXT NOT NULL,
    due_on TEXT,
    status TEXT NOT NULL CHECK (status IN ('a_faire', 'en_cours', 'realisee', 'abandonnee')),
    progress_comment TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id)
);
CREATE INDEX action_items_entity ON action_items(entity);

-- The content is base64 TEXT: the one binary-safe representation that both
-- engines read and write identically through `sqlx::Any` with the same DDL
-- (SQLite BLOB and PostgreSQL BYTEA differ), so the file is written in the
-- same transaction as its audit line. The size limit (10 Mo) bounds the cost.
CREATE TABLE evidence_documents (
    id TEXT PRIMARY KEY,
    submission TEXT NOT NULL REFERENCES submissions(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    indicator TEXT,
    content_base64 TEXT NOT NULL,
    uploaded_by TEXT REFERENCES users(id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX evidence_documents_submission ON evidence_documents(submission);
