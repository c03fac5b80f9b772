//! Référentiels: the engagement grids (annexe 1 of the volet obligatoire).
//!
//! A référentiel is a human-editable TOML file (see `referentiels/README.md` for the
//! format). Loading parses and validates it: points add up per part, codes are unique,
//! every indicator states its applicability for every category of the grid, kinds,
//! directions and sources are known. Errors name the file and the line.
//!
//! The grids shipped in `referentiels/` are embedded in the binary ([`builtin`]); a region
//! can also load its own from a path (the caller reads the file and calls
//! [`Referentiel::from_toml`]).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::grid::regime::Regime;
use crate::volets::VoletsParameters;

mod load;

pub use load::declared_regime;

/// The embedded référentiels: `(file name, TOML text)`.
const BUILTIN: &[(&str, &str)] = &[
    (
        "referentiels/occitanie-2018.toml",
        include_str!("../../../../../referentiels/occitanie-2018.toml"),
    ),
    (
        "referentiels/national-2017.toml",
        include_str!("../../../../../referentiels/national-2017.toml"),
    ),
    // Objectives grids (regimes caqes-2022 and incitation-2026): loaded by
    // `crate::regimes::load`, not by `Referentiel::from_toml`.
    (
        "referentiels/national-2022.toml",
        include_str!("../../../../../referentiels/national-2022.toml"),
    ),
    (
        "referentiels/exemple-regional-2022.toml",
        include_str!("../../../../../referentiels/exemple-regional-2022.toml"),
    ),
    (
        "referentiels/incitation-2026.toml",
        include_str!("../../../../../referentiels/incitation-2026.toml"),
    ),
];

/// A validated engagement grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Referentiel {
    pub id: String,
    pub title: String,
    pub region: String,
    /// The état des lieux year: numeric indicators are met when provided.
    pub baseline_year: i16,
    pub version: u32,
    pub source: Option<String>,
    pub redistribution: Redistribution,
    pub categories: Vec<Category>,
    pub parts: Vec<Part>,
    pub indicators: Vec<Indicator>,
    /// Amounts and thresholds of the sanctions, incentives, targeting and calendar
    /// (sections `[sanction]`, `[transports]`, `[pertinence]`, `[qualite]`, `[calendrier]`;
    /// each defaults to the seeds' values).
    pub parameters: VoletsParameters,
}

/// How the points of NC/NM indicators are spread over the concerned ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redistribution {
    /// Each concerned non-bonus indicator's maximum is `points × 100 / Σ points concerned`.
    #[serde(rename = "proportionnelle")]
    Proportional,
    /// The freed points are split equally among the concerned non-bonus indicators that carry points.
    #[serde(rename = "egale")]
    Equal,
}

/// A part of the grid (I to VI), matching an article of the contrat type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub number: String,
    pub title: String,
    pub article: Option<String>,
    pub points: Decimal,
    pub bonus_points: Decimal,
}

/// One indicator of the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub code: String,
    pub part: String,
    pub objective: Option<String>,
    pub label: String,
    pub scope: Scope,
    pub kind: Kind,
    pub direction: Direction,
    pub sources: Vec<Source>,
    pub points: Decimal,
    pub bonus: bool,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    /// The value compares year N's rate with year N−1's (II-04: DDJ/1000 JH N over N−1).
    /// With `caqes evaluate --sites`, each year's row then gives that year's components
    /// (DDJ, patient-days) and the value is pooled from them (`multisite::pool_line`).
    pub year_over_year: bool,
    pub unit: String,
    pub baseline_target: Option<String>,
    pub comment: Option<String>,
    applicability: BTreeMap<Category, Applicability>,
    /// The référentiel's default target per year (`cible_defaut`), used where no target
    /// was contracted: a national reference rate, or a rule such as II-04 « nul ou négatif ».
    pub default_targets: BTreeMap<i16, Decimal>,
    /// What earns the points of a numeric indicator in the état des lieux year
    /// (`livrable_etat_des_lieux`), unless a category has its own (`..._par_categorie`).
    pub baseline_deliverable: Deliverable,
    baseline_deliverable_by_category: BTreeMap<Category, Deliverable>,
    /// The kind of value asked in the état des lieux year when it differs
    /// (`type_etat_des_lieux`: III-04/III-05 « Capacité à calculer le ratio OUI/NON »).
    pub baseline_kind: Option<Kind>,
    /// A numerator alone is a value in the état des lieux year
    /// (`numerateur_seul_etat_des_lieux`: I-01 « Fournir le numérateur »).
    pub numerator_alone_at_baseline: bool,
    /// Minimum sample of files (`echantillon_min`: II-02/II-03 « Sur échantillon de 30
    /// dossiers minimum ; si < 30 => exhaustivité »).
    pub min_sample: Option<Decimal>,
    /// The classes the value is computed for separately (`classes`: III-02/III-03 « Ce taux
    /// est calculé séparément pour les médicaments des classes suivantes : EPO, anti TNF,
    /// insuline glargine, G-CSF », D5); empty for an indicator with one value.
    pub classes: Vec<IndicatorClass>,
    /// How the classes' results make the indicator's points (`regle_classes`).
    pub class_rule: ClassRule,
}

