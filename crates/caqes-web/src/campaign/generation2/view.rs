//! What the second-generation pages show, built from the stored facts and the engine's
//! results (`caqes_core::regimes`, `calendar_2022`); no rule is computed here.

use caqes_core::procedure::calendar_2022::RefusalProcedure;
use caqes_core::referentiel::{Direction, Scope};
use caqes_core::regimes::contract::refusal_sanction;
use caqes_core::regimes::grid::{Measure, ObjectiveIndicator, ObjectiveKind};
use caqes_core::regimes::incitation::penalty_ceiling;
use caqes_core::regimes::outcome::{Line, LineStatus, Outcome};
use caqes_core::regimes::own_objective::with_own_objectives;
use caqes_core::regimes::surveillance::{
    OpinionBody, acts_above_target, eligible_from, minimum_target,
};
use caqes_core::regimes::{ObjectivesGrid, Regime};
use caqes_core::{Euros, Finess};
use caqes_store::CampaignId;
use caqes_store::generation2::levers::ObservationSubject;
use caqes_store::generation2::{
    ContractState2, Hearing, HearingSubject, UnitFile, targeting_label,
};
use rust_decimal::Decimal;

use crate::dossier::decision::{DeadlineView, appeal_deadlines};
use crate::notifications::receipt::ReceiptView;
use crate::request::error::AppResult;
use crate::ui::fr;
use caqes_core::calendar::{CalendarParameters, Contestation};
use caqes_store::Role;
use caqes_store::generation2::levers::lever_object_id;
use caqes_store::notify::receipt::{Receipt, ReceiptKind};

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
    /// The ARS fixed this establishment's own objective: the grid's, for comparison.
    pub grid_objective: Option<String>,
    /// What the own objective's field holds (empty: the grid's).
    pub own_value: String,
    /// What the own objective's value is: « % de réduction par an », « valeur à atteindre ».
    pub own_label: &'static str,
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
    pub levers: LeversView,
    /// A hearing on the second proposal of the contract (D162-15), when it may be or was
    /// asked for.
    pub hearing_contract: Option<HearingView>,
    /// A hearing on the evaluation report (D162-16 III), likewise.
    pub hearing_evaluation: Option<HearingView>,
    /// The receipt of the surveillance's decision letter, once decided.
    pub surveillance_receipt: Option<LetterReceiptView>,
    /// The receipt of the penalty's letter, once decided.
    pub penalty_receipt: Option<LetterReceiptView>,
    /// The ARS may fix the unit's own objectives (before the contract and the report).
    pub can_set_objective: bool,
    /// Today, for the date fields' default.
    pub today: String,
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
    // The objectives as the unit is evaluated on them: its own where the ARS fixed one.
    let evaluated = with_own_objectives(grid, &file.objectives);
    evaluated
        .indicators
        .iter()
        .filter(|ind| file.is_retained(&ind.code))
        .map(|ind| {
            let own = file.own_objective(&ind.code);
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
                grid_objective: own
                    .and_then(|_| grid.indicator(&ind.code))
                    .map(objective_text),
                own_value: own.map(|o| field_value(Some(o.value))).unwrap_or_default(),
                own_label: match ind.objectif.kind {
                    ObjectiveKind::Reduction => "% de réduction par an",
                    ObjectiveKind::Target => "valeur à atteindre",
                },
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
pub fn unit_base(campaign: &CampaignId, entity: Finess, unit: Finess) -> String {
    format!("/campagnes/{campaign}/dossiers/{entity}/objectifs/{unit}")
}

/// The invitation to present observations on one subject, and the observations.
pub struct ObservationsView {
    /// `surveillance` or `penalite` (the form's `objet`).
    pub code: &'static str,
    pub invited: String,
    pub until: String,
    pub body: Option<String>,
    pub received: Option<String>,
    /// The établissement may still write them.
    pub can_write: bool,
}

/// The mise sous surveillance of a unit.
pub struct SurveillanceView {
    /// The opinions of the AM body and of the CRSA a reduction must follow, one line
    /// each: « donné le 10 avril 2025 : favorable », « délai expiré le … », « non
    /// enregistré ».
    pub opinions: Vec<(&'static str, String)>,
    pub scope: String,
    pub saisine: String,
    pub previous: String,
    pub target: String,
    /// The lowest target allowed (70 % of N−1, L162-30-3).
    pub minimum: String,
    /// Two years after the saisine (L162-30-4).
    pub eligible_from: String,
    pub observed: Option<String>,
    pub above: Option<String>,
    pub abattement: Option<String>,
    pub minoration: Option<String>,
    pub motive: Option<String>,
    pub decided_on: Option<String>,
}

/// The 2026 penalty of a unit.
pub struct PenaltyView {
    pub ceiling_pct: String,
    pub ceiling_to_confirm: bool,
    pub ceiling_source: String,
    pub from: String,
    pub from_to_confirm: bool,
    pub from_source: String,
    /// The AM funding known on the « Données AM » page, as the form's default.
    pub funding_default: String,
    /// 2 % of it, for the campaign's year (none before the penalty applies).
    pub ceiling: Option<String>,
    pub missed: Option<usize>,
    pub decided: Option<String>,
    pub decided_funding: Option<String>,
    pub decided_motive: Option<String>,
    pub decided_on: Option<String>,
}

/// The levers after the intéressement (migration 0028) on the dossier page.
pub struct LeversView {
    /// A `caqes-2022` grid: the mise sous surveillance of L162-30-3/4 applies.
    pub surveillance_applies: bool,
    pub surveillance: Option<SurveillanceView>,
    pub can_set_surveillance: bool,
    pub can_decide_surveillance: bool,
    /// The ARS records the opinions while the surveillance is open.
    pub can_record_opinion: bool,
    pub surveillance_observations: Option<ObservationsView>,
    pub can_invite_surveillance: bool,
    /// A grid with a `[penalite]` section (the 2026 scheme).
    pub penalty: Option<PenaltyView>,
    pub penalty_observations: Option<ObservationsView>,
    pub can_invite_penalty: bool,
    pub can_decide_penalty: bool,
}

fn observations_view(
    file: &UnitFile,
    subject: ObservationSubject,
    is_etab: bool,
    today: jiff::civil::Date,
) -> Option<ObservationsView> {
    let o = file.observations_on(subject)?;
    Some(ObservationsView {
        code: subject.code(),
        invited: fr::date(o.invited_on),
        until: fr::date(o.until_on),
        body: o.body.clone(),
        received: o.received_on.map(fr::date),
        can_write: is_etab && o.received_on.is_none() && today <= o.until_on,
    })
}

fn percent(d: Decimal) -> String {
    format!("{}\u{202f}%", fr::number(d))
}

/// What the dossier page shows of the levers, from the stored facts and the rules of
/// `caqes_core::regimes::{surveillance, incitation}`.
#[expect(
    clippy::too_many_arguments,
    reason = "the page's facts about one unit, all needed"
)]
pub fn levers_view(
    grid: &ObjectivesGrid,
    year: i16,
    file: &UnitFile,
    missed: Option<usize>,
    am_revenue: Option<Euros>,
    is_ars: bool,
    is_etab: bool,
    today: jiff::civil::Date,
) -> LeversView {
    let surveillance_applies = grid.regime == Regime::Caqes2022;
    let surveillance = file.surveillance.as_ref().map(|s| {
        let d = s.decision.as_ref();
        SurveillanceView {
            opinions: OpinionBody::ALL
                .into_iter()
                .map(|body| {
                    let label = match body {
                        OpinionBody::AssuranceMaladie => {
                            "Avis de l'organisme local d'assurance maladie"
                        }
                        OpinionBody::Crsa => "Avis de la CRSA",
                    };
                    let text = match file.opinions.iter().find(|o| o.body == body) {
                        Some(o) if o.given => format!(
                            "donné le {}{}",
                            fr::date(o.on),
                            o.summary
                                .as_ref()
                                .map(|s| format!(" : {s}"))
                                .unwrap_or_default()
                        ),
                        Some(o) => format!("délai expiré sans avis le {}", fr::date(o.on)),
                        None => "non enregistré".to_owned(),
                    };
                    (label, text)
                })
                .collect(),
            scope: s.scope.clone(),
            saisine: fr::date(s.saisine_on),
            previous: fr::number(s.previous_count),
            target: fr::number(s.target_count),
            minimum: fr::number(minimum_target(s.previous_count)),
            eligible_from: eligible_from(s.saisine_on)
                .map(fr::date)
                .unwrap_or_default(),
            observed: d.map(|d| fr::number(d.observed)),
            above: d.map(|d| fr::number(acts_above_target(d.observed, s.target_count))),
            abattement: d.map(|d| percent(d.abattement_pct)),
            minoration: d.map(|d| percent(d.minoration_pct)),
            motive: d.and_then(|d| d.motive.clone()),
            decided_on: d.map(|d| fr::date(d.decided_on)),
        }
    });
    let open = file
        .surveillance
        .as_ref()
        .is_some_and(|s| s.decision.is_none());
    let received = |subject| {
        file.observations_on(subject)
            .is_some_and(|o| o.received_on.is_some())
    };
    let penalty = grid.penalty.as_ref().map(|p| {
        let funding = file.penalty.as_ref().map(|d| d.am_funding).or(am_revenue);
        PenaltyView {
            ceiling_pct: percent(p.plafond_pct.valeur),
            ceiling_to_confirm: p.plafond_pct.a_confirmer,
            ceiling_source: p.plafond_pct.source.clone(),
            from: fr::date(p.a_partir_de.valeur),
            from_to_confirm: p.a_partir_de.a_confirmer,
            from_source: p.a_partir_de.source.clone(),
            funding_default: am_revenue.map(|a| a.0.to_string()).unwrap_or_default(),
            ceiling: funding
                .and_then(|f| penalty_ceiling(p, year, f))
                .map(|c| fr::euros(c.0)),
            missed,
            decided: file.penalty.as_ref().map(|d| fr::euros(d.amount.0)),
            decided_funding: file.penalty.as_ref().map(|d| fr::euros(d.am_funding.0)),
            decided_motive: file.penalty.as_ref().and_then(|d| d.motive.clone()),
            decided_on: file.penalty.as_ref().map(|d| fr::date(d.decided_on)),
        }
    });
    let penalty_open = grid.penalty.is_some() && file.penalty.is_none();
    LeversView {
        surveillance_applies,
        surveillance,
        can_set_surveillance: is_ars
            && surveillance_applies
            && (file.surveillance.is_none() || open),
        can_decide_surveillance: is_ars && open,
        can_record_opinion: is_ars && open,
        surveillance_observations: observations_view(
            file,
            ObservationSubject::Surveillance,
            is_etab,
            today,
        ),
        can_invite_surveillance: is_ars && open && !received(ObservationSubject::Surveillance),
        penalty,
        penalty_observations: observations_view(file, ObservationSubject::Penalite, is_etab, today),
        can_invite_penalty: is_ars && penalty_open && !received(ObservationSubject::Penalite),
        can_decide_penalty: is_ars && penalty_open,
    }
}

/// The levers of a unit for the campaign's follow-up: « sous surveillance (cible 900) »,
/// « réduction décidée le … », « pénalité de 400 000,00 € », or « — ».
pub fn levers_summary(file: &UnitFile) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &file.surveillance {
        parts.push(match &s.decision {
            None => format!("sous surveillance (cible {})", fr::number(s.target_count)),
            Some(d) if d.reduces() => format!(
                "réduction décidée le {} (abattement {}, minoration {})",
                fr::date(d.decided_on),
                percent(d.abattement_pct),
                percent(d.minoration_pct)
            ),
            Some(d) => format!(
                "surveillance close le {} sans réduction",
                fr::date(d.decided_on)
            ),
        });
    }
    if let Some(p) = &file.penalty {
        parts.push(format!("pénalité de {}", fr::euros(p.amount.0)));
    }
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join(" ; ")
    }
}

