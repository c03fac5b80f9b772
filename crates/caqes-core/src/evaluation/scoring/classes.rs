//! D5: an indicator computed per class (III-02, III-03: EPO, anti-TNF, insuline glargine,
//! G-CSF — seed 003 « par classe »): each class's status (NC with its motive, never NM),
//! value and target, judged like an indicator, and the indicator's points made from the
//! classes' results by the grid's `regle_classes` (equal shares, or all classes met).

use rust_decimal::Decimal;

use super::{ClassPart, Explanation, Line, Provided, Rule, Scorer, judge, small_sample};
use crate::category::Category;
use crate::grid::referentiel::{Applicability, ClassRule, Indicator, IndicatorClass};
use crate::grid::value::{Entry, NcDeclaration, Review, Value};

impl Scorer<'_> {
    /// What the classes of an indicator computed per class were given, or `None` when the
    /// indicator has no classes, is not concerned by the category, was given nothing, or
    /// was given one value for all classes and nothing per class (an older file: that value
    /// is scored as it is, with a warning).
    pub(super) fn classes_given<G: Provided>(
        &self,
        ind: &Indicator,
        by_category: Applicability,
        own: Option<&G>,
        given: &[Option<&G>],
        targets: &[Option<&Decimal>],
        warnings: &mut Vec<String>,
    ) -> Option<Vec<ClassGiven>> {
        if ind.classes.is_empty() {
            return None;
        }
        let any_class = given.iter().any(Option::is_some);
        if by_category != Applicability::Concerned {
            if any_class {
                warnings.push(format!(
                    "{} : indicateur {} pour la catégorie ; les valeurs par classe sont ignorées",
                    ind.code,
                    by_category.code()
                ));
            }
            return None;
        }
        let own_entry = own.map(|g| g.entry());
        match (own_entry, any_class) {
            // A declaration for the whole indicator (NC with its motive) decides the line.
            (Some(Entry::Declared(_)), _) => {
                if any_class {
                    warnings.push(format!(
                        "{} : déclaré {} pour l'indicateur entier ; les valeurs par classe sont ignorées",
                        ind.code,
                        own_entry.map_or("", |e| match e {
                            Entry::Declared(a) => a.code(),
                            Entry::Value(_) => "",
                        })
                    ));
                }
                return None;
            }
            (Some(Entry::Value(_)), false) => {
                warnings.push(format!(
                    "{} : une seule valeur pour toutes les classes, alors que la grille le calcule séparément par classe ({}) ; retenue telle quelle",
                    ind.code,
                    class_list(&ind.classes)
                ));
                return None;
            }
            (Some(Entry::Value(_)), true) => warnings.push(format!(
                "{} : valeur globale ignorée : l'indicateur se calcule à partir des valeurs par classe",
                ind.code
            )),
            // Nothing given at all: a missing value, as any line (the outputs keep their
            // shape for establishments without class data).
            (None, false) => return None,
            (None, true) => {}
        }
        Some(
            ind.classes
                .iter()
                .zip(given)
                .zip(targets)
                .map(|((class, g), target)| class_given(class, *g, target.copied(), warnings))
                .collect(),
        )
    }
}

