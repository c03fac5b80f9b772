-- Evaluation and decision of the additional volets (transports first), per
-- campaign × entity × volet, for an entity the ARS confirmed as targeted
-- (`volet_targeting`). Same life cycle as `sanction_decisions`: the engine's
-- proposal, the AM opinion, the DG ARS decision, the notification freezing the
-- version (store check + trigger installed by `Store::connect`), corrections as
-- version n+1 with their reason.
CREATE TABLE volet_decisions (
    id TEXT PRIMARY KEY,
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    volet TEXT NOT NULL CHECK (volet IN ('transports')),
    version BIGINT NOT NULL CHECK (version >= 1),
    -- Evaluation inputs entered by the ARS (annex 4 of the instruction).
    main_target_met BIGINT NOT NULL CHECK (main_target_met IN (0, 1)),
    optional_objective TEXT NOT NULL CHECK (optional_objective IN ('atteint', 'non_atteint', 'absent')),
    forecast_spending TEXT NOT NULL,
    observed_spending TEXT NOT NULL,
    am_revenue TEXT NOT NULL,
    action_plan_progress TEXT NOT NULL,
    -- The engine's result (`caqes_core::volets::transport::evaluate`).
    outcome TEXT NOT NULL CHECK (outcome IN ('interessement', 'ni_interessement_ni_sanction', 'sanction')),
    savings TEXT NOT NULL,
    nature TEXT CHECK (nature IS NULL OR nature IN ('interessement', 'sanction')),
    basis_kind TEXT CHECK (basis_kind IS NULL OR basis_kind IN ('economies', 'produits_am')),
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
    notified_on TEXT,
    notified_by TEXT REFERENCES users(id),
    correction_reason TEXT,
    created_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (campaign, entity, volet, version),
    CHECK (version = 1 OR correction_reason IS NOT NULL),
    CHECK (notified_on IS NULL OR final_amount IS NOT NULL),
    CHECK ((nature IS NULL) = (outcome = 'ni_interessement_ni_sanction'))
);
