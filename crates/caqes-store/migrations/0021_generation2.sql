-- Second-generation CAQES on the platform (issue 13): a campaign on a `caqes-2022`
-- (or `incitation-2026`) grid. Only facts are stored — measures, decisions, dates,
-- who; every derived figure (targeting verdict, refusal and evaluation calendars,
-- savings, intéressement) is recomputed by `caqes_core::regimes` and
-- `caqes_core::procedure::calendar_2022` when read, as `caqes evaluate` computes it.
-- A contracting unit is the legal FINESS or a geographic FINESS, as the region
-- chooses per campaign (`g2_campaigns.unit`, absent = legal).

CREATE TABLE g2_campaigns (
    campaign TEXT PRIMARY KEY REFERENCES campaigns(id),
    unit TEXT NOT NULL CHECK (unit IN ('juridique', 'geographique')),
    updated_by TEXT REFERENCES users(id),
    updated_at TEXT NOT NULL
);

-- The ARS's targeting per unit and indicator: the measures read against the grid's
-- `seuils_ciblage` (';'-separated, empty for a missing one), the computed verdict at the
-- time, the decision and its motive (required when it departs from the computation).
CREATE TABLE g2_targeting (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    indicator TEXT NOT NULL,
    measures TEXT NOT NULL,
    computed TEXT NOT NULL CHECK (computed IN ('cible', 'non_cible', 'indetermine')),
    retained BIGINT NOT NULL CHECK (retained IN (0, 1)),
    motive TEXT,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit, indicator)
);
CREATE INDEX g2_targeting_entity ON g2_targeting(campaign, entity);

-- The contract of a unit and its refusal procedure (D162-15: 21 days, a second
-- proposal, 15 days, then the 1 % sanction of L162-30-2).
CREATE TABLE g2_contracts (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    start_on TEXT NOT NULL,
    end_on TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('propose', 'signe', 'refuse')),
    received_on TEXT NOT NULL,
    second_received_on TEXT,
    decided_on TEXT,
    sanction_amount TEXT,
    sanction_motive TEXT,
    sanction_decided_on TEXT,
    proposed_by TEXT REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit),
    CHECK ((state = 'propose') = (decided_on IS NULL))
);
CREATE INDEX g2_contracts_entity ON g2_contracts(campaign, entity);

-- Values of year N and N−1 per indicator, as `caqes evaluate` reads `valeurs.csv`.
CREATE TABLE g2_values (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    indicator TEXT NOT NULL,
    year BIGINT NOT NULL,
    montant TEXT,
    numerateur TEXT,
    denominateur TEXT,
    updated_by TEXT REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit, indicator, year)
);

-- The DG ARS's motivated downward revision of a line (D162-16 V 2°).
CREATE TABLE g2_revisions (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    indicator TEXT NOT NULL,
    amount TEXT NOT NULL,
    motive TEXT NOT NULL,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit, indicator)
);

-- The yearly evaluation sequence (D162-16 III–IV): report received, intéressement
-- decided (the amount retained, frozen once notified), its notification received.
CREATE TABLE g2_evaluations (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    report_received_on TEXT NOT NULL,
    decided_amount TEXT,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT,
    notification_received_on TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit),
    CHECK (notification_received_on IS NULL OR decided_amount IS NOT NULL)
);
