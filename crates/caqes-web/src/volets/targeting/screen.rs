//! The targeting screen of an additional volet, the same for the three of them: everyone
//! of the region reads the engine's verdict per entity, the ARS confirms the list (keeping
//! or excluding each entity, an exclusion with its motive, and whatever the volet asks on
//! top: quality asks whether to keep the medication risk when D3.1 is missing), and an
//! établissement sees only its own line once the list is confirmed. Each volet says what
//! it lists, how its page looks and what the store records ([`TargetingScreen`]); the two
//! handlers [`show`] and [`confirm`] are written once and declared per volet in the route
//! table, as the import screens are ([`crate::volets::targeting::RegionImport`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_core::Finess;
use caqes_store::CampaignId;
use caqes_store::targeting::{ConfirmedTargeting, EngineVerdict, TargetingStatus};
use caqes_store::{Campaign, Role, StoreError, User};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::state::AppState;
use crate::ui::page::Page;
use crate::volets::targeting::RegionImport;

/// What the ARS submitted for each listed entity: the volet's own choice and the
/// exclusion.
pub type Submitted<C> = BTreeMap<Finess, (C, Exclusion)>;

/// One volet's targeting screen, for the generic handlers.
pub trait TargetingScreen: Send + Sync + 'static {
    /// The screen's path after `/campagnes/{campaign}/ciblage` (empty for transports).
    const PATH: &'static str;
    /// What a listed entity has, in the message refusing an unlisted FINESS
    /// (« l'entité … n'a pas {DATA} pour {year} »).
    const DATA: &'static str;
    /// The engine's verdict on one entity.
    type Verdict: EngineVerdict + Send + Sync;
    /// The volet's own choice for one entity, as submitted (shown again with the errors);
    /// `()` for a volet that asks nothing besides the exclusions.
    type Choice: Default + Send + Sync;
    /// The volet's targeting page.
    type Page: Page + Send;

    fn verdicts<'a>(
        state: &'a AppState,
        campaign: &'a Campaign,
    ) -> impl Future<Output = Result<Vec<Self::Verdict>, StoreError>> + Send + 'a;
    /// Reads the volet's own choice for `verdict` among the form's fields, adding its
    /// errors in French (none by default).
    fn choose(
        _fields: &[(String, String)],
        _verdict: &Self::Verdict,
        _errors: &mut Vec<String>,
    ) -> Self::Choice {
        Self::Choice::default()
    }
    /// Records the confirmed list (one transaction with its audit line).
    fn record<'a>(
        state: &'a AppState,
        user: &'a User,
        campaign: &'a Campaign,
        choices: &'a Submitted<Self::Choice>,
        exclusions: &'a BTreeMap<Finess, String>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
    /// The page, with what was submitted and its errors.
    fn page<'a>(
        state: &'a AppState,
        s: &'a Session,
        campaign: &'a Campaign,
        submitted: Option<&'a Submitted<Self::Choice>>,
        errors: Vec<String>,
    ) -> impl Future<Output = AppResult<Self::Page>> + Send + 'a;
    /// What the page shares with the other targeting pages.
    fn head(page: &mut Self::Page) -> &mut TargetingHead;
}

/// What the three targeting pages share above their table (`targeting_head.html`).
pub struct TargetingHead {
    pub campaign_id: String,
    pub title: String,
    pub year: i16,
    pub confirmed: bool,
    /// The day of the confirmation (empty before).
    pub confirmed_at: String,
    pub can_confirm: bool,
    /// An établissement sees its own line only.
    pub own_only: bool,
    /// The link to the volet's import (path, label), for the roles that import its data.
    pub import: Option<(String, &'static str)>,
    pub errors: Vec<String>,
    /// Just confirmed (the redirect after a confirmation).
    pub done: bool,
}

#[derive(Deserialize)]
pub struct DoneFlag {
    pub confirme: Option<u8>,
}

/// `GET /campagnes/{campaign}/ciblage{PATH}`
pub async fn show<T: TargetingScreen>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Query(q): Query<DoneFlag>,
) -> AppResult<T::Page> {
    let campaign = readable_campaign(&state, &s.user, &campaign_id).await?;
    let mut page = T::page(&state, &s, &campaign, None, Vec::new()).await?;
    T::head(&mut page).done = q.confirme.is_some();
    Ok(page)
}

