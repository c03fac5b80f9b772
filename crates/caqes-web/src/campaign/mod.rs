//! The home page (campaigns of the user's region) and the ARS follow-up of a campaign.
//!
//! The screens of a second-generation campaign (objectives grids) are in `generation2`.

pub mod generation2;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Html;
use caqes_core::RegionCode;
use caqes_core::referentiel::{Applicability, Source};
use caqes_store::{CampaignId, CampaignRevisions};
use caqes_store::{Role, SubmissionState};

use crate::auth::CurrentUser;
use crate::dossier::{fr, points_grid, today};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::flash::{self, Flash};
use crate::ui::list::{self, Cell, Column, ListQuery, ListRow, Listing};
use crate::ui::page::{Page, impl_page};
use crate::ui::page_cache::{self, PageKey};

pub struct CampaignLine {
    pub title: String,
    pub year: i16,
    pub deadline: String,
    pub days_left: i64,
    /// The user's own dossier (établissement) or the follow-up page (regional roles).
    pub link: String,
    pub link_label: String,
    pub state: String,
}

pub struct SubmissionLine {
    /// Last change of the dossier (UTC, to the minute).
    pub updated: String,
    /// Days left to the submission deadline while the dossier is not submitted.
    pub submission_days: Option<i64>,
    /// Days left to the evaluation deadline while the dossier is not evaluated.
    pub evaluation_days: Option<i64>,
    pub entity_name: String,
    pub finess: String,
    pub category: String,
    pub state: &'static str,
    pub values_entered: i64,
    /// Values the établissement has to enter: its indicators (source ES)
    /// concerned for its category, once per site.
    pub values_expected: usize,
    /// The score evaluated by the ARS (stored at the evaluation).
    pub score: String,
    pub score_value: Option<rust_decimal::Decimal>,
    /// The score the engine gives now from what is entered (`Store::evaluate_entity`).
    pub provisional: String,
    pub provisional_value: Option<rust_decimal::Decimal>,
    /// Raw sort keys of the dates.
    pub updated_raw: String,
    pub link: String,
    /// The establishment's fiche récapitulative (PDF).
    pub fiche: String,
}

pub struct StateCount {
    pub code: &'static str,
    pub label: &'static str,
    pub count: usize,
}

pub struct CampaignView {
    pub id: String,
    pub title: String,
    pub year: i16,
    pub referentiel: String,
    pub deadline: String,
    pub days_left: i64,
    pub counts: Vec<StateCount>,
    pub submitted: usize,
    pub total: usize,
    pub evaluation_deadline: String,
    pub evaluation_days_left: i64,
    /// The state filter (`?etat=`), empty for all.
    pub filter: String,
    /// Every state, for the filter's list: (code, label).
    pub states: Vec<(&'static str, &'static str)>,
    /// For the ARS of the region: entities registered after the campaign was
    /// created, without a dossier in it (FINESS, name, category).
    pub without_dossier: Vec<(String, String, String)>,
    /// The ARS of the region acts on several dossiers at once (`dossier::bulk`).
    pub bulk: bool,
}

#[derive(serde::Deserialize)]
pub struct FollowUpQuery {
    #[serde(default)]
    etat: String,
    #[serde(flatten)]
    list: ListQuery,
}

/// The columns of the follow-up table (searched, sorted, exported).
const FOLLOW_UP_COLUMNS: [Column; 10] = [
    Column {
        key: "etablissement",
        label: "Établissement",
    },
    Column {
        key: "finess",
        label: "FINESS juridique",
    },
    Column {
        key: "categorie",
        label: "Catégorie",
    },
    Column {
        key: "valeurs",
        label: "Valeurs saisies / attendues",
    },
    Column {
        key: "etat",
        label: "État",
    },
    Column {
        key: "modification",
        label: "Dernière modification",
    },
    Column {
        key: "depot",
        label: "Jours avant le dépôt",
    },
    Column {
        key: "evaluation",
        label: "Jours avant l'évaluation",
    },
    Column {
        key: "provisoire",
        label: "Score provisoire",
    },
    Column {
        key: "score",
        label: "Score évalué",
    },
];

