//! The authorisation matrix: every route of `caqes_web::router::ROUTES` (the
//! table the router itself is built from) × every kind of user, with the
//! answer expected and, in every body, no foreign data — another entity's
//! FINESS or name for an établissement, the other region's entity and campaign
//! for the regional roles, a campaign for the administrator (who reads no
//! health data) and for anonymous visitors. A route without an entry here, or
//! an entry without a route, fails the test.
//!
//! The demo region (76) plus a second region (11) with its own entity,
//! campaign, ARS, AM and OMEDIT. Each request carries a fresh session of its
//! user (created in the store) and its CSRF token, so the POSTs reach their
//! handlers: writes allowed to a role may change the demo's state, which is
//! why an allowed write is checked as "reached its handler" (`W`) rather than
//! with one status. SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is
//! set. `CAQES_MATRICE=1` prints the statuses observed as a table.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::OTHER_REGION;
use caqes_store::testing::REGION;
use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_core::Finess;
use caqes_store::{
    Actor, LegalEntity, NewCampaign, NewEntity, NewUser, Region, Role, Site, UserId,
};
use caqes_web::router::{ROUTES, Verb};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod common;
use common::{TestApp, on_postgres, on_sqlite};

/// The users of the matrix, in the order of an entry's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// The établissement user, on its own entity.
    Etab,
    /// The same user, on another entity of its region.
    EtabOther,
    Ars,
    Am,
    Omedit,
    /// The same roles of the other region, on the demo region's URLs.
    Ars11,
    Am11,
    Omedit11,
    Admin,
}

const WHO: [Who; 10] = [
    Who::Anonymous,
    Who::Etab,
    Who::EtabOther,
    Who::Ars,
    Who::Am,
    Who::Omedit,
    Who::Ars11,
    Who::Am11,
    Who::Omedit11,
    Who::Admin,
];

/// The answer expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum E {
    /// 200.
    P,
    /// 404: outside the user's scope, exactly like what does not exist.
    H,
    /// 403: in scope, but an action of another role (or refused in this state).
    F,
    /// 303 to the login page.
    L,
    /// A write that reached its handler in scope: 200, 303 elsewhere than the
    /// login page, 400, 401 (a wrong password), 403 (state or role of the
    /// action), 409, 413, 422 or 429 — never 404, never a server error.
    W,
    /// 303 elsewhere than the login page (e.g. a logged-in user on /connexion).
    R,
}
use E::{F, H, L, P, R, W};

/// `(verb, path, [anonymous, établissement, établissement on another entity,
/// ARS, AM, OMEDIT, ARS 11, AM 11, OMEDIT 11, admin])`.
type Entry = (&'static str, &'static str, [E; 10]);

/// The upload routes: sent as multipart with this file (field, name, content).
const UPLOADS: &[(&str, &str, &str, &[u8])] = &[
    (
        "/campagnes/{campaign}/dossiers/{finess}/engagements/documents",
        "fichier",
        "preuve.pdf",
        b"%PDF-1.7 matrice",
    ),
    (
        "/campagnes/{campaign}/phev/apercu",
        "annee_n",
        "phev.csv",
        b"a;b\n",
    ),
    (
        "/campagnes/{campaign}/imports/xlsx",
        "fichier",
        "a.xlsx",
        b"PK\x03\x04",
    ),
    (
        "/campagnes/{campaign}/objectifs/valeurs/import",
        "valeurs_fichier",
        "valeurs.csv",
        b"finess;indicateur\n",
    ),
];

