//! Local accounts: argon2id hashes, session cookies, CSRF tokens, request
//! body limits, login throttling, logout and password change.
//!
//! Sessions are rows in the database keyed by a SHA-256 of the cookie value.
//! Every POST must carry a `_csrf` form field equal to the session's token
//! (or, before login, to the `caqes_csrf` cookie: double-submit), checked
//! once in [`session_layer`] for every route, so no handler can forget it.
//! Before reading a byte of a body, the same layer looks up the session and
//! the route's [`BodyLimit`](crate::request::limits::BodyLimit): a body larger than
//! what this user may send to this route is refused (413) on its
//! Content-Length, or as soon as it passes the limit.
//!
//! Logins are throttled per account and per client address
//! (`caqes_store::accounts::throttle`): each attempt is counted before the
//! password is checked, and the hash is checked off the async threads.

pub mod address;
pub mod oidc;
pub mod role;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, COOKIE, RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_store::accounts::throttle::ThrottleKey;
use caqes_store::accounts::{password, policy};
use caqes_store::{Actor, User};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::address::ClientAddress;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Form;
use crate::request::limits::{BodyLimit, FORM_BYTES, PASTED_FILE_BYTES, too_large};
use crate::request::state::AppState;
use crate::request::upload::multipart_csrf;
use crate::ui::flash::{self, Flash};
use crate::ui::page::Page;
use crate::ui::{Layout, LoginPage, PasswordPage};

pub const SESSION_COOKIE: &str = "caqes_session";
pub const ANON_CSRF_COOKIE: &str = "caqes_csrf";

/// The logged-in user of a request, put there by [`session_layer`].
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    token_hash: String,
    /// The user's unread notifications, counted with the session for a page
    /// ([`counts_unread`]); `None` for assets and the health check.
    unread: Option<i64>,
}

impl Session {
    /// The header's unread count, when this request is a page.
    pub fn unread(&self) -> Option<i64> {
        self.unread
    }
}

/// Whether a request to `path` shows the header (a page, not an asset or the
/// health check): its session lookup also counts the unread notifications.
pub fn counts_unread(path: &str) -> bool {
    !path.starts_with("/static/") && path != "/sante"
}

/// The CSRF token for forms shown before login.
#[derive(Clone, Debug)]
pub struct AnonCsrf(pub String);

/// Extractor: the logged-in user, or a redirection to the login page.
pub struct CurrentUser(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(CurrentUser)
            .ok_or(AppError::LoginRequired)
    }
}

/// A hash in the PHC format with argon2id (see `caqes_store::accounts::password`).
pub fn hash_password(password: &str) -> AppResult<String> {
    password::hash(password).map_err(AppError::failed("empreinte du mot de passe"))
}

pub use password::verify as verify_password;

pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// The SHA-256 of a session cookie, as stored (tests open sessions with it).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn now_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    // Names and values are hex tokens: always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The Content-Length the client declared, if any.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Reads a whole body of at most `limit` bytes (a form, or an upload of a
/// user who may not stream one) and checks its CSRF token against `expected`.
async fn buffered_body(
    body: Body,
    limit: usize,
    is_form: bool,
    multipart_type: Option<&str>,
    expected: &str,
) -> Result<Body, AppError> {
    // Without a Content-Length (chunked), reading stops at the limit.
    let bytes = to_bytes(body, limit).await.map_err(|_| too_large(limit))?;
    let given = if is_form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == "_csrf")
                    .map(|(_, v)| v)
            })
    } else if let Some(content_type) = multipart_type {
        multipart_csrf(content_type, bytes.clone()).await
    } else {
        None
    };
    if expected.is_empty() || given.as_deref() != Some(expected) {
        return Err(AppError::Forbidden(
            "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page et recommencez."
                .into(),
        ));
    }
    Ok(Body::from(bytes))
}

