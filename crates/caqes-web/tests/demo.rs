//! What the demo region seeds, seeded once and checked through the router: the
//! previous campaign's notified additional volets of the CHU (transport
//! incentive, qualité sanction, mise sous accord préalable) and their sum, the
//! CHU's AM revenue behind the volet obligatoire's ceiling, the current
//! campaign's transport spending and the contract still only proposed, and the
//! second-generation campaign (the CHU's intéressement notified, each role
//! opening it). The stories of these pages run on the store's fixture with
//! their own data (`volet_*.rs`, `decisions.rs`, `generation2*.rs`).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_store::Role;
use caqes_store::volets::lifecycle::VoletOutcome;
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;

mod common;
use common::volet::euros;
use common::{Client, TestApp};

impl TestApp {
    /// `/campagnes/{previous campaign}/dossiers/{own entity}{path}`.
    fn previous(&self, path: &str) -> String {
        format!(
            "/campagnes/{}/dossiers/{}{path}",
            self.demo.previous_campaign_id, self.demo.own_entity
        )
    }

    /// The demo's user of `role`.
    async fn demo_user(&self, role: Role) -> caqes_store::User {
        let account = self.demo.accounts.iter().find(|a| a.role == role).unwrap();
        self.store()
            .user_by_email(&account.email)
            .await
            .unwrap()
            .unwrap()
    }
}

async fn story(t: &TestApp) {
    let mut etab = t.logged_in(Role::Etablissement).await;
    let mut ars = t.logged_in(Role::Ars).await;
    previous_transports(t, &mut etab).await;
    previous_quality(t).await;
    previous_pertinence(t, &mut etab).await;
    previous_sum(t, &mut etab).await;
    current_campaign(t, &mut ars).await;
}

/// The previous campaign's notified incentive: 30 % of the 140 000 € of savings
/// × 50 % of the action plan = 21 000 €, with its appeal.
async fn previous_transports(t: &TestApp, etab: &mut Client<'_>) {
    let own = t.demo.own_entity;
    let versions = t
        .store()
        .volet_versions::<Transports>(&t.demo.previous_campaign_id, &own)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].is_frozen());
    assert_eq!(versions[0].final_amount, Some(euros(21_000)));
    let p = etab.get(&t.previous("/volets/transports")).await;
    assert!(
        p.body.contains("id=\"notifiee-1\"") && p.body.contains("Intéressement"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("Contestation du montant de l'intéressement : tribunal administratif"),
        "{}",
        p.body
    );
}

/// The previous campaign's notified sanction: 1 % of 95 000 000 € × 75 % (two
/// risks) × (1 − 50 % met) = 356 250 €.
async fn previous_quality(t: &TestApp) {
    let versions = t
        .store()
        .volet_versions::<Qualite>(&t.demo.previous_campaign_id, &t.demo.own_entity)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].is_frozen());
    assert_eq!(versions[0].evaluation.targeted_risks, 2);
    assert_eq!(versions[0].final_amount, Some(euros(356_250)));
}

/// The previous campaign's notified MSAP: 6 months in the contract, 4
/// pronounced (motivated), notified on 15 September 2019, with its appeal
/// deadlines two months later.
async fn previous_pertinence(t: &TestApp, etab: &mut Client<'_>) {
    let versions = t
        .store()
        .volet_versions::<Pertinence>(&t.demo.previous_campaign_id, &t.demo.own_entity)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].outcome, VoletOutcome::MiseSousAccordPrealable);
    assert_eq!(versions[0].final_msap_months, Some(4));
    let p = etab.get(&t.previous("/volets/pertinence")).await;
    assert!(
        p.body.contains("id=\"notifiee-1\"")
            && p.body
                .contains("id=\"periode-msap-1\">du 15 septembre 2019 au 14 janvier 2020"),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("id=\"recours\"")
            && p.body.contains(
                "Contestation de la sanction et de son montant : tribunal administratif, jusqu'au <strong>15 novembre 2019</strong>"
            ),
        "{}",
        p.body
    );
}

