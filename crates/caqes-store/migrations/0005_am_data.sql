-- Assurance Maladie data of a legal entity and the sanction basis chosen by the ARS.

-- Insurance share of the products of the liste en sus (exact decimal text, euros),
-- the alternative basis of the sanction of the volet obligatoire (≤ 30 %), and the
-- closed year the AM figures (revenue, liste en sus) are about.
ALTER TABLE legal_entities ADD COLUMN liste_en_sus TEXT;
ALTER TABLE legal_entities ADD COLUMN am_data_year BIGINT;

-- The basis the ARS chose for the sanction of a dossier (NULL: produits AM, the default).
ALTER TABLE submissions ADD COLUMN sanction_basis TEXT
    CHECK (sanction_basis IS NULL OR sanction_basis IN ('produits_am', 'liste_en_sus'));
