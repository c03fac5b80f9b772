//! Issue 10, through the router: the pages' shell (header with the mobile
//! menu, navigation of each role, user label), the footer's public pages,
//! the favicon, and the confirmation shown once after an action.

use axum::http::StatusCode;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder};

mod common;
use common::fixture::on_sqlite;
use common::password;

/// Every role's user, an administrator, one entity and its dossier in a campaign.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .admin()
        .entity("Centre hospitalier de Sète")
        .campaign(2019)
}

#[tokio::test]
async fn footer_pages_are_public_and_say_what_a_state_site_must() {
    on_sqlite(fixture(), async |t| {
        let mut anon = t.client();
        let p = anon.get("/accessibilite").await;
        assert_eq!(p.status, StatusCode::OK);
        for must in [
            "id=\"etat-conformite\"",
            "<strong>non conforme</strong>",
            "Non-conformités connues",
            "id=\"voies-de-recours\"",
            "Défenseur des droits",
        ] {
            assert!(p.body.contains(must), "{must}");
        }
        let p = anon.get("/donnees-personnelles").await;
        assert!(p.body.contains("caqes_flash") && p.body.contains("CNIL"));
        let p = anon.get("/mentions-legales").await;
        assert!(
            p.body.contains("Directeur de la publication")
                || p.body.contains("directeur de la publication")
        );
        // Anonymous: the site map offers the login, not a role's pages.
        let p = anon.get("/plan-du-site").await;
        assert!(p.body.contains("href=\"/connexion\""));
        assert!(!p.body.contains("href=\"/audit\""));

        // Logged in: the site map of the role.
        let mut ars = t.logged_in(Role::Ars).await;
        let p = ars.get("/plan-du-site").await;
        assert!(
            p.body.contains("href=\"/audit\"") && p.body.contains("href=\"/campagnes/nouvelle\"")
        );
        let mut etab = t.logged_in(Role::Etablissement).await;
        let p = etab.get("/plan-du-site").await;
        assert!(!p.body.contains("href=\"/audit\""));
        assert!(
            p.body
                .contains(&format!("href=\"/contrats/{}\"", t.own_entity()))
        );
        // Its dossier of each campaign of the region.
        let dossier = format!("href=\"{}\"", t.dossier(t.own_entity()));
        assert!(p.body.contains(&dossier), "{dossier}: {}", p.body);
        // The administrator reads no campaign.
        let mut admin = t.logged_in(Role::Admin).await;
        let p = admin.get("/plan-du-site").await;
        assert!(!p.body.contains("href=\"/campagnes/"), "{}", p.body);

        let p = anon.get("/favicon.ico").await;
        assert_eq!(p.status, StatusCode::OK);
        let p = anon.get("/static/dsfr/favicon/favicon.svg").await;
        assert!(p.body.contains("<svg"));
    })
    .await;
}

