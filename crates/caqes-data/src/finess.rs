//! The public FINESS extract (« extraction du répertoire FINESS »,
//! `;`-separated, UTF-8, one line per geographic establishment): sites
//! (`nofinesset`) grouped under their legal entity (`nofinessej`), with the
//! CAQES category of the obvious FINESS categories (`categetab`) or of an
//! optional `categorie` column, and the entity's name (`rsej` when the ARS
//! joined it, else its main site's). Lines of other regions are counted and
//! left out. Every problem is reported with its line and column, not only the
//! first.
//!
//! What the platform knows (entities already registered) is not read here:
//! the caller decides what an entity without a CAQES category becomes.

use std::collections::HashMap;

use caqes_core::{Category, Finess, RegionCode};

use crate::evaluation_input::InputError;

/// The columns the extract must have.
pub const COLUMNS: [&str; 6] = [
    "nofinesset",
    "nofinessej",
    "rs",
    "departement_from_finess",
    "categetab",
    "libcategetab",
];

/// Whether a header line is the FINESS extract's (it names `nofinesset`).
pub fn is_finess_header(first_line: &str) -> bool {
    first_line.split(';').any(|c| c.trim() == "nofinesset")
}

/// The CAQES category of the obvious FINESS establishment categories
/// (`categetab`); the others must be given in a `categorie` column.
pub fn category_of_finess(categetab: &str) -> Option<Category> {
    Some(match categetab {
        // Centre hospitalier, CHR/CHU, ex-hôpital local, centre de lutte contre le cancer (ESPIC).
        "355" | "101" | "106" | "131" => Category::McoPublicEspic,
        "292" => Category::PsyPublicEspic,
        "161" => Category::PsyPrive,
        "127" => Category::Had,
        "141" | "146" => Category::Dialyse,
        "109" => Category::SsrPrive,
        "128" | "129" | "122" => Category::McoPrive,
        _ => return None,
    })
}

/// Departments of each region (INSEE codes of the 2016 regions). Overseas
/// establishments carry department « 970 » in the extract: their department
/// is the FINESS number's first three digits.
pub fn departments_of(region: &RegionCode) -> &'static [&'static str] {
    match region.as_str() {
        "11" => &["75", "77", "78", "91", "92", "93", "94", "95"],
        "24" => &["18", "28", "36", "37", "41", "45"],
        "27" => &["21", "25", "39", "58", "70", "71", "89", "90"],
        "28" => &["14", "27", "50", "61", "76"],
        "32" => &["02", "59", "60", "62", "80"],
        "44" => &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
        "52" => &["44", "49", "53", "72", "85"],
        "53" => &["22", "29", "35", "56"],
        "75" => &[
            "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
        ],
        "76" => &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
        ],
        "84" => &[
            "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
        ],
        "93" => &["04", "05", "06", "13", "83", "84"],
        "94" => &["2A", "2B"],
        "01" => &["971"],
        "02" => &["972"],
        "03" => &["973"],
        "04" => &["974"],
        "06" => &["976"],
        _ => &[],
    }
}

/// One line of the extract, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinessSite {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub finess: Finess,
    /// `nofinessej`: its legal entity.
    pub entity: Finess,
    /// `rs`: the site's name.
    pub name: String,
    /// `categetab` and `libcategetab`: « 696 « Groupement de coopération sanitaire » ».
    pub finess_category: String,
    /// The CAQES category of the line (`categorie`, else from `categetab`).
    pub category: Option<Category>,
}

/// A legal entity of the region and its sites in the file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinessEntity {
    pub finess: Finess,
    /// The line of its first site.
    pub line: u64,
    /// Its own name (`rsej`), else its main site's (see [`looks_like_main_site`]).
    pub name: String,
    /// The first CAQES category among its sites; `None`: none has one.
    pub category: Option<Category>,
    pub sites: Vec<FinessSite>,
}

