-- Sanction decisions of the volet obligatoire (one dossier = campaign × entity),
-- versioned: a notified version is frozen (store check + trigger installed by
-- `Store::connect`), a correction is version n+1 with its reason.

-- Revenue from the mandatory health insurance schemes, last closed year
-- (exact decimal text, euros): the basis of the financial sanction.
ALTER TABLE legal_entities ADD COLUMN am_revenue TEXT;

CREATE TABLE sanction_decisions (
    id TEXT PRIMARY KEY,
    submission TEXT NOT NULL REFERENCES submissions(id),
    version BIGINT NOT NULL CHECK (version >= 1),
    volet TEXT NOT NULL CHECK (volet = 'obligatoire'),
    -- The proposal computed by the engine when the version was created.
    basis_kind TEXT NOT NULL CHECK (basis_kind IN ('produits_am', 'liste_en_sus')),
    basis_amount TEXT NOT NULL,
    score TEXT NOT NULL,
    rate_of_ceiling TEXT NOT NULL,
    ceiling TEXT NOT NULL,
    proposed_amount TEXT NOT NULL,
    -- Opinion of the Assurance Maladie.
    opinion TEXT CHECK (opinion IS NULL OR opinion IN ('favorable', 'defavorable')),
    opinion_comment TEXT,
    opinion_by TEXT REFERENCES users(id),
    opinion_at TEXT,
    -- Decision of the DG ARS.
    final_amount TEXT,
    motivation TEXT,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT,
    -- Notification (calendar date); from then on the row is frozen.
    notified_on TEXT,
    notified_by TEXT REFERENCES users(id),
    correction_reason TEXT,
    created_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (submission, version),
    CHECK (version = 1 OR correction_reason IS NOT NULL),
    CHECK (notified_on IS NULL OR final_amount IS NOT NULL)
);
