-- The terms of the volet pertinence fixed in the contract (issue 9, W10). Annex 5 of the
-- instruction: the nature of the sanction is « déterminée lors de l'étape de
-- contractualisation » (a mise sous accord préalable with its duration in months, or a
-- retention of at most 1 % of the AM revenue), and the incentive's maximum is written in the
-- contract. The yearly evaluation reads them here instead of choosing them. Set only on the
-- pertinence volet; contracts proposed before this migration have none (the evaluation then
-- asks for an avenant).
ALTER TABLE contract_volets ADD COLUMN sanction_kind TEXT CHECK (sanction_kind IN ('retenue', 'msap'));
ALTER TABLE contract_volets ADD COLUMN msap_months BIGINT;
ALTER TABLE contract_volets ADD COLUMN incentive_ceiling TEXT;
