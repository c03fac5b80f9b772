//! The second generation's refusals (objectives grids), one enum per step of the
//! procedure grouped under [`Generation2Conflict`]; the engine's errors that several
//! steps share (the calendar, the evaluation of a unit) are its own variants.

use caqes_core::procedure::calendar_2022::Calendar2022Error;
use caqes_core::regimes::Regime;
use caqes_core::regimes::contract::ContractError;
use caqes_core::regimes::french_date;
use caqes_core::regimes::outcome::OutcomeError;
use caqes_core::regimes::own_objective::OwnObjectiveError;
use caqes_core::regimes::targeting::TargetingError;
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;

/// The second generation (objectives grids), by step: the unit and its targeting and own
/// objectives, the contract and its refusal, hearings, values, then the evaluation and
/// the intéressement.
#[derive(Debug, thiserror::Error)]
pub enum Generation2Conflict {
    #[error(transparent)]
    Unit(#[from] UnitConflict),
    #[error(transparent)]
    Contract(#[from] Contract2Conflict),
    #[error(transparent)]
    Hearing(#[from] HearingConflict),
    #[error(transparent)]
    Values(#[from] ValuesConflict),
    #[error(transparent)]
    Incentive(#[from] IncentiveConflict),
    /// The refusal procedure's and the yearly sequence's calendar.
    #[error(transparent)]
    Calendar(#[from] Calendar2022Error),
    /// The engine's evaluation of a unit's file.
    #[error(transparent)]
    Outcome(#[from] OutcomeError),
}

/// The unit of contract, the targeting of a unit and its own objectives, before the
/// contract.
#[derive(Debug, thiserror::Error)]
pub enum UnitConflict {
    #[error(
        "des contrats sont déjà proposés dans cette campagne : l'unité de contrat ne change plus"
    )]
    UnitFrozen,
    #[error("le contrat est déjà proposé : le ciblage de cette unité est figé")]
    TargetingFrozen,
    #[error("indicateur {indicator} inconnu")]
    UnknownIndicator { indicator: String },
    #[error("indicateur {indicator} neutralisé dans le référentiel : il ne peut pas être retenu")]
    Neutralised { indicator: String },
    #[error("indicateur {indicator} : non retenu au ciblage de cette unité")]
    NotTargeted { indicator: String },
    #[error("le contrat est déjà proposé : ses objectifs sont figés")]
    ObjectivesFrozenByContract,
    #[error("le rapport d'évaluation est enregistré : les objectifs sont figés")]
    ObjectivesFrozenByReport,
    #[error("indicateur {indicator} : l'objectif est déjà celui de la grille")]
    GridObjective { indicator: String },
    #[error(transparent)]
    Targeting(#[from] TargetingError),
    #[error(transparent)]
    OwnObjective(#[from] OwnObjectiveError),
}

/// The contract of a unit: its proposal, the second proposal, the answer, and the sanction
/// for refusing to sign.
#[derive(Debug, thiserror::Error)]
pub enum Contract2Conflict {
    #[error(
        "le régime {} n'a pas de contrat à signer (L162-30-2 abrogé au 1er janvier 2027)",
        .regime.code()
    )]
    NoContractInRegime { regime: Regime },
    #[error("pas de contrat dans ce régime")]
    NoContractTerms,
    #[error("aucun indicateur retenu pour cette unité : confirmer d'abord le ciblage")]
    NothingRetained,
    #[error("un contrat est déjà proposé pour cette unité")]
    ContractExists,
    #[error("aucun contrat proposé pour cette unité")]
    NoContract,
    #[error("le contrat est signé")]
    ContractSigned,
    /// `state`: the contract's state as the pages say it (« signé », « refusé »).
    #[error("le contrat est déjà {state}")]
    ContractAnswered { state: &'static str },
    #[error("la réponse précède la réception de la proposition")]
    AnswerBeforeReception,
    #[error("seconde proposition impossible : contrat signé ou seconde proposition déjà reçue")]
    SecondProposalImpossible,
    #[error(
        "le délai de signature de la seconde proposition a pris fin le {} : le contrat est réputé refusé",
        french_date(*.end)
    )]
    SecondProposalExpired { end: Date },
    #[error("la sanction du refus est déjà décidée")]
    RefusalSanctionDecided,
    #[error("le contrat est signé : pas de sanction")]
    SignedNoSanction,
    #[error(
        "une audition est demandée : sa date est à fixer, la sanction ne peut être prononcée qu'après (D162-15)"
    )]
    SanctionAwaitsHearing,
    #[error(
        "la seconde proposition n'est pas reçue : la sanction ne peut pas encore être prononcée (D162-15)"
    )]
    SanctionBeforeSecondProposal,
    #[error("la sanction peut être prononcée à partir du {} seulement", french_date(*.from))]
    SanctionTooEarly { from: Date },
    #[error(
        "produits de l'assurance maladie du dernier exercice clos non saisis : la sanction ne peut pas être chiffrée"
    )]
    AmRevenueMissing,
    #[error(
        "montant {amount} hors de [0 ; {ceiling}] ({percent} % des produits de l'assurance maladie)"
    )]
    AmountOutsideBounds {
        amount: Euros,
        ceiling: Euros,
        percent: Decimal,
    },
    #[error("un montant inférieur au plafond doit être motivé")]
    UnmotivatedBelowCeiling,
    /// The contract's term or its refusal sanction's ceiling.
    #[error(transparent)]
    Terms(#[from] ContractError),
}

