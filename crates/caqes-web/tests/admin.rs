//! Administration through the router (no port bound): admin-only pages,
//! account creation with scope checks, deactivation, forced password change,
//! référentiel upload (errors with file and line, then usable by a campaign),
//! dossier comments and their visibility, the campaign follow-up, the audit
//! log's paging and filters, and CSRF. SQLite, and PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{Action, Role};

mod common;
use common::Client;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

const NATIONAL: &str = include_str!("../../../referentiels/national-2017.toml");
const NEW_EMAIL: &str = "nouvel.omedit@t.fr";
const TEMPORARY: &str = "temporaire-123456";
const CHOSEN: &str = "mot-de-passe-choisi-42";

/// Logs in without following to `/` (a forced password change redirects elsewhere).
async fn raw_login<'a>(
    t: &'a FixtureApp,
    email: &str,
    password: &str,
) -> (Client<'a>, StatusCode, String) {
    let mut c = t.client();
    c.get("/connexion").await;
    let p = c
        .post("/connexion", &[("email", email), ("password", password)])
        .await;
    (c, p.status, p.body)
}

fn user_id(list_page: &str, email: &str) -> String {
    // Rows hold the e-mail, then the forms whose action carries the id.
    let row = &list_page[list_page.find(&format!("<td>{email}</td>")).unwrap()..];
    let start = row.find("/admin/utilisateurs/").unwrap() + "/admin/utilisateurs/".len();
    row[start..start + 32].to_owned()
}

fn rows(body: &str, table_id: &str) -> usize {
    let table = &body[body.find(&format!("id=\"{table_id}\"")).unwrap()..];
    let tbody = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    tbody.matches("<tr>").count()
}

/// An administrator, and forty entities of the region with their users and
/// dossiers in the campaign 2019, still running: enough audit lines for two
/// pages of the log, few enough accounts for one page of their list.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entities(40)
        .campaign(2019)
        .running()
        .admin()
}

