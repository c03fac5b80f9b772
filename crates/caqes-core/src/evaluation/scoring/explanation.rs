//! Why a line has its points: the [`Explanation`] every line of a score carries (the
//! rule applied, the target and its origin, the grid's points and the redistribution
//! factor, the value's source, the classes of a per-class indicator), and its French
//! text ([`ExplanationText`]) as the CLI, the dossier page and the documents show it.

use rust_decimal::Decimal;
use serde::Serialize;

use super::Line;
use crate::grid::referentiel::{Applicability, ClassRule, Direction};
use crate::grid::value::{Entry, NcDeclaration, Review, Value};

/// Why a line has its points: one structure for the CLI, the platform and the documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub rule: Rule,
    /// Where the target comes from; `None` when the line is not compared with a target.
    pub target_origin: Option<TargetOrigin>,
    /// The direction of the comparison, for a line compared with a target.
    pub direction: Option<Direction>,
    /// The indicator's points in the grid, before redistribution.
    pub grid_points: Decimal,
    /// `max_points / grid_points` (proportional method: `R / S`, the same for every
    /// concerned non-bonus indicator); 1 for a bonus; 0 for an NC/NM line.
    pub factor: Decimal,
    /// The NC declaration applied or refused, with its motive and review.
    pub declaration: Option<NcDeclaration>,
    /// 1-based line of the value in its file.
    pub source_line: Option<u64>,
    /// The sample is below the grid's minimum (`echantillon_min`): admissible only when
    /// exhaustive (« Si < 30 => exhaustivité »).
    pub small_sample: bool,
    /// An indicator computed separately per class (D5, rule [`Rule::PerClass`]): each
    /// class's value, target and result, in the grid's order of classes; empty otherwise.
    pub classes: Vec<ClassPart>,
    /// How the classes make the points ([`ClassRule`]), with `classes`.
    pub class_rule: Option<ClassRule>,
}

/// One class of an indicator computed per class (D5): a sub-line of the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassPart {
    /// The sub-line's code (`III-03/EPO`).
    pub code: String,
    /// The class's name (« Érythropoïétines (EPO) »).
    pub label: String,
    /// `Concerned`, or `Nc` when the establishment declared it does not prescribe the class.
    pub status: Applicability,
    /// The class's value (none when missing or NC).
    pub entry: Option<Entry>,
    /// The target compared with: the class's own contracted target, else the indicator's
    /// (contracted or the référentiel's default).
    pub target: Option<Decimal>,
    pub target_origin: Option<TargetOrigin>,
    /// `None` for an NC class or a missing target.
    pub met: Option<bool>,
    /// The rule applied to the class: as for a line (`valeur_manquante`,
    /// `etat_des_lieux_valeur`, `etat_des_lieux_acte`, `comparaison_cible`,
    /// `cible_manquante`, `nc_declare`).
    pub rule: Rule,
    /// The class's share of the line's maximum ([`ClassRule::EqualShares`]: the maximum
    /// divided by the number of concerned classes); `None` for an NC class and with
    /// [`ClassRule::AllClasses`] (the points are the line's, all or nothing).
    pub max_points: Option<Decimal>,
    /// The points the class earns (its share when met, else 0); `None` as `max_points`.
    pub points: Option<Decimal>,
    /// The NC declaration of the class (its motive and review).
    pub declaration: Option<NcDeclaration>,
    /// 1-based line of the class's value in its file.
    pub source_line: Option<u64>,
    pub small_sample: bool,
}

/// The rule applied to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rule {
    /// NC by the establishment's category.
    NcCategory,
    /// NM by the establishment's category.
    NmCategory,
    /// NC declared by the establishment with its motive (accepted or proposed).
    NcDeclared,
    /// Concerned, nothing given (or an NM/NC not applied): 0 point.
    MissingValue,
    /// État des lieux year: the value asked is provided.
    BaselineValue,
    /// État des lieux year: the establishment's act is delivered (in the CLI, the value
    /// of the ARS's batch file stands for it).
    BaselineAct,
    /// Compared with its target (contracted or the référentiel's default).
    TargetCompared,
    /// To be compared with a target, but none was contracted and the référentiel has no
    /// default for the year: 0 point, met unknown.
    TargetMissing,
    /// OUI earns all, NON nothing.
    YesNo,
    /// EN_COURS earns half the points.
    InProgressHalf,
    /// Computed separately per class (D5): the classes' results make the points by the
    /// grid's [`ClassRule`] ([`Explanation::classes`]).
    PerClass,
}

