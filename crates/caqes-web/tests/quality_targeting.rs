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
use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Class, Icalin2Result};
use caqes_core::{Finess, Rate};
use caqes_store::Role;
use caqes_store::targeting::TargetingStatus;
use caqes_store::targeting::qualite::{QUALITE, QualityIndicators};
use caqes_store::testing::REGION;
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::targeting::{
    ImportForm, YEAR, assert_other_region_404, assert_reads_only, fixture, row,
};

const HEADER: &str =
    "finess;annee;icalin2;d31_numerateur;d31_denominateur;doc_taux;doc_ic_basse;doc_ic_haute\n";

/// The own entity, three with quality indicators and two without.
fn quality_fixture() -> caqes_store::testing::FixtureBuilder {
    fixture(5)
}

impl FixtureApp {
    fn quality_url(&self) -> String {
        self.campaign_url("ciblage/qualite")
    }

    /// The indicators of the own entity and the next three, imported by the ARS:
    /// the CHU targeted on two risks (ICALIN2 class D, D3.1 8,5 %), one exactly at
    /// both thresholds (D3.1 10 %, DOC upper bound 10 %), one whose D3.1 is not
    /// filled in (the ARS must choose), one targeted on one risk (not subject to
    /// ICALIN2 nor D3.1, non-respondent to DOC). The entities whose D3.1 is not
    /// filled in and targeted on one risk only.
    async fn seed_quality(&self) -> (Finess, Finess) {
        let d31 = |n: i64, d: i64| {
            D31Result::Taux(Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap())
        };
        let doc = |t: Decimal, low: Decimal, high: Decimal| DocResult::Resultat {
            taux_pct: t,
            ic_borne_basse_pct: low,
            ic_borne_haute_pct: high,
        };
        let [own, borderline, unfilled, one, ..] = self.entities::<6>();
        let data = [
            (
                own,
                Icalin2Result::Classe(Icalin2Class::D),
                d31(85, 1000),
                doc(
                    Decimal::new(72, 0),
                    Decimal::new(651, 1),
                    Decimal::new(784, 1),
                ),
            ),
            (
                borderline,
                Icalin2Result::Classe(Icalin2Class::B),
                d31(120, 1200),
                doc(Decimal::new(9, 0), Decimal::new(45, 1), Decimal::TEN),
            ),
            (
                unfilled,
                Icalin2Result::Classe(Icalin2Class::A),
                D31Result::NonRenseigne,
                doc(
                    Decimal::new(55, 0),
                    Decimal::new(48, 0),
                    Decimal::new(62, 0),
                ),
            ),
            (
                one,
                Icalin2Result::NonSoumis,
                D31Result::NonSoumis,
                DocResult::NonRepondant,
            ),
        ];
        let rows: Vec<QualityIndicators> = data
            .into_iter()
            .map(|(entity, icalin2, d31, doc)| QualityIndicators {
                entity,
                year: YEAR,
                icalin2,
                d31,
                doc,
            })
            .collect();
        self.store()
            .import_quality_indicators(self.user(Role::Ars), &REGION, "test", &rows)
            .await
            .unwrap();
        (unfilled, one)
    }
}

async fn import_and_target(t: &FixtureApp) {
    let (unfilled, one) = t.seed_quality().await;
    let [own, _, _, _, a, b] = t.entities();
    let import = ImportForm::of(&t.quality_url(), "qualite");
    let mut ars = t.logged_in(Role::Ars).await;
    assert_eq!(ars.get(&import.path).await.status, StatusCode::OK);

    // Errors: every bad line is named with its column; nothing is written.
    let own_site = t.own_site();
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
    // Seeded: the CHU (own entity) is targeted on two risks.
    let chu = row(&page.body, &own);
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
    assert!(t.confirmed(QUALITE).await.is_empty());

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
    let stored = t.confirmed(QUALITE).await;
    let status = |f: Finess| stored.iter().find(|c| c.entity == f).unwrap().status;
    assert_eq!(status(unfilled), TargetingStatus::Cible);
    assert_eq!(status(one), TargetingStatus::Exclu);

    // The établissement now sees its own line only, with the recorded reason.
    let p = etab.get(&t.quality_url()).await;
    let mine = row(&p.body, &own);
    assert!(
        mine.contains("<td>Ciblé</td>") && mine.contains("ciblé sur 2 risques"),
        "{mine}"
    );
    assert!(!p.body.contains(&b.to_string()));
    assert!(!p.body.contains("confirmer-ciblage"));
}

#[tokio::test]
async fn quality_import_screen_and_confirmation_on_sqlite() {
    on_sqlite(quality_fixture(), import_and_target).await;
}

#[tokio::test]
async fn quality_import_screen_and_confirmation_on_postgres() {
    on_postgres(quality_fixture(), import_and_target).await;
}

#[tokio::test]
async fn quality_routes_are_404_outside_scope_or_role_and_403_without_csrf() {
    let t = FixtureApp::sqlite(quality_fixture()).await;
    let (unfilled, _) = t.seed_quality().await;
    let screen = t.quality_url();
    let confirm = format!("{screen}/confirmer");
    let import = ImportForm::of(&screen, "qualite");
    let d31 = format!("d31_{unfilled}");
    let choice = [(d31.as_str(), "retenir")];
    let own = t.own_entity();
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
    assert!(t.confirmed(QUALITE).await.is_empty());
    t.db.cleanup().await.unwrap();
}
