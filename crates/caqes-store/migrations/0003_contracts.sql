-- Contract lifecycle (décret du 20 avril 2017, instruction DSS/A1/CNAMTS/2017/234 III.b):
-- the ARS proposes a contract to a legal entity; the établissement signs or refuses it
-- within 15 days of receipt, extended to the hearing when one was asked for in time.
-- Only facts are stored (dates, who); every derived date (end of the signature period,
-- entry into force, volet terms, effective dates of amendments) is computed by
-- `caqes_core::calendar` when read, so the rules live in one place.

CREATE TABLE contracts (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    region TEXT NOT NULL REFERENCES regions(code),
    state TEXT NOT NULL CHECK (state IN ('propose', 'signe', 'refuse')),
    -- Date the établissement received the proposal (proof of receipt): day 0 of the 15 days.
    received_on TEXT NOT NULL,
    hearing_requested_on TEXT,
    hearing_on TEXT,
    -- Signature or refusal: date and author.
    decided_on TEXT,
    decided_by TEXT REFERENCES users(id),
    proposed_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((state = 'propose') = (decided_on IS NULL)),
    CHECK (hearing_on IS NULL OR hearing_requested_on IS NOT NULL)
);
-- At most one live (proposed or signed) contract per legal entity; a refused one
-- stays as history and a new proposal may follow.
CREATE UNIQUE INDEX contracts_live_entity ON contracts(entity) WHERE state <> 'refuse';
CREATE INDEX contracts_region ON contracts(region);

CREATE TABLE contract_volets (
    contract TEXT NOT NULL REFERENCES contracts(id),
    volet TEXT NOT NULL CHECK (volet IN ('obligatoire', 'transports', 'pertinence', 'qualite')),
    -- Additional volets last 1 to 5 years; the contrat socle has no term.
    duration_years BIGINT,
    state TEXT NOT NULL CHECK (state IN ('actif', 'resilie')),
    PRIMARY KEY (contract, volet),
    CHECK ((volet = 'obligatoire') = (duration_years IS NULL))
);

-- Avenants: modifications, and avenants de résiliation of one volet.
CREATE TABLE contract_amendments (
    id TEXT PRIMARY KEY,
    contract TEXT NOT NULL REFERENCES contracts(id),
    kind TEXT NOT NULL CHECK (kind IN ('modification', 'resiliation')),
    volet TEXT,
    object TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    recorded_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((kind = 'resiliation') = (volet IS NOT NULL))
);
CREATE INDEX contract_amendments_contract ON contract_amendments(contract);
