//! The engine's input files: `etablissements.csv`, `valeurs.csv`, `cibles.csv`.
//!
//! UTF-8 (a leading BOM is accepted), `;` separator, one header line whose columns may
//! come in any order; French or English decimal separator. Every row is checked and the
//! first problem stops the reading with a French message naming the file, the line and
//! the column: the caller writes nothing when reading fails.
//!
//! - `etablissements.csv`: `finess;raison_sociale;categorie;region;produits_am`
//!   (`produits_am`, the revenue from mandatory health insurance of the last closed year,
//!   may be empty).
//! - `valeurs.csv`: `finess;indicateur;annee;numerateur;denominateur;valeur`, and an
//!   optional `motif` column: an `NC` on an indicator the establishment's category makes
//!   concerned needs its motive (the ARS's batch file: the declaration counts as accepted);
//!   `NM` comes from the category only and is refused on a concerned indicator.
//! - `cibles.csv`: `finess;indicateur;annee;cible`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use caqes_core::referentiel::{Applicability, Referentiel};
use caqes_core::scoring::Given;
use caqes_core::value::{Entry, NcDeclaration, Review, parse_decimal, parse_entry_in};
use caqes_core::{Category, Euros, Finess};
use rust_decimal::Decimal;

/// One establishment to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstablishmentRow {
    pub finess: Finess,
    pub name: String,
    pub category: Category,
    pub region: String,
    /// Revenue from mandatory health insurance, last closed year.
    pub am_revenue: Option<Euros>,
}

/// What was given, by indicator code (entry, NC motive, line in `valeurs.csv`).
pub type Entries = BTreeMap<String, Given>;
/// Targets by indicator code.
pub type Targets = BTreeMap<String, Decimal>;

/// Values and targets of every establishment and year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearlyData {
    values: HashMap<(Finess, i16), Entries>,
    targets: HashMap<(Finess, i16), Targets>,
}

impl YearlyData {
    pub fn entries(&self, finess: Finess, year: i16) -> Entries {
        self.values
            .get(&(finess, year))
            .cloned()
            .unwrap_or_default()
    }

    pub fn targets(&self, finess: Finess, year: i16) -> Targets {
        self.targets
            .get(&(finess, year))
            .cloned()
            .unwrap_or_default()
    }

    /// Number of value rows read (all years).
    pub fn value_count(&self) -> usize {
        self.values.values().map(BTreeMap::len).sum()
    }
}

/// A problem in an input file: where, and what (in French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    pub file: String,
    /// 1-based line in the file (the header is line 1); `None` for file-level problems.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ", ligne {l}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", colonne « {c} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

/// A CSV file being read: name, header positions, current line.
struct Sheet<'a> {
    file: &'a str,
    positions: HashMap<&'static str, usize>,
    line: u64,
}

