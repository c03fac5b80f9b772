//! In-process tests of the web application through its router (no port bound):
//! authentication (login, throttling, logout, password change, cookie flags),
//! CSRF on every POST, scope (404 outside one's entity, a malformed FINESS is a
//! 404), the live preview, the creation of a campaign, and the vertical slice
//! établissement → ARS. Each story on the store's `Fixture` (two entities of
//! region 76, the établissement user's with three sites, a campaign 2019 still
//! running); what it reads beyond that (a value already typed, another
//! campaign) is written by the test itself. The slice runs on SQLite and on
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set; the other stories on SQLite.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_store::testing::{Fixture, FixtureBuilder, REFERENTIEL, REGION, TestDb};
use caqes_store::{Actor, Role, StoredValue, SubmissionState};
use caqes_web::Config;
use rust_decimal::Decimal;
use tower::ServiceExt;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::password;

/// The établissement user's entity, multi-site (three sites), another entity of
/// the region, and their dossiers in the campaign 2019, still running (as the
/// current campaign of a region is).
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites(OWN_NAME, 3)
        .entity("Clinique du Canal")
        .campaign(2019)
        .running()
}

/// The name of the établissement user's entity.
const OWN_NAME: &str = "Centre hospitalier universitaire de Tolosa";

async fn sqlite_app() -> FixtureApp {
    FixtureApp::sqlite(fixture()).await
}

