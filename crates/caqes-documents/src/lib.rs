#![doc = include_str!("../README.md")]

pub mod charts;
mod common;
pub mod drawing;
mod error;
mod evaluation_report;
mod explained;
mod fiche;
mod fonts;
pub mod format;
mod iraps;
mod layout;
mod notification;
mod pdf;
mod receipt;
mod self_evaluation;

pub use common::{
    ActionPlanItem, Addressee, AmOpinion, AppealDeadline, AppealRoute, Appeals, Authority, Context,
    Establishment, LetterFrame, Signatory,
};
pub use error::DocumentError;
pub use evaluation_report::{
    EvaluationReport, IndicatorExplanation, IndicatorOutcome, JointYearlyReport, PartExplanation,
    ReportDecision, SocleScore, VoletReport,
};
pub use explained::{explained_parts, socle_score};
pub use fiche::{
    Bound, CalendarStep, FicheRecapitulative, Referent, RegionalTarget, TransmittedData, When,
};
pub use iraps::{
    CategoryScores, IrapsSynthesis, MissedIndicator, TargetedEstablishment, VoletTotals,
};
pub use notification::{
    Correction, Hearing, ObjectiveResult, RefusalSanctionNotification, SocleSanctionNotification,
    VoletConsequence, VoletDecisionNotification,
};
pub use receipt::{SubmissionReceipt, SubmittedDocument, SubmittedValue};
pub use self_evaluation::{SelfEvaluationPart, SelfEvaluationReport, SelfEvaluationValue};
