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
//!   `indicateur` may name one class of an indicator computed per class (`III-03/EPO`,
//!   D5): the class is a line of its own, read with its indicator's kind and rules.
//! - `cibles.csv`: `finess;indicateur;annee;cible` (a class line takes its own target).
//! - `sites.csv` (optional): `finess_geographique;finess_juridique`, the sites of the
//!   multi-site legal entities. Values may then be given per site (the geographic FINESS
//!   in `valeurs.csv`'s `finess` column) and are pooled into the entity from their
//!   components (`caqes_core::multisite::pool_line`); targets stay the entity's. A value
//!   given both for an entity and for one of its sites (same indicator, same year) is an
//!   error: the two could disagree and neither silently wins.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use caqes_core::multisite::parse_unit_entry;
use caqes_core::referentiel::{Applicability, GridLine, Referentiel};
use caqes_core::scoring::Given;
use caqes_core::value::{Entry, NcDeclaration, Review, parse_decimal};
use caqes_core::{Category, Finess};
use rust_decimal::Decimal;

mod establishments;
mod records;
pub use establishments::{
    EstablishmentRow, Sites, read_establishment_records, read_establishments, read_sites,
};
pub use records::{AtLine, TargetRecord, ValueRecord, YearlyRecords};

/// What was given, by indicator code (entry, NC motive, line in `valeurs.csv`).
pub type Entries = BTreeMap<String, Given>;
/// Targets by indicator code.
pub type Targets = BTreeMap<String, Decimal>;

/// FxHash (the Rust compiler's hash): the maps below are keyed by FINESS numbers and
/// years read from the establishment's own files, hashed ~600 000 times for a national
/// campaign, where SipHash's resistance to crafted keys buys nothing but time (a crafted
/// file could at worst slow its own evaluation down).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u16(&mut self, word: u16) {
        self.write_u64(u64::from(word));
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// One row of `valeurs.csv` or `cibles.csv` as kept: the indicator's index in the grid,
/// the line (for error messages) and what was given.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row<T> {
    index: u16,
    line: u32,
    value: T,
}

/// Rows of one FINESS and year: at most one per indicator, so a short vector searched
/// linearly (36 indicators) costs less than a map with a copy of the code per row.
type Rows<T> = Vec<Row<T>>;

fn find<T>(rows: Option<&Rows<T>>, index: usize) -> Option<&Row<T>> {
    rows?.iter().find(|g| usize::from(g.index) == index)
}

/// Values and targets of every establishment and year, indexed once by (FINESS, year):
/// each row is looked up in constant time, never by scanning the file's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearlyData {
    /// The grid's indicator codes, by index.
    codes: Vec<String>,
    values: FastMap<(Finess, i16), Rows<Given>>,
    targets: FastMap<(Finess, i16), Rows<Decimal>>,
    /// Values given per site (geographic FINESS) with `sites.csv`.
    site_values: FastMap<(Finess, i16), Rows<Entry>>,
}

impl YearlyData {
    fn map<T: Clone>(&self, rows: Option<&Rows<T>>) -> BTreeMap<String, T> {
        rows.into_iter()
            .flatten()
            .filter_map(|g| {
                self.codes
                    .get(usize::from(g.index))
                    .map(|c| (c.clone(), g.value.clone()))
            })
            .collect()
    }

    /// The entries of one establishment and year, by indicator code.
    pub fn entries(&self, finess: Finess, year: i16) -> Entries {
        self.map(self.values.get(&(finess, year)))
    }

    /// The targets of one establishment and year, by indicator code.
    pub fn targets(&self, finess: Finess, year: i16) -> Targets {
        self.map(self.targets.get(&(finess, year)))
    }

    /// The entry given for one establishment, year and indicator (by its index in the grid).
    pub fn entry(&self, finess: Finess, year: i16, index: usize) -> Option<Entry> {
        find(self.values.get(&(finess, year)), index).map(|g| g.value.entry)
    }

    /// The entry given for one site (geographic FINESS), year and indicator.
    pub fn site_entry(&self, site: Finess, year: i16, index: usize) -> Option<Entry> {
        find(self.site_values.get(&(site, year)), index).map(|g| g.value)
    }