/// `POST /campagnes/{campaign}/ciblage{PATH}/confirmer` (ARS): fields `exclure`
/// (repeated, a FINESS), `motif_{FINESS}` and the volet's own fields.
pub async fn confirm<T: TargetingScreen>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let campaign = campaign_for(&state, &s.user, &campaign_id, Role::Ars).await?;
    let mut form = ExclusionForm::parse(&fields);
    let verdicts = T::verdicts(&state, &campaign).await?;
    let mut errors = Vec::new();
    let mut submitted = Submitted::new();
    for v in &verdicts {
        let entity = v.entity();
        let choice = T::choose(&fields, v, &mut errors);
        let exclusion = form.entity(entity.finess, &entity.name, &mut errors);
        submitted.insert(entity.finess, (choice, exclusion));
    }
    form.check_listed(
        |f| verdicts.iter().any(|v| v.entity().finess.as_str() == f),
        T::DATA,
        campaign.year,
        &mut errors,
    );
    if errors.is_empty() {
        let stored = T::record(&state, &s.user, &campaign, &submitted, &form.exclusions).await;
        let screen = format!("/campagnes/{}/ciblage{}", campaign.id, T::PATH);
        if let Some(done) = after_confirmation(stored, &screen, &mut errors)? {
            return Ok(done);
        }
    }
    T::page(&state, &s, &campaign, Some(&submitted), errors)
        .await
        .map(Page::invalid)
}

/// The campaign, if the user may read its region (ARS, AM, OMEDIT of the region)
/// or is an établissement of the region; 404 otherwise.
pub(crate) async fn readable_campaign(
    state: &AppState,
    user: &User,
    id: &CampaignId,
) -> AppResult<Campaign> {
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    let in_region = match user.role {
        Role::Etablissement => user.region == Some(campaign.region),
        _ => user.can_read_region(&campaign.region),
    };
    if !in_region {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    Ok(campaign)
}

/// The campaign for a regional user of exactly `role`; 404 for anyone else.
pub(crate) async fn campaign_for(
    state: &AppState,
    user: &User,
    id: &CampaignId,
    role: Role,
) -> AppResult<Campaign> {
    let campaign = readable_campaign(state, user, id).await?;
    if user.role != role {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}

/// The values of the fields named `{prefix}{FINESS}`, by FINESS, trimmed.
fn by_finess<'f>(fields: &'f [(String, String)], prefix: &str) -> HashMap<&'f str, &'f str> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|f| (f, v.trim())))
        .collect()
}

/// The ARS's confirmation of a targeted list: fields `exclure` (repeated, a
/// FINESS) and `motif_{FINESS}`; excluding an entity needs a motivation.
pub(crate) struct ExclusionForm<'f> {
    excluded: HashSet<&'f str>,
    motives: HashMap<&'f str, &'f str>,
    /// The motivated exclusions, for the store.
    pub exclusions: BTreeMap<Finess, String>,
}

