//! The quality indicators file of the volet qualité's targeting (`qualite.csv`):
//! ICALIN.2 class, D3.1 numerator and denominator, DOC rate and its confidence
//! interval, one line per legal entity.

use caqes_core::Rate;
use caqes_core::value::parse_decimal;
use caqes_core::volets::quality::{
    D31Result, DocResult, Icalin2Class, Icalin2Result, QualityIndicators,
};

use rust_decimal::Decimal;

use super::{RegionCsv, RegionEntities};
use crate::evaluation_input::InputError;

/// Name given in error reports to the pasted quality file.
pub const QUALITY_FILE: &str = "qualite.csv";
/// The columns of [`QUALITY_FILE`], documented in `docs/platform.md`.
pub const QUALITY_COLUMNS: [&str; 8] = [
    "finess",
    "annee",
    "icalin2",
    "d31_numerateur",
    "d31_denominateur",
    "doc_taux",
    "doc_ic_basse",
    "doc_ic_haute",
];

/// « NR » (non-répondant / non renseigné) or « NS » (non soumis), any case.
fn code(text: &str) -> Option<&'static str> {
    match text.to_uppercase().as_str() {
        "NR" => Some("NR"),
        "NS" => Some("NS"),
        _ => None,
    }
}

/// Reads the pasted file: header with every column of [`QUALITY_COLUMNS`], one
/// line per legal entity of the region, the campaign year. Every error is
/// reported, with its line and column.
pub fn read(
    text: &str,
    entities: &RegionEntities,
    year: i16,
) -> Result<Vec<(u64, QualityIndicators)>, Vec<InputError>> {
    let shape = RegionCsv {
        file: QUALITY_FILE,
        columns: &QUALITY_COLUMNS,
        year,
        unique_with: None,
    };
    shape.read(text, entities, |row, errs| {
        let get = |column: &str| row.get(column);
        let icalin2 = match get("icalin2").to_uppercase().as_str() {
            "A" => Some(Icalin2Result::Classe(Icalin2Class::A)),
            "B" => Some(Icalin2Result::Classe(Icalin2Class::B)),
            "C" => Some(Icalin2Result::Classe(Icalin2Class::C)),
            "D" => Some(Icalin2Result::Classe(Icalin2Class::D)),
            "E" => Some(Icalin2Result::Classe(Icalin2Class::E)),
            "NR" => Some(Icalin2Result::NonRepondant),
            "NS" => Some(Icalin2Result::NonSoumis),
            other => {
                errs.push(
                    "icalin2",
                    format!(
                        "« {other} » : attendu une classe A à E, NR (non-répondant) ou NS (non soumis)"
                    ),
                );
                None
            }
        };
        let mut number = |column: &str| -> Option<Decimal> {
            match parse_decimal(get(column)) {
                Some(d) if !d.is_sign_negative() => Some(d),
                Some(d) => {
                    errs.push(column, format!("valeur négative ({d})"));
                    None
                }
                None => {
                    errs.push(column, format!("nombre illisible « {} »", get(column)));
                    None
                }
            }
        };
        let d31 = match code(get("d31_numerateur")) {
            Some("NR") => Some(D31Result::NonRenseigne),
            Some(_) => Some(D31Result::NonSoumis),
            None => match (number("d31_numerateur"), number("d31_denominateur")) {
                (Some(n), Some(d)) => match Rate::proportion(n, d) {
                    Ok(r) => Some(D31Result::Taux(r)),
                    Err(_) => {
                        errs.push("d31_denominateur", format!(
                                "D3.1 : le dénominateur doit être positif et au moins égal au numérateur ({n} / {d})"
                            ));
                        None
                    }
                },
                _ => None,
            },
        };
        let mut number = |column: &str| -> Option<Decimal> {
            match parse_decimal(get(column)) {
                Some(d)
                    if d >= Decimal::ZERO
                        && d <= Decimal::ONE_HUNDRED =>
                {
                    Some(d)
                }
                _ => {
                    errs.push(column, format!("pourcentage de 0 à 100 illisible « {} »", get(column)));
                    None
                }
            }
        };
        let doc = match code(get("doc_taux")) {
            Some("NR") => Some(DocResult::NonRepondant),
            Some(_) => Some(DocResult::NonSoumis),
            None => match (
                number("doc_taux"),
                number("doc_ic_basse"),
                number("doc_ic_haute"),
            ) {
                (Some(t), Some(low), Some(high)) if low <= t && t <= high => {
                    Some(DocResult::Resultat {
                        taux_pct: t,
                        ic_borne_basse_pct: low,
                        ic_borne_haute_pct: high,
                    })
                }
                (Some(t), Some(low), Some(high)) => {
                    errs.push("doc_taux", format!(
                            "DOC : le taux {t} % doit être dans son intervalle de confiance [{low} ; {high}]"
                        ));
                    None
                }
                _ => None,
            },
        };
        Some(QualityIndicators {
            entity: row.finess,
            year,
            icalin2: icalin2?,
            d31: d31?,
            doc: doc?,
        })
    })
}
