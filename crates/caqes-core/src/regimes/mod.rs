//! Regimes: which law a référentiel belongs to, and its outcome rule.
//!
//! A regime is data: the référentiel's header says `regime = "caqes-2018" |
//! "caqes-2022" | "incitation-2026"` (absent = `caqes-2018`, so every first-generation
//! grid keeps loading unchanged).
//!
//! - `caqes-2018` — the first CAQES (2018–2021): points, redistribution, and the
//!   score-to-sanction scale. Loaded as a [`Referentiel`] and scored by
//!   [`crate::scoring`], unchanged.
//! - `caqes-2022` — the second generation (LFSS 2020 art. 64, CSS L162-30-2 to L162-30-4,
//!   D162-14 to D162-16 as rewritten by décret 2021-1231, arrêté of 23 February 2022):
//!   objectives per indicator, an intéressement on the savings recorded ([`outcome`]), no
//!   sanction for missed objectives, the 1 % sanction for refusing to sign ([`contract`]).
//! - `incitation-2026` — the efficiency and relevance incentive of LFSS 2026 (loi
//!   2025-1403 art. 79, CSS L162-23-14 and L162-23-14-1): objectives in volume or rate of
//!   change, a dotation on savings from 2026, a penalty up to 2 % of the AM funding from
//!   2027 after the establishment's observations ([`incitation`]).
//!
//! The last two are [`ObjectivesGrid`]s. Numbers the texts leave open are
//! [`Parameter`]s carrying their source and an `a_confirmer` flag, never constants.

pub mod contract;
pub mod grid;
pub mod incitation;
pub mod outcome;
pub mod own_objective;
pub mod surveillance;
pub mod targeting;

use serde::{Deserialize, Serialize};

pub use crate::grid::referentiel::declared_regime;
use crate::grid::referentiel::{self, Referentiel, ReferentielError};
pub use crate::grid::regime::{Regime, RegimeYearError};

pub use grid::ObjectivesGrid;

/// A number (or flag) the texts fix or leave open, with where it comes from. Written in
/// the TOML as `{ valeur = "30", source = "…", a_confirmer = true }`; outputs print
/// « À CONFIRMER » next to the value when `a_confirmer` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter<T> {
    pub valeur: T,
    /// The text (article, arrêté, page) or the reading that gives the value.
    pub source: String,
    /// True while no published text fixes the value (a default to confirm).
    #[serde(default)]
    pub a_confirmer: bool,
}

impl<T> Parameter<T> {
    /// « À CONFIRMER » when the value is not fixed by a text, else empty.
    pub fn flag(&self) -> &'static str {
        if self.a_confirmer { "À CONFIRMER" } else { "" }
    }
}

/// Any référentiel, whatever its regime.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyReferentiel {
    /// `caqes-2018`: points and scale.
    Points(Referentiel),
    /// `caqes-2022` or `incitation-2026`: objectives and savings.
    Objectives(ObjectivesGrid),
}

impl AnyReferentiel {
    pub fn id(&self) -> &str {
        match self {
            AnyReferentiel::Points(r) => &r.id,
            AnyReferentiel::Objectives(g) => &g.id,
        }
    }

    pub fn regime(&self) -> Regime {
        match self {
            AnyReferentiel::Points(_) => Regime::Caqes2018,
            AnyReferentiel::Objectives(g) => g.regime,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            AnyReferentiel::Points(r) => &r.title,
            AnyReferentiel::Objectives(g) => &g.title,
        }
    }
}

/// Parses any référentiel: the header's `regime` chooses the format.
pub fn load(file: &str, text: &str) -> Result<AnyReferentiel, ReferentielError> {
    match declared_regime(file, text)? {
        Regime::Caqes2018 => Referentiel::from_toml(file, text).map(AnyReferentiel::Points),
        Regime::Caqes2022 | Regime::Incitation2026 => {
            ObjectivesGrid::from_toml(file, text).map(AnyReferentiel::Objectives)
        }
    }
}

