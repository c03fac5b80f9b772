//! One establishment's dossier of a campaign: the sanction decision of the volet
//! obligatoire and the engagements (targets, action plan, evidence).

pub mod campaign_scores;
pub mod decision;
pub mod engagements;
pub mod evaluation;
