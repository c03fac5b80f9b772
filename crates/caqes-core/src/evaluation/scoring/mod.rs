//! Scoring of the volet obligatoire for one establishment and one year.
//!
//! The seed's rule (ARS Occitanie, annexe 1): "100 points + 4 points bonus ; si NC ou NM,
//! le poids des indicateurs est réparti de façon homogène sur les autres indicateurs".
//!
//! - Status: NM comes from the category only (« Concerné / Non concerné en fonction des
//!   catégorie d'ES », « Mesurable / Non mesurable »): an NM declared on an indicator the
//!   category makes concerned is not applied. NC may be declared on such an indicator
//!   « en fonction de son activité », with its motive ([`NcDeclaration`]); a refused
//!   declaration is not applied, a proposed one is applied provisionally and flagged.
//!   A value given for an NC/NM indicator is ignored with a warning.
//! - Maximum points: with the proportional method, each concerned non-bonus indicator is
//!   worth `points × R / S` where `R` is the grid's total (100) and `S` the sum of the
//!   points of the concerned non-bonus indicators; with the equal method, the points freed
//!   by NC/NM indicators are split equally among the concerned non-bonus indicators that
//!   carry points. Bonus indicators keep their points when concerned, else are worth 0.
//!   Nothing concerned (`S` = 0): no score at all ([`Score::evaluable`] is false).
//! - Met: in the état des lieux year a numeric indicator earns its points by what the grid
//!   asks ([`Deliverable`]): the value provided, the establishment's act (a value in the
//!   ARS's batch file stands for it), or the comparison with a target that already applies
//!   (IV-01, V-01, V-02…). After that year it is compared with its target: the contracted
//!   one, else the référentiel's default for the year, else the line is `cible manquante`
//!   (0 point, met unknown, a warning). Yes/no and document indicators need `OUI`;
//!   `EN_COURS` earns half. A missing value earns 0.
//!
//! Every line carries its [`Explanation`]: the rule applied, the target's origin, the
//! grid's points and the redistribution factor, the value's source.
//!
//! Exactness: every maximum is a fraction over one common denominator (`S` or the count
//! of indicators sharing the freed points), and the score is the sum of the numerators
//! divided once. A fully met grid therefore scores exactly 100, never 99.999…; rounding
//! to 2 decimals happens only for display.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::category::Category;
use crate::evaluation::weights::Table;
use crate::grid::referentiel::{Applicability, Deliverable, Indicator, Referentiel};
use crate::grid::value::{Entry, NcDeclaration, Review, Value};

mod classes;
mod explanation;

use classes::{ClassGiven, PerClassInput, per_class_line};
pub use explanation::{ClassPart, Explanation, ExplanationText, Rule, TargetOrigin};

/// What was given for one indicator: the entry, the NC declaration's motive and review
/// when the entry is an NC, and where it comes from (line of the file, when read from one).
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub entry: Entry,
    pub declaration: Option<NcDeclaration>,
    /// 1-based line of the value in its file (`valeurs.csv` for the CLI).
    pub source_line: Option<u64>,
}

impl Given {
    pub fn new(entry: Entry) -> Given {
        Given {
            entry,
            declaration: None,
            source_line: None,
        }
    }

    pub fn with_declaration(mut self, declaration: NcDeclaration) -> Given {
        self.declaration = Some(declaration);
        self
    }

    pub fn at_line(mut self, line: u64) -> Given {
        self.source_line = Some(line);
        self
    }
}

impl From<Entry> for Given {
    fn from(entry: Entry) -> Given {
        Given::new(entry)
    }
}

/// The result for one establishment and one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Non-bonus points earned, 0 to the grid's total (100). Meaningless (0) when
    /// [`Score::evaluable`] is false: use [`Score::value`].
    pub score: Decimal,
    /// Bonus points earned.
    pub bonus: Decimal,
    /// `score + bonus`.
    pub total: Decimal,
    /// False when no non-bonus indicator carrying points is concerned: the establishment
    /// is « non évaluable », it has no score and no sanction is proposed.
    pub evaluable: bool,
    /// One line per indicator, in the grid's order.
    pub lines: Vec<Line>,
    /// Things the user should know (values ignored, targets missing...), in French.
    pub warnings: Vec<String>,
}

