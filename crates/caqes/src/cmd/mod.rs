//! One module per command.

pub mod admin;
pub mod audit;
pub mod contrat;
pub mod demo;
pub mod evaluate;
pub mod evaluate_objectives;
pub mod phmev;
pub mod rapport;
pub mod referentiel;
pub mod referentiel_objectives;
pub mod sauvegarde;
pub mod serve;
