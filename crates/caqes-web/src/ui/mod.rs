//! Typed page structs: one per template in `templates/`.

pub mod assets;

use askama::Template;
use caqes_store::{Role, User};

use crate::campaign::{CampaignLine, CampaignView, NewCampaignForm};
use crate::dossier::DossierView;

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
        }
    }

    pub fn for_user(title: &str, user: &User, csrf: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user_name: Some(user.display_name.clone()),
            role_label: user.role.label().to_owned(),
            is_ars: user.role == Role::Ars,
            csrf: csrf.to_owned(),
            unread: crate::notifications::unread_in_request(),
            mailbox: crate::notifications::mailbox_in_request(),
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

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub campaigns: Vec<CampaignLine>,
    pub region_name: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
pub struct CampaignPage {
    pub layout: Layout,
    pub view: CampaignView,
}

#[derive(Template)]
#[template(path = "dossier.html")]
pub struct DossierPage {
    pub layout: Layout,
    pub view: DossierView,
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
