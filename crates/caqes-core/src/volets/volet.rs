//! Which volet of the contract: a leaf module, so that the sanction rules can
//! name a volet without depending on the volets' parameters (which depend on
//! the sanction's).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A volet of the contract, in the order of the instruction's evaluation grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Volet {
    /// The contrat socle: « volet obligatoire relatif au bon usage des médicaments,
    /// des produits et des prestations ».
    Obligatoire,
    Transports,
    Pertinence,
    /// « Amélioration des pratiques en établissement de santé » (ex-CAPES).
    Qualite,
}

impl Volet {
    pub const ALL: [Volet; 4] = [
        Volet::Obligatoire,
        Volet::Transports,
        Volet::Pertinence,
        Volet::Qualite,
    ];

    /// The row label of the evaluation grid.
    pub fn label(self) -> &'static str {
        match self {
            Volet::Obligatoire => "Volet obligatoire",
            Volet::Transports => "Transports",
            Volet::Pertinence => "Pertinence",
            Volet::Qualite => "Qualité",
        }
    }

    /// Instruction IV.b.i: « l'intéressement ne concerne que certains volets
    /// additionnels du contrat (les volets transports et pertinence) ».
    pub fn allows_incentive(self) -> bool {
        matches!(self, Volet::Transports | Volet::Pertinence)
    }
}

impl fmt::Display for Volet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
