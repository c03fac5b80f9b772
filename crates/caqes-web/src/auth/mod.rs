//! Local accounts: argon2id hashes, session cookies, CSRF tokens, login
//! throttling, logout and password change.
//!
//! Sessions are rows in the database keyed by a SHA-256 of the cookie value.
//! Every POST must carry a `_csrf` form field equal to the session's token
//! (or, before login, to the `caqes_csrf` cookie: double-submit), checked
//! once in [`session_layer`] for every route, so no handler can forget it.

pub mod oidc;

use askama::Template;
use axum::Form;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_store::accounts::password;
use caqes_store::{Actor, User};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::ui::{Layout, LoginPage, PasswordPage};

pub const SESSION_COOKIE: &str = "caqes_session";
pub const ANON_CSRF_COOKIE: &str = "caqes_csrf";
/// Failed logins allowed per account within [`THROTTLE_WINDOW`] seconds.
pub const MAX_FAILURES: i64 = 5;
pub const THROTTLE_WINDOW: i64 = 15 * 60;
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
/// Limit of a file upload (multipart form), e.g. a regional Open PHMEV extract.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
const MIN_PASSWORD_CHARS: usize = 12;

/// The logged-in user of a request, put there by [`session_layer`].
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    token_hash: String,
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
    password::hash(password).map_err(|e| AppError::Internal(e.to_string()))
}

pub use password::verify as verify_password;

pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
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

/// The `_csrf` field of a multipart body (the session layer buffers the body
/// first). Browsers send fields in document order and every upload form puts
/// the hidden field first, so only the first 64 Kio are parsed: the file that
/// follows is never scanned twice, and a token placed after it is refused.
async fn multipart_csrf(content_type: &str, body: axum::body::Bytes) -> Option<String> {
    let head = body.slice(..body.len().min(64 * 1024));
    let req = axum::http::Request::builder()
        .header(CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(head))
        .ok()?;
    let mut multipart =
        <axum::extract::Multipart as axum::extract::FromRequest<()>>::from_request(req, &())
            .await
            .ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("_csrf") {
            return field.text().await.ok();
        }
    }
    None
}

/// Loads the session, checks the CSRF token of every POST, and sets the
/// pre-login CSRF cookie when missing.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let mut session = None;
    if let Some(token) = cookie_value(headers, SESSION_COOKIE) {
        let hash = token_hash(token);
        match state.store.session(&hash, now_seconds()).await {
            Ok(Some((user, csrf))) => {
                session = Some(Session {
                    user,
                    csrf,
                    token_hash: hash,
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
        let expected = match &session {
            Some(s) => s.csrf.clone(),
            None => existing_anon.clone().unwrap_or_default(),
        };
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        // Uploads of evidence documents: multipart, with a larger limit.
        let multipart_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.starts_with("multipart/form-data"))
            .map(str::to_owned);
        let limit = if multipart_type.is_some() {
            MAX_UPLOAD_BYTES
        } else {
            MAX_FORM_BYTES
        };
        let (parts, body) = req.into_parts();
        let bytes = match to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "formulaire trop volumineux")
                    .into_response();
            }
        };
        let given = if is_form {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|pairs| {
                    pairs
                        .into_iter()
                        .find(|(k, _)| k == "_csrf")
                        .map(|(_, v)| v)
                })
        } else if let Some(content_type) = &multipart_type {
            multipart_csrf(content_type, bytes.clone()).await
        } else {
            None
        };
        if expected.is_empty() || given.as_deref() != Some(expected.as_str()) {
            return AppError::Forbidden(
                "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page et recommencez."
                    .into(),
            )
            .into_response();
        }
        req = Request::from_parts(parts, Body::from(bytes));
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
    Ok(Html(
        LoginPage {
            layout,
            email: String::new(),
            error: None,
            proconnect: crate::auth::oidc::button_label(&state),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    axum::Extension(AnonCsrf(csrf)): axum::Extension<AnonCsrf>,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let now = now_seconds();
    let failures = state
        .store
        .login_failures_since(&form.email, now - THROTTLE_WINDOW)
        .await?;
    let render_error = |status: StatusCode, message: &str| -> AppResult<Response> {
        let mut layout = Layout::anonymous("Connexion");
        layout.csrf = csrf.clone();
        let page = LoginPage {
            layout,
            email: form.email.clone(),
            error: Some(message.to_owned()),
            proconnect: crate::auth::oidc::button_label(&state),
        };
        Ok((status, Html(page.render()?)).into_response())
    };
    if failures >= MAX_FAILURES {
        return render_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives de connexion pour ce compte : réessayez dans 15 minutes.",
        );
    }
    let user = state.store.user_by_email(&form.email).await?;
    let ok = match &user {
        Some(u) => verify_password(&form.password, &u.password_hash),
        None => {
            // Same work for an unknown address, so that timing does not tell which accounts exist.
            let _ = hash_password(&form.password);
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.store.record_login_failure(&form.email, now).await?;
        return render_error(
            StatusCode::UNAUTHORIZED,
            "Adresse électronique ou mot de passe incorrect.",
        );
    };
    if !user.active {
        // Only said once the password is right, so it reveals nothing to a guesser.
        return render_error(
            StatusCode::FORBIDDEN,
            "Ce compte est désactivé : adressez-vous à l'administrateur de la plateforme.",
        );
    }
    state.store.clear_login_failures(&form.email).await?;
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
    let mut response =
        Redirect::to(provider_logout.as_deref().unwrap_or("/connexion")).into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", 0));
    Ok(response)
}

pub async fn password_form(CurrentUser(s): CurrentUser) -> AppResult<Html<String>> {
    let layout = Layout::for_user("Changer de mot de passe", &s.user, &s.csrf);
    let error = s.user.must_change_password.then(|| {
        "Votre mot de passe a été fixé par un administrateur : choisissez-en un nouveau pour continuer."
            .to_owned()
    });
    Ok(Html(
        PasswordPage {
            layout,
            error,
            done: false,
        }
        .render()?,
    ))
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
    let error = if !verify_password(&form.current, &s.user.password_hash) {
        Some("Le mot de passe actuel est incorrect.".to_owned())
    } else if form.new.chars().count() < MIN_PASSWORD_CHARS {
        Some(format!(
            "Le nouveau mot de passe doit comporter au moins {MIN_PASSWORD_CHARS} caractères."
        ))
    } else if form.new != form.confirm {
        Some("Les deux saisies du nouveau mot de passe diffèrent.".to_owned())
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
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    let hash = hash_password(&form.new)?;
    // Changing the password ends every session, this one included: log in again.
    state
        .store
        .set_password_hash(&Actor::user(&s.user), &s.user, &hash)
        .await?;
    let mut response = Redirect::to("/connexion").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", 0));
    Ok(response)
}
