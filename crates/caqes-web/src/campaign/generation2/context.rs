//! What every second-generation handler begins with: the campaign, the entity in
//! the user's scope and the campaign's objectives grid ([`Context2`]), the role an
//! action is reserved to, the unit acted on ([`UnitAction`]), and the form's fields
//! ([`Fields`]).

use std::collections::BTreeMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::Response;
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::value::parse_decimal;
use caqes_core::{Euros, Finess};
use caqes_store::CampaignId;
use caqes_store::generation2::UnitRef;
use caqes_store::{Campaign, LegalEntity, Role, User};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::auth::CurrentUser;
use crate::auth::role::require;
use crate::dossier::campaign_and_entity;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};

/// A campaign, an entity in the user's scope, and the campaign's objectives grid.
pub struct Context2 {
    pub campaign: Campaign,
    pub entity: LegalEntity,
    pub grid: ObjectivesGrid,
}

/// Loads a second-generation dossier: 404 outside the user's scope, 409 on a
/// first-generation campaign (its own pages apply).
pub(super) async fn load(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    finess: &Finess,
) -> AppResult<Context2> {
    let (campaign, entity) = campaign_and_entity(state, user, campaign_id, finess).await?;
    let grid = objectives(state, &campaign).await?;
    Ok(Context2 {
        campaign,
        entity,
        grid,
    })
}

pub(super) async fn objectives(state: &AppState, campaign: &Campaign) -> AppResult<ObjectivesGrid> {
    state
        .store
        .campaign_objectives(campaign)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "Cette campagne relève de la première génération du CAQES : ses objectifs ne se saisissent pas ici."
                    .into(),
            )
        })
}

/// The form of an action on a unit, read field by field; each reader says in French
/// what it expected (400).
pub struct Fields(BTreeMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, state).await?;
        Ok(Fields(pairs.into_iter().collect()))
    }
}

impl Fields {
    /// The field as typed, when present.
    pub(super) fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The field without its surrounding blanks; empty when absent.
    pub(super) fn trimmed(&self, name: &str) -> &str {
        self.raw(name).map(str::trim).unwrap_or_default()
    }

    /// The field without its surrounding blanks, when it says something.
    pub(super) fn filled(&self, name: &str) -> Option<String> {
        Some(self.trimmed(name).to_owned()).filter(|s| !s.is_empty())
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub(super) fn date(&self, name: &str, label: &str) -> AppResult<Date> {
        let text = self.trimmed(name);
        text.parse::<Date>().map_err(|_| {
            AppError::BadRequest(format!(
                "{label} : date attendue (jour, mois, année), reçu « {text} »."
            ))
        })
    }

    /// An amount in euros, through the one French amount reader: never negative, at
    /// most cents (« 1,234 € » may mean a thousand and is refused rather than guessed).
    pub(super) fn amount(&self, name: &str, label: &str) -> AppResult<Euros> {
        Euros::parse_fr(self.trimmed(name))
            .map_err(|e| AppError::BadRequest(format!("{label} : {e}.")))
    }

    /// A count or a rate typed in French (« 1 180 », « 12,5 »).
    pub(super) fn number(&self, name: &str, label: &str) -> AppResult<Decimal> {
        let text = self.trimmed(name);
        parse_decimal(&text.replace('%', "")).ok_or_else(|| {
            AppError::BadRequest(format!("{label} : nombre attendu, reçu « {text} »."))
        })
    }

    /// Every field, by name (the values' grid reads its own names).
    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

/// An action on a contracting unit (`…/dossiers/{entity}/objectifs/{unit}/…`): the
/// user, the dossier in the user's scope (404 otherwise) and the unit's FINESS. The
/// handler then checks the role the action is reserved to ([`UnitAction::require`]),
/// asks the store, and goes back to the unit's section ([`UnitAction::done`]).
pub struct UnitAction {
    pub user: User,
    pub c: Context2,
    pub unit: Finess,
}

impl FromRequestParts<AppState> for UnitAction {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let CurrentUser(s) = CurrentUser::from_request_parts(parts, state).await?;
        let Path((campaign_id, finess, unit)) =
            Path::<(CampaignId, Finess, Finess)>::from_request_parts(parts, state).await?;
        let c = load(state, &s.user, &campaign_id, &finess).await?;
        Ok(UnitAction {
            user: s.user,
            c,
            unit,
        })
    }
}

impl UnitAction {
    /// `what` is reserved to `role` (403 otherwise).
    pub(super) fn require(&self, role: Role, what: &str) -> AppResult<()> {
        require(&self.user, role, what)
    }

    /// The unit, as the store's writes take it.
    pub(super) fn at(&self) -> UnitRef<'_> {
        UnitRef {
            campaign: &self.c.campaign,
            grid: &self.c.grid,
            entity: &self.c.entity,
            unit: self.unit,
        }
    }

    /// Back to the unit's section of the dossier page, with `flash`.
    pub(super) fn done(&self, flash: Flash) -> Response {
        let back = format!(
            "/campagnes/{}/dossiers/{}#unite-{}",
            self.c.campaign.id, self.c.entity.finess, self.unit
        );
        flash::redirect(&back, flash)
    }
}

/// A contracting unit read in the user's scope (its letters): a [`UnitAction`] whose
/// unit is one of the entity's units (404 otherwise), checked before anything is read.
pub struct UnitInScope(pub UnitAction);

impl FromRequestParts<AppState> for UnitInScope {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let u = UnitAction::from_request_parts(parts, state).await?;
        if !state
            .store
            .g2_units(&u.c.campaign, &u.c.entity)
            .await?
            .iter()
            .any(|unit| unit.finess == u.unit)
        {
            return Err(AppError::NotFound);
        }
        Ok(UnitInScope(u))
    }
}