#[tokio::test]
async fn every_role_has_its_navigation_and_a_label_without_the_role_twice() {
    on_sqlite(fixture(), async |t| {
        for (role, has, lacks) in [
            (
                Role::Etablissement,
                "id=\"nav-contrat\"",
                "id=\"nav-audit\"",
            ),
            (Role::Ars, "id=\"nav-audit\"", "id=\"nav-utilisateurs\""),
            (
                Role::AssuranceMaladie,
                "id=\"nav-donnees-am\"",
                "id=\"nav-audit\"",
            ),
            (Role::Omedit, "id=\"nav-contrats\"", "id=\"nav-donnees-am\""),
            (
                Role::Admin,
                "id=\"nav-utilisateurs\"",
                "id=\"nav-contrats\"",
            ),
        ] {
            let mut c = t.logged_in(role).await;
            let home = c.get("/").await.body;
            assert!(home.contains(has), "{role:?}: {has}");
            assert!(
                home.contains("id=\"nav-accueil\" target=\"_self\" aria-current=\"page\""),
                "{role:?}: the home entry is not the current one"
            );
            assert!(!home.contains(lacks), "{role:?}: {lacks}");
            assert!(home.contains("class=\"fr-btn--menu fr-btn\""), "{role:?}");
            assert!(
                home.contains("<div class=\"fr-header__menu-links\"></div>"),
                "{role:?}"
            );
            let name = t.email(role);
            let user = t.store().user_by_email(&name).await.unwrap().unwrap();
            let shown = format!(">{}</span>", user.display_name);
            assert!(home.contains(&shown), "{role:?}: {shown}");
            let label = role.label();
            assert!(
                !home.contains(&format!("— {label} — {label}")),
                "{role:?}: the role twice"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn an_action_is_confirmed_once_and_no_text_of_the_request_is_echoed() {
    on_sqlite(fixture(), async |t| {
        // The administrator creates an account: the list confirms it, once.
        let mut admin = t.logged_in(Role::Admin).await;
        admin.get("/admin/utilisateurs").await;
        let p = admin
            .post(
                "/admin/utilisateurs",
                &[
                    ("email", "nouvelle@demo.caqes.fr"),
                    ("name", "Nouvelle Personne"),
                    ("role", "omedit"),
                    ("region", "76"),
                    ("entity", ""),
                    ("password", "Un-mot-de-passe-temporaire-42"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let list = admin.get("/admin/utilisateurs").await;
        assert!(
            list.body.contains("id=\"confirmation\"") && list.body.contains("Compte créé."),
            "{}",
            list.body
        );
        assert!(
            !admin
                .get("/admin/utilisateurs")
                .await
                .body
                .contains("id=\"confirmation\"")
        );
        // The administrator is not offered to deactivate its own account.
        assert!(
            list.body
                .contains("Votre propre compte ne peut pas être désactivé ici.")
        );

        // A forged flash cookie shows nothing of its own.
        admin
            .cookies
            .insert("caqes_flash".into(), "<script>alert(1)</script>".into());
        let p = admin.get("/").await;
        assert!(!p.body.contains("id=\"confirmation\"") && !p.body.contains("alert(1)"));

        // A password changed: the login page says so.
        let mut etab = t.logged_in(Role::Etablissement).await;
        etab.get("/mot-de-passe").await;
        let old = password(Role::Etablissement);
        let p = etab
            .post(
                "/mot-de-passe",
                &[
                    ("current", old.as_str()),
                    ("new", "Nouveau-mot-de-passe-2026!"),
                    ("confirm", "Nouveau-mot-de-passe-2026!"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let login = etab.get("/connexion").await;
        assert!(
            login
                .body
                .contains("Mot de passe modifié : reconnectez-vous"),
            "{}",
            login.body
        );

        // Logging out is confirmed on the login page.
        let mut ars = t.logged_in(Role::Ars).await;
        let p = ars.post("/deconnexion", &[]).await;
        assert_eq!(p.location.as_deref(), Some("/connexion"));
        let login = ars.get("/connexion").await;
        assert!(
            login.body.contains("Vous êtes déconnecté."),
            "{}",
            login.body
        );
    })
    .await;
}

#[tokio::test]
async fn submitting_without_saving_first_keeps_the_typed_values() {
    on_sqlite(fixture(), async |t| {
        let mut etab = t.logged_in(Role::Etablissement).await;
        let url = t.dossier(t.own_entity());
        let page = etab.get(&url).await;
        // The « Soumettre » button belongs to the values form.
        assert!(
            page.body.contains("form=\"formulaire-valeurs\" name=\"suite\" value=\"soumettre\" id=\"action-soumettre\""),
            "{}",
            page.body
        );
        // Yes/no indicators are answered with radio buttons.
        assert!(page.body.contains("type=\"radio\"") && page.body.contains("value=\"OUI\""));
        // An empty numerator field of the form, typed and sent with « suite=soumettre ».
        let start = page.body.find("name=\"n:").unwrap() + 6;
        let name = &page.body[start..start + page.body[start..].find('"').unwrap()];
        let den = name.replacen("n:", "d:", 1);
        let p = etab
            .post(
                &format!("{url}/valeurs"),
                &[(name, "12"), (den.as_str(), "48"), ("suite", "soumettre")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(p.location.as_deref(), Some(format!("{url}/soumission").as_str()));
        let confirm = etab.get(&format!("{url}/soumission")).await;
        assert!(confirm.body.contains("Brouillon enregistré."));
        let (_, site, code) = {
            let mut parts = name.splitn(3, ':');
            (parts.next(), parts.next().unwrap(), parts.next().unwrap())
        };
        let year = t.store().campaign(t.campaign_id()).await.unwrap().unwrap().year;
        let stored = t
            .store()
            .values_for_entity(&t.own_entity(), year)
            .await
            .unwrap();
        let v = stored
            .iter()
            .find(|v| v.site.as_str() == site && v.indicator == code)
            .unwrap();
        assert_eq!(
            (v.numerator.as_deref(), v.denominator.as_deref()),
            (Some("12"), Some("48"))
        );
        // A wrong value: nothing saved, nothing submitted, the form comes back.
        let p = etab
            .post(
                &format!("{url}/valeurs"),
                &[(name, "douze"), ("suite", "soumettre")],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Rien n'a été enregistré ni soumis"));
        // The error summary links to the field.
        let field = ["n", "d", "v"]
            .into_iter()
            .find(|f| p.body.contains(&format!("href=\"#{f}-{site}-{code}\"")))
            .unwrap_or_else(|| panic!("no link to the field: {}", p.body));
        assert!(p.body.contains(&format!("id=\"{field}-{site}-{code}\"")));
    })
    .await;
}
