//! The route table: every route of the application, in one place.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};

use caqes_store::Role;
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;

use crate::volets::targeting::RegionImport;
use crate::volets::targeting::pertinence::{PertinenceImport, PertinenceScreen};
use crate::volets::targeting::qualite::{QualityImport, QualityScreen};
use crate::volets::targeting::transport::{TransportImport, TransportScreen};

use crate::request::error::AppError;
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::ui::site;
use crate::volets::targeting;
use crate::{
    admin, am, auth, campaign, contract, dashboard, documents, dossier, generation2, imports,
    notifications, phev, ui, volets,
};

pub use crate::request::limits::{
    BodyLimit, FORM_BYTES, IMPORT_FILE_BYTES, PASTED_FILE_BYTES, PHEV_UPLOAD_BYTES,
    XLSX_UPLOAD_BYTES,
};

/// The two methods of the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }

    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
        }
    }
}

/// One route of [`ROUTES`].
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    pub body: BodyLimit,
}

/// The route of a request, from axum's matched path.
pub fn route(method: &Method, path: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.path == path && r.verb.method() == *method)
}

/// Declares [`ROUTES`] and the router built from it, from one list: a route
/// cannot be served without being in the table the session layer (body
/// limits) and the authorisation matrix test read.
macro_rules! route_table {
    ($($verb:ident $path:literal => $handler:expr $(, $body:expr)?;)*) => {
        /// Every route of the application, in one place.
        pub const ROUTES: &[Route] = &[$(Route {
            verb: Verb::$verb,
            path: $path,
            body: route_table!(@body $verb $($body)?),
        }),*];

        fn routes() -> Router<AppState> {
            Router::new()$(.route($path, on(Verb::$verb.filter(), $handler)))*
        }
    };
    (@body Get) => { BodyLimit::None };
    (@body Post) => { BodyLimit::Form };
    (@body $verb:ident $body:expr) => { $body };
}

const ARS: &[Role] = &[Role::Ars];
const AM: &[Role] = &[Role::AssuranceMaladie];
const ADMIN: &[Role] = &[Role::Admin];
const ETABLISSEMENT: &[Role] = &[Role::Etablissement];

/// A file chosen on an import page (or pasted) for `roles`: streamed to disk.
const fn upload(roles: &'static [Role]) -> BodyLimit {
    BodyLimit::Upload {
        max: IMPORT_FILE_BYTES,
        roles,
    }
}

/// A pasted file (or a long form) for `roles`.
const fn pasted(roles: &'static [Role]) -> BodyLimit {
    BodyLimit::Large {
        max: PASTED_FILE_BYTES,
        roles,
    }
}