/// Every embedded référentiel, whatever its regime. A broken embedded file is a build
/// defect caught by the tests; it is skipped here rather than crashing a server.
pub fn builtin_any() -> Vec<AnyReferentiel> {
    referentiel::builtin_sources()
        .iter()
        .filter_map(|(file, text)| load(file, text).ok())
        .collect()
}

/// The embedded référentiel with this id, whatever its regime.
pub fn builtin_any_by_id(id: &str) -> Option<AnyReferentiel> {
    builtin_any().into_iter().find(|r| r.id() == id)
}

/// The embedded objectives grid with this id (for `inclut`).
pub(crate) fn builtin_objectives(id: &str) -> Option<(&'static str, &'static str)> {
    referentiel::builtin_sources()
        .iter()
        .copied()
        .find(|(file, text)| {
            matches!(
                declared_regime(file, text),
                Ok(Regime::Caqes2022 | Regime::Incitation2026)
            ) && file
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".toml"))
                == Some(id)
        })
}

/// A date as French users read it: « 15 mars 2019 », « 1er juillet 2022 ».
pub fn french_date(d: jiff::civil::Date) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let month = usize::try_from(d.month() - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("");
    let day = if d.day() == 1 {
        "1er".to_owned()
    } else {
        d.day().to_string()
    };
    format!("{day} {month} {}", d.year())
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_regime_reads_as_2018_and_unknown_one_is_refused() {
        assert_eq!(
            declared_regime("a.toml", "id = \"x\"\n").unwrap(),
            Regime::Caqes2018
        );
        assert_eq!(
            declared_regime("a.toml", "regime = \"caqes-2022\"\n").unwrap(),
            Regime::Caqes2022
        );
        let e = declared_regime("a.toml", "id = \"x\"\nregime = \"caqes-2030\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.starts_with("régime inconnu"), "{e}");
    }

    #[test]
    fn every_builtin_grid_loads_in_its_regime() {
        for (file, text) in referentiel::builtin_sources() {
            if let Err(e) = load(file, text) {
                panic!("{e}");
            }
        }
        assert_eq!(builtin_any().len(), referentiel::builtin_sources().len());
        let regimes: Vec<(String, Regime)> = builtin_any()
            .iter()
            .map(|r| (r.id().to_owned(), r.regime()))
            .collect();
        assert!(regimes.contains(&("occitanie-2018".into(), Regime::Caqes2018)));
        assert!(regimes.contains(&("national-2022".into(), Regime::Caqes2022)));
        assert!(regimes.contains(&("exemple-regional-2022".into(), Regime::Caqes2022)));
        assert!(regimes.contains(&("incitation-2026".into(), Regime::Incitation2026)));
        // The first-generation list (campaigns of the platform) keeps only caqes-2018.
        let first: Vec<String> = referentiel::builtin().into_iter().map(|r| r.id).collect();
        assert_eq!(first, ["occitanie-2018", "national-2017"]);
    }

    #[test]
    fn dates_in_french() {
        assert_eq!(french_date(jiff::civil::date(2019, 3, 15)), "15 mars 2019");
        assert_eq!(
            french_date(jiff::civil::date(2022, 7, 1)),
            "1er juillet 2022"
        );
    }

    #[test]
    fn each_regime_has_its_years() {
        assert!(Regime::Caqes2022.check_year(2022, 2026).is_ok());
        assert!(Regime::Caqes2022.check_year(2026, 2026).is_ok());
        let e = Regime::Caqes2022.check_year(2027, 2026).unwrap_err();
        assert!(e.to_string().contains("incitation-2026"), "{e}");
        assert!(Regime::Caqes2022.check_year(2021, 2026).is_err());
        assert!(Regime::Incitation2026.check_year(2025, 2026).is_err());
        assert!(Regime::Incitation2026.check_year(2031, 2026).is_ok());
    }

    #[test]
    fn parameters_flag_what_is_to_confirm() {
        let p = Parameter {
            valeur: 30,
            source: "REPSS".into(),
            a_confirmer: true,
        };
        assert_eq!(p.flag(), "À CONFIRMER");
        let q = Parameter {
            a_confirmer: false,
            ..p
        };
        assert_eq!(q.flag(), "");
    }
}
