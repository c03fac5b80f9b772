//! Which law a référentiel belongs to (header field `regime`): a leaf of the grid, read
//! by the référentiel's parser and by [`crate::regimes`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// The law a référentiel belongs to (header field `regime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Regime {
    /// The first CAQES (2018–2021): points and a score-to-sanction scale.
    #[default]
    #[serde(rename = "caqes-2018")]
    Caqes2018,
    /// The second generation (2022–2026): objectives and savings-based intéressement.
    #[serde(rename = "caqes-2022")]
    Caqes2022,
    /// The LFSS 2026 incentive (L162-23-14): objectives, dotation, penalty ceiling.
    #[serde(rename = "incitation-2026")]
    Incitation2026,
}

impl Regime {
    /// The word used in files and outputs.
    pub fn code(self) -> &'static str {
        match self {
            Regime::Caqes2018 => "caqes-2018",
            Regime::Caqes2022 => "caqes-2022",
            Regime::Incitation2026 => "incitation-2026",
        }
    }

    /// What the regime pays on savings: an intéressement (CAQES) or a dotation (2026).
    pub fn incentive_word(self) -> &'static str {
        match self {
            Regime::Incitation2026 => "dotation",
            _ => "intéressement",
        }
    }
}

/// Errors of a year outside the regime's period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegimeYearError {
    #[error(
        "année {year} hors du régime {regime} (années {first} à {}) : {hint}",
        last.map_or("…".to_owned(), |l| l.to_string())
    )]
    OutOfPeriod {
        year: i16,
        regime: Regime,
        first: i16,
        last: Option<i16>,
        hint: &'static str,
    },
}

impl Regime {
    /// Checks that `year` can be evaluated under this regime: 2022 (décret 2021-1231 in
    /// force on 1 January 2022) to 2026 for the second generation (`last_contract_year`,
    /// L162-30-2 abrogated on 1 January 2027); from 2026 for the 2026 incentive
    /// (L162-23-14 in force on 1 January 2026); 2018 to 2021 for the first generation.
    pub fn check_year(self, year: i16, last_contract_year: i16) -> Result<(), RegimeYearError> {
        let (first, last, hint) = match self {
            Regime::Caqes2018 => (
                2018,
                Some(2021),
                "les contrats de première génération ont pris fin le 31 décembre 2021",
            ),
            Regime::Caqes2022 => (
                2022,
                Some(last_contract_year),
                "la deuxième génération court de 2022 au 31 décembre 2026 ; après, utiliser incitation-2026",
            ),
            Regime::Incitation2026 => (
                2026,
                None,
                "l'incitation de l'article L162-23-14 s'applique à partir de 2026",
            ),
        };
        if year < first || last.is_some_and(|l| year > l) {
            return Err(RegimeYearError::OutOfPeriod {
                year,
                regime: self,
                first,
                last,
                hint,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
