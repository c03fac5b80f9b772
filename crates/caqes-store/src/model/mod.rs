//! The rows the store reads and writes, as checked types.

pub mod ids;

use caqes_core::multisite::parse_unit_entry;
use caqes_core::referentiel::{Indicator, Referentiel};
use caqes_core::value::{Entry, Field, Value, ValueError};
use caqes_core::{Category, Finess, RegionCode};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

pub use caqes_core::role::Role;
use caqes_core::workflow::SubmissionState;

use crate::model::ids::{AuditLineId, CampaignId, SubmissionId, UserId};

/// A user account. `region` is set for every role but admin; `entity` only for établissement users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub region: Option<RegionCode>,
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
            Role::Ars | Role::AssuranceMaladie | Role::Omedit => self.region == Some(entity.region),
            Role::Admin => false,
        }
    }

    /// Whether this user may read region `region` as a whole (never an
    /// administrator, see [`Role::Admin`]).
    pub fn can_read_region(&self, region: &RegionCode) -> bool {
        match self.role {
            Role::Etablissement => false,
            Role::Ars | Role::AssuranceMaladie | Role::Omedit => {
                self.region.as_ref() == Some(region)
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
    pub region: Option<RegionCode>,
    pub entity: Option<Finess>,
    pub password_hash: String,
}

/// Who performs a write, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the system itself (demo seeding, command-line imports).
    pub user_id: Option<UserId>,
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
    pub code: RegionCode,
    pub name: String,
}

/// A legal entity (FINESS juridique), which signs the contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegalEntity {
    pub finess: Finess,
    pub region: RegionCode,
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
    pub id: CampaignId,
    pub region: RegionCode,
    /// The year whose values are evaluated.
    pub year: i16,
    pub referentiel_id: String,
    pub title: String,
    pub submission_deadline: Date,
    pub evaluation_deadline: Date,
}

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub region: RegionCode,
    pub year: i16,
    pub referentiel_id: String,
    pub title: String,
    pub submission_deadline: Date,
    pub evaluation_deadline: Date,
}

/// A value of one site, one year and one indicator (or one class of it, `III-03/EPO`).
///
/// Parsed once, at the edge that receives it (the form, the ARS's import, the AM's
/// upload, the demo), against the campaign's grid: [`StoredValue::typed`] is what the
/// engine reads (issue 9, « parsed once, stored typed »; migration 0027). The text as it
/// was typed is kept next to it for the form's redisplay and the audit's « avant »
/// values; the engine never reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredValue {
    pub site: Finess,
    pub year: i16,
    pub indicator: String,
    /// The numerator as typed.
    pub numerator: Option<String>,
    /// The denominator as typed.
    pub denominator: Option<String>,
    /// The value as typed (a number or a word), `None` for a declaration.
    pub value: Option<String>,
    /// `NC` or `NM` when the établissement declares the indicator not concerned / not measurable.
    pub declared: Option<String>,
    /// The value parsed.
    pub typed: Typed,
}

/// A stored value as parsed (`indicator_values.typed_*`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Typed {
    /// Nothing given: saving it deletes the value (the form's emptied fields).
    Nothing,
    /// The value as its campaign's grid reads it (an NC's motive is in `nc_declarations`).
    Entry(Entry),
    /// A row written as text before migration 0027 that its campaign's grid cannot read
    /// (why, in French): kept with its text, reported by the evaluation as a value that
    /// cannot be read, never dropped. Never written by the edges.
    Unreadable(String),
}

