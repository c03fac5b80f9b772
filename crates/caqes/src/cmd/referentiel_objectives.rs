//! `caqes referentiel show|summary` for the objectives grids (regimes `caqes-2022` and
//! `incitation-2026`): indicators with their objective, share and sources, and every
//! parameter marked « À CONFIRMER ».

use caqes_core::referentiel::{Direction, Scope};
use caqes_core::regimes::grid::{ObjectiveIndicator, ObjectiveKind};
use caqes_core::regimes::outcome::fr_number;
use caqes_core::regimes::{ObjectivesGrid, Parameter};
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};

use crate::output::json_number;

fn scope(s: Scope) -> &'static str {
    match s {
        Scope::National => "national",
        Scope::Regional => "regional",
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::HigherIsBetter => "hausse",
        Direction::LowerIsBetter => "baisse",
    }
}

fn parameter(p: &Parameter<Decimal>) -> Json {
    json!({"valeur": json_number(p.valeur), "source": p.source, "a_confirmer": p.a_confirmer})
}

/// The objective in French: « −5 % par an », « ≤ 20 % », « ≥ 80 % ».
pub fn objective_text(i: &ObjectiveIndicator) -> String {
    let o = &i.objectif;
    let unit = match i.mesure {
        caqes_core::regimes::grid::Measure::Spending => "\u{a0}€",
        caqes_core::regimes::grid::Measure::Rate => "\u{a0}%",
        caqes_core::regimes::grid::Measure::Volume => "",
    };
    let text = match (o.kind, o.sens) {
        (ObjectiveKind::Reduction, _) => {
            format!("−{}\u{a0}% par an", fr_number(o.valeur, 2))
        }
        (ObjectiveKind::Target, Some(Direction::HigherIsBetter)) => {
            format!("≥ {}{unit}", fr_number(o.valeur, 2))
        }
        (ObjectiveKind::Target, _) => format!("≤ {}{unit}", fr_number(o.valeur, 2)),
    };
    if o.a_confirmer {
        format!("{text} (À CONFIRMER)")
    } else {
        text
    }
}

fn indicator_json(i: &ObjectiveIndicator) -> Json {
    let o = &i.objectif;
    json!({
        "code": i.code,
        "volet": i.volet,
        "portee": scope(i.portee),
        "libelle": i.libelle,
        "mesure": i.mesure.code(),
        "objectif": {
            "type": match o.kind { ObjectiveKind::Reduction => "reduction", ObjectiveKind::Target => "cible" },
            "valeur": json_number(o.valeur),
            "sens": o.sens.map(direction),
            "texte": objective_text(i),
            "source": o.source,
            "a_confirmer": o.a_confirmer,
        },
        "unite_economies": i.unite_economies,
        "part_interessement": i.part_interessement.as_ref().map(parameter),
        "plafond": i.plafond.as_ref().map(parameter),
        "numerateur": i.numerateur,
        "denominateur": i.denominateur,
        "source_donnees": i.source_donnees,
        "source": i.source,
        "ciblage": i.ciblage,
        "seuils_ciblage": i.seuils_ciblage.iter().map(|t| json!({
            "libelle": t.libelle,
            "valeur": t.valeur.map(json_number),
            "unite": t.unite,
            "source": t.source,
            "a_confirmer": t.a_confirmer || t.valeur.is_none(),
        })).collect::<Vec<_>>(),
        "actif": i.actif,
    })
}

/// `caqes referentiel summary … --format json` for an objectives grid.
pub fn summary_json(g: &ObjectivesGrid) -> Json {
    let to_confirm: Vec<Json> = g
        .to_confirm()
        .into_iter()
        .map(|t| json!({"parametre": t.name, "valeur": t.value, "source": t.source}))
        .collect();
    let count = |s: Scope| g.indicators.iter().filter(|i| i.portee == s).count();
    json!({
        "referentiel": g.id,
        "regime": g.regime.code(),
        "titre": g.title,
        "region": g.region,
        "exemple": g.example,
        "inclut": g.includes,
        "source": g.source,
        "nombre_indicateurs": g.indicators.len(),
        "indicateurs_nationaux": count(Scope::National),
        "indicateurs_regionaux": count(Scope::Regional),
        "volets": g.volets,
        "indicateurs": g.indicators.iter().map(indicator_json).collect::<Vec<_>>(),
        "parametres": {
            "contrat": g.contract,
            "interessement": g.incentive,
            "interessement_regional": g.regional,
            "penalite": g.penalty,
        },
        "a_confirmer": to_confirm,
    })
}

/// `caqes referentiel summary` (text) for an objectives grid.
pub fn summary_text(g: &ObjectivesGrid) -> String {
    let mut out = format!(
        "{} : régime {}, {} indicateurs{}\n\ncode\tvolet\tportée\tobjectif\tpart des économies\tactif\n",
        g.id,
        g.regime,
        g.indicators.len(),
        if g.example { " (EXEMPLE)" } else { "" }
    );
    for i in &g.indicators {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            i.code,
            i.volet,
            scope(i.portee),
            objective_text(i),
            i.part_interessement
                .as_ref()
                .map(|p| format!(
                    "{}\u{a0}%{}",
                    fr_number(p.valeur, 2),
                    if p.a_confirmer { " (À CONFIRMER)" } else { "" }
                ))
                .unwrap_or_else(|| "règle régionale".into()),
            if i.actif { "oui" } else { "non (neutralisé)" }
        ));
    }
    let tc = g.to_confirm();
    if !tc.is_empty() {
        out.push_str(&format!("\nÀ CONFIRMER ({} paramètres) :\n", tc.len()));
        for t in tc {
            out.push_str(&format!("  {} = {} — {}\n", t.name, t.value, t.source));
        }
    }
    out
}

/// `caqes referentiel show` (text) for an objectives grid.
pub fn show_text(g: &ObjectivesGrid) -> String {
    let mut out = format!(
        "{} — {}\nRégion : {} ; régime : {}{}\n",
        g.id,
        g.title,
        g.region,
        g.regime,
        if g.example {
            " ; EXEMPLE (grille non publiée)"
        } else {
            ""
        }
    );
    if let Some(s) = &g.source {
        out.push_str(&format!("Source : {s}\n"));
    }
    for v in &g.volets {
        out.push_str(&format!("\nVolet {} — {}\n", v.numero, v.titre));
        for i in g.indicators.iter().filter(|i| i.volet == v.numero) {
            out.push_str(&format!(
                "  {} ({}, {}) {}\n    objectif : {} — {}\n    source : {} ; données : {}\n",
                i.code,
                scope(i.portee),
                i.mesure.code(),
                i.libelle,
                objective_text(i),
                i.objectif.source,
                i.source,
                i.source_donnees
            ));
            if let Some(p) = &i.part_interessement {
                out.push_str(&format!(
                    "    part des économies : {}\u{a0}%{} — {}\n",
                    fr_number(p.valeur, 2),
                    if p.a_confirmer { " (À CONFIRMER)" } else { "" },
                    p.source
                ));
            }
            if !i.actif {
                out.push_str("    neutralisé (actif = false)\n");
            }
        }
    }
    out
}
