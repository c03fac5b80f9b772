-- The class an établissement chooses for an indicator measured on « la classe sélectionnée »
-- (issue 10): IV-02, a therapeutic class of drugs (ATC code) and IV-03, a class of medical
-- devices of the LPP. One per legal entity, year and indicator; the Assurance Maladie's PHEV
-- upload reads the ATC class of IV-02 for each entity (instead of one class for the region).
CREATE TABLE chosen_classes (
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    year BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    class_code TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    chosen_at TEXT NOT NULL,
    PRIMARY KEY (entity, year, indicator)
);
