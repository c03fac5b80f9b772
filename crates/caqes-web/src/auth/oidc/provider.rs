//! The OIDC provider as the site knows it: settings, discovery document,
//! signing keys and the checks of an id_token (no request handling here:
//! the handlers are in the parent module).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::header::ACCEPT;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::Sha256;

/// How long a login may stay at the provider before its `state` is refused.
pub(crate) const LOGIN_SECONDS: i64 = 10 * 60;
/// Clock difference tolerated with the provider, in seconds.
pub(crate) const LEEWAY: i64 = 60;
/// An id_token issued longer ago than this is refused (replay of an old token).
pub(crate) const MAX_ID_TOKEN_AGE: i64 = 10 * 60;
/// The discovery document is read again after this many seconds.
pub(crate) const METADATA_SECONDS: i64 = 3600;
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// A value that never prints (the client secret).
#[derive(Clone)]
pub struct Secret(pub(super) String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The settings of the OIDC login, as an administrator gives them.
#[derive(Clone, Debug)]
pub struct OidcSettings {
    /// The provider's issuer, e.g. `https://proconnect.gouv.fr/api/v2`: its
    /// discovery document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// From the environment only (`CAQES_OIDC_CLIENT_SECRET`), never logged.
    pub client_secret: Secret,
    /// This site's `/connexion/oidc/retour`, exactly as registered with the provider.
    pub redirect_url: String,
    /// Where the provider sends the browser back after logout; by default
    /// `/connexion` on the host of `redirect_url`.
    pub post_logout_redirect_url: Option<String>,
    /// Space-separated; `openid` and `email` are needed.
    pub scopes: String,
    /// Optional `acr_values` (e.g. `eidas1`).
    pub acr_values: Option<String>,
    /// The brand shown in the button (« S'identifier avec … »).
    pub button_label: String,
}

pub const DEFAULT_SCOPES: &str = "openid email given_name usual_name uid siret";
pub const DEFAULT_BUTTON_LABEL: &str = "ProConnect";

#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error(
        "adresse de l'émetteur OIDC invalide « {0} » : HTTPS obligatoire (http seulement pour 127.0.0.1 ou localhost)"
    )]
    Issuer(String),
    #[error("réglage OIDC manquant : {0}")]
    Missing(&'static str),
    #[error("les portées OIDC (scopes) doivent comprendre « openid » et « email » : « {0} »")]
    Scopes(String),
    #[error("adresse de retour OIDC invalide « {0} » (attendu http:// ou https://)")]
    RedirectUrl(String),
    #[error("client HTTP : {0}")]
    Http(String),
}

