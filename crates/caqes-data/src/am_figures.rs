//! The Assurance Maladie's yearly figures of a region's legal entities
//! (`donnees_am.csv`: `finess;produits_am;liste_en_sus;annee`), the bases of the
//! volet obligatoire's sanction: produits versés par l'assurance maladie and the
//! liste en sus. Empty cells are « not given », never zero.

use caqes_core::{AmountError, Euros, Finess};

use crate::evaluation_input::InputError;

/// The file's name in error reports.
pub const AM_FILE: &str = "donnees_am.csv";

/// One line of the file, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmFiguresRow {
    pub entity: Finess,
    /// Produits versés par l'assurance maladie, last closed year.
    pub am_revenue: Option<Euros>,
    /// Insurance share of the liste en sus products.
    pub liste_en_sus: Option<Euros>,
    /// The closed year these figures are about.
    pub year: Option<i16>,
}

/// An optional amount (an empty cell is « not given »), through the one French
/// amount reader.
pub fn parse_amount(text: &str) -> Result<Option<Euros>, String> {
    match Euros::parse_fr(text) {
        Ok(amount) => Ok(Some(amount)),
        Err(AmountError::Empty) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub fn parse_year(text: &str) -> Result<Option<i16>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i16>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .map(Some)
        .ok_or_else(|| format!("« {t} » n'est pas une année (ex. 2018)"))
}

fn input_error(line: u64, column: &str, message: String) -> InputError {
    InputError {
        file: AM_FILE.into(),
        line: Some(line),
        column: Some(column.into()),
        message,
    }
}

/// Reads the file: every line is checked and every error reported (file, line,
/// column); no row is returned when there is one. `is_legal_entity` says which
/// FINESS may have a line (the region's legal entities).
pub fn read(
    text: &str,
    is_legal_entity: impl Fn(&Finess) -> bool,
) -> Result<Vec<(u64, AmFiguresRow)>, Vec<InputError>> {
    let text = text.replace("\r\n", "\n");
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let expected = ["finess", "produits_am", "liste_en_sus", "annee"];
    let Some((_, header)) = lines.next() else {
        return Err(vec![input_error(
            1,
            "",
            "fichier vide : l'en-tête finess;produits_am;liste_en_sus;annee est attendu".into(),
        )]);
    };
    let columns: Vec<String> = header.split(';').map(|c| c.trim().to_lowercase()).collect();
    if columns != expected {
        return Err(vec![input_error(
            1,
            "",
            format!("en-tête « {header} » : attendu « finess;produits_am;liste_en_sus;annee »"),
        )]);
    }
    let mut errors = Vec::new();
    let mut rows: Vec<(u64, AmFiguresRow)> = Vec::new();
    for (i, line) in lines {
        let n = i as u64 + 1;
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        if f.len() != 4 {
            errors.push(input_error(
                n,
                "",
                format!("{} champ(s) au lieu de 4", f.len()),
            ));
            continue;
        }
        let finess = match Finess::parse(f[0]) {
            Ok(x) => x,
            Err(e) => {
                errors.push(input_error(n, "finess", e.to_string()));
                continue;
            }
        };
        if !is_legal_entity(&finess) {
            errors.push(input_error(
                n,
                "finess",
                format!("{finess} n'est pas une entité juridique de la région"),
            ));
            continue;
        }
        if rows.iter().any(|(_, r)| r.entity == finess) {
            errors.push(input_error(
                n,
                "finess",
                format!("{finess} figure deux fois dans le fichier"),
            ));
            continue;
        }
        let revenue = parse_amount(f[1]).map_err(|m| input_error(n, "produits_am", m));
        let sus = parse_amount(f[2]).map_err(|m| input_error(n, "liste_en_sus", m));
        let year = parse_year(f[3]).map_err(|m| input_error(n, "annee", m));
        match (revenue, sus, year) {
            (Ok(am_revenue), Ok(liste_en_sus), Ok(year)) => rows.push((
                n,
                AmFiguresRow {
                    entity: finess,
                    am_revenue,
                    liste_en_sus,
                    year,
                },
            )),
            (r, l, y) => {
                errors.extend(r.err());
                errors.extend(l.err());
                errors.extend(y.err());
            }
        }
    }
    if errors.is_empty() && rows.is_empty() {
        errors.push(input_error(1, "", "aucune ligne de données".into()));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn finess(body: u32) -> Finess {
        (0..10)
            .find_map(|k| Finess::parse(&format!("{body}{k}")).ok())
            .unwrap()
    }

    #[test]
    fn reads_typed_rows_with_empty_cells_as_not_given() {
        let a = finess(31_000_001);
        let b = finess(31_000_002);
        let text = format!(
            "\u{feff}finess;produits_am;liste_en_sus;annee\r\n{a};1 234 567,89;;2017\r\n\r\n{b};;12000.5;\r\n"
        );
        let rows = read(&text, |f| *f == a || *f == b).unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    2,
                    AmFiguresRow {
                        entity: a,
                        am_revenue: Some(Euros(dec!(1234567.89))),
                        liste_en_sus: None,
                        year: Some(2017),
                    }
                ),
                (
                    4,
                    AmFiguresRow {
                        entity: b,
                        am_revenue: None,
                        liste_en_sus: Some(Euros(dec!(12000.5))),
                        year: None,
                    }
                ),
            ]
        );
    }

    #[test]
    fn every_error_names_its_line_and_column_and_no_row_is_returned() {
        let a = finess(31_000_001);
        let outside = finess(31_000_009);
        let text = format!(
            "finess;produits_am;liste_en_sus;annee\n{a};-5;1,234;1999\n{outside};1;1;2017\n{a};1;1\n"
        );
        let errors: Vec<String> = read(&text, |f| *f == a)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        let joined = errors.join("\n");
        assert_eq!(errors.len(), 5, "{joined}");
        assert!(
            joined.contains("ligne 2, colonne « produits_am »"),
            "{joined}"
        );
        assert!(
            joined.contains("ligne 2, colonne « liste_en_sus »"),
            "{joined}"
        );
        assert!(joined.contains("ligne 2, colonne « annee »"), "{joined}");
        assert!(joined.contains(&format!("ligne 3, colonne « finess » : {outside} n'est pas une entité juridique de la région")), "{joined}");
        assert!(joined.contains("ligne 4"), "{joined}");
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let errors = read("finess;montant\n", |_| true).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("attendu « finess;produits_am;liste_en_sus;annee »")
        );
    }
}
