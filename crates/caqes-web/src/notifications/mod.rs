//! Notifications in the platform: each user's list (`/notifications`), the
//! unread count in the header of every page ([`header_layer`]), reading a notification (its link
//! goes through `/notifications/{id}`, which marks it read and redirects to the
//! page), the e-mail setting (`/notifications/preferences`), the demo's mailbox
//! (`/courriels`, [`mailbox`]) and the administrator's outbox
//! (`/admin/courriels`).
//!
//! The notifications themselves are written by the store in the transaction
//! of each event; the e-mails are sent by `caqes-notify`'s worker.

pub mod mailbox;
pub mod receipt;

use crate::auth::role::require_admin;
use crate::request::extract::{Form, Path};
use crate::ui::flash::{self, Flash};
use askama::Template;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Redirect, Response};
use caqes_core::notification::EmailPreference;
use caqes_store::notify::inbox::Notification;
use caqes_store::notify::outbox::{OutboxCounts, OutboxRow};
use caqes_store::{MailId, NotificationId};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::request::error::AppResult;
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::header::{HEADER, HeaderInfo};
use crate::ui::page::{Page, impl_page};

/// Runs the rest of the request with the header's information in scope: the
/// logged-in user's unread notifications, counted by the session's query.
pub async fn header_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Counted with the session (`auth::session_layer`, one query); assets and the
    // health check have no header and no count.
    let unread = req.extensions().get::<Session>().and_then(Session::unread);
    let info = HeaderInfo {
        unread,
        mailbox: state.config.mailbox.is_some(),
        path: req.uri().path().to_owned(),
    };
    HEADER.scope(info, next.run(req)).await
}

pub struct NotificationLine {
    pub id: NotificationId,
    pub title: String,
    pub body: String,
    pub at: String,
    pub unread: bool,
    pub legal: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub layout: Layout,
    pub lines: Vec<NotificationLine>,
    pub unread: usize,
    pub preference: &'static str,
}

impl_page!(NotificationsPage);

/// « 2020-03-02T14:05:01.123456Z » → « 2 mars 2020 à 15 h 05 » (Paris).
pub(crate) fn paris_time(at: &str) -> String {
    crate::ui::fr::instant(at)
}

fn line(n: &Notification) -> NotificationLine {
    NotificationLine {
        id: n.id.clone(),
        title: n.title.clone(),
        body: n.body.clone(),
        at: paris_time(&n.created_at),
        unread: n.read_at.is_none(),
        legal: n.legal,
    }
}

/// How many notifications the list shows.
const LIST_LIMIT: i64 = 200;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<NotificationsPage> {
    let all = state.store.notifications_of(&s.user.id, LIST_LIMIT).await?;
    let lines: Vec<NotificationLine> = all.iter().map(line).collect();
    let page = NotificationsPage {
        layout: Layout::for_user("Notifications", &s.user, &s.csrf),
        unread: lines.iter().filter(|l| l.unread).count(),
        lines,
        preference: state.store.email_preference(&s.user.id).await?.label(),
    };
    Ok(page)
}

/// Marks the notification read and goes to its page (another user's: 404).
pub async fn open(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(id): Path<NotificationId>,
) -> AppResult<Redirect> {
    let link = state.store.open_notification(&s.user, &id).await?;
    // Links are written by the store as paths of this site; anything else goes home.
    let target = if link.starts_with('/') && !link.starts_with("//") {
        link
    } else {
        "/".to_owned()
    };
    Ok(Redirect::to(&target))
}

pub async fn mark_all_read(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<Response> {
    state.store.mark_all_read(&s.user).await?;
    Ok(flash::redirect("/notifications", Flash::NotificationsRead))
}

pub struct PreferenceChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "notification_settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub choices: Vec<PreferenceChoice>,
    pub email: String,
    pub saved: bool,
    pub error: Option<String>,
}

impl_page!(SettingsPage);

async fn settings_page(
    state: &AppState,
    s: &Session,
    saved: bool,
    error: Option<String>,
) -> AppResult<SettingsPage> {
    let current = state.store.email_preference(&s.user.id).await?;
    let page = SettingsPage {
        layout: Layout::for_user("Préférences de notification", &s.user, &s.csrf),
        choices: EmailPreference::ALL
            .into_iter()
            .map(|p| PreferenceChoice {
                code: p.code(),
                label: p.label(),
                checked: p == current,
            })
            .collect(),
        email: s.user.email.clone(),
        saved,
        error,
    };
    Ok(page)
}

pub async fn settings(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<SettingsPage> {
    settings_page(&state, &s, false, None).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    courriels: String,
}

pub async fn save_settings(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let Some(preference) = EmailPreference::parse(form.courriels.trim()) else {
        return settings_page(
            &state,
            &s,
            false,
            Some("Choisissez l'une des trois options.".into()),
        )
        .await
        .map(Page::invalid);
    };
    state
        .store
        .set_email_preference(&s.user, preference)
        .await?;
    settings_page(&state, &s, true, None)
        .await
        .map(Page::response)
}

pub struct OutboxLine {
    pub id: MailId,
    pub to: String,
    pub subject: String,
    pub state: &'static str,
    pub failed: bool,
    pub attempts: i64,
    pub next_attempt: String,
    pub last_error: String,
    pub created_at: String,
    pub sent_at: String,
}

#[derive(Template)]
#[template(path = "admin_courriels.html")]
pub struct OutboxPage {
    pub layout: Layout,
    pub counts: OutboxCounts,
    pub unsent: Vec<OutboxLine>,
    pub sent: Vec<OutboxLine>,
}

impl_page!(OutboxPage);

fn outbox_line(r: &OutboxRow) -> OutboxLine {
    let next = jiff::Timestamp::from_second(r.next_attempt_at)
        .map(|t| paris_time(&t.to_string()))
        .unwrap_or_default();
    OutboxLine {
        id: r.id.clone(),
        to: r.to.clone(),
        subject: r.subject.clone(),
        state: r.state.label(),
        failed: r.state == caqes_store::notify::outbox::OutboxState::Echec,
        attempts: r.attempts,
        next_attempt: next,
        last_error: r.last_error.clone().unwrap_or_default(),
        created_at: paris_time(&r.created_at),
        sent_at: r.sent_at.as_deref().map(paris_time).unwrap_or_default(),
    }
}

/// The administrator's view of the outbox: what waits, what failed (with the
/// last error), the latest sent.
pub async fn outbox(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<OutboxPage> {
    require_admin(&s.user)?;
    let (unsent, sent) = state.store.outbox_rows(50).await?;
    let page = OutboxPage {
        layout: Layout::for_user("Courriels", &s.user, &s.csrf),
        counts: state.store.outbox_counts().await?,
        unsent: unsent.iter().map(outbox_line).collect(),
        sent: sent.iter().map(outbox_line).collect(),
    };
    Ok(page)
}

pub async fn retry(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(id): Path<MailId>,
) -> AppResult<Response> {
    require_admin(&s.user)?;
    state.store.retry_mail(&s.user, &id).await?;
    Ok(flash::redirect("/admin/courriels", Flash::EmailRetried))
}
