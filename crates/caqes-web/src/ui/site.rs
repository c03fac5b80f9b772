//! The pages every State site links from its footer, public for everyone
//! (logged in or not): the accessibility statement (« Accessibilité : non
//! conforme »), the legal notice, personal data, and the site map of the
//! user's role. And the favicon at `/favicon.ico`.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use caqes_store::Role;

use crate::auth::Session;
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::page::impl_page;
use crate::ui::{Layout, assets, navigation};

/// Which footer page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SitePage {
    Accessibility,
    LegalNotice,
    PersonalData,
    SiteMap,
}

impl SitePage {
    fn title(self) -> &'static str {
        match self {
            SitePage::Accessibility => "Déclaration d'accessibilité",
            SitePage::LegalNotice => "Mentions légales",
            SitePage::PersonalData => "Données personnelles",
            SitePage::SiteMap => "Plan du site",
        }
    }
}

/// One link of the site map.
pub struct MapLink {
    pub href: String,
    pub label: String,
}

/// One group of links of the site map.
pub struct MapSection {
    pub title: String,
    pub links: Vec<MapLink>,
}

#[derive(Template)]
#[template(path = "site.html")]
pub struct SitePageView {
    pub layout: Layout,
    pub page: SitePage,
    pub sections: Vec<MapSection>,
}

impl_page!(SitePageView);

fn layout(session: Option<&Session>, title: &str) -> Layout {
    match session {
        Some(s) => Layout::for_user(title, &s.user, &s.csrf),
        None => Layout::anonymous(title),
    }
}

fn link(href: impl Into<String>, label: impl Into<String>) -> MapLink {
    MapLink {
        href: href.into(),
        label: label.into(),
    }
}

/// The site map of a role: its navigation, the pages of each campaign of
/// its region it works on, its account, and the footer's pages.
async fn site_map(state: &AppState, session: Option<&Session>) -> AppResult<Vec<MapSection>> {
    let user = session.map(|s| &s.user);
    let mut sections = vec![MapSection {
        title: "Navigation principale".into(),
        links: navigation(user)
            .into_iter()
            .map(|n| link(n.href, n.label))
            .collect(),
    }];
    if user.is_some_and(|u| u.role == Role::Ars) {
        sections.push(MapSection {
            title: "Région".into(),
            links: vec![
                link("/campagnes/nouvelle", "Créer une campagne"),
                link("/imports/etablissements", "Importer des établissements"),
            ],
        });
    }
    // The administrator reads no campaign (no health data); the others, their region's.
    let region = user
        .filter(|u| u.role != Role::Admin)
        .and_then(|u| u.region);
    if let (Some(user), Some(region)) = (user, region) {
        for c in state.store.campaigns_in_region(&region).await? {
            let base = format!("/campagnes/{}", c.id);
            // A second-generation campaign has its follow-up and dossiers only.
            let second = matches!(
                state.store.referentiel_any(&c.referentiel_id).await?,
                Some(caqes_core::regimes::AnyReferentiel::Objectives(_))
            );
            let links = match (user.role, user.entity) {
                (Role::Etablissement, Some(entity)) if second => vec![link(
                    format!("{base}/dossiers/{entity}"),
                    "Mon dossier (objectifs et intéressement)",
                )],
                (Role::Etablissement, None) if second => Vec::new(),
                _ if second => vec![link(base.clone(), "Suivi de la campagne")],
                (Role::Etablissement, Some(entity)) => {
                    let dossier = format!("{base}/dossiers/{entity}");
                    vec![
                        link(dossier.clone(), "Mon dossier (volet obligatoire)"),
                        link(
                            format!("{dossier}/engagements"),
                            "Engagements : cibles, plan d'actions, pièces",
                        ),
                        link(
                            format!("{dossier}/volets"),
                            "Sanctions et intéressements notifiés, tous volets",
                        ),
                        link(format!("{base}/ciblage"), "Ciblage du volet transports"),
                    ]
                }
                (Role::Etablissement, None) => Vec::new(),
                (Role::Ars, _) => vec![
                    link(base.clone(), "Suivi de la campagne"),
                    link(
                        format!("{base}/imports"),
                        "Importer des valeurs et des cibles",
                    ),
                    link(format!("{base}/imports/xlsx"), "Fichier à remplir (XLSX)"),
                    link(format!("{base}/cibles"), "Cibles proposées en attente"),
                    link(format!("{base}/ciblage"), "Ciblage du volet transports"),
                    link(
                        format!("{base}/ciblage/qualite"),
                        "Ciblage du volet qualité",
                    ),
                    link(
                        format!("{base}/ciblage/pertinence"),
                        "Ciblage du volet pertinence",
                    ),
                ],
                (Role::AssuranceMaladie, _) => vec![
                    link(base.clone(), "Suivi de la campagne"),
                    link(format!("{base}/phev"), "Données PHEV"),
                    link(
                        format!("{base}/ciblage/import"),
                        "Import du ciblage transports",
                    ),
                ],
                (Role::Omedit | Role::Admin, _) => vec![
                    link(base.clone(), "Suivi de la campagne"),
                    link(format!("{base}/cibles"), "Cibles proposées en attente"),
                ],
            };
            if !links.is_empty() {
                sections.push(MapSection {
                    title: c.title.clone(),
                    links,
                });
            }
        }
    }
    if user.is_some() {
        sections.push(MapSection {
            title: "Mon compte".into(),
            links: vec![
                link("/mot-de-passe", "Changer de mot de passe"),
                link("/notifications", "Notifications"),
                link("/notifications/preferences", "Préférences de notification"),
            ],
        });
    }
    sections.push(MapSection {
        title: "Informations".into(),
        links: vec![
            link("/accessibilite", "Accessibilité : non conforme"),
            link("/mentions-legales", "Mentions légales"),
            link("/donnees-personnelles", "Données personnelles"),
        ],
    });
    Ok(sections)
}

async fn render(
    state: &AppState,
    session: Option<axum::Extension<Session>>,
    page: SitePage,
) -> AppResult<SitePageView> {
    let session = session.map(|axum::Extension(s)| s);
    let sections = if page == SitePage::SiteMap {
        site_map(state, session.as_ref()).await?
    } else {
        Vec::new()
    };
    Ok(SitePageView {
        layout: layout(session.as_ref(), page.title()),
        page,
        sections,
    })
}

pub async fn accessibility(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
) -> AppResult<SitePageView> {
    render(&state, session, SitePage::Accessibility).await
}

pub async fn legal_notice(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
) -> AppResult<SitePageView> {
    render(&state, session, SitePage::LegalNotice).await
}

pub async fn personal_data(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
) -> AppResult<SitePageView> {
    render(&state, session, SitePage::PersonalData).await
}

pub async fn site_map_page(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
) -> AppResult<SitePageView> {
    render(&state, session, SitePage::SiteMap).await
}

/// `/favicon.ico`, asked for by browsers whatever the page says.
pub async fn favicon() -> Response {
    match assets::dsfr("favicon/favicon.ico") {
        Some((mime, bytes)) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            bytes,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