route_table! {
    Get "/" => campaign::home;
    Get "/connexion" => auth::login_form;
    Post "/connexion" => auth::login;
    Post "/deconnexion" => auth::logout;
    Get "/mot-de-passe" => auth::password_form;
    Post "/mot-de-passe" => auth::change_password;
    Post "/campagnes" => campaign::create;
    Get "/campagnes/nouvelle" => campaign::new_form;
    Get "/campagnes/{campaign}" => campaign::show;
    // A dossier for an entity imported during the campaign (ARS of the region).
    Post "/campagnes/{campaign}/dossiers" => campaign::open_dossier;
    // Bulk actions of the ARS (issue 10): one POST, each dossier or target through its guarded write.
    Post "/campagnes/{campaign}/actions-groupees" => dossier::bulk::dossiers;
    Post "/campagnes/{campaign}/cibles/accepter" => dossier::bulk::accept_campaign_targets;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/accepter" => dossier::bulk::accept_dossier_targets;
    Get "/campagnes/{campaign}/dossiers/{finess}" => dossier::page::show;
    Get "/campagnes/{campaign}/tableau-de-bord" => dashboard::region::show;
    Get "/campagnes/{campaign}/dossiers/{finess}/tableau-de-bord" => dashboard::establishment::show;
    // The confirmation step of a submission (the values are saved before it).
    Get "/campagnes/{campaign}/dossiers/{finess}/soumission" => dossier::workflow::confirm_submission;
    // One field per indicator, site and part: a multi-site entity's form can pass 64 Kio.
    Post "/campagnes/{campaign}/dossiers/{finess}/valeurs" => dossier::values::save_values, pasted(ETABLISSEMENT);
    Post "/campagnes/{campaign}/dossiers/{finess}/actions" => dossier::workflow::apply_action;
    Post "/campagnes/{campaign}/dossiers/{finess}/nc" => dossier::workflow::review_nc;
    Post "/campagnes/{campaign}/dossiers/{finess}/apercu" => dossier::values::preview, pasted(ETABLISSEMENT);
    Get "/campagnes/{campaign}/dossiers/{finess}/decision" => dossier::decision::show;
    Post "/campagnes/{campaign}/dossiers/{finess}/decision/avis" => dossier::decision::give_opinion;
    Post "/campagnes/{campaign}/dossiers/{finess}/decision/decider" => dossier::decision::decide;
    Post "/campagnes/{campaign}/dossiers/{finess}/decision/notifier" => dossier::decision::notify;
    Post "/campagnes/{campaign}/dossiers/{finess}/decision/corriger" => dossier::decision::correct;
    Get "/audit" => admin::audit::show;
    Get "/imports/etablissements" => imports::establishments_form;
    Post "/imports/etablissements/apercu" => imports::establishments_preview, upload(ARS);
    Post "/imports/etablissements/confirmer" => imports::establishments_confirm, pasted(ARS);
    Get "/campagnes/{campaign}/imports" => imports::yearly::yearly_form;
    Post "/campagnes/{campaign}/imports/apercu" => imports::yearly::yearly_preview, upload(ARS);
    Post "/campagnes/{campaign}/imports/confirmer" => imports::yearly::yearly_confirm, pasted(ARS);
    // contracts
    Get "/contrats" => contract::list;
    Post "/contrats" => contract::propose;
    Get "/contrats/{finess}" => contract::show;
    Post "/contrats/{finess}/signer" => contract::sign;
    Post "/contrats/{finess}/refuser" => contract::refuse;
    Post "/contrats/{finess}/audition" => contract::request_hearing;
    Post "/contrats/{finess}/audition/date" => contract::schedule_hearing;
    Post "/contrats/{finess}/avenants" => contract::amend;
    Post "/contrats/{finess}/resiliations" => contract::terminate;
    // engagements: targets negotiation, action plan, evidence documents
    Get "/campagnes/{campaign}/cibles" => dossier::engagements::region;
    Get "/campagnes/{campaign}/dossiers/{finess}/engagements" => dossier::engagements::show;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles" => dossier::engagements::propose;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/accepter" => dossier::engagements::accept;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/renvoyer" => dossier::engagements::send_back;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/actions" => dossier::engagements::add_action;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/actions/{id}" => dossier::engagements::update_action;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/documents" => dossier::engagements::upload,
        BodyLimit::Large { max: dossier::engagements::MAX_UPLOAD_BODY, roles: ETABLISSEMENT };
    Get "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}" => dossier::engagements::download;
    Post "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}/supprimer" => dossier::engagements::delete_document;
    // am_data: Assurance Maladie data (PHEV upload, AM revenue and liste en sus), sanction basis
    Get "/campagnes/{campaign}/phev" => am::phev_form;
    Post "/campagnes/{campaign}/phev/apercu" => am::phev_preview,
        BodyLimit::Upload { max: PHEV_UPLOAD_BYTES, roles: AM };
    Post "/campagnes/{campaign}/phev/confirmer" => am::phev_confirm;
    Get "/donnees-am" => am::am_data_show;
    Get "/donnees-am/import" => am::am_import_form;
    Post "/donnees-am/import/apercu" => am::am_import_preview, upload(AM);
    Post "/donnees-am/import/confirmer" => am::am_import_confirm, pasted(AM);
    Post "/donnees-am/{finess}" => am::am_data_save;
    Post "/campagnes/{campaign}/dossiers/{finess}/decision/assiette" => am::choose_basis;
    // PHEV dashboards and the juste-prescription estimator (issue 12)
    Get "/campagnes/{campaign}/phev/tableau-de-bord" => phev::dashboard::region;
    Get "/campagnes/{campaign}/dossiers/{finess}/phev" => phev::dashboard::entity;
    Get "/campagnes/{campaign}/dossiers/{finess}/estimateur" => phev::estimator::show;
    // targeting
    Get "/campagnes/{campaign}/ciblage" => targeting::screen::show::<TransportScreen>;
    Post "/campagnes/{campaign}/ciblage/confirmer" => targeting::screen::confirm::<TransportScreen>, pasted(ARS);
    Get "/campagnes/{campaign}/ciblage/import" => targeting::import_form::<TransportImport>;
    Post "/campagnes/{campaign}/ciblage/import/apercu" => targeting::import_preview::<TransportImport>,
        upload(TransportImport::IMPORTERS);
    Post "/campagnes/{campaign}/ciblage/import/confirmer" => targeting::import_confirm::<TransportImport>,
        pasted(TransportImport::IMPORTERS);
    // oidc
    Get "/connexion/oidc" => auth::oidc::start;
    Get "/connexion/oidc/retour" => auth::oidc::callback;
    // administration, comments
    Get "/admin/utilisateurs" => admin::users;
    Post "/admin/utilisateurs" => admin::create_user;
    Post "/admin/utilisateurs/{user}/activation" => admin::set_active;
    Post "/admin/utilisateurs/{user}/mot-de-passe" => admin::reset_password;
    Get "/admin/referentiels" => admin::referentiels;
    Post "/admin/referentiels" => admin::upload_referentiel, pasted(ADMIN);
    Post "/campagnes/{campaign}/dossiers/{finess}/commentaires" => dossier::comments::add_comment;
    // am_data: the XLSX « fichier à remplir »
    Get "/campagnes/{campaign}/imports/fichier-a-remplir.xlsx" => imports::xlsx::download;
    Get "/campagnes/{campaign}/dossiers/{finess}/fichier-a-remplir.xlsx" => imports::xlsx::download_dossier;
    Get "/campagnes/{campaign}/imports/xlsx" => imports::xlsx::form;
    Post "/campagnes/{campaign}/imports/xlsx" => imports::xlsx::preview,
        BodyLimit::Large { max: XLSX_UPLOAD_BYTES, roles: ARS };
    // volet decisions
    Get "/campagnes/{campaign}/dossiers/{finess}/volets/transports" => volets::lifecycle::show::<Transports>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/transports/evaluation" => volets::transport::evaluate;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/transports/avis" => volets::lifecycle::give_opinion::<Transports>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/transports/decision" => volets::lifecycle::decide::<Transports>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/transports/notification" => volets::lifecycle::notify::<Transports>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/transports/correction" => volets::lifecycle::correct::<Transports>;
    // quality targeting
    Get "/campagnes/{campaign}/ciblage/qualite" => targeting::screen::show::<QualityScreen>;
    Post "/campagnes/{campaign}/ciblage/qualite/confirmer" => targeting::screen::confirm::<QualityScreen>, pasted(ARS);
    Get "/campagnes/{campaign}/ciblage/qualite/import" => targeting::import_form::<QualityImport>;
    Post "/campagnes/{campaign}/ciblage/qualite/import/apercu" => targeting::import_preview::<QualityImport>,
        upload(QualityImport::IMPORTERS);
    Post "/campagnes/{campaign}/ciblage/qualite/import/confirmer" => targeting::import_confirm::<QualityImport>,
        pasted(QualityImport::IMPORTERS);
    // pertinence targeting
    Get "/campagnes/{campaign}/ciblage/pertinence" => targeting::screen::show::<PertinenceScreen>;
    Post "/campagnes/{campaign}/ciblage/pertinence/confirmer" => targeting::screen::confirm::<PertinenceScreen>, pasted(ARS);
    Get "/campagnes/{campaign}/ciblage/pertinence/import" => targeting::import_form::<PertinenceImport>;
    Post "/campagnes/{campaign}/ciblage/pertinence/import/apercu" => targeting::import_preview::<PertinenceImport>,
        upload(PertinenceImport::IMPORTERS);
    Post "/campagnes/{campaign}/ciblage/pertinence/import/confirmer" => targeting::import_confirm::<PertinenceImport>,
        pasted(PertinenceImport::IMPORTERS);
    // volet qualité decisions
    Get "/campagnes/{campaign}/dossiers/{finess}/volets/qualite" => volets::lifecycle::show::<Qualite>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/evaluation" => volets::qualite::evaluate;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/avis" => volets::lifecycle::give_opinion::<Qualite>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/decision" => volets::lifecycle::decide::<Qualite>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/notification" => volets::lifecycle::notify::<Qualite>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/correction" => volets::lifecycle::correct::<Qualite>;
    // the sum notified, all volets together
    Get "/campagnes/{campaign}/dossiers/{finess}/volets" => volets::notified_sum::show;
    // volet pertinence decisions
    Get "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence" => volets::lifecycle::show::<Pertinence>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/evaluation" => volets::pertinence::evaluate;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/avis" => volets::lifecycle::give_opinion::<Pertinence>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/decision" => volets::lifecycle::decide::<Pertinence>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/notification" => volets::lifecycle::notify::<Pertinence>;
    Post "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/correction" => volets::lifecycle::correct::<Pertinence>;
    // notifications, e-mail settings, the demo's mailbox, the outbox (issue 15)
    Get "/notifications" => notifications::list;
    Post "/notifications/tout-lu" => notifications::mark_all_read;
    Get "/notifications/preferences" => notifications::settings;
    Post "/notifications/preferences" => notifications::save_settings;
    Get "/notifications/{id}" => notifications::open;
    Get "/courriels" => notifications::mailbox::show;
    Get "/admin/courriels" => notifications::outbox;
    Post "/admin/courriels/{id}/relancer" => notifications::retry;
    Post "/receptions/papier" => notifications::receipt::record_paper;
    // documents (issue 11): each PDF from the page of its subject, audited when issued
    Get "/campagnes/{campaign}/dossiers/{finess}/documents/rapport-evaluation.pdf" => documents::dossier::evaluation_report;
    Get "/campagnes/{campaign}/dossiers/{finess}/documents/rapport-annuel.pdf" => documents::dossier::joint_report;
    Get "/campagnes/{campaign}/dossiers/{finess}/documents/rapport-autoevaluation.pdf" => documents::dossier::self_evaluation;
    Get "/campagnes/{campaign}/dossiers/{finess}/documents/accuse-depot.pdf" => documents::dossier::submission_receipt;
    Get "/campagnes/{campaign}/dossiers/{finess}/documents/fiche-recapitulative.pdf" => documents::dossier::fiche;
    Get "/campagnes/{campaign}/dossiers/{finess}/decision/notification.pdf" => documents::decision::letter;
    Get "/campagnes/{campaign}/dossiers/{finess}/volets/transports/notification.pdf" => documents::volets::letter::<Transports>;
    Get "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/notification.pdf" => documents::volets::letter::<Qualite>;
    Get "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/notification.pdf" => documents::volets::letter::<Pertinence>;
    Get "/campagnes/{campaign}/synthese-iraps.pdf" => documents::campaign::iraps;
    // the sanction for refusing to sign (issue 11): procedure and letter
    Post "/contrats/{finess}/sanction-refus/ouvrir" => contract::open_refusal;
    Post "/contrats/{finess}/sanction-refus/decider" => contract::decide_refusal;
    Post "/contrats/{finess}/sanction-refus/notifier" => contract::notify_refusal;
    Get "/contrats/{finess}/sanction-refus/notification.pdf" => documents::refusal::letter;
    // the second generation (issue 13): a campaign on an objectives grid; its follow-up
    // and dossiers are `campagnes/{campaign}` and `…/dossiers/{finess}`, which branch on the regime
    Post "/campagnes/{campaign}/objectifs/unite" => generation2::campaign_actions::choose_unit;
    Post "/campagnes/{campaign}/objectifs/valeurs/import" => generation2::campaign_actions::import_values, upload(ARS);
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/ciblage" => generation2::targeting::confirm_targeting;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/proposer" => generation2::contract::propose_contract;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/seconde-proposition" => generation2::contract::second_proposal;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/signer" => generation2::contract::sign;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/refuser" => generation2::contract::refuse;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/sanction-refus" => generation2::contract::decide_refusal;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/valeurs" => generation2::values::save_values;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/objectif" => generation2::targeting::set_objective;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/revision" => generation2::evaluation::revise;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/rapport" => generation2::evaluation::record_report;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/audition/demander" => generation2::hearings::request_hearing;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/audition/fixer" => generation2::hearings::fix_hearing;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement/decider" => generation2::evaluation::decide_incentive;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement/notifier" => generation2::evaluation::notify_incentive;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance" => generation2::levers::set_surveillance;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance/decider" => generation2::levers::decide_surveillance;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance/avis" => generation2::levers::record_opinion;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/observations/inviter" => generation2::levers::invite_observations;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/observations" => generation2::levers::present_observations;
    Post "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/penalite" => generation2::levers::decide_penalty;
    Get "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance.pdf" => documents::generation2::surveillance_letter;
    Get "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/penalite.pdf" => documents::generation2::penalty_letter;
    Get "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement.pdf" => documents::generation2::letter;
    Get "/static/caqes.js" => app_script;
    Get "/sante" => health;
    Get "/metrics" => crate::request::metrics::metrics;
    Get "/static/dsfr/{*path}" => dsfr_asset;
    // the footer's pages of a State site, public; the favicon
    Get "/accessibilite" => site::accessibility;
    Get "/mentions-legales" => site::legal_notice;
    Get "/donnees-personnelles" => site::personal_data;
    Get "/plan-du-site" => site::site_map_page;
    Get "/favicon.ico" => site::favicon;
}

