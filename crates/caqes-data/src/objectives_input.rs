//! The input files of a second-generation (or 2026) evaluation, `caqes evaluate` on an
//! objectives grid. Same conventions as [`crate::evaluation_input`]: UTF-8, `;`, one
//! header line (columns in any order), French or English decimals, the first problem
//! stops the reading with the file, the line and the column.
//!
//! - `valeurs.csv`: `finess;indicateur;annee;montant;numerateur;denominateur`, one row
//!   per establishment, indicator and year (N and N−1). `montant`: euros of AM spending
//!   in the indicator's scope (the objective of a `depense` indicator, the savings of
//!   every indicator); `numerateur`/`denominateur`: a `taux` (both) or a `volume`
//!   (`numerateur` alone). Empty cells are allowed where the measure does not need them.
//! - `revisions.csv` (optional): `finess;indicateur;annee;montant_revise;motif`, the DG
//!   ARS's downward revisions (CSS D162-16 V): the motive is required.
//! - `refus.csv` (optional, caqes-2022 only):
//!   `finess;reception_proposition;reception_seconde_proposition`, and optional
//!   `audition_demandee_le;audition_le`: the establishments that refused to sign.
//!   Dates as `2022-05-02` or `02/05/2022`.
//! - `contrats.csv` (optional, caqes-2022 only): `finess;debut;fin`, the contract's term,
//!   checked against the law (≤ 5 years, ending no later than 31 December 2026).

use std::collections::{BTreeMap, HashMap, HashSet};

use caqes_core::regimes::ObjectivesGrid;
use caqes_core::regimes::contract::ContractTerm;
use caqes_core::regimes::grid::ContractParameters;
use caqes_core::regimes::grid::Measure;
use caqes_core::regimes::outcome::{Revision, YearValues};
use caqes_core::value::parse_decimal;
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::evaluation_input::{EstablishmentRow, InputError, Sheet, read_records_with};

/// Values by (FINESS, indicator code, year), with the line they came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectiveValues {
    values: HashMap<(Finess, String, i16), YearValues>,
}

impl ObjectiveValues {
    pub fn get(&self, finess: Finess, code: &str, year: i16) -> Option<&YearValues> {
        self.values.get(&(finess, code.to_owned(), year))
    }
}

/// Revisions by (FINESS, indicator code) for the evaluated year, with their line (for
/// the error when the engine refuses one: above the computed amount).
pub type Revisions = BTreeMap<(Finess, String), (Revision, u64)>;

/// An establishment that refused to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub first_receipt: Date,
    pub second_receipt: Option<Date>,
    pub hearing_requested: Option<Date>,
    pub hearing: Option<Date>,
}

fn known(
    sheet: &Sheet<'_>,
    record: &csv::StringRecord,
    establishments: &HashSet<Finess>,
) -> Result<Finess, InputError> {
    let finess = sheet.finess(record)?;
    if !establishments.contains(&finess) {
        return Err(sheet.err(
            Some("finess"),
            format!("l'établissement {finess} n'est pas dans le fichier des établissements"),
        ));
    }
    Ok(finess)
}

fn indicator_code<'r>(
    sheet: &Sheet<'_>,
    record: &'r csv::StringRecord,
    grid: &ObjectivesGrid,
) -> Result<&'r str, InputError> {
    let code = sheet.required(record, "indicateur")?;
    if grid.indicator(code).is_none() {
        return Err(sheet.err(
            Some("indicateur"),
            format!("indicateur « {code} » inconnu du référentiel {}", grid.id),
        ));
    }
    Ok(code)
}

fn amount(
    sheet: &Sheet<'_>,
    record: &csv::StringRecord,
    column: &'static str,
) -> Result<Option<Decimal>, InputError> {
    let text = sheet.get(record, column);
    if text.is_empty() {
        return Ok(None);
    }
    parse_decimal(text)
        .filter(|d| *d >= Decimal::ZERO)
        .map(Some)
        .ok_or_else(|| {
            sheet.err(
                Some(column),
                format!("« {text} » n'est pas un nombre positif ou nul"),
            )
        })
}

/// Reads `valeurs.csv` against the grid and the establishments.
pub fn read_values(
    file: &str,
    text: &str,
    grid: &ObjectivesGrid,
    establishments: &[EstablishmentRow],
) -> Result<ObjectiveValues, InputError> {
    let ets: HashSet<Finess> = establishments.iter().map(|e| e.finess).collect();
    let mut out = ObjectiveValues::default();
    for row in read_rows(file, text, grid, |sheet, record| known(sheet, record, &ets))? {
        out.values
            .insert((row.finess, row.indicator, row.year), row.values);
    }
    Ok(out)
}

