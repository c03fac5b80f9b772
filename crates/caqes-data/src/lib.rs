//! # caqes-data
//!
//! Readers of the outside world's files and the indicators computed from them.

pub mod am_figures;
pub mod atomic;
pub mod evaluation_input;
pub mod fill_file;
pub mod finess;
pub mod objectives_input;
pub mod phmev;
pub mod region_csv;
