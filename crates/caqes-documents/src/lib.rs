#![doc = include_str!("../README.md")]

pub mod charts;
pub mod drawing;
mod error;
mod fonts;
pub mod format;
mod layout;
mod pdf;

pub use error::DocumentError;
mod common;
mod notification;

pub use common::{
    Addressee, AmOpinion, AppealDeadline, AppealRoute, Appeals, Authority, Context, Establishment,
    LetterFrame, Signatory,
};
pub use notification::{
    Correction, Hearing, ObjectiveResult, RefusalSanctionNotification, SocleSanctionNotification,
    VoletConsequence, VoletDecisionNotification,
};