/// One class of an indicator computed separately per class: a sub-line of the grid, whose
/// value, target and result have their own code (`III-03/EPO`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorClass {
    /// The class's code in the grid (`EPO`).
    pub code: String,
    /// Its name for people (« Érythropoïétines (EPO) »).
    pub label: String,
    /// The sub-line's code in files and forms: `{indicator}/{class}` (`III-03/EPO`).
    pub line_code: String,
}

/// How the results of an indicator's classes make its points (D5, a parameter of the grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassRule {
    /// The indicator's points are split equally among its concerned classes (a class the
    /// establishment does not prescribe, declared NC, is left out); each class met earns
    /// its share (`part_egale`, the default).
    #[serde(rename = "part_egale")]
    EqualShares,
    /// The points are earned only when every concerned class is met (`toutes`).
    #[serde(rename = "toutes")]
    AllClasses,
}

impl ClassRule {
    pub fn code(self) -> &'static str {
        match self {
            ClassRule::EqualShares => "part_egale",
            ClassRule::AllClasses => "toutes",
        }
    }
}

/// A place of the grid where a value is given: an indicator, or one class of an indicator
/// computed per class. Lines are numbered: the indicators first, at their position in the
/// grid (line `i` is indicator `i`), then the classes, indicator by indicator
/// ([`Referentiel::line_at`]).
#[derive(Debug, Clone, Copy)]
pub struct GridLine<'r> {
    /// The line's number ([`Referentiel::line_of`]).
    pub number: usize,
    /// The code written in files and forms (`III-03`, `III-03/EPO`).
    pub code: &'r str,
    /// The indicator (for a class: the indicator it belongs to), whose kind, direction and
    /// applicability the line follows.
    pub indicator: &'r Indicator,
    /// The indicator's position in the grid.
    pub indicator_index: usize,
    /// The class, for a class line.
    pub class: Option<&'r IndicatorClass>,
}

/// What earns a numeric indicator's points in the état des lieux year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Deliverable {
    /// The value asked (« Fournir le taux initial »): met when provided.
    #[serde(rename = "valeur")]
    Value,
    /// The establishment's own act (« Proposition de la classe », « propose une cible
    /// personnalisée », « état des lieux organisationnel »): met when the act is delivered.
    /// In `caqes evaluate`, a value in the ARS's batch file stands for the delivered act.
    #[serde(rename = "acte")]
    Act,
    /// A target already applies (« Taux d'évolution dans la limite du taux régional »,
    /// « Taux respectant l'objectif défini en dialogue de gestion »): compared with it.
    #[serde(rename = "cible")]
    Target,
}

impl Deliverable {
    pub fn code(self) -> &'static str {
        match self {
            Deliverable::Value => "valeur",
            Deliverable::Act => "acte",
            Deliverable::Target => "cible",
        }
    }
}

impl Indicator {
    /// The indicator's status for a category (categories outside the grid are not concerned).
    pub fn applicability(&self, category: Category) -> Applicability {
        self.applicability
            .get(&category)
            .copied()
            .unwrap_or(Applicability::Nc)
    }

    /// What earns the points in the état des lieux year for this category.
    pub fn baseline_deliverable_for(&self, category: Category) -> Deliverable {
        self.baseline_deliverable_by_category
            .get(&category)
            .copied()
            .unwrap_or(self.baseline_deliverable)
    }

    /// The référentiel's default target for a year, if the grid defines one.
    pub fn default_target(&self, year: i16) -> Option<Decimal> {
        self.default_targets.get(&year).copied()
    }

    /// True for the kinds whose value is a number (proportion, growth, ratio).
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind, Kind::Proportion | Kind::Growth | Kind::Ratio)
    }
}

