//! Targeting of the quality volet through the router: the ARS's import of the
//! indicators (preview, French error report, all-or-nothing), the engine's
//! verdict per risk at the thresholds on the screen, the ARS's confirmation (its
//! choice when D3.1 is not filled in, an exclusion needs a motivation), the
//! établissement's view, scope and role (404) and CSRF (403).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Finess;
use caqes_demo::REGION;
use caqes_store::Role;
use caqes_store::targeting::TargetingStatus;
use caqes_store::targeting::qualite::QUALITE;

mod common;
use common::targeting::{ImportForm, assert_other_region_404, assert_reads_only, row};
use common::{TestApp, on_postgres, on_sqlite};

const HEADER: &str =
    "finess;annee;icalin2;d31_numerateur;d31_denominateur;doc_taux;doc_ic_basse;doc_ic_haute\n";

impl TestApp {
    fn quality_url(&self) -> String {
        self.campaign_url("ciblage/qualite")
    }

    /// Two entities of the demo region without quality data for the campaign year.
    async fn entities_without_quality(&self) -> (Finess, Finess) {
        let with: Vec<Finess> = self
            .store()
            .quality_indicators(&REGION, 2019)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.entity)
            .collect();
        let free = self.entities_except(&with).await;
        (free[0], free[1])
    }

    /// The demo entities whose D3.1 is not filled in, and targeted on one risk only.
    async fn demo_quality_entities(&self) -> (Finess, Finess) {
        let campaign = self
            .store()
            .campaign(&self.demo.campaign_id)
            .await
            .unwrap()
            .unwrap();
        let verdicts = self.store().quality_verdicts(&campaign).await.unwrap();
        let unfilled = verdicts
            .iter()
            .find(|v| v.targeting.needs_ars_decision())
            .unwrap()
            .entity
            .finess;
        let one = verdicts
            .iter()
            .find(|v| v.targeting.targeted_risks().len() == 1)
            .unwrap()
            .entity
            .finess;
        (unfilled, one)
    }
}

