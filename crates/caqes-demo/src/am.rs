//! The Assurance Maladie's figures of the demo region.

use caqes_core::{Category, Euros};
use caqes_store::Actor;
use caqes_store::am::AmFigures;
use rust_decimal::Decimal;

use crate::DemoResult;

/// Liste en sus amounts for a few demo entities (every fourth MCO or psychiatry
/// entity, the CHU first), so that the choice of basis can be shown; the AM
/// revenues seeded by the demo stay as they are.
pub(crate) async fn seed(
    store: &caqes_store::Store,
    actor: &Actor,
    entities: &[caqes_store::NewEntity],
) -> DemoResult<()> {
    let region = entities.first().map_or(crate::REGION, |e| e.entity.region);
    let figures: Vec<AmFigures> = entities
        .iter()
        .enumerate()
        .filter(|(n, e)| {
            n % 4 == 0
                && matches!(
                    e.entity.category,
                    Category::McoPublicEspic | Category::McoPrive | Category::PsyPublicEspic
                )
        })
        .map(|(n, e)| AmFigures {
            entity: e.entity.finess,
            am_revenue: None,
            liste_en_sus: Some(Euros(Decimal::from(
                if n == 0 { 42_000_000 } else { 3_000_000 } + (n as i64 % 5) * 125_000,
            ))),
            year: Some(2018),
        })
        .collect();
    if !figures.is_empty() {
        store.set_am_figures(actor, &region, &figures).await?;
    }
    Ok(())
}