impl Score {
    /// The score, `None` when the establishment is not evaluable.
    pub fn value(&self) -> Option<Decimal> {
        self.evaluable.then_some(self.score)
    }

    /// The bonus, `None` when the establishment is not evaluable.
    pub fn bonus_value(&self) -> Option<Decimal> {
        self.evaluable.then_some(self.bonus)
    }

    /// The total, `None` when the establishment is not evaluable.
    pub fn total_value(&self) -> Option<Decimal> {
        self.evaluable.then_some(self.total)
    }

    /// The codes of the lines whose target is missing (W3), a class of a line computed per
    /// class (`III-03/EPO`, D5) included: what the ARS must contract or decide before
    /// evaluating.
    pub fn missing_targets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for l in &self.lines {
            if l.explanation.target_origin == Some(TargetOrigin::Missing) {
                out.push(l.code.as_str());
            }
            out.extend(
                l.explanation
                    .classes
                    .iter()
                    .filter(|c| c.target_origin == Some(TargetOrigin::Missing))
                    .map(|c| c.code.as_str()),
            );
        }
        out
    }

    /// The figure read on the sanction scale: the total when the référentiel counts the
    /// bonus (`[sanction] bonus_compte_pour_bareme`, D3), else the score; `None` when the
    /// establishment is not evaluable (no sanction is proposed).
    pub fn scale_score(&self, bonus_counts: bool) -> Option<Decimal> {
        if !self.evaluable {
            return None;
        }
        Some(if bonus_counts { self.total } else { self.score })
    }
}

/// One indicator's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub code: String,
    pub bonus: bool,
    pub status: Applicability,
    /// Maximum after redistribution.
    pub max_points: Decimal,
    pub points: Decimal,
    /// The entry used (a value for a concerned indicator; the declaration for NC/NM ones).
    pub entry: Option<Entry>,
    /// The target compared with (contracted or the référentiel's default).
    pub target: Option<Decimal>,
    /// `None` when the indicator is NC/NM, or when its target is missing.
    pub met: Option<bool>,
    pub explanation: Explanation,
}

/// How much of an indicator's maximum is earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Earned {
    All,
    Half,
    Nothing,
}

/// Scores one establishment of `category` for `year`, from bare entries (NC declared
/// without motive are applied with a warning: the platform's form does not collect the
/// motive yet). Prefer [`evaluate`]; for many establishments, [`Scorer`].
pub fn score(
    referentiel: &Referentiel,
    category: Category,
    year: i16,
    entries: &BTreeMap<String, Entry>,
    targets: &BTreeMap<String, Decimal>,
) -> Score {
    Scorer::new(referentiel).score(category, year, entries, targets)
}

/// Scores one establishment of `category` for `year`.
///
/// `given` and `targets` (the contracted ones) are keyed by indicator code; codes unknown
/// to the grid are reported as warnings (the CSV readers reject them earlier with a line
/// number). For many establishments of one référentiel, [`Scorer`] computes the grid's
/// tables once.
pub fn evaluate(
    referentiel: &Referentiel,
    category: Category,
    year: i16,
    given: &BTreeMap<String, Given>,
    targets: &BTreeMap<String, Decimal>,
) -> Score {
    Scorer::new(referentiel).evaluate(category, year, given, targets)
}

/// What the engine reads of one given entry ([`Given`], or a bare [`Entry`] for
/// [`score`], so that bare entries are not copied into `Given`s).
trait Provided {
    fn entry(&self) -> Entry;
    fn declaration(&self) -> Option<&NcDeclaration>;
    fn source_line(&self) -> Option<u64>;
}

