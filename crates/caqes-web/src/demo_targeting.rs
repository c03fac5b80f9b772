//! Demo data of the targeting: transport spending of a few entities of the demo
//! region for the current campaign year, chosen so that the engine targets some
//! of them (by growth, by amount, by both) and leaves the others, including one
//! exactly at each threshold of the référentiel (2,2 % and 500 000 €), which
//! « dépasse » read strictly does not target. The ARS confirms the list itself.

use caqes_core::Euros;
use caqes_store::targeting::TransportSpending;
use caqes_store::{Actor, NewEntity, Store};
use rust_decimal::Decimal;

use crate::error::AppResult;

/// (previous year, year) in euros, for the first entities of the region in order.
const SPENDING: [(i64, i64); 7] = [
    // The CHU: amount above 500 000 €, growth below 2,2 %: targeted by amount.
    (1_850_000, 1_860_000),
    // Growth exactly 2,2 % on a small amount: not targeted.
    (100_000, 102_200),
    // Amount exactly 500 000 €, growth about 1 %: not targeted.
    (495_000, 500_000),
    // Growth +8 % on a small amount: targeted by growth.
    (150_000, 162_000),
    // Both thresholds exceeded.
    (620_000, 700_000),
    // Below both.
    (80_000, 80_500),
    // Decrease, small amount.
    (300_000, 290_000),
];

pub async fn seed(store: &Store, entities: &[NewEntity], year: i16) -> AppResult<()> {
    let rows: Vec<TransportSpending> = entities
        .iter()
        .zip(SPENDING)
        .map(|(e, (previous, amount))| TransportSpending {
            entity: e.entity.finess,
            year,
            previous: Euros(Decimal::from(previous)),
            amount: Euros(Decimal::from(amount)),
        })
        .collect();
    store
        .import_transport_spending(
            &Actor::system("initialisation de la démonstration"),
            crate::demo::REGION,
            "démonstration",
            &rows,
        )
        .await?;
    Ok(())
}
