//! What the second-generation pages show, built from the stored facts and the engine's
//! results (`caqes_core::regimes`, `calendar_2022`); no rule is computed here.

use caqes_core::procedure::calendar_2022::RefusalProcedure;
use caqes_core::referentiel::{Direction, Scope};
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::regimes::contract::refusal_sanction;
use caqes_core::regimes::grid::{Measure, ObjectiveIndicator, ObjectiveKind};
use caqes_core::regimes::outcome::{Line, LineStatus, Outcome};
use caqes_core::{Euros, Finess};
use caqes_store::generation2::{ContractState2, UnitFile, targeting_label};
use rust_decimal::Decimal;

use crate::ui::fr;

/// A number the sources leave open, next to its source.
pub struct ConfirmView {
    pub name: String,
    pub value: String,
    pub source: String,
}

/// Every parameter of the grid marked `a_confirmer`, shown « À CONFIRMER ».
pub fn to_confirm(grid: &ObjectivesGrid) -> Vec<ConfirmView> {
    grid.to_confirm()
        .into_iter()
        .map(|t| ConfirmView {
            name: t.name,
            // A date parameter (`debut_defaut`) is read « 1 juillet 2022 », not ISO.
            value: fr::date_text(&t.value),
            source: t.source,
        })
        .collect()
}

pub struct ThresholdView {
    pub field: String,
    pub label: String,
    pub threshold: String,
    pub source: String,
    pub to_confirm: bool,
    pub measure: String,
}

pub struct TargetingView {
    pub code: String,
    pub label: String,
    pub scope: &'static str,
    pub active: bool,
    pub thresholds: Vec<ThresholdView>,
    pub computed: String,
    pub retained: bool,
    pub motive: String,
    pub decided: bool,
}

pub struct ValueField {
    pub name: String,
    pub label: &'static str,
    pub value: String,
}

pub struct ObjectiveView {
    pub code: String,
    pub label: String,
    pub measure: &'static str,
    pub objective: String,
    pub objective_source: String,
    pub objective_to_confirm: bool,
    pub share: String,
    pub share_source: String,
    pub share_to_confirm: bool,
    pub previous: Vec<ValueField>,
    pub current: Vec<ValueField>,
}

pub struct LineView {
    pub code: String,
    pub scope: &'static str,
    pub status: &'static str,
    pub previous: String,
    pub current: String,
    pub bound: String,
    pub met: &'static str,
    pub savings: String,
    pub share: String,
    pub computed: String,
    pub revised: String,
    pub retained: String,
    pub explanation: String,
}

pub struct OutcomeView {
    pub lines: Vec<LineView>,
    pub national: String,
    pub regional: String,
    pub total: String,
    pub regional_met: usize,
    pub regional_evaluated: usize,
    pub missed: usize,
}

pub struct ContractView {
    pub state: &'static str,
    pub term: String,
    pub received: String,
    pub first_deadline: String,
    pub second_received: Option<String>,
    pub second_deadline: Option<String>,
    pub sanction_from: Option<String>,
    pub decided_on: Option<String>,
    pub sanction: Option<String>,
    pub sanction_motive: Option<String>,
    pub ceiling: Option<String>,
}

pub struct SequenceView {
    pub report: String,
    pub observations_until: String,
    pub notification_from: String,
    pub notification_until: String,
    pub notification_received: Option<String>,
    pub late: bool,
    pub second_period_until: Option<String>,
    pub final_from: Option<String>,
}

/// One contracting unit on the dossier page.
pub struct UnitView {
    pub finess: String,
    pub name: String,
    pub base: String,
    pub targeting: Vec<TargetingView>,
    pub targeting_editable: bool,
    pub retained: usize,
    pub contract: Option<ContractView>,
    pub can_propose: bool,
    pub default_start: String,
    pub default_end: String,
    pub can_answer: bool,
    pub can_second: bool,
    pub can_sanction: bool,
    pub objectives: Vec<ObjectiveView>,
    pub can_enter: bool,
    pub outcome: Option<OutcomeView>,
    pub outcome_error: Option<String>,
    pub can_revise: bool,
    pub revisable: Vec<String>,
    pub sequence: Option<SequenceView>,
    pub sequence_error: Option<String>,
    pub can_record_report: bool,
    pub can_decide: bool,
    pub decided: Option<String>,
    pub can_notify: bool,
    pub letter: Option<String>,
}