/// The largest body any route accepts: the session layer has already cut
/// every body to its route's limit (streamed ones as they are read), so the
/// extractors need no lower one.
const LARGEST_BODY: usize = PHEV_UPLOAD_BYTES;

pub fn app(state: AppState) -> Router {
    routes()
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(LARGEST_BODY))
        // Inside the session layer: counts the user's unread notifications for the header.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            notifications::header_layer,
        ))
        // The confirmation of the last action, for the layout; its cookie.
        .layer(middleware::from_fn_with_state(state.clone(), flash_layer))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        // Outside the session layer: tells it the route's body limit.
        .layer(middleware::from_fn(mark_body_limit))
        .layer(middleware::map_response_with_state(
            state.clone(),
            security_headers,
        ))
        // Outermost: every log line of the request, session layer included, has its id.
        .layer(middleware::from_fn(crate::request::id::layer))
        .with_state(state)
}

async fn flash_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    ui::flash::layer(state.config.secure_cookies, req, next).await
}

/// Puts the matched route's [`BodyLimit`] in the request's extensions, where
/// the session layer reads it before any byte of the body (a path outside the
/// table, answered 404, gets none: the session layer then allows a form).
async fn mark_body_limit(mut req: Request, next: Next) -> Response {
    let limit = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| route(req.method(), m.as_str()))
        .map(|r| r.body);
    if let Some(limit) = limit {
        req.extensions_mut().insert(limit);
    }
    next.run(req).await
}

/// Headers for every response: no framing, no MIME sniffing, scripts and
/// styles from this site only (the DSFR is served locally), no caching of
/// pages that may hold an entity's data, and HSTS when served over HTTPS.
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
    // Secure cookies mean the site is served over HTTPS: browsers are told
    // never to come back over plain HTTP (one year).
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
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
