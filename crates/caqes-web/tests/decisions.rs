//! The sanction decision pages through the router (no port bound): each action
//! only for its role, CSRF, the établissement's view (only its own entity, only
//! once notified), frozen notified decisions. SQLite, and PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_store::testing::FixtureBuilder;
use caqes_store::{Role, SubmissionState};
use rust_decimal::Decimal;

mod common;
use common::fixture::{self, FixtureApp};
use common::volet::{euros, notify_three_volets};

/// The campaign 2018 of the volet stories' fixture, every dossier evaluated
/// (score 50), each entity with 850 M€ of AM revenue.
fn evaluated() -> FixtureBuilder {
    common::volet::fixture(2018)
        .am_revenue(euros(850_000_000))
        .evaluated(Decimal::from(50))
}

impl FixtureApp {
    /// The decision page of an entity in the fixture's campaign.
    fn decision(&self, finess: impl std::fmt::Display) -> String {
        format!("{}/decision", self.dossier(finess))
    }
}

const AVIS: &[(&str, &str)] = &[("avis", "favorable"), ("commentaire", "")];

async fn story(t: &FixtureApp) {
    let own = t.own_entity();
    let other = t.other_entity();
    let url = t.decision(own);
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut omedit = t.logged_in(Role::Omedit).await;
    let mut etab = t.logged_in(Role::Etablissement).await;

    // The ARS sees the engine's proposal: 850 M€ of AM revenue → ceiling 8.5 M€.
    let page = ars.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"proposition\""), "{}", page.body);
    assert!(
        page.body.contains("8\u{202f}500\u{202f}000,00\u{a0}€")
            || page.body.contains("8\u{202f}500\u{202f}000,00 €"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"formulaire-decision\""));

    // The evaluated dossier links to the decision page for the ARS, not for the
    // établissement before notification; notifying goes through the decision page.
    let dossier = ars.get(&url.replace("/decision", "")).await;
    assert!(dossier.body.contains("id=\"lien-decision\""));
    assert!(!dossier.body.contains("id=\"action-notifier\""));
    let dossier = etab.get(&url.replace("/decision", "")).await;
    assert_eq!(dossier.status, StatusCode::OK);
    assert!(!dossier.body.contains("id=\"lien-decision\""));
    // Regional readers see the proposal; only the AM gets the opinion form.
    let page = omedit.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("formulaire-avis"));
    assert!(am.get(&url).await.body.contains("id=\"formulaire-avis\""));

    // Before notification the établissement sees nothing, not even that a decision exists.
    assert_eq!(etab.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.get(&t.decision(other)).await.status,
        StatusCode::NOT_FOUND
    );

    // The opinion belongs to the Assurance Maladie only; CSRF is checked first.
    etab.get(&t.decision(own).replace("/decision", "")).await;
    for c in [&mut ars, &mut omedit, &mut etab] {
        let p = c.post(&format!("{url}/avis"), AVIS).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    }
    am.get(&url).await;
    let forged = am
        .post_raw(
            &format!("{url}/avis"),
            &[("_csrf", "faux"), ("avis", "favorable")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // The ARS cannot decide before the opinion.
    let early = ars
        .post(
            &format!("{url}/decider"),
            &[("montant", "0"), ("motivation", "x")],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("avis de l'Assurance Maladie"));
    let p = am.post(&format!("{url}/avis"), AVIS).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // The decision belongs to the ARS; above the legal ceiling is refused.
    for c in [&mut am, &mut omedit, &mut etab] {
        let p = c
            .post(
                &format!("{url}/decider"),
                &[("montant", "0"), ("motivation", "x")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    }
    ars.get(&url).await;
    let above = ars
        .post(
            &format!("{url}/decider"),
            &[("montant", "8 500 000,01"), ("motivation", "trop")],
        )
        .await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(above.body.contains("dépasse le plafond"), "{}", above.body);
    let unmotivated = ars
        .post(
            &format!("{url}/decider"),
            &[("montant", "1000"), ("motivation", " ")],
        )
        .await;
    assert_eq!(unmotivated.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ars
        .post(
            &format!("{url}/decider"),
            &[
                ("montant", "100 000"),
                ("motivation", "Plan d'action engagé en cours d'année"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(etab.get(&url).await.status, StatusCode::NOT_FOUND);

    // Notification: ARS only, évalué → notifié.
    for c in [&mut am, &mut etab] {
        let p = c
            .post(
                &format!("{url}/notifier"),
                &[("date_notification", "2019-09-02")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    }
    let p = ars
        .post(
            &format!("{url}/notifier"),
            &[("date_notification", "2019-09-02")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let sub = t.submission(&own).await;
    assert_eq!(sub.state, SubmissionState::Notifie);
    assert!(
        etab.get(&url.replace("/decision", ""))
            .await
            .body
            .contains("id=\"lien-decision\"")
    );

    // Frozen: neither the ARS nor the AM can change the notified version.
    let p = ars
        .post(
            &format!("{url}/decider"),
            &[("montant", "0"), ("motivation", "revu")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("notifiée"));
    let p = am.post(&format!("{url}/avis"), AVIS).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The établissement now sees its decision and the appeal deadlines (2 months).
    let page = etab.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("notifiée le 2 septembre 2019"),
        "{}",
        page.body
    );
    assert!(page.body.contains("100\u{202f}000,00"));
    assert!(page.body.contains("tribunal administratif"));
    // The TASS was abolished on 1 January 2019: the recovery terms go to a pôle social
    // (of the TGI in 2019, of the tribunal judiciaire from 2020), by the receipt's date.
    assert!(page.body.contains("pôle social du tribunal"));
    assert!(
        !page
            .body
            .contains("tribunal des affaires de sécurité sociale")
    );
    assert!(!page.body.contains("formulaire-decision"));
    // …never another entity's, even once that one is notified too.
    let other_url = t.decision(other);
    am.get(&other_url).await;
    assert_eq!(
        am.post(&format!("{other_url}/avis"), AVIS).await.status,
        StatusCode::SEE_OTHER
    );
    ars.get(&other_url).await;
    let p = ars
        .post(
            &format!("{other_url}/decider"),
            &[
                ("montant", "0"),
                ("motivation", "Aucune sanction : premier exercice"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars
        .post(
            &format!("{other_url}/notifier"),
            &[("date_notification", "2019-09-02")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(etab.get(&other_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.post(&format!("{other_url}/avis"), AVIS).await.status,
        StatusCode::NOT_FOUND
    );

    // The établissement contests (comment required), through the workflow.
    etab.get(&url).await;
    let actions = url.replace("/decision", "/actions");
    let p = etab
        .post(&actions, &[("action", "contester"), ("commentaire", " ")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = etab
        .post(
            &actions,
            &[
                ("action", "contester"),
                ("commentaire", "Score contesté sur I-03"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let sub = t.submission(&own).await;
    assert_eq!(sub.state, SubmissionState::Conteste);

    // A correction: new version with its reason, notified in turn; version 1 unchanged.
    ars.get(&url).await;
    let p = ars
        .post(
            &format!("{url}/corriger"),
            &[
                ("montant", "50 000"),
                ("motivation", "Recours gracieux"),
                ("motif", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ars
        .post(
            &format!("{url}/corriger"),
            &[
                ("montant", "50 000"),
                ("motivation", "Recours gracieux accueilli"),
                ("motif", "Erreur sur la valeur de I-03"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // Not yet notified: the établissement still sees version 1 only.
    let page = etab.get(&url).await;
    assert!(page.body.contains("id=\"version-1\""));
    assert!(!page.body.contains("id=\"version-2\""));
    ars.get(&url).await;
    let p = ars
        .post(
            &format!("{url}/notifier"),
            &[("date_notification", "2019-10-01")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = etab.get(&url).await;
    assert!(page.body.contains("id=\"version-2\""));
    assert!(page.body.contains("Erreur sur la valeur de I-03"));
    let versions = t.store().decisions_of(&sub.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[0].final_amount.unwrap().amount(),
        Decimal::from(100_000)
    );

    // The sum notified, all volets together: the corrected obligatoire sanction
    // (version 2, the latest notified) adds up with a qualité sanction (356 250 €),
    // against a transport incentive (21 000 €); the MSAP has no amount.
    notify_three_volets(t, t.campaign()).await;
    let obligatoire = versions[1].final_amount.unwrap();
    let sum = t.store().notified_sum(t.campaign_id(), &own).await.unwrap();
    let line = sum
        .lines
        .iter()
        .find(|l| l.volet == caqes_core::volets::Volet::Obligatoire)
        .unwrap();
    assert_eq!(line.version, 2);
    assert_eq!(sum.lines.len(), 4);
    let qualite = euros(356_250);
    let transports = euros(21_000);
    let sanctions = Euros(obligatoire.amount() + qualite.amount());
    assert_eq!(sum.notification.total_sanctions(), sanctions);
    assert_eq!(sum.notification.total_incentives(), transports);
    let page = etab
        .get(&format!("{}/volets", url.replace("/decision", "")))
        .await;
    assert!(
        page.body
            .contains(&format!("id=\"total-sanctions\">{sanctions}<"))
            && page.body.contains(&format!(
                "id=\"somme-nette\">{}<",
                Euros(transports.amount() - sanctions.amount())
            )),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn decisions_on_sqlite() {
    fixture::on_sqlite(evaluated(), story).await;
}

#[tokio::test]
async fn decisions_on_postgres() {
    fixture::on_postgres(evaluated(), story).await;
}
