//! # caqes-core
//!
//! The domain and calculation engine of CAQES (Contrat d'amélioration de la qualité
//! et de l'efficience des soins): référentiels (engagement grids), applicability,
//! scoring, sanctions and incentives, targeting of the additional volets, and the
//! contract calendar.
//!
//! This crate is pure: no I/O, no async, no database. Readers of files live in
//! `caqes-data`, persistence in `caqes-store`.

pub mod calendar;
pub mod category;
pub mod evaluation_grid;
pub mod finess;
pub mod money;
pub mod multisite;
pub mod rate;
pub mod referentiel;
pub mod sanction;
pub mod scoring;
pub mod value;
pub mod volets;

pub use category::Category;
pub use finess::Finess;
pub use money::Euros;
pub use rate::Rate;
