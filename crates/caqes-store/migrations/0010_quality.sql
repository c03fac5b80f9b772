-- Quality volet targeting data (instruction DSS/A1/CNAMTS/2017/234, annex 6).

-- The three indicators of a legal entity for a year, imported by the ARS (it
-- holds them: QUALHAS regional dashboard for ICALIN2 and DOC, oSIS for D3.1).
-- Each indicator has a status; the values are present only with a result, as
-- exact decimal text (D3.1 keeps its numerator and denominator).
CREATE TABLE quality_indicators (
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    year BIGINT NOT NULL,
    icalin2 TEXT NOT NULL CHECK (icalin2 IN ('A', 'B', 'C', 'D', 'E', 'non_repondant', 'non_soumis')),
    d31_status TEXT NOT NULL CHECK (d31_status IN ('taux', 'non_renseigne', 'non_soumis')),
    d31_numerator TEXT,
    d31_denominator TEXT,
    doc_status TEXT NOT NULL CHECK (doc_status IN ('resultat', 'non_repondant', 'non_soumis')),
    doc_rate TEXT,
    doc_ci_low TEXT,
    doc_ci_high TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    PRIMARY KEY (entity, year),
    CHECK (d31_status <> 'taux' OR (d31_numerator IS NOT NULL AND d31_denominator IS NOT NULL)),
    CHECK (doc_status <> 'resultat' OR (doc_rate IS NOT NULL AND doc_ci_low IS NOT NULL AND doc_ci_high IS NOT NULL))
);
