-- Second generation on the platform, continued (issue 13): the mise sous surveillance
-- of a contracting unit (CSS L162-30-3 and L162-30-4, caqes-2022 grids), the
-- establishment's observations before a reduction or a penalty, and the 2026 penalty
-- (CSS L162-23-14 2° and L162-23-14-1, incitation-2026 grids). Facts only: the bounds
-- (target ≥ 70 % of N−1, reductions ≤ 50 %, penalty ≤ 2 % of the AM funding, the
-- observations before any decision) are `caqes_core::regimes::{surveillance,
-- incitation}`'s, checked again on every write.

-- One surveillance per unit and campaign: the acts concerned, the saisine, the number
-- of N−1 and the annual target; then the decision (number observed, abattement and
-- minoration in %, 0 for none), frozen once recorded.
CREATE TABLE g2_surveillance (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    scope TEXT NOT NULL,
    saisine_on TEXT NOT NULL,
    previous_count TEXT NOT NULL,
    target_count TEXT NOT NULL,
    proposed_by TEXT REFERENCES users(id),
    proposed_at TEXT NOT NULL,
    observed_count TEXT,
    abattement_pct TEXT,
    minoration_pct TEXT,
    decision_motive TEXT,
    decided_on TEXT,
    decided_by TEXT REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit),
    CHECK ((decided_on IS NULL) = (observed_count IS NULL))
);

-- The establishment's right to present observations before a decision that may hurt
-- it: the invitation's receipt and last day (set by the ARS), then the text and the day
-- it was received (written by the establishment on its dossier page).
CREATE TABLE g2_observations (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    subject TEXT NOT NULL CHECK (subject IN ('surveillance', 'penalite')),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    invited_on TEXT NOT NULL,
    until_on TEXT NOT NULL,
    invited_by TEXT REFERENCES users(id),
    body TEXT,
    received_on TEXT,
    written_by TEXT REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit, subject),
    CHECK ((body IS NULL) = (received_on IS NULL))
);

-- The 2026 penalty of a unit for the campaign's year: the AM funding it is measured
-- against, the amount, the motive, the day of the decision. Frozen once recorded.
CREATE TABLE g2_penalties (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    unit TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    am_funding TEXT NOT NULL,
    amount TEXT NOT NULL,
    motive TEXT,
    decided_on TEXT NOT NULL,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (campaign, unit)
);
