-- The pertinence volet's evaluation and decision (annex 5 of the instruction):
-- a third consequence, the mise sous accord préalable (MSAP), which has a
-- duration instead of an amount, and the incentive's basis fixed in the
-- contract (FIR credits). SQLite cannot alter CHECK constraints, so the table is
-- rebuilt the portable way of 0012 (create, copy, drop, rename); the freeze
-- triggers are reinstalled by `Store::connect` after the migrations.
CREATE TABLE volet_decisions_new (
    id TEXT PRIMARY KEY,
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    volet TEXT NOT NULL CHECK (volet IN ('transports', 'qualite', 'pertinence')),
    version BIGINT NOT NULL CHECK (version >= 1),
    -- Transport inputs; `main_target_met` is also the pertinence volet's main
    -- objective (« thématique principale »).
    main_target_met BIGINT CHECK (main_target_met IS NULL OR main_target_met IN (0, 1)),
    optional_objective TEXT CHECK (optional_objective IS NULL OR optional_objective IN ('atteint', 'non_atteint', 'absent')),
    forecast_spending TEXT,
    observed_spending TEXT,
    am_revenue TEXT NOT NULL,
    action_plan_progress TEXT,
    -- Qualité inputs; `objectives` and `share_met` also hold the pertinence
    -- volet's complementary objectives.
    targeted_risks BIGINT CHECK (targeted_risks IS NULL OR targeted_risks BETWEEN 1 AND 3),
    objectives TEXT,
    share_met TEXT,
    -- Pertinence inputs: the sanction chosen at contracting (MSAP with its
    -- duration in months, or a retention of the AM revenue), the incentive's
    -- maximum written in the contract, and the fraction of the ceiling the
    -- complementary objectives leave (the engine's modulation).
    sanction_kind TEXT CHECK (sanction_kind IS NULL OR sanction_kind IN ('msap', 'retenue')),
    msap_months BIGINT CHECK (msap_months IS NULL OR (sanction_kind = 'msap' AND msap_months >= 1)),
    incentive_ceiling TEXT,
    modulation TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('interessement', 'ni_interessement_ni_sanction', 'sanction',
        'mise_sous_accord_prealable')),
    savings TEXT,
    nature TEXT CHECK (nature IS NULL OR nature IN ('interessement', 'sanction')),
    basis_kind TEXT CHECK (basis_kind IS NULL OR basis_kind IN ('economies', 'produits_am', 'plafond_contractuel')),
    ceiling TEXT NOT NULL,
    proposed_amount TEXT NOT NULL,
    opinion TEXT CHECK (opinion IS NULL OR opinion IN ('favorable', 'defavorable')),
    opinion_comment TEXT,
    opinion_by TEXT REFERENCES users(id),
    opinion_at TEXT,
    final_amount TEXT,
    -- The MSAP duration decided by the DG ARS (0: not pronounced).
    final_msap_months BIGINT,
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
    CHECK ((nature IS NULL) = (outcome IN ('ni_interessement_ni_sanction', 'mise_sous_accord_prealable'))),
    CHECK (volet <> 'transports' OR (main_target_met IS NOT NULL AND optional_objective IS NOT NULL
        AND forecast_spending IS NOT NULL AND observed_spending IS NOT NULL
        AND action_plan_progress IS NOT NULL AND savings IS NOT NULL)),
    CHECK (volet <> 'qualite' OR (targeted_risks IS NOT NULL AND objectives IS NOT NULL
        AND share_met IS NOT NULL AND outcome <> 'interessement')),
    CHECK (volet <> 'pertinence' OR (main_target_met IS NOT NULL AND objectives IS NOT NULL
        AND share_met IS NOT NULL AND sanction_kind IS NOT NULL AND incentive_ceiling IS NOT NULL
        AND modulation IS NOT NULL AND outcome <> 'ni_interessement_ni_sanction')),
    CHECK (outcome <> 'mise_sous_accord_prealable' OR (volet = 'pertinence' AND msap_months IS NOT NULL)),
    CHECK (final_msap_months IS NULL OR (outcome = 'mise_sous_accord_prealable'
        AND final_msap_months BETWEEN 0 AND msap_months)),
    CHECK (notified_on IS NULL OR outcome <> 'mise_sous_accord_prealable' OR final_msap_months IS NOT NULL)
);

INSERT INTO volet_decisions_new (id, campaign, entity, volet, version, main_target_met,
    optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress,
    targeted_risks, objectives, share_met, outcome, savings, nature, basis_kind, ceiling,
    proposed_amount, opinion, opinion_comment, opinion_by, opinion_at, final_amount, motivation,
    decided_by, decided_at, notified_on, notified_by, correction_reason, created_by, created_at)
SELECT id, campaign, entity, volet, version, main_target_met,
    optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress,
    targeted_risks, objectives, share_met, outcome, savings, nature, basis_kind, ceiling,
    proposed_amount, opinion, opinion_comment, opinion_by, opinion_at, final_amount, motivation,
    decided_by, decided_at, notified_on, notified_by, correction_reason, created_by, created_at
FROM volet_decisions;

DROP TABLE volet_decisions;

ALTER TABLE volet_decisions_new RENAME TO volet_decisions;