/// National mandatory indicator or regional one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "national")]
    National,
    #[serde(rename = "regional")]
    Regional,
}

/// What kind of value an indicator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A rate in %: numerator/denominator with 0 ≤ n ≤ d, or a percentage.
    #[serde(rename = "proportion")]
    Proportion,
    /// A growth rate in %: 100 × (amount N / amount N−1 − 1), or given directly.
    #[serde(rename = "evolution")]
    Growth,
    /// numerator / denominator, not multiplied by 100.
    #[serde(rename = "ratio")]
    Ratio,
    /// OUI / NON.
    #[serde(rename = "oui_non")]
    YesNo,
    /// A document provided: OUI / NON.
    #[serde(rename = "document")]
    Document,
    /// OUI / EN_COURS / NON (EN_COURS earns half the points).
    #[serde(rename = "oui_en_cours_non")]
    TriState,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Proportion => "proportion",
            Kind::Growth => "evolution",
            Kind::Ratio => "ratio",
            Kind::YesNo => "oui_non",
            Kind::Document => "document",
            Kind::TriState => "oui_en_cours_non",
        }
    }
}

/// Whether a higher or a lower value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    #[serde(rename = "hausse")]
    HigherIsBetter,
    #[serde(rename = "baisse")]
    LowerIsBetter,
}

/// Who produces the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    ES,
    AM,
    ARS,
    ATIH,
}

/// Whether an indicator applies to an establishment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Applicability {
    #[serde(rename = "concerne")]
    Concerned,
    /// Non concerné.
    #[serde(rename = "NC")]
    Nc,
    /// Non mesurable.
    #[serde(rename = "NM")]
    Nm,
}

impl Applicability {
    /// The word used in files and outputs.
    pub fn code(self) -> &'static str {
        match self {
            Applicability::Concerned => "concerne",
            Applicability::Nc => "NC",
            Applicability::Nm => "NM",
        }
    }
}

/// Counts per category, as in the seed's table "Répartition des indicateurs selon la catégorie d'ES".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    /// Concerned non-bonus indicators.
    pub total: usize,
    /// Concerned bonus indicators.
    pub bonus: usize,
    pub nc: usize,
    pub nm: usize,
}

/// The summary printed by `caqes referentiel summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub referentiel: String,
    pub indicateurs: usize,
    pub points: Decimal,
    pub points_bonus: Decimal,
    /// In the grid's order of categories.
    pub categories: Vec<(String, CategoryCounts)>,
}

/// A référentiel that cannot be loaded: file, line (when known) and a French message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(", ligne {l}")).unwrap_or_default())]
pub struct ReferentielError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Referentiel {
    /// Parses and validates a first-generation référentiel (regime `caqes-2018`, the
    /// default). `file` names the source in error messages. A grid of another regime is
    /// refused with a message naming it: see [`crate::regimes::load`].
    pub fn from_toml(file: &str, text: &str) -> Result<Referentiel, ReferentielError> {
        let regime = declared_regime(file, text)?;
        if regime != Regime::Caqes2018 {
            return Err(ReferentielError {
                file: file.to_owned(),
                line: None,
                message: format!(
                    "ce référentiel relève du régime « {regime} » (objectifs et intéressement) : il ne se note pas en points ; utiliser `caqes evaluate` en ligne de commande"
                ),
            });
        }
        load::parse(file, text)
    }

