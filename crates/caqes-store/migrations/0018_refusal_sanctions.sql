-- The sanction for refusing to sign the contract (issue 11), decided by the DG ARS
-- once the contract is refused or réputé refusé (not signed at the end of the
-- signature period): the basis (1 % of the AM revenue, or 30 % of the liste en sus),
-- the amount and its motivation, the notification. The rules (when it may be opened,
-- decided, notified) are `caqes_core::refusal`'s; the store keeps the facts.
-- One procedure per contract.
CREATE TABLE refusal_sanctions (
    id TEXT PRIMARY KEY,
    contract TEXT NOT NULL UNIQUE REFERENCES contracts(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    region TEXT NOT NULL REFERENCES regions(code),
    ground TEXT NOT NULL CHECK (ground IN ('refus', 'refus_repute')),
    state TEXT NOT NULL CHECK (state IN ('ouverte', 'decidee', 'notifiee')),
    opened_by TEXT REFERENCES users(id),
    opened_at TEXT NOT NULL,
    basis_kind TEXT CHECK (basis_kind IN ('produits_am', 'liste_en_sus')),
    -- Exact decimals as text, like every amount of the store.
    basis_amount TEXT,
    ceiling TEXT,
    amount TEXT,
    motivation TEXT,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT,
    notified_on TEXT,
    CHECK ((state = 'ouverte') = (amount IS NULL)),
    CHECK ((state = 'notifiee') = (notified_on IS NOT NULL))
);
CREATE INDEX refusal_sanctions_region ON refusal_sanctions(region);

-- The notified refusal sanction has its receipt like any notified decision: the
-- receipts' kinds gain 'sanction_refus'. A CHECK cannot be altered on SQLite, so the
-- table is rebuilt the portable way (create, copy, drop, rename); nothing references it.
CREATE TABLE receipts_new (
    object_kind TEXT NOT NULL CHECK (object_kind IN ('contrat', 'avenant', 'decision', 'decision_volet', 'sanction_refus')),
    object_id TEXT NOT NULL,
    received_on TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('electronique', 'papier')),
    recorded_by TEXT REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (object_kind, object_id)
);
INSERT INTO receipts_new (object_kind, object_id, received_on, mode, recorded_by, recorded_at)
    SELECT object_kind, object_id, received_on, mode, recorded_by, recorded_at FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_new RENAME TO receipts;