/// The extract, read for one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinessExtract {
    pub entities: Vec<FinessEntity>,
    /// Lines of other regions, left out.
    pub other_regions: usize,
}

/// Where a legal entity's name comes from, from the weakest to the strongest source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Naming {
    /// The first site seen, whatever its category.
    Unnamed,
    /// A site with a CAQES category.
    AnySite,
    /// A site with a CAQES category whose name reads as a whole establishment.
    MainSite,
    /// The entity's own name (column `rsej`).
    Entity,
}

/// Whether a site's name reads as a whole establishment rather than one of its units:
/// it names a CHU/CHR/CH, a hospital, a clinic or a centre, and is not a day hospital,
/// a CMP/CATTP or a grouping (GCS).
pub fn looks_like_main_site(name: &str) -> bool {
    let upper = format!(" {} ", name.to_uppercase());
    let unit = [
        " HJ ",
        " HDJ ",
        " CMP ",
        " CMPEA ",
        " CATTP ",
        " GCS ",
        " ET SIEGE ",
    ]
    .iter()
    .any(|w| upper.contains(w));
    let whole = [
        " CHU ",
        " CHR ",
        " CH ",
        " CHS ",
        "CENTRE HOSPITALIER",
        "HOPITAL",
        "HÔPITAL",
        "CLINIQUE",
        "POLYCLINIQUE",
    ]
    .iter()
    .any(|w| upper.contains(w));
    whole && !unit
}

fn error(file: &str, line: Option<u64>, column: Option<&str>, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        message,
    }
}

