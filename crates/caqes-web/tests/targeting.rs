//! Targeting of the transport volet through the router: the AM's import (preview,
//! French error report, all-or-nothing), the engine's verdict at the thresholds on
//! the screen, the ARS's confirmation (an exclusion needs a motivation), the
//! établissement's view, scope (404) and CSRF (403).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_store::targeting::{TRANSPORTS, TransportSpending};
use caqes_store::testing::REGION;
use caqes_store::{Actor, Role};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::targeting::{
    ImportForm, YEAR, assert_other_region_404, assert_reads_only, fixture, row,
};

impl FixtureApp {
    fn targeting_url(&self) -> String {
        self.campaign_url("ciblage")
    }

    /// The own entity's transport spending: 1 850 000 € then 1 860 000 €, targeted
    /// by its amount (above 500 000 €), not by its growth (below 2,2 %).
    async fn seed_transports(&self) {
        let row = TransportSpending {
            entity: self.own_entity(),
            year: YEAR,
            previous: Euros(Decimal::from(1_850_000)),
            amount: Euros(Decimal::from(1_860_000)),
        };
        self.store()
            .import_transport_spending(&Actor::system("test"), &REGION, "test", &[row])
            .await
            .unwrap();
    }
}

const HEADER: &str = "finess;annee;depenses_transport_prescrites;depenses_annee_precedente\n";