/// Form fields that let a POST reach its handler's scope check (a form that
/// does not parse is refused before, with 400, whoever sends it). They are
/// chosen to be refused by the state of the demo where they could change it.
const FIELDS: &[(&str, &[(&str, &str)])] = &[
    (
        "/receptions/papier",
        &[
            ("objet", "contrat"),
            ("id", "inconnu"),
            ("date_reception", "hier"),
            ("retour", "/"),
        ],
    ),
    (
        "/connexion",
        &[("email", "inconnu@exemple.fr"), ("password", "faux")],
    ),
    (
        "/mot-de-passe",
        &[("current", "faux"), ("new", "x"), ("confirm", "x")],
    ),
    (
        "/campagnes/{campaign}/dossiers/{finess}/actions",
        &[("action", "evaluer")],
    ),
    (
        "/campagnes/{campaign}/dossiers/{finess}/nc",
        &[
            ("site", "000000000"),
            ("indicateur", "I-01"),
            ("decision", "refuser"),
        ],
    ),
    (
        "/campagnes/{campaign}/dossiers/{finess}/decision/avis",
        &[("avis", "favorable")],
    ),
    (
        "/campagnes/{campaign}/dossiers/{finess}/decision/decider",
        &[("montant", "0")],
    ),
    (
        "/campagnes/{campaign}/dossiers/{finess}/decision/corriger",
        &[("montant", "0")],
    ),
    (
        "/campagnes/{campaign}/dossiers/{finess}/decision/notifier",
        &[("date_notification", "2020-01-01")],
    ),
    (
        "/contrats",
        &[("finess", "{finess}"), ("reception", "2020-01-01")],
    ),
    (
        "/contrats/{finess}/audition/date",
        &[("date_audition", "2020-01-01")],
    ),
    (
        "/contrats/{finess}/avenants",
        &[("objet", "x"), ("date_signature", "2020-01-01")],
    ),
    (
        "/contrats/{finess}/sanction-refus/decider",
        &[
            ("assiette", "produits_am"),
            ("montant", ""),
            ("motivation", ""),
        ],
    ),
    (
        "/contrats/{finess}/sanction-refus/notifier",
        &[("date_notification", "2020-01-01")],
    ),
    (
        "/contrats/{finess}/resiliations",
        &[
            ("volet", "transports"),
            ("motif", "x"),
            ("date_signature", "2020-01-01"),
        ],
    ),
];