/// Reads the extract `text` (named `file` in errors) for the region
/// `region` (INSEE code). Line ends may be CRLF; a UTF-8 BOM is ignored.
pub fn read_finess(
    file: &str,
    region: &RegionCode,
    text: &str,
) -> Result<FinessExtract, Vec<InputError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The csv crate numbers a CRLF text's records one line too low: count
    // on `\n` line ends only.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            vec![error(
                file,
                Some(1),
                None,
                format!("en-tête illisible : {e}"),
            )]
        })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![error(
            file,
            Some(1),
            None,
            format!("colonne(s) manquante(s) : {}", missing.join(", ")),
        )]);
    }
    let position = |name: &str| header.iter().position(|h| h == name);
    let columns: HashMap<&str, usize> = COLUMNS
        .iter()
        .copied()
        .chain(["categorie", "rsej"])
        .filter_map(|c| position(c).map(|p| (c, p)))
        .collect();
    let departments = departments_of(region);
    let mut errors = Vec::new();
    let mut other_regions = 0;
    struct Group {
        entity: FinessEntity,
        named: Naming,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index_of: HashMap<Finess, usize> = HashMap::new();
    let mut seen_sites: HashMap<Finess, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                errors.push(error(file, line, None, format!("ligne illisible : {e}")));
                return Err(errors);
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let get = |column: &str| {
            columns
                .get(column)
                .and_then(|&i| record.get(i))
                .map_or("", str::trim)
        };
        let parse = |column: &str| {
            Finess::parse(get(column))
                .map_err(|e| error(file, Some(line), Some(column), e.to_string()))
        };
        let site = match parse("nofinesset") {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut department = get("departement_from_finess").to_owned();
        if department == "970" {
            department = site.as_str().chars().take(3).collect();
        }
        if !departments.contains(&department.as_str()) {
            other_regions += 1;
            continue;
        }
        let entity = match parse("nofinessej") {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Some(first) = seen_sites.insert(site, line) {
            errors.push(error(
                file,
                Some(line),
                Some("nofinesset"),
                format!("site {site} en double (déjà ligne {first})"),
            ));
            continue;
        }
        let given = get("categorie");
        let category = if given.is_empty() {
            category_of_finess(get("categetab"))
        } else {
            match given.parse::<Category>() {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(error(file, Some(line), Some("categorie"), e.to_string()));
                    continue;
                }
            }
        };
        let name = get("rs").to_owned();
        let index = *index_of.entry(entity).or_insert_with(|| {
            groups.push(Group {
                entity: FinessEntity {
                    finess: entity,
                    line,
                    name: name.clone(),
                    category: None,
                    sites: Vec::new(),
                },
                named: Naming::Unnamed,
            });
            groups.len() - 1
        });
        let g = &mut groups[index];
        let entity_name = get("rsej");
        if !entity_name.is_empty() {
            // The legal entity's own name, when the file carries it (column `rsej` of the
            // FINESS « entités juridiques » extract, joined by the ARS).
            g.entity.name = entity_name.to_owned();
            g.named = Naming::Entity;
        }
        if g.entity.category.is_none() {
            g.entity.category = category;
        }
        // Without `rsej`, the entity is named after its main site: the first site with a
        // known category whose name reads as a whole establishment (CHU, centre
        // hospitalier, clinique…), else the first site with a known category — never a
        // day hospital or a CMP when the main site is in the file (the CHU de Nîmes is
        // « CHU NIMES CAREMEAU », not its first listed « HJ PSY INF JUV CMPEA »).
        if category.is_some() {
            let rank = if looks_like_main_site(&name) {
                Naming::MainSite
            } else {
                Naming::AnySite
            };
            if rank > g.named {
                g.entity.name = name.clone();
                g.named = rank;
            }
        }
        g.entity.sites.push(FinessSite {
            line,
            finess: site,
            entity,
            name,
            finess_category: format!("{} « {} »", get("categetab"), get("libcategetab")),
            category,
        });
    }
    if errors.is_empty() {
        Ok(FinessExtract {
            entities: groups.into_iter().map(|g| g.entity).collect(),
            other_regions,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OCCITANIE: RegionCode = RegionCode::from_static("76");

    const HEADER: &str =
        "nofinesset;nofinessej;rs;departement_from_finess;categetab;libcategetab\n";

    #[test]
    fn sites_are_grouped_under_their_entity_named_after_a_categorised_site() {
        let text = format!(
            "{HEADER}310011358;310782446;CMP PIJ CASTANET PGI ARSEAA;31;156;Centre Médico-Psychologique (C.M.P.)\r\n\
             310018676;310782446;SECTORISATION PIJ PGI ARSEAA;31;292;Centre Hospitalier Spécialisé lutte Maladies Mentales\r\n\
             010000024;010780054;CH DE FLEYRIAT;01;355;Centre Hospitalier (C.H.)\r\n"
        );
        let read = read_finess("f", &OCCITANIE, &text).unwrap();
        assert_eq!(read.other_regions, 1);
        assert_eq!(read.entities.len(), 1);
        let e = &read.entities[0];
        assert_eq!(e.finess.as_str(), "310782446");
        assert_eq!(e.name, "SECTORISATION PIJ PGI ARSEAA");
        assert_eq!(e.category, Some(Category::PsyPublicEspic));
        assert_eq!(e.line, 2);
        assert_eq!(e.sites.len(), 2);
        assert_eq!(e.sites[0].category, None);
        assert_eq!(
            e.sites[0].finess_category,
            "156 « Centre Médico-Psychologique (C.M.P.) »"
        );
        assert_eq!(e.sites[1].line, 3);
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = format!(
            "{HEADER}310011358;310782446;A;31;156;x\n310011359;310782446;B;31;156;x\n310011358;310782446;C;31;156;x\n"
        );
        let errors = read_finess("extrait", &OCCITANIE, &text).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].starts_with("extrait, ligne 3, colonne « nofinesset » : "),
            "{shown:?}"
        );
        assert_eq!(
            shown[1],
            "extrait, ligne 4, colonne « nofinesset » : site 310011358 en double (déjà ligne 2)"
        );
        let errors = read_finess("extrait", &OCCITANIE, "nofinesset;rs\n").unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "extrait, ligne 1 : colonne(s) manquante(s) : nofinessej, departement_from_finess, categetab, libcategetab"
        );
    }
}
