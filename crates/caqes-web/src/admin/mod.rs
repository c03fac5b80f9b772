//! Administration (role admin only; every other role gets 404): accounts
//! (create, deactivate/reactivate, temporary password) and référentiels
//! (builtin and uploaded, upload of a TOML file pasted into a text area).

pub mod audit;
pub mod journal;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caqes_core::Finess;
use caqes_core::RegionCode;
use caqes_store::UserId;
use caqes_store::accounts::policy;
use caqes_store::{Actor, Email, NewUser, Role, StoredReferentiel, UserSummary};
use serde::Deserialize;

use crate::auth::role::require_admin;
use crate::auth::{CurrentUser, hash_password};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::flash::{self, Flash};
use crate::ui::list::{self, Cell, Column, ListQuery, ListRow, Listing};
use crate::ui::page::{Page, impl_page};

pub struct UserLine {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub region: String,
    pub entity: String,
    pub active: bool,
    pub must_change_password: bool,
    pub last_login: String,
    /// The stored instant, for the sort.
    pub last_login_raw: String,
}

impl From<&UserSummary> for UserLine {
    fn from(s: &UserSummary) -> Self {
        UserLine {
            id: s.user.id.to_string(),
            email: s.user.email.clone(),
            name: s.user.display_name.clone(),
            role: s.user.role.label(),
            // « 76 — Occitanie »: the code people know and the name.
            region: s
                .user
                .region
                .map(|code| match code.name() {
                    Some(name) => format!("{code} — {name}"),
                    None => code.to_string(),
                })
                .unwrap_or_default(),
            entity: s.user.entity.map(|f| f.to_string()).unwrap_or_default(),
            active: s.user.active,
            must_change_password: s.user.must_change_password,
            last_login: s
                .last_login_at
                .as_deref()
                .map(crate::ui::fr::instant)
                .unwrap_or_else(|| "jamais".to_owned()),
            last_login_raw: s.last_login_at.clone().unwrap_or_default(),
        }
    }
}

/// What was typed in the creation form (kept on error).
#[derive(Default, Deserialize)]
pub struct NewUserInput {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub password: String,
}

/// The columns of the accounts' list (searched, sorted, exported).
const USER_COLUMNS: [Column; 7] = [
    Column {
        key: "nom",
        label: "Nom",
    },
    Column {
        key: "courriel",
        label: "Adresse électronique",
    },
    Column {
        key: "role",
        label: "Rôle",
    },
    Column {
        key: "region",
        label: "Région",
    },
    Column {
        key: "entite",
        label: "Entité juridique",
    },
    Column {
        key: "connexion",
        label: "Dernière connexion",
    },
    Column {
        key: "etat",
        label: "État",
    },
];

