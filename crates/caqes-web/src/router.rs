//! The route table: every route of the application, in one place.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};

use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;

use crate::targeting::pertinence::PertinenceImport;
use crate::targeting::qualite::QualityImport;
use crate::targeting::transport::TransportImport;

use crate::error::AppError;
use crate::{
    AppState, admin, am, auth, campaign, contract, dossier, imports, targeting, ui, volets,
};

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(campaign::home))
        .route("/connexion", get(auth::login_form).post(auth::login))
        .route("/deconnexion", post(auth::logout))
        .route(
            "/mot-de-passe",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/campagnes", post(campaign::create))
        .route("/campagnes/nouvelle", get(campaign::new_form))
        .route("/campagnes/{campaign}", get(campaign::show))
        .route(
            "/campagnes/{campaign}/dossiers/{finess}",
            get(dossier::show),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/valeurs",
            post(dossier::save_values),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/actions",
            post(dossier::apply_action),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/apercu",
            post(dossier::preview),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision",
            get(dossier::decision::show),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/avis",
            post(dossier::decision::give_opinion),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/decider",
            post(dossier::decision::decide),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/notifier",
            post(dossier::decision::notify),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/corriger",
            post(dossier::decision::correct),
        )
        .route("/audit", get(admin::audit::show))
        .route("/imports/etablissements", get(imports::establishments_form))
        .route(
            "/imports/etablissements/apercu",
            post(imports::establishments_preview),
        )
        .route(
            "/imports/etablissements/confirmer",
            post(imports::establishments_confirm),
        )
        .route("/campagnes/{campaign}/imports", get(imports::yearly_form))
        .route(
            "/campagnes/{campaign}/imports/apercu",
            post(imports::yearly_preview),
        )
        .route(
            "/campagnes/{campaign}/imports/confirmer",
            post(imports::yearly_confirm),
        )
        // contracts
        .route("/contrats", get(contract::list).post(contract::propose))
        .route("/contrats/{finess}", get(contract::show))
        .route("/contrats/{finess}/signer", post(contract::sign))
        .route("/contrats/{finess}/refuser", post(contract::refuse))
        .route(
            "/contrats/{finess}/audition",
            post(contract::request_hearing),
        )
        .route(
            "/contrats/{finess}/audition/date",
            post(contract::schedule_hearing),
        )
        .route("/contrats/{finess}/avenants", post(contract::amend))
        .route("/contrats/{finess}/resiliations", post(contract::terminate))
        // engagements: targets negotiation, action plan, evidence documents
        .route(
            "/campagnes/{campaign}/cibles",
            get(dossier::engagements::region),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements",
            get(dossier::engagements::show),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles",
            post(dossier::engagements::propose),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/accepter",
            post(dossier::engagements::accept),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/renvoyer",
            post(dossier::engagements::send_back),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/actions",
            post(dossier::engagements::add_action),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/actions/{id}",
            post(dossier::engagements::update_action),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/documents",
            post(dossier::engagements::upload).layer(axum::extract::DefaultBodyLimit::max(
                dossier::engagements::MAX_UPLOAD_BODY,
            )),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}",
            get(dossier::engagements::download),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}/supprimer",
            post(dossier::engagements::delete_document),
        )
        // am_data: Assurance Maladie data (PHEV upload, AM revenue and liste en sus), sanction basis
        .route("/campagnes/{campaign}/phev", get(am::phev_form))
        .route(
            "/campagnes/{campaign}/phev/apercu",
            post(am::phev_preview).layer(axum::extract::DefaultBodyLimit::max(
                crate::auth::MAX_UPLOAD_BYTES,
            )),
        )
        .route(
            "/campagnes/{campaign}/phev/confirmer",
            post(am::phev_confirm),
        )
        .route("/donnees-am", get(am::am_data_show))
        .route("/donnees-am/import", get(am::am_import_form))
        .route("/donnees-am/import/apercu", post(am::am_import_preview))
        .route("/donnees-am/import/confirmer", post(am::am_import_confirm))
        .route("/donnees-am/{finess}", post(am::am_data_save))
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/assiette",
            post(am::choose_basis),
        )
        // targeting
        .route(
            "/campagnes/{campaign}/ciblage",
            get(targeting::transport::show),
        )
        .route(
            "/campagnes/{campaign}/ciblage/confirmer",
            post(targeting::transport::confirm),
        )
        .route(
            "/campagnes/{campaign}/ciblage/import",
            get(targeting::import_form::<TransportImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/import/apercu",
            post(targeting::import_preview::<TransportImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/import/confirmer",
            post(targeting::import_confirm::<TransportImport>),
        )
        // oidc
        .route("/connexion/oidc", get(auth::oidc::start))
        .route("/connexion/oidc/retour", get(auth::oidc::callback))
        // administration, comments
        .route(
            "/admin/utilisateurs",
            get(admin::users).post(admin::create_user),
        )
        .route(
            "/admin/utilisateurs/{user}/activation",
            post(admin::set_active),
        )
        .route(
            "/admin/utilisateurs/{user}/mot-de-passe",
            post(admin::reset_password),
        )
        .route(
            "/admin/referentiels",
            get(admin::referentiels).post(admin::upload_referentiel),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/commentaires",
            post(admin::add_comment),
        )
        // am_data: the XLSX « fichier à remplir »
        .route(
            "/campagnes/{campaign}/imports/fichier-a-remplir.xlsx",
            get(imports::xlsx::download),
        )
        .route(
            "/campagnes/{campaign}/imports/xlsx",
            get(imports::xlsx::form).post(imports::xlsx::preview).layer(
                axum::extract::DefaultBodyLimit::max(crate::auth::MAX_UPLOAD_BYTES),
            ),
        )
        // volet decisions
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports",
            get(volets::lifecycle::show::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/evaluation",
            post(volets::transport::evaluate),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/avis",
            post(volets::lifecycle::give_opinion::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/decision",
            post(volets::lifecycle::decide::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/notification",
            post(volets::lifecycle::notify::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/correction",
            post(volets::lifecycle::correct::<Transports>),
        )
        // quality targeting
        .route(
            "/campagnes/{campaign}/ciblage/qualite",
            get(targeting::qualite::show),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/confirmer",
            post(targeting::qualite::confirm),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/import",
            get(targeting::import_form::<QualityImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/import/apercu",
            post(targeting::import_preview::<QualityImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/import/confirmer",
            post(targeting::import_confirm::<QualityImport>),
        )
        // pertinence targeting
        .route(
            "/campagnes/{campaign}/ciblage/pertinence",
            get(targeting::pertinence::show),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/confirmer",
            post(targeting::pertinence::confirm),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/import",
            get(targeting::import_form::<PertinenceImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/import/apercu",
            post(targeting::import_preview::<PertinenceImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/import/confirmer",
            post(targeting::import_confirm::<PertinenceImport>),
        )
        // volet qualité decisions
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite",
            get(volets::lifecycle::show::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/evaluation",
            post(volets::qualite::evaluate),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/avis",
            post(volets::lifecycle::give_opinion::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/decision",
            post(volets::lifecycle::decide::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/notification",
            post(volets::lifecycle::notify::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/correction",
            post(volets::lifecycle::correct::<Qualite>),
        )
        // the sum notified, all volets together
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets",
            get(volets::notified_sum::show),
        )
        // volet pertinence decisions
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence",
            get(volets::lifecycle::show::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/evaluation",
            post(volets::pertinence::evaluate),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/avis",
            post(volets::lifecycle::give_opinion::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/decision",
            post(volets::lifecycle::decide::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/notification",
            post(volets::lifecycle::notify::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/correction",
            post(volets::lifecycle::correct::<Pertinence>),
        )
        .route("/static/caqes.js", get(app_script))
        .route("/sante", get(health))
        .route("/static/dsfr/{*path}", get(dsfr_asset))
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(middleware::map_response_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

/// Headers for every response: no framing, no MIME sniffing, scripts and
/// styles from this site only (the DSFR is served locally), and no caching of
/// pages that may hold an entity's data.
async fn security_headers(State(state): State<AppState>, mut response: Response) -> Response {
    const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    // form-action also governs where a submitted form is redirected: the
    // OIDC login and logout forms end at the identity provider.
    let csp = match auth::oidc::provider_origin(&state) {
        Some(origin) => HeaderValue::from_str(&CSP.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(CSP)),
        None => HeaderValue::from_static(CSP),
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// 200 when the database answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "base de données injoignable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "base de données injoignable",
            )
                .into_response()
        }
    }
}

async fn app_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        ui::assets::APP_JS,
    )
        .into_response()
}

async fn dsfr_asset(Path(path): Path<String>) -> Response {
    match ui::assets::dsfr(&path) {
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