impl Provided for Given {
    fn entry(&self) -> Entry {
        self.entry
    }
    fn declaration(&self) -> Option<&NcDeclaration> {
        self.declaration.as_ref()
    }
    fn source_line(&self) -> Option<u64> {
        self.source_line
    }
}

impl Provided for Entry {
    fn entry(&self) -> Entry {
        *self
    }
    fn declaration(&self) -> Option<&NcDeclaration> {
        None
    }
    fn source_line(&self) -> Option<u64> {
        None
    }
}

/// The engine for one référentiel: its codes sorted once (entries are found by position,
/// not by comparing codes line by line) and, per category, the table of maximum points
/// computed at the first establishment of that category and reused for every other one
/// that declares no NC (a national campaign: 12 000 evaluations, 10 tables).
#[derive(Debug)]
pub struct Scorer<'r> {
    referentiel: &'r Referentiel,
    /// (code, line number), in the order of the codes (that of `BTreeMap<String, _>`): the
    /// indicators' codes and their classes' (`III-03/EPO`, [`Referentiel::line_at`]).
    by_code: Vec<(&'r str, usize)>,
    /// The number of the first class line of each indicator (meaningful with classes).
    class_start: Vec<usize>,
    /// Per category (`Category as usize`).
    tables: [OnceLock<Table>; Category::EVERY.len()],
}

impl<'r> Scorer<'r> {
    pub fn new(referentiel: &'r Referentiel) -> Scorer<'r> {
        let mut by_code: Vec<(&str, usize)> =
            referentiel.lines().map(|l| (l.code, l.number)).collect();
        by_code.sort_unstable();
        let mut class_start = Vec::with_capacity(referentiel.indicators.len());
        let mut next = referentiel.indicators.len();
        for ind in &referentiel.indicators {
            class_start.push(next);
            next += ind.classes.len();
        }
        Scorer {
            referentiel,
            by_code,
            class_start,
            tables: Default::default(),
        }
    }

    pub fn referentiel(&self) -> &'r Referentiel {
        self.referentiel
    }

    /// [`score`] with this scorer's tables.
    pub fn score(
        &self,
        category: Category,
        year: i16,
        entries: &BTreeMap<String, Entry>,
        targets: &BTreeMap<String, Decimal>,
    ) -> Score {
        self.run(category, year, entries, targets)
    }

    /// [`evaluate`] with this scorer's tables.
    pub fn evaluate(
        &self,
        category: Category,
        year: i16,
        given: &BTreeMap<String, Given>,
        targets: &BTreeMap<String, Decimal>,
    ) -> Score {
        self.run(category, year, given, targets)
    }

    fn table(&self, category: Category) -> &Table {
        self.tables[category as usize]
            .get_or_init(|| Table::of_category(self.referentiel, category))
    }