/// The sum notified on the previous campaign, all volets together: the
/// transport incentive (+21 000 €), the qualité sanction (−356 250 €), the MSAP
/// listed without amount; reached from the dossier, not for another entity.
async fn previous_sum(t: &TestApp, etab: &mut Client<'_>) {
    let sum_url = t.previous("/volets");
    let p = etab.get(&sum_url).await;
    assert_eq!(p.status, StatusCode::OK);
    for expected in [
        format!("id=\"total-interessements\">{}<", euros(21_000)),
        format!("id=\"total-sanctions\">{}<", euros(356_250)),
        format!("id=\"somme-nette\">{}<", euros(-335_250)),
        "4 mois, du 15 septembre 2019 au 14 janvier 2020".to_owned(),
    ] {
        assert!(p.body.contains(&expected), "{expected}: {}", p.body);
    }
    let other_sum = format!(
        "/campagnes/{}/dossiers/{}/volets",
        t.demo.previous_campaign_id, t.demo.other_entity
    );
    assert_eq!(etab.get(&other_sum).await.status, StatusCode::NOT_FOUND);
    let dossier = etab.get(&t.previous("")).await;
    assert!(dossier.body.contains(&format!("href=\"{sum_url}\"")));
}

/// The CHU's 850 M€ of AM revenue make the previous campaign's ceiling 8,5 M€;
/// in the current campaign, once the ARS confirms the targetings, the CHU's
/// transport page is prefilled with its imported spending, its qualité page has
/// the evaluation form, and its contract is only proposed (no terms for pertinence).
async fn current_campaign(t: &TestApp, ars: &mut Client<'_>) {
    let own = t.demo.own_entity;
    let page = ars.get(&t.previous("/decision")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("8\u{202f}500\u{202f}000,00\u{a0}€")
            || page.body.contains("8\u{202f}500\u{202f}000,00 €"),
        "{}",
        page.body
    );

    let screen = format!("/campagnes/{}/ciblage", t.demo.campaign_id);
    ars.get(&screen).await;
    let p = ars.post(&format!("{screen}/confirmer"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars
        .get(&format!("{}/volets/transports", t.dossier(own)))
        .await;
    assert!(p.body.contains("value=\"1860000\""), "{}", p.body);

    let campaign = t
        .store()
        .campaign(&t.demo.campaign_id)
        .await
        .unwrap()
        .unwrap();
    let ars_user = t.demo_user(Role::Ars).await;
    let choices: BTreeMap<_, _> = t
        .store()
        .quality_verdicts(&campaign)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.targeting.needs_ars_decision())
        .map(|v| (v.entity.finess, false))
        .collect();
    t.store()
        .confirm_quality_targeting(&ars_user, &campaign, &choices, &BTreeMap::new())
        .await
        .unwrap();
    let p = ars.get(&format!("{}/volets/qualite", t.dossier(own))).await;
    assert!(p.body.contains("form-evaluation"), "{}", p.body);

    t.store()
        .confirm_pertinence_targeting(&ars_user, &campaign, &BTreeMap::new())
        .await
        .unwrap();
    let p = ars
        .get(&format!("{}/volets/pertinence", t.dossier(own)))
        .await;
    assert!(
        p.body
            .contains("Termes du contrat indisponibles : aucun contrat signé"),
        "{}",
        p.body
    );
}

#[tokio::test]
async fn demo_on_sqlite() {
    common::on_sqlite(story).await;
}

#[tokio::test]
async fn demo_on_postgres() {
    common::on_postgres(story).await;
}

/// The demo's second-generation campaign: the CHU's intéressement is notified
/// (24 400 €), each role opens it.
#[tokio::test]
async fn the_demo_has_a_second_generation_campaign() {
    common::on_sqlite(async |t: &TestApp| {
        let id = &t.demo.generation2_campaign_id;
        let own = t.demo.own_entity;
        let mut etab = t.logged_in(Role::Etablissement).await;
        let home = etab.get("/").await;
        assert!(
            home.body
                .contains(&format!("/campagnes/{id}/dossiers/{own}"))
        );
        let page = etab.get(&format!("/campagnes/{id}/dossiers/{own}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(&common::generation2::euros(24_400)),
            "{}",
            page.body
        );
        for role in [Role::Ars, Role::AssuranceMaladie, Role::Omedit] {
            let mut c = t.logged_in(role).await;
            let p = c.get(&format!("/campagnes/{id}")).await;
            assert_eq!(p.status, StatusCode::OK, "{role:?}");
            for state in ["signé", "proposé", "refusé", "aucun"] {
                assert!(p.body.contains(state), "{role:?} {state}");
            }
        }
    })
    .await;
}