/// The classes' codes, for a message.
pub(super) fn class_list(classes: &[IndicatorClass]) -> String {
    classes
        .iter()
        .map(|c| c.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What one class was given, its status applied.
#[derive(Debug, Clone)]
pub(super) struct ClassGiven {
    code: String,
    label: String,
    /// The class is declared NC (the establishment does not prescribe it) and the
    /// declaration is applied.
    pub(super) nc: bool,
    value: Option<Value>,
    pub(super) declaration: Option<NcDeclaration>,
    source_line: Option<u64>,
    /// The class's own contracted target.
    target: Option<Decimal>,
}

/// The status of one class of a concerned indicator: an NC follows the rules of an
/// indicator's NC (motive, review), an NM is never declared.
pub(super) fn class_given<G: Provided>(
    class: &IndicatorClass,
    given: Option<&G>,
    target: Option<Decimal>,
    warnings: &mut Vec<String>,
) -> ClassGiven {
    let mut out = ClassGiven {
        code: class.line_code.clone(),
        label: class.label.clone(),
        nc: false,
        value: None,
        declaration: given.and_then(|g| g.declaration().cloned()),
        source_line: given.and_then(|g| g.source_line()),
        target,
    };
    match given.map(|g| g.entry()) {
        None => {}
        Some(Entry::Value(v)) => out.value = Some(v),
        Some(Entry::Declared(Applicability::Nm)) => warnings.push(format!(
            "{} : NM ne se déclare pas (il découle de la catégorie) ; non retenu",
            class.line_code
        )),
        Some(Entry::Declared(_)) => match &out.declaration {
            Some(d) if d.review == Review::Refused => warnings.push(format!(
                "{} : NC refusé par l'ARS (motif déclaré : « {} ») ; la classe reste concernée",
                class.line_code,
                d.motive()
            )),
            Some(d) => {
                if d.review == Review::Proposed {
                    warnings.push(format!(
                        "{} : NC proposé (motif « {} »), appliqué en attendant la revue de l'ARS",
                        class.line_code,
                        d.motive()
                    ));
                }
                out.nc = true;
            }
            None => {
                warnings.push(format!(
                    "{} : NC déclaré sans motif ; à justifier en fonction de l'activité de l'établissement",
                    class.line_code
                ));
                out.nc = true;
            }
        },
    }
    out
}

/// The inputs of a line computed per class.
pub(super) struct PerClassInput<'a> {
    pub(super) category: Category,
    pub(super) year: i16,
    pub(super) baseline: bool,
    /// The indicator's contracted target (for the classes without their own).
    pub(super) contract: Option<Decimal>,
    pub(super) stake: &'a crate::evaluation::weights::Stake,
    pub(super) parts: Vec<ClassGiven>,
    pub(super) declaration: Option<NcDeclaration>,
}

/// The line of an indicator computed per class (D5), and what it adds to the score's
/// numerator (or to the bonus). Each concerned class is judged as a line would be, against
/// its own target, else the indicator's; the [`ClassRule`] makes the points.
pub(super) fn per_class_line(
    ind: &Indicator,
    input: PerClassInput<'_>,
    warnings: &mut Vec<String>,
) -> (Line, Decimal) {
    let PerClassInput {
        category,
        year,
        baseline,
        contract,
        stake,
        parts,
        declaration,
    } = input;
    let concerned = parts.iter().filter(|p| !p.nc).count();
    // At least one class is concerned: a line whose classes are all NC is NC.
    let n = Decimal::from(concerned.max(1));
    let mut met_count = 0usize;
    let mut any_not_met = false;
    let mut judged_parts = Vec::with_capacity(parts.len());
    for p in parts {
        if p.nc {
            judged_parts.push((p, None));
            continue;
        }
        // The class's own contracted target, else the indicator's (contracted, shared by
        // its classes), else the référentiel's default for the year.
        let judged = judge(
            ind,
            category,
            year,
            baseline,
            p.value,
            p.target.or(contract),
        );
        if judged.rule == Rule::TargetMissing {
            warnings.push(format!(
                "{} : cible manquante pour {year} (ni cible contractualisée, ni cible par défaut du référentiel) : 0 point pour la classe",
                p.code
            ));
        }
        match judged.met {
            Some(true) => met_count += 1,
            Some(false) => any_not_met = true,
            None => {}
        }
        judged_parts.push((p, Some(judged)));
    }
    let all = met_count == concerned && concerned > 0;
    let k = Decimal::from(met_count);
    // Exact when every class is met: the line's own maximum, not a product and a division.
    let (share, points) = match ind.class_rule {
        _ if all => (stake.share_all, stake.max_points),
        ClassRule::EqualShares => (stake.share_all * k / n, stake.max_points * k / n),
        ClassRule::AllClasses => (Decimal::ZERO, stake.points_nothing),
    };
    let class_max = match ind.class_rule {
        ClassRule::EqualShares => Some(stake.max_points / n),
        ClassRule::AllClasses => None,
    };
    let mut small = false;
    let classes: Vec<ClassPart> = judged_parts
        .into_iter()
        .map(|(p, judged)| match judged {
            None => ClassPart {
                code: p.code,
                label: p.label,
                status: Applicability::Nc,
                entry: Some(Entry::Declared(Applicability::Nc)),
                target: None,
                target_origin: None,
                met: None,
                rule: Rule::NcDeclared,
                max_points: None,
                points: None,
                declaration: p.declaration,
                source_line: p.source_line,
                small_sample: false,
            },
            Some(j) => {
                let small_sample = small_sample(ind, p.value);
                if small_sample {
                    small = true;
                    warnings.push(format!(
                        "{} : échantillon de moins de {} dossiers : recevable seulement si tous les dossiers sont inclus (exhaustivité)",
                        p.code,
                        ind.min_sample.unwrap_or_default().normalize()
                    ));
                }
                ClassPart {
                    code: p.code,
                    label: p.label,
                    status: Applicability::Concerned,
                    entry: p.value.map(Entry::Value),
                    target: j.target,
                    target_origin: j.origin,
                    met: j.met,
                    rule: j.rule,
                    max_points: class_max,
                    points: class_max.map(|m| if j.met == Some(true) { m } else { Decimal::ZERO }),
                    // A refused NC keeps its declaration visible.
                    declaration: p.declaration,
                    source_line: p.source_line,
                    small_sample,
                }
            }
        })
        .collect();
    let met = if all {
        Some(true)
    } else if any_not_met {
        Some(false)
    } else {
        None
    };
    let line = Line {
        code: ind.code.clone(),
        bonus: ind.bonus,
        status: Applicability::Concerned,
        max_points: stake.max_points,
        points,
        entry: None,
        target: None,
        met,
        explanation: Explanation {
            rule: Rule::PerClass,
            target_origin: None,
            direction: Some(ind.direction),
            grid_points: ind.points,
            factor: stake.factor,
            declaration,
            source_line: None,
            small_sample: small,
            classes,
            class_rule: Some(ind.class_rule),
        },
    };
    (line, share)
}
