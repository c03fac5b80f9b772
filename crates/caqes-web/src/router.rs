//! The route table: every route of the application, in one place.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};

use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;

use crate::pertinence_targeting::PertinenceImport;
use crate::quality_targeting::QualityImport;
use crate::targeting::TransportImport;

use crate::error::AppError;
use crate::{
    AppState, admin, am_data, assets, audit, auth, campaigns, contracts, decisions, dossiers,
    engagements, imports, notified_sum, oidc, pertinence_targeting, quality_targeting,
    region_import, targeting, volet_decisions, volet_lifecycle, volet_pertinence, volet_quality,
};

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(campaigns::home))
        .route("/connexion", get(auth::login_form).post(auth::login))
        .route("/deconnexion", post(auth::logout))
        .route(
            "/mot-de-passe",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/campagnes", post(campaigns::create))
        .route("/campagnes/nouvelle", get(campaigns::new_form))
        .route("/campagnes/{campaign}", get(campaigns::show))
        .route(
            "/campagnes/{campaign}/dossiers/{finess}",
            get(dossiers::show),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/valeurs",
            post(dossiers::save_values),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/actions",
            post(dossiers::apply_action),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/apercu",
            post(dossiers::preview),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision",
            get(decisions::show),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/avis",
            post(decisions::give_opinion),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/decider",
            post(decisions::decide),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/notifier",
            post(decisions::notify),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/corriger",
            post(decisions::correct),
        )
        .route("/audit", get(audit::show))
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
        .route("/contrats", get(contracts::list).post(contracts::propose))
        .route("/contrats/{finess}", get(contracts::show))
        .route("/contrats/{finess}/signer", post(contracts::sign))
        .route("/contrats/{finess}/refuser", post(contracts::refuse))
        .route(
            "/contrats/{finess}/audition",
            post(contracts::request_hearing),
        )
        .route(
            "/contrats/{finess}/audition/date",
            post(contracts::schedule_hearing),
        )
        .route("/contrats/{finess}/avenants", post(contracts::amend))
        .route(
            "/contrats/{finess}/resiliations",
            post(contracts::terminate),
        )
        // engagements: targets negotiation, action plan, evidence documents
        .route("/campagnes/{campaign}/cibles", get(engagements::region))
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements",
            get(engagements::show),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles",
            post(engagements::propose),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/accepter",
            post(engagements::accept),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/renvoyer",
            post(engagements::send_back),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/actions",
            post(engagements::add_action),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/actions/{id}",
            post(engagements::update_action),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/documents",
            post(engagements::upload).layer(axum::extract::DefaultBodyLimit::max(
                engagements::MAX_UPLOAD_BODY,
            )),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}",
            get(engagements::download),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}/supprimer",
            post(engagements::delete_document),
        )
        // am_data: Assurance Maladie data (PHEV upload, AM revenue and liste en sus), sanction basis
        .route("/campagnes/{campaign}/phev", get(am_data::phev_form))
        .route(
            "/campagnes/{campaign}/phev/apercu",
            post(am_data::phev_preview).layer(axum::extract::DefaultBodyLimit::max(
                crate::auth::MAX_UPLOAD_BYTES,
            )),
        )
        .route(
            "/campagnes/{campaign}/phev/confirmer",
            post(am_data::phev_confirm),
        )
        .route("/donnees-am", get(am_data::am_data_show))
        .route("/donnees-am/import", get(am_data::am_import_form))
        .route(
            "/donnees-am/import/apercu",
            post(am_data::am_import_preview),
        )
        .route(
            "/donnees-am/import/confirmer",
            post(am_data::am_import_confirm),
        )
        .route("/donnees-am/{finess}", post(am_data::am_data_save))
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/decision/assiette",
            post(am_data::choose_basis),
        )
        // targeting
        .route("/campagnes/{campaign}/ciblage", get(targeting::show))
        .route(
            "/campagnes/{campaign}/ciblage/confirmer",
            post(targeting::confirm),
        )
        .route(
            "/campagnes/{campaign}/ciblage/import",
            get(region_import::import_form::<TransportImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/import/apercu",
            post(region_import::import_preview::<TransportImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/import/confirmer",
            post(region_import::import_confirm::<TransportImport>),
        )
        // oidc
        .route("/connexion/oidc", get(oidc::start))
        .route("/connexion/oidc/retour", get(oidc::callback))
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
            get(am_data::xlsx::download),
        )
        .route(
            "/campagnes/{campaign}/imports/xlsx",
            get(am_data::xlsx::form).post(am_data::xlsx::preview).layer(
                axum::extract::DefaultBodyLimit::max(crate::auth::MAX_UPLOAD_BYTES),
            ),
        )
        // volet decisions
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports",
            get(volet_lifecycle::show::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/evaluation",
            post(volet_decisions::evaluate),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/avis",
            post(volet_lifecycle::give_opinion::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/decision",
            post(volet_lifecycle::decide::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/notification",
            post(volet_lifecycle::notify::<Transports>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/transports/correction",
            post(volet_lifecycle::correct::<Transports>),
        )
        // quality targeting
        .route(
            "/campagnes/{campaign}/ciblage/qualite",
            get(quality_targeting::show),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/confirmer",
            post(quality_targeting::confirm),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/import",
            get(region_import::import_form::<QualityImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/import/apercu",
            post(region_import::import_preview::<QualityImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/qualite/import/confirmer",
            post(region_import::import_confirm::<QualityImport>),
        )
        // pertinence targeting
        .route(
            "/campagnes/{campaign}/ciblage/pertinence",
            get(pertinence_targeting::show),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/confirmer",
            post(pertinence_targeting::confirm),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/import",
            get(region_import::import_form::<PertinenceImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/import/apercu",
            post(region_import::import_preview::<PertinenceImport>),
        )
        .route(
            "/campagnes/{campaign}/ciblage/pertinence/import/confirmer",
            post(region_import::import_confirm::<PertinenceImport>),
        )
        // volet qualité decisions
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite",
            get(volet_lifecycle::show::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/evaluation",
            post(volet_quality::evaluate),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/avis",
            post(volet_lifecycle::give_opinion::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/decision",
            post(volet_lifecycle::decide::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/notification",
            post(volet_lifecycle::notify::<Qualite>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/correction",
            post(volet_lifecycle::correct::<Qualite>),
        )
        // the sum notified, all volets together
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets",
            get(notified_sum::show),
        )
        // volet pertinence decisions
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence",
            get(volet_lifecycle::show::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/evaluation",
            post(volet_pertinence::evaluate),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/avis",
            post(volet_lifecycle::give_opinion::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/decision",
            post(volet_lifecycle::decide::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/notification",
            post(volet_lifecycle::notify::<Pertinence>),
        )
        .route(
            "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/correction",
            post(volet_lifecycle::correct::<Pertinence>),
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
    let csp = match oidc::provider_origin(&state) {
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
        assets::APP_JS,
    )
        .into_response()
}

async fn dsfr_asset(Path(path): Path<String>) -> Response {
    match assets::dsfr(&path) {
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
