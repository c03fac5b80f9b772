#![doc = include_str!("../README.md")]

pub mod category;
pub mod estimator;
pub mod evaluation;
pub mod finess;
pub mod grid;
pub mod money;
pub mod phev;
pub mod procedure;
pub mod rate;
pub mod regimes;
pub mod region;
pub mod role;
pub mod sanction;
pub mod volets;

// The paths every crate uses (`caqes_core::scoring`, `caqes_core::referentiel`…).
pub use evaluation::{multisite, scoring};
pub use grid::{evaluation_grid, referentiel, value};
pub use procedure::{calendar, contract, notification, refusal, workflow};

pub use category::Category;
pub use finess::Finess;
pub use money::{AmountError, Euros};
pub use rate::Rate;
pub use region::RegionCode;