impl ListRow for SubmissionLine {
    fn cells(&self) -> Vec<Cell> {
        let days = |d: Option<i64>| {
            Cell::number(
                d.map(rust_decimal::Decimal::from),
                d.map_or_else(|| "—".to_owned(), |d| d.to_string()),
            )
        };
        vec![
            Cell::text(&self.entity_name),
            Cell::text(&self.finess),
            Cell::text(&self.category),
            Cell::number(
                Some(rust_decimal::Decimal::from(self.values_entered)),
                format!("{} / {}", self.values_entered, self.values_expected),
            ),
            Cell::text(self.state),
            Cell::sorted_by(&self.updated, &self.updated_raw),
            days(self.submission_days),
            days(self.evaluation_days),
            Cell::number(self.provisional_value, &self.provisional),
            Cell::number(self.score_value, &self.score),
        ]
    }
}

/// Days from today to `date` (negative once past).
fn days_until(date: jiff::civil::Date) -> i64 {
    today().until(date).map_or(0, |s| i64::from(s.get_days()))
}

pub async fn home(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<HomePage> {
    let user = &s.user;
    // An administrator has no region: no region name, no campaign of its own.
    let (region_name, in_region) = match &user.region {
        Some(region) => (
            state
                .store
                .region(region)
                .await?
                .map(|r| r.name)
                .unwrap_or_default(),
            state.store.campaigns_in_region(region).await?,
        ),
        None => (String::new(), Vec::new()),
    };
    let mut campaigns = Vec::new();
    for c in in_region {
        let days_left = today()
            .until(c.submission_deadline)
            .map_or(0, |s| i64::from(s.get_days()));
        let line = match (user.role, user.entity) {
            (Role::Etablissement, Some(entity)) => {
                let sub = state.store.submission(&c.id, &entity).await?;
                CampaignLine {
                    link: format!("/campagnes/{}/dossiers/{}", c.id, entity),
                    link_label: "Ouvrir mon dossier".into(),
                    state: sub.map(|s| s.state.label().to_owned()).unwrap_or_default(),
                    title: c.title.clone(),
                    year: c.year,
                    deadline: crate::ui::fr::date(c.submission_deadline),
                    days_left,
                }
            }
            _ => CampaignLine {
                link: format!("/campagnes/{}", c.id),
                link_label: "Suivre la campagne".into(),
                state: String::new(),
                title: c.title.clone(),
                year: c.year,
                deadline: crate::ui::fr::date(c.submission_deadline),
                days_left,
            },
        };
        campaigns.push(line);
    }
    // The administrator reads no health data, nor a campaign's title (the
    // authorisation matrix checks it): each region's campaigns by year,
    // référentiel, deadlines and number of dossiers.
    let admin_campaigns = if user.role == Role::Admin {
        let mut lines = Vec::new();
        for (c, dossiers) in state.store.campaigns_overview().await? {
            let region = state.store.region(&c.region).await?.map_or_else(
                || c.region.to_string(),
                |r| format!("{} ({})", r.name, r.code),
            );
            lines.push(AdminCampaignLine {
                region,
                year: c.year,
                referentiel: c.referentiel_id.clone(),
                deadline: crate::ui::fr::date(c.submission_deadline),
                evaluation_deadline: crate::ui::fr::date(c.evaluation_deadline),
                dossiers,
            });
        }
        lines
    } else {
        Vec::new()
    };
    let layout = Layout::for_user("Accueil", user, &s.csrf);
    Ok(HomePage {
        is_admin: user.role == Role::Admin,
        admin_campaigns,
        layout,
        campaigns,
        region_name,
    })
}

/// The follow-up table of a campaign: regional roles of the campaign's region only.
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    // The campaign with its region's list and score revisions, in one query: together
    // they stand for everything the page is made of (`caqes_store::campaign::list_revision`),
    // so a page kept once rendered (`ui::page_cache`) is found without reading the
    // campaign's dossiers. The key also holds the query, the layout, the user and the day.
    // A CSV export is not kept.
    let CampaignRevisions {
        campaign,
        list: list_revision,
        scores: score_revision,
    } = state
        .store
        .campaign_with_revisions(&campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !s.user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    // A second-generation campaign: units, contracts and intéressement, no score.
    if let Some(grid) = state.store.campaign_objectives(&campaign).await? {
        return Ok(
            crate::generation2::pages::campaign_page(&state, &s, campaign, grid)
                .await?
                .into_response(),
        );
    }
    let layout = Layout::for_user(&campaign.title, &s.user, &s.csrf);
    let key = PageKey::of(
        "campagne",
        &(
            &layout,
            &s.user,
            &campaign,
            list_revision,
            score_revision,
            &q.etat,
            &q.list,
            today(),
        ),
    );
    if !q.list.wants_csv()
        && let Some(html) = page_cache::get(key)
    {
        return Ok(Html(html).into_response());
    }
    let dossiers = state.store.campaign_dossiers(&campaign).await?;
    let without_dossier = if is_region_ars(&s.user, &campaign) {
        state.store.entities_without_dossier(&campaign).await?
    } else {
        Vec::new()
    };
    let filter = SubmissionState::ALL
        .into_iter()
        .find(|st| st.code() == q.etat.trim());
    let submission_days = days_until(campaign.submission_deadline);
    let evaluation_days = days_until(campaign.evaluation_deadline);
    let grid = points_grid(&state, &campaign).await?;
    // The engine's one path, as the dossier page scores it, for every dossier of the
    // campaign at once (five queries for the region), kept by the store and scored again
    // for the entities written since: the filtered views and the dashboard read the same
    // scores. The values entered are counted in the rows scored.
    let entities: Vec<caqes_store::LegalEntity> = dossiers.iter().map(|(_, e)| e.clone()).collect();
    let scores = state
        .store
        .campaign_scores(&campaign, &grid, &entities)
        .await?;
    let rows: Vec<caqes_store::SubmissionRow> = dossiers
        .into_iter()
        .map(|(submission, entity)| caqes_store::SubmissionRow {
            values_entered: i64::try_from(scores.values_entered(&entity.finess))
                .unwrap_or(i64::MAX),
            submission,
            entity,
        })
        .collect();
    let shown: Vec<&caqes_store::SubmissionRow> = rows
        .iter()
        .filter(|r| filter.is_none_or(|f| r.submission.state == f))
        .collect();
    let mut lines: Vec<SubmissionLine> = Vec::new();
    for r in shown {
        let provisional = scores.score(&r.entity).ok_or_else(|| {
            AppError::Internal(format!("score de {} introuvable", r.entity.finess))
        })?;
        let sites = scores.site_count(&r.entity.finess);
        let expected = grid
            .indicators
            .iter()
            .filter(|i| {
                i.sources.contains(&Source::ES)
                    && i.applicability(r.entity.category) == Applicability::Concerned
            })
            .count()
            * sites;
        let provisional_value = provisional.evaluable.then_some(provisional.total);
        lines.push(SubmissionLine {
            values_expected: expected,
            provisional: provisional_value.map_or_else(|| "non évaluable".to_owned(), fr),
            provisional_value,
            score_value: r.submission.total,
            updated_raw: r.submission.updated_at.clone(),
            updated: crate::ui::fr::instant(&r.submission.updated_at),
            // A deadline only matters to a dossier that has not reached it yet.
            submission_days: r.submission.state.is_editable().then_some(submission_days),
            evaluation_days: (!matches!(
                r.submission.state,
                SubmissionState::Evalue
                    | SubmissionState::Notifie
                    | SubmissionState::Conteste
                    | SubmissionState::Clos
            ))
            .then_some(evaluation_days),
            entity_name: r.entity.name.clone(),
            finess: r.entity.finess.to_string(),
            category: r.entity.category.label().to_owned(),
            state: r.submission.state.label(),
            values_entered: r.values_entered,
            score: r.submission.total.map(fr).unwrap_or_default(),
            link: format!("/campagnes/{}/dossiers/{}", campaign.id, r.entity.finess),
            fiche: format!(
                "/campagnes/{}/dossiers/{}/documents/fiche-recapitulative.pdf",
                campaign.id, r.entity.finess
            ),
        });
    }
    let filter_code = filter.map(|f| f.code()).unwrap_or_default();
    let list = list::apply(
        lines,
        &FOLLOW_UP_COLUMNS,
        &q.list,
        &format!("/campagnes/{}", campaign.id),
        &[("etat", filter_code)],
        None,
    );
    if q.list.wants_csv() {
        return Ok(list::csv_response(
            &format!("suivi-{}.csv", campaign.id),
            &FOLLOW_UP_COLUMNS,
            &list,
        ));
    }
    let counts = SubmissionState::ALL
        .into_iter()
        .map(|st| StateCount {
            code: st.code(),
            label: st.label(),
            count: rows.iter().filter(|r| r.submission.state == st).count(),
        })
        .filter(|c| c.count > 0)
        .collect();
    let submitted = rows
        .iter()
        .filter(|r| r.submission.state != SubmissionState::Brouillon)
        .count();
    let referentiel = grid.title.clone();
    let view = CampaignView {
        id: campaign.id.to_string(),
        total: rows.len(),
        evaluation_deadline: crate::ui::fr::date(campaign.evaluation_deadline),
        evaluation_days_left: evaluation_days,
        filter: filter_code.to_owned(),
        states: SubmissionState::ALL
            .into_iter()
            .map(|st| (st.code(), st.label()))
            .collect(),
        title: campaign.title.clone(),
        year: campaign.year,
        referentiel,
        deadline: crate::ui::fr::date(campaign.submission_deadline),
        days_left: today()
            .until(campaign.submission_deadline)
            .map_or(0, |s| i64::from(s.get_days())),
        counts,
        submitted,
        bulk: is_region_ars(&s.user, &campaign),
        without_dossier: without_dossier
            .into_iter()
            .map(|e| (e.finess.to_string(), e.name, e.category.label().to_owned()))
            .collect(),
    };
    let html = Bytes::from(CampaignPage { layout, view, list }.render_sized()?);
    page_cache::put(key, html.clone());
    Ok(Html(html).into_response())
}

/// The new-campaign form (ARS of the region only).
#[derive(Default)]
pub struct NewCampaignForm {
    pub year: String,
    pub referentiel: String,
    pub title: String,
    pub submission_deadline: String,
    pub evaluation_deadline: String,
}

fn ars_region(user: &caqes_store::User) -> AppResult<RegionCode> {
    match (user.role, user.region) {
        (Role::Ars, Some(r)) => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<NewCampaignPage> {
    ars_region(&s.user)?;
    let layout = Layout::for_user("Nouvelle campagne", &s.user, &s.csrf);
    let page = NewCampaignPage {
        layout,
        form: NewCampaignForm::default(),
        referentiels: state.store.referentiel_choices().await?,
        errors: Vec::new(),
    };
    Ok(page)
}

#[derive(serde::Deserialize)]
pub struct NewCampaignInput {
    #[serde(default)]
    year: String,
    #[serde(default)]
    referentiel: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    submission_deadline: String,
    #[serde(default)]
    evaluation_deadline: String,
}

/// Creates a campaign: one draft dossier per legal entity of the region, in one transaction.
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(input): Form<NewCampaignInput>,
) -> AppResult<axum::response::Response> {
    let region = ars_region(&s.user)?;
    let mut errors = Vec::new();
    let year = input
        .year
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|y| (2016..=2100).contains(y));
    if year.is_none() {
        errors.push("L'année évaluée doit être un nombre entre 2016 et 2100.".to_owned());
    }
    // Builtin or uploaded (the one resolver of the store), any regime; an objectives grid has its years (2022–2026 for caqes-2022).
    match state
        .store
        .referentiel_any(input.referentiel.trim())
        .await?
    {
        None => errors.push("Choisir un référentiel de la liste.".to_owned()),
        Some(caqes_core::regimes::AnyReferentiel::Objectives(g)) => {
            let last = g
                .contract
                .as_ref()
                .map_or(i16::MAX, |c| c.fin_au_plus_tard.valeur.year());
            if let Some(y) = year
                && let Err(e) = g.regime.check_year(y, last)
            {
                errors.push(format!("Année : {e}"));
            }
        }
        Some(caqes_core::regimes::AnyReferentiel::Points(_)) => {}
    }
    if input.title.trim().is_empty() {
        errors.push("Le titre est obligatoire.".to_owned());
    }
    let date = |t: &str, label: &str, errors: &mut Vec<String>| {
        let d = t.trim().parse::<jiff::civil::Date>().ok();
        if d.is_none() {
            errors.push(format!("{label} : date attendue au format AAAA-MM-JJ."));
        }
        d
    };
    let submission = date(
        &input.submission_deadline,
        "Date limite de dépôt",
        &mut errors,
    );
    let evaluation = date(
        &input.evaluation_deadline,
        "Date limite d'évaluation",
        &mut errors,
    );
    if let (Some(a), Some(b)) = (submission, evaluation)
        && b < a
    {
        errors.push("La date limite d'évaluation doit suivre la date limite de dépôt.".to_owned());
    }
    if let Some(y) = year
        && state
            .store
            .campaigns_in_region(&region)
            .await?
            .iter()
            .any(|c| c.year == y)
    {
        errors.push(format!(
            "Une campagne existe déjà pour l'année {y} dans la région."
        ));
    }
    match (year, submission, evaluation, errors.is_empty()) {
        (Some(year), Some(submission_deadline), Some(evaluation_deadline), true) => {
            let campaign = state
                .store
                .create_campaign(
                    &caqes_store::Actor::user(&s.user),
                    &caqes_store::NewCampaign {
                        region,
                        year,
                        referentiel_id: input.referentiel.trim().to_owned(),
                        title: input.title.trim().to_owned(),
                        submission_deadline,
                        evaluation_deadline,
                    },
                )
                .await?;
            Ok(flash::redirect(
                &format!("/campagnes/{}", campaign.id),
                Flash::CampaignCreated,
            ))
        }
        _ => {
            let layout = Layout::for_user("Nouvelle campagne", &s.user, &s.csrf);
            let page = NewCampaignPage {
                layout,
                form: NewCampaignForm {
                    year: input.year,
                    referentiel: input.referentiel,
                    title: input.title,
                    submission_deadline: input.submission_deadline,
                    evaluation_deadline: input.evaluation_deadline,
                },
                referentiels: state.store.referentiel_choices().await?,
                errors,
            };
            Ok(page.invalid())
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub campaigns: Vec<CampaignLine>,
    pub region_name: String,
    pub is_admin: bool,
    pub admin_campaigns: Vec<AdminCampaignLine>,
}

/// A campaign as the administrator sees it: no title, no dossier.
pub struct AdminCampaignLine {
    pub region: String,
    pub year: i16,
    pub referentiel: String,
    pub deadline: String,
    pub evaluation_deadline: String,
    pub dossiers: i64,
}

#[derive(Template)]
#[template(path = "campaign.html")]
pub struct CampaignPage {
    pub layout: Layout,
    pub view: CampaignView,
    pub list: Listing<SubmissionLine>,
}

#[derive(Template)]
#[template(path = "new_campaign.html")]
pub struct NewCampaignPage {
    pub layout: Layout,
    pub form: NewCampaignForm,
    /// (id, title) of the available référentiels.
    pub referentiels: Vec<(String, String)>,
    pub errors: Vec<String>,
}

impl_page!(HomePage, CampaignPage, NewCampaignPage);

/// Whether `user` is the ARS of the campaign's region.
fn is_region_ars(user: &caqes_store::User, campaign: &caqes_store::Campaign) -> bool {
    user.role == Role::Ars && user.region == Some(campaign.region)
}

#[derive(serde::Deserialize)]
pub struct OpenDossierForm {
    #[serde(default)]
    finess: String,
}

/// `POST /campagnes/{campaign}/dossiers`: the ARS gives an entity imported
/// during the campaign its dossier in it (a draft, audited).
pub async fn open_dossier(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Form(form): Form<OpenDossierForm>,
) -> AppResult<axum::response::Response> {
    let campaign = state
        .store
        .campaign(&campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !is_region_ars(&s.user, &campaign) {
        return Err(AppError::NotFound);
    }
    let entity = caqes_core::Finess::parse(form.finess.trim()).map_err(|e| {
        AppError::BadRequest(format!("Numéro FINESS « {} » : {e}", form.finess.trim()))
    })?;
    state
        .store
        .open_late_dossier(&caqes_store::Actor::user(&s.user), &campaign, entity)
        .await?;
    Ok(flash::redirect(
        &format!("/campagnes/{}/dossiers/{entity}", campaign.id),
        Flash::DossierOpened,
    ))
}
