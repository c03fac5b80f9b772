-- Widens `volet_decisions` to the qualité and pertinence volets. SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt the same portable way on
-- both backends (create, copy, drop, rename). The transport inputs become
-- nullable (required only on transport rows); the qualité inputs are added.
-- Dropping the old table drops its freeze triggers: `Store::connect` reinstalls
-- them after the migrations (`install_volet_decision_guards`, idempotent).
CREATE TABLE volet_decisions_new (
    id TEXT PRIMARY KEY,
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    volet TEXT NOT NULL CHECK (volet IN ('transports', 'qualite', 'pertinence')),
    version BIGINT NOT NULL CHECK (version >= 1),
    -- Transport evaluation inputs (annex 4 of the instruction).
    main_target_met BIGINT CHECK (main_target_met IS NULL OR main_target_met IN (0, 1)),
    optional_objective TEXT CHECK (optional_objective IS NULL OR optional_objective IN ('atteint', 'non_atteint', 'absent')),
    forecast_spending TEXT,
    observed_spending TEXT,
    am_revenue TEXT NOT NULL,
    action_plan_progress TEXT,
    -- Qualité evaluation inputs: the number of risks of the confirmed targeting,
    -- the complementary objectives (JSON list of the engine's `Objective`) and
    -- the weighted share met (fraction 0..1) computed by the engine.
    targeted_risks BIGINT CHECK (targeted_risks IS NULL OR targeted_risks BETWEEN 1 AND 3),
    objectives TEXT,
    share_met TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('interessement', 'ni_interessement_ni_sanction', 'sanction')),
    savings TEXT,
    nature TEXT CHECK (nature IS NULL OR nature IN ('interessement', 'sanction')),
    basis_kind TEXT CHECK (basis_kind IS NULL OR basis_kind IN ('economies', 'produits_am')),
    ceiling TEXT NOT NULL,
    proposed_amount TEXT NOT NULL,
    opinion TEXT CHECK (opinion IS NULL OR opinion IN ('favorable', 'defavorable')),
    opinion_comment TEXT,
    opinion_by TEXT REFERENCES users(id),
    opinion_at TEXT,
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
    CHECK ((nature IS NULL) = (outcome = 'ni_interessement_ni_sanction')),
    CHECK (volet <> 'transports' OR (main_target_met IS NOT NULL AND optional_objective IS NOT NULL
        AND forecast_spending IS NOT NULL AND observed_spending IS NOT NULL
        AND action_plan_progress IS NOT NULL AND savings IS NOT NULL)),
    CHECK (volet <> 'qualite' OR (targeted_risks IS NOT NULL AND objectives IS NOT NULL
        AND share_met IS NOT NULL AND outcome <> 'interessement'))
);

INSERT INTO volet_decisions_new (id, campaign, entity, volet, version, main_target_met,
    optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress,
    outcome, savings, nature, basis_kind, ceiling, proposed_amount, opinion, opinion_comment,
    opinion_by, opinion_at, final_amount, motivation, decided_by, decided_at, notified_on,
    notified_by, correction_reason, created_by, created_at)
SELECT id, campaign, entity, volet, version, main_target_met,
    optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress,
    outcome, savings, nature, basis_kind, ceiling, proposed_amount, opinion, opinion_comment,
    opinion_by, opinion_at, final_amount, motivation, decided_by, decided_at, notified_on,
    notified_by, correction_reason, created_by, created_at
FROM volet_decisions;

DROP TABLE volet_decisions;

ALTER TABLE volet_decisions_new RENAME TO volet_decisions;
