//! What is configuration rather than code: paracetamol codes, biosimilar classes and their
//! "comparable" reference products, hepatitis C class, IV-02 classes, site → entity mapping.

use std::collections::HashMap;
use std::path::Path;

use caqes_core::Finess;

use super::PhmevError;

/// A class of biologics with biosimilars (III-03).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiosimilarClass {
    /// Key in the outputs (`epo`, `anti_tnf`, ...).
    pub id: String,
    pub label: String,
    /// ATC5 codes of the class.
    pub atc5: Vec<String>,
    /// CIP13 of products counted as references although CNAM does not mark them `C`
    /// (e.g. Toujeo for insulin glargine, as the 2019 incentive arrêté does).
    pub comparables: Vec<String>,
}

/// The default classes of the issue. Written as the configuration file format, so that
/// the default is parsed by the same code as a user's file.
pub const DEFAULT_CLASSES_CSV: &str = "\
classe;libelle;atc5;cip13_comparables
epo;Érythropoïétines (EPO);B03XA01;
anti_tnf;Anti-TNF alpha;L04AB01,L04AB02,L04AB04;
insuline_glargine;Insuline glargine;A10AE04;
g_csf;Facteurs de croissance G-CSF;L03AA02,L03AA13;
";

/// Paracetamol alone (ATC5), excluded from III-01 by default.
pub const PARACETAMOL: &[&str] = &["N02BE01"];
/// Paracetamol combinations, excluded too with the option: N02BE51 (combinations excl.
/// psycholeptics), N02BE71 (with psycholeptics), N02AJ01/06/13 (with dihydrocodeine,
/// codeine, tramadol).
pub const PARACETAMOL_COMBINATIONS: &[&str] =
    &["N02BE51", "N02BE71", "N02AJ01", "N02AJ06", "N02AJ13"];
/// Hepatitis C direct-acting antivirals (ATC4), excluded from IV-01.
pub const HEPATITIS_C_ATC4: &str = "J05AP";

/// Parses the biosimilar class file: `classe;libelle;atc5;cip13_comparables`, UTF-8, codes
/// separated by `,`.
pub fn parse_classes(file: &str, text: &str) -> Result<Vec<BiosimilarClass>, PhmevError> {
    let mut classes = Vec::new();
    let err = |line: usize, message: String| PhmevError::Config {
        file: file.to_owned(),
        line: line as u64,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if n == 1 {
            if !line.to_lowercase().starts_with("classe;") {
                return Err(err(
                    n,
                    "en-tête attendu : classe;libelle;atc5;cip13_comparables".into(),
                ));
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split(';').collect();
        if parts.len() < 3 || parts.len() > 4 {
            return Err(err(n, format!("{} champs au lieu de 4", parts.len())));
        }
        let codes = |s: &str| -> Vec<String> {
            s.split(',')
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty())
                .collect()
        };
        let id = parts[0].trim().to_owned();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(err(
                n,
                format!("identifiant de classe « {id} » invalide (lettres, chiffres, _)"),
            ));
        }
        let atc5 = codes(parts[2]);
        if atc5.is_empty() {
            return Err(err(n, format!("la classe « {id} » n'a aucun code ATC5")));
        }
        if classes.iter().any(|c: &BiosimilarClass| c.id == id) {
            return Err(err(n, format!("classe « {id} » définie deux fois")));
        }
        classes.push(BiosimilarClass {
            id,
            label: parts[1].trim().to_owned(),
            atc5,
            comparables: parts.get(3).map(|s| codes(s)).unwrap_or_default(),
        });
    }
    if classes.is_empty() {
        return Err(err(1, "aucune classe définie".into()));
    }
    Ok(classes)
}

/// Site FINESS → legal-entity FINESS (AP-HP, Croix-Rouge and military hospitals appear in
/// Open PHMEV by site).
#[derive(Debug, Clone, Default)]
pub struct Rattachement {
    pub entity_of: HashMap<Finess, Finess>,
    /// Optional names of the entities (third column).
    pub names: HashMap<Finess, String>,
}

