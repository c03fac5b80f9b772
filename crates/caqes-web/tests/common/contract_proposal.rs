//! A contract proposed by the ARS to one entity of a [`FixtureApp`]: the
//! subject the stories of the letters and of the notifications write before
//! they start (its signature period runs from `received_on`).

use caqes_core::Finess;
use caqes_store::{Contract, NewContract, Role};
use jiff::civil::Date;

use super::fixture::FixtureApp;

/// The obligatory volet alone, proposed by the fixture's ARS to `finess`, its
/// receipt recorded on `received_on` when given.
pub async fn propose_contract(
    t: &FixtureApp,
    finess: Finess,
    received_on: Option<Date>,
) -> Contract {
    let store = t.store();
    let entity = store.legal_entity(&finess).await.unwrap().unwrap();
    let contract = NewContract {
        received_on,
        additional: Vec::new(),
        pertinence_terms: None,
    };
    store
        .propose_contract(t.user(Role::Ars), &entity, &contract)
        .await
        .unwrap()
}