impl StoredValue {
    /// What was typed for `indicator` of `site` (`value` may be `NC` or `NM`; empty
    /// fields count as absent), not parsed yet: [`StoredValue::parsed`] parses it.
    pub fn typed_text(
        site: Finess,
        year: i16,
        indicator: &str,
        numerator: Option<&str>,
        denominator: Option<&str>,
        value: Option<&str>,
    ) -> StoredValue {
        let keep = |t: Option<&str>| {
            t.map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let value = keep(value);
        let declared = value
            .as_deref()
            .map(str::to_uppercase)
            .filter(|v| matches!(v.as_str(), "NC" | "NM"));
        StoredValue {
            site,
            year,
            indicator: indicator.to_owned(),
            numerator: keep(numerator),
            denominator: keep(denominator),
            value: if declared.is_some() { None } else { value },
            declared,
            typed: Typed::Nothing,
        }
    }

    /// Parses the text once against `indicator` (the grid line's indicator; `baseline`:
    /// the year is the état des lieux; `multi_site`: the entity has several sites), with
    /// the one parser of the engine and of `caqes evaluate`
    /// ([`caqes_core::multisite::parse_unit_entry`]). A value without any text stays
    /// [`Typed::Nothing`] (a deletion).
    pub fn parsed(
        mut self,
        indicator: &Indicator,
        baseline: bool,
        multi_site: bool,
    ) -> Result<StoredValue, ValueError> {
        self.typed = if self.is_empty() {
            Typed::Nothing
        } else {
            Typed::Entry(parse_unit_entry(
                indicator,
                baseline,
                multi_site,
                self.numerator.as_deref(),
                self.denominator.as_deref(),
                self.declared.as_deref().or(self.value.as_deref()),
            )?)
        };
        Ok(self)
    }

    /// [`StoredValue::parsed`] against the line of `referentiel` this value is for (the
    /// état des lieux from the value's year). An indicator the grid does not have is
    /// refused.
    pub fn parsed_in(
        self,
        referentiel: &Referentiel,
        multi_site: bool,
    ) -> Result<StoredValue, ValueError> {
        let Some(line) = referentiel
            .line_of(&self.indicator)
            .and_then(|n| referentiel.line_at(n))
        else {
            return Err(ValueError {
                field: Field::Value,
                message: format!("indicateur {} inconnu du référentiel", self.indicator),
            });
        };
        let baseline = self.year <= referentiel.baseline_year;
        self.parsed(line.indicator, baseline, multi_site)
    }

    /// A value computed rather than typed (the AM's figures, the demo): its text is the
    /// entry's canonical form (decimals with a point, words as the files write them).
    pub fn from_entry(site: Finess, year: i16, indicator: &str, entry: Entry) -> StoredValue {
        let text = |d: Decimal| Some(d.to_string());
        let (numerator, denominator, value, declared) = match entry {
            Entry::Declared(a) => (None, None, None, Some(a.code().to_owned())),
            Entry::Value(v) => match (v.word(), v) {
                (Some(w), _) => (None, None, Some(w.to_owned()), None),
                (None, Value::Proportion(r) | Value::Growth(r) | Value::Ratio(r)) => {
                    (text(r.numerator()), text(r.denominator()), None, None)
                }
                (None, Value::Numerator(n)) => (text(n), None, None, None),
                (None, Value::Percent(p) | Value::GrowthPercent(p) | Value::RatioValue(p)) => {
                    (None, None, text(p), None)
                }
                (None, Value::Yes | Value::No | Value::InProgress) => (None, None, None, None),
            },
        };
        StoredValue {
            site,
            year,
            indicator: indicator.to_owned(),
            numerator,
            denominator,
            value,
            declared,
            typed: Typed::Entry(entry),
        }
    }

    /// Whether nothing was typed (saving it deletes the value).
    pub fn is_empty(&self) -> bool {
        self.numerator.is_none()
            && self.denominator.is_none()
            && self.value.is_none()
            && self.declared.is_none()
    }

    /// The parsed entry, if any.
    pub fn entry(&self) -> Option<Entry> {
        match self.typed {
            Typed::Entry(e) => Some(e),
            Typed::Nothing | Typed::Unreadable(_) => None,
        }
    }
}

/// An établissement's self-evaluation for one campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub id: SubmissionId,
    pub campaign: CampaignId,
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
    pub id: AuditLineId,
    pub at: String,
    /// The user who acted; `None` for the system (imports, the mail worker).
    pub actor: Option<UserId>,
    pub actor_label: String,
    pub region: Option<RegionCode>,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}
