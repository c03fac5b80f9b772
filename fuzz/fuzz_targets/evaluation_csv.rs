//! The engine's CSV inputs (`caqes evaluate`): `etablissements.csv`,
//! `valeurs.csv` and `cibles.csv`, three parts of one input separated by the
//! byte 0xFF, read against the Occitanie référentiel; when they read, the
//! engine scores every establishment as the CLI does.
#![no_main]

use std::sync::OnceLock;

use caqes_core::referentiel::{Referentiel, builtin_by_id};
use caqes_core::scoring::score;
use caqes_data::evaluation_input::{read_establishments, read_yearly_data};
use libfuzzer_sys::fuzz_target;

/// Loaded once: parsing the 44 KB grid at each input would be most of the work.
static REFERENTIEL: OnceLock<Option<Referentiel>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let [establishments, values, targets] = caqes_fuzz::split::<3>(data);
    let Some(referentiel) = REFERENTIEL.get_or_init(|| builtin_by_id("occitanie-2018")) else {
        return;
    };
    let Ok(rows) = read_establishments("etablissements.csv", &caqes_fuzz::text(establishments))
    else {
        return;
    };
    let values = caqes_fuzz::text(values);
    let targets = caqes_fuzz::text(targets);
    let Ok(data) = read_yearly_data(
        referentiel,
        &rows,
        ("valeurs.csv", &values),
        (!targets.is_empty()).then_some(("cibles.csv", targets.as_str())),
    ) else {
        return;
    };
    for e in &rows {
        for year in [2018, 2019, 2020] {
            let _ = score(
                referentiel,
                e.category,
                year,
                &data.entries(e.finess, year),
                &data.targets(e.finess, year),
            );
        }
    }
});
