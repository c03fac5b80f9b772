-- What the PHEV dashboards keep of an Open PHMEV upload (issue 12): per campaign (its year)
-- and legal entity of the region, the indicator sums the pipeline reports, the boxes of each
-- biosimilar class, and the amount reimbursed per ATC4 class and per product (CIP13). A new
-- upload of the campaign replaces its rows. Amounts are exact decimal text.
CREATE TABLE phev_entity_figures (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    name TEXT NOT NULL,
    boxes_total BIGINT NOT NULL,
    boxes_excluding_paracetamol BIGINT NOT NULL,
    boxes_repertoire BIGINT NOT NULL,
    amount TEXT NOT NULL,
    amount_excluding_hepatitis_c TEXT NOT NULL,
    -- NULL when no file of year N−1 was given.
    previous_amount_excluding_hepatitis_c TEXT,
    PRIMARY KEY (campaign, entity)
);

CREATE TABLE phev_biosimilar_boxes (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    position BIGINT NOT NULL,
    class_id TEXT NOT NULL,
    label TEXT NOT NULL,
    biosimilar_boxes BIGINT NOT NULL,
    reference_boxes BIGINT NOT NULL,
    PRIMARY KEY (campaign, entity, class_id)
);

CREATE TABLE phev_amounts (
    campaign TEXT NOT NULL REFERENCES campaigns(id),
    entity TEXT NOT NULL REFERENCES legal_entities(finess),
    kind TEXT NOT NULL CHECK (kind IN ('classe', 'produit')),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    amount TEXT NOT NULL,
    boxes BIGINT NOT NULL,
    PRIMARY KEY (campaign, entity, kind, code)
);
