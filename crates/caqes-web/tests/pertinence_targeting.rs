//! Targeting of the pertinence volet through the router: the import of the
//! per-theme data by the ARS or the AM (preview, French error report,
//! all-or-nothing), the engine's funnel test on the screen (seeded data one count
//! inside and exactly at the Poisson limit), the ARS's confirmation (an exclusion
//! needs a motivation), the établissement's view, scope and role (404) and CSRF
//! (403).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::{Finess, Rate};
use caqes_store::Role;
use caqes_store::targeting::TargetingStatus;
use caqes_store::targeting::pertinence::{Measure, PERTINENCE, PertinenceData};
use caqes_store::testing::REGION;
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::targeting::{
    ImportForm, YEAR, assert_other_region_404, assert_reads_only, fixture, row,
};

const HEADER: &str =
    "finess;annee;theme;observe;population;ref_numerateur;ref_denominateur;attendu\n";

/// The own entity, two with pertinence data and two without.
fn pertinence_fixture() -> caqes_store::testing::FixtureBuilder {
    fixture(4)
}

impl FixtureApp {
    fn pertinence_url(&self) -> String {
        self.campaign_url("ciblage/pertinence")
    }

    /// The pertinence data of the own entity and the next two, imported by the AM:
    /// the CHU atypical on ambulatory surgery (15 % of 2 000 stays against 1 / 4),
    /// one entity one count inside the upper targeting limit of a Poisson count
    /// expected at 10 (21), one exactly at it (22). The entities with data (those
    /// observed 21 and 22 first, then the CHU).
    async fn seed_pertinence(&self) -> Vec<Finess> {
        let [own, inside, at, ..] = self.entities::<5>();
        let ratio = |observed| Measure::Ratio {
            observed,
            expected: Decimal::TEN,
        };
        let data = [
            (
                own,
                "Chirurgie ambulatoire",
                Measure::Proportion {
                    observed: 300,
                    population: 2000,
                    reference: Rate::proportion(Decimal::ONE, Decimal::from(4)).unwrap(),
                },
            ),
            (inside, "Cholécystectomie", ratio(21)),
            (at, "Cholécystectomie", ratio(22)),
        ];
        let rows: Vec<PertinenceData> = data
            .into_iter()
            .map(|(entity, theme, measure)| PertinenceData {
                entity,
                year: YEAR,
                theme: theme.to_owned(),
                measure,
            })
            .collect();
        self.store()
            .import_pertinence_data(self.user(Role::AssuranceMaladie), &REGION, "test", &rows)
            .await
            .unwrap();
        vec![inside, at, own]
    }
}

