-- The risks of the confirmed qualité targeting, as the ARS confirmed them (JSON
-- list of `caqes_core::volets::quality::Risk`, its choice on D3.1 included), so
-- that the evaluation counts them without recomputing the verdicts from
-- indicators that may have been re-imported since. NULL on the other volets and
-- on qualité rows confirmed before this migration (the evaluation then falls
-- back to recomputing them).
ALTER TABLE volet_targeting ADD COLUMN risks TEXT;
