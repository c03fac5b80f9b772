//! The engagement grid: the référentiel (indicators, categories, parameters), the values
//! an indicator accepts, and the instruction's evaluation grid of all volets.

pub mod evaluation_grid;
pub mod referentiel;
pub mod regime;
pub mod value;