impl Rattachement {
    /// `finess_site;finess_entite[;raison_sociale]`, UTF-8 (a header line is recognised
    /// by its first field not being a FINESS number).
    pub fn parse(file: &str, text: &str) -> Result<Self, PhmevError> {
        let mut r = Rattachement::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            let n = (i + 1) as u64;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let parts: Vec<&str> = line.split(';').collect();
            if parts.len() < 2 || parts.len() > 3 {
                return Err(PhmevError::Config {
                    file: file.into(),
                    line: n,
                    message: format!(
                        "{} champs au lieu de 2 ou 3 (finess_site;finess_entite;raison_sociale)",
                        parts.len()
                    ),
                });
            }
            let site = match Finess::parse(parts[0]) {
                Ok(f) => f,
                Err(_) if n == 1 => continue, // header
                Err(e) => {
                    return Err(PhmevError::Config {
                        file: file.into(),
                        line: n,
                        message: format!("finess_site : {e}"),
                    });
                }
            };
            let entity = Finess::parse(parts[1]).map_err(|e| PhmevError::Config {
                file: file.into(),
                line: n,
                message: format!("finess_entite : {e}"),
            })?;
            if let Some(previous) = r.entity_of.insert(site, entity)
                && previous != entity
            {
                return Err(PhmevError::Config {
                    file: file.into(),
                    line: n,
                    message: format!(
                        "le site {site} est rattaché à deux entités ({previous} et {entity})"
                    ),
                });
            }
            if let Some(name) = parts.get(2).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                r.names.insert(entity, name.to_owned());
            }
        }
        Ok(r)
    }

    pub fn entity(&self, site: Finess) -> Finess {
        self.entity_of.get(&site).copied().unwrap_or(site)
    }
}

/// The ATC class whose spending growth is IV-02: one for everybody and/or one per
/// establishment (the per-establishment choice wins).
#[derive(Debug, Clone, Default)]
pub struct Iv02Classes {
    pub global: Option<String>,
    /// Keyed by the FINESS as reported (legal entity after mapping, or site).
    pub per_finess: HashMap<Finess, String>,
}

/// Checks an ATC code of level 1 to 5 (`L`, `L04`, `L04A`, `L04AB`, `L04AB01`).
pub fn check_atc(code: &str) -> Result<String, String> {
    let c = code.trim().to_uppercase();
    let b = c.as_bytes();
    let ok = matches!(b.len(), 1 | 3 | 4 | 5 | 7)
        && b[0].is_ascii_uppercase()
        && b.iter().enumerate().all(|(i, x)| match i {
            1 | 2 | 5 | 6 => x.is_ascii_digit(),
            _ => x.is_ascii_uppercase(),
        });
    if ok {
        Ok(c)
    } else {
        Err(format!("« {code} » n'est pas un code ATC (ex. L04AB)"))
    }
}

impl Iv02Classes {
    /// `finess;classe` (UTF-8, optional header).
    pub fn parse_file(file: &str, text: &str, global: Option<String>) -> Result<Self, PhmevError> {
        let mut per_finess = HashMap::new();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            let n = (i + 1) as u64;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let cfg = |message: String| PhmevError::Config {
                file: file.into(),
                line: n,
                message,
            };
            let parts: Vec<&str> = line.split(';').collect();
            if parts.len() != 2 {
                return Err(cfg(format!(
                    "{} champs au lieu de 2 (finess;classe)",
                    parts.len()
                )));
            }
            let f = match Finess::parse(parts[0]) {
                Ok(f) => f,
                Err(_) if n == 1 => continue,
                Err(e) => return Err(cfg(format!("finess : {e}"))),
            };
            let class = check_atc(parts[1]).map_err(|m| cfg(format!("classe : {m}")))?;
            per_finess.insert(f, class);
        }
        Ok(Iv02Classes { global, per_finess })
    }

    pub fn is_empty(&self) -> bool {
        self.global.is_none() && self.per_finess.is_empty()
    }

    /// The class for a site (its own choice, else its entity's, else the global one).
    pub fn class_for(&self, site: Finess, entity: Finess) -> Option<&str> {
        self.per_finess
            .get(&site)
            .or_else(|| self.per_finess.get(&entity))
            .or(self.global.as_ref())
            .map(String::as_str)
    }
}

