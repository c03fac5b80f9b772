#![doc = include_str!("../README.md")]

mod common;
mod error;
mod letters;
pub mod render;
mod reports;

pub use render::{bar_chart, charts, dashboard, drawing, format, line_chart};

pub use common::{
    ActionPlanItem, Addressee, AmOpinion, AppealDeadline, AppealRoute, Appeals, Authority, Context,
    Establishment, LetterFrame, Signatory,
};
pub use error::DocumentError;
pub use letters::interessement::{IncentiveLine, IncentiveNotification};
pub use letters::lever::{LeverDecision, LeverNotification, ObservationsRecord};
pub use letters::notification::{
    Correction, Hearing, ObjectiveResult, RefusalSanctionNotification, SocleSanctionNotification,
    VoletConsequence, VoletDecisionNotification,
};
pub use letters::receipt::{SubmissionReceipt, SubmittedDocument, SubmittedValue};
pub use reports::evaluation_report::{
    EvaluationReport, IndicatorExplanation, IndicatorOutcome, JointYearlyReport, PartExplanation,
    ReportDecision, SocleScore, VoletReport,
};
pub use reports::explained::{explained_parts, redistribution_text, socle_score};
pub use reports::fiche::{
    Bound, CalendarStep, FicheRecapitulative, Referent, RegionalTarget, TransmittedData, When,
};
pub use reports::iraps::{
    CategoryScores, IrapsSynthesis, MissedIndicator, TargetedEstablishment, VoletTotals,
};
pub use reports::self_evaluation::{SelfEvaluationPart, SelfEvaluationReport, SelfEvaluationValue};