    /// The values of `map` by line number (indicators, then classes); `unknown` gets the codes the grid
    /// does not have, in the map's order. One merge of two sorted lists.
    fn align<'m, V>(
        &self,
        map: &'m BTreeMap<String, V>,
        mut unknown: impl FnMut(&str),
    ) -> Vec<Option<&'m V>> {
        let mut out = vec![None; self.by_code.len()];
        let mut known = self.by_code.iter().peekable();
        for (code, v) in map {
            while known.next_if(|(k, _)| *k < code.as_str()).is_some() {}
            match known.next_if(|(k, _)| *k == code.as_str()) {
                Some((_, i)) => out[*i] = Some(v),
                None => unknown(code),
            }
        }
        out
    }

    fn run<G: Provided>(
        &self,
        category: Category,
        year: i16,
        given: &BTreeMap<String, G>,
        targets: &BTreeMap<String, Decimal>,
    ) -> Score {
        let referentiel = self.referentiel;
        let mut warnings = Vec::new();
        let mut unknown = |code: &str| {
            warnings.push(
                format!(
                    "indicateur {code} inconnu du référentiel {}",
                    referentiel.id
                ) + " : ignoré",
            );
        };
        let given = self.align(given, &mut unknown);
        let targets = self.align(targets, &mut unknown);

        let table = self.table(category);
        // Indicators computed per class (D5): what each class was given.
        let per_class: Vec<Option<Vec<ClassGiven>>> = referentiel
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| {
                let start = self.class_start[i];
                let end = start + ind.classes.len();
                self.classes_given(
                    ind,
                    table.applied[i],
                    given[i],
                    &given[start..end],
                    &targets[start..end],
                    &mut warnings,
                )
            })
            .collect();
        let statuses: Vec<Status> = referentiel
            .indicators
            .iter()
            .zip(&table.applied)
            .zip(given.iter().zip(&per_class))
            .map(|((ind, by_category), (g, classes))| {
                let status = status_of(ind, *by_category, category, *g, &mut warnings);
                match classes {
                    // Every class declared NC: the indicator is not concerned by the
                    // establishment's activity, as if declared NC itself.
                    Some(parts)
                        if status.applied == Applicability::Concerned
                            && parts.iter().all(|p| p.nc) =>
                    {
                        Status {
                            applied: Applicability::Nc,
                            declared: true,
                            value_ignored: false,
                        }
                    }
                    _ => status,
                }
            })
            .collect();
        // An applied NC declaration moves points: this establishment's own table.
        let own;
        let table = if statuses.iter().any(|s| s.declared) {
            own = Table::new(referentiel, statuses.iter().map(|s| s.applied).collect());
            &own
        } else {
            table
        };

        let weights = &table.weights;
        let baseline = year <= referentiel.baseline_year;
        let mut lines = Vec::with_capacity(referentiel.indicators.len());
        let mut earned_numerator = Decimal::ZERO;
        let mut bonus = Decimal::ZERO;
        for ((((ind, status), (g, contract)), stake), classes) in referentiel
            .indicators
            .iter()
            .zip(statuses)
            .zip(given.iter().zip(&targets))
            .zip(&table.stakes)
            .zip(per_class)
        {
            let entry = g.map(|g| g.entry());
            let contract = contract.copied();
            let source_line = g.and_then(|g| g.source_line());
            let declaration = match &classes {
                // Every class NC: the first class's declaration stands for the line's.
                Some(parts) if status.declared && entry.is_none() => {
                    parts.iter().find_map(|p| p.declaration.clone())
                }
                _ => g.and_then(|g| g.declaration().cloned()),
            };
            if status.applied != Applicability::Concerned {
                let rule = match (status.applied, status.declared) {
                    (Applicability::Nc, true) => Rule::NcDeclared,
                    (Applicability::Nc, false) => Rule::NcCategory,
                    _ => Rule::NmCategory,
                };
                lines.push(Line {
                    code: ind.code.clone(),
                    bonus: ind.bonus,
                    status: status.applied,
                    max_points: Decimal::ZERO,
                    points: Decimal::ZERO,
                    entry: entry.filter(|e| matches!(e, Entry::Declared(_))),
                    target: contract,
                    met: None,
                    explanation: Explanation {
                        rule,
                        target_origin: None,
                        direction: None,
                        grid_points: ind.points,
                        factor: Decimal::ZERO,
                        declaration: if status.declared { declaration } else { None },
                        source_line,
                        small_sample: false,
                        classes: Vec::new(),
                        class_rule: None,
                    },
                });
                continue;
            }
            if let Some(parts) = classes {
                let (line, share) = per_class_line(
                    ind,
                    PerClassInput {
                        category,
                        year,
                        baseline,
                        contract,
                        stake,
                        parts,
                        declaration,
                    },
                    &mut warnings,
                );
                if ind.bonus {
                    bonus += share;
                } else {
                    earned_numerator += share;
                }
                lines.push(line);
                continue;
            }
            let value = match entry {
                Some(Entry::Value(v)) if !status.value_ignored => Some(v),
                _ => None,
            };
            if contract.is_some() && !ind.is_numeric() {
                warnings.push(format!(
                    "{} : une cible chiffrée ne s'applique pas à un indicateur {} ; ignorée",
                    ind.code,
                    ind.kind.code()
                ));
            }
            let judged = judge(ind, category, year, baseline, value, contract);
            if judged.rule == Rule::TargetMissing {
                warnings.push(format!(
                    "{} : cible manquante pour {year} (ni cible contractualisée, ni cible par défaut du référentiel) : 0 point",
                    ind.code
                ));
            }
            let small_sample = small_sample(ind, value);
            if small_sample {
                warnings.push(format!(
                    "{} : échantillon de moins de {} dossiers : recevable seulement si tous les dossiers sont inclus (exhaustivité)",
                    ind.code,
                    ind.min_sample.unwrap_or_default().normalize()
                ));
            }
            let (share, points) = match judged.earned {
                Earned::All => (stake.share_all, stake.max_points),
                Earned::Half => (stake.share_half, stake.points_half),
                Earned::Nothing => (Decimal::ZERO, stake.points_nothing),
            };
            if ind.bonus {
                bonus += share;
            } else {
                earned_numerator += share;
            }
            lines.push(Line {
                code: ind.code.clone(),
                bonus: ind.bonus,
                status: Applicability::Concerned,
                max_points: stake.max_points,
                points,
                entry: value.map(Entry::Value),
                target: judged.target,
                met: judged.met,
                explanation: Explanation {
                    rule: judged.rule,
                    target_origin: judged.origin,
                    direction: judged.origin.map(|_| ind.direction),
                    grid_points: ind.points,
                    factor: stake.factor,
                    // A refused declaration is shown: it explains why the line is concerned.
                    declaration,
                    source_line,
                    small_sample,
                    classes: Vec::new(),
                    class_rule: None,
                },
            });
        }
        let evaluable = !weights.raw_denominator.is_zero();
        let score = earned_numerator / weights.denominator;
        Score {
            score,
            bonus,
            total: score + bonus,
            evaluable,
            lines,
            warnings,
        }
    }
}