impl<'f> ExclusionForm<'f> {
    pub(crate) fn parse(fields: &'f [(String, String)]) -> ExclusionForm<'f> {
        ExclusionForm {
            excluded: fields
                .iter()
                .filter(|(k, _)| k == "exclure")
                .map(|(_, v)| v.as_str())
                .collect(),
            motives: by_finess(fields, "motif_"),
            exclusions: BTreeMap::new(),
        }
    }

    /// What was submitted for one entity of the list: (excluded, motivation);
    /// an exclusion without motivation adds its error.
    pub(crate) fn entity(
        &mut self,
        finess: Finess,
        name: &str,
        errors: &mut Vec<String>,
    ) -> (bool, String) {
        let f = finess.to_string();
        let motive = self.motives.get(f.as_str()).copied().unwrap_or("");
        let excluded = self.excluded.contains(f.as_str());
        if excluded {
            if motive.is_empty() {
                errors.push(format!(
                    "Motivation de l'exclusion de {name} ({f}) : obligatoire pour exclure un établissement ciblé."
                ));
            } else {
                self.exclusions.insert(finess, motive.to_owned());
            }
        }
        (excluded, motive.to_owned())
    }

    /// Refuses an excluded FINESS that is not in the list (a forged form):
    /// « l'entité … n'a pas {data} pour {year} ».
    pub(crate) fn check_listed(
        &self,
        listed: impl Fn(&str) -> bool,
        data: &str,
        year: i16,
        errors: &mut Vec<String>,
    ) {
        for f in &self.excluded {
            if !listed(f) {
                errors.push(format!(
                    "Exclure : l'entité « {f} » n'a pas {data} pour {year}."
                ));
            }
        }
    }
}

/// After the store confirmed a list: the redirect to the screen, or the
/// store's refusal added to `errors` (`None`: show the form again).
pub(crate) fn after_confirmation<T>(
    stored: Result<T, StoreError>,
    screen: &str,
    errors: &mut Vec<String>,
) -> AppResult<Option<Response>> {
    match stored {
        Ok(_) => Ok(Some(
            Redirect::to(&format!("{screen}?confirme=1")).into_response(),
        )),
        Err(StoreError::Conflict(c)) => {
            errors.push(c.to_string());
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the ARS just submitted for one entity: (excluded, motivation).
pub type Exclusion = (bool, String);

/// A volet's confirmed list as one user's screen shows it. An établissement
/// sees its own line only, and only once the ARS has confirmed the list, not a
/// verdict still under review.
pub(crate) struct ConfirmedList {
    by_entity: HashMap<Finess, ConfirmedTargeting>,
    /// The day of the confirmation (empty before).
    pub confirmed_at: String,
    pub own_only: bool,
    own_entity: Option<Finess>,
}

impl ConfirmedList {
    pub(crate) async fn load(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        volet: &str,
    ) -> AppResult<ConfirmedList> {
        let confirmed = state.store.confirmed_targeting(&campaign.id, volet).await?;
        Ok(ConfirmedList {
            confirmed_at: confirmed
                .first()
                .map(|c| crate::ui::fr::instant_date(&c.confirmed_at))
                .unwrap_or_default(),
            by_entity: confirmed.into_iter().map(|c| (c.entity, c)).collect(),
            own_only: user.role == Role::Etablissement,
            own_entity: user.entity,
        })
    }

    pub(crate) fn confirmed(&self) -> bool {
        !self.by_entity.is_empty()
    }

    /// The head of the page showing this list to `s`'s user, with the form's errors.
    /// The link goes to the import `I` of the volet's data, for the roles that import it.
    pub(crate) fn head<I: RegionImport>(
        self,
        s: &Session,
        campaign: &Campaign,
        errors: Vec<String>,
    ) -> TargetingHead {
        TargetingHead {
            campaign_id: campaign.id.to_string(),
            title: campaign.title.clone(),
            year: campaign.year,
            confirmed: self.confirmed(),
            confirmed_at: self.confirmed_at,
            can_confirm: s.user.role == Role::Ars,
            own_only: self.own_only,
            import: I::IMPORTERS.contains(&s.user.role).then(|| {
                (
                    format!("/campagnes/{}{}/import", campaign.id, I::SCREEN),
                    I::HEADING,
                )
            }),
            errors,
            done: false,
        }
    }

    /// The line of each verdict the user sees, with what the ARS just submitted
    /// for it (the form shown again) and the volet's own cells, `cells(verdict,
    /// confirmed line, choice submitted)`.
    pub(crate) fn lines<V: EngineVerdict, C, D>(
        &self,
        verdicts: &[V],
        submitted: Option<&Submitted<C>>,
        mut cells: impl FnMut(&V, Option<&ConfirmedTargeting>, Option<&C>) -> D,
    ) -> Vec<Line<D>> {
        let mut lines = Vec::new();
        for v in verdicts {
            let entity = v.entity();
            let Some(stored) = self.visible(entity.finess) else {
                continue;
            };
            let submitted = submitted.and_then(|m| m.get(&entity.finess));
            let (status, excluded, motivation) = line_status(submitted.map(|(_, e)| e), stored);
            lines.push(Line {
                finess: entity.finess.to_string(),
                name: entity.name.clone(),
                engine_targeted: v.engine_targeted(),
                reason: self.reason(stored, v.reason()),
                status,
                excluded,
                motivation,
                cells: cells(v, stored, submitted.map(|(c, _)| c)),
            });
        }
        lines
    }

    /// `None` when the user does not see the line of `finess`; else its
    /// confirmed targeting, if any.
    fn visible(&self, finess: Finess) -> Option<Option<&ConfirmedTargeting>> {
        let stored = self.by_entity.get(&finess);
        if self.own_only && (self.own_entity != Some(finess) || stored.is_none()) {
            return None;
        }
        Some(stored)
    }

    /// The engine's reason, or for the établissement the one recorded when the
    /// ARS confirmed.
    fn reason(&self, stored: Option<&ConfirmedTargeting>, engine: &str) -> String {
        match (self.own_only, stored) {
            (true, Some(c)) => c.engine_reason.clone(),
            _ => engine.to_owned(),
        }
    }
}

/// One entity's line of a targeting table: what every volet shows, and the volet's
/// own `cells`.
pub struct Line<D> {
    pub finess: String,
    pub name: String,
    pub engine_targeted: bool,
    pub reason: String,
    /// The confirmed status, or « à confirmer ».
    pub status: String,
    pub excluded: bool,
    pub motivation: String,
    pub cells: D,
}

/// A line's (status, excluded, motivation): what the ARS just submitted (the
/// form shown again), else the confirmed status, else « à confirmer ».
fn line_status(
    submitted: Option<&Exclusion>,
    stored: Option<&ConfirmedTargeting>,
) -> (String, bool, String) {
    match (submitted, stored) {
        (Some((excluded, motivation)), _) => {
            ("à confirmer".to_owned(), *excluded, motivation.clone())
        }
        (None, Some(c)) => (
            c.status.label().to_owned(),
            c.status == TargetingStatus::Exclu,
            c.motivation.clone().unwrap_or_default(),
        ),
        (None, None) => ("à confirmer".to_owned(), false, String::new()),
    }
}
