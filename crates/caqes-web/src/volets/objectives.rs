//! The complementary objectives of the qualité and pertinence evaluation forms:
//! a fixed number of rows (plain HTML, no JavaScript), empty rows ignored, each
//! with a label, a weight and a result in % (100 = met, 0 = not met).

use caqes_core::volets::{Objective, Progress};
use rust_decimal::Decimal;

/// Number of objective rows of the form.
pub(crate) const OBJECTIVE_ROWS: usize = 3;

/// The form's fields, in order (`libelle_N`, `poids_N`, `realisation_N`, …).
pub(crate) type Fields = Vec<(String, String)>;

/// One objective row of the form, as shown or as submitted.
pub struct ObjectiveRow {
    pub index: usize,
    pub libelle: String,
    pub poids: String,
    pub realisation: String,
}

pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

pub(crate) fn decimal(text: &str) -> Option<Decimal> {
    text.trim().replace(',', ".").parse::<Decimal>().ok()
}

pub(crate) fn empty_rows() -> Vec<ObjectiveRow> {
    (0..OBJECTIVE_ROWS)
        .map(|index| ObjectiveRow {
            index,
            libelle: String::new(),
            poids: "1".to_owned(),
            realisation: String::new(),
        })
        .collect()
}

/// The rows showing recorded objectives, completed with empty ones.
pub(crate) fn rows_of(objectives: &[Objective]) -> Vec<ObjectiveRow> {
    let mut rows: Vec<ObjectiveRow> = objectives
        .iter()
        .enumerate()
        .map(|(index, o)| ObjectiveRow {
            index,
            libelle: o.libelle.clone(),
            poids: o.poids.normalize().to_string(),
            realisation: (o.realisation.value() * Decimal::ONE_HUNDRED)
                .normalize()
                .to_string(),
        })
        .collect();
    rows.extend(empty_rows().into_iter().skip(rows.len()));
    rows
}

/// The rows as submitted.
pub(crate) fn rows_from(fields: &Fields) -> Vec<ObjectiveRow> {
    (0..OBJECTIVE_ROWS)
        .map(|index| ObjectiveRow {
            index,
            libelle: field(fields, &format!("libelle_{index}")).to_owned(),
            poids: field(fields, &format!("poids_{index}")).to_owned(),
            realisation: field(fields, &format!("realisation_{index}")).to_owned(),
        })
        .collect()
}

/// The objectives of the non-empty rows, or the first row's French error.
pub(crate) fn read_objectives(rows: &[ObjectiveRow]) -> Result<Vec<Objective>, String> {
    let mut out = Vec::new();
    for r in rows {
        let n = r.index + 1;
        if r.libelle.trim().is_empty() {
            if !r.realisation.trim().is_empty() {
                return Err(format!("Objectif {n} : le libellé est obligatoire."));
            }
            continue;
        }
        let poids = decimal(&r.poids)
            .filter(|p| *p > Decimal::ZERO)
            .ok_or_else(|| {
                format!(
                    "Objectif {n} : poids strictement positif attendu (reçu « {} »).",
                    r.poids.trim()
                )
            })?;
        let realisation = decimal(&r.realisation)
            .and_then(|p| Progress::from_percent(p).ok())
            .ok_or_else(|| {
                format!(
                    "Objectif {n} : réalisation en % entre 0 et 100 attendue (reçu « {} »).",
                    r.realisation.trim()
                )
            })?;
        out.push(Objective {
            libelle: r.libelle.trim().to_owned(),
            poids,
            realisation,
        });
    }
    Ok(out)
}

/// « Libellé (poids 2) : 50 % » for a version's summary.
pub(crate) fn objective_line(o: &Objective) -> String {
    format!(
        "{} (poids {}) : {}\u{202f}%",
        o.libelle,
        crate::dossier::fr(o.poids),
        crate::dossier::fr(o.realisation.value() * Decimal::ONE_HUNDRED)
    )
}