/// Everything the aggregation needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub paracetamol_atc5: Vec<String>,
    pub classes: Vec<BiosimilarClass>,
    pub hepatitis_c_atc4: String,
    pub iv02: Iv02Classes,
    pub rattachement: Rattachement,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            paracetamol_atc5: PARACETAMOL.iter().map(|s| (*s).to_owned()).collect(),
            // The embedded default is valid: tested below.
            classes: parse_classes("(défaut)", DEFAULT_CLASSES_CSV).unwrap_or_default(),
            hepatitis_c_atc4: HEPATITIS_C_ATC4.to_owned(),
            iv02: Iv02Classes::default(),
            rattachement: Rattachement::default(),
        }
    }
}

impl Config {
    /// Adds the paracetamol combination codes to the III-01 exclusion.
    pub fn with_paracetamol_combinations(mut self) -> Self {
        self.paracetamol_atc5
            .extend(PARACETAMOL_COMBINATIONS.iter().map(|s| (*s).to_owned()));
        self
    }

    pub fn load_classes(path: &Path) -> Result<Vec<BiosimilarClass>, PhmevError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PhmevError::Io {
            file: name.clone(),
            source,
        })?;
        parse_classes(&name, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_classes_parse() {
        let c = parse_classes("x", DEFAULT_CLASSES_CSV).unwrap();
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["epo", "anti_tnf", "insuline_glargine", "g_csf"]);
        assert_eq!(c[1].atc5, ["L04AB01", "L04AB02", "L04AB04"]);
        assert_eq!(Config::default().classes.len(), 4);
    }

    #[test]
    fn classes_with_comparables_and_errors() {
        let c = parse_classes(
            "x",
            "classe;libelle;atc5;cip13_comparables\nglar;G;A10AE04;3400930000001, 3400930000002\n",
        )
        .unwrap();
        assert_eq!(c[0].comparables, ["3400930000001", "3400930000002"]);
        let e = parse_classes("f.csv", "classe;libelle;atc5\nbad id;x;A\n").unwrap_err();
        assert!(e.to_string().contains("f.csv, ligne 2"), "{e}");
    }

    #[test]
    fn rattachement_and_iv02() {
        let r = Rattachement::parse(
            "m.csv",
            "finess_site;finess_entite\n750100125;750712184;AP-HP\n",
        )
        .unwrap();
        let site = Finess::parse("750100125").unwrap();
        let ent = Finess::parse("750712184").unwrap();
        assert_eq!(r.entity(site), ent);
        assert_eq!(r.names[&ent], "AP-HP");
        let e = Rattachement::parse("m.csv", "750100125;750712185\n").unwrap_err();
        assert!(
            e.to_string().contains("ligne 1") && e.to_string().contains("finess_entite"),
            "{e}"
        );
        let iv = Iv02Classes::parse_file(
            "c.csv",
            "finess;classe\n750712184;l04ab\n",
            Some("J05AP".into()),
        )
        .unwrap();
        assert_eq!(iv.class_for(site, ent), Some("L04AB"));
        assert_eq!(iv.class_for(ent, ent), Some("L04AB"));
        assert_eq!(
            iv.class_for(
                Finess::parse("690781810").unwrap(),
                Finess::parse("690781810").unwrap()
            ),
            Some("J05AP")
        );
        assert!(check_atc("L4AB").is_err());
        assert_eq!(check_atc(" l04a "), Ok("L04A".to_owned()));
        assert!(check_atc("L04AB0").is_err());
    }
}
