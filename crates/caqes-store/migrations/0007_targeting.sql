-- Targeting of the additional volets (instruction DSS/A1/CNAMTS/2017/234, annex 4).

-- Transport spending prescribed by a legal entity and reimbursed on the
-- ambulatory envelope, imported by the Assurance Maladie: the year's amount and
-- the previous year's (exact decimal text, euros), the engine computes the growth.
CREATE TABLE transport_spending (
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    year BIGINT NOT NULL,
    previous_amount TEXT NOT NULL,
    amount TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    PRIMARY KEY (entity, year)
);

-- The targeted list confirmed by the ARS for a campaign and a volet: one row per
-- entity with data, the engine's verdict and reason as shown when confirming,
-- and the ARS's status. Excluding an entity the engine targets needs a motivation.
CREATE TABLE volet_targeting (
    id TEXT PRIMARY KEY,
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    volet TEXT NOT NULL CHECK (volet IN ('transports', 'pertinence', 'qualite')),
    engine_targeted BIGINT NOT NULL CHECK (engine_targeted IN (0, 1)),
    engine_reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('cible', 'exclu', 'non_cible')),
    motivation TEXT,
    confirmed_by TEXT REFERENCES users(id),
    confirmed_at TEXT NOT NULL,
    UNIQUE (campaign, entity, volet),
    CHECK (status <> 'exclu' OR (engine_targeted = 1 AND motivation IS NOT NULL)),
    CHECK (status <> 'cible' OR engine_targeted = 1),
    CHECK (status <> 'non_cible' OR engine_targeted = 0)
);
