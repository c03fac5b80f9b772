//! The bridge between forms or stored text and the engine (`caqes-core`).
//!
//! The multi-site rule (the entity is the sum of its sites) lives in
//! `caqes_core::multisite`, so that the platform and `caqes evaluate` apply the same
//! one; this module only adapts the store's rows and holds display helpers.

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::multisite;
use caqes_core::referentiel::{Applicability, Indicator, Kind};
use caqes_core::value::Entry;
use caqes_store::StoredValue;

pub use caqes_core::multisite::parse_site_entry;

/// The entity's entries for the scoring, from the stored values of its sites;
/// problems are returned as French warnings.
pub fn entity_entries(
    referentiel: &caqes_core::referentiel::Referentiel,
    entity: Finess,
    site_count: usize,
    stored: &[StoredValue],
) -> (BTreeMap<String, Entry>, Vec<String>) {
    multisite::entity_entries(
        referentiel,
        entity,
        site_count,
        stored.iter().map(StoredValue::as_site_text),
    )
}

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