/// A hearing asked for on the second proposal of the contract or on the evaluation report.
#[derive(Debug, thiserror::Error)]
pub enum HearingConflict {
    #[error("une audition est déjà demandée sur le contrat")]
    ContractHearingRequested,
    #[error(
        "l'audition se demande sur la seconde proposition du contrat (D162-15) : elle n'est pas reçue"
    )]
    HearingBeforeSecondProposal,
    #[error("une audition est déjà demandée sur le rapport")]
    ReportHearingRequested,
    #[error("le délai pour demander une audition a pris fin le {}", french_date(*.end))]
    HearingWindowClosed { end: Date },
    #[error("aucune audition n'est demandée")]
    NoHearingRequested,
    #[error("l'audition ne peut précéder sa demande du {}", french_date(*.requested))]
    HearingBeforeRequest { requested: Date },
}

/// The values of N and N−1, typed or imported.
#[derive(Debug, thiserror::Error)]
pub enum ValuesConflict {
    #[error(
        "le contrat n'est pas signé (sans contrat : aucun objectif retenu) : pas de valeurs à saisir"
    )]
    NotSignedNoValues,
    #[error("l'intéressement est notifié : les valeurs sont figées")]
    ValuesFrozen,
    #[error("indicateur {indicator} : non retenu au contrat de cette unité")]
    NotInContract { indicator: String },
    #[error("indicateur {indicator} : année {year} hors de {} et {current}", .current - 1)]
    YearOutside {
        indicator: String,
        year: i16,
        current: i16,
    },
    /// A row of an import of values, with its file, line and column.
    #[error("{file}, ligne {line}, colonne « {} » : {problem}", .problem.column())]
    ValueImport {
        file: String,
        line: u64,
        problem: ValueRowProblem,
    },
    /// The engine refused a unit's values after an import.
    #[error("{file}, unité {unit} : {source}")]
    ImportOutcome {
        file: String,
        unit: Finess,
        #[source]
        source: OutcomeError,
    },
}

/// The yearly evaluation: the report, the revisions and the intéressement.
#[derive(Debug, thiserror::Error)]
pub enum IncentiveConflict {
    #[error("le rapport d'évaluation n'est pas reçu")]
    ReportNotReceived,
    #[error("la réception du rapport d'évaluation n'est pas enregistrée")]
    ReportReceiptMissing,
    #[error("le contrat n'est pas signé (sans contrat : aucun objectif retenu) : pas d'évaluation")]
    NotSignedNoEvaluation,
    #[error("l'intéressement est déjà décidé : la révision n'est plus possible")]
    RevisionAfterIncentive,
    #[error("indicateur {indicator} : pas de ligne évaluée à réviser")]
    NoLineToRevise { indicator: String },
    #[error("aucune évaluation enregistrée")]
    NoEvaluation,
    #[error("l'intéressement est déjà décidé")]
    IncentiveDecided,
    #[error("l'intéressement n'est pas encore décidé")]
    IncentiveUndecided,
    #[error("l'intéressement est déjà notifié")]
    IncentiveNotified,
    #[error(
        "une audition est demandée sur le rapport : sa date est à fixer, la notification attend l'audition (D162-16 III)"
    )]
    NotificationAwaitsHearing,
}

/// What is wrong with one row of an import of values: the column it points at is
/// [`ValueRowProblem::column`].
#[derive(Debug, thiserror::Error)]
pub enum ValueRowProblem {
    #[error("{unit} n'est pas une unité de contrat de la campagne")]
    NotAUnit { unit: Finess },
    #[error("{unit} : contrat non signé (sans contrat : aucun objectif retenu)")]
    NotSigned { unit: Finess },
    #[error("{unit} : l'intéressement est notifié, les valeurs sont figées")]
    Notified { unit: Finess },
    #[error("{indicator} non retenu au contrat de l'unité {unit}")]
    NotRetained { indicator: String, unit: Finess },
    #[error("{year} hors de {} et {current}", .current - 1)]
    YearOutside { year: i16, current: i16 },
}

impl ValueRowProblem {
    /// The column of the file the problem is in.
    pub fn column(&self) -> &'static str {
        match self {
            ValueRowProblem::NotAUnit { .. }
            | ValueRowProblem::NotSigned { .. }
            | ValueRowProblem::Notified { .. } => "finess",
            ValueRowProblem::NotRetained { .. } => "indicateur",
            ValueRowProblem::YearOutside { .. } => "annee",
        }
    }
}
