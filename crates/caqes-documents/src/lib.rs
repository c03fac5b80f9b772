#![doc = include_str!("../README.md")]

pub mod charts;
mod common;
pub mod drawing;
mod error;
mod fonts;
pub mod format;
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
pub use notification::{
    Correction, Hearing, ObjectiveResult, RefusalSanctionNotification, SocleSanctionNotification,
    VoletConsequence, VoletDecisionNotification,
};
pub use receipt::{SubmissionReceipt, SubmittedDocument, SubmittedValue};
pub use self_evaluation::{SelfEvaluationPart, SelfEvaluationReport, SelfEvaluationValue};
