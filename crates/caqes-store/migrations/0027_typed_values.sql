-- Values stored typed (issue 9, « parsed once, when imported, and stored typed »). Every
-- edge that receives a value (the établissement's form, the ARS's import, the AM's upload,
-- the demo) parses it once against its campaign's grid and writes it here, next to the
-- text as typed (kept for the form's redisplay and the audit's « avant » values, never
-- read by the engine). `typed_kind` says what the value is:
--   proportion, growth, ratio        numerator / denominator (typed_numerator, typed_denominator)
--   percent, growth_percent, ratio_value   a number given alone (typed_number)
--   numerator                        a numerator alone, where the état des lieux asks only for it (typed_numerator)
--   oui, non, en_cours               words
--   nc, nm                           declarations (an NC's motive and review are in nc_declarations)
-- Decimals are `rust_decimal`'s canonical text (`12.50`), read back exactly, never as floats.
-- Rows written before this migration are typed by `Store::connect` with their campaign's
-- grid; a row the grid cannot read keeps typed_kind NULL and says why in typed_error
-- (kept, reported by the evaluation, never dropped).
ALTER TABLE indicator_values ADD COLUMN typed_kind TEXT CHECK (typed_kind IS NULL OR typed_kind IN
    ('proportion', 'percent', 'growth', 'growth_percent', 'ratio', 'ratio_value', 'numerator',
     'oui', 'non', 'en_cours', 'nc', 'nm'));
ALTER TABLE indicator_values ADD COLUMN typed_numerator TEXT;
ALTER TABLE indicator_values ADD COLUMN typed_denominator TEXT;
ALTER TABLE indicator_values ADD COLUMN typed_number TEXT;
ALTER TABLE indicator_values ADD COLUMN typed_error TEXT;
-- The rows still to type, found without reading the table at every connection.
CREATE INDEX indicator_values_untyped ON indicator_values (site)
    WHERE typed_kind IS NULL AND typed_error IS NULL;
