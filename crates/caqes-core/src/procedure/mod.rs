//! The procedure around the numbers: contract and workflow states, the calendar
//! (deadlines, appeals, days in Europe/Paris) and who is notified of what.

pub mod calendar;
pub mod calendar_2022;
pub mod contract;
pub mod notification;
pub mod refusal;
pub mod workflow;