/// The status applied to an indicator, and how it came about.
#[derive(Debug, Clone, Copy)]
struct Status {
    applied: Applicability,
    /// The establishment's NC declaration is applied.
    declared: bool,
    /// A declaration NM/NC given for a concerned indicator was not applied: nothing counts.
    value_ignored: bool,
}

fn status_of(
    ind: &Indicator,
    by_category: Applicability,
    category: Category,
    given: Option<&impl Provided>,
    warnings: &mut Vec<String>,
) -> Status {
    let plain = |applied| Status {
        applied,
        declared: false,
        value_ignored: false,
    };
    let Some(given) = given else {
        return plain(by_category);
    };
    match (by_category, given.entry()) {
        (Applicability::Concerned, Entry::Declared(Applicability::Nm)) => {
            warnings.push(format!(
                "{} : NM ne se déclare pas (il découle de la catégorie {category}, pour laquelle l'indicateur est concerné) ; non retenu",
                ind.code
            ));
            Status {
                value_ignored: true,
                ..plain(Applicability::Concerned)
            }
        }
        (Applicability::Concerned, Entry::Declared(_)) => match given.declaration() {
            Some(d) if d.review == Review::Refused => {
                warnings.push(format!(
                    "{} : NC refusé par l'ARS (motif déclaré : « {} ») ; l'indicateur reste concerné",
                    ind.code,
                    d.motive()
                ));
                Status {
                    value_ignored: true,
                    ..plain(Applicability::Concerned)
                }
            }
            Some(d) => {
                if d.review == Review::Proposed {
                    warnings.push(format!(
                        "{} : NC proposé (motif « {} »), appliqué en attendant la revue de l'ARS",
                        ind.code,
                        d.motive()
                    ));
                }
                Status {
                    declared: true,
                    ..plain(Applicability::Nc)
                }
            }
            None => {
                warnings.push(format!(
                    "{} : NC déclaré sans motif ; à justifier en fonction de l'activité de l'établissement",
                    ind.code
                ));
                Status {
                    declared: true,
                    ..plain(Applicability::Nc)
                }
            }
        },
        (Applicability::Concerned, Entry::Value(_)) => plain(Applicability::Concerned),
        (fixed, Entry::Value(_)) => {
            warnings.push(format!(
                "{} : indicateur {} pour la catégorie {category} ; la valeur fournie est ignorée",
                ind.code,
                fixed.code()
            ));
            plain(fixed)
        }
        (fixed, Entry::Declared(declared)) if declared != fixed => {
            warnings.push(format!(
                "{} : déclaré {} mais {} pour la catégorie {category} ; le statut de la catégorie s'applique",
                ind.code,
                declared.code(),
                fixed.code()
            ));
            plain(fixed)
        }
        (fixed, _) => plain(fixed),
    }
}

