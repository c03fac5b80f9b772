//! Typed page structs: one per template in `templates/`.

pub mod assets;
pub mod flash;
pub mod fr;
pub mod header;
pub mod list;
pub mod page;
pub mod site;

use askama::Template;
use caqes_store::{Role, User};

/// One entry of the main navigation (`fr-nav`).
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub id: &'static str,
}

/// The main navigation of a role: the pages each one uses every day (the
/// pages of one campaign are reached from the home page's table).
pub fn navigation(user: Option<&User>) -> Vec<NavItem> {
    let item = |href: &str, label, id| NavItem {
        href: href.to_owned(),
        label,
        id,
    };
    let Some(user) = user else {
        return vec![item("/connexion", "Se connecter", "nav-connexion")];
    };
    let mut nav = vec![item("/", "Accueil", "nav-accueil")];
    match user.role {
        Role::Etablissement => {
            if let Some(finess) = user.entity {
                nav.push(item(
                    &format!("/contrats/{finess}"),
                    "Mon contrat",
                    "nav-contrat",
                ));
            }
        }
        Role::Ars => {
            nav.push(item("/contrats", "Contrats", "nav-contrats"));
            nav.push(item(
                "/imports/etablissements",
                "Établissements",
                "nav-etablissements",
            ));
            nav.push(item("/audit", "Journal d'audit", "nav-audit"));
        }
        Role::AssuranceMaladie => {
            nav.push(item("/contrats", "Contrats", "nav-contrats"));
            nav.push(item("/donnees-am", "Données AM", "nav-donnees-am"));
        }
        Role::Omedit => nav.push(item("/contrats", "Contrats", "nav-contrats")),
        Role::Admin => {
            nav.push(item(
                "/admin/utilisateurs",
                "Utilisateurs",
                "nav-utilisateurs",
            ));
            nav.push(item(
                "/admin/referentiels",
                "Référentiels",
                "nav-referentiels",
            ));
            nav.push(item(
                "/admin/courriels",
                "Courriels",
                "lien-admin-courriels",
            ));
            nav.push(item("/audit", "Journal d'audit", "nav-audit"));
        }
    }
    nav
}

/// The name shown in the header: the display name alone (demo names already
/// say the role: « Référent CAQES — ARS » was followed by « — ARS »); the role
/// is in the label's tooltip ([`Layout::role_label`]).
pub fn user_label(user: &User) -> String {
    user.display_name.clone()
}

/// What the layout (header, navigation, forms' CSRF field) needs.
#[derive(Clone, Debug)]
pub struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub role_label: String,
    /// Regional roles see the audit log link.
    pub is_ars: bool,
    /// The CSRF token copied into every form as `_csrf`.
    pub csrf: String,
    /// The user's unread notifications (header badge), when counted for
    /// this request (`notifications::unread_layer`).
    pub unread: Option<i64>,
    /// The demo's mailbox page exists (`Config::mailbox`).
    pub mailbox: bool,
    /// The main navigation of the user's role.
    pub nav: Vec<NavItem>,
    /// The confirmation of the action just done ([`flash`]).
    pub flash: Option<&'static str>,
    /// The page's path (its navigation entry is the current one).
    pub path: String,
}

impl Layout {
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user_name: None,
            role_label: String::new(),
            is_ars: false,
            csrf: String::new(),
            unread: None,
            mailbox: false,
            nav: navigation(None),
            flash: flash::in_request(),
            path: header::path_in_request(),
        }
    }

    pub fn for_user(title: &str, user: &User, csrf: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user_name: Some(user_label(user)),
            role_label: user.role.label().to_owned(),
            is_ars: user.role == Role::Ars,
            csrf: csrf.to_owned(),
            unread: header::unread_in_request(),
            mailbox: header::mailbox_in_request(),
            nav: navigation(Some(user)),
            flash: flash::in_request(),
            path: header::path_in_request(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub error: Option<String>,
    /// The brand of the OIDC button, when the OIDC login is configured.
    pub proconnect: Option<String>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub error: Option<String>,
    pub done: bool,
}

page::impl_page!(LoginPage, PasswordPage);
