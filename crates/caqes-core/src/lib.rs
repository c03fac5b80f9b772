#![doc = include_str!("../README.md")]

pub mod calendar;
pub mod category;
pub mod contract;
pub mod evaluation_grid;
pub mod finess;
pub mod money;
pub mod multisite;
pub mod notification;
pub mod rate;
pub mod referentiel;
pub mod role;
pub mod sanction;
pub mod scoring;
pub mod value;
pub mod volets;
pub mod workflow;

pub use category::Category;
pub use finess::Finess;
pub use money::Euros;
pub use rate::Rate;
