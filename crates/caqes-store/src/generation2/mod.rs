//! The second-generation CAQES on the platform (issue 13): a campaign on an objectives
//! grid (`caqes-2022`, or `incitation-2026`). Per contracting unit (legal or geographic
//! FINESS, the region's choice per campaign): the ARS's targeting per indicator with its
//! motives, the contract and its refusal procedure, the values of N and N−1, the DG
//! ARS's motivated downward revisions, the yearly evaluation sequence and the
//! intéressement decided and notified.
//!
//! Only facts are stored (migration 0021); every figure is recomputed by
//! `caqes_core::regimes` — the evaluation by [`evaluate`], which reads the stored
//! values through `outcome::contract_inputs` and `outcome::evaluate_establishment`,
//! the very functions of `caqes evaluate`.

mod checks;
pub mod levers;
pub mod read;
mod unit_write;
pub mod write;

use caqes_core::calendar::HearingRequest;
use caqes_core::procedure::calendar_2022::{
    Calendar2022Error, EvaluationSequence, RefusalProcedure, evaluation_sequence, refusal_procedure,
};
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::regimes::incitation::Observations;
use caqes_core::regimes::outcome::{
    Outcome, OutcomeError, Revision, YearValues, contract_inputs, evaluate_establishment,
};
use caqes_core::regimes::own_objective::{OwnObjective, with_own_objectives};
use caqes_core::regimes::surveillance::{OpinionBody, OpinionStep, ReductionDecision};
use caqes_core::regimes::targeting::Targeting;
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::notify::receipt::Receipt;
use crate::{Campaign, LegalEntity};

/// A contracting unit of an entity's dossier in a campaign on an objectives grid: what
/// every write on a unit acts on (the store checks that the unit is the entity's).
#[derive(Clone, Copy, Debug)]
pub struct UnitRef<'a> {
    pub campaign: &'a Campaign,
    pub grid: &'a ObjectivesGrid,
    pub entity: &'a LegalEntity,
    pub unit: Finess,
}

/// What the region signs with: the legal FINESS or each geographic FINESS (Q6 of the
/// spec: the region's choice, per campaign).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    Juridique,
    Geographique,
}

impl UnitKind {
    pub fn code(self) -> &'static str {
        match self {
            UnitKind::Juridique => "juridique",
            UnitKind::Geographique => "geographique",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UnitKind::Juridique => "par FINESS juridique",
            UnitKind::Geographique => "par FINESS géographique",
        }
    }

    pub fn parse(code: &str) -> Option<UnitKind> {
        match code {
            "juridique" => Some(UnitKind::Juridique),
            "geographique" => Some(UnitKind::Geographique),
            _ => None,
        }
    }
}

/// The ARS's targeting of one indicator for a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetingRow {
    pub indicator: String,
    /// One per `seuils_ciblage` of the indicator, in order.
    pub measures: Vec<Option<Decimal>>,
    pub computed: Targeting,
    pub retained: bool,
    pub motive: Option<String>,
    pub decided_at: String,
}

pub fn targeting_code(t: Targeting) -> &'static str {
    match t {
        Targeting::Targeted => "cible",
        Targeting::NotTargeted => "non_cible",
        Targeting::Undetermined => "indetermine",
    }
}

pub fn targeting_label(t: Targeting) -> &'static str {
    match t {
        Targeting::Targeted => "ciblé",
        Targeting::NotTargeted => "non ciblé",
        Targeting::Undetermined => "indéterminé",
    }
}

fn parse_targeting(code: &str) -> Option<Targeting> {
    match code {
        "cible" => Some(Targeting::Targeted),
        "non_cible" => Some(Targeting::NotTargeted),
        "indetermine" => Some(Targeting::Undetermined),
        _ => None,
    }
}

/// Where the contract of a unit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractState2 {
    Propose,
    Signe,
    Refuse,
}

impl ContractState2 {
    pub fn code(self) -> &'static str {
        match self {
            ContractState2::Propose => "propose",
            ContractState2::Signe => "signe",
            ContractState2::Refuse => "refuse",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContractState2::Propose => "proposé",
            ContractState2::Signe => "signé",
            ContractState2::Refuse => "refusé",
        }
    }

    fn parse(code: &str) -> Option<ContractState2> {
        match code {
            "propose" => Some(ContractState2::Propose),
            "signe" => Some(ContractState2::Signe),
            "refuse" => Some(ContractState2::Refuse),
            _ => None,
        }
    }
}