async fn import_and_target(t: &TestApp) {
    let (a, b) = t.entities_without_quality().await;
    let (unfilled, one) = t.demo_quality_entities().await;
    let import = ImportForm {
        path: format!("{}/import", t.quality_url()),
        field: "qualite",
    };
    let mut ars = t.logged_in(Role::Ars).await;
    assert_eq!(ars.get(&import.path).await.status, StatusCode::OK);

    // Errors: every bad line is named with its column; nothing is written.
    let own_site = t.own_site().await;
    let broken = format!(
        "{HEADER}{a};2018;A;1;2;50;40;60\n{b};2019;F;1;2;50;40;60\n{own_site};2019;A;1;2;50;40;60\n\
         {unfilled};2019;A;12x;100;50;40;60\n{one};2019;A;NR;;70;40;60\n{a};2019;A;NS;;NR;;\n{a};2019;A;NS;;NR;;\n"
    );
    let before = t.audit_count().await;
    import
        .assert_errors(
            &mut ars,
            &broken,
            "qualite.csv",
            &[
                ("2", "annee", "la campagne porte sur l'année 2019"),
                ("3", "icalin2", "classe A à E"),
                ("4", "finess", "est un site"),
                ("5", "d31_numerateur", "illisible « 12x »"),
                ("6", "doc_taux", "dans son intervalle de confiance"),
                ("8", "finess", "apparaît déjà ligne 7"),
            ],
        )
        .await;
    import
        .assert_missing_columns(t, &mut ars, "finess;annee;icalin2\n", before)
        .await;

    // Exactly at the thresholds (not targeted) and just beyond (three risks).
    let good = format!("{HEADER}{a};2019;B;10;100;8;6;10\n{b};2019;c;9,99;100;8;6;9,99\n");
    import
        .assert_written(
            t,
            &mut ars,
            &good,
            "de 2 entité(s) seront enregistrés",
            before,
        )
        .await;

    // The screen: verdict per risk; the AM reads without a confirm button.
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let page = am.get(&t.quality_url()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("confirmer-ciblage"));
    let ra = row(&page.body, &a);
    assert!(
        ra.contains(">Non ciblé<") && !ra.contains("<strong>"),
        "{ra}"
    );
    assert!(ra.contains("D3.1 = 10 % (seuil 10 %)"), "{ra}");
    let rb = row(&page.body, &b);
    assert_eq!(rb.matches("<strong>ciblé</strong>").count(), 3, "{rb}");
    // Demo data: the CHU (own entity) is targeted on two risks.
    let chu = row(&page.body, &t.demo.own_entity);
    assert_eq!(chu.matches("<strong>ciblé</strong>").count(), 2, "{chu}");

    // The établissement sees nothing before the ARS confirms.
    let mut etab = t.logged_in(Role::Etablissement).await;
    let p = etab.get(&t.quality_url()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"aucune-donnee\""));

    // The ARS: the D3.1 choice is required; excluding needs a motivation.
    let page = ars.get(&t.quality_url()).await;
    assert!(page.body.contains("confirmer-ciblage"));
    assert!(page.body.contains(&format!("id=\"d31-{unfilled}\"")));
    assert!(!page.body.contains(&format!("id=\"exclure-{a}\"")));
    let confirm = format!("{}/confirmer", t.quality_url());
    let d31 = format!("d31_{unfilled}");
    let one_text = one.to_string();
    let motif_one = format!("motif_{one}");
    let p = ars
        .post(
            &confirm,
            &[
                ("exclure", one_text.as_str()),
                (&motif_one, "Certification récente"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("choisir de retenir ou non ce risque"),
        "{}",
        p.body
    );
    let p = ars
        .post(
            &confirm,
            &[
                (&d31, "retenir"),
                ("exclure", one_text.as_str()),
                (&motif_one, " "),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Motivation de l'exclusion de"),
        "{}",
        p.body
    );
    // An entity targeted on no risk cannot be excluded (forged form).
    let a_text = a.to_string();
    let motif_a = format!("motif_{a}");
    let p = ars
        .post(
            &confirm,
            &[
                (&d31, "retenir"),
                ("exclure", a_text.as_str()),
                (&motif_a, "x"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        t.store()
            .confirmed_targeting(&t.demo.campaign_id, QUALITE)
            .await
            .unwrap()
            .is_empty()
    );

    let p = ars
        .post(
            &confirm,
            &[
                (&d31, "retenir"),
                ("exclure", one_text.as_str()),
                (&motif_one, "Certification HAS récente"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = ars.get(p.location.as_deref().unwrap()).await;
    assert!(page.body.contains("id=\"ciblage-confirme\""));
    assert!(row(&page.body, &one).contains("Exclu par l'ARS"));
    assert!(row(&page.body, &b).contains("<td>Ciblé</td>"));
    assert!(row(&page.body, &a).contains("<td>Non ciblé</td>"));
    assert!(row(&page.body, &unfilled).contains("<td>Ciblé</td>"));
    let stored = t
        .store()
        .confirmed_targeting(&t.demo.campaign_id, QUALITE)
        .await
        .unwrap();
    let status = |f: Finess| stored.iter().find(|c| c.entity == f).unwrap().status;
    assert_eq!(status(unfilled), TargetingStatus::Cible);
    assert_eq!(status(one), TargetingStatus::Exclu);

    // The établissement now sees its own line only, with the recorded reason.
    let p = etab.get(&t.quality_url()).await;
    let mine = row(&p.body, &t.demo.own_entity);
    assert!(
        mine.contains("<td>Ciblé</td>") && mine.contains("ciblé sur 2 risques"),
        "{mine}"
    );
    assert!(!p.body.contains(&b.to_string()));
    assert!(!p.body.contains("confirmer-ciblage"));
}

#[tokio::test]
async fn quality_import_screen_and_confirmation_on_sqlite() {
    on_sqlite(import_and_target).await;
}

#[tokio::test]
async fn quality_import_screen_and_confirmation_on_postgres() {
    on_postgres(import_and_target).await;
}

#[tokio::test]
async fn quality_routes_are_404_outside_scope_or_role_and_403_without_csrf() {
    let t = TestApp::sqlite().await;
    t.other_region_accounts().await;
    let (unfilled, _) = t.demo_quality_entities().await;
    let screen = t.quality_url();
    let confirm = format!("{screen}/confirmer");
    let import = ImportForm {
        path: format!("{screen}/import"),
        field: "qualite",
    };
    let d31 = format!("d31_{unfilled}");
    let choice = [(d31.as_str(), "retenir")];
    let own = t.demo.own_entity;
    let line = format!("{HEADER}{own};2019;A;50;100;80;70;90\n");
    let before = t.audit_count().await;

    // Another region: everything is 404.
    assert_other_region_404(&t, &screen, (&confirm, &choice), (&import, &line)).await;
    // Wrong role: only the ARS imports and confirms; the others read.
    for role in [Role::Etablissement, Role::AssuranceMaladie, Role::Omedit] {
        let mut c = t.logged_in(role).await;
        assert_reads_only(&mut c, &screen, (&confirm, &choice)).await;
        import
            .assert_404(&mut c, &["apercu", "confirmer"], &line)
            .await;
    }
    // Missing CSRF: refused.
    let mut ars = t.logged_in(Role::Ars).await;
    ars.get(&screen).await;
    assert_eq!(
        ars.post_raw(&confirm, &choice).await.status,
        StatusCode::FORBIDDEN
    );
    let p = ars
        .post_raw(&format!("{}/confirmer", import.path), &[("qualite", &line)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    assert_eq!(t.audit_count().await, before);
    assert!(
        t.store()
            .confirmed_targeting(&t.demo.campaign_id, QUALITE)
            .await
            .unwrap()
            .is_empty()
    );
    t.db.cleanup().await.unwrap();
}
