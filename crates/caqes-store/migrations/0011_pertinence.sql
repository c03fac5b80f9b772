-- Pertinence volet targeting data (instruction DSS/A1/CNAMTS/2017/234: « l'ARS et
-- l'assurance maladie identifient les établissements dont l'activité est
-- atypique »; the volet « va porter sur des données quantitatives (taux de
-- recours, nombre de séjours […]) » against a national mean).

-- One funnel test input of a legal entity for a year and a theme (act, PAPRAPS
-- priority…). Either a proportion (observed events among a population against a
-- reference rate kept as numerator/denominator) or a ratio (observed count against
-- an expected count from indirect standardisation). Decimals as exact text.
CREATE TABLE pertinence_data (
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    year BIGINT NOT NULL,
    theme TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('proportion', 'ratio')),
    observed BIGINT NOT NULL,
    population BIGINT,
    reference_numerator TEXT,
    reference_denominator TEXT,
    expected TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    PRIMARY KEY (entity, year, theme),
    CHECK (method <> 'proportion' OR (population IS NOT NULL AND reference_numerator IS NOT NULL AND reference_denominator IS NOT NULL)),
    CHECK (method <> 'ratio' OR expected IS NOT NULL)
);