#[tokio::test]
async fn health_assets_and_login_page_answer_without_a_session() {
    let t = sqlite_app().await;
    let mut c = t.client();
    assert_eq!(c.get("/sante").await.status, StatusCode::OK);
    let css = c.get("/static/dsfr/dsfr.min.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains(".fr-btn"));
    let req = Request::get("/connexion").body(Body::empty()).unwrap();
    let res = t.app.clone().oneshot(req).await.unwrap();
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(
        res.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    assert_eq!(
        c.get("/static/dsfr/absent.css").await.status,
        StatusCode::NOT_FOUND
    );
    let login = c.get("/connexion").await;
    assert!(
        login
            .body
            .contains("<label class=\"fr-label\" for=\"email\">Adresse électronique</label>")
    );
    assert!(!c.csrf.is_empty());
    // Pages behind authentication send to the login page.
    let home = c.get("/").await;
    assert_eq!(
        (home.status, home.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/connexion"))
    );
    let dossier = c.get(&t.dossier(t.own_entity())).await;
    assert_eq!(
        (dossier.status, dossier.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/connexion"))
    );
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn login_is_throttled_after_five_failures_per_account() {
    let t = sqlite_app().await;
    let (ars, omedit) = (t.email(Role::Ars), t.email(Role::Omedit));
    let mut c = t.client();
    c.get("/connexion").await;
    for _ in 0..5 {
        let p = c
            .post("/connexion", &[("email", &ars), ("password", "faux")])
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(
            p.body
                .contains("Adresse électronique ou mot de passe incorrect")
        );
    }
    // Even the right password is refused now, for this account only.
    let p = c
        .post(
            "/connexion",
            &[("email", &ars), ("password", &password(Role::Ars))],
        )
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    let p = c
        .post(
            "/connexion",
            &[("email", &omedit), ("password", &password(Role::Omedit))],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn every_post_without_the_csrf_token_is_refused() {
    let t = sqlite_app().await;
    // Login form without token.
    let mut anon = t.client();
    anon.get("/connexion").await;
    let p = anon
        .post_raw(
            "/connexion",
            &[
                ("email", &t.email(Role::Ars)),
                ("password", &password(Role::Ars)),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("CSRF"));

    let mut c = t.logged_in(Role::Etablissement).await;
    let url = t.dossier(t.own_entity());
    c.get(&url).await;
    let posts = [
        (format!("{url}/valeurs"), vec![]),
        (format!("{url}/actions"), vec![("action", "soumettre")]),
        ("/deconnexion".to_owned(), vec![]),
        (
            "/mot-de-passe".to_owned(),
            vec![("current", "x"), ("new", "y"), ("confirm", "y")],
        ),
    ];
    for (uri, fields) in &posts {
        let p = c.post_raw(uri, fields).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{uri} without token");
        let mut forged = fields.clone();
        forged.push((
            "_csrf",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ));
        assert_eq!(
            c.post_raw(uri, &forged).await.status,
            StatusCode::FORBIDDEN,
            "{uri} with a wrong token"
        );
    }
    // Nothing happened: the dossier is still a draft and the session still works.
    let sub = t.submission(&t.own_entity()).await;
    assert_eq!(sub.state, SubmissionState::Brouillon);
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn an_establishment_gets_404_for_anything_of_another_entity() {
    let t = sqlite_app().await;
    // A previous campaign, in which the other entity has its dossier too.
    let previous = t.add_campaign(2018, REFERENTIEL).await;
    let (own_entity, other_entity) = (t.own_entity(), t.other_entity());
    let mut c = t.logged_in(Role::Etablissement).await;
    let other = t.dossier(other_entity);
    let before = t.submission(&other_entity).await;
    let p = c.get(&other).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(
        !p.body.contains(other_entity.as_str()),
        "a 404 must not show the entity"
    );
    for uri in [
        format!("/campagnes/{}", t.campaign_id()),
        format!("/campagnes/{}/dossiers/{other_entity}", previous.id),
        "/audit".to_owned(),
        "/campagnes/inconnue/dossiers/310001003".to_owned(),
        format!("/campagnes/{}/dossiers/999999999", t.campaign_id()),
    ] {
        assert_eq!(c.get(&uri).await.status, StatusCode::NOT_FOUND, "GET {uri}");
    }
    // Forged posts with a valid token, on the other entity's dossier.
    c.get(&t.dossier(own_entity)).await;
    let site = t.fixture.entities[1].sites[0].finess;
    let field = format!("v:{site}:I-01");
    for (uri, fields) in [
        (format!("{other}/valeurs"), vec![(field.as_str(), "50")]),
        (format!("{other}/actions"), vec![("action", "soumettre")]),
    ] {
        assert_eq!(
            c.post(&uri, &fields).await.status,
            StatusCode::NOT_FOUND,
            "POST {uri}"
        );
    }
    // Every page and form of the additional volets, and the sum notified, on both
    // campaigns: 404 for another entity, nothing written.
    for campaign in [t.campaign_id(), &previous.id] {
        let base = format!("/campagnes/{campaign}/dossiers/{other_entity}");
        assert_eq!(
            c.get(&format!("{base}/volets")).await.status,
            StatusCode::NOT_FOUND
        );
        for volet in ["transports", "qualite", "pertinence"] {
            let page = format!("{base}/volets/{volet}");
            assert_eq!(
                c.get(&page).await.status,
                StatusCode::NOT_FOUND,
                "GET {page}"
            );
            for step in [
                "evaluation",
                "avis",
                "decision",
                "notification",
                "correction",
            ] {
                let uri = format!("{page}/{step}");
                let fields = [
                    ("avis", "favorable"),
                    ("montant", "0"),
                    ("duree_mois", "0"),
                    ("motivation", "x"),
                    ("motif", "x"),
                    ("date_notification", "2020-01-01"),
                ];
                assert_eq!(
                    c.post(&uri, &fields).await.status,
                    StatusCode::NOT_FOUND,
                    "POST {uri}"
                );
            }
        }
    }
    let after = t.submission(&other_entity).await;
    assert_eq!(before, after);
    // A site of another entity slipped into one's own form is ignored, not written.
    let own = t.dossier(own_entity);
    c.post(&format!("{own}/valeurs"), &[(field.as_str(), "NC")])
        .await;
    // The other entity had no value: it still has none.
    assert_eq!(
        t.store()
            .values_for_entity(&other_entity, 2019)
            .await
            .unwrap(),
        vec![]
    );
    t.db.cleanup().await.unwrap();
}

/// A path segment that is a FINESS is read as one: a malformed number (wrong length,
/// letter, Luhn key) is a page that does not exist, for a user who may read the region,
/// on pages and forms alike, and nothing is written.
#[tokio::test]
async fn a_malformed_finess_in_a_path_is_a_404() {
    let t = sqlite_app().await;
    // A second-generation campaign, for the address of an objective's unit.
    let generation2 = t.add_campaign(2024, "exemple-regional-2022").await;
    let mut ars = t.logged_in(Role::Ars).await;
    let campaign = t.campaign_id();
    let own = t.own_entity();
    assert_eq!(ars.get(&t.dossier(own)).await.status, StatusCode::OK);
    // Its dossier answers: the 404s below are the malformed FINESS's.
    let g2_dossier = format!("/campagnes/{}/dossiers/{own}", generation2.id);
    assert_eq!(ars.get(&g2_dossier).await.status, StatusCode::OK);
    let head = t.store().audit_chain_head().await.unwrap();
    // The own entity's FINESS with its last digit changed: a wrong key.
    let wrong_key = {
        let text = own.to_string();
        let last = text.as_bytes()[8] - b'0';
        format!("{}{}", &text[..8], (last + 1) % 10)
    };
    for bad in [wrong_key.as_str(), "31000100", "31000100X", "abc"] {
        for uri in [
            format!("/campagnes/{campaign}/dossiers/{bad}"),
            format!("/campagnes/{campaign}/dossiers/{bad}/decision"),
            format!("/campagnes/{campaign}/dossiers/{bad}/volets/transports"),
            format!("/contrats/{bad}"),
            format!(
                "/campagnes/{}/dossiers/{own}/objectifs/{bad}/surveillance.pdf",
                generation2.id
            ),
        ] {
            assert_eq!(
                ars.get(&uri).await.status,
                StatusCode::NOT_FOUND,
                "GET {uri}"
            );
        }
        for (uri, fields) in [
            (
                format!("/campagnes/{campaign}/dossiers/{bad}/actions"),
                vec![("action", "prendre_en_revue")],
            ),
            (
                format!("/contrats/{bad}/avenants"),
                vec![("objet", "x"), ("date_signature", "2020-01-01")],
            ),
        ] {
            assert_eq!(
                ars.post(&uri, &fields).await.status,
                StatusCode::NOT_FOUND,
                "POST {uri}"
            );
        }
    }
    assert_eq!(t.store().audit_chain_head().await.unwrap(), head);
    t.db.cleanup().await.unwrap();
}

/// The vertical slice: the établissement enters and submits, the ARS reviews,
/// returns, validates and evaluates; every transition is in the audit log.
async fn slice(t: &FixtureApp) {
    let own = t.own_entity();
    let url = t.dossier(own);
    let typed = type_one_value(t).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let page = etab.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Numérateur"),
        "the form shows the definitions"
    );
    assert!(page.body.contains("points en jeu"));

    // Submitting an incomplete draft is refused with the missing codes.
    let p = etab
        .post(&format!("{url}/actions"), &[("action", "soumettre")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("valeur manquante pour"), "{}", p.status);

    // The form's own fields, with every empty field filled: proportions by parts, words by OUI.
    let form_fields: Vec<String> = page
        .body
        .match_indices("name=\"")
        .map(|(i, _)| {
            let rest = &page.body[i + 6..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .filter(|n| n.starts_with("n:") || n.starts_with("d:") || n.starts_with("v:"))
        .collect();
    assert!(!form_fields.is_empty());
    let sites = t.store().sites_of(&own).await.unwrap();
    assert_eq!(sites.len(), 3, "the user's entity is multi-site");
    let stored = t.store().values_for_entity(&own, 2019).await.unwrap();
    assert_eq!(stored, vec![typed]);
    assert!(
        form_fields.contains(&format!("n:{}:I-01", sites[0].finess)),
        "the typed value's field is in the form"
    );
    let filled: std::collections::BTreeSet<String> = stored
        .iter()
        .map(|v| format!("{}:{}", v.site, v.indicator))
        .collect();
    let referentiel = caqes_core::referentiel::builtin_by_id(REFERENTIEL).unwrap();
    let mut fields: Vec<(String, String)> = Vec::new();
    for name in &form_fields {
        let key = &name[2..];
        if filled.contains(key) {
            continue; // keep what is stored: empty fields of the form would clear it
        }
        let code = key.split(':').nth(1).unwrap();
        // An indicator, or one of its classes (`III-02/EPO`, D5), typed like its indicator.
        let ind = referentiel
            .line_of(code)
            .and_then(|n| referentiel.line_at(n))
            .unwrap()
            .indicator;
        let v = match (&name[..2], ind.is_numeric()) {
            ("n:", true) => "45",
            ("d:", true) => "60",
            ("v:", false) => "OUI",
            _ => "",
        };
        fields.push((name.clone(), v.to_owned()));
    }
    // Stored values must be posted back too (the form always sends every field).
    for v in &stored {
        let key = format!("{}:{}", v.site, v.indicator);
        fields.push((format!("n:{key}"), v.numerator.clone().unwrap_or_default()));
        fields.push((
            format!("d:{key}"),
            v.denominator.clone().unwrap_or_default(),
        ));
        fields.push((
            format!("v:{key}"),
            v.declared.clone().or(v.value.clone()).unwrap_or_default(),
        ));
    }
    // One wrong value: nothing is saved, the message is next to the field.
    let first_num = fields
        .iter()
        .position(|(n, v)| n.starts_with("n:") && v == "45")
        .unwrap();
    let bad_name = fields[first_num].0.clone();
    let mut bad = fields.clone();
    bad[first_num].1 = "quarante".into();
    let as_refs = |f: &Vec<(String, String)>| {
        f.iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect::<Vec<_>>()
    };
    let bad_refs = as_refs(&bad);
    let bad_pairs: Vec<(&str, &str)> = bad_refs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = etab.post(&format!("{url}/valeurs"), &bad_pairs).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("« quarante » n'est pas un nombre"),
        "the engine's message, HTML-escaped"
    );
    assert!(
        p.body.contains("value=\"quarante\""),
        "what was typed is kept"
    );
    let err_id = format!("err-{}", bad_name[2..].replace(':', "-"));
    assert!(
        p.body.contains(&err_id),
        "the error is tied to its field ({err_id})"
    );
    assert_eq!(
        t.store().values_for_entity(&own, 2019).await.unwrap(),
        stored
    );

    let good_refs = as_refs(&fields);
    let good_pairs: Vec<(&str, &str)> = good_refs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = etab.post(&format!("{url}/valeurs"), &good_pairs).await;
    assert_eq!(
        p.status,
        StatusCode::SEE_OTHER,
        "{}",
        p.body
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .split("fr-error-text")
            .nth(1)
            .unwrap_or("")
    );
    let page = etab.get(p.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Brouillon enregistré"));
    let p = etab
        .post(&format!("{url}/actions"), &[("action", "soumettre")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = etab.get(&url).await;
    assert!(
        page.body
            .contains("<span class=\"fr-badge fr-badge--info\" id=\"etat\">Soumis</span>")
    );
    assert!(
        !page.body.contains("id=\"formulaire-valeurs\""),
        "a submitted dossier is read-only"
    );
    // The établissement cannot do the ARS's steps.
    let p = etab
        .post(&format!("{url}/actions"), &[("action", "valider")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // ARS: follow-up, review, return with a comment.
    let mut ars = t.logged_in(Role::Ars).await;
    let campaign = ars.get(&format!("/campagnes/{}", t.campaign_id())).await;
    assert_eq!(campaign.status, StatusCode::OK);
    assert!(campaign.body.contains(OWN_NAME));
    assert!(
        campaign
            .body
            .contains("<strong>1 dossier(s) déposé(s) sur 2.</strong>"),
        "{}",
        campaign.body
    );
    // The ARS reaches the XLSX « fichier à remplir » and the targeting screens
    // from the campaign page, and the link works.
    let xlsx = format!("/campagnes/{}/imports/xlsx", t.campaign_id());
    assert!(
        campaign.body.contains(&format!("href=\"{xlsx}\"")),
        "{}",
        campaign.body
    );
    assert_eq!(ars.get(&xlsx).await.status, StatusCode::OK);
    ars.get(&url).await;
    let act = |a: &'static str| vec![("action", a)];
    assert_eq!(
        ars.post(&format!("{url}/actions"), &act("prendre_en_revue"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let p = ars.post(&format!("{url}/actions"), &act("renvoyer")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "a return needs a comment");
    let p = ars
        .post(
            &format!("{url}/actions"),
            &[
                ("action", "renvoyer"),
                ("commentaire", "Vérifier le dénominateur de I-01"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);

    let page = etab.get(&url).await;
    assert!(page.body.contains("Vérifier le dénominateur de I-01"));
    assert!(
        page.body.contains("id=\"formulaire-valeurs\""),
        "a returned dossier is editable again"
    );
    assert_eq!(
        etab.post(&format!("{url}/actions"), &act("soumettre"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    ars.get(&url).await;
    for a in ["prendre_en_revue", "valider", "evaluer"] {
        let mut fields = act(a);
        if a == "evaluer" {
            // The fixture contracted no target for 2019: the ARS records its decision
            // to evaluate the lines without target (W3).
            fields.extend([
                ("cibles_manquantes", "confirme"),
                ("commentaire", "Cibles 2019 non contractualisées"),
            ]);
        }
        if a == "valider" {
            // No value of the Assurance Maladie for 2019 is in: validating without
            // them is refused until the ARS decides it explicitly (issue 10).
            let refused = ars.post(&format!("{url}/actions"), &fields).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                refused.body
            );
            assert!(
                refused
                    .body
                    .contains("Valeurs de l'Assurance Maladie en attente pour"),
                "{}",
                refused.body
            );
            assert!(refused.body.contains("id=\"am-en-attente-valider\""));
        }
        if a != "prendre_en_revue" {
            fields.push(("am_en_attente", "confirme"));
        }
        let p = ars.post(&format!("{url}/actions"), &fields).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{a}: {}", p.body);
    }
    // The decision is recorded with the transition, in the dossier's history.
    assert!(
        ars.get(&url)
            .await
            .body
            .contains("Décidé sans les valeurs de l'Assurance Maladie en attente pour")
    );
    let sub = t.submission(&own).await;
    assert_eq!(sub.state, SubmissionState::Evalue);
    // What the engine gives for the fixture's values (one typed 30/40, every other
    // proportion 45/60, every word OUI, no AM value, no target): 32 points and a
    // bonus of 2, pinned here; the page agrees with it below (no « écart »).
    let total = sub.total.unwrap();
    assert_eq!(
        (sub.score, sub.bonus, total),
        (
            Some(Decimal::from(32)),
            Some(Decimal::from(2)),
            Decimal::from(34)
        )
    );
    let page = ars.get(&url).await;
    assert!(page.body.contains("id=\"score-evalue\""));
    assert!(
        !page.body.contains("id=\"score-ecart\""),
        "same score, no notice"
    );
    // Values change after the evaluation (here: the year's values cleared in the
    // database): the page says the computed score differs and which one counts (issue 10).
    sqlx::query(
        "DELETE FROM indicator_values WHERE year = $1 \
         AND site IN (SELECT finess FROM sites WHERE entity = $2)",
    )
    .bind(i64::from(t.campaign().year))
    .bind(own.to_string())
    .execute(t.store().pool())
    .await
    .unwrap();
    let page = ars.get(&url).await;
    assert!(page.body.contains("id=\"score-ecart\""), "{}", page.body);
    assert!(
        page.body
            .contains("La décision et ses documents reposent sur le score retenu")
    );
    assert!(page.body.contains(&format!(
        "diffère du score retenu par l'évaluation ({})",
        caqes_web::dossier::fr(total)
    )));

    let history = t.store().transitions_of(&sub.id).await.unwrap();
    assert_eq!(history.len(), 7);
    let audit = ars.get("/audit").await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("dossier.transition"));
    assert!(audit.body.contains("valeurs.enregistrer"));

    // OMEDIT reads the region but has no action and cannot write.
    let mut omedit = t.logged_in(Role::Omedit).await;
    let page = omedit.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"titre-actions\""));
    assert_eq!(
        omedit
            .post(&format!("{url}/actions"), &act("notifier"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        omedit.post(&format!("{url}/valeurs"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(omedit.get("/audit").await.status, StatusCode::NOT_FOUND);
}

/// The établissement's value 30/40 for I-01 on its first site, typed before the
/// slice begins (the form sends it back untouched): the value as stored.
async fn type_one_value(t: &FixtureApp) -> StoredValue {
    let store = t.store();
    let grid = store.campaign_referentiel(t.campaign()).await.unwrap();
    let site = t.fixture.entities[0].sites[0].finess;
    let value = StoredValue::typed_text(site, 2019, "I-01", Some("30"), Some("40"), None)
        .parsed_in(&grid, true)
        .unwrap();
    let etab = Actor::user(t.user(Role::Etablissement));
    store
        .save_values(
            &etab,
            t.campaign(),
            &t.fixture.entities[0].entity,
            std::slice::from_ref(&value),
        )
        .await
        .unwrap();
    value
}

#[tokio::test]
async fn live_preview_scores_without_saving_and_stays_in_scope() {
    let t = sqlite_app().await;
    let mut c = t.logged_in(Role::Etablissement).await;
    let own = t.dossier(t.own_entity());
    c.get(&own).await;
    let site = t.fixture.entities[0].sites[0].finess;
    let n = format!("n:{site}:I-01");
    let d = format!("d:{site}:I-01");
    let p = c
        .post(
            &format!("{own}/apercu"),
            &[(n.as_str(), "12"), (d.as_str(), "10")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&p.body).unwrap();
    let message = json["errors"][format!("{site}-I-01")].as_str().unwrap();
    assert!(message.contains("dépasse le dénominateur"), "{message}");
    assert!(json["score"].is_string());
    let p = c
        .post(
            &format!("{own}/apercu"),
            &[(n.as_str(), "5"), (d.as_str(), "10")],
        )
        .await;
    let json: serde_json::Value = serde_json::from_str(&p.body).unwrap();
    assert_eq!(json["errors"], serde_json::json!({}));
    // Nothing was saved: the entity had no value and still has none.
    assert_eq!(
        t.store()
            .values_for_entity(&t.own_entity(), 2019)
            .await
            .unwrap(),
        vec![]
    );
    // Another entity: 404; no token: 403.
    let other = t.dossier(t.other_entity());
    assert_eq!(
        c.post(&format!("{other}/apercu"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.post_raw(&format!("{own}/apercu"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn the_ars_creates_a_campaign_and_others_cannot() {
    let t = sqlite_app().await;
    let mut ars = t.logged_in(Role::Ars).await;
    assert!(ars.get("/").await.body.contains("id=\"nouvelle-campagne\""));
    assert_eq!(ars.get("/campagnes/nouvelle").await.status, StatusCode::OK);
    let fields = |year: &'static str, sub: &'static str| {
        vec![
            ("title", "Campagne CAQES 2021 (données 2020)"),
            ("year", year),
            ("referentiel", REFERENTIEL),
            ("submission_deadline", sub),
            ("evaluation_deadline", "2021-06-30"),
        ]
    };
    // The year 2019 already has a campaign; dates in the wrong order.
    let p = ars.post("/campagnes", &fields("2019", "2021-07-31")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains("Une campagne existe déjà pour l'année 2019"),
        "{}",
        p.body
    );
    assert!(p.body.contains("doit suivre la date limite de dépôt"));
    assert_eq!(
        t.store().campaigns_in_region(&REGION).await.unwrap().len(),
        1
    );
    let p = ars.post("/campagnes", &fields("2020", "2021-03-31")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = ars.get(p.location.as_deref().unwrap()).await;
    assert!(
        page.body
            .contains("<strong>0 dossier(s) déposé(s) sur 2.</strong>"),
        "{}",
        page.body
    );

    let mut etab = t.logged_in(Role::Etablissement).await;
    assert_eq!(
        etab.get("/campagnes/nouvelle").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        etab.post("/campagnes", &fields("2022", "2023-03-31"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut omedit = t.logged_in(Role::Omedit).await;
    assert_eq!(
        omedit
            .post("/campagnes", &fields("2022", "2023-03-31"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let years: Vec<i16> = t
        .store()
        .campaigns_in_region(&REGION)
        .await
        .unwrap()
        .iter()
        .map(|c| c.year)
        .collect();
    assert_eq!(years.len(), 2);
    assert!(years.contains(&2019) && years.contains(&2020), "{years:?}");
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn vertical_slice_on_sqlite() {
    on_sqlite(fixture(), slice).await;
}

#[tokio::test]
async fn vertical_slice_on_postgres() {
    on_postgres(fixture(), slice).await;
}

#[tokio::test]
async fn logout_and_password_change_end_the_session() {
    let t = sqlite_app().await;
    let mut c = t.logged_in(Role::Omedit).await;
    c.get("/mot-de-passe").await;
    let p = c
        .post(
            "/mot-de-passe",
            &[
                ("current", "faux"),
                ("new", "nouveau-mot-de-passe"),
                ("confirm", "nouveau-mot-de-passe"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Le mot de passe actuel est incorrect"));
    let p = c
        .post(
            "/mot-de-passe",
            &[
                ("current", &password(Role::Omedit)),
                ("new", "nouveau-mot-de-passe"),
                ("confirm", "nouveau-mot-de-passe"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/").await.location.as_deref(),
        Some("/connexion"),
        "the session ended"
    );
    c.get("/connexion").await;
    let p = c
        .post(
            "/connexion",
            &[
                ("email", &t.email(Role::Omedit)),
                ("password", "nouveau-mot-de-passe"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    let p = c.post("/deconnexion", &[]).await;
    assert_eq!(p.location.as_deref(), Some("/connexion"));
    assert_eq!(c.get("/").await.location.as_deref(), Some("/connexion"));
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let config = Config {
        secure_cookies: true,
        ..Config::default()
    };
    let db = TestDb::sqlite().await.unwrap();
    let t = FixtureApp::with_config(db, fixture(), config).await;
    let mut c = t.client();
    c.get("/connexion").await;
    let body = serde_urlencoded::to_string([
        ("_csrf", c.csrf.as_str()),
        ("email", &t.email(Role::Ars)),
        ("password", &password(Role::Ars)),
    ])
    .unwrap();
    let req = Request::post("/connexion")
        .header(header::COOKIE, c.cookie_header())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let res = t.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("caqes_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    t.db.cleanup().await.unwrap();
}