impl ListRow for UserLine {
    fn cells(&self) -> Vec<Cell> {
        let state = match (self.active, self.must_change_password) {
            (true, false) => "actif",
            (true, true) => "actif, mot de passe à changer",
            (false, false) => "désactivé",
            (false, true) => "désactivé, mot de passe à changer",
        };
        vec![
            Cell::text(&self.name),
            Cell::text(&self.email),
            Cell::text(self.role),
            Cell::text(&self.region),
            Cell::text(&self.entity),
            Cell::sorted_by(&self.last_login, &self.last_login_raw),
            Cell::text(state),
        ]
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub list: Listing<UserLine>,
    pub form: NewUserInput,
    pub roles: Vec<(&'static str, &'static str)>,
    /// The regions of France (code, name), chosen from a list rather than typed.
    pub regions: &'static [(&'static str, &'static str)],
    pub errors: Vec<String>,
    pub message: Option<String>,
    /// The administrator's own account: not offered to deactivate itself.
    pub own_id: String,
}

async fn users_page(
    state: &AppState,
    s: &crate::auth::Session,
    form: NewUserInput,
    errors: Vec<String>,
    message: Option<String>,
) -> AppResult<UsersPage> {
    let list = user_listing(state, &ListQuery::default()).await?;
    Ok(users_page_with(s, list, form, errors, message))
}

/// The accounts, searched, sorted and paged as `query` asks.
async fn user_listing(state: &AppState, query: &ListQuery) -> AppResult<Listing<UserLine>> {
    let users: Vec<UserLine> = state
        .store
        .list_users()
        .await?
        .iter()
        .map(UserLine::from)
        .collect();
    Ok(list::apply(
        users,
        &USER_COLUMNS,
        query,
        "/admin/utilisateurs",
        &[],
        None,
    ))
}

fn users_page_with(
    s: &crate::auth::Session,
    list: Listing<UserLine>,
    form: NewUserInput,
    errors: Vec<String>,
    message: Option<String>,
) -> UsersPage {
    UsersPage {
        layout: Layout::for_user("Administration — utilisateurs", &s.user, &s.csrf),
        list,
        form,
        roles: Role::ALL
            .into_iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        regions: &caqes_core::region::FRENCH_REGIONS,
        errors,
        message,
        own_id: s.user.id.to_string(),
    }
}

/// The accounts' list, searched, sorted, paged or exported as `query` asks.
pub async fn users(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<axum::response::Response> {
    require_admin(&s.user)?;
    let list = user_listing(&state, &query).await?;
    if query.wants_csv() {
        return Ok(list::csv_response("utilisateurs.csv", &USER_COLUMNS, &list));
    }
    Ok(users_page_with(&s, list, NewUserInput::default(), Vec::new(), None).into_response())
}

/// Creates an account; the scope fields are checked against the role.
pub async fn create_user(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(input): Form<NewUserInput>,
) -> AppResult<Response> {
    require_admin(&s.user)?;
    let mut errors = Vec::new();
    let email = match Email::parse(&input.email) {
        Err(e) => {
            errors.push(format!("Adresse électronique : {e}."));
            None
        }
        Ok(email) => {
            if state.store.user_by_email(email.as_str()).await?.is_some() {
                errors.push(
                    "Adresse électronique : un compte existe déjà pour cette adresse.".to_owned(),
                );
            }
            Some(email)
        }
    };
    if input.name.trim().is_empty() {
        errors.push("Nom : obligatoire.".to_owned());
    }
    let role = input.role.parse::<Role>().ok();
    if role.is_none() {
        errors.push("Rôle : choisir un rôle de la liste.".to_owned());
    }
    let mut region = None;
    let mut missing_region: Option<caqes_store::Region> = None;
    let mut entity: Option<Finess> = None;
    match role {
        Some(Role::Etablissement) => match Finess::parse(input.entity.trim()) {
            Err(e) => errors.push(format!(
                "Entité juridique (FINESS) : obligatoire pour un compte établissement ({e})."
            )),
            Ok(f) => match state.store.legal_entity(&f).await? {
                // The région of an établissement account is that of its entity.
                Some(e) => {
                    region = Some(e.region);
                    entity = Some(f);
                }
                None => errors.push(format!(
                    "Entité juridique (FINESS) : {f} n'est pas enregistrée."
                )),
            },
        },
        Some(Role::Ars | Role::AssuranceMaladie | Role::Omedit) => {
            let text = input.region.trim();
            // Parsed for its shape, then checked against the list: either failure
            // is the same mistake for the administrator, who chooses from a list.
            let code = RegionCode::parse(text).ok();
            if text.is_empty() {
                errors.push("Région : obligatoire pour un rôle régional.".to_owned());
            } else if let Some(code) = code
                && state.store.region(&code).await?.is_some()
            {
                region = Some(code);
            } else if let Some((code, name)) = code.and_then(|c| Some((c, c.name()?))) {
                // A region of the list not registered yet: registered with the
                // account (audited `region.creer`), so the list is the whole of France.
                missing_region = Some(caqes_store::Region {
                    code,
                    name: name.to_owned(),
                });
                region = Some(code);
            } else {
                errors.push(format!(
                    "Région : choisir une région de la liste (« {text} » n'en est pas une)."
                ));
            }
            if !input.entity.trim().is_empty() {
                errors.push(
                    "Entité juridique (FINESS) : à laisser vide pour un rôle régional.".to_owned(),
                );
            }
        }
        Some(Role::Admin) if !input.entity.trim().is_empty() => {
            errors.push(
                "Entité juridique (FINESS) : à laisser vide pour un administrateur.".to_owned(),
            );
        }
        Some(Role::Admin) | None => {}
    }
    let owner = policy::Owner {
        email: input.email.trim(),
        name: input.name.trim(),
        current_hash: None,
    };
    if let Err(e) = policy::check(&input.password, owner) {
        errors.push(format!("Mot de passe temporaire : {e}."));
    }
    let (Some(role), Some(email)) = (role, email.filter(|_| errors.is_empty())) else {
        return users_page(&state, &s, input, errors, None)
            .await
            .map(Page::invalid);
    };
    if let Some(r) = &missing_region {
        state.store.create_region(&Actor::user(&s.user), r).await?;
    }
    // The password was chosen by the administrator: the user must replace it.
    state
        .store
        .create_user_with_temporary_password(
            &Actor::user(&s.user),
            &NewUser {
                email,
                display_name: input.name.trim().to_owned(),
                role,
                region,
                entity,
                password_hash: hash_password(&input.password)?,
            },
        )
        .await?;
    Ok(flash::redirect(
        "/admin/utilisateurs",
        Flash::AccountCreated,
    ))
}

#[derive(Deserialize)]
pub struct ActivationInput {
    #[serde(default)]
    actif: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(user_id): Path<UserId>,
    Form(input): Form<ActivationInput>,
) -> AppResult<Response> {
    require_admin(&s.user)?;
    let active = input.actif == "1";
    if !active && user_id == s.user.id {
        return Err(AppError::Conflict(
            "Un administrateur ne peut pas désactiver son propre compte.".into(),
        ));
    }
    state
        .store
        .set_user_active(&Actor::user(&s.user), &user_id, active)
        .await?;
    let done = if active {
        Flash::AccountReactivated
    } else {
        Flash::AccountDeactivated
    };
    Ok(flash::redirect("/admin/utilisateurs", done))
}

#[derive(Deserialize)]
pub struct ResetInput {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(user_id): Path<UserId>,
    Form(input): Form<ResetInput>,
) -> AppResult<Response> {
    require_admin(&s.user)?;
    let target = state
        .store
        .user_by_id(&user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = policy::Owner {
        email: &target.email,
        name: &target.display_name,
        current_hash: Some(&target.password_hash),
    };
    if let Err(e) = policy::check(&input.password, owner) {
        let error = format!("Mot de passe temporaire de {} : {e}.", target.email);
        return users_page(&state, &s, NewUserInput::default(), vec![error], None)
            .await
            .map(Page::invalid);
    }
    state
        .store
        .reset_password(
            &Actor::user(&s.user),
            &target.id,
            &hash_password(&input.password)?,
        )
        .await?;
    let message = format!(
        "Mot de passe temporaire enregistré pour {} : il devra le changer à sa prochaine connexion.",
        target.email
    );
    users_page(
        &state,
        &s,
        NewUserInput::default(),
        Vec::new(),
        Some(message),
    )
    .await
    .map(Page::response)
}

pub struct ReferentielLine {
    pub key: String,
    pub title: String,
    pub origin: String,
    pub indicators: usize,
}

#[derive(Default, Deserialize)]
pub struct UploadInput {
    #[serde(default)]
    pub file_name: String,
    #[serde(default)]
    pub toml: String,
}

#[derive(Template)]
#[template(path = "admin_referentiels.html")]
pub struct ReferentielsPage {
    pub layout: Layout,
    pub lines: Vec<ReferentielLine>,
    pub form: UploadInput,
    pub errors: Vec<String>,
    pub message: Option<String>,
}

impl_page!(UsersPage, ReferentielsPage);

async fn referentiels_page(
    state: &AppState,
    s: &crate::auth::Session,
    form: UploadInput,
    errors: Vec<String>,
    message: Option<String>,
) -> AppResult<ReferentielsPage> {
    let mut lines: Vec<ReferentielLine> = caqes_core::regimes::builtin_any()
        .into_iter()
        .map(|r| ReferentielLine {
            indicators: match &r {
                caqes_core::regimes::AnyReferentiel::Points(p) => p.indicators.len(),
                caqes_core::regimes::AnyReferentiel::Objectives(g) => g.indicators.len(),
            },
            key: r.id().to_owned(),
            title: match r.regime() {
                caqes_core::regimes::Regime::Caqes2018 => r.title().to_owned(),
                other => format!("{} (régime {})", r.title(), other.code()),
            },
            origin: "intégré".to_owned(),
        })
        .collect();
    let uploaded: Vec<StoredReferentiel> = state.store.uploaded_referentiels().await?;
    for u in uploaded {
        let indicators = state
            .store
            .referentiel(&u.key)
            .await?
            .map_or(0, |r| r.indicators.len());
        lines.push(ReferentielLine {
            origin: format!(
                "déposé ({}, version {}, le {})",
                u.file_name,
                u.version,
                crate::ui::fr::instant_date(&u.uploaded_at)
            ),
            key: u.key,
            title: u.title,
            indicators,
        });
    }
    let page = ReferentielsPage {
        layout: Layout::for_user("Administration — référentiels", &s.user, &s.csrf),
        lines,
        form,
        errors,
        message,
    };
    Ok(page)
}

pub async fn referentiels(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<ReferentielsPage> {
    require_admin(&s.user)?;
    referentiels_page(&state, &s, UploadInput::default(), Vec::new(), None).await
}

/// Validates the pasted TOML with the engine (French errors with file and
/// line) and stores it as a new version; nothing is stored on error.
pub async fn upload_referentiel(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(input): Form<UploadInput>,
) -> AppResult<Response> {
    require_admin(&s.user)?;
    let file_name = match input.file_name.trim() {
        "" => "referentiel.toml".to_owned(),
        f => f.to_owned(),
    };
    // Browsers send CRLF in text areas; line numbers are the same either way.
    let text = input.toml.replace("\r\n", "\n");
    // Any regime: an objectives grid (caqes-2022, incitation-2026) runs a second-generation campaign.
    let error = match caqes_core::regimes::load(&file_name, &text) {
        Err(e) => Some(e.to_string()),
        Ok(_) => match state
            .store
            .upload_referentiel(&Actor::user(&s.user), &file_name, &text)
            .await
        {
            Ok(stored) => {
                let message = format!(
                    "Référentiel « {} » enregistré (version {}, identifiant de campagne {}).",
                    stored.title, stored.version, stored.key
                );
                return referentiels_page(
                    &state,
                    &s,
                    UploadInput::default(),
                    Vec::new(),
                    Some(message),
                )
                .await
                .map(Page::response);
            }
            Err(caqes_store::StoreError::Conflict(c)) => Some(c.to_string()),
            Err(e) => return Err(e.into()),
        },
    };
    referentiels_page(
        &state,
        &s,
        UploadInput {
            file_name,
            toml: input.toml,
        },
        error.into_iter().collect(),
        None,
    )
    .await
    .map(Page::invalid)
}
