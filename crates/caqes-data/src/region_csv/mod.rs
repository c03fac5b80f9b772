//! One reader for the files an ARS or the Assurance Maladie pastes about the
//! legal entities of its region (transport spending, quality indicators,
//! pertinence data): `;`-separated, a header naming the columns in any order, one
//! line per legal entity (or per entity and theme) for the campaign year.
//!
//! The reader does everything the three files share: BOM and line ends, the
//! header and its missing columns, the FINESS resolved against the region (a
//! site's line names its legal entity), duplicates, the year. Each volet gives a
//! closure turning the rest of a line into its own record. It is all or nothing:
//! every error is reported, with its file, line and column, and no row is
//! returned when there is one.

pub mod pertinence;
pub mod quality;
pub mod transport;

use std::collections::{HashMap, HashSet};

use caqes_core::Finess;

use crate::evaluation_input::InputError;

/// The legal entities of a region, and optionally their sites, so that a line
/// given for a site names the entity it belongs to.
pub struct RegionEntities {
    legal: HashSet<Finess>,
    /// Site → its legal entity, with what a line should be given for (« les
    /// dépenses »); `None` when sites are not looked up.
    sites: Option<(HashMap<Finess, Finess>, &'static str)>,
}

impl RegionEntities {
    /// The legal entities of a region: a site's FINESS is refused as any FINESS
    /// outside the region.
    pub fn legal(legal: impl IntoIterator<Item = Finess>) -> RegionEntities {
        RegionEntities {
            legal: legal.into_iter().collect(),
            sites: None,
        }
    }

    /// Also the sites (site → its legal entity): a site's line is refused with
    /// « {site} est un site : {subject} se donnent pour l'entité juridique … ».
    pub fn with_sites(mut self, owner: HashMap<Finess, Finess>, subject: &'static str) -> Self {
        self.sites = Some((owner, subject));
        self
    }

    /// Why `finess` cannot have a line, if it cannot.
    fn refusal(&self, finess: Finess) -> Option<String> {
        if self.legal.contains(&finess) {
            return None;
        }
        let site = self
            .sites
            .as_ref()
            .and_then(|(owner, subject)| owner.get(&finess).map(|o| (o, subject)));
        Some(match site {
            Some((owner, subject)) => format!(
                "{finess} est un site : {subject} se donnent pour l'entité juridique {owner}"
            ),
            None => format!("{finess} n'est pas une entité juridique de la région"),
        })
    }
}

/// The shape of one region file.
pub struct RegionCsv<'a> {
    /// The name given in error reports (« transports.csv »).
    pub file: &'a str,
    /// The columns the header must hold (any order, others ignored).
    pub columns: &'a [&'a str],
    /// The campaign year: the `annee` column must hold it.
    pub year: i16,
    /// A column making a line unique together with the FINESS, and its French
    /// name (pertinence: one line per entity and `theme`, « thème »); `None`: one
    /// line per entity.
    pub unique_with: Option<(&'a str, &'a str)>,
}

/// One data line whose FINESS, uniqueness and year are already checked.
pub struct Row<'r> {
    pub line: u64,
    pub finess: Finess,
    header: &'r [String],
    record: &'r csv::StringRecord,
}

impl Row<'_> {
    /// The trimmed field of `column`, empty if the line has none.
    pub fn get(&self, column: &str) -> &str {
        field(self.header, self.record, column)
    }
}

fn field<'r>(header: &[String], record: &'r csv::StringRecord, column: &str) -> &'r str {
    header
        .iter()
        .position(|h| h == column)
        .and_then(|i| record.get(i))
        .map_or("", str::trim)
}

/// Collects the errors of one line, each naming its field.
pub struct RowErrors<'e> {
    file: &'e str,
    line: u64,
    errors: &'e mut Vec<InputError>,
}

impl RowErrors<'_> {
    pub fn push(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(InputError {
            file: self.file.to_owned(),
            line: Some(self.line),
            column: Some(column.to_owned()),
            message: message.into(),
        });
    }
}

/// An error about the whole file (no line, no column), e.g. the store's refusal.
pub fn file_error(file: &str, message: impl Into<String>) -> InputError {
    InputError {
        file: file.to_owned(),
        line: None,
        column: None,
        message: message.into(),
    }
}

