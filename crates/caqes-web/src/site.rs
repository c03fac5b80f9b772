//! The pages every State site links from its footer, public for everyone
//! (logged in or not): the accessibility statement (« Accessibilité : non
//! conforme »), the legal notice, personal data, and the site map of the
//! user's role. And the favicon at `/favicon.ico`.

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use caqes_store::Role;

use crate::auth::Session;
use crate::request::error::{AppError, AppResult};
use crate::ui::{Layout, NavItem, assets, navigation};

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

/// One group of links of the site map.
pub struct MapSection {
    pub title: &'static str,
    pub links: Vec<NavItem>,
}

#[derive(Template)]
#[template(path = "site.html")]
pub struct SitePageView {
    pub layout: Layout,
    pub page: SitePage,
    pub sections: Vec<MapSection>,
}

fn layout(session: Option<&Session>, title: &str) -> Layout {
    match session {
        Some(s) => Layout::for_user(title, &s.user, &s.csrf),
        None => Layout::anonymous(title),
    }
}

fn link(href: &str, label: &'static str, id: &'static str) -> NavItem {
    NavItem {
        href: href.to_owned(),
        label,
        id,
    }
}

/// The site map of a role: its navigation, then the pages it reaches
/// from each campaign, then its account and the footer's pages.
fn site_map(session: Option<&Session>) -> Vec<MapSection> {
    let user = session.map(|s| &s.user);
    let mut sections = vec![MapSection {
        title: "Navigation principale",
        links: navigation(user),
    }];
    let campaign_pages: Vec<NavItem> = match user.map(|u| u.role) {
        Some(Role::Etablissement) => vec![
            link(
                "/",
                "Mon dossier de chaque campagne (depuis l'accueil)",
                "plan-dossier",
            ),
            link(
                "/",
                "Engagements : cibles, plan d'actions et pièces (depuis l'accueil)",
                "plan-engagements",
            ),
            link(
                "/",
                "Volets additionnels et sommes notifiées (depuis le dossier)",
                "plan-volets",
            ),
        ],
        Some(Role::Ars) => vec![
            link(
                "/campagnes/nouvelle",
                "Créer une campagne",
                "plan-nouvelle-campagne",
            ),
            link(
                "/",
                "Suivi de chaque campagne, import des valeurs et des cibles (depuis l'accueil)",
                "plan-suivi",
            ),
            link(
                "/",
                "Dossiers, décisions et volets additionnels (depuis le suivi)",
                "plan-dossiers",
            ),
        ],
        Some(Role::AssuranceMaladie) => vec![
            link(
                "/",
                "Suivi de chaque campagne, données PHEV (depuis l'accueil)",
                "plan-suivi",
            ),
            link(
                "/donnees-am/import",
                "Importer les recettes et la liste en sus",
                "plan-import-am",
            ),
        ],
        Some(Role::Omedit) => vec![link(
            "/",
            "Suivi de chaque campagne et commentaires des dossiers (depuis l'accueil)",
            "plan-suivi",
        )],
        Some(Role::Admin) | None => Vec::new(),
    };
    if !campaign_pages.is_empty() {
        sections.push(MapSection {
            title: "Campagnes",
            links: campaign_pages,
        });
    }
    if user.is_some() {
        sections.push(MapSection {
            title: "Mon compte",
            links: vec![
                link(
                    "/mot-de-passe",
                    "Changer de mot de passe",
                    "plan-mot-de-passe",
                ),
                link(
                    "/notifications/preferences",
                    "Préférences de notification",
                    "plan-preferences",
                ),
            ],
        });
    }
    sections.push(MapSection {
        title: "Informations",
        links: vec![
            link(
                "/accessibilite",
                "Accessibilité : non conforme",
                "plan-accessibilite",
            ),
            link("/mentions-legales", "Mentions légales", "plan-mentions"),
            link(
                "/donnees-personnelles",
                "Données personnelles",
                "plan-donnees",
            ),
        ],
    });
    sections
}

async fn render(
    session: Option<axum::Extension<Session>>,
    page: SitePage,
) -> AppResult<Html<String>> {
    let session = session.map(|axum::Extension(s)| s);
    let sections = if page == SitePage::SiteMap {
        site_map(session.as_ref())
    } else {
        Vec::new()
    };
    Ok(Html(
        SitePageView {
            layout: layout(session.as_ref(), page.title()),
            page,
            sections,
        }
        .render()?,
    ))
}

pub async fn accessibility(session: Option<axum::Extension<Session>>) -> AppResult<Html<String>> {
    render(session, SitePage::Accessibility).await
}

pub async fn legal_notice(session: Option<axum::Extension<Session>>) -> AppResult<Html<String>> {
    render(session, SitePage::LegalNotice).await
}

pub async fn personal_data(session: Option<axum::Extension<Session>>) -> AppResult<Html<String>> {
    render(session, SitePage::PersonalData).await
}

pub async fn site_map_page(session: Option<axum::Extension<Session>>) -> AppResult<Html<String>> {
    render(session, SitePage::SiteMap).await
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