    /// The indicator with this code.
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }

    /// How many lines take a value: the indicators and their classes ([`GridLine`]).
    pub fn line_count(&self) -> usize {
        self.indicators.len()
            + self
                .indicators
                .iter()
                .map(|i| i.classes.len())
                .sum::<usize>()
    }

    /// The line numbered `number` (indicators first, then the classes).
    pub fn line_at(&self, number: usize) -> Option<GridLine<'_>> {
        if let Some(indicator) = self.indicators.get(number) {
            return Some(GridLine {
                number,
                code: &indicator.code,
                indicator,
                indicator_index: number,
                class: None,
            });
        }
        let mut n = self.indicators.len();
        for (indicator_index, indicator) in self.indicators.iter().enumerate() {
            if let Some(class) = indicator.classes.get(number - n) {
                return Some(GridLine {
                    number,
                    code: &class.line_code,
                    indicator,
                    indicator_index,
                    class: Some(class),
                });
            }
            n += indicator.classes.len();
        }
        None
    }

    /// Every line, numbered as [`Referentiel::line_at`] (indicators, then classes).
    pub fn lines(&self) -> impl Iterator<Item = GridLine<'_>> {
        (0..self.line_count()).filter_map(|n| self.line_at(n))
    }

    /// The lines in the grid's reading order: each indicator followed by its classes (the
    /// dossier form, the outputs).
    pub fn lines_in_order(&self) -> impl Iterator<Item = GridLine<'_>> {
        let mut class_number = self.indicators.len();
        self.indicators
            .iter()
            .enumerate()
            .flat_map(move |(indicator_index, indicator)| {
                let first = class_number;
                class_number += indicator.classes.len();
                std::iter::once(GridLine {
                    number: indicator_index,
                    code: &indicator.code,
                    indicator,
                    indicator_index,
                    class: None,
                })
                .chain(indicator.classes.iter().enumerate().map(
                    move |(k, class)| GridLine {
                        number: first + k,
                        code: &class.line_code,
                        indicator,
                        indicator_index,
                        class: Some(class),
                    },
                ))
            })
    }

    /// The number of the line with this code (an indicator's or a class's, `III-03/EPO`).
    pub fn line_of(&self, code: &str) -> Option<usize> {
        if let Some(i) = self.indicators.iter().position(|i| i.code == code) {
            return Some(i);
        }
        let (parent, _) = code.split_once('/')?;
        let mut n = self.indicators.len();
        for indicator in &self.indicators {
            if indicator.code == parent
                && let Some(k) = indicator.classes.iter().position(|c| c.line_code == code)
            {
                return Some(n + k);
            }
            n += indicator.classes.len();
        }
        None
    }

    /// Σ points of the non-bonus indicators.
    pub fn points(&self) -> Decimal {
        self.indicators
            .iter()
            .filter(|i| !i.bonus)
            .map(|i| i.points)
            .sum()
    }

    /// Σ points of the bonus indicators.
    pub fn bonus_points(&self) -> Decimal {
        self.indicators
            .iter()
            .filter(|i| i.bonus)
            .map(|i| i.points)
            .sum()
    }

    /// Counts per category (the seed's table).
    pub fn counts(&self, category: Category) -> CategoryCounts {
        let mut c = CategoryCounts {
            total: 0,
            bonus: 0,
            nc: 0,
            nm: 0,
        };
        for ind in &self.indicators {
            match (ind.applicability(category), ind.bonus) {
                (Applicability::Concerned, false) => c.total += 1,
                (Applicability::Concerned, true) => c.bonus += 1,
                (Applicability::Nc, _) => c.nc += 1,
                (Applicability::Nm, _) => c.nm += 1,
            }
        }
        c
    }

    pub fn summary(&self) -> Summary {
        Summary {
            referentiel: self.id.clone(),
            indicateurs: self.indicators.len(),
            points: self.points().normalize(),
            points_bonus: self.bonus_points().normalize(),
            categories: self
                .categories
                .iter()
                .map(|c| (c.code().to_owned(), self.counts(*c)))
                .collect(),
        }
    }
}

/// The first-generation (`caqes-2018`) référentiels embedded in the binary: the grids a
/// platform campaign scores in points. The objectives grids are in
/// [`crate::regimes::builtin_any`]. A broken embedded file is a build defect, caught by
/// the tests; it is skipped here rather than crashing a running server.
pub fn builtin() -> Vec<Referentiel> {
    BUILTIN
        .iter()
        .filter_map(|(file, text)| Referentiel::from_toml(file, text).ok())
        .collect()
}

/// The embedded référentiel with this id.
pub fn builtin_by_id(id: &str) -> Option<Referentiel> {
    builtin().into_iter().find(|r| r.id == id)
}