impl RegionCsv<'_> {
    fn error(&self, line: Option<u64>, message: String) -> InputError {
        InputError {
            line,
            ..file_error(self.file, message)
        }
    }

    /// Reads `text`: every line is checked, then given to `record`, which turns
    /// it into the volet's record or pushes the errors of its fields and returns
    /// `None`. Returns the records with their line, or every error.
    pub fn read<T>(
        &self,
        text: &str,
        entities: &RegionEntities,
        mut record: impl FnMut(&Row<'_>, &mut RowErrors<'_>) -> Option<T>,
    ) -> Result<Vec<(u64, T)>, Vec<InputError>> {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if text.trim().is_empty() {
            return Err(vec![self.error(None, "le fichier est vide".into())]);
        }
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .flexible(false)
            .from_reader(text.as_bytes());
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
            Err(e) => {
                return Err(vec![
                    self.error(Some(1), format!("en-tête illisible : {e}")),
                ]);
            }
        };
        let missing: Vec<&str> = self
            .columns
            .iter()
            .copied()
            .filter(|c| !header.iter().any(|h| h == c))
            .collect();
        if !missing.is_empty() {
            return Err(vec![self.error(
                Some(1),
                format!(
                    "colonne(s) manquante(s) : {} (attendu : {})",
                    missing.join(", "),
                    self.columns.join(";")
                ),
            )]);
        }
        let mut errors = Vec::new();
        let mut rows = Vec::new();
        let mut seen: HashMap<(Finess, String), u64> = HashMap::new();
        for result in reader.records() {
            let record_line = match result {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    errors.push(self.error(line, format!("ligne illisible : {e}")));
                    continue;
                }
            };
            if record_line.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let line = record_line.position().map_or(0, |p| p.line());
            let mut errs = RowErrors {
                file: self.file,
                line,
                errors: &mut errors,
            };
            let get = |column: &str| field(&header, &record_line, column);
            let finess = match Finess::parse(get("finess")) {
                Ok(f) => f,
                Err(e) => {
                    errs.push("finess", e.to_string());
                    continue;
                }
            };
            if let Some(refusal) = entities.refusal(finess) {
                errs.push("finess", refusal);
                continue;
            }
            let duplicate = match self.unique_with {
                None => seen.insert((finess, String::new()), line).map(|first| {
                    (
                        "finess",
                        format!(
                            "{finess} apparaît déjà ligne {first} : une seule ligne par entité"
                        ),
                    )
                }),
                Some((column, name)) => {
                    let value = get(column);
                    if value.is_empty() {
                        errs.push(column, format!("{name} vide"));
                        continue;
                    }
                    seen.insert((finess, value.to_owned()), line).map(|first| {
                        (
                            column,
                            format!(
                                "{finess}, {name} « {value} » apparaît déjà ligne {first} : une seule ligne par entité et {name}"
                            ),
                        )
                    })
                }
            };
            if let Some((column, message)) = duplicate {
                errs.push(column, message);
                continue;
            }
            if get("annee") != self.year.to_string() {
                errs.push(
                    "annee",
                    format!(
                        "année « {} » : la campagne porte sur l'année {}",
                        get("annee"),
                        self.year
                    ),
                );
                continue;
            }
            let row = Row {
                line,
                finess,
                header: &header,
                record: &record_line,
            };
            if let Some(r) = record(&row, &mut errs) {
                rows.push((line, r));
            }
        }
        if rows.is_empty() && errors.is_empty() {
            errors.push(self.error(None, "aucune ligne de données".into()));
        }
        if errors.is_empty() {
            Ok(rows)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid FINESS: `body` followed by its key.
    fn finess(body: u32) -> Finess {
        (0..10)
            .find_map(|k| Finess::parse(&format!("{body}{k}")).ok())
            .unwrap()
    }

    /// Two legal entities; the second owns one site.
    fn entities(sites: bool) -> (RegionEntities, [Finess; 3]) {
        let [a, b, site] = [31_000_001, 31_000_002, 31_000_003].map(finess);
        let mut entities = RegionEntities::legal([a, b]);
        if sites {
            entities = entities.with_sites(HashMap::from([(site, b)]), "les valeurs");
        }
        (entities, [a, b, site])
    }

    const SHAPE: RegionCsv<'static> = RegionCsv {
        file: "test.csv",
        columns: &["finess", "annee", "valeur"],
        year: 2019,
        unique_with: None,
    };

    fn read(
        shape: &RegionCsv<'_>,
        text: &str,
        entities: &RegionEntities,
    ) -> Result<Vec<(u64, String)>, Vec<String>> {
        shape
            .read(text, entities, |row, errs| {
                let v = row.get("valeur");
                if v == "x" {
                    errs.push("valeur", "illisible");
                    None
                } else {
                    Some(format!("{}={v}", row.finess))
                }
            })
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn reads_every_line_whatever_the_column_order_bom_and_line_ends() {
        let (entities, [a, b, _]) = entities(true);
        let text =
            format!("\u{feff}valeur;annee;finess\r\n1;2019;{a}\r\n\r\n ; ; \r\n2;2019;{b}\r\n");
        assert_eq!(
            read(&SHAPE, &text, &entities).unwrap(),
            vec![(2, format!("{a}=1")), (5, format!("{b}=2"))]
        );
    }

    #[test]
    fn reports_every_error_with_line_and_column_and_no_row() {
        let (entities, [a, b, site]) = entities(true);
        let outside = finess(31_000_004);
        let text = format!(
            "finess;annee;valeur\n{a};2019;x\n{b};2018;1\n{site};2019;1\n123;2019;1\n{outside};2019;1\n{a};2019;2\n"
        );
        let errors = read(&SHAPE, &text, &entities).unwrap_err();
        let expected = [
            "test.csv, ligne 2, colonne « valeur » : illisible".to_owned(),
            "test.csv, ligne 3, colonne « annee »".to_owned(),
            format!(
                "test.csv, ligne 4, colonne « finess » : {site} est un site : les valeurs se donnent pour l'entité juridique {b}"
            ),
            "test.csv, ligne 5, colonne « finess »".to_owned(),
            format!(
                "test.csv, ligne 6, colonne « finess » : {outside} n'est pas une entité juridique de la région"
            ),
            format!(
                "test.csv, ligne 7, colonne « finess » : {a} apparaît déjà ligne 2 : une seule ligne par entité"
            ),
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (e, want) in errors.iter().zip(&expected) {
            assert!(e.starts_with(want.as_str()), "{e} / {want}");
        }
        assert!(errors[1].contains("la campagne porte sur l'année 2019"));
    }

    #[test]
    fn without_sites_a_site_is_outside_the_region() {
        let (entities, [_, _, site]) = entities(false);
        let errors = read(
            &SHAPE,
            &format!("finess;annee;valeur\n{site};2019;1\n"),
            &entities,
        )
        .unwrap_err();
        assert!(errors[0].ends_with("n'est pas une entité juridique de la région"));
    }

    #[test]
    fn unique_with_a_column_allows_one_line_per_entity_and_value() {
        let (entities, [a, _, _]) = entities(true);
        let shape = RegionCsv {
            columns: &["finess", "annee", "theme", "valeur"],
            unique_with: Some(("theme", "thème")),
            ..SHAPE
        };
        let header = "finess;annee;theme;valeur\n";
        let ok = format!("{header}{a};2019;T1;1\n{a};2019;T2;2\n");
        assert_eq!(read(&shape, &ok, &entities).unwrap().len(), 2);
        let bad = format!("{header}{a};2019;T1;1\n{a};2019;T1;2\n{a};2019;;3\n");
        let errors = read(&shape, &bad, &entities).unwrap_err();
        assert!(errors[0].contains(&format!(
            "colonne « theme » : {a}, thème « T1 » apparaît déjà ligne 2 : une seule ligne par entité et thème"
        )));
        assert!(
            errors[1].contains("colonne « theme » : thème vide"),
            "{errors:?}"
        );
    }

    #[test]
    fn file_level_errors() {
        let (entities, _) = entities(true);
        let one = |text: &str| read(&SHAPE, text, &entities).unwrap_err().join("|");
        assert_eq!(one(" \n"), "test.csv : le fichier est vide");
        assert!(
            one("finess;annee\n")
                .contains("colonne(s) manquante(s) : valeur (attendu : finess;annee;valeur)")
        );
        assert_eq!(
            one("finess;annee;valeur\n"),
            "test.csv : aucune ligne de données"
        );
    }
}