/// The OIDC login of a running site: its settings and what it learned from
/// the provider (discovery document, signing keys), shared by every request.
#[derive(Clone)]
pub struct OidcConfig {
    pub(crate) settings: OidcSettings,
    pub(crate) provider: Arc<Provider>,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Provider {
    pub(crate) http: reqwest::Client,
    pub(crate) cache: Mutex<Cache>,
}

#[derive(Default)]
pub(crate) struct Cache {
    pub(crate) metadata: Option<(Arc<Metadata>, i64)>,
    pub(crate) keys: Vec<Jwk>,
}

impl OidcConfig {
    pub fn new(mut settings: OidcSettings) -> Result<OidcConfig, OidcConfigError> {
        settings.issuer = settings.issuer.trim().trim_end_matches('/').to_owned();
        if !is_allowed_provider_url(&settings.issuer) {
            return Err(OidcConfigError::Issuer(settings.issuer));
        }
        if settings.client_id.trim().is_empty() {
            return Err(OidcConfigError::Missing(
                "identifiant du client (client_id)",
            ));
        }
        if settings.client_secret.0.is_empty() {
            return Err(OidcConfigError::Missing(
                "secret du client (variable CAQES_OIDC_CLIENT_SECRET)",
            ));
        }
        let scopes: Vec<&str> = settings.scopes.split_whitespace().collect();
        if !scopes.contains(&"openid") || !scopes.contains(&"email") {
            return Err(OidcConfigError::Scopes(settings.scopes));
        }
        settings.scopes = scopes.join(" ");
        let Some(origin) = origin(&settings.redirect_url) else {
            return Err(OidcConfigError::RedirectUrl(settings.redirect_url));
        };
        if settings.post_logout_redirect_url.is_none() {
            settings.post_logout_redirect_url = Some(format!("{origin}/connexion"));
        }
        if settings.button_label.trim().is_empty() {
            settings.button_label = DEFAULT_BUTTON_LABEL.to_owned();
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // An endpoint that redirects is a misconfiguration, not something to follow.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcConfigError::Http(e.to_string()))?;
        Ok(OidcConfig {
            settings,
            provider: Arc::new(Provider {
                http,
                cache: Mutex::new(Cache::default()),
            }),
        })
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    pub(crate) fn cache(&self) -> Result<std::sync::MutexGuard<'_, Cache>, OidcError> {
        self.provider
            .cache
            .lock()
            .map_err(|_| OidcError::Internal("cache OIDC inutilisable".into()))
    }

    pub(crate) async fn metadata(&self) -> Result<Arc<Metadata>, OidcError> {
        let now = jiff::Timestamp::now().as_second();
        if let Some((m, at)) = &self.cache()?.metadata
            && now - at < METADATA_SECONDS
        {
            return Ok(m.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer);
        let m: Metadata = self.get_json(&url).await?;
        // The discovery document must speak for the configured issuer (OpenID
        // Connect Discovery 4.3), and every endpoint must be HTTPS.
        if m.issuer.trim_end_matches('/') != self.settings.issuer {
            return Err(OidcError::Provider(format!(
                "le document de découverte annonce l'émetteur « {} »",
                m.issuer
            )));
        }
        let endpoints = [
            Some(&m.authorization_endpoint),
            Some(&m.token_endpoint),
            Some(&m.jwks_uri),
            m.userinfo_endpoint.as_ref(),
            m.end_session_endpoint.as_ref(),
        ];
        if let Some(bad) = endpoints
            .into_iter()
            .flatten()
            .find(|u| !is_allowed_provider_url(u))
        {
            return Err(OidcError::Provider(format!(
                "point d'accès non HTTPS dans la découverte : {bad}"
            )));
        }
        let m = Arc::new(m);
        self.cache()?.metadata = Some((m.clone(), now));
        Ok(m)
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let res = self
            .provider
            .http
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("{url} injoignable : {e}")))?;
        if !res.status().is_success() {
            return Err(OidcError::Provider(format!(
                "{url} a répondu {}",
                res.status()
            )));
        }
        let bytes = res
            .bytes()
            .await
            .map_err(|e| OidcError::Provider(format!("{url} : réponse interrompue : {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| OidcError::Provider(format!("{url} : réponse illisible : {e}")))
    }

    /// The RSA keys that may have signed a token with this `kid`: from the
    /// cache, or from the JWKS read again when the `kid` is unknown (the
    /// provider rotated its keys). Tokens only come from the provider's own
    /// answers (back channel), so nobody can send unknown `kid`s to make us
    /// read the JWKS in a loop.
    pub(crate) async fn keys_for(
        &self,
        meta: &Metadata,
        kid: Option<&str>,
    ) -> Result<Vec<RsaPublicKey>, OidcError> {
        let found = matching_keys(&self.cache()?.keys, kid);
        if !found.is_empty() {
            return Ok(found);
        }
        let set: JwkSet = self.get_json(&meta.jwks_uri).await?;
        let keys: Vec<Jwk> = set.keys.into_iter().filter(|k| k.kty == "RSA").collect();
        let found = matching_keys(&keys, kid);
        self.cache()?.keys = keys;
        Ok(found)
    }

    /// Checks a JWS signed with RS256 by the provider and returns its claims.
    pub(crate) async fn verify_jws(
        &self,
        meta: &Metadata,
        jwt: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let invalid = |why: &str| OidcError::InvalidToken(why.to_owned());
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("jeton mal formé"));
        };
        let header: JwsHeader = decode_json(header).ok_or_else(|| invalid("en-tête illisible"))?;
        // Only RS256: "none" and HS256 (a key shared with the client) are refused.
        if header.alg != "RS256" {
            return Err(OidcError::InvalidToken(format!(
                "algorithme de signature « {} » non accepté (RS256 attendu)",
                header.alg
            )));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|b| Signature::try_from(b.as_slice()).ok())
            .ok_or_else(|| invalid("signature illisible"))?;
        let signed = &jwt[..header_len(jwt)];
        let keys = self.keys_for(meta, header.kid.as_deref()).await?;
        if keys.is_empty() {
            return Err(invalid("clé de signature inconnue"));
        }
        let verified = keys.into_iter().any(|key| {
            VerifyingKey::<Sha256>::new(key)
                .verify(signed.as_bytes(), &signature)
                .is_ok()
        });
        if !verified {
            return Err(invalid("signature invalide"));
        }
        decode_json(payload).ok_or_else(|| invalid("contenu illisible"))
    }

    /// `iss` and `aud` (with `azp` when there are several audiences), shared
    /// by the id_token and a signed userinfo.
    pub(crate) fn check_issuer_and_audience(
        &self,
        claims: &Map<String, Value>,
    ) -> Result<(), OidcError> {
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss.trim_end_matches('/') != self.settings.issuer {
            return Err(OidcError::InvalidToken(format!(
                "émetteur inattendu « {iss} »"
            )));
        }
        let client = self.settings.client_id.as_str();
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => a == client,
            Some(Value::Array(list)) => {
                list.iter().any(|a| a.as_str() == Some(client))
                    && (list.len() == 1
                        || claims.get("azp").and_then(Value::as_str) == Some(client))
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(OidcError::InvalidToken(
                "destinataire (aud) inattendu".into(),
            ))
        }
    }

    pub(crate) fn check_id_token(
        &self,
        claims: &Map<String, Value>,
        nonce: &str,
        now: i64,
    ) -> Result<(), OidcError> {
        self.check_issuer_and_audience(claims)?;
        let exp = claims.get("exp").and_then(Value::as_i64);
        if exp.is_none_or(|exp| exp + LEEWAY <= now) {
            return Err(OidcError::InvalidToken("jeton expiré".into()));
        }
        let iat = claims.get("iat").and_then(Value::as_i64);
        if iat.is_none_or(|iat| iat > now + LEEWAY || iat < now - MAX_ID_TOKEN_AGE) {
            return Err(OidcError::InvalidToken(
                "date d'émission (iat) absente ou hors délai".into(),
            ));
        }
        let given = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !constant_time_eq(given.as_bytes(), nonce.as_bytes()) {
            return Err(OidcError::InvalidToken(
                "nonce différent de celui envoyé".into(),
            ));
        }
        if claims
            .get("sub")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(OidcError::InvalidToken("identifiant (sub) absent".into()));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: String,
    pub(crate) token_endpoint: String,
    pub(crate) userinfo_endpoint: Option<String>,
    pub(crate) jwks_uri: String,
    pub(crate) end_session_endpoint: Option<String>,
    #[serde(default)]
    pub(crate) token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub(crate) code_challenge_methods_supported: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct JwkSet {
    pub(crate) keys: Vec<Jwk>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Jwk {
    pub(crate) kty: String,
    pub(crate) kid: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    #[serde(rename = "use")]
    pub(crate) usage: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct JwsHeader {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) id_token: String,
}

pub(crate) fn matching_keys(keys: &[Jwk], kid: Option<&str>) -> Vec<RsaPublicKey> {
    keys.iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .filter(|k| k.usage.as_deref().is_none_or(|u| u == "sig"))
        .filter_map(rsa_key)
        .collect()
}

pub(crate) fn rsa_key(jwk: &Jwk) -> Option<RsaPublicKey> {
    let n = URL_SAFE_NO_PAD.decode(jwk.n.as_deref()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.e.as_deref()?).ok()?;
    let key = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()?;
    (key.size() * 8 >= MIN_RSA_BITS).then_some(key)
}

/// The length of `header.payload`, the part a JWS signs.
pub(crate) fn header_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(0)
}

pub(crate) fn decode_json<T: DeserializeOwned>(part: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HTTPS, or plain HTTP on the loopback only (tests, local development).
pub fn is_allowed_provider_url(url: &str) -> bool {
    // Visible ASCII only: these URLs end up in `Location` headers.
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    if let Some(rest) = url.strip_prefix("https://") {
        return !rest.is_empty() && !rest.starts_with('/');
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = if authority.starts_with('[') {
        authority.find(']').map_or(authority, |i| &authority[..=i])
    } else {
        authority.split_once(':').map_or(authority, |(h, _)| h)
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// `scheme://host[:port]` of an http(s) URL.
pub(crate) fn origin(url: &str) -> Option<&str> {
    let start = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .map(|rest| url.len() - rest.len())?;
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    (end > start).then(|| &url[..end])
}

pub(crate) fn with_query(endpoint: &str, params: &[(&str, &str)]) -> Result<String, OidcError> {
    let query = serde_urlencoded::to_string(params)
        .map_err(|e| OidcError::Internal(format!("paramètres : {e}")))?;
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{sep}{query}"))
}

/// Why an OIDC login failed: the Display text goes to the log (never a
/// token), [`OidcError::page`] to the user.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("connexion OIDC non configurée")]
    NotConfigured,
    #[error("fournisseur d'identité : {0}")]
    Provider(String),
    #[error("le fournisseur d'identité a refusé ou interrompu la connexion : {0}")]
    Denied(String),
    #[error("state inconnu, déjà utilisé, expiré ou d'un autre navigateur")]
    UnknownState,
    #[error("jeton refusé : {0}")]
    InvalidToken(String),
    #[error("aucune adresse électronique vérifiée transmise")]
    NoEmail,
    #[error("aucun compte actif pour l'adresse {0}")]
    UnknownAccount(String),
    #[error(transparent)]
    Store(#[from] caqes_store::StoreError),
    #[error("{0}")]
    Internal(String),
}