/// The contract of a unit and the facts of its refusal procedure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract2 {
    pub start: Date,
    pub end: Date,
    pub state: ContractState2,
    pub received_on: Date,
    pub second_received_on: Option<Date>,
    pub decided_on: Option<Date>,
    pub sanction: Option<Euros>,
    pub sanction_motive: Option<String>,
    pub sanction_decided_on: Option<Date>,
    /// A hearing asked for on the second proposal (D162-15).
    pub hearing: Hearing,
}

impl Contract2 {
    /// The refusal procedure's dates (D162-15), from the grid's `[contrat]`, with the
    /// hearing once its day is fixed.
    pub fn procedure(&self, grid: &ObjectivesGrid) -> Option<RefusalProcedure> {
        let params = grid.contract.as_ref()?;
        refusal_procedure(
            params,
            self.received_on,
            self.second_received_on,
            self.hearing.request(),
        )
        .ok()
    }
}

/// A hearing the establishment asked for: the day it asked, then the day the ARS fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hearing {
    pub requested_on: Option<Date>,
    pub held_on: Option<Date>,
}

impl Hearing {
    /// The calendar's view, once the day is fixed.
    pub fn request(&self) -> Option<HearingRequest> {
        Some(HearingRequest {
            demandee_le: self.requested_on?,
            audition_le: self.held_on?,
        })
    }

    /// Asked for, its day not fixed yet: what depends on it waits.
    pub fn awaiting_date(&self) -> bool {
        self.requested_on.is_some() && self.held_on.is_none()
    }
}

/// What a hearing is asked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HearingSubject {
    /// The second proposal of the contract (D162-15).
    Contrat,
    /// The evaluation report (D162-16 III).
    Evaluation,
}

impl HearingSubject {
    pub fn code(self) -> &'static str {
        match self {
            HearingSubject::Contrat => "contrat",
            HearingSubject::Evaluation => "evaluation",
        }
    }

    pub fn parse(code: &str) -> Option<HearingSubject> {
        match code {
            "contrat" => Some(HearingSubject::Contrat),
            "evaluation" => Some(HearingSubject::Evaluation),
            _ => None,
        }
    }
}

/// The yearly evaluation of a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation2 {
    pub report_received_on: Date,
    /// The intéressement retained by the DG ARS (the computed total, revisions included).
    pub decided_amount: Option<Euros>,
    pub decided_at: Option<String>,
    pub notification_received_on: Option<Date>,
    /// A hearing asked for on the report (D162-16 III).
    pub hearing: Hearing,
}

impl Evaluation2 {
    /// The sequence's dates (D162-16 III–IV) from `calendar_2022`, with the hearing
    /// once its day is fixed.
    pub fn sequence(&self) -> Result<EvaluationSequence, Calendar2022Error> {
        evaluation_sequence(
            self.report_received_on,
            self.hearing.request(),
            self.notification_received_on,
        )
    }

    pub fn notified(&self) -> bool {
        self.notification_received_on.is_some()
    }
}

/// A mise sous surveillance: what the ARS set, then its decision (`levers`, migration
/// 0028).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Surveillance {
    /// The acts, services or prescriptions concerned (the arrêté's list).
    pub scope: String,
    pub saisine_on: Date,
    pub previous_count: Decimal,
    pub target_count: Decimal,
    pub decision: Option<ReductionDecision>,
    /// The receipt of the decision's letter: the appeal runs from it.
    pub receipt: Option<Receipt>,
}

/// What the observations are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObservationSubject {
    Surveillance,
    Penalite,
}

impl ObservationSubject {
    pub fn code(self) -> &'static str {
        match self {
            ObservationSubject::Surveillance => "surveillance",
            ObservationSubject::Penalite => "penalite",
        }
    }

    pub fn parse(code: &str) -> Option<ObservationSubject> {
        match code {
            "surveillance" => Some(ObservationSubject::Surveillance),
            "penalite" => Some(ObservationSubject::Penalite),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ObservationSubject::Surveillance => "la réduction de la mise sous surveillance",
            ObservationSubject::Penalite => "la pénalité",
        }
    }
}

/// The invitation to present observations, and the observations once written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservationsRecord {
    pub invited_on: Date,
    pub until_on: Date,
    pub body: Option<String>,
    pub received_on: Option<Date>,
}

impl ObservationsRecord {
    /// The engine's view of the right to answer.
    pub fn rule(&self) -> Observations {
        Observations {
            invitee_le: self.invited_on,
            date_limite: self.until_on,
            recues_le: self.received_on,
        }
    }
}

