//! Display helpers for the engine's indicators. A dossier is scored by
//! `caqes_store::evaluate_entity`, the same calls as `caqes evaluate` (the multi-site
//! pooling and every rule live in `caqes-core`).

use caqes_core::referentiel::{Applicability, Indicator, Kind};

/// French label of a status.
pub fn status_label(a: Applicability) -> &'static str {
    match a {
        Applicability::Concerned => "Concerné",
        Applicability::Nc => "Non concerné (NC)",
        Applicability::Nm => "Non mesurable (NM)",
    }
}

/// The answers of a yes/no indicator, offered as radio buttons (value sent,
/// label); `None` for a number. The engine reads each value sent.
pub fn value_choices(ind: &Indicator) -> Option<&'static [(&'static str, &'static str)]> {
    match ind.kind {
        Kind::YesNo | Kind::Document => Some(&[
            ("OUI", "Oui"),
            ("NON", "Non"),
            ("NC", "Non concerné (NC)"),
            ("NM", "Non mesurable (NM)"),
        ]),
        Kind::TriState => Some(&[
            ("OUI", "Oui"),
            ("EN COURS", "En cours"),
            ("NON", "Non"),
            ("NC", "Non concerné (NC)"),
            ("NM", "Non mesurable (NM)"),
        ]),
        Kind::Proportion | Kind::Growth | Kind::Ratio => None,
    }
}

/// What the value field accepts, for the hint under it.
pub fn value_hint(ind: &Indicator) -> &'static str {
    match ind.kind {
        Kind::Proportion => {
            "Numérateur et dénominateur, ou un pourcentage (0 à 100). NC ou NM si non concerné / non mesurable."
        }
        Kind::Growth => {
            "Montants de l'année N et N−1, ou un taux d'évolution en %. NC ou NM possibles."
        }
        Kind::Ratio => "Numérateur et dénominateur, ou le ratio. NC ou NM possibles.",
        Kind::YesNo | Kind::Document => "OUI ou NON (ou NC, NM).",
        Kind::TriState => "OUI, EN COURS ou NON (ou NC, NM).",
    }
}