impl<'a> Sheet<'a> {
    fn err(&self, column: Option<&str>, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.to_owned(),
            line: Some(self.line),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &'static str) -> &'r str {
        self.positions
            .get(column)
            .and_then(|i| record.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn required<'r>(
        &self,
        record: &'r csv::StringRecord,
        column: &'static str,
    ) -> Result<&'r str, InputError> {
        let v = self.get(record, column);
        if v.is_empty() {
            return Err(self.err(Some(column), "valeur obligatoire manquante"));
        }
        Ok(v)
    }

    fn finess(&self, record: &csv::StringRecord) -> Result<Finess, InputError> {
        Finess::parse(self.required(record, "finess")?)
            .map_err(|e| self.err(Some("finess"), e.to_string()))
    }

    fn year(&self, record: &csv::StringRecord) -> Result<i16, InputError> {
        let v = self.required(record, "annee")?;
        v.parse::<i16>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .ok_or_else(|| self.err(Some("annee"), format!("« {v} » n'est pas une année")))
    }
}

/// Reads every record of a `;`-separated UTF-8 text, checking the header first.
fn read_records<'a>(
    file: &'a str,
    text: &str,
    columns: &[&'static str],
    on_record: impl FnMut(&mut Sheet<'a>, &csv::StringRecord) -> Result<(), InputError>,
) -> Result<(), InputError> {
    read_records_with(file, text, columns, &[], on_record)
}

/// [`read_records`] with `optional` columns, which the header may omit.
fn read_records_with<'a>(
    file: &'a str,
    text: &str,
    columns: &[&'static str],
    optional: &[&'static str],
    mut on_record: impl FnMut(&mut Sheet<'a>, &csv::StringRecord) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The csv crate numbers records one line too low in CRLF files (Windows, Excel): the
    // line endings are normalised first so that error messages name the right line.
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        text
    };
    let file_err = |message: String| InputError {
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    };
    if text.trim().is_empty() {
        return Err(file_err(
            "fichier vide : une ligne d'en-tête est attendue".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| file_err(format!("en-tête illisible : {e}")))?
        .clone();
    let mut positions = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        match columns.iter().chain(optional).find(|c| **c == name) {
            Some(c) => {
                if positions.insert(*c, i).is_some() {
                    return Err(InputError {
                        line: Some(1),
                        column: Some(name.to_owned()),
                        ..file_err(format!("colonne « {name} » en double dans l'en-tête"))
                    });
                }
            }
            None => {
                return Err(InputError {
                    line: Some(1),
                    column: Some(name.to_owned()),
                    ..file_err(format!(
                        "colonne inconnue « {name} » (colonnes attendues : {}{}{})",
                        columns.join(";"),
                        if optional.is_empty() {
                            ""
                        } else {
                            " ; facultatives : "
                        },
                        optional.join(";")
                    ))
                });
            }
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| !positions.contains_key(*c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(InputError {
            line: Some(1),
            ..file_err(format!("colonne(s) manquante(s) : {}", missing.join(", ")))
        });
    }
    let mut sheet = Sheet {
        file,
        positions,
        line: 1,
    };
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(sheet.line + 1);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} champs au lieu de {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => {
                        "texte non UTF-8 (enregistrer le fichier en UTF-8)".to_owned()
                    }
                    _ => format!("ligne illisible : {e}"),
                };
                return Err(InputError {
                    line: Some(line),
                    ..file_err(message)
                });
            }
        };
        sheet.line = record
            .position()
            .map(|p| p.line())
            .unwrap_or(sheet.line + 1);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line carries no data
        }
        on_record(&mut sheet, &record)?;
    }
    Ok(())
}

/// Reads `etablissements.csv`.
pub fn read_establishments(file: &str, text: &str) -> Result<Vec<EstablishmentRow>, InputError> {
    let mut rows: Vec<EstablishmentRow> = Vec::new();
    let mut seen: HashMap<Finess, u64> = HashMap::new();
    read_records(
        file,
        text,
        &[
            "finess",
            "raison_sociale",
            "categorie",
            "region",
            "produits_am",
        ],
        |sheet, record| {
            let finess = sheet.finess(record)?;
            if let Some(first) = seen.insert(finess, sheet.line) {
                return Err(sheet.err(
                    Some("finess"),
                    format!("établissement {finess} en double (déjà ligne {first})"),
                ));
            }
            let category: Category = sheet.required(record, "categorie")?.parse().map_err(
                |e: caqes_core::category::UnknownCategory| {
                    sheet.err(Some("categorie"), e.to_string())
                },
            )?;
            let revenue = sheet.get(record, "produits_am");
            let am_revenue = if revenue.is_empty() {
                None
            } else {
                let amount = parse_decimal(revenue)
                    .filter(|d| *d >= Decimal::ZERO)
                    .ok_or_else(|| {
                        sheet.err(
                            Some("produits_am"),
                            format!("« {revenue} » n'est pas un montant positif"),
                        )
                    })?;
                Some(Euros(amount))
            };
            rows.push(EstablishmentRow {
                finess,
                name: sheet.get(record, "raison_sociale").to_owned(),
                category,
                region: sheet.get(record, "region").to_owned(),
                am_revenue,
            });
            Ok(())
        },
    )?;
    Ok(rows)
}

fn check_known(
    sheet: &Sheet<'_>,
    referentiel: &Referentiel,
    known: &HashMap<Finess, Category>,
    record: &csv::StringRecord,
) -> Result<(Finess, String, i16), InputError> {
    let finess = sheet.finess(record)?;
    if !known.contains_key(&finess) {
        return Err(sheet.err(
            Some("finess"),
            format!("l'établissement {finess} n'est pas dans le fichier des établissements"),
        ));
    }
    let code = sheet.required(record, "indicateur")?;
    if referentiel.indicator(code).is_none() {
        return Err(sheet.err(
            Some("indicateur"),
            format!(
                "indicateur « {code} » inconnu du référentiel {}",
                referentiel.id
            ),
        ));
    }
    let year = sheet.year(record)?;
    Ok((finess, code.to_owned(), year))
}

/// Reads `valeurs.csv` and, when given, `cibles.csv`, against the référentiel and the
/// establishments already read.
pub fn read_yearly_data(
    referentiel: &Referentiel,
    establishments: &[EstablishmentRow],
    values: (&str, &str),
    targets: Option<(&str, &str)>,
) -> Result<YearlyData, InputError> {
    let known: HashMap<Finess, Category> = establishments
        .iter()
        .map(|e| (e.finess, e.category))
        .collect();
    let mut data = YearlyData::default();
    let mut first_seen: HashMap<(Finess, i16, String), u64> = HashMap::new();
    let (file, text) = values;
    read_records_with(
        file,
        text,
        &[
            "finess",
            "indicateur",
            "annee",
            "numerateur",
            "denominateur",
            "valeur",
        ],
        &["motif"],
        |sheet, record| {
            let (finess, code, year) = check_known(sheet, referentiel, &known, record)?;
            if let Some(first) = first_seen.insert((finess, year, code.clone()), sheet.line) {
                return Err(sheet.err(
                    Some("indicateur"),
                    format!("ligne en double : {finess} {code} {year} déjà donné ligne {first}"),
                ));
            }
            let Some(indicator) = referentiel.indicator(&code) else {
                return Err(sheet.err(Some("indicateur"), format!("indicateur « {code} » inconnu")));
            };
            let entry = parse_entry_in(
                indicator,
                year <= referentiel.baseline_year,
                Some(sheet.get(record, "numerateur")),
                Some(sheet.get(record, "denominateur")),
                Some(sheet.get(record, "valeur")),
            )
            .map_err(|e| sheet.err(Some(e.field.column()), format!("{code} : {}", e.message)))?;
            let motive = sheet.get(record, "motif");
            let concerned = known
                .get(&finess)
                .is_some_and(|c| indicator.applicability(*c) == Applicability::Concerned);
            let mut given = Given::new(entry).at_line(sheet.line);
            match entry {
                Entry::Declared(Applicability::Nm) if concerned => {
                    return Err(sheet.err(
                        Some("valeur"),
                        format!(
                            "{code} : NM refusé : le caractère non mesurable découle de la catégorie de l'établissement, pour laquelle {code} est concerné (déclarer NC avec un motif si l'activité le justifie)"
                        ),
                    ));
                }
                Entry::Declared(Applicability::Nc) if concerned => {
                    let declaration = NcDeclaration::new(motive, Review::Accepted)
                        .map_err(|e| sheet.err(Some("motif"), format!("{code} : {e}")))?;
                    given = given.with_declaration(declaration);
                }
                _ if !motive.is_empty() && !matches!(entry, Entry::Declared(_)) => {
                    return Err(sheet.err(
                        Some("motif"),
                        format!("{code} : un motif ne s'écrit qu'avec la valeur NC"),
                    ));
                }
                _ => {}
            }
            data.values
                .entry((finess, year))
                .or_default()
                .insert(code, given);
            Ok(())
        },
    )?;
    if let Some((file, text)) = targets {
        let mut first_seen: HashMap<(Finess, i16, String), u64> = HashMap::new();
        read_records(
            file,
            text,
            &["finess", "indicateur", "annee", "cible"],
            |sheet, record| {
                let (finess, code, year) = check_known(sheet, referentiel, &known, record)?;
                if let Some(first) = first_seen.insert((finess, year, code.clone()), sheet.line) {
                    return Err(sheet.err(
                        Some("indicateur"),
                        format!(
                            "ligne en double : {finess} {code} {year} déjà donné ligne {first}"
                        ),
                    ));
                }
                let raw = sheet.required(record, "cible")?;
                let target = parse_decimal(raw).ok_or_else(|| {
                    sheet.err(Some("cible"), format!("« {raw} » n'est pas un nombre"))
                })?;
                data.targets
                    .entry((finess, year))
                    .or_default()
                    .insert(code, target);
                Ok(())
            },
        )?;
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use caqes_core::referentiel::builtin_by_id;
    use rust_decimal_macros::dec;

    const ETS: &str = "finess;raison_sociale;categorie;region;produits_am\n\
        750712184;AP-HP;MCO_PUBLIC_ESPIC;IDF;5000000000\n\
        690781810;HCL;MCO_PUBLIC_ESPIC;ARA;\n";

    fn grid() -> Referentiel {
        builtin_by_id("occitanie-2018").unwrap()
    }

    #[test]
    fn reads_establishments_in_any_column_order_with_bom() {
        let text = "\u{feff}categorie;finess;region;produits_am;raison_sociale\nDIALYSE;690781810;ARA;1 234,5;X\n";
        let rows = read_establishments("e.csv", text).unwrap();
        assert_eq!(rows[0].category, Category::Dialyse);
        assert_eq!(rows[0].am_revenue, Some(Euros(dec!(1234.5))));
    }

    #[test]
    fn crlf_files_report_the_right_line() {
        let crlf = ETS
            .replace("HCL;MCO_PUBLIC_ESPIC", "HCL;MCO")
            .replace('\n', "\r\n");
        let e = read_establishments("e.csv", &crlf).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (Some(3), Some("categorie")),
            "{e}"
        );
    }

    #[test]
    fn establishment_errors_name_line_and_column() {
        let e = read_establishments("e.csv", &ETS.replace("690781810", "690781811")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.csv, ligne 3, colonne « finess » : la clé du numéro FINESS « 690781811 » est invalide"
        );
        let e = read_establishments("e.csv", &ETS.replace("HCL;MCO_PUBLIC_ESPIC", "HCL;MCO"))
            .unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("categorie")));
        let e = read_establishments("e.csv", &format!("{ETS}750712184;AP-HP bis;HAD;IDF;\n"))
            .unwrap_err();
        assert!(e.message.contains("en double (déjà ligne 2)"), "{e}");
        let e =
            read_establishments("e.csv", "finess;raison_sociale;categorie;region\n").unwrap_err();
        assert!(e.message.contains("manquante(s) : produits_am"), "{e}");
        let e = read_establishments("e.csv", &format!("{ETS}750712184;X\n")).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(read_establishments("e.csv", "").is_err());
    }

    #[test]
    fn values_and_targets_are_checked_against_the_grid() {
        let r = grid();
        let ets = read_establishments("e.csv", ETS).unwrap();
        let head = "finess;indicateur;annee;numerateur;denominateur;valeur\n";
        let ok = format!("{head}750712184;II-01;2019;12,5;50;\n750712184;IV-04;2019;;;EN_COURS\n");
        let cibles = "finess;indicateur;annee;cible\n750712184;II-01;2019;20\n";
        let data = read_yearly_data(&r, &ets, ("v.csv", &ok), Some(("c.csv", cibles))).unwrap();
        let f = Finess::parse("750712184").unwrap();
        assert_eq!(data.entries(f, 2019).len(), 2);
        assert_eq!(data.targets(f, 2019).get("II-01"), Some(&dec!(20)));

        let cases = [
            ("750712184;X-99;2019;1;2;\n", "indicateur"),
            ("750712184;II-01;2019;3;2;\n", "numerateur"),
            ("750712184;II-01;2019;1;0;\n", "denominateur"),
            ("750712184;II-01;2019;1;abc;\n", "denominateur"),
            ("750712184;II-01;deux;1;2;\n", "annee"),
            ("130786049;II-01;2019;1;2;\n", "finess"),
            ("750712184;II-08;2019;;;PEUT-ETRE\n", "valeur"),
        ];
        for (row, column) in cases {
            let e =
                read_yearly_data(&r, &ets, ("v.csv", &format!("{head}{row}")), None).unwrap_err();
            assert_eq!(
                (e.line, e.column.as_deref()),
                (Some(2), Some(column)),
                "{row}: {e}"
            );
        }
        // W4: NC on a concerned indicator needs its motive; NM comes from the category.
        let e = read_yearly_data(
            &r,
            &ets,
            ("v.csv", &format!("{head}750712184;II-02;2019;;;NC\n")),
            None,
        )
        .unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (Some(2), Some("motif")),
            "{e}"
        );
        assert!(e.message.contains("NC sans motif"), "{e}");
        let e = read_yearly_data(
            &r,
            &ets,
            ("v.csv", &format!("{head}750712184;II-02;2019;;;NM\n")),
            None,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("NM refusé"), "{e}");
        let with_motive = "finess;indicateur;annee;numerateur;denominateur;valeur;motif\n\
            750712184;II-02;2019;;;NC;aucun traitement ATB de plus de 7 jours\n\
            750712184;II-01;2019;1;2;;\n";
        let data = read_yearly_data(&r, &ets, ("v.csv", with_motive), None).unwrap();
        let given = data.entries(f, 2019);
        let d = given["II-02"].declaration.as_ref().unwrap();
        assert_eq!(d.motive(), "aucun traitement ATB de plus de 7 jours");
        assert_eq!(d.review, Review::Accepted);
        assert_eq!(given["II-01"].source_line, Some(3));
        let e = read_yearly_data(
            &r,
            &ets,
            ("v.csv", &with_motive.replace("1;2;;", "1;2;;parce que")),
            None,
        )
        .unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (Some(3), Some("motif")),
            "{e}"
        );
        let dup = format!("{head}750712184;II-01;2019;1;2;\n750712184;II-01;2019;1;4;\n");
        let e = read_yearly_data(&r, &ets, ("v.csv", &dup), None).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("en double"), "{e}");
        let e = read_yearly_data(
            &r,
            &ets,
            ("v.csv", &ok),
            Some((
                "c.csv",
                "finess;indicateur;annee;cible\n750712184;II-01;2019;vingt\n",
            )),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.csv, ligne 2, colonne « cible » : « vingt » n'est pas un nombre"
        );
    }
}
