//! What the établissement typed in the dossier form, read field by field against the
//! grid (`n:{site}:{code}`, `d:…`, `v:…`, `m:…`), and shown back with its errors.

use std::collections::BTreeMap;

use super::{Dossier, classes, entered_by_establishment};
use caqes_core::referentiel::Applicability;
use caqes_core::value::Field;
use caqes_store::{Motives, StoredDeclaration, StoredValue};

/// What was typed for one site and indicator, as shown in the inputs.
#[derive(Clone, Default)]
pub(super) struct TypedValue {
    pub(super) n: String,
    pub(super) d: String,
    pub(super) v: String,
    pub(super) m: String,
}

/// Typed values per (site, indicator), as shown in the inputs.
pub(super) type Typed = BTreeMap<(String, String), TypedValue>;
/// Errors per (site, indicator).
pub(super) type Errors = BTreeMap<(String, String), (Field, String)>;

/// A stored word as people write it: `EN_COURS` is « EN COURS » (the
/// engine reads both).
pub(super) fn words(text: &str) -> String {
    if text == "EN_COURS" {
        "EN COURS".to_owned()
    } else {
        text.to_owned()
    }
}

/// `EN_COURS` is « EN COURS » wherever it appears in a sentence.
pub(super) fn words_in(text: &str) -> String {
    text.replace("EN_COURS", "EN COURS")
}

pub(super) fn typed_from_stored(
    stored: &[StoredValue],
    declarations: &[StoredDeclaration],
) -> Typed {
    stored
        .iter()
        .map(|v| {
            let value = v
                .declared
                .clone()
                .or(v.value.clone())
                .map(|t| words(&t))
                .unwrap_or_default();
            let motive = declarations
                .iter()
                .find(|d| d.site == v.site && d.indicator == v.indicator)
                .map(|d| d.declaration.motive().to_owned())
                .unwrap_or_default();
            (
                (v.site.to_string(), v.indicator.clone()),
                TypedValue {
                    n: v.numerator.clone().unwrap_or_default(),
                    d: v.denominator.clone().unwrap_or_default(),
                    v: value,
                    m: motive,
                },
            )
        })
        .collect()
}

/// Reads the form's fields (`n:{site}:{code}`, `d:…`, `v:…`, `m:…` the motive of an
/// NC) for the indicators the établissement enters; fields of other sites or indicators
/// are ignored. Returns the valid values with their NC motives, what was typed, and the
/// errors.
pub(super) fn parse_form(
    d: &Dossier,
    pairs: Vec<(String, String)>,
) -> (Vec<StoredValue>, Motives, Typed, Errors) {
    let form: BTreeMap<String, String> = pairs.into_iter().collect();
    let field = |kind: &str, site: &str, code: &str| -> String {
        form.get(&format!("{kind}:{site}:{code}"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let multi = d.sites.len() > 1;
    let baseline = d.campaign.year <= d.referentiel.baseline_year;
    let mut typed = Typed::new();
    let mut errors = Errors::new();
    let mut values = Vec::new();
    let mut motives = Motives::new();
    // Every line the form shows: an indicator computed per class (D5) is typed class by
    // class (`III-02/EPO`), not as a whole.
    for grid_line in d.referentiel.lines_in_order() {
        let (ind, code) = (grid_line.indicator, grid_line.code);
        let by_category = ind.applicability(d.entity.category);
        if !entered_by_establishment(&ind.sources)
            || by_category == Applicability::Nc
            || (grid_line.class.is_none() && !ind.classes.is_empty())
        {
            continue;
        }
        for s in &d.sites {
            let site = s.finess.to_string();
            let t = TypedValue {
                n: field("n", &site, code),
                d: field("d", &site, code),
                v: field("v", &site, code),
                m: field("m", &site, code),
            };
            typed.insert((site.clone(), code.to_owned()), t.clone());
            let declared =
                matches!(t.v.to_uppercase().as_str(), "NC" | "NM").then(|| t.v.to_uppercase());
            // The seeds' applicability (W4): NM follows from the category, never declared;
            // NC on an indicator the category makes concerned needs its motive, which the
            // ARS reviews.
            let rule_error = match (by_category, declared.as_deref()) {
                (Applicability::Concerned, Some("NM")) => Some(format!(
                    "NM ne se déclare pas : il découle de la catégorie, pour laquelle {} est concerné",
                    ind.code
                )),
                (Applicability::Concerned, Some("NC")) if t.m.is_empty() => Some(
                    "NC sans motif : préciser le motif tiré de l'activité de l'établissement (revu par l'ARS)"
                        .to_owned(),
                ),
                _ => None,
            };
            if let Some(message) = rule_error {
                errors.insert((site.clone(), code.to_owned()), (Field::Value, message));
                continue;
            }
            // « EN COURS » (the radio button, or typed) is stored as the files write it.
            let v = if t.v.to_uppercase() == "EN COURS" {
                "EN_COURS".to_owned()
            } else {
                t.v.clone()
            };
            // Parsed once, here: the store keeps the typed value (and the text as typed).
            let value = StoredValue::typed_text(
                s.finess,
                d.campaign.year,
                code,
                Some(&t.n),
                Some(&t.d),
                Some(&v),
            )
            .parsed(ind, baseline, multi);
            let value = match value {
                Ok(value) => value,
                Err(e) => {
                    errors.insert(
                        (site.clone(), code.to_owned()),
                        (e.field, e.message.replace("EN_COURS", "EN COURS")),
                    );
                    continue;
                }
            };
            if declared.as_deref() == Some("NC") && !t.m.is_empty() {
                motives.insert((s.finess, code.to_owned()), t.m.clone());
            }
            values.push(value);
        }
    }
    (values, motives, typed, errors)
}

/// The classes typed (`classe:{code}`) for the indicators measured on a class
/// the établissement selects; an empty field removes the class. The first
/// wrong one is refused with its reason (nothing is saved).
pub(super) fn parse_classes(
    d: &Dossier,
    pairs: &[(String, String)],
) -> Result<BTreeMap<String, Option<String>>, String> {
    let mut out = BTreeMap::new();
    for ind in &d.referentiel.indicators {
        let Some(kind) = classes::class_kind(ind) else {
            continue;
        };
        if ind.applicability(d.entity.category) != Applicability::Concerned {
            continue;
        }
        let name = format!("classe:{}", ind.code);
        let Some((_, text)) = pairs.iter().find(|(k, _)| *k == name) else {
            continue;
        };
        let class = match text.trim() {
            "" => None,
            t => Some(
                kind.check(t)
                    .map_err(|e| format!("Rien n'a été enregistré : {} — {e}.", ind.code))?,
            ),
        };
        out.insert(ind.code.clone(), class);
    }
    Ok(out)
}