impl Rule {
    /// The code written in outputs (`regle`).
    pub fn code(self) -> &'static str {
        match self {
            Rule::NcCategory => "nc_categorie",
            Rule::NmCategory => "nm_categorie",
            Rule::NcDeclared => "nc_declare",
            Rule::MissingValue => "valeur_manquante",
            Rule::BaselineValue => "etat_des_lieux_valeur",
            Rule::BaselineAct => "etat_des_lieux_acte",
            Rule::TargetCompared => "comparaison_cible",
            Rule::TargetMissing => "cible_manquante",
            Rule::YesNo => "oui_non",
            Rule::InProgressHalf => "en_cours_moitie",
            Rule::PerClass => "par_classe",
        }
    }
}

/// Where a target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TargetOrigin {
    /// Contracted (the avenant's multi-year targets; `cibles.csv` in the CLI).
    Contract,
    /// The référentiel's default for the year (`cible_defaut`).
    Referentiel,
    /// Neither: the line is `cible manquante`.
    Missing,
}

impl TargetOrigin {
    /// The code written in outputs (`origine_cible`).
    pub fn code(self) -> &'static str {
        match self {
            TargetOrigin::Contract => "contrat",
            TargetOrigin::Referentiel => "referentiel",
            TargetOrigin::Missing => "manquante",
        }
    }
}

impl Explanation {
    /// The explanation in one French sentence (built on demand, not stored, so that a
    /// national campaign does not pay for text nobody reads).
    pub fn text(&self, line: &Line, year: i16) -> String {
        self.display(line, year).to_string()
    }

    /// The same sentence, written where it is displayed (no intermediate string).
    pub fn display<'a>(&'a self, line: &'a Line, year: i16) -> ExplanationText<'a> {
        ExplanationText {
            explanation: self,
            line,
            year,
        }
    }
}

/// [`Explanation::text`] as a `Display`.
pub struct ExplanationText<'a> {
    explanation: &'a Explanation,
    line: &'a Line,
    year: i16,
}

/// A decimal rounded to 2 places for a sentence.
struct Shown(Decimal);

impl std::fmt::Display for Shown {
    /// The sentence is French: a decimal comma (« 1,33 point(s) »), as on every page and
    /// document that shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = crate::rate::round_half_away(self.0, 2)
            .normalize()
            .to_string();
        f.write_str(&text.replace('.', ","))
    }
}

/// The value of a line for a sentence (`absente` when there is none).
struct ShownValue(Option<Value>);

impl std::fmt::Display for ShownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("absente"),
        }
    }
}

impl std::fmt::Display for ExplanationText<'_> {
    fn fmt(&self, t: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (x, line, year) = (self.explanation, self.line, self.year);
        let value = ShownValue(line.entry.and_then(|e| match e {
            Entry::Value(v) => Some(v),
            Entry::Declared(_) => None,
        }));
        let spread = " ; ses points sont répartis sur les autres indicateurs.";
        match x.rule {
            Rule::NcCategory => write!(
                t,
                "Non concerné (NC) pour la catégorie de l'établissement{spread}"
            )?,
            Rule::NmCategory => write!(
                t,
                "Non mesurable (NM) pour la catégorie de l'établissement{spread}"
            )?,
            Rule::NcDeclared => {
                t.write_str("Déclaré non concerné (NC) en fonction de l'activité")?;
                if let Some(d) = &x.declaration {
                    write!(
                        t,
                        ", motif : « {} » (déclaration {})",
                        d.motive(),
                        review_label(d.review)
                    )?;
                }
                t.write_str(spread)?;
            }
            Rule::MissingValue => t.write_str("Aucune valeur retenue : 0 point.")?,
            Rule::BaselineValue => write!(
                t,
                "Année de l'état des lieux ({year}) : la valeur demandée est fournie ({value})."
            )?,
            Rule::BaselineAct => write!(
                t,
                "Année de l'état des lieux ({year}) : le livrable est un acte de l'établissement \
                 (proposition de classe, de cible, état des lieux organisationnel) ; la valeur \
                 transmise ({value}) en tient lieu."
            )?,
            Rule::TargetCompared => {
                let origin = match x.target_origin {
                    Some(TargetOrigin::Referentiel) => "cible par défaut du référentiel",
                    _ => "cible contractualisée",
                };
                let sense = match x.direction {
                    Some(Direction::LowerIsBetter) => "au plus",
                    _ => "au moins",
                };
                let verdict = if line.met == Some(true) {
                    "atteinte"
                } else {
                    "non atteinte"
                };
                write!(t, "Valeur {value} comparée à la {origin} ")?;
                if let Some(target) = line.target {
                    write!(t, "{}", Shown(target))?;
                }
                write!(t, " ({sense} la cible, égalité atteinte) : {verdict}.")?;
            }
            Rule::TargetMissing => write!(
                t,
                "Cible manquante pour {year} : ni cible contractualisée, ni cible par défaut du \
                 référentiel ; 0 point tant que la cible n'est pas fixée."
            )?,
            Rule::YesNo => {
                let verdict = if line.met == Some(true) {
                    "tous les points"
                } else {
                    "aucun point"
                };
                write!(t, "Réponse {value} : {verdict}.")?;
            }
            Rule::InProgressHalf => t.write_str("Réponse EN_COURS : la moitié des points.")?,
            Rule::PerClass => write_classes(t, x, line, year)?,
        }
        if line.status == Applicability::Concerned {
            write!(
                t,
                " Points de la grille {}, en jeu après répartition {} (facteur {}), obtenus {}.",
                Shown(x.grid_points),
                Shown(line.max_points),
                Shown(x.factor),
                Shown(line.points)
            )?;
        }
        if let (true, Some(d)) = (x.rule != Rule::NcDeclared, &x.declaration) {
            write!(
                t,
                " NC {} (motif déclaré : « {} »).",
                review_label(d.review),
                d.motive()
            )?;
        }
        if x.small_sample {
            t.write_str(
                " Échantillon en dessous du minimum de dossiers : recevable seulement s'il est exhaustif.",
            )?;
        }
        Ok(())
    }
}

