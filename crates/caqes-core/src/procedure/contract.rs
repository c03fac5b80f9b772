//! The states of a contract, of its volets and the kinds of avenant.
//!
//! A contract is proposé, then signé or refusé; a volet is actif until an avenant
//! de résiliation ends it (on 31 December, `calendar`). The store enforces who may
//! move a contract from which state, inside the transaction that records it.

use crate::volets::Volet;

/// Where a contract stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractState {
    /// Proposed by the ARS, awaiting the établissement's answer.
    Propose,
    Signe,
    Refuse,
}

impl ContractState {
    pub fn code(self) -> &'static str {
        match self {
            ContractState::Propose => "propose",
            ContractState::Signe => "signe",
            ContractState::Refuse => "refuse",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContractState::Propose => "proposé",
            ContractState::Signe => "signé",
            ContractState::Refuse => "refusé",
        }
    }

    pub fn parse(code: &str) -> Option<ContractState> {
        [
            ContractState::Propose,
            ContractState::Signe,
            ContractState::Refuse,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Whether a volet is still part of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoletState {
    Actif,
    /// Terminated by an avenant de résiliation (effective on 31 December).
    Resilie,
}

impl VoletState {
    pub fn code(self) -> &'static str {
        match self {
            VoletState::Actif => "actif",
            VoletState::Resilie => "resilie",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VoletState::Actif => "actif",
            VoletState::Resilie => "résilié",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmendmentKind {
    Modification,
    /// Avenant de résiliation of one volet.
    Resiliation,
}

impl AmendmentKind {
    pub fn code(self) -> &'static str {
        match self {
            AmendmentKind::Modification => "modification",
            AmendmentKind::Resiliation => "resiliation",
        }
    }
}

/// The storage code of a volet (the same as its serde name).
pub fn volet_code(v: Volet) -> &'static str {
    match v {
        Volet::Obligatoire => "obligatoire",
        Volet::Transports => "transports",
        Volet::Pertinence => "pertinence",
        Volet::Qualite => "qualite",
    }
}

pub fn parse_volet(code: &str) -> Option<Volet> {
    Volet::ALL.into_iter().find(|v| volet_code(*v) == code)
}