/// The judgement of a concerned line.
struct Judged {
    earned: Earned,
    met: Option<bool>,
    rule: Rule,
    origin: Option<TargetOrigin>,
    target: Option<Decimal>,
}

fn judge(
    ind: &Indicator,
    category: Category,
    year: i16,
    baseline: bool,
    value: Option<Value>,
    contract: Option<Decimal>,
) -> Judged {
    let plain = |earned: Earned, rule| Judged {
        earned,
        met: Some(earned == Earned::All),
        rule,
        origin: None,
        target: None,
    };
    if !ind.is_numeric() {
        return match value {
            None => plain(Earned::Nothing, Rule::MissingValue),
            Some(Value::Yes) => plain(Earned::All, Rule::YesNo),
            Some(Value::InProgress) => plain(Earned::Half, Rule::InProgressHalf),
            Some(_) => plain(Earned::Nothing, Rule::YesNo),
        };
    }
    let deliverable = if baseline {
        ind.baseline_deliverable_for(category)
    } else {
        Deliverable::Target
    };
    match deliverable {
        Deliverable::Value | Deliverable::Act => {
            let rule = if deliverable == Deliverable::Act {
                Rule::BaselineAct
            } else {
                Rule::BaselineValue
            };
            match value {
                None => plain(Earned::Nothing, Rule::MissingValue),
                // « Capacité à calculer le ratio : NON ».
                Some(Value::No) => plain(Earned::Nothing, rule),
                Some(_) => plain(Earned::All, rule),
            }
        }
        Deliverable::Target => {
            let (target, origin) = match (contract, ind.default_target(year)) {
                (Some(t), _) => (Some(t), TargetOrigin::Contract),
                (None, Some(t)) => (Some(t), TargetOrigin::Referentiel),
                (None, None) => (None, TargetOrigin::Missing),
            };
            let Some(t) = target else {
                // Without a value the line earns nothing whatever the target: only a value
                // left unjudged is « cible manquante » (and warned about).
                let (met, rule) = match value {
                    None => (Some(false), Rule::MissingValue),
                    Some(_) => (None, Rule::TargetMissing),
                };
                return Judged {
                    earned: Earned::Nothing,
                    met,
                    rule,
                    origin: Some(origin),
                    target: None,
                };
            };
            let met = value.and_then(|v| v.reaches(t, ind.direction)) == Some(true);
            Judged {
                earned: if met { Earned::All } else { Earned::Nothing },
                met: Some(met),
                rule: if value.is_some() {
                    Rule::TargetCompared
                } else {
                    Rule::MissingValue
                },
                origin: Some(origin),
                target: Some(t),
            }
        }
    }
}

/// A proportion whose denominator (the files examined) is below the grid's minimum sample.
fn small_sample(ind: &Indicator, value: Option<Value>) -> bool {
    match (ind.min_sample, value) {
        (Some(min), Some(Value::Proportion(r))) => r.denominator() < min,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