/// One entry per route of `ROUTES`. The administrator reads no health data:
/// 404 on every dossier, decision, evidence, contract, targeting and import
/// page (issue 14.5); the other region's roles get 404 on every page of the
/// demo region; anonymous visitors go to the login page.
#[rustfmt::skip]
const MATRIX: &[Entry] = &[
    //                                  anon etab autre ARS AM OMEDIT ARS11 AM11 OMEDIT11 admin
    ("GET", "/", [L, P, P, P, P, P, P, P, P, P]),
    ("GET", "/admin/referentiels", [L, H, H, H, H, H, H, H, H, P]),
    ("GET", "/admin/utilisateurs", [L, H, H, H, H, H, H, H, H, P]),
    ("GET", "/audit", [L, H, H, P, H, H, P, H, H, P]),
    ("GET", "/campagnes/nouvelle", [L, H, H, P, H, H, P, H, H, H]),
    ("GET", "/campagnes/{campaign}", [L, H, H, P, P, P, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers", [L, H, H, W, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/ciblage", [L, P, P, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/ciblage/import", [L, H, H, H, P, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/ciblage/pertinence", [L, P, P, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/ciblage/pertinence/import", [L, H, H, P, P, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/ciblage/qualite", [L, P, P, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/ciblage/qualite/import", [L, H, H, P, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/cibles", [L, H, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/soumission", [L, P, H, F, F, F, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/tableau-de-bord", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/decision", [L, H, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/engagements", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets/transports", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/imports", [L, H, H, P, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/imports/fichier-a-remplir.xlsx", [L, H, H, P, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/fichier-a-remplir.xlsx", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/imports/xlsx", [L, H, H, P, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/phev", [L, H, H, H, P, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/phev/tableau-de-bord", [L, H, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/phev", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/estimateur", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/tableau-de-bord", [L, H, H, P, P, P, H, H, H, H]),
    ("GET", "/connexion", [P, R, R, R, R, R, R, R, R, R]),
    ("GET", "/connexion/oidc", [H, R, R, R, R, R, R, R, R, R]),
    ("GET", "/connexion/oidc/retour", [H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/contrats", [L, R, R, P, P, P, P, P, P, H]),
    ("GET", "/contrats/{finess}", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/donnees-am", [L, H, H, H, P, H, H, P, H, H]),
    ("GET", "/donnees-am/import", [L, H, H, H, P, H, H, P, H, H]),
    ("GET", "/imports/etablissements", [L, H, H, P, H, H, P, H, H, H]),
    ("GET", "/mot-de-passe", [L, P, P, P, P, P, P, P, P, P]),
    ("GET", "/sante", [P, P, P, P, P, P, P, P, P, P]),
    // Loopback only: requests built in-process have no peer address.
    ("GET", "/metrics", [H, H, H, H, H, H, H, H, H, H]),
    ("GET", "/static/caqes.js", [P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/static/dsfr/{*path}", [P, P, P, P, P, P, P, P, P, P]),
    // The footer's pages of a State site and the favicon: public.
    ("GET", "/accessibilite", [P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/mentions-legales", [P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/donnees-personnelles", [P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/plan-du-site", [P, P, P, P, P, P, P, P, P, P]),
    ("GET", "/favicon.ico", [P, P, P, P, P, P, P, P, P, P]),
    ("POST", "/admin/referentiels", [L, H, H, H, H, H, H, H, H, W]),
    ("POST", "/admin/utilisateurs", [L, H, H, H, H, H, H, H, H, W]),
    ("POST", "/admin/utilisateurs/{user}/activation", [L, H, H, H, H, H, H, H, H, R]),
    ("POST", "/admin/utilisateurs/{user}/mot-de-passe", [L, H, H, H, H, H, H, H, H, W]),
    ("POST", "/campagnes", [L, H, H, W, H, H, W, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/confirmer", [L, H, H, R, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/import/apercu", [L, H, H, H, W, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/import/confirmer", [L, H, H, H, W, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/pertinence/confirmer", [L, H, H, R, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/pertinence/import/apercu", [L, H, H, W, W, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/pertinence/import/confirmer", [L, H, H, W, W, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/qualite/confirmer", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/qualite/import/apercu", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/ciblage/qualite/import/confirmer", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/actions-groupees", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/cibles/accepter", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/accepter", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/actions", [L, F, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/nc", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/apercu", [L, P, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/commentaires", [L, W, H, W, H, W, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/decision/assiette", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/decision/avis", [L, F, H, F, W, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/decision/corriger", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/decision/decider", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/decision/notifier", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/actions", [L, W, H, W, W, W, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/actions/{id}", [L, W, H, W, W, W, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles", [L, W, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/accepter", [L, F, H, R, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/cibles/{id}/renvoyer", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/documents", [L, R, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/engagements/documents/{id}/supprimer", [L, R, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/valeurs", [L, R, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/avis", [L, F, H, F, W, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/correction", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/decision", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/evaluation", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/notification", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/avis", [L, F, H, F, W, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/correction", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/decision", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/evaluation", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/notification", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/transports/avis", [L, F, H, F, W, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/transports/correction", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/transports/decision", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/transports/evaluation", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/volets/transports/notification", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/imports/apercu", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/imports/confirmer", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/imports/xlsx", [L, H, H, W, H, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/phev/apercu", [L, H, H, H, W, H, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/phev/confirmer", [L, H, H, H, H, H, H, H, H, H]),
    ("POST", "/connexion", [W, W, W, W, W, W, W, W, W, W]),
    ("POST", "/contrats", [L, H, H, W, F, F, H, F, F, H]),
    ("POST", "/contrats/{finess}/audition", [L, R, H, F, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/audition/date", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/avenants", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/refuser", [L, P, H, F, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/resiliations", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/signer", [L, R, H, F, F, F, H, H, H, H]),
    ("POST", "/deconnexion", [L, L, L, L, L, L, L, L, L, L]),
    ("POST", "/donnees-am/import/apercu", [L, H, H, H, W, H, H, W, H, H]),
    ("POST", "/donnees-am/import/confirmer", [L, H, H, H, W, H, H, W, H, H]),
    ("POST", "/donnees-am/{finess}", [L, H, H, H, R, H, H, H, H, H]),
    ("POST", "/imports/etablissements/apercu", [L, H, H, W, H, H, W, H, H, H]),
    ("POST", "/imports/etablissements/confirmer", [L, H, H, W, H, H, W, H, H, H]),
    ("POST", "/mot-de-passe", [L, W, W, W, W, W, W, W, W, W]),
    // Notifications (issue 15): everyone's own list and settings; another
    // user's (here: unknown) notification is 404; the outbox is the
    // administrator's; the demo's mailbox does not exist outside `caqes demo`.
    ("GET", "/notifications", [L, P, P, P, P, P, P, P, P, P]),
    ("POST", "/notifications/tout-lu", [L, R, R, R, R, R, R, R, R, R]),
    ("GET", "/notifications/preferences", [L, P, P, P, P, P, P, P, P, P]),
    ("POST", "/notifications/preferences", [L, W, W, W, W, W, W, W, W, W]),
    ("GET", "/notifications/{id}", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/courriels", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/admin/courriels", [L, H, H, H, H, H, H, H, H, P]),
    ("POST", "/admin/courriels/{id}/relancer", [L, H, H, H, H, H, H, H, H, H]),
    // Only the ARS records a paper receipt; the date is read before the
    // store's region check, so both ARS get the same refusal of the date.
    ("POST", "/receptions/papier", [L, F, F, W, F, F, W, F, F, F]),
    // Documents (issue 11): the scope of the page that shows their subject; a
    // document whose subject does not exist yet (draft dossier, decision not
    // notified, no refusal procedure) is 404 for everyone.
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/documents/fiche-recapitulative.pdf", [L, P, H, P, P, P, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/documents/rapport-evaluation.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/documents/rapport-annuel.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/documents/rapport-autoevaluation.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/documents/accuse-depot.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/decision/notification.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets/transports/notification.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets/qualite/notification.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/volets/pertinence/notification.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/synthese-iraps.pdf", [L, H, H, P, P, P, H, H, H, H]),
    // The refusal-to-sign procedure: the ARS acts (the demo's contract is
    // within its period: refused by the rules, 422), the others read.
    ("POST", "/contrats/{finess}/sanction-refus/ouvrir", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/sanction-refus/decider", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/contrats/{finess}/sanction-refus/notifier", [L, F, H, W, F, F, H, H, H, H]),
    ("GET", "/contrats/{finess}/sanction-refus/notification.pdf", [L, H, H, H, H, H, H, H, H, H]),
    // The second generation (on the demo's second-generation campaign, where the
    // CHU's intéressement is notified: every write is refused by its state, 400 or 409).
    ("POST", "/campagnes/{campaign}/objectifs/unite", [L, H, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/objectifs/valeurs/import", [L, H, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/ciblage", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/proposer", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/seconde-proposition", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/signer", [L, W, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/contrat/refuser", [L, W, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/sanction-refus", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/valeurs", [L, W, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/objectif", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/revision", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/rapport", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/audition/demander", [L, W, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/audition/fixer", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement/decider", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement/notifier", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance/decider", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance/avis", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/observations/inviter", [L, F, H, W, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/observations", [L, W, H, F, F, F, H, H, H, H]),
    ("POST", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/penalite", [L, F, H, W, F, F, H, H, H, H]),
    // The demo's surveillance is open (no decision) and its grid has no penalty: no letter
    // yet, 404 for all; the letters are downloaded in tests/generation2_levers.rs.
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/penalite.pdf", [L, H, H, H, H, H, H, H, H, H]),
    ("GET", "/campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement.pdf", [L, P, H, P, P, P, H, H, H, H]),
];

struct Ids {
    proposal: String,
    action: String,
    document: String,
    user: UserId,
}

struct Fixture {
    ids: Ids,
    /// Per user kind: its user id (None: anonymous).
    users: Vec<(Who, Option<UserId>)>,
    /// Per user kind: strings that must never appear in its pages.
    foreign: Vec<(Who, Vec<String>)>,
}

const OTHER_FINESS_BODY: u32 = 75_000_100;

async fn fixture(t: &TestApp) -> Fixture {
    let store = t.store();
    let sys = Actor::system("matrice");
    // The other region: an entity, a campaign, an ARS, an AM and an OMEDIT.
    store
        .create_region(
            &sys,
            &Region {
                code: OTHER_REGION,
                name: "Île-de-France".into(),
            },
        )
        .await
        .unwrap();
    let finess11 = caqes_demo::finess_from(OTHER_FINESS_BODY).unwrap();
    let site11 = caqes_demo::finess_from(OTHER_FINESS_BODY + 1).unwrap();
    let name11 = "Clinique francilienne témoin";
    store
        .import_entities(
            &sys,
            &[NewEntity {
                entity: LegalEntity {
                    finess: finess11,
                    region: OTHER_REGION,
                    name: name11.into(),
                    category: caqes_core::Category::McoPrive,
                },
                sites: vec![Site {
                    finess: site11,
                    entity: finess11,
                    name: "Site francilien témoin".into(),
                }],
            }],
        )
        .await
        .unwrap();
    let demo_campaign = store.campaign(&t.demo.campaign_id).await.unwrap().unwrap();
    let campaign11 = store
        .create_campaign(
            &sys,
            &NewCampaign {
                region: OTHER_REGION,
                year: demo_campaign.year,
                referentiel_id: demo_campaign.referentiel_id.clone(),
                title: "Campagne francilienne témoin".into(),
                submission_deadline: demo_campaign.submission_deadline,
                evaluation_deadline: demo_campaign.evaluation_deadline,
            },
        )
        .await
        .unwrap();
    let mut users = Vec::new();
    for (who, role, email) in [
        (Who::Ars11, Role::Ars, "ars@idf.test"),
        (Who::Am11, Role::AssuranceMaladie, "am@idf.test"),
        (Who::Omedit11, Role::Omedit, "omedit@idf.test"),
    ] {
        let u = store
            .create_user(
                &sys,
                &NewUser {
                    email: email.parse().unwrap(),
                    display_name: format!("Compte {email}"),
                    role,
                    region: Some(OTHER_REGION),
                    entity: None,
                    password_hash: "x".into(),
                },
            )
            .await
            .unwrap();
        users.push((who, Some(u.id)));
    }
    for (who, role) in [
        (Who::Etab, Role::Etablissement),
        (Who::EtabOther, Role::Etablissement),
        (Who::Ars, Role::Ars),
        (Who::Am, Role::AssuranceMaladie),
        (Who::Omedit, Role::Omedit),
        (Who::Admin, Role::Admin),
    ] {
        let email = &t
            .demo
            .accounts
            .iter()
            .find(|a| a.role == role)
            .unwrap()
            .email;
        let u = store.user_by_email(email).await.unwrap().unwrap();
        users.push((who, Some(u.id)));
    }
    users.push((Who::Anonymous, None));
    // A user the administrator's forms may act on.
    let spare = store
        .create_user(
            &sys,
            &NewUser {
                email: "jetable@demo.caqes.fr".parse().unwrap(),
                display_name: "Compte jetable".into(),
                role: Role::Omedit,
                region: Some(REGION),
                entity: None,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap();

    // Objects of the établissement's own entity for the routes with an {id}.
    let own = t.demo.own_entity;
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let etab_user = store
        .user_by_id(
            users
                .iter()
                .find(|(w, _)| *w == Who::Etab)
                .unwrap()
                .1
                .as_ref()
                .unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let submission = store
        .submission(&t.demo.campaign_id, &own)
        .await
        .unwrap()
        .unwrap();
    let proposal = match store.target_proposals(&own).await.unwrap().first() {
        Some(p) => p.id.clone(),
        None => panic!("the demo has target proposals"),
    };
    let action = match store.action_items(&own).await.unwrap().first() {
        Some(a) => a.id.clone(),
        None => panic!("the demo has action items"),
    };
    let document = store
        .add_document(
            &etab_user,
            &entity,
            &submission,
            caqes_store::dossier::engagements::NewDocument {
                file_name: "preuve-matrice.pdf",
                indicator: None,
                content: b"%PDF-1.7 matrice",
            },
        )
        .await
        .unwrap()
        .unwrap()
        .id;

    // What each kind of user must never see.
    let name_of =
        |f: Finess| async move { t.store().legal_entity(&f).await.unwrap().unwrap().name };
    let other = t.demo.other_entity;
    let demo_entities = vec![
        own.to_string(),
        name_of(own).await,
        other.to_string(),
        name_of(other).await,
    ];
    let region11 = vec![
        finess11.to_string(),
        name11.to_owned(),
        campaign11.title.clone(),
    ];
    let etab_foreign: Vec<String> = [other.to_string(), name_of(other).await]
        .into_iter()
        .chain(region11.clone())
        .collect();
    // The own entity's name must not contain the other's (substring checks).
    assert!(!name_of(own).await.contains(&name_of(other).await));
    let foreign = vec![
        (
            Who::Anonymous,
            [
                demo_entities.clone(),
                region11.clone(),
                vec![demo_campaign.title.clone()],
            ]
            .concat(),
        ),
        (Who::Etab, etab_foreign.clone()),
        (Who::EtabOther, etab_foreign),
        (Who::Ars, region11.clone()),
        (Who::Am, region11.clone()),
        (Who::Omedit, region11.clone()),
        (
            Who::Ars11,
            [demo_entities.clone(), vec![demo_campaign.title.clone()]].concat(),
        ),
        (
            Who::Am11,
            [demo_entities.clone(), vec![demo_campaign.title.clone()]].concat(),
        ),
        (
            Who::Omedit11,
            [demo_entities, vec![demo_campaign.title.clone()]].concat(),
        ),
        (
            Who::Admin,
            vec![demo_campaign.title.clone(), campaign11.title.clone()],
        ),
    ];
    Fixture {
        ids: Ids {
            proposal: proposal.into_string(),
            action: action.into_string(),
            document: document.into_string(),
            user: spare.id,
        },
        users,
        foreign,
    }
}

/// The URL of a route for a user: the demo campaign, the user's entity (or
/// the other entity for [`Who::EtabOther`]), the fixture's objects.
fn url(path: &str, who: Who, t: &TestApp, ids: &Ids) -> String {
    let finess = match who {
        Who::EtabOther => t.demo.other_entity,
        _ => t.demo.own_entity,
    };
    // The second generation's routes run on the demo's second-generation campaign,
    // whose contracting units are the legal entities.
    let campaign = if path.contains("/objectifs") {
        &t.demo.generation2_campaign_id
    } else {
        &t.demo.campaign_id
    };
    let mut url = path
        .replace("{campaign}", campaign.as_str())
        .replace("{finess}", finess.as_str())
        .replace("{unit}", finess.as_str())
        .replace("{user}", ids.user.as_str())
        .replace("{*path}", "dsfr.min.css");
    if url.contains("{id}") {
        let id = if url.contains("/cibles/") {
            &ids.proposal
        } else if url.contains("/actions/") {
            &ids.action
        } else {
            &ids.document
        };
        url = url.replace("{id}", id);
    }
    url
}

fn accepted(expected: E, status: StatusCode, location: Option<&str>) -> bool {
    let to_login = location == Some("/connexion");
    match expected {
        P => status == StatusCode::OK,
        H => status == StatusCode::NOT_FOUND,
        F => status == StatusCode::FORBIDDEN,
        L => status == StatusCode::SEE_OTHER && to_login,
        R => status == StatusCode::SEE_OTHER && !to_login,
        W => {
            matches!(
                status.as_u16(),
                200 | 400 | 401 | 403 | 409 | 413 | 422 | 429
            ) || (status == StatusCode::SEE_OTHER && !to_login)
        }
    }
}

fn code(status: StatusCode, location: Option<&str>) -> &'static str {
    match (status.as_u16(), location) {
        (200, _) => "P",
        (404, _) => "H",
        (403, _) => "F",
        (303, Some("/connexion")) => "L",
        (303, _) => "R",
        (400, _) => "400",
        (401, _) => "401",
        (409, _) => "409",
        (422, _) => "422",
        (429, _) => "429",
        (413, _) => "413",
        (405, _) => "405",
        (500, _) => "500",
        _ => "?",
    }
}

async fn matrix(t: &TestApp) {
    // Every route has an entry, every entry a route.
    let routes: BTreeSet<(&str, &str)> = ROUTES
        .iter()
        .map(|r| {
            let verb = match r.verb {
                Verb::Get => "GET",
                Verb::Post => "POST",
            };
            (verb, r.path)
        })
        .collect();
    let entries: BTreeSet<(&str, &str)> = MATRIX.iter().map(|(v, p, _)| (*v, *p)).collect();
    let print = std::env::var("CAQES_MATRICE").is_ok();
    if !print {
        let missing: Vec<_> = routes.difference(&entries).collect();
        assert!(
            missing.is_empty(),
            "routes sans entrée dans la matrice : {missing:?}"
        );
        let stale: Vec<_> = entries.difference(&routes).collect();
        assert!(stale.is_empty(), "entrées sans route : {stale:?}");
        assert_eq!(MATRIX.len(), ROUTES.len(), "une entrée par route");
    }

    let f = fixture(t).await;
    let anon_csrf = "a".repeat(64);
    let mut failures = Vec::new();
    let mut table = String::new();
    let rows: Vec<(&str, &str, Option<[E; 10]>)> = if print {
        routes
            .iter()
            .map(|(v, p)| {
                let e = MATRIX.iter().find(|(ev, ep, _)| ev == v && ep == p);
                (*v, *p, e.map(|e| e.2))
            })
            .collect()
    } else {
        MATRIX.iter().map(|(v, p, e)| (*v, *p, Some(*e))).collect()
    };
    for (verb, path, expected) in rows {
        let mut line = Vec::new();
        for (i, who) in WHO.iter().enumerate() {
            let uri = url(path, *who, t, &f.ids);
            let user = f.users.iter().find(|(w, _)| w == who).unwrap().1.clone();
            let (cookie, csrf) = match &user {
                Some(id) => {
                    let token = caqes_web::auth::random_token();
                    let csrf = caqes_web::auth::random_token();
                    let now = caqes_web::auth::now_seconds();
                    t.store()
                        .create_session(
                            &caqes_web::auth::token_hash(&token),
                            id,
                            &csrf,
                            now,
                            now + 3600,
                        )
                        .await
                        .unwrap();
                    (
                        format!("caqes_session={token}; caqes_csrf={anon_csrf}"),
                        csrf,
                    )
                }
                None => (format!("caqes_csrf={anon_csrf}"), anon_csrf.clone()),
            };
            let req = if verb == "GET" {
                Request::get(&uri)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap()
            } else if let Some((_, field, name, content)) = UPLOADS.iter().find(|u| u.0 == path) {
                let boundary = "----caqes-matrice";
                let mut body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
                     --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .into_bytes();
                body.extend_from_slice(content);
                body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                Request::post(&uri)
                    .header(header::COOKIE, &cookie)
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(Body::from(body))
                    .unwrap()
            } else {
                let finess = url("{finess}", *who, t, &f.ids);
                let given: &[(&str, &str)] = FIELDS
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map_or(&[], |(_, f)| *f);
                let mut all = vec![("_csrf".to_owned(), csrf.clone())];
                all.extend(
                    given
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.replace("{finess}", &finess))),
                );
                Request::post(&uri)
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(serde_urlencoded::to_string(&all).unwrap()))
                    .unwrap()
            };
            let res = t.app.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let location = res
                .headers()
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap().to_owned());
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8_lossy(&bytes);
            line.push(code(status, location.as_deref()));
            if let Some(exp) = expected
                && !accepted(exp[i], status, location.as_deref())
            {
                failures.push(format!(
                    "{verb} {path} as {who:?}: expected {:?}, got {status} {location:?}",
                    exp[i]
                ));
            }
            let forbidden = &f.foreign.iter().find(|(w, _)| w == who).unwrap().1;
            for s in forbidden {
                if body.contains(s.as_str()) {
                    failures.push(format!(
                        "{verb} {path} as {who:?}: foreign data « {s} » in the page"
                    ));
                }
            }
            if status.is_server_error() {
                failures.push(format!("{verb} {path} as {who:?}: {status}"));
            }
        }
        table.push_str(&format!(
            "    (\"{verb}\", \"{path}\", [{}]),\n",
            line.join(", ")
        ));
    }
    if print {
        eprintln!("{table}");
    }
    assert!(
        failures.is_empty(),
        "{} écarts :\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn matrix_on_sqlite() {
    on_sqlite(matrix).await;
}

#[tokio::test]
async fn matrix_on_postgres() {
    on_postgres(matrix).await;
}
