-- Notifications, e-mail outbox, per-user e-mail settings and acknowledgements
-- of receipt (issue 15). Portable: the same file runs on SQLite and PostgreSQL.

-- One notification per recipient and event, written in the transaction of the
-- event. `event_key` makes scheduled reminders idempotent: one per user and key.
-- Texts are French and carry no health data (the entity's name and the kind
-- of event only); `legal` marks legal notices, e-mailed whatever the setting.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    event_key TEXT NOT NULL,
    region TEXT REFERENCES regions(code),
    entity TEXT REFERENCES legal_entities(finess),
    entity_name TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    legal BIGINT NOT NULL CHECK (legal IN (0, 1)),
    -- How the notification goes out by e-mail: not at all, in its own e-mail
    -- (outbox row), or in the next daily digest (then `digest` names it).
    email TEXT NOT NULL CHECK (email IN ('aucun', 'immediat', 'resume_en_attente', 'resume')),
    digest TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (user_id, event_key)
);
CREATE INDEX notifications_user_created ON notifications(user_id, created_at);
CREATE INDEX notifications_digest_pending ON notifications(email, user_id);

-- Per-user e-mail choice; no row means « immédiat ».
CREATE TABLE notification_settings (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    email_mode TEXT NOT NULL CHECK (email_mode IN ('immediat', 'resume_quotidien', 'desactive')),
    updated_at TEXT NOT NULL
);

-- The e-mail outbox: one row per e-mail (one notification, or one daily digest).
-- The worker claims rows by moving them to 'envoi' with a lease and a claim
-- token in a transaction; the Message-ID is derived from the row id, so a row
-- sent again after a crash carries the same Message-ID.
CREATE TABLE email_outbox (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    to_address TEXT NOT NULL,
    -- The notification e-mailed alone, or NULL for a digest.
    notification TEXT REFERENCES notifications(id),
    digest_day TEXT,
    state TEXT NOT NULL CHECK (state IN ('en_attente', 'envoi', 'envoye', 'echec')),
    attempts BIGINT NOT NULL,
    -- Unix seconds.
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    claim TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    CHECK ((notification IS NULL) = (digest_day IS NOT NULL)),
    UNIQUE (user_id, digest_day)
);
CREATE INDEX email_outbox_state_next ON email_outbox(state, next_attempt_at);

-- Acknowledgements of receipt of a contract proposal, an avenant, or a
-- notified decision version (volet obligatoire or additional volet): the day
-- (Europe/Paris) the establishment received it, electronically (first opening
-- on the platform by one of its users: who and when) or on paper (date
-- recorded by the ARS). One receipt per object: the first one counts.
CREATE TABLE receipts (
    object_kind TEXT NOT NULL CHECK (object_kind IN ('contrat', 'avenant', 'decision', 'decision_volet')),
    object_id TEXT NOT NULL,
    received_on TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('electronique', 'papier')),
    recorded_by TEXT REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (object_kind, object_id)
);

-- The contract's date of receipt moves to `receipts` (a proposal may now wait
-- for its electronic receipt). SQLite cannot drop a NOT NULL column that other
-- tables reference, so the three contract tables are rebuilt the portable way
-- (create, copy, drop the children then the parent, rename; renaming the parent
-- rewrites the children's references on SQLite, PostgreSQL keeps them by oid).
-- The dates typed by the ARS so far are paper receipts.
INSERT INTO receipts (object_kind, object_id, received_on, mode, recorded_by, recorded_at)
    SELECT 'contrat', id, received_on, 'papier', proposed_by, created_at FROM contracts;

CREATE TABLE contracts_new (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    region TEXT NOT NULL REFERENCES regions(code),
    state TEXT NOT NULL CHECK (state IN ('propose', 'signe', 'refuse')),
    hearing_requested_on TEXT,
    hearing_on TEXT,
    decided_on TEXT,
    decided_by TEXT REFERENCES users(id),
    proposed_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((state = 'propose') = (decided_on IS NULL)),
    CHECK (hearing_on IS NULL OR hearing_requested_on IS NOT NULL)
);
INSERT INTO contracts_new (id, entity, region, state, hearing_requested_on, hearing_on, decided_on, decided_by, proposed_by, created_at)
    SELECT id, entity, region, state, hearing_requested_on, hearing_on, decided_on, decided_by, proposed_by, created_at FROM contracts;

CREATE TABLE contract_volets_new (
    contract TEXT NOT NULL REFERENCES contracts_new(id),
    volet TEXT NOT NULL CHECK (volet IN ('obligatoire', 'transports', 'pertinence', 'qualite')),
    duration_years BIGINT,
    state TEXT NOT NULL CHECK (state IN ('actif', 'resilie')),
    PRIMARY KEY (contract, volet),
    CHECK ((volet = 'obligatoire') = (duration_years IS NULL))
);
INSERT INTO contract_volets_new (contract, volet, duration_years, state)
    SELECT contract, volet, duration_years, state FROM contract_volets;

CREATE TABLE contract_amendments_new (
    id TEXT PRIMARY KEY,
    contract TEXT NOT NULL REFERENCES contracts_new(id),
    kind TEXT NOT NULL CHECK (kind IN ('modification', 'resiliation')),
    volet TEXT,
    object TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    recorded_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((kind = 'resiliation') = (volet IS NOT NULL))
);
INSERT INTO contract_amendments_new (id, contract, kind, volet, object, signed_on, recorded_by, created_at)
    SELECT id, contract, kind, volet, object, signed_on, recorded_by, created_at FROM contract_amendments;

DROP TABLE contract_amendments;
DROP TABLE contract_volets;
DROP TABLE contracts;
ALTER TABLE contracts_new RENAME TO contracts;
ALTER TABLE contract_volets_new RENAME TO contract_volets;
ALTER TABLE contract_amendments_new RENAME TO contract_amendments;
CREATE UNIQUE INDEX contracts_live_entity ON contracts(entity) WHERE state <> 'refuse';
CREATE INDEX contracts_region ON contracts(region);
CREATE INDEX contract_amendments_contract ON contract_amendments(contract);
