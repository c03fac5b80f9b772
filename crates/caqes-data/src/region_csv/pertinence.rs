//! The pertinence data file of the volet pertinence's targeting
//! (`pertinence.csv`, ARS or Assurance Maladie): one line per legal entity and
//! theme, a proportion against a reference rate or a count against an expected
//! count; the engine's own refusals are reported on their line.

use caqes_core::Rate;
use caqes_core::value::parse_decimal;
use caqes_core::volets::pertinence::{
    Measure, PertinenceData, PertinenceParameters, proportion_test, ratio_test,
};

use super::{RegionCsv, RegionEntities};
use crate::evaluation_input::InputError;

/// Name given in error reports to the pasted pertinence file.
pub const PERTINENCE_FILE: &str = "pertinence.csv";
/// The columns of [`PERTINENCE_FILE`], documented in `docs/platform.md`.
pub const PERTINENCE_COLUMNS: [&str; 8] = [
    "finess",
    "annee",
    "theme",
    "observe",
    "population",
    "ref_numerateur",
    "ref_denominateur",
    "attendu",
];

/// Reads the pasted file: header with every column of [`PERTINENCE_COLUMNS`], one
/// line per legal entity and theme, the campaign year; either `population` with
/// the reference rate (proportion) or `attendu` (ratio). Every error is reported,
/// with its line and column, including the engine's own refusals.
pub fn read(
    text: &str,
    entities: &RegionEntities,
    year: i16,
) -> Result<Vec<(u64, PertinenceData)>, Vec<InputError>> {
    let shape = RegionCsv {
        file: PERTINENCE_FILE,
        columns: &PERTINENCE_COLUMNS,
        year,
        unique_with: Some(("theme", "thème")),
    };
    // The engine's checks do not depend on the confidence levels.
    let params = PertinenceParameters::default();
    shape.read(text, entities, |row, errs| {
        let get = |column: &str| row.get(column);
        let Ok(observed) = get("observe").parse::<u64>() else {
            errs.push(
                "observe",
                format!(
                    "nombre entier positif ou nul illisible « {} »",
                    get("observe")
                ),
            );
            return None;
        };
        let has = |c: &str| !get(c).is_empty();
        let measure = match (
            has("population") || has("ref_numerateur") || has("ref_denominateur"),
            has("attendu"),
        ) {
            (true, false) => {
                let Ok(population) = get("population").parse::<u64>() else {
                    errs.push(
                        "population",
                        format!("nombre entier positif illisible « {} »", get("population")),
                    );
                    return None;
                };
                let rate = match (
                    parse_decimal(get("ref_numerateur")),
                    parse_decimal(get("ref_denominateur")),
                ) {
                    (Some(n), Some(d)) => Rate::proportion(n, d).ok(),
                    _ => None,
                };
                let Some(reference) = rate else {
                    errs.push(
                        "ref_denominateur",
                        format!(
                            "taux de référence illisible « {} / {} » : numérateur et dénominateur positifs, numérateur au plus égal au dénominateur",
                            get("ref_numerateur"),
                            get("ref_denominateur")
                        ),
                    );
                    return None;
                };
                Measure::Proportion {
                    observed,
                    population,
                    reference,
                }
            }
            (false, true) => match parse_decimal(get("attendu")) {
                Some(expected) => Measure::Ratio { observed, expected },
                None => {
                    errs.push(
                        "attendu",
                        format!("nombre illisible « {} »", get("attendu")),
                    );
                    return None;
                }
            },
            _ => {
                errs.push(
                    "attendu",
                    "remplir soit population, ref_numerateur et ref_denominateur (proportion), soit attendu (ratio)",
                );
                return None;
            }
        };
        let tested = match &measure {
            Measure::Proportion {
                observed,
                population,
                reference,
            } => proportion_test(&params, *observed, *population, reference),
            Measure::Ratio { observed, expected } => ratio_test(&params, *observed, *expected),
        };
        if let Err(e) = tested {
            let column = match measure {
                Measure::Proportion { .. } => "population",
                Measure::Ratio { .. } => "attendu",
            };
            errs.push(column, e.to_string());
            return None;
        }
        Some(PertinenceData {
            entity: row.finess,
            year,
            theme: get("theme").to_owned(),
            measure,
        })
    })
}
