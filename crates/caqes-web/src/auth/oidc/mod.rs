//! OIDC login (ProConnect, the identity federation of the State's agents),
//! beside the local accounts, when configured ([`OidcConfig`]).
//!
//! Authorization code flow as ProConnect documents it for a service provider:
//! the provider is found by discovery (`/.well-known/openid-configuration`);
//! `/connexion/oidc` sends the browser to the `authorization_endpoint` with a
//! random `state` and `nonce` (and a PKCE S256 challenge when the provider
//! advertises it), kept server-side (`oidc_logins`, one use, ten minutes) and
//! tied to the browser by its pre-login CSRF cookie; `/connexion/oidc/retour`
//! exchanges the code, verifies the id_token (RS256 against the provider's
//! JWKS, `iss`, `aud`, `exp`, `iat`, `nonce`), reads the userinfo (a signed
//! JWT for ProConnect, or JSON), and opens a normal session for the EXISTING
//! local account with that e-mail address: nobody gets an account by logging
//! in. Logging out of such a session also ends the provider's session
//! (`end_session_endpoint` with `id_token_hint`).
//!
//! Every failure gives a French page; tokens, codes and the client secret are
//! never written to the log or to a page.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, SET_COOKIE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use caqes_store::accounts::oidc::PendingOidcLogin;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::{
    AnonCsrf, SESSION_COOKIE, Session, cookie, now_seconds, random_token, token_hash,
};
use crate::request::extract::Query;
use crate::request::state::AppState;
use crate::ui::{ErrorPage, Layout};

pub mod provider;

use provider::*;
pub use provider::{
    DEFAULT_BUTTON_LABEL, DEFAULT_SCOPES, OidcConfig, OidcConfigError, OidcError, OidcSettings,
    Secret, is_allowed_provider_url,
};

impl From<askama::Error> for OidcError {
    fn from(e: askama::Error) -> Self {
        OidcError::Internal(format!("gabarit : {e}"))
    }
}

impl OidcError {
    fn page(&self) -> (StatusCode, String) {
        match self {
            OidcError::NotConfigured => (
                StatusCode::NOT_FOUND,
                "La page demandée n'existe pas ou vous n'y avez pas accès.".into(),
            ),
            OidcError::Provider(_) => (
                StatusCode::BAD_GATEWAY,
                "Le service ProConnect n'a pas répondu comme attendu : réessayez plus tard ou \
                 connectez-vous avec votre compte local."
                    .into(),
            ),
            OidcError::Denied(_) => (
                StatusCode::UNAUTHORIZED,
                "La connexion avec ProConnect a été annulée ou refusée.".into(),
            ),
            OidcError::UnknownState => (
                StatusCode::BAD_REQUEST,
                "Cette demande de connexion a expiré, a déjà servi ou a été ouverte dans un autre \
                 navigateur : recommencez la connexion depuis la page de connexion."
                    .into(),
            ),
            OidcError::InvalidToken(_) => (
                StatusCode::UNAUTHORIZED,
                "La réponse de ProConnect n'a pas pu être vérifiée : la connexion est refusée."
                    .into(),
            ),
            OidcError::NoEmail => (
                StatusCode::FORBIDDEN,
                "ProConnect n'a pas transmis d'adresse électronique vérifiée : la connexion est \
                 impossible."
                    .into(),
            ),
            OidcError::UnknownAccount(email) => (
                StatusCode::FORBIDDEN,
                format!(
                    "Aucun compte CAQES actif ne correspond à l'adresse {email}. Les comptes ne \
                     sont pas créés à la connexion : demandez à l'administrateur CAQES de votre \
                     région de vous ouvrir un compte avec cette adresse."
                ),
            ),
            OidcError::Store(_) | OidcError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur technique est survenue ; réessayez plus tard.".into(),
            ),
        }
    }
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        match &self {
            OidcError::Store(_) | OidcError::Internal(_) => {
                tracing::error!(error = %self, "connexion OIDC : erreur interne")
            }
            OidcError::NotConfigured => {}
            _ => tracing::warn!(cause = %self, "connexion OIDC refusée"),
        }
        let (status, message) = self.page();
        let page = ErrorPage {
            layout: Layout::anonymous("Connexion avec ProConnect impossible"),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, "Connexion avec ProConnect impossible").into_response(),
        }
    }
}

