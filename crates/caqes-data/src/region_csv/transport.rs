//! The transport spending file of the volet transports' targeting
//! (`transports.csv`, Assurance Maladie): one line per legal entity, the year's
//! prescribed transport spending and the year before's.

use caqes_core::Euros;
use caqes_core::volets::transport::TransportSpending;

use super::{RegionCsv, RegionEntities};
use crate::evaluation_input::InputError;

/// Name given in error reports to the pasted transport file.
pub const TRANSPORT_FILE: &str = "transports.csv";
/// The columns of [`TRANSPORT_FILE`], documented in `docs/platform.md`.
pub const TRANSPORT_COLUMNS: [&str; 4] = [
    "finess",
    "annee",
    "depenses_transport_prescrites",
    "depenses_annee_precedente",
];

/// Reads the pasted file: header with every column of [`TRANSPORT_COLUMNS`],
/// one line per legal entity of the region, the campaign year, amounts ≥ 0
/// (decimal comma or point). Every error is reported, with its line and column.
pub fn read(
    text: &str,
    entities: &RegionEntities,
    year: i16,
) -> Result<Vec<(u64, TransportSpending)>, Vec<InputError>> {
    let shape = RegionCsv {
        file: TRANSPORT_FILE,
        columns: &TRANSPORT_COLUMNS,
        year,
        unique_with: None,
    };
    shape.read(text, entities, |row, errs| {
        // The one French amount reader: no negative amount, at most the cents.
        let mut amount = |column: &str| -> Option<Euros> {
            Euros::parse_fr(row.get(column))
                .map_err(|e| errs.push(column, e.to_string()))
                .ok()
        };
        let current = amount("depenses_transport_prescrites");
        let previous = amount("depenses_annee_precedente");
        Some(TransportSpending {
            entity: row.finess,
            year,
            previous: previous?,
            amount: current?,
        })
    })
}