/// Loads the session, limits and reads the body of every POST (or, for an
/// upload, its head: [`crate::request::upload::checked_stream`]), checks its
/// CSRF token, and sets the pre-login CSRF cookie when missing.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let mut session = None;
    if let Some(token) = cookie_value(headers, SESSION_COOKIE) {
        let hash = token_hash(token);
        let found = if counts_unread(req.uri().path()) {
            state
                .store
                .session_with_unread(&hash, now_seconds())
                .await
                .map(|s| s.map(|(user, csrf, n)| (user, csrf, Some(n))))
        } else {
            state
                .store
                .session(&hash, now_seconds())
                .await
                .map(|s| s.map(|(user, csrf)| (user, csrf, None)))
        };
        match found {
            Ok(Some((user, csrf, unread))) => {
                session = Some(Session {
                    user,
                    csrf,
                    token_hash: hash,
                    unread,
                })
            }
            Ok(None) => {}
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    let existing_anon = cookie_value(headers, ANON_CSRF_COOKIE)
        .filter(|v| v.len() == 64)
        .map(str::to_owned);
    let new_anon = existing_anon.is_none().then(random_token);
    let anon = existing_anon
        .clone()
        .or(new_anon.clone())
        .unwrap_or_default();

    if req.method() == Method::POST {
        // The limit depends on the route and on who sends it; it is known
        // before the body, so an anonymous 30 Mo body is refused unread.
        let role = session.as_ref().map(|s| s.user.role);
        let route_limit = req.extensions().get::<BodyLimit>().copied();
        let mut limit = route_limit.map_or(FORM_BYTES, |b| b.bytes_for(role));
        let streamed = route_limit.is_some_and(|b| b.streams_for(role));
        let expected = match &session {
            Some(s) => s.csrf.clone(),
            None => existing_anon.clone().unwrap_or_default(),
        };
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let multipart_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.starts_with("multipart/form-data"))
            .map(str::to_owned);
        if streamed && multipart_type.is_none() {
            // A pasted text sent to an upload route without its file: read whole.
            limit = limit.min(PASTED_FILE_BYTES);
        }
        if declared_length(req.headers()).is_some_and(|n| n > limit as u64) {
            return too_large(limit).into_response();
        }
        let (parts, body) = req.into_parts();
        if streamed && let Some(content_type) = &multipart_type {
            // An upload: only its head is read here, for the CSRF token (the
            // first field of the form); the handler streams the rest to disk.
            let body =
                match crate::request::upload::checked_stream(body, content_type, &expected, limit)
                    .await
                {
                    Ok(b) => b,
                    Err(refusal) => return refusal.into_response(),
                };
            req = Request::from_parts(parts, body);
        } else {
            let body =
                match buffered_body(body, limit, is_form, multipart_type.as_deref(), &expected)
                    .await
                {
                    Ok(b) => b,
                    Err(refusal) => return refusal.into_response(),
                };
            req = Request::from_parts(parts, body);
        }
    } else {
        // No other method reads a body: never buffer one.
        *req.body_mut() = Body::empty();
    }
    // A password set by an administrator must be replaced before anything else.
    if let Some(s) = &session
        && s.user.must_change_password
        && !matches!(req.uri().path(), "/mot-de-passe" | "/deconnexion")
        && !req.uri().path().starts_with("/static/")
    {
        return Redirect::to("/mot-de-passe").into_response();
    }
    if let Some(s) = session {
        req.extensions_mut().insert(s);
    }
    req.extensions_mut().insert(AnonCsrf(anon));
    let mut response = next.run(req).await;
    if let Some(token) = new_anon {
        response.headers_mut().append(
            SET_COOKIE,
            cookie(&state, ANON_CSRF_COOKIE, &token, 24 * 3600),
        );
    }
    response
}

