//! The region files' reader lives in `caqes_data::region_csv`; here, the
//! region's entities it checks the FINESS against, read from the store.

use caqes_core::RegionCode;
use std::collections::HashMap;

use caqes_store::{Store, StoreError};

pub use caqes_data::region_csv::{self, RegionCsv, RegionEntities, Row, RowErrors, file_error};

/// The legal entities of `region` only: a site is refused as any FINESS outside
/// the region.
pub async fn legal_entities(
    store: &Store,
    region: &RegionCode,
) -> Result<RegionEntities, StoreError> {
    let legal = store
        .legal_entities_in_region(region)
        .await?
        .into_iter()
        .map(|e| e.finess);
    Ok(RegionEntities::legal(legal))
}

/// The legal entities of `region` and their sites; a site's line is refused
/// with « {site} est un site : {subject} se donnent pour l'entité juridique … ».
pub async fn entities_with_sites(
    store: &Store,
    region: &RegionCode,
    subject: &'static str,
) -> Result<RegionEntities, StoreError> {
    let legal: Vec<_> = store
        .legal_entities_in_region(region)
        .await?
        .into_iter()
        .map(|e| e.finess)
        .collect();
    let mut owner = HashMap::new();
    for entity in &legal {
        for site in store.sites_of(entity).await? {
            if site.finess != *entity {
                owner.insert(site.finess, *entity);
            }
        }
    }
    Ok(RegionEntities::legal(legal).with_sites(owner, subject))
}
