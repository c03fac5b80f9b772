//! Writes of the second generation, each one transaction with its audit line. Who may
//! act is checked here again (the pages only show the forms): the ARS of the
//! campaign's region decides (targeting, contract, revisions, report, intéressement);
//! the établissement answers its contract and enters its values.
//!
//! One file per step of the procedure: `targeting` (the unit, the targeting, the own
//! objectives), `contract` (proposal, answer, refusal sanction), `hearing`, `values`
//! (typed or imported) and `incentive` (report, revisions, intéressement); what they
//! share is `generation2::unit_write`.

mod contract;
mod hearing;
mod incentive;
mod targeting;
mod values;

pub use targeting::TargetingInput;
pub use values::ValueImportRow;