pub async fn login_form(
    State(state): State<AppState>,
    axum::Extension(AnonCsrf(csrf)): axum::Extension<AnonCsrf>,
    session: Option<axum::Extension<Session>>,
) -> AppResult<Response> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let mut layout = Layout::anonymous("Connexion");
    layout.csrf = csrf;
    Ok(LoginPage {
        layout,
        email: String::new(),
        error: None,
        proconnect: crate::auth::oidc::button_label(&state),
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// « 3 secondes », « 5 minutes »: how long to wait, for the user.
fn wait_text(seconds: i64) -> String {
    match seconds {
        ..=1 => "1 seconde".to_owned(),
        2..=119 => format!("{seconds} secondes"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

pub async fn login(
    State(state): State<AppState>,
    axum::Extension(AnonCsrf(csrf)): axum::Extension<AnonCsrf>,
    ClientAddress(ip): ClientAddress,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let now = now_ms / 1000;
    let policy = state.config.throttle;
    let render_error = |status: StatusCode, message: &str| -> AppResult<Response> {
        let mut layout = Layout::anonymous("Connexion");
        layout.csrf = csrf.clone();
        let page = LoginPage {
            layout,
            email: form.email.clone(),
            error: Some(message.to_owned()),
            proconnect: crate::auth::oidc::button_label(&state),
        };
        Ok(page.with_status(status))
    };
    // Counted before the password is checked, in one transaction with the
    // check of the delays: parallel attempts cannot all reach the hash.
    let account = ThrottleKey::account(&form.email);
    let address = ip.map(ThrottleKey::address);
    let keys: Vec<ThrottleKey> = std::iter::once(account.clone())
        .chain(address.clone())
        .collect();
    let reserved = state
        .store
        .reserve_login_attempt(&keys, now_ms, &policy)
        .await?;
    if let Err(e) = state.store.purge_login_throttle(now_ms, &policy).await {
        tracing::warn!(error = %e, "purge des tentatives de connexion");
    }
    if let Err(wait) = reserved {
        tracing::info!(compte = %form.email, adresse = ?ip, attente = wait.seconds, "connexion retardée");
        let mut response = render_error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Trop de tentatives de connexion : réessayez dans {}. \
                 Chaque nouvel échec allonge ce délai ; le bon mot de passe le remet à zéro.",
                wait_text(wait.seconds)
            ),
        )?;
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(wait.seconds.max(1)));
        return Ok(response);
    }
    let user = state.store.user_by_email(&form.email).await?;
    // argon2 takes tens of milliseconds of CPU: off the async threads.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            // Same work for an unknown address, so that timing does not tell which accounts exist.
            let _ = password::hash(&password);
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("vérification du mot de passe : {e}")))?;
    let Some(user) = user.filter(|_| ok) else {
        return render_error(
            StatusCode::UNAUTHORIZED,
            "Adresse électronique ou mot de passe incorrect.",
        );
    };
    state
        .store
        .login_succeeded(&account, address.as_ref())
        .await?;
    if !user.active {
        // Only said once the password is right, so it reveals nothing to a guesser.
        return render_error(
            StatusCode::FORBIDDEN,
            "Ce compte est désactivé : adressez-vous à l'administrateur de la plateforme.",
        );
    }
    state.store.record_login(&user.id).await?;
    let token = random_token();
    let csrf_token = random_token();
    let expires = now + state.config.session_seconds;
    state
        .store
        .create_session(&token_hash(&token), &user.id, &csrf_token, now, expires)
        .await?;
    tracing::info!(user = %user.email, "connexion");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        cookie(&state, SESSION_COOKIE, &token, state.config.session_seconds),
    );
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
) -> AppResult<Response> {
    // A session opened through OIDC also ends at the provider.
    let mut provider_logout = None;
    if let Some(axum::Extension(s)) = session {
        provider_logout = crate::auth::oidc::end_session_url(&state, &s.token_hash).await;
        state.store.delete_session(&s.token_hash).await?;
    }
    let mut response = match provider_logout.as_deref() {
        Some(url) => Redirect::to(url).into_response(),
        None => flash::redirect("/connexion", Flash::LoggedOut),
    };
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", 0));
    Ok(response)
}

pub async fn password_form(CurrentUser(s): CurrentUser) -> AppResult<PasswordPage> {
    let layout = Layout::for_user("Changer de mot de passe", &s.user, &s.csrf);
    let error = s.user.must_change_password.then(|| {
        "Votre mot de passe a été fixé par un administrateur : choisissez-en un nouveau pour continuer."
            .to_owned()
    });
    Ok(PasswordPage {
        layout,
        error,
        done: false,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let owner = policy::Owner {
        email: &s.user.email,
        name: &s.user.display_name,
        current_hash: Some(&s.user.password_hash),
    };
    let error = if !verify_password(&form.current, &s.user.password_hash) {
        Some("Le mot de passe actuel est incorrect.".to_owned())
    } else if form.new != form.confirm {
        Some("Les deux saisies du nouveau mot de passe diffèrent.".to_owned())
    } else if let Err(e) = policy::check(&form.new, owner) {
        Some(format!("Nouveau mot de passe : {e}."))
    } else {
        None
    };
    if let Some(error) = error {
        let layout = Layout::for_user("Changer de mot de passe", &s.user, &s.csrf);
        let page = PasswordPage {
            layout,
            error: Some(error),
            done: false,
        };
        return Ok(page.invalid());
    }
    let hash = hash_password(&form.new)?;
    // Changing the password ends every session, this one included: log in again.
    state
        .store
        .set_password_hash(&Actor::user(&s.user), &s.user, &hash)
        .await?;
    let mut response = flash::redirect("/connexion", Flash::PasswordChanged);
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", 0));
    Ok(response)
}