/// The embedded files, for `caqes referentiel show --toml` and for the tests.
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::National => "national",
            Scope::Regional => "régional",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_toml_is_refused_in_french() {
        let text = format!("id = {}1{}", "[".repeat(200), "]".repeat(200));
        let err = Referentiel::from_toml("profond.toml", &text).unwrap_err();
        assert!(
            err.message.contains("emboîtés sur trop de niveaux"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("recursion"), "{}", err.message);
    }

    const MINI: &str = r#"
id = "mini"
titre = "Mini"
region = "Test"
annee_etat_des_lieux = 2018
redistribution = "proportionnelle"
categories = ["MCO_PUBLIC_ESPIC", "DIALYSE"]

[[parties]]
numero = "I"
titre = "Partie I"
points = 10
points_bonus = 2

[[indicateurs]]
code = "A"
partie = "I"
libelle = "A"
portee = "national"
type = "proportion"
sens = "hausse"
sources = ["ES"]
points = 10
unite = "%"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne", DIALYSE = "NC" }

[[indicateurs]]
code = "B"
partie = "I"
libelle = "B"
portee = "regional"
type = "oui_non"
sens = "hausse"
sources = ["ES"]
points = 2
bonus = true
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne", DIALYSE = "NM" }
"#;

    #[test]
    fn loads_a_valid_grid() {
        let r = Referentiel::from_toml("mini.toml", MINI).unwrap();
        assert_eq!(r.points(), Decimal::TEN);
        assert_eq!(r.bonus_points(), Decimal::TWO);
        assert_eq!(
            r.counts(Category::Dialyse),
            CategoryCounts {
                total: 0,
                bonus: 0,
                nc: 1,
                nm: 1
            }
        );
    }

    fn error_of(text: &str) -> ReferentielError {
        Referentiel::from_toml("mini.toml", text).unwrap_err()
    }

    #[test]
    fn points_must_add_up_with_the_part_line() {
        let e = error_of(&MINI.replace("points = 10\nunite", "points = 9\nunite"));
        assert_eq!(e.line, Some(10), "{e}");
        assert!(e.message.contains("totalisent 9 points"), "{e}");
        assert!(
            e.to_string().starts_with("mini.toml, ligne 10: partie I"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_codes_are_rejected_with_their_line() {
        let e = error_of(&MINI.replace("code = \"B\"", "code = \"A\""));
        assert_eq!(e.line, Some(28), "{e}");
        assert!(e.message.contains("en double"), "{e}");
    }

    #[test]
    fn every_category_must_be_covered() {
        let e = error_of(&MINI.replace(", DIALYSE = \"NC\"", ""));
        assert!(e.message.contains("non précisée pour DIALYSE"), "{e}");
        let e = error_of(&MINI.replace("DIALYSE = \"NC\"", "DIALYSE = \"NC\", HAD = \"NC\""));
        assert!(e.message.contains("n'est pas dans la liste"), "{e}");
    }

    #[test]
    fn unknown_words_are_reported_in_french_with_a_line() {
        let e = error_of(&MINI.replace("type = \"oui_non\"", "type = \"booleen\""));
        assert_eq!(e.line, Some(32), "{e}");
        assert!(e.message.starts_with("valeur inconnue"), "{e}");
        let e = error_of(&MINI.replace("unite = \"%\"", "unite = \"%\"\ncouleur = \"rouge\""));
        assert!(e.message.contains("champ inconnu"), "{e}");
        let e = error_of(&MINI.replace(
            "sens = \"hausse\"\nsources = [\"ES\"]\npoints = 10",
            "sources = [\"ES\"]\npoints = 10",
        ));
        assert!(e.message.contains("champ obligatoire manquant"), "{e}");
    }

    #[test]
    fn parameter_sections_are_typed_and_validated() {
        let r = Referentiel::from_toml("mini.toml", MINI).unwrap();
        assert_eq!(r.parameters, VoletsParameters::default());
        let text = format!("{MINI}\n[sanction]\nplafond_produits_am_pct = \"2\"\n");
        let r = Referentiel::from_toml("mini.toml", &text).unwrap();
        assert_eq!(r.parameters.sanction.plafond_produits_am_pct, Decimal::TWO);
        let text = format!("{MINI}\n[sanction]\nplafond_produits_am_pct = \"-1\"\n");
        let e = error_of(&text);
        assert!(e.message.starts_with("section [sanction]"), "{e}");
        assert!(e.line.is_some(), "{e}");
        let e = error_of(&format!("{MINI}\n[transports]\nseuil_inconnu = 3\n"));
        assert!(e.message.contains("champ inconnu"), "{e}");
    }

    #[test]
    fn yes_no_indicators_read_upwards() {
        let e = error_of(&MINI.replace(
            "type = \"oui_non\"\nsens = \"hausse\"",
            "type = \"oui_non\"\nsens = \"baisse\"",
        ));
        assert!(e.message.contains("se lit « hausse »"), "{e}");
    }

    #[test]
    fn national_2017_has_the_20_mandatory_indicators() {
        let r = builtin_by_id("national-2017").unwrap();
        assert_eq!(r.indicators.len(), 20);
        assert!(r.indicators.iter().all(|i| i.scope == Scope::National));
        assert_eq!(r.points(), Decimal::ONE_HUNDRED);
        let counts = |c| {
            let k = r.counts(c);
            (k.total, k.nc, k.nm)
        };
        assert_eq!(counts(Category::McoPublicEspic), (20, 0, 0));
        assert_eq!(counts(Category::McoPrive), (17, 0, 3));
        assert_eq!(counts(Category::SsrPrive), (11, 6, 3));
        assert_eq!(counts(Category::Had), (15, 2, 3));
        assert_eq!(counts(Category::HadSansPui), (12, 2, 6));
        assert_eq!(counts(Category::Dialyse), (12, 5, 3));
    }

    #[test]
    fn occitanie_states_its_sanction_scale_explicitly() {
        let (_, text) = builtin_sources()
            .iter()
            .find(|(f, _)| f.ends_with("occitanie-2018.toml"))
            .unwrap();
        assert!(text.contains("[[sanction.bareme]]"));
        let r = builtin_by_id("occitanie-2018").unwrap();
        assert_eq!(r.parameters.sanction.bareme.len(), 5);
        assert_eq!(
            r.parameters
                .sanction
                .rate_of_ceiling(Decimal::from(55))
                .unwrap(),
            Decimal::from(50)
        );
    }

    #[test]
    fn builtin_files_all_load() {
        let mut first_generation = 0;
        for (file, text) in builtin_sources() {
            let regime = declared_regime(file, text).unwrap();
            if regime != Regime::Caqes2018 {
                // Objectives grids: refused here with a message naming their regime.
                let e = Referentiel::from_toml(file, text).unwrap_err();
                assert!(e.message.contains(regime.code()), "{e}");
                continue;
            }
            first_generation += 1;
            if let Err(e) = Referentiel::from_toml(file, text) {
                panic!("{e}");
            }
        }
        assert_eq!(builtin().len(), first_generation);
    }

    #[test]
    fn an_explicit_2018_regime_is_accepted() {
        let text = MINI.replace(
            "region = \"Test\"",
            "region = \"Test\"\nregime = \"caqes-2018\"",
        );
        assert!(Referentiel::from_toml("mini.toml", &text).is_ok());
    }

    #[test]
    fn occitanie_2018_reproduces_the_seed_table() {
        let r = builtin_by_id("occitanie-2018").unwrap();
        assert_eq!(r.indicators.len(), 36);
        assert_eq!(r.points(), Decimal::ONE_HUNDRED);
        assert_eq!(r.bonus_points(), Decimal::from(4));
        let national = r
            .indicators
            .iter()
            .filter(|i| i.scope == Scope::National)
            .count();
        assert_eq!((national, 36 - national), (20, 16));
        // "Répartition des indicateurs selon la catégorie d'ES" (seed 003).
        let expected = [
            (Category::McoPublicEspic, 34, 2, 0, 0),
            (Category::McoPrive, 29, 2, 0, 5),
            (Category::SsrPublicEspic, 27, 1, 8, 0),
            (Category::SsrPrive, 22, 1, 8, 5),
            (Category::PsyPublicEspic, 27, 1, 8, 0),
            (Category::PsyPrive, 22, 1, 8, 5),
            (Category::Had, 27, 2, 2, 5),
            (Category::HadSansPui, 23, 2, 2, 9),
            (Category::Dialyse, 22, 2, 7, 5),
        ];
        for (cat, total, bonus, nc, nm) in expected {
            assert_eq!(
                r.counts(cat),
                CategoryCounts {
                    total,
                    bonus,
                    nc,
                    nm
                },
                "{cat}"
            );
        }
        // M8: USLD, outside the seed's table, reads like a SSR public (our reading).
        assert_eq!(r.counts(Category::Usld), r.counts(Category::SsrPublicEspic));
        assert!(r.categories.contains(&Category::Usld));
        let codes: Vec<&str> = r.indicators.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(&codes[..3], ["I-01", "I-02", "I-03"]);
        assert_eq!(codes[35], "VI-01");
        let points: Vec<(&str, Decimal)> = r
            .indicators
            .iter()
            .map(|i| (i.code.as_str(), i.points))
            .collect();
        assert!(points.contains(&("II-06", Decimal::from(6))));
        assert!(points.contains(&("V-05", Decimal::from(8))));
    }
}