/// The sentence of a line computed per class: the rule, then each class.
fn write_classes(
    t: &mut std::fmt::Formatter<'_>,
    x: &Explanation,
    line: &Line,
    year: i16,
) -> std::fmt::Result {
    let concerned = x
        .classes
        .iter()
        .filter(|c| c.status == Applicability::Concerned)
        .count();
    let met = x.classes.iter().filter(|c| c.met == Some(true)).count();
    let how = match x.class_rule {
        Some(ClassRule::AllClasses) => "tous les points si chaque classe concernée est atteinte",
        _ => "points partagés à parts égales entre les classes concernées",
    };
    write!(
        t,
        "Taux calculé séparément par classe ({how}) : {met} classe(s) atteinte(s) sur {concerned} concernée(s)."
    )?;
    let sense = match line.explanation.direction {
        Some(Direction::LowerIsBetter) => "au plus",
        _ => "au moins",
    };
    for c in &x.classes {
        let value = ShownValue(c.entry.and_then(|e| match e {
            Entry::Value(v) => Some(v),
            Entry::Declared(_) => None,
        }));
        write!(t, " {} : ", c.label)?;
        match c.rule {
            Rule::NcDeclared => {
                t.write_str("non concernée (NC)")?;
                if let Some(d) = &c.declaration {
                    write!(
                        t,
                        ", motif « {} » (déclaration {})",
                        d.motive(),
                        review_label(d.review)
                    )?;
                }
            }
            Rule::MissingValue => t.write_str("aucune valeur")?,
            Rule::BaselineValue | Rule::BaselineAct => write!(
                t,
                "année de l'état des lieux ({year}), valeur transmise ({value})"
            )?,
            Rule::TargetMissing => write!(t, "valeur {value}, cible manquante pour {year}")?,
            _ => {
                let origin = match c.target_origin {
                    Some(TargetOrigin::Referentiel) => "cible par défaut du référentiel",
                    _ => "cible contractualisée",
                };
                write!(t, "valeur {value} comparée à la {origin} ")?;
                if let Some(target) = c.target {
                    write!(t, "{}", Shown(target))?;
                }
                write!(t, " ({sense} la cible)")?;
            }
        }
        match (c.met, c.points) {
            (Some(true), Some(p)) => write!(t, " : atteinte, {} point(s).", Shown(p))?,
            (Some(true), None) => t.write_str(" : atteinte.")?,
            (Some(false), Some(_)) => t.write_str(" : non atteinte, 0 point.")?,
            (Some(false), None) => t.write_str(" : non atteinte.")?,
            (None, _) => t.write_str(".")?,
        }
    }
    Ok(())
}

fn review_label(r: Review) -> &'static str {
    match r {
        Review::Proposed => "proposée, en attente de la revue de l'ARS",
        Review::Accepted => "acceptée",
        Review::Refused => "refusée",
    }
}
