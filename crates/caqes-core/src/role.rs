//! The roles of the platform's users. Each role has one scope: an établissement sees its
//! legal entity, the ARS, the Assurance Maladie and the OMEDIT their region, the
//! administrator the accounts and référentiels.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A user's role; each role has one scope (see [`User`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    /// Belongs to one legal entity (FINESS juridique) and sees only it and its sites.
    Etablissement,
    /// Agence régionale de santé: the region.
    Ars,
    /// Assurance Maladie (regional level): the region.
    AssuranceMaladie,
    /// OMEDIT: reads the region, comments.
    Omedit,
    /// Users and référentiels only: no health data (dossiers, values,
    /// decisions, evidence, contracts) of any region — least privilege.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Etablissement,
        Role::Ars,
        Role::AssuranceMaladie,
        Role::Omedit,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Etablissement => "etablissement",
            Role::Ars => "ars",
            Role::AssuranceMaladie => "assurance_maladie",
            Role::Omedit => "omedit",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Etablissement => "Établissement",
            Role::Ars => "ARS",
            Role::AssuranceMaladie => "Assurance Maladie",
            Role::Omedit => "OMEDIT",
            Role::Admin => "Administrateur",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| format!("rôle inconnu « {s} »"))
    }
}