fn opt_number(d: Option<Decimal>) -> String {
    d.map(fr::number).unwrap_or_default()
}

fn scope_label(s: Scope) -> &'static str {
    match s {
        Scope::National => "national",
        Scope::Regional => "régional",
    }
}

fn measure_label(m: Measure) -> &'static str {
    match m {
        Measure::Spending => "dépense (€)",
        Measure::Rate => "taux (%)",
        Measure::Volume => "volume",
    }
}

/// « −5 % par an », « ≤ 20 % ».
pub fn objective_text(ind: &ObjectiveIndicator) -> String {
    let o = &ind.objectif;
    match o.kind {
        ObjectiveKind::Reduction => format!("−{}\u{a0}% par an", fr::number(o.valeur)),
        ObjectiveKind::Target => {
            let sign = match o.sens {
                Some(Direction::HigherIsBetter) => "≥",
                _ => "≤",
            };
            let unit = if ind.mesure == Measure::Rate {
                "\u{a0}%"
            } else {
                ""
            };
            format!("{sign} {}{unit}", fr::number(o.valeur))
        }
    }
}

pub fn targeting_views(grid: &ObjectivesGrid, file: &UnitFile) -> Vec<TargetingView> {
    grid.indicators
        .iter()
        .map(|ind| {
            let stored = file.targeting.iter().find(|t| t.indicator == ind.code);
            TargetingView {
                code: ind.code.clone(),
                label: ind.libelle.clone(),
                scope: scope_label(ind.portee),
                active: ind.actif,
                thresholds: ind
                    .seuils_ciblage
                    .iter()
                    .enumerate()
                    .map(|(i, t)| ThresholdView {
                        field: format!("m:{}:{i}", ind.code),
                        label: t.libelle.clone(),
                        threshold: match t.valeur {
                            Some(v) => format!("{} {}", fr::number(v), t.unite),
                            None => "non renseigné".to_owned(),
                        },
                        source: t.source.clone(),
                        to_confirm: t.a_confirmer || t.valeur.is_none(),
                        measure: stored
                            .and_then(|s| s.measures.get(i).copied().flatten())
                            .map(|d| d.normalize().to_string().replace('.', ","))
                            .unwrap_or_default(),
                    })
                    .collect(),
                computed: stored
                    .map(|s| targeting_label(s.computed).to_owned())
                    .unwrap_or_else(|| "non examiné".to_owned()),
                retained: stored.is_some_and(|s| s.retained),
                motive: stored.and_then(|s| s.motive.clone()).unwrap_or_default(),
                decided: stored.is_some(),
            }
        })
        .collect()
}

fn field_value(d: Option<Decimal>) -> String {
    d.map(|d| d.normalize().to_string().replace('.', ","))
        .unwrap_or_default()
}

pub fn objective_views(grid: &ObjectivesGrid, year: i16, file: &UnitFile) -> Vec<ObjectiveView> {
    grid.indicators
        .iter()
        .filter(|ind| file.is_retained(&ind.code))
        .map(|ind| {
            let fields = |y: i16| {
                let v = file.value(&ind.code, y).unwrap_or_default();
                let mut out = vec![ValueField {
                    name: format!("v:{}:{y}:montant", ind.code),
                    label: "Montant (€)",
                    value: field_value(v.montant),
                }];
                if ind.mesure != Measure::Spending {
                    out.push(ValueField {
                        name: format!("v:{}:{y}:numerateur", ind.code),
                        label: "Numérateur",
                        value: field_value(v.numerateur),
                    });
                }
                if ind.mesure == Measure::Rate {
                    out.push(ValueField {
                        name: format!("v:{}:{y}:denominateur", ind.code),
                        label: "Dénominateur",
                        value: field_value(v.denominateur),
                    });
                }
                out
            };
            ObjectiveView {
                code: ind.code.clone(),
                label: ind.libelle.clone(),
                measure: measure_label(ind.mesure),
                objective: objective_text(ind),
                objective_source: ind.objectif.source.clone(),
                objective_to_confirm: ind.objectif.a_confirmer,
                share: ind
                    .part_interessement
                    .as_ref()
                    .map(|p| format!("{}\u{a0}% des économies", fr::number(p.valeur)))
                    .unwrap_or_else(|| "selon l'intéressement régional".to_owned()),
                share_source: ind
                    .part_interessement
                    .as_ref()
                    .map(|p| p.source.clone())
                    .unwrap_or_default(),
                share_to_confirm: ind
                    .part_interessement
                    .as_ref()
                    .is_some_and(|p| p.a_confirmer),
                previous: fields(year - 1),
                current: fields(year),
            }
        })
        .collect()
}