async fn import_and_target(t: &FixtureApp) {
    let with = t.seed_pertinence().await;
    let [own, _, _, a, b] = t.entities();
    assert_eq!(with.len(), 3);
    let import = ImportForm::of(&t.pertinence_url(), "pertinence");
    // The AM imports (it holds the activity data, as the ARS).
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    assert_eq!(am.get(&import.path).await.status, StatusCode::OK);

    // Errors: every bad line is named with its column; nothing is written.
    let broken = format!(
        "{HEADER}{a};2018;Césarienne;5;;;;10\n{b};2019;Césarienne;x;;;;10\n{a};2019;;5;;;;10\n\
         {a};2019;Hystérectomie;5;100;1;10;10\n{b};2019;Prothèse;120;100;1;10;\n{a};2019;Appendicectomie;5;;;;0\n\
         {b};2019;Cataracte;5;;;;10\n{b};2019;Cataracte;6;;;;10\n9999;2019;Cataracte;6;;;;10\n"
    );
    let before = t.audit_count().await;
    import
        .assert_errors(
            &mut am,
            &broken,
            "pertinence.csv",
            &[
                ("2", "annee", "la campagne porte sur l'année 2019"),
                ("3", "observe", "illisible « x »"),
                ("4", "theme", "thème vide"),
                ("5", "attendu", "remplir soit population"),
                ("6", "population", "pour une population de 100"),
                ("7", "attendu", "strictement positif"),
                ("9", "theme", "apparaît déjà ligne 8"),
                ("10", "finess", ""),
            ],
        )
        .await;
    import
        .assert_missing_columns(t, &mut am, "finess;annee;theme\n", before)
        .await;

    // Under-use far below the reference (atypical), and a count in the funnel.
    let good = format!(
        "{HEADER}{a};2019;Chirurgie ambulatoire;60;1000;1;10;\n{b};2019;Cholécystectomie;12;;;;10,0\n"
    );
    import
        .assert_written(t, &mut am, &good, "2 ligne(s) de données", before)
        .await;

    // The screen: the AM reads without a confirm button.
    let page = am.get(&t.pertinence_url()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("confirmer-ciblage"));
    let ra = row(&page.body, &a);
    assert!(
        ra.contains(">Atypique<") && ra.contains("en dessous"),
        "{ra}"
    );
    let rb = row(&page.body, &b);
    assert!(
        rb.contains(">Non atypique<") && !rb.contains("<strong>"),
        "{rb}"
    );
    // Seeded: 21 for 10 expected is inside the funnel, 22 is at the limit.
    let inside = row(&page.body, &with[0]);
    assert!(
        inside.contains("observé 21") && inside.contains(">Non atypique<"),
        "{inside}"
    );
    let at = row(&page.body, &with[1]);
    assert!(
        at.contains("observé 22") && at.contains("haute 22") && at.contains(">Atypique<"),
        "{at}"
    );
    let chu = row(&page.body, &own);
    assert!(chu.contains(">Atypique<"), "{chu}");
    // 21 is inside the targeting limit but beyond the 95 % alert limit of a
    // Poisson(10) count (P(X ≥ 18) ≈ 1,4 % ≤ 2,5 % < P(X ≥ 17) ≈ 2,7 %): to watch.
    assert!(
        inside.contains("limites d'alerte (95,0 %) basse 3 et haute 18")
            && inside.contains("à surveiller"),
        "{inside}"
    );
    assert!(!at.contains("à surveiller"), "{at}");
    // A funnel plot per theme shared by one test, drawn on the server.
    assert!(page.body.contains("id=\"graphiques-entonnoir\""));
    assert!(
        page.body.contains(">Entonnoir — Cholécystectomie</title>"),
        "{}",
        page.body
    );

    // The établissement sees nothing before the ARS confirms.
    let mut etab = t.logged_in(Role::Etablissement).await;
    let p = etab.get(&t.pertinence_url()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"aucune-donnee\""));

    // The ARS: excluding needs a motivation; a non-atypical one cannot be excluded.
    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&t.pertinence_url()).await;
    assert!(page.body.contains("confirmer-ciblage"));
    assert!(!page.body.contains(&format!("id=\"exclure-{b}\"")));
    let confirm = format!("{}/confirmer", t.pertinence_url());
    let a_text = a.to_string();
    let motif_a = format!("motif_{a}");
    let p = ars
        .post(&confirm, &[("exclure", a_text.as_str()), (&motif_a, " ")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Motivation de l'exclusion de"),
        "{}",
        p.body
    );
    let b_text = b.to_string();
    let motif_b = format!("motif_{b}");
    let p = ars
        .post(&confirm, &[("exclure", b_text.as_str()), (&motif_b, "x")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(t.confirmed(PERTINENCE).await.is_empty());

    let p = ars
        .post(
            &confirm,
            &[
                ("exclure", a_text.as_str()),
                (&motif_a, "Projet de service en cours"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = ars.get(p.location.as_deref().unwrap()).await;
    assert!(page.body.contains("id=\"ciblage-confirme\""));
    assert!(row(&page.body, &a).contains("Exclu par l'ARS"));
    assert!(row(&page.body, &b).contains("<td>Non ciblé</td>"));
    assert!(row(&page.body, &with[1]).contains("<td>Ciblé</td>"));
    let stored = t.confirmed(PERTINENCE).await;
    let status = |f: Finess| stored.iter().find(|c| c.entity == f).unwrap().status;
    assert_eq!(status(a), TargetingStatus::Exclu);
    assert_eq!(status(with[0]), TargetingStatus::NonCible);
    assert_eq!(status(own), TargetingStatus::Cible);

    // The établissement now sees its own line only, with the recorded reason.
    let p = etab.get(&t.pertinence_url()).await;
    let mine = row(&p.body, &own);
    assert!(
        mine.contains("<td>Ciblé</td>") && mine.contains("atypique sur 1 thème"),
        "{mine}"
    );
    assert!(!p.body.contains(&b.to_string()));
    assert!(!p.body.contains("confirmer-ciblage"));
    assert!(!p.body.contains("graphiques-entonnoir"));
}

#[tokio::test]
async fn pertinence_import_screen_and_confirmation_on_sqlite() {
    on_sqlite(pertinence_fixture(), import_and_target).await;
}

#[tokio::test]
async fn pertinence_import_screen_and_confirmation_on_postgres() {
    on_postgres(pertinence_fixture(), import_and_target).await;
}

#[tokio::test]
async fn pertinence_routes_are_404_outside_scope_or_role_and_403_without_csrf() {
    let t = FixtureApp::sqlite(pertinence_fixture()).await;
    t.seed_pertinence().await;
    let screen = t.pertinence_url();
    let confirm = format!("{screen}/confirmer");
    let import = ImportForm::of(&screen, "pertinence");
    let no_exclusion: [(&str, &str); 0] = [];
    let own = t.own_entity();
    let line = format!("{HEADER}{own};2019;Césarienne;50;;;;10\n");
    let before = t.audit_count().await;

    // Another region: everything is 404.
    assert_other_region_404(&t, &screen, (&confirm, &no_exclusion), (&import, &line)).await;
    // Wrong role: only the ARS confirms; only the ARS and the AM import; all read.
    for role in [Role::Etablissement, Role::AssuranceMaladie, Role::Omedit] {
        let mut c = t.logged_in(role).await;
        assert_reads_only(&mut c, &screen, (&confirm, &no_exclusion)).await;
        if role == Role::AssuranceMaladie {
            continue;
        }
        import
            .assert_404(&mut c, &["apercu", "confirmer"], &line)
            .await;
    }
    // Missing CSRF: refused.
    let mut ars = t.logged_in(Role::Ars).await;
    ars.get(&screen).await;
    assert_eq!(
        ars.post_raw(&confirm, &no_exclusion).await.status,
        StatusCode::FORBIDDEN
    );
    let p = ars
        .post_raw(
            &format!("{}/confirmer", import.path),
            &[("pertinence", &line)],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    assert_eq!(t.audit_count().await, before);
    assert!(t.confirmed(PERTINENCE).await.is_empty());
    t.db.cleanup().await.unwrap();
}
