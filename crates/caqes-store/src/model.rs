//! The rows the store reads and writes, as checked types.

use caqes_core::{Category, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

pub use caqes_core::role::Role;
use caqes_core::workflow::SubmissionState;

/// A user account. `region` is set for every role but admin; `entity` only for établissement users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub region: Option<String>,
    pub entity: Option<Finess>,
    pub password_hash: String,
    /// A deactivated account cannot log in and has no session.
    pub active: bool,
    /// Set when an administrator resets the password: the user must choose a new one.
    pub must_change_password: bool,
}

impl User {
    /// Whether this user may read data of legal entity `entity` located in `region`.
    /// Never an administrator: the accounts' manager reads no health data.
    pub fn can_read_entity(&self, entity: &LegalEntity) -> bool {
        match self.role {
            Role::Etablissement => self.entity == Some(entity.finess),
            Role::Ars | Role::AssuranceMaladie | Role::Omedit => {
                self.region.as_deref() == Some(entity.region.as_str())
            }
            Role::Admin => false,
        }
    }

    /// Whether this user may read region `region` as a whole (never an
    /// administrator, see [`Role::Admin`]).
    pub fn can_read_region(&self, region: &str) -> bool {
        match self.role {
            Role::Etablissement => false,
            Role::Ars | Role::AssuranceMaladie | Role::Omedit => {
                self.region.as_deref() == Some(region)
            }
            Role::Admin => false,
        }
    }
}

/// Data for a new account.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Validated: an account cannot be created with an address that is not one.
    pub email: crate::accounts::email::Email,
    pub display_name: String,
    pub role: Role,
    pub region: Option<String>,
    pub entity: Option<Finess>,
    pub password_hash: String,
}

/// Who performs a write, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the system itself (demo seeding, command-line imports).
    pub user_id: Option<String>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_owned(),
        }
    }

    pub fn user(user: &User) -> Actor {
        Actor {
            user_id: Some(user.id.clone()),
            label: format!("{} ({})", user.display_name, user.email),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// A legal entity (FINESS juridique), which signs the contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegalEntity {
    pub finess: Finess,
    pub region: String,
    pub name: String,
    pub category: Category,
}

/// A geographic site (FINESS géographique) of a legal entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Site {
    pub finess: Finess,
    pub entity: Finess,
    pub name: String,
}

/// A legal entity with its sites, to register or import.
#[derive(Clone, Debug)]
pub struct NewEntity {
    pub entity: LegalEntity,
    pub sites: Vec<Site>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub region: String,
    /// The year whose values are evaluated.
    pub year: i16,
    pub referentiel_id: String,
    pub title: String,
    pub submission_deadline: Date,
    pub evaluation_deadline: Date,
}

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub region: String,
    pub year: i16,
    pub referentiel_id: String,
    pub title: String,
    pub submission_deadline: Date,
    pub evaluation_deadline: Date,
}

/// A raw value as entered for one site, one year and one indicator.
///
/// Kept as text so that what the user typed is stored exactly; the engine
/// parses it (`caqes_core::value::parse_entry`) before anything is computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredValue {
    pub site: Finess,
    pub year: i16,
    pub indicator: String,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub value: Option<String>,
    /// `NC` or `NM` when the établissement declares the indicator not concerned / not measurable.
    pub declared: Option<String>,
}

/// An établissement's self-evaluation for one campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub id: String,
    pub campaign: String,
    pub entity: Finess,
    pub state: SubmissionState,
    pub score: Option<Decimal>,
    pub bonus: Option<Decimal>,
    pub total: Option<Decimal>,
    pub last_comment: Option<String>,
    pub updated_at: String,
}

/// A submission with its entity, for the ARS's follow-up table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionRow {
    pub submission: Submission,
    pub entity: LegalEntity,
    /// How many values the entity's sites have entered for the campaign year.
    pub values_entered: i64,
}

/// A recorded state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub seq: i64,
    pub from: SubmissionState,
    pub to: SubmissionState,
    pub actor: String,
    pub at: String,
    pub comment: Option<String>,
}

/// The score stored by the evaluation (exact decimals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoreRecord {
    pub score: Decimal,
    pub bonus: Decimal,
    pub total: Decimal,
}

/// What an evaluation records: a score, or the finding that the establishment has
/// nothing concerned carrying points (W5: « non évaluable », no score, no sanction).
/// The evaluated dossier then keeps a null score, which is how every later step
/// (decision, documents) knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluated {
    Scored(ScoreRecord),
    NotEvaluable,
}

impl From<ScoreRecord> for Evaluated {
    fn from(record: ScoreRecord) -> Self {
        Evaluated::Scored(record)
    }
}

impl Evaluated {
    /// The score recorded, `None` for a non-évaluable establishment.
    pub fn record(self) -> Option<ScoreRecord> {
        match self {
            Evaluated::Scored(record) => Some(record),
            Evaluated::NotEvaluable => None,
        }
    }
}

/// One line of the append-only audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor: Option<String>,
    pub actor_label: String,
    pub region: Option<String>,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}