/// The brand of the login button, `None` when OIDC is not configured.
pub fn button_label(state: &AppState) -> Option<String> {
    state
        .config
        .oidc
        .as_ref()
        .map(|c| c.settings.button_label.clone())
}

/// The provider's `scheme://host[:port]`, allowed as a form target by the
/// content security policy (its endpoints share the issuer's origin, as
/// ProConnect's do).
pub fn provider_origin(state: &AppState) -> Option<&str> {
    origin(&state.config.oidc.as_ref()?.settings.issuer)
}

/// `GET /connexion/oidc`: sends the browser to the provider.
pub async fn start(
    State(state): State<AppState>,
    Extension(AnonCsrf(browser)): Extension<AnonCsrf>,
    session: Option<Extension<Session>>,
) -> Response {
    if session.is_some() {
        return Redirect::to("/").into_response();
    }
    match authorization_url(&state, &browser).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn authorization_url(state: &AppState, browser: &str) -> Result<String, OidcError> {
    let cfg = state.config.oidc.as_ref().ok_or(OidcError::NotConfigured)?;
    let meta = cfg.metadata().await?;
    let login_state = random_token();
    let nonce = random_token();
    // PKCE only when advertised: ProConnect refuses any parameter it does not know.
    let pkce = meta
        .code_challenge_methods_supported
        .iter()
        .any(|m| m == "S256");
    let verifier = if pkce {
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    } else {
        String::new()
    };
    let now = now_seconds();
    state
        .store
        .create_oidc_login(
            &token_hash(&login_state),
            &PendingOidcLogin {
                browser_hash: token_hash(browser),
                nonce: nonce.clone(),
                pkce_verifier: verifier.clone(),
            },
            now,
            now + LOGIN_SECONDS,
        )
        .await?;
    let s = &cfg.settings;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", s.client_id.as_str()),
        ("redirect_uri", s.redirect_url.as_str()),
        ("scope", s.scopes.as_str()),
        ("state", login_state.as_str()),
        ("nonce", nonce.as_str()),
    ];
    if pkce {
        params.push(("code_challenge", challenge.as_str()));
        params.push(("code_challenge_method", "S256"));
    }
    if let Some(acr) = s.acr_values.as_deref() {
        params.push(("acr_values", acr));
    }
    with_query(&meta.authorization_endpoint, &params)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /connexion/oidc/retour`: the provider sends the browser back here.
pub async fn callback(
    State(state): State<AppState>,
    Extension(AnonCsrf(browser)): Extension<AnonCsrf>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    match finish_login(&state, &browser, query).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn finish_login(
    state: &AppState,
    browser: &str,
    query: CallbackQuery,
) -> Result<Response, OidcError> {
    let cfg = state.config.oidc.as_ref().ok_or(OidcError::NotConfigured)?;
    let now = now_seconds();
    // The state is consumed before anything else, so that it serves once
    // whatever happens next.
    let login_state = query.state.ok_or(OidcError::UnknownState)?;
    let pending = state
        .store
        .take_oidc_login(&token_hash(&login_state), now)
        .await?
        .ok_or(OidcError::UnknownState)?;
    if !constant_time_eq(
        pending.browser_hash.as_bytes(),
        token_hash(browser).as_bytes(),
    ) {
        return Err(OidcError::UnknownState);
    }
    if let Some(error) = query.error {
        // Only the OAuth error code (a short ASCII word) goes to the log.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(OidcError::Denied(code));
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OidcError::Provider("retour sans code d'autorisation".into()))?;
    let meta = cfg.metadata().await?;
    let tokens = exchange_code(cfg, &meta, &code, &pending.pkce_verifier).await?;

    let id_claims = cfg.verify_jws(&meta, &tokens.id_token).await?;
    cfg.check_id_token(&id_claims, &pending.nonce, now)?;
    let subject = id_claims.get("sub").and_then(Value::as_str).unwrap_or("");

    let identity = match &meta.userinfo_endpoint {
        Some(url) => {
            let info = userinfo(cfg, &meta, url, &tokens.access_token).await?;
            // OpenID Connect Core 5.3.2: the userinfo must be about the same person.
            if info.get("sub").and_then(Value::as_str) != Some(subject) {
                return Err(OidcError::InvalidToken(
                    "le sub du userinfo diffère de celui de l'id_token".into(),
                ));
            }
            info
        }
        None => id_claims.clone(),
    };
    let email = identity
        .get("email")
        .or_else(|| id_claims.get("email"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| e.contains('@'))
        .ok_or(OidcError::NoEmail)?;
    // ProConnect's identity providers only give professional addresses they
    // checked and send no `email_verified`; a provider that says false is refused.
    if identity.get("email_verified").and_then(Value::as_bool) == Some(false) {
        return Err(OidcError::NoEmail);
    }
    let user = state
        .store
        .user_by_email(email)
        .await?
        // A deactivated account is refused like an unknown one: the page sends
        // the person to their administrator either way.
        .filter(|u| u.active)
        .ok_or_else(|| OidcError::UnknownAccount(email.to_owned()))?;
    state.store.record_login(&user.id).await?;

    let token = random_token();
    let csrf = random_token();
    let expires = now + state.config.session_seconds;
    state
        .store
        .create_oidc_session(
            &token_hash(&token),
            &user.id,
            &csrf,
            now,
            expires,
            &tokens.id_token,
        )
        .await?;
    tracing::info!(user = %user.email, "connexion (OIDC)");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        cookie(state, SESSION_COOKIE, &token, state.config.session_seconds),
    );
    Ok(response)
}

async fn exchange_code(
    cfg: &OidcConfig,
    meta: &Metadata,
    code: &str,
    verifier: &str,
) -> Result<TokenResponse, OidcError> {
    let s = &cfg.settings;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", s.redirect_url.as_str()),
    ];
    if !verifier.is_empty() {
        form.push(("code_verifier", verifier));
    }
    // client_secret_post when advertised (ProConnect), else HTTP Basic, the
    // default of OpenID Connect Discovery.
    let post = meta
        .token_endpoint_auth_methods_supported
        .iter()
        .any(|m| m == "client_secret_post");
    let mut request = cfg.provider.http.post(&meta.token_endpoint);
    if post {
        form.push(("client_id", s.client_id.as_str()));
        form.push(("client_secret", s.client_secret.0.as_str()));
    } else {
        // RFC 6749 2.3.1: both parts form-encoded before Base64.
        let enc = |v: &str| {
            let pair = serde_urlencoded::to_string([("", v)]).unwrap_or_default();
            pair.get(1..).unwrap_or_default().to_owned()
        };
        let basic = STANDARD.encode(format!("{}:{}", enc(&s.client_id), enc(&s.client_secret.0)));
        request = request.header(AUTHORIZATION, format!("Basic {basic}"));
    }
    let body = serde_urlencoded::to_string(&form)
        .map_err(|e| OidcError::Internal(format!("formulaire : {e}")))?;
    let res = request
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| OidcError::Provider(format!("point d'accès token injoignable : {e}")))?;
    if !res.status().is_success() {
        return Err(OidcError::Provider(format!(
            "le point d'accès token a répondu {}",
            res.status()
        )));
    }
    let bytes = res
        .bytes()
        .await
        .map_err(|_| OidcError::Provider("réponse du point d'accès token interrompue".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| OidcError::Provider("réponse du point d'accès token illisible".into()))
}

async fn userinfo(
    cfg: &OidcConfig,
    meta: &Metadata,
    url: &str,
    access_token: &str,
) -> Result<Map<String, Value>, OidcError> {
    let res = cfg
        .provider
        .http
        .get(url)
        .header(AUTHORIZATION, format!("Bearer {access_token}"))
        .send()
        .await
        .map_err(|e| OidcError::Provider(format!("userinfo injoignable : {e}")))?;
    if !res.status().is_success() {
        return Err(OidcError::Provider(format!(
            "userinfo a répondu {}",
            res.status()
        )));
    }
    let is_jwt = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/jwt"));
    let text = res
        .text()
        .await
        .map_err(|_| OidcError::Provider("userinfo illisible".into()))?;
    if is_jwt {
        // ProConnect signs the userinfo: same keys and same checks of iss and aud.
        let claims = cfg.verify_jws(meta, text.trim()).await?;
        cfg.check_issuer_and_audience(&claims)?;
        Ok(claims)
    } else {
        serde_json::from_str(&text).map_err(|_| OidcError::Provider("userinfo illisible".into()))
    }
}

/// Where logout sends the browser when the session came from OIDC: the
/// provider's `end_session_endpoint`, so that its session ends too. `None`
/// for a local session, or when the provider cannot be reached (the local
/// session is closed anyway).
pub async fn end_session_url(state: &AppState, session_hash: &str) -> Option<String> {
    let cfg = state.config.oidc.as_ref()?;
    let id_token = match state.store.oidc_id_token(session_hash).await {
        Ok(t) => t?,
        Err(e) => {
            tracing::error!(error = %e, "déconnexion OIDC : lecture de la session");
            return None;
        }
    };
    let meta = match cfg.metadata().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(cause = %e, "déconnexion OIDC : fournisseur injoignable");
            return None;
        }
    };
    let endpoint = meta.end_session_endpoint.as_deref()?;
    // ProConnect requires a state; nothing is attached to it on the way back,
    // since the local session is already closed when the browser returns.
    let logout_state = random_token();
    let back = cfg
        .settings
        .post_logout_redirect_url
        .as_deref()
        .unwrap_or("/connexion");
    with_query(
        endpoint,
        &[
            ("id_token_hint", id_token.as_str()),
            ("state", logout_state.as_str()),
            ("post_logout_redirect_uri", back),
        ],
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_providers() {
        for ok in [
            "https://proconnect.gouv.fr/api/v2",
            "http://127.0.0.1:8080/x",
            "http://localhost",
            "http://[::1]:9000",
        ] {
            assert!(is_allowed_provider_url(ok), "{ok}");
        }
        for bad in [
            "http://proconnect.gouv.fr/api/v2",
            "http://127.0.0.1.evil.fr/",
            "http://localhost.evil.fr",
            "http://127.0.0.1@evil.fr/",
            "ftp://127.0.0.1/",
            "https:///x",
            "https://idp.example/a b",
            "https://idp.example/\n",
            "",
        ] {
            assert!(!is_allowed_provider_url(bad), "{bad}");
        }
    }

    #[test]
    fn origin_of_redirect_url() {
        assert_eq!(
            origin("https://caqes.ars.fr/connexion/oidc/retour"),
            Some("https://caqes.ars.fr")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("caqes.ars.fr/x"), None);
    }

    fn settings(issuer: &str) -> OidcSettings {
        OidcSettings {
            issuer: issuer.into(),
            client_id: "client".into(),
            client_secret: Secret::new("s3cret-value"),
            redirect_url: "https://caqes.example/connexion/oidc/retour".into(),
            post_logout_redirect_url: None,
            scopes: DEFAULT_SCOPES.into(),
            acr_values: None,
            button_label: String::new(),
        }
    }

    #[test]
    fn settings_are_checked_and_the_secret_never_prints() {
        let cfg = OidcConfig::new(settings("https://idp.example/api/v2/")).unwrap();
        assert_eq!(cfg.settings().issuer, "https://idp.example/api/v2");
        assert_eq!(
            cfg.settings().post_logout_redirect_url.as_deref(),
            Some("https://caqes.example/connexion")
        );
        assert_eq!(cfg.settings().button_label, "ProConnect");
        assert!(!format!("{cfg:?}").contains("s3cret"));
        assert!(matches!(
            OidcConfig::new(settings("http://idp.example")),
            Err(OidcConfigError::Issuer(_))
        ));
        let mut s = settings("https://idp.example");
        s.scopes = "openid profile".into();
        assert!(matches!(
            OidcConfig::new(s),
            Err(OidcConfigError::Scopes(_))
        ));
        let mut s = settings("https://idp.example");
        s.client_secret = Secret::new("");
        assert!(matches!(
            OidcConfig::new(s),
            Err(OidcConfigError::Missing(_))
        ));
    }
}