/// One row of `valeurs.csv`, with its line (the platform's import names it in its
/// errors, as the reader does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    pub finess: Finess,
    pub indicator: String,
    pub year: i16,
    pub values: YearValues,
    pub line: u64,
}

/// Reads `valeurs.csv` against the grid alone, every FINESS accepted: the platform's
/// import (`POST /campagnes/{campagne}/objectifs/valeurs/import`) checks the units and
/// the years against the campaign itself.
pub fn read_value_rows(
    file: &str,
    text: &str,
    grid: &ObjectivesGrid,
) -> Result<Vec<ValueRow>, InputError> {
    read_rows(file, text, grid, |sheet, record| sheet.finess(record))
}

/// The rows of `valeurs.csv`, each checked against the grid's measure, without
/// duplicates; `finess` reads (and checks) the FINESS of a record.
fn read_rows<'a>(
    file: &'a str,
    text: &str,
    grid: &ObjectivesGrid,
    mut finess_of: impl FnMut(&Sheet<'a>, &csv::StringRecord) -> Result<Finess, InputError>,
) -> Result<Vec<ValueRow>, InputError> {
    let mut out = Vec::new();
    let mut lines: HashMap<(Finess, String, i16), u64> = HashMap::new();
    read_records_with(
        file,
        text,
        &[
            "finess",
            "indicateur",
            "annee",
            "montant",
            "numerateur",
            "denominateur",
        ],
        &[],
        |sheet, record| {
            let finess = finess_of(sheet, record)?;
            let code = indicator_code(sheet, record, grid)?;
            let year = sheet.year(record)?;
            let v = YearValues {
                montant: amount(sheet, record, "montant")?,
                numerateur: amount(sheet, record, "numerateur")?,
                denominateur: amount(sheet, record, "denominateur")?,
            };
            let ind = grid
                .indicator(code)
                .ok_or_else(|| sheet.err(Some("indicateur"), "indicateur inconnu"))?;
            match ind.mesure {
                Measure::Spending if v.montant.is_none() => {
                    return Err(sheet.err(
                        Some("montant"),
                        format!(
                            "{code} se mesure en dépense : « montant » (euros) est obligatoire"
                        ),
                    ));
                }
                Measure::Rate => {
                    let (Some(n), Some(d)) = (v.numerateur, v.denominateur) else {
                        return Err(sheet.err(
                            Some(if v.numerateur.is_none() { "numerateur" } else { "denominateur" }),
                            format!("{code} est un taux : « numerateur » et « denominateur » sont obligatoires"),
                        ));
                    };
                    if d.is_zero() {
                        return Err(sheet.err(Some("denominateur"), "dénominateur nul"));
                    }
                    if n > d {
                        return Err(sheet.err(
                            Some("numerateur"),
                            format!("numérateur {n} supérieur au dénominateur {d} pour un taux"),
                        ));
                    }
                }
                Measure::Volume if v.numerateur.is_none() => {
                    return Err(sheet.err(
                        Some("numerateur"),
                        format!("{code} se mesure en volume : « numerateur » (le nombre) est obligatoire"),
                    ));
                }
                _ => {}
            }
            let key = (finess, code.to_owned(), year);
            if let Some(first) = lines.insert(key, sheet.line) {
                return Err(sheet.err(
                    Some("indicateur"),
                    format!("{finess} {code} {year} en double (déjà ligne {first})"),
                ));
            }
            out.push(ValueRow {
                finess,
                indicator: code.to_owned(),
                year,
                values: v,
                line: sheet.line,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// Reads `revisions.csv`, keeping the rows of `year`.
pub fn read_revisions(
    file: &str,
    text: &str,
    grid: &ObjectivesGrid,
    establishments: &[EstablishmentRow],
    year: i16,
) -> Result<Revisions, InputError> {
    let ets: HashSet<Finess> = establishments.iter().map(|e| e.finess).collect();
    let mut out = Revisions::new();
    let mut lines: HashMap<(Finess, String), u64> = HashMap::new();
    read_records_with(
        file,
        text,
        &["finess", "indicateur", "annee", "montant_revise", "motif"],
        &[],
        |sheet, record| {
            let finess = known(sheet, record, &ets)?;
            let code = indicator_code(sheet, record, grid)?;
            if sheet.year(record)? != year {
                return Ok(());
            }
            let Some(revised) = amount(sheet, record, "montant_revise")? else {
                return Err(sheet.err(Some("montant_revise"), "valeur obligatoire manquante"));
            };
            let motive = sheet.get(record, "motif");
            if motive.is_empty() {
                return Err(sheet.err(
                    Some("motif"),
                    "une révision à la baisse doit être motivée (CSS D162-16 V)",
                ));
            }
            if let Some(first) = lines.insert((finess, code.to_owned()), sheet.line) {
                return Err(sheet.err(
                    Some("indicateur"),
                    format!("révision {finess} {code} en double (déjà ligne {first})"),
                ));
            }
            out.insert(
                (finess, code.to_owned()),
                (
                    Revision {
                        amount: Euros(revised),
                        motive: motive.to_owned(),
                    },
                    sheet.line,
                ),
            );
            Ok(())
        },
    )?;
    Ok(out)
}

/// A date written `2022-05-02` or `02/05/2022`.
pub fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Ok(d) = t.parse::<Date>() {
        return Some(d);
    }
    let mut parts = t.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

fn date(
    sheet: &Sheet<'_>,
    record: &csv::StringRecord,
    column: &'static str,
) -> Result<Option<Date>, InputError> {
    let text = sheet.get(record, column);
    if text.is_empty() {
        return Ok(None);
    }
    parse_date(text).map(Some).ok_or_else(|| {
        sheet.err(
            Some(column),
            format!("« {text} » n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)"),
        )
    })
}

/// Reads `refus.csv`.
pub fn read_refusals(
    file: &str,
    text: &str,
    establishments: &[EstablishmentRow],
) -> Result<BTreeMap<Finess, Refusal>, InputError> {
    let ets: HashSet<Finess> = establishments.iter().map(|e| e.finess).collect();
    let mut out = BTreeMap::new();
    let mut lines: HashMap<Finess, u64> = HashMap::new();
    read_records_with(
        file,
        text,
        &[
            "finess",
            "reception_proposition",
            "reception_seconde_proposition",
        ],
        &["audition_demandee_le", "audition_le"],
        |sheet, record| {
            let finess = known(sheet, record, &ets)?;
            let Some(first_receipt) = date(sheet, record, "reception_proposition")? else {
                return Err(sheet.err(
                    Some("reception_proposition"),
                    "valeur obligatoire manquante",
                ));
            };
            let second_receipt = date(sheet, record, "reception_seconde_proposition")?;
            let hearing_requested = date(sheet, record, "audition_demandee_le")?;
            let hearing = date(sheet, record, "audition_le")?;
            if hearing_requested.is_some() != hearing.is_some() {
                return Err(sheet.err(
                    Some(if hearing.is_none() {
                        "audition_le"
                    } else {
                        "audition_demandee_le"
                    }),
                    "une audition se donne avec sa date de demande et sa date",
                ));
            }
            if let Some(first) = lines.insert(finess, sheet.line) {
                return Err(sheet.err(
                    Some("finess"),
                    format!("refus de {finess} en double (déjà ligne {first})"),
                ));
            }
            out.insert(
                finess,
                Refusal {
                    first_receipt,
                    second_receipt,
                    hearing_requested,
                    hearing,
                },
            );
            Ok(())
        },
    )?;
    Ok(out)
}

/// Reads `contracts.csv` (`finess;debut;fin`): every term is checked by
/// [`ContractTerm::new`] and a refused one names its line.
pub fn read_contracts(
    file: &str,
    text: &str,
    params: &ContractParameters,
    establishments: &[EstablishmentRow],
) -> Result<BTreeMap<Finess, ContractTerm>, InputError> {
    let ets: HashSet<Finess> = establishments.iter().map(|e| e.finess).collect();
    let mut out = BTreeMap::new();
    let mut lines: HashMap<Finess, u64> = HashMap::new();
    read_records_with(
        file,
        text,
        &["finess", "debut", "fin"],
        &[],
        |sheet, record| {
            let finess = known(sheet, record, &ets)?;
            let Some(start) = date(sheet, record, "debut")? else {
                return Err(sheet.err(Some("debut"), "valeur obligatoire manquante"));
            };
            let Some(end) = date(sheet, record, "fin")? else {
                return Err(sheet.err(Some("fin"), "valeur obligatoire manquante"));
            };
            let term = ContractTerm::new(params, start, end)
                .map_err(|e| sheet.err(Some("fin"), e.to_string()))?;
            if let Some(first) = lines.insert(finess, sheet.line) {
                return Err(sheet.err(
                    Some("finess"),
                    format!("contrat de {finess} en double (déjà ligne {first})"),
                ));
            }
            out.insert(finess, term);
            Ok(())
        },
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation_input::read_establishments;
    use caqes_core::regimes::{AnyReferentiel, builtin_any_by_id};

    fn grid() -> ObjectivesGrid {
        match builtin_any_by_id("national-2022") {
            Some(AnyReferentiel::Objectives(g)) => g,
            _ => panic!("national-2022"),
        }
    }

    fn ets() -> Vec<EstablishmentRow> {
        read_establishments(
            "etablissements.csv",
            "finess;raison_sociale;categorie;region;produits_am\n010000024;CH A;MCO_PUBLIC_ESPIC;ARA;1000\n",
        )
        .unwrap()
    }

    #[test]
    fn values_are_checked_against_the_measure() {
        let header = "finess;indicateur;annee;montant;numerateur;denominateur\n";
        let v = read_values(
            "valeurs.csv",
            &format!(
                "{header}010000024;N1-IPP;2023;500 000,50;;\n010000024;N3-AMBU;2023;;20;100\n"
            ),
            &grid(),
            &ets(),
        )
        .unwrap();
        let got = v
            .get(Finess::parse("010000024").unwrap(), "N1-IPP", 2023)
            .unwrap();
        assert_eq!(got.montant, Some(Decimal::new(50000050, 2)));
        let e = read_values(
            "valeurs.csv",
            &format!("{header}010000024;N1-IPP;2023;;;\n"),
            &grid(),
            &ets(),
        )
        .unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("montant")));
        assert!(
            e.to_string()
                .starts_with("valeurs.csv, ligne 2, colonne « montant »"),
            "{e}"
        );
        let e = read_values(
            "valeurs.csv",
            &format!("{header}010000024;N3-AMBU;2023;;120;100\n"),
            &grid(),
            &ets(),
        )
        .unwrap_err();
        assert!(e.message.contains("supérieur au dénominateur"), "{e}");
        let e = read_values(
            "valeurs.csv",
            &format!("{header}010000024;X;2023;1;;\n"),
            &grid(),
            &ets(),
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("indicateur"));
        let e = read_values(
            "valeurs.csv",
            &format!("{header}010000024;N1-IPP;2023;1;;\n010000024;N1-IPP;2023;2;;\n"),
            &grid(),
            &ets(),
        )
        .unwrap_err();
        assert!(e.message.contains("déjà ligne 2"), "{e}");
    }

    #[test]
    fn contracts_follow_the_law() {
        let params = grid().contract.unwrap();
        let header = "finess;debut;fin\n";
        let c = read_contracts(
            "contrats.csv",
            &format!("{header}010000024;01/07/2022;31/12/2024\n"),
            &params,
            &ets(),
        )
        .unwrap();
        assert_eq!(c.values().next().unwrap().years(), 2022..=2024);
        // 1 July 2022 → 30 June 2027 is within 5 years but after 31 December 2026.
        let e = read_contracts(
            "contrats.csv",
            &format!("{header}010000024;2022-07-01;2027-06-30\n"),
            &params,
            &ets(),
        )
        .unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("fin")));
        assert!(
            e.message.contains("31 décembre") || e.message.contains("2026-12-31"),
            "{e}"
        );
    }

    #[test]
    fn revisions_need_a_motive_and_refusals_dates() {
        let e = read_revisions(
            "revisions.csv",
            "finess;indicateur;annee;montant_revise;motif\n010000024;N1-IPP;2023;100;\n",
            &grid(),
            &ets(),
            2023,
        )
        .unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("motif")));
        let r = read_refusals(
            "refus.csv",
            "finess;reception_proposition;reception_seconde_proposition\n010000024;02/05/2022;2022-05-30\n",
            &ets(),
        )
        .unwrap();
        let got = r.values().next().unwrap();
        assert_eq!(got.first_receipt, jiff::civil::date(2022, 5, 2));
        assert_eq!(got.second_receipt, Some(jiff::civil::date(2022, 5, 30)));
        let e = read_refusals(
            "refus.csv",
            "finess;reception_proposition;reception_seconde_proposition\n010000024;31/02/2022;\n",
            &ets(),
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("reception_proposition"));
    }
}
