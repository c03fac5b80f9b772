//! Establishment categories used by the engagement grids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An establishment category, named exactly as in the référentiel files and CSV inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Category {
    #[serde(rename = "MCO_PUBLIC_ESPIC")]
    McoPublicEspic,
    #[serde(rename = "MCO_PRIVE")]
    McoPrive,
    #[serde(rename = "SSR_PUBLIC_ESPIC")]
    SsrPublicEspic,
    #[serde(rename = "SSR_PRIVE")]
    SsrPrive,
    #[serde(rename = "PSY_PUBLIC_ESPIC")]
    PsyPublicEspic,
    #[serde(rename = "PSY_PRIVE")]
    PsyPrive,
    #[serde(rename = "HAD")]
    Had,
    #[serde(rename = "HAD_SANS_PUI")]
    HadSansPui,
    #[serde(rename = "DIALYSE")]
    Dialyse,
    /// Unité de soins de longue durée: « Le contrat socle s'applique à tous les
    /// établissements MCO […], SSR, psychiatrie et USLD » (instruction of 26 July 2017).
    #[serde(rename = "USLD")]
    Usld,
}

impl Category {
    /// The nine categories of the seed's table « Répartition des indicateurs selon la
    /// catégorie d'ES » (USLD is not in it: see [`Category::EVERY`]).
    pub const ALL: [Category; 9] = [
        Category::McoPublicEspic,
        Category::McoPrive,
        Category::SsrPublicEspic,
        Category::SsrPrive,
        Category::PsyPublicEspic,
        Category::PsyPrive,
        Category::Had,
        Category::HadSansPui,
        Category::Dialyse,
    ];

    /// Every category, USLD included.
    pub const EVERY: [Category; 10] = [
        Category::McoPublicEspic,
        Category::McoPrive,
        Category::SsrPublicEspic,
        Category::SsrPrive,
        Category::PsyPublicEspic,
        Category::PsyPrive,
        Category::Had,
        Category::HadSansPui,
        Category::Dialyse,
        Category::Usld,
    ];

    /// The code used in files (`MCO_PUBLIC_ESPIC`...).
    pub fn code(self) -> &'static str {
        match self {
            Category::McoPublicEspic => "MCO_PUBLIC_ESPIC",
            Category::McoPrive => "MCO_PRIVE",
            Category::SsrPublicEspic => "SSR_PUBLIC_ESPIC",
            Category::SsrPrive => "SSR_PRIVE",
            Category::PsyPublicEspic => "PSY_PUBLIC_ESPIC",
            Category::PsyPrive => "PSY_PRIVE",
            Category::Had => "HAD",
            Category::HadSansPui => "HAD_SANS_PUI",
            Category::Dialyse => "DIALYSE",
            Category::Usld => "USLD",
        }
    }

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Category::McoPublicEspic => "MCO public et ESPIC",
            Category::McoPrive => "MCO privé à but lucratif",
            Category::SsrPublicEspic => "SSR public et ESPIC",
            Category::SsrPrive => "SSR privé à but lucratif",
            Category::PsyPublicEspic => "Psychiatrie publique et ESPIC",
            Category::PsyPrive => "Psychiatrie privée à but lucratif",
            Category::Had => "HAD",
            Category::HadSansPui => "HAD sans PUI",
            Category::Dialyse => "Dialyse",
            Category::Usld => "Unité de soins de longue durée (USLD)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "catégorie d'établissement inconnue « {0} » (attendu : MCO_PUBLIC_ESPIC, MCO_PRIVE, SSR_PUBLIC_ESPIC, SSR_PRIVE, PSY_PUBLIC_ESPIC, PSY_PRIVE, HAD, HAD_SANS_PUI, DIALYSE ou USLD)"
)]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Category::EVERY
            .into_iter()
            .find(|c| c.code() == t)
            .ok_or_else(|| UnknownCategory(t.to_owned()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Category::EVERY {
            assert_eq!(c.code().parse::<Category>(), Ok(c));
        }
        assert_eq!("USLD".parse::<Category>(), Ok(Category::Usld));
        assert!("MCO".parse::<Category>().is_err());
    }
}