    /// Number of value rows read (all years, sites included).
    pub fn value_count(&self) -> usize {
        let entities: usize = self.values.values().map(Vec::len).sum();
        let sites: usize = self.site_values.values().map(Vec::len).sum();
        entities + sites
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
pub(crate) struct Sheet<'a> {
    file: &'a str,
    /// Column name → position in the record. A few columns: a linear search on short
    /// names is cheaper than hashing the name for every field of every row.
    positions: Vec<(&'static str, usize)>,
    pub(crate) line: u64,
}

impl<'a> Sheet<'a> {
    pub(crate) fn err(&self, column: Option<&str>, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.to_owned(),
            line: Some(self.line),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    pub(crate) fn get<'r>(&self, record: &'r csv::StringRecord, column: &'static str) -> &'r str {
        self.positions
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, i)| record.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }

    pub(crate) fn required<'r>(
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

    pub(crate) fn finess(&self, record: &csv::StringRecord) -> Result<Finess, InputError> {
        self.finess_in(record, "finess")
    }

    fn finess_in(
        &self,
        record: &csv::StringRecord,
        column: &'static str,
    ) -> Result<Finess, InputError> {
        Finess::parse(self.required(record, column)?)
            .map_err(|e| self.err(Some(column), e.to_string()))
    }

    pub(crate) fn year(&self, record: &csv::StringRecord) -> Result<i16, InputError> {
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
pub(crate) fn read_records_with<'a>(
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
    let mut positions: HashMap<&'static str, usize> = HashMap::new();
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
        positions: positions.into_iter().collect(),
        line: 1,
    };
    // One record reused for every line: `records()` allocates a record per line
    // (600 000 for a national campaign's two files).
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
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
        }
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

/// An indicator's index in the grid, kept in 16 bits (a grid has a few dozen indicators).
fn grid_index(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// A line number kept in 32 bits (files of more than 4 billion lines are not CSV inputs).
fn line_number(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Who a row of `valeurs.csv` or `cibles.csv` is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Establishment(Finess),
    /// A site (geographic FINESS) of this legal entity.
    Site {
        site: Finess,
        entity: Finess,
    },
}

fn check_known(
    sheet: &Sheet<'_>,
    referentiel: &Referentiel,
    codes: &FastMap<&str, usize>,
    known: &FastMap<Finess, Category>,
    sites: Option<&Sites>,
    record: &csv::StringRecord,
) -> Result<(Subject, usize, i16), InputError> {
    let finess = sheet.finess(record)?;
    let subject = if known.contains_key(&finess) {
        Subject::Establishment(finess)
    } else if let Some(entity) = sites.and_then(|s| s.entity_of(finess)) {
        Subject::Site {
            site: finess,
            entity,
        }
    } else {
        let hint = if sites.is_some() {
            " ni dans le fichier des sites"
        } else {
            ""
        };
        return Err(sheet.err(
            Some("finess"),
            format!("l'établissement {finess} n'est pas dans le fichier des établissements{hint}"),
        ));
    };
    let code = sheet.required(record, "indicateur")?;
    let Some(index) = codes.get(code).copied() else {
        return Err(sheet.err(
            Some("indicateur"),
            format!(
                "indicateur « {code} » inconnu du référentiel {}",
                referentiel.id
            ),
        ));
    };
    let year = sheet.year(record)?;
    Ok((subject, index, year))
}

/// Reads `valeurs.csv` and, when given, `cibles.csv`, against the référentiel and the
/// establishments already read.
pub fn read_yearly_data(
    referentiel: &Referentiel,
    establishments: &[EstablishmentRow],
    values: (&str, &str),
    targets: Option<(&str, &str)>,
) -> Result<YearlyData, InputError> {
    read_yearly_data_with_sites(referentiel, establishments, None, values, targets)
}

/// [`read_yearly_data`] with the sites of `sites.csv`: values may be given per site.
pub fn read_yearly_data_with_sites(
    referentiel: &Referentiel,
    establishments: &[EstablishmentRow],
    sites: Option<&Sites>,
    values: (&str, &str),
    targets: Option<(&str, &str)>,
) -> Result<YearlyData, InputError> {
    read_yearly(referentiel, establishments, sites, values, targets, None)
}

/// The rows of `valeurs.csv` and, when given, `cibles.csv`, each with its line and its
/// text as typed, after every check of [`read_yearly_data`]: the platform's import
/// reads the files once, here, and checks the rows against its database.
pub fn read_yearly_records(
    referentiel: &Referentiel,
    establishments: &[EstablishmentRow],
    values: (&str, &str),
    targets: Option<(&str, &str)>,
) -> Result<YearlyRecords, InputError> {
    let mut records = YearlyRecords::default();
    read_yearly(
        referentiel,
        establishments,
        None,
        values,
        targets,
        Some(&mut records),
    )?;
    Ok(records)
}

/// Reads and checks the files into the index the engine reads; with `records`, also
/// keeps every row as typed (the engine's command line does not: a national file's
/// rows would double its memory).
fn read_yearly(
    referentiel: &Referentiel,
    establishments: &[EstablishmentRow],
    sites: Option<&Sites>,
    values: (&str, &str),
    targets: Option<(&str, &str)>,
    mut records: Option<&mut YearlyRecords>,
) -> Result<YearlyData, InputError> {
    let keep = records.is_some();
    let known: FastMap<Finess, Category> = establishments
        .iter()
        .map(|e| (e.finess, e.category))
        .collect();
    // Each row's code found by hashing, not by comparing it with the grid's codes in turn.
    // The codes are the grid's lines: its indicators and the classes of an indicator
    // computed per class (`III-03/EPO`, D5), each kept by its line number.
    let lines: Vec<GridLine<'_>> = referentiel.lines().collect();
    let codes: FastMap<&str, usize> = lines.iter().map(|l| (l.code, l.number)).collect();
    let mut data = YearlyData {
        codes: lines.iter().map(|l| l.code.to_owned()).collect(),
        ..YearlyData::default()
    };
    let (file, text) = values;
    let context = Known {
        referentiel,
        lines: &lines,
        codes: &codes,
        establishments: &known,
        sites,
    };
    // The two files are independent: the targets are read on a second thread while this
    // one reads the values (a national campaign: 406 000 value rows, 203 000 targets). An
    // error in the values is reported first, as when they were read one after the other.
    let (values_read, targets_read) = std::thread::scope(|scope| {
        let targets_read = targets
            .map(|(file, text)| scope.spawn(move || read_targets(&context, file, text, keep)));
        let values_read = read_records_with(
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
                let (subject, index, year) =
                    check_known(sheet, referentiel, &codes, &known, sites, record)?;
                let (indicator, code) = (lines[index].indicator, lines[index].code);
                let finess = match subject {
                    Subject::Establishment(f) | Subject::Site { site: f, .. } => f,
                };
                let first = match subject {
                    Subject::Establishment(_) => {
                        find(data.values.get(&(finess, year)), index).map(|g| g.line)
                    }
                    Subject::Site { .. } => {
                        find(data.site_values.get(&(finess, year)), index).map(|g| g.line)
                    }
                };
                if let Some(first) = first {
                    return Err(sheet.err(
                        Some("indicateur"),
                        format!(
                            "ligne en double : {finess} {code} {year} déjà donné ligne {first}"
                        ),
                    ));
                }
                // The same indicator and year given for an entity and for one of its sites.
                let conflict = match subject {
                    Subject::Site { entity, .. } => find(data.values.get(&(entity, year)), index)
                        .map(|g| (entity, finess, g.line)),
                    Subject::Establishment(entity) => sites.and_then(|s| {
                        s.of_entity(entity).iter().find_map(|site| {
                            find(data.site_values.get(&(*site, year)), index)
                                .map(|g| (entity, *site, g.line))
                        })
                    }),
                };
                if let Some((entity, site, first)) = conflict {
                    return Err(sheet.err(
                        Some("finess"),
                        format!(
                            "{code} {year} : valeur donnée à la fois pour l'entité juridique {entity} et \
                             pour son site {site} (déjà ligne {first}) ; donner soit la valeur de \
                             l'entité, soit celle de chacun de ses sites"
                        ),
                    ));
                }
                let (numerator, denominator, value) = (
                    Some(sheet.get(record, "numerateur")),
                    Some(sheet.get(record, "denominateur")),
                    Some(sheet.get(record, "valeur")),
                );
                // One parser for the CLI and the platform (`multisite::parse_unit_entry`): a
                // site's value must carry its components to be pooled.
                let entry = parse_unit_entry(
                    indicator,
                    year <= referentiel.baseline_year,
                    matches!(subject, Subject::Site { .. }),
                    numerator,
                    denominator,
                    value,
                )
                .map_err(|e| {
                    sheet.err(Some(e.field.column()), format!("{code} : {}", e.message))
                })?;
                let motive = sheet.get(record, "motif");
                if let Some(records) = records.as_deref_mut() {
                    records.values.push(AtLine {
                        line: sheet.line,
                        row: ValueRecord {
                            finess,
                            code: code.to_owned(),
                            year,
                            numerator: sheet.get(record, "numerateur").to_owned(),
                            denominator: sheet.get(record, "denominateur").to_owned(),
                            value: sheet.get(record, "valeur").to_owned(),
                            motive: motive.to_owned(),
                        },
                    });
                }
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
                match subject {
                    Subject::Establishment(_) => {
                        // Sized for one row per indicator at the first row: a vector left to
                        // grow by doubling holds up to twice the rows of a national file.
                        data.values
                            .entry((finess, year))
                            .or_insert_with(|| Vec::with_capacity(referentiel.indicators.len()))
                            .push(Row {
                                index: grid_index(index),
                                line: line_number(sheet.line),
                                value: given,
                            });
                    }
                    Subject::Site { .. } => {
                        data.site_values
                            .entry((finess, year))
                            .or_default()
                            .push(Row {
                                index: grid_index(index),
                                line: line_number(sheet.line),
                                value: given.entry,
                            });
                    }
                }
                Ok(())
            },
        );
        let targets_read = targets_read.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (values_read, targets_read)
    });
    values_read?;
    if let Some(targets) = targets_read {
        let (index, rows) = targets?;
        data.targets = index;
        if let Some(records) = records {
            records.targets = rows;
        }
    }
    Ok(data)
}

/// The grid's lines and the known establishments, as both readers of
/// [`read_yearly_data_with_sites`] check each row against them.
struct Known<'a> {
    referentiel: &'a Referentiel,
    lines: &'a [GridLine<'a>],
    codes: &'a FastMap<&'a str, usize>,
    establishments: &'a FastMap<Finess, Category>,
    sites: Option<&'a Sites>,
}

