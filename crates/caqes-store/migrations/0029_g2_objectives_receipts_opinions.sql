-- Second generation on the platform, continued (issue 13): an establishment's own
-- objectives, the receipts of the surveillance and penalty letters, the opinions
-- of the Assurance Maladie and of the CRSA before a reduction, and the hearings. Facts
-- only: the bounds are `caqes_core::regimes::{own_objective, surveillance}`'s and the
-- dates `calendar_2022`'s, checked on every write.

-- The ARS's own objective of an indicator for one contracting unit, in place of the
-- grid's: the value (% of reduction a year, or the value to reach) and the day the ARS
-- fixed it. No row: the grid's objective.
CREATE TABLE g2_objectives (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    indicator TEXT NOT NULL,
    value TEXT NOT NULL,
    fixed_on TEXT NOT NULL,
    fixed_by TEXT REFERENCES users(id),
    fixed_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit, indicator)
);

-- The opinions of the local Assurance Maladie body and of the CRSA that a reduction at
-- the end of a mise sous surveillance must follow (CSS L162-30-4): given on a day (with
-- what they say, in short), or their delay passed without an answer (the day the ARS
-- records it).
CREATE TABLE g2_opinions (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    body TEXT NOT NULL CHECK (body IN ('am', 'crsa')),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    outcome TEXT NOT NULL CHECK (outcome IN ('avis', 'delai_echu')),
    given_on TEXT NOT NULL,
    summary TEXT,
    recorded_by TEXT REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit, body)
);

-- The letters of the surveillance's decision and of the 2026 penalty have their
-- receipt like any notified decision (the appeal runs from it): the receipts' kinds
-- gain 'g2_surveillance' and 'g2_penalite' (object id « campaign:unit »). A CHECK
-- cannot be altered on SQLite: the table is rebuilt the portable way, as in 0018.
CREATE TABLE receipts_new (
    object_kind TEXT NOT NULL CHECK (object_kind IN ('contrat', 'avenant', 'decision', 'decision_volet', 'sanction_refus', 'g2_surveillance', 'g2_penalite')),
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

-- Hearings (D162-15, D162-16 III): the establishment asks to be heard on the second
-- proposal of its contract, or on the evaluation report, within its period; the ARS
-- fixes the day. A hearing requested in time moves the sanction of the refusal, or the
-- notification of the intéressement, after it (`calendar_2022`).
ALTER TABLE g2_contracts ADD COLUMN hearing_requested_on TEXT;
ALTER TABLE g2_contracts ADD COLUMN hearing_on TEXT;
ALTER TABLE g2_evaluations ADD COLUMN hearing_requested_on TEXT;
ALTER TABLE g2_evaluations ADD COLUMN hearing_on TEXT;