/// The receipt of a lever's letter (the surveillance's decision, the 2026 penalty) and,
/// once received, the appeals that run from it (« à compter de la réception »).
pub struct LetterReceiptView {
    /// `surveillance` or `penalite` (the page's ids).
    pub kind: &'static str,
    pub receipt: ReceiptView,
    pub appeals: Vec<DeadlineView>,
}

/// [`LetterReceiptView`] of the lever `kind` of `unit`, for a user of `role`.
pub fn letter_receipt(
    role: Role,
    kind: ReceiptKind,
    receipt: Option<&Receipt>,
    (campaign, unit): (&CampaignId, Finess),
    back: &str,
) -> AppResult<LetterReceiptView> {
    let id = lever_object_id(campaign, unit);
    let appeals = match receipt {
        Some(r) => appeal_deadlines(&CalendarParameters::default(), r.on, Contestation::Sanction)?,
        None => Vec::new(),
    };
    Ok(LetterReceiptView {
        kind: if kind == ReceiptKind::PenaliteG2 {
            "penalite"
        } else {
            "surveillance"
        },
        receipt: ReceiptView::for_role(role, receipt, kind, &id, back),
        appeals,
    })
}

/// A hearing asked for (or that may be) on the contract or on the report.
pub struct HearingView {
    /// `contrat` or `evaluation` (the form's `objet`).
    pub subject: &'static str,
    /// What waits for the hearing: « la sanction du refus ne peut être prononcée qu'… ».
    pub moves: &'static str,
    pub requested: Option<String>,
    pub held: Option<String>,
    /// The last day to ask.
    pub window_end: String,
    pub can_request: bool,
    pub can_fix: bool,
}

/// The [`HearingView`] of `hearing` on `subject`, asked until `window_end` while `open`
/// (neither settled nor notified); `None` when there is nothing to show or do.
pub fn hearing_view(
    subject: HearingSubject,
    hearing: Hearing,
    window_end: Option<jiff::civil::Date>,
    open: bool,
    (is_ars, is_etab): (bool, bool),
    today: jiff::civil::Date,
) -> Option<HearingView> {
    let can_request = is_etab
        && open
        && hearing.requested_on.is_none()
        && window_end.is_some_and(|end| today <= end);
    let can_fix = is_ars && open && hearing.requested_on.is_some();
    (hearing.requested_on.is_some() || can_request || can_fix).then(|| HearingView {
        subject: subject.code(),
        moves: match subject {
            HearingSubject::Contrat => "la sanction du refus ne peut être prononcée qu'",
            HearingSubject::Evaluation => "l'intéressement ne peut être notifié qu'",
        },
        requested: hearing.requested_on.map(fr::date),
        held: hearing.held_on.map(fr::date),
        window_end: window_end.map(fr::date).unwrap_or_default(),
        can_request,
        can_fix,
    })
}