async fn import_and_target(t: &FixtureApp) {
    t.seed_transports().await;
    let [own, a, b] = t.entities();
    let import = ImportForm::of(&t.targeting_url(), "transports");
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    assert_eq!(am.get(&import.path).await.status, StatusCode::OK);

    // Errors: every bad line is named with its column; nothing is written.
    let own_site = t.own_site();
    let broken = format!(
        "{HEADER}{a};2018;1000;900\n{b};2019;12x;900\n{own_site};2019;1;1\n123;2019;1;1\n{own};2019;-5;1\n{own};2019;5;1\n"
    );
    let before = t.audit_count().await;
    import
        .assert_errors(
            &mut am,
            &broken,
            "transports.csv",
            &[
                ("2", "annee", "la campagne porte sur l'année 2019"),
                ("3", "depenses_transport_prescrites", "illisible « 12x »"),
                ("4", "finess", "est un site"),
                ("5", "finess", ""),
                ("6", "depenses_transport_prescrites", "négatif"),
                ("7", "finess", "apparaît déjà ligne 6"),
            ],
        )
        .await;
    import
        .assert_missing_columns(t, &mut am, "finess;annee;depenses\n", before)
        .await;

    // The thresholds exactly (not targeted) and just above (targeted).
    let good = format!("{HEADER}{a};2019;102200;100000\n{b};2019;500000,01;499999\n");
    import
        .assert_written(
            t,
            &mut am,
            &good,
            "de 2 entité(s) seront enregistrées",
            before,
        )
        .await;

    // The screen: engine verdict and reason; the AM reads without a confirm button.
    let page = am.get(&t.targeting_url()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("confirmer-ciblage"));
    let ra = row(&page.body, &a);
    assert!(
        ra.contains("non ciblé : évolution 2,2 % ≤ seuil 2,2 %"),
        "{ra}"
    );
    let rb = row(&page.body, &b);
    assert!(
        rb.contains("ciblé : ") && rb.contains("montant 500"),
        "{rb}"
    );
    assert!(!rb.contains("non ciblé"), "{rb}");
    // Amounts in French: thousands separated, decimal comma, « € » after a no-break space.
    assert!(
        rb.contains("<td>499\u{202f}999,00\u{a0}€</td><td>500\u{202f}000,01\u{a0}€</td>"),
        "{rb}"
    );
    // Seeded: the CHU (own entity) is targeted by its amount.
    assert!(row(&page.body, &own).contains(">Ciblé<"));

    // The établissement sees nothing before the ARS confirms.
    let mut etab = t.logged_in(Role::Etablissement).await;
    let p = etab.get(&t.targeting_url()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"aucune-donnee\""));

    // The ARS: excluding without a motivation is refused, nothing stored.
    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&t.targeting_url()).await;
    assert!(page.body.contains("confirmer-ciblage"));
    assert!(page.body.contains(&format!("id=\"exclure-{b}\"")));
    // Not targeted: no exclusion box.
    assert!(!page.body.contains(&format!("id=\"exclure-{a}\"")));
    let confirm = format!("{}/confirmer", t.targeting_url());
    let own_text = own.to_string();
    let motif_own = format!("motif_{own}");
    let p = ars
        .post(
            &confirm,
            &[("exclure", own_text.as_str()), (&motif_own, "  ")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Motivation de l'exclusion de"),
        "{}",
        p.body
    );
    let stored = t.confirmed(TRANSPORTS).await;
    assert!(stored.is_empty());
    // An entity the engine does not target cannot be excluded (forged form).
    let a_text = a.to_string();
    let motif_a = format!("motif_{a}");
    let p = ars
        .post(&confirm, &[("exclure", a_text.as_str()), (&motif_a, "x")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

    let p = ars
        .post(
            &confirm,
            &[
                ("exclure", own_text.as_str()),
                (&motif_own, "Plan de maîtrise signé en 2019"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = ars.get(p.location.as_deref().unwrap()).await;
    assert!(page.body.contains("id=\"ciblage-confirme\""));
    assert!(row(&page.body, &own).contains("Exclu par l'ARS"));
    assert!(row(&page.body, &b).contains("<td>Ciblé</td>"));
    assert!(row(&page.body, &a).contains("<td>Non ciblé</td>"));

    // The établissement now sees its own line only, with the reason and motivation.
    let p = etab.get(&t.targeting_url()).await;
    let mine = row(&p.body, &own);
    assert!(mine.contains("Exclu par l'ARS") && mine.contains("Plan de maîtrise signé en 2019"));
    assert!(mine.contains("montant"));
    assert!(!p.body.contains(&b.to_string()));
    assert!(!p.body.contains("confirmer-ciblage"));
}

#[tokio::test]
async fn import_screen_and_confirmation_on_sqlite() {
    on_sqlite(fixture(2), import_and_target).await;
}

#[tokio::test]
async fn import_screen_and_confirmation_on_postgres() {
    on_postgres(fixture(2), import_and_target).await;
}

#[tokio::test]
async fn routes_are_404_outside_scope_or_role_and_403_without_csrf() {
    let t = FixtureApp::sqlite(fixture(0)).await;
    t.seed_transports().await;
    let screen = t.targeting_url();
    let confirm = format!("{screen}/confirmer");
    let import = ImportForm::of(&screen, "transports");
    let own = t.own_entity().to_string();
    let motif = format!("motif_{own}");
    let exclusion = [("exclure", own.as_str()), (motif.as_str(), "motif")];
    let line = format!("{HEADER}{own};2019;1;1\n");
    let before = t.audit_count().await;

    // Another region: everything is 404.
    assert_other_region_404(&t, &screen, (&confirm, &exclusion), (&import, &line)).await;
    // Wrong role: only the ARS confirms, only the AM imports.
    for role in [Role::Etablissement, Role::AssuranceMaladie, Role::Omedit] {
        let mut c = t.logged_in(role).await;
        assert_reads_only(&mut c, &screen, (&confirm, &exclusion)).await;
    }
    for role in [Role::Etablissement, Role::Ars, Role::Omedit] {
        let mut c = t.logged_in(role).await;
        import.assert_404(&mut c, &["confirmer"], &line).await;
    }
    // Missing CSRF: refused.
    let mut ars = t.logged_in(Role::Ars).await;
    ars.get(&screen).await;
    let p = ars.post_raw(&confirm, &exclusion).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    am.get(&import.path).await;
    let p = am
        .post_raw(
            &format!("{}/confirmer", import.path),
            &[("transports", &line)],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    assert_eq!(t.audit_count().await, before);
    assert!(t.confirmed(TRANSPORTS).await.is_empty());
    t.db.cleanup().await.unwrap();
}

/// Each volet's targeting page links to its import for the roles that import its data
/// only: transports for the AM, quality for the ARS, pertinence for both.
#[tokio::test]
async fn the_import_link_is_shown_to_the_importers_only() {
    let t = FixtureApp::sqlite(fixture(0)).await;
    let screens = [
        ("", "/ciblage/import", [false, true]),
        ("/qualite", "/ciblage/qualite/import", [true, false]),
        ("/pertinence", "/ciblage/pertinence/import", [true, true]),
    ];
    for (i, role) in [Role::Ars, Role::AssuranceMaladie].into_iter().enumerate() {
        let mut user = t.logged_in(role).await;
        for (path, import, shown) in &screens {
            let page = user.get(&format!("{}{path}", t.targeting_url())).await;
            assert_eq!(page.status, StatusCode::OK, "{role:?} {path}");
            let link = format!(
                "id=\"lien-import\" href=\"/campagnes/{}{import}\"",
                t.campaign_id()
            );
            assert_eq!(page.body.contains(&link), shown[i], "{role:?} {path}");
            assert_eq!(
                page.body.contains("id=\"lien-import\""),
                shown[i],
                "{role:?} {path}"
            );
        }
    }
    t.db.cleanup().await.unwrap();
}
