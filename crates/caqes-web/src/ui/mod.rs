//! Typed page structs: one per template in `templates/`.

pub mod assets;
pub mod header;

use askama::Template;
use caqes_store::{Role, User};

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
            unread: header::unread_in_request(),
            mailbox: header::mailbox_in_request(),
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