/// `cibles.csv`: one target per establishment, indicator (or class) and year.
/// The targets indexed for the engine and, with `keep`, each row with its line.
type TargetsRead = (
    FastMap<(Finess, i16), Rows<Decimal>>,
    Vec<AtLine<TargetRecord>>,
);

fn read_targets(
    k: &Known<'_>,
    file: &str,
    text: &str,
    keep: bool,
) -> Result<TargetsRead, InputError> {
    let Known {
        referentiel,
        lines,
        codes,
        establishments: known,
        sites,
    } = *k;
    let mut targets: FastMap<(Finess, i16), Rows<Decimal>> = FastMap::default();
    let mut rows = Vec::new();
    read_records(
        file,
        text,
        &["finess", "indicateur", "annee", "cible"],
        |sheet, record| {
            let (subject, index, year) =
                check_known(sheet, referentiel, codes, known, sites, record)?;
            let code = lines[index].code;
            let finess = match subject {
                Subject::Establishment(f) => f,
                Subject::Site { site, entity } => {
                    return Err(sheet.err(
                        Some("finess"),
                        format!(
                            "{site} est un site de l'entité juridique {entity} : les cibles \
                             se fixent pour l'entité (chaque site est comparé à la cible de \
                             l'entité)"
                        ),
                    ));
                }
            };
            if let Some(first) = find(targets.get(&(finess, year)), index) {
                return Err(sheet.err(
                    Some("indicateur"),
                    format!(
                        "ligne en double : {finess} {code} {year} déjà donné ligne {}",
                        first.line
                    ),
                ));
            }
            let raw = sheet.required(record, "cible")?;
            let target = parse_decimal(raw).ok_or_else(|| {
                sheet.err(Some("cible"), format!("« {raw} » n'est pas un nombre"))
            })?;
            if keep {
                rows.push(AtLine {
                    line: sheet.line,
                    row: TargetRecord {
                        finess,
                        code: code.to_owned(),
                        year,
                        target,
                    },
                });
            }
            targets
                .entry((finess, year))
                .or_insert_with(|| Vec::with_capacity(referentiel.indicators.len()))
                .push(Row {
                    index: grid_index(index),
                    line: line_number(sheet.line),
                    value: target,
                });
            Ok(())
        },
    )?;
    Ok((targets, rows))
}

#[cfg(test)]
mod tests;
