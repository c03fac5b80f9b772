//! The regions of France, by their INSEE code (code officiel géographique): what an
//! administrator chooses from when giving a regional account its region.
//!
//! [`RegionCode`] is the code's shape (two digits), checked wherever a code comes in;
//! whether it is one of the 18 regions of [`FRENCH_REGIONS`] is a separate question
//! ([`name`]), asked only where an administrator chooses a region.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// (code, name) of the 18 regions (13 in metropolitan France, 5 overseas), by code.
pub const FRENCH_REGIONS: [(&str, &str); 18] = [
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
];

/// The name of the region with this INSEE code.
pub fn name(code: &str) -> Option<&'static str> {
    FRENCH_REGIONS
        .iter()
        .find(|(c, _)| *c == code.trim())
        .map(|(_, n)| *n)
}

/// The INSEE code of a region: two ASCII digits (`76`, `11`, `01`).
///
/// Only the shape is checked: a well-formed code need not be in [`FRENCH_REGIONS`],
/// so that the administrator's form can still say « choisir une région de la liste »
/// for `99` rather than a parse error, and the store keeps reading the regions it holds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode([u8; 2]);

/// Why a text is not a region code (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("le code de région est vide")]
    Empty,
    #[error("le code de région « {0} » doit comporter deux chiffres")]
    Shape(String),
}

impl RegionCode {
    /// Parses a region code (surrounding spaces are ignored, as [`name`] ignores them).
    pub fn parse(text: &str) -> Result<Self, RegionCodeError> {
        let t = text.trim();
        match t.as_bytes() {
            [] => Err(RegionCodeError::Empty),
            &[a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Ok(RegionCode([a, b])),
            _ => Err(RegionCodeError::Shape(t.to_owned())),
        }
    }

    /// A code written in the program (a constant of the tests or the demo): checked
    /// when the constant is evaluated, so a malformed one does not compile.
    pub const fn from_static(code: &'static str) -> RegionCode {
        let b = code.as_bytes();
        assert!(
            b.len() == 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit(),
            "a region code is two ASCII digits"
        );
        RegionCode([b[0], b[1]])
    }

    /// The two digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The region's name, when the code is one of the 18 regions of France.
    pub fn name(&self) -> Option<&'static str> {
        name(self.as_str())
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl TryFrom<&str> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        RegionCode::parse(s)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> String {
        code.as_str().to_owned()
    }
}

impl AsRef<str> for RegionCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

// Comparisons with the text, so that a test or a filter writes `code == "76"`.
impl PartialEq<str> for RegionCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RegionCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_code_checks_the_shape_only() {
        let code = RegionCode::parse(" 76 ").unwrap();
        const OCCITANIE: RegionCode = RegionCode::from_static("76");
        assert_eq!(code, OCCITANIE);
        assert_eq!(code.as_str(), "76");
        assert_eq!(code.to_string(), "76");
        assert_eq!(code, "76");
        assert_eq!(code.name(), Some("Occitanie"));
        // Well formed but not a region of France: accepted, without a name.
        assert_eq!(RegionCode::parse("99").unwrap().name(), None);
        assert_eq!(RegionCode::parse(""), Err(RegionCodeError::Empty));
        assert_eq!(RegionCode::parse("   "), Err(RegionCodeError::Empty));
        for bad in ["7", "760", "7a", "2A", "٧٦", "7 6"] {
            assert_eq!(
                RegionCode::parse(bad),
                Err(RegionCodeError::Shape(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            RegionCode::parse("x").unwrap_err().to_string(),
            "le code de région « x » doit comporter deux chiffres"
        );
    }

    #[test]
    fn region_code_serde_is_the_text_validated() {
        let code: RegionCode = serde_json::from_str("\"53\"").unwrap();
        assert_eq!(code, "53");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"53\"");
        assert!(serde_json::from_str::<RegionCode>("\"5\"").is_err());
        assert!(serde_json::from_str::<RegionCode>("53").is_err());
    }

    #[test]
    fn every_listed_region_parses() {
        for (code, region) in FRENCH_REGIONS {
            assert_eq!(RegionCode::parse(code).unwrap().name(), Some(region));
        }
    }

    #[test]
    fn eighteen_regions_with_distinct_codes() {
        let mut codes: Vec<&str> = FRENCH_REGIONS.iter().map(|(c, _)| *c).collect();
        codes.dedup();
        assert_eq!(codes.len(), 18);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted by code");
        assert_eq!(name("76"), Some("Occitanie"));
        assert_eq!(name(" 11 "), Some("Île-de-France"));
        assert_eq!(name("99"), None);
    }
}