/// The last entity's dossier submitted: the follow-up then has a dossier that
/// is not a draft.
async fn submit_last(t: &FixtureApp) {
    let last = t.fixture.entities.last().unwrap().entity.finess;
    let store = t.store();
    let sub = t.submission(&last).await;
    let etab = t.fixture.etab(last).unwrap();
    store
        .apply_action(etab, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn admin_on_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn admin_on_postgres() {
    on_postgres(fixture(), story).await;
}

async fn story(t: &FixtureApp) {
    submit_last(t).await;
    let mut admin = t.logged_in(Role::Admin).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut omedit = t.logged_in(Role::Omedit).await;
    let mut etab = t.logged_in(Role::Etablissement).await;

    // --- Admin-only pages: 404 for every other role, even with a valid CSRF token.
    for c in [&mut ars, &mut am, &mut omedit, &mut etab] {
        for url in ["/admin/utilisateurs", "/admin/referentiels"] {
            assert_eq!(c.get(url).await.status, StatusCode::NOT_FOUND, "{url}");
        }
        c.get("/").await;
        let p = c
            .post(
                "/admin/utilisateurs",
                &[
                    ("email", "x@y.fr"),
                    ("name", "X"),
                    ("role", "admin"),
                    ("password", TEMPORARY),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        let p = c
            .post(
                "/admin/referentiels",
                &[("file_name", "a.toml"), ("toml", NATIONAL)],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
    }
    let page = admin.get("/admin/utilisateurs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ars@t.fr"));
    assert!(page.body.contains("href=\"/admin/utilisateurs\""));

    // --- CSRF: a forged form is refused before anything is written.
    let forged = admin
        .post_raw(
            "/admin/utilisateurs",
            &[
                ("email", NEW_EMAIL),
                ("name", "N"),
                ("role", "omedit"),
                ("region", "76"),
                ("password", TEMPORARY),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(t.store().user_by_email(NEW_EMAIL).await.unwrap().is_none());

    // --- Scope fields depend on the role.
    admin.get("/admin/utilisateurs").await;
    let p = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", NEW_EMAIL),
                ("name", "Nouvel OMEDIT"),
                ("role", "omedit"),
                ("region", ""),
                ("password", TEMPORARY),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Région : obligatoire"), "{}", p.body);
    let p = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", "etab-nouveau@t.fr"),
                ("name", "E"),
                ("role", "etablissement"),
                ("entity", ""),
                ("password", TEMPORARY),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Entité juridique (FINESS) : obligatoire"),
        "{}",
        p.body
    );
    assert!(t.store().user_by_email(NEW_EMAIL).await.unwrap().is_none());
    let p = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", NEW_EMAIL),
                ("name", "Nouvel OMEDIT"),
                ("role", "omedit"),
                ("region", "76"),
                ("password", TEMPORARY),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let created = t.store().user_by_email(NEW_EMAIL).await.unwrap().unwrap();
    assert_eq!(created.region, Some(REGION));
    assert!(created.must_change_password);

    // --- Forced password change at the first login.
    let (mut newbie, status, _) = raw_login(t, NEW_EMAIL, TEMPORARY).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let home = newbie.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/mot-de-passe"));
    let form = newbie.get("/mot-de-passe").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("fixé par un administrateur"));
    let p = newbie
        .post(
            "/mot-de-passe",
            &[("current", TEMPORARY), ("new", CHOSEN), ("confirm", CHOSEN)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let mut newbie = t.login(NEW_EMAIL, CHOSEN).await;
    assert_eq!(newbie.get("/").await.status, StatusCode::OK);

    // --- Deactivation closes the sessions and refuses the login; reactivation restores it.
    let list = admin.get("/admin/utilisateurs").await;
    assert!(list.body.contains("jamais") && list.body.contains(NEW_EMAIL));
    let id = user_id(&list.body, NEW_EMAIL);
    let p = admin
        .post(
            &format!("/admin/utilisateurs/{id}/activation"),
            &[("actif", "0")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let after = newbie.get("/").await;
    assert_eq!(after.location.as_deref(), Some("/connexion"));
    let (_, status, body) = raw_login(t, NEW_EMAIL, CHOSEN).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Ce compte est désactivé"));
    admin.get("/admin/utilisateurs").await;
    admin
        .post(
            &format!("/admin/utilisateurs/{id}/activation"),
            &[("actif", "1")],
        )
        .await;
    let mut newbie = t.login(NEW_EMAIL, CHOSEN).await;

    // --- Reset: temporary password, sessions closed, forced change again.
    admin.get("/admin/utilisateurs").await;
    let p = admin
        .post(
            &format!("/admin/utilisateurs/{id}/mot-de-passe"),
            &[("password", "court")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = admin
        .post(
            &format!("/admin/utilisateurs/{id}/mot-de-passe"),
            &[("password", TEMPORARY)],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Mot de passe temporaire enregistré"));
    assert_eq!(
        newbie.get("/").await.location.as_deref(),
        Some("/connexion")
    );
    let (_, status, _) = raw_login(t, NEW_EMAIL, CHOSEN).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (mut newbie, status, _) = raw_login(t, NEW_EMAIL, TEMPORARY).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        newbie.get("/audit").await.location.as_deref(),
        Some("/mot-de-passe")
    );

    // --- Référentiels: a broken upload shows the file and line, nothing stored.
    let page = admin.get("/admin/referentiels").await;
    assert!(page.body.contains("occitanie-2018") && page.body.contains("national-2017"));
    let good = NATIONAL.replacen("id = \"national-2017\"", "id = \"grille-76\"", 1);
    let broken = good.replacen("points_total = 100", "points_total = \"cent\"", 1);
    let line = broken
        .lines()
        .position(|l| l.starts_with("points_total"))
        .unwrap()
        + 1;
    let p = admin
        .post(
            "/admin/referentiels",
            &[("file_name", "grille-76.toml"), ("toml", &broken)],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains(&format!("grille-76.toml, ligne {line}")),
        "{}",
        p.body
    );
    assert!(t.store().uploaded_referentiels().await.unwrap().is_empty());
    let p = admin
        .post(
            "/admin/referentiels",
            &[("file_name", "grille-76.toml"), ("toml", &good)],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("grille-76@v1"));

    // ... and the ARS creates a campaign with it; its dossiers use it.
    let form = ars.get("/campagnes/nouvelle").await;
    assert!(
        form.body.contains("value=\"grille-76@v1\""),
        "{}",
        form.body
    );
    let p = ars
        .post(
            "/campagnes",
            &[
                ("title", "Campagne régionale 2030"),
                ("year", "2030"),
                ("referentiel", "grille-76@v1"),
                ("submission_deadline", "2031-03-31"),
                ("evaluation_deadline", "2031-06-30"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let campaign_url = p.location.unwrap();
    let follow = ars.get(&campaign_url).await;
    assert_eq!(follow.status, StatusCode::OK);
    assert!(follow.body.contains("Indicateurs nationaux obligatoires"));
    let dossier = ars
        .get(&format!("{campaign_url}/dossiers/{}", t.own_entity()))
        .await;
    assert_eq!(dossier.status, StatusCode::OK);
    assert!(dossier.body.contains("N-10.1-01"));
    assert!(
        !dossier.body.contains("I-01"),
        "grille Occitanie affichée au lieu de la grille déposée"
    );
    // Every page of a campaign on an uploaded grid reads the grid through the
    // store (issue 16.3): before, six of them looked for a builtin grid of that
    // name and answered 500 (PHEV upload, fichier à remplir, sanction basis,
    // transport, qualité and pertinence targeting).
    let dossier_url = format!("{campaign_url}/dossiers/{}", t.own_entity());
    for (role, path) in [
        (Role::Ars, format!("{campaign_url}/ciblage")),
        (Role::Ars, format!("{campaign_url}/ciblage/qualite")),
        (Role::Ars, format!("{campaign_url}/ciblage/pertinence")),
        (Role::Ars, format!("{campaign_url}/cibles")),
        (Role::Ars, format!("{campaign_url}/imports")),
        (Role::Ars, format!("{campaign_url}/imports/xlsx")),
        (Role::Ars, format!("{dossier_url}/decision")),
        (Role::Ars, format!("{dossier_url}/volets")),
        (Role::AssuranceMaladie, format!("{campaign_url}/phev")),
        (
            Role::AssuranceMaladie,
            format!("{campaign_url}/ciblage/import"),
        ),
    ] {
        let client = if role == Role::Ars { &mut ars } else { &mut am };
        let p = client.get(&path).await;
        assert_eq!(p.status, StatusCode::OK, "{path} : {}", p.body);
    }
    let xlsx = ars
        .get(&format!("{campaign_url}/imports/fichier-a-remplir.xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    assert!(
        xlsx.body.starts_with("PK"),
        "le fichier à remplir est un classeur XLSX (archive zip)"
    );

    // --- Comments: internal ones stay with the regional roles.
    let own = t.dossier(t.own_entity());
    let comments = format!("{own}/commentaires");
    omedit.get(&own).await;
    let p = omedit
        .post(
            &comments,
            &[
                ("body", "Note interne OMEDIT"),
                ("indicator", ""),
                ("visibility", "interne"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = omedit
        .post(
            &comments,
            &[
                ("body", "Merci de justifier la valeur"),
                ("indicator", "I-01"),
                ("visibility", "partage"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = omedit
        .post(
            &comments,
            &[
                ("body", "x"),
                ("indicator", "INCONNU"),
                ("visibility", "partage"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let forged = omedit
        .post_raw(&comments, &[("body", "forgé"), ("visibility", "partage")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let seen = ars.get(&own).await.body;
    assert!(seen.contains("Note interne OMEDIT") && seen.contains("Merci de justifier la valeur"));
    assert!(seen.contains("(OMEDIT)") && seen.contains("indicateur I-01"));
    assert!(!seen.contains("forgé"));
    let seen = etab.get(&own).await.body;
    assert!(seen.contains("Merci de justifier la valeur"));
    assert!(!seen.contains("Note interne OMEDIT"));
    assert!(
        !seen.contains("commentaire-texte"),
        "l'établissement ne commente pas"
    );
    // The établissement only answers a thread shared with it (issue 10): nothing
    // was shared on the dossier as a whole, so its comment there is refused; the
    // AM does not comment; another entity's dossier is 404.
    let p = etab
        .post(&comments, &[("body", "moi"), ("visibility", "partage")])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    am.get("/").await;
    let p = am
        .post(&comments, &[("body", "am"), ("visibility", "interne")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let other = t.dossier(t.fixture.entities[1].entity.finess);
    etab.get("/").await;
    let p = etab
        .post(
            &format!("{other}/commentaires"),
            &[("body", "moi"), ("visibility", "partage")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(etab.get(&other).await.status, StatusCode::NOT_FOUND);

    // --- Campaign follow-up: deadlines per entity and the state filter.
    let follow_url = format!("/campagnes/{}", t.campaign_id());
    let all = ars.get(&follow_url).await.body;
    assert!(all.contains("Jours avant le dépôt") && all.contains("Dernière modification"));
    let total = rows(&all, "dossiers");
    let drafts = ars.get(&format!("{follow_url}?etat=brouillon")).await.body;
    let n = rows(&drafts, "dossiers");
    assert!(n > 0 && n < total, "{n} / {total}");
    let table = &drafts[drafts.find("id=\"dossiers\"").unwrap()..];
    assert_eq!(table.matches("<td>Brouillon</td>").count(), n);
    // A campaign whose deadlines are past: every draft is flagged overdue.
    ars.get("/campagnes/nouvelle").await;
    let p = ars
        .post(
            "/campagnes",
            &[
                ("title", "Campagne en retard"),
                ("year", "2029"),
                ("referentiel", "occitanie-2018"),
                ("submission_deadline", "2020-01-31"),
                ("evaluation_deadline", "2020-03-31"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let late = ars.get(&p.location.unwrap()).await.body;
    let late_rows = rows(&late, "dossiers");
    assert!(late_rows > 0);
    // Two badges per draft: submission and evaluation deadlines both overdue.
    assert_eq!(
        late.matches("fr-badge--error fr-badge--sm\">en retard : -")
            .count(),
        2 * late_rows
    );
    assert_eq!(
        all.matches("en retard").count(),
        0,
        "la campagne en cours n'est pas échue"
    );

    // --- Audit log: ARS (own region) and admin (all regions); nobody else.
    for c in [&mut am, &mut omedit, &mut etab] {
        assert_eq!(c.get("/audit").await.status, StatusCode::NOT_FOUND);
    }
    let page1 = ars.get("/audit").await;
    assert_eq!(page1.status, StatusCode::OK);
    assert!(page1.body.contains("page 1 sur"));
    let n1 = rows(&page1.body, "journal");
    assert_eq!(n1, 50, "50 lignes par page");
    let page2 = ars.get("/audit?page=2").await;
    assert!(page2.body.contains("page 2 sur"));
    let first_row = |b: &str| {
        let t = &b[b.find("<tbody>").unwrap()..];
        t[..t.find("</tr>").unwrap()].to_owned()
    };
    assert_ne!(first_row(&page1.body), first_row(&page2.body));
    let filtered = ars.get("/audit?objet=commentaire").await.body;
    assert_eq!(rows(&filtered, "journal"), 2);
    assert!(filtered.contains("2 écriture(s)"));
    assert!(filtered.contains("Merci de justifier la valeur"));
    let by_actor = ars.get("/audit?auteur=omedit%40t.fr").await.body;
    assert!(by_actor.contains("dossier.commenter"));
    assert!(!by_actor.contains("campagne.creer"));
    let bad = ars.get("/audit?du=hier").await;
    assert!(bad.body.contains("Du : date attendue au format AAAA-MM-JJ"));
    let none = ars.get("/audit?du=2999-01-01").await.body;
    assert_eq!(rows(&none, "journal"), 0);
    // Administrator writes (no region) are only in the administrators' view.
    let admin_view = admin.get("/audit?objet=referentiel").await;
    assert_eq!(admin_view.status, StatusCode::OK);
    assert!(admin_view.body.contains("toutes les régions"));
    assert!(admin_view.body.contains("referentiel.deposer"));
    let ars_view = ars.get("/audit?objet=referentiel").await.body;
    assert_eq!(rows(&ars_view, "journal"), 0);
    // Deactivation shows before → after field by field.
    let users = admin
        .get("/audit?objet=utilisateur&auteur=admin")
        .await
        .body;
    assert!(users.contains("utilisateur.desactiver"));
    assert!(users.contains("<dt>actif</dt>"), "{users}");
}