fn line_view(l: &Line) -> LineView {
    let euros = |e: Euros| fr::euros(e.0);
    LineView {
        code: l.code.clone(),
        scope: scope_label(l.portee),
        status: match l.statut {
            LineStatus::Evaluated => "évalué",
            LineStatus::NotEvaluable => "non évaluable",
            LineStatus::Neutralised => "neutralisé",
        },
        previous: opt_number(l.valeur_n_1),
        current: opt_number(l.valeur_n),
        bound: opt_number(l.seuil),
        met: match l.atteint {
            Some(true) => "oui",
            Some(false) => "non",
            None => "—",
        },
        savings: l
            .economies
            .map(euros)
            .unwrap_or_else(|| "non chiffrables".to_owned()),
        share: l
            .part_pct
            .map(|p| format!("{}\u{a0}%", fr::number(p)))
            .unwrap_or_default(),
        computed: euros(l.interessement_calcule),
        revised: l
            .revision
            .as_ref()
            .map(|r| format!("{} (motif : {})", euros(r.amount), r.motive))
            .unwrap_or_default(),
        retained: euros(l.interessement),
        explanation: l.explication.clone(),
    }
}

pub fn outcome_view(o: &Outcome) -> OutcomeView {
    OutcomeView {
        lines: o.lignes.iter().map(line_view).collect(),
        national: fr::euros(o.national.0),
        regional: fr::euros(o.regional.0),
        total: fr::euros(o.total.0),
        regional_met: o.objectifs_regionaux_atteints,
        regional_evaluated: o.objectifs_regionaux_evalues,
        missed: o.objectifs_manques,
    }
}

pub fn contract_view(
    grid: &ObjectivesGrid,
    file: &UnitFile,
    am_revenue: Option<Euros>,
) -> Option<ContractView> {
    let c = file.contract.as_ref()?;
    let procedure: Option<RefusalProcedure> = c.procedure(grid);
    let ceiling = grid
        .contract
        .as_ref()
        .zip(am_revenue)
        .and_then(|(p, income)| refusal_sanction(p, income).ok());
    Some(ContractView {
        state: c.state.label(),
        term: format!("du {} au {}", fr::date(c.start), fr::date(c.end)),
        received: fr::date(c.received_on),
        first_deadline: procedure
            .map(|p| fr::date(p.fin_premier_delai))
            .unwrap_or_default(),
        second_received: c.second_received_on.map(fr::date),
        second_deadline: procedure.and_then(|p| p.fin_second_delai).map(fr::date),
        sanction_from: procedure.and_then(|p| p.sanction_a_partir_du).map(fr::date),
        decided_on: c.decided_on.map(fr::date),
        sanction: c.sanction.map(|s| fr::euros(s.0)),
        sanction_motive: c.sanction_motive.clone(),
        ceiling: (c.state != ContractState2::Signe)
            .then_some(ceiling)
            .flatten()
            .map(|s| fr::euros(s.0)),
    })
}

/// The dossier's path of a unit.
pub fn unit_base(campaign: &str, entity: Finess, unit: Finess) -> String {
    format!("/campagnes/{campaign}/dossiers/{entity}/objectifs/{unit}")
}