/// An opinion before a reduction (L162-30-4), as the ARS recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opinion {
    pub body: OpinionBody,
    /// `false`: the delay to give it passed without an answer.
    pub given: bool,
    /// The day it was given, or the day its delay passed.
    pub on: Date,
    /// What it says, in short.
    pub summary: Option<String>,
}

impl Opinion {
    /// The engine's view: the step is closed on `on`.
    pub fn step(&self) -> OpinionStep {
        OpinionStep {
            body: self.body,
            on: self.on,
        }
    }
}

/// The 2026 penalty decided for the campaign's year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Penalty {
    pub am_funding: Euros,
    pub amount: Euros,
    pub motive: Option<String>,
    pub decided_on: Date,
    /// The receipt of the penalty's letter: the appeal runs from it.
    pub receipt: Option<Receipt>,
}

/// Everything stored for one contracting unit of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFile {
    pub targeting: Vec<TargetingRow>,
    pub contract: Option<Contract2>,
    /// (indicator, year) → values.
    pub values: Vec<(String, i16, YearValues)>,
    /// indicator → the DG ARS's revision.
    pub revisions: Vec<(String, Revision)>,
    pub evaluation: Option<Evaluation2>,
    /// The mise sous surveillance (migration 0028).
    pub surveillance: Option<Surveillance>,
    /// The invitations to present observations, and the observations.
    pub observations: Vec<(ObservationSubject, ObservationsRecord)>,
    /// The 2026 penalty.
    pub penalty: Option<Penalty>,
    /// The ARS's own objectives of this unit, in place of the grid's (migration 0029).
    pub objectives: Vec<OwnObjective>,
    /// The opinions of the Assurance Maladie and of the CRSA before a reduction.
    pub opinions: Vec<Opinion>,
}

impl UnitFile {
    /// The indicators the ARS retained for this unit's contract.
    pub fn retained(&self) -> impl Iterator<Item = &str> {
        self.targeting
            .iter()
            .filter(|t| t.retained)
            .map(|t| t.indicator.as_str())
    }

    pub fn is_retained(&self, code: &str) -> bool {
        self.retained().any(|c| c == code)
    }

    pub fn value(&self, code: &str, year: i16) -> Option<YearValues> {
        self.values
            .iter()
            .find(|(c, y, _)| c == code && *y == year)
            .map(|(_, _, v)| *v)
    }

    pub fn signed(&self) -> bool {
        self.contract
            .as_ref()
            .is_some_and(|c| c.state == ContractState2::Signe)
    }

    /// Whether the unit's objectives apply: its contract is signed or, for a grid without
    /// contract (the 2026 scheme: « the ARS decides directly on objectives and indicators
    /// fixed by arrêté », spec §5.3), the ARS retained at least one indicator.
    pub fn engaged(&self, grid: &ObjectivesGrid) -> bool {
        self.signed() || (grid.contract.is_none() && self.retained().next().is_some())
    }

    /// The ARS's own objective of `code`, if it fixed one.
    pub fn own_objective(&self, code: &str) -> Option<&OwnObjective> {
        self.objectives.iter().find(|o| o.indicator == code)
    }

    /// The invitation to present observations on `subject`, if any.
    pub fn observations_on(&self, subject: ObservationSubject) -> Option<&ObservationsRecord> {
        self.observations
            .iter()
            .find(|(s, _)| *s == subject)
            .map(|(_, o)| o)
    }
}

/// The unit's evaluation for the campaign's year: the lines of its retained
/// indicators with a value of N or N−1, through the engine `caqes evaluate` uses, on
/// the grid as the unit's own objectives amend it (`own_objective::with_own_objectives`).
pub fn evaluate(
    grid: &ObjectivesGrid,
    year: i16,
    file: &UnitFile,
) -> Result<Outcome, OutcomeError> {
    let grid = with_own_objectives(grid, &file.objectives);
    let grid = grid.as_ref();
    let inputs = contract_inputs(
        grid,
        year,
        |code, y| {
            if file.is_retained(code) {
                file.value(code, y)
            } else {
                // Outside the contract: no line, whatever was typed before the targeting changed.
                None
            }
        },
        |code| {
            file.revisions
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, r)| r.clone())
        },
    );
    evaluate_establishment(grid, &inputs)
}

/// A unit: its FINESS and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub finess: Finess,
    pub name: String,
}
