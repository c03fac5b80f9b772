//! Hearings on the second-generation dossier (D162-15, D162-16 III): asked for by the
//! établissement on the second proposal of its contract or on the evaluation report,
//! their day fixed by the ARS, the refusal sanction and the intéressement's
//! notification waiting for it. SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_store::Role;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::generation2::{Unit, campaign_on, fixture, kinds_of, step};

/// Hearings in the two calendars (D162-15, D162-16 III): the établissement asks to be
/// heard on the second proposal of its contract (within its 15 days) and on the evaluation
/// report (within its month); the ARS fixes the day; the sanction of the refusal and the
/// notification of the dotation wait for it (`calendar_2022`).
async fn hearings(t: &FixtureApp) {
    let own = t.own_entity();
    let today = caqes_store::today();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
    let fr = |n: i64| caqes_documents::format::date(day(n));
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    // On the contract: refused, then the second proposal received three days ago.
    let campaign = campaign_on(&mut ars, "exemple-regional-2022", "2024", "Auditions").await;
    let unit = Unit::new(&campaign, own);
    step(
        &mut ars,
        &unit.at("ciblage"),
        &[("m:N1-IPP:0", "9 500"), ("r:N1-IPP", "on")],
    )
    .await;
    unit.propose(&mut ars, "2024-01-01", "2026-12-31", &day(-30).to_string())
        .await;
    step(&mut etab, &unit.at("contrat/refuser"), &[]).await;
    let ask = [("objet", "contrat")];
    let p = etab.post(&unit.at("audition/demander"), &ask).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("seconde proposition"), "{}", p.body);
    step(
        &mut ars,
        &unit.at("contrat/seconde-proposition"),
        &[("reception", &day(-3).to_string())],
    )
    .await;
    let page = etab.get(&unit.dossier).await;
    assert!(page.body.contains("Demander une audition"), "{}", page.body);
    let p = ars.post(&unit.at("audition/demander"), &ask).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "the établissement asks");
    let page = step(&mut etab, &unit.at("audition/demander"), &ask).await;
    assert!(page.body.contains("Audition demandée"), "{}", page.body);
    assert!(
        page.body.contains("date à fixer par l'ARS"),
        "{}",
        page.body
    );
    let p = etab.post(&unit.at("audition/demander"), &ask).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("déjà demandée"), "{}", p.body);
    // Not before the request; then in 30 days: the sanction waits for the day after.
    let p = ars
        .post(
            &unit.at("audition/fixer"),
            &[("objet", "contrat"), ("date", &day(-1).to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("précéder sa demande"), "{}", p.body);
    let page = step(
        &mut ars,
        &unit.at("audition/fixer"),
        &[("objet", "contrat"), ("date", &day(30).to_string())],
    )
    .await;
    assert!(
        page.body
            .contains(&format!("fixée au <strong>{}</strong>", fr(30))),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "Sanction du refus possible à partir du {}",
            fr(31)
        )),
        "{}",
        page.body
    );
    let p = ars
        .post(
            &unit.at("sanction-refus"),
            &[("montant", "1"), ("motif", "Montant réduit")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("à partir du"), "{}", p.body);

    // On the evaluation report (2026 scheme, no contract): received five days ago.
    let campaign = campaign_on(&mut ars, "incitation-2026", "2027", "Auditions").await;
    let unit = Unit::new(&campaign, own);
    unit.retain_e1(&mut ars, "500 000", "450 000").await;
    step(
        &mut ars,
        &unit.at("rapport"),
        &[("reception", &day(-5).to_string())],
    )
    .await;
    step(
        &mut etab,
        &unit.at("audition/demander"),
        &[("objet", "evaluation")],
    )
    .await;
    step(&mut ars, &unit.at("interessement/decider"), &[]).await;
    // The day is not fixed yet: no notification.
    let p = ars
        .post(
            &unit.at("interessement/notifier"),
            &[("reception", &day(41).to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("date est à fixer"), "{}", p.body);
    let page = step(
        &mut ars,
        &unit.at("audition/fixer"),
        &[("objet", "evaluation"), ("date", &day(40).to_string())],
    )
    .await;
    // The month ends in 25 days: the hearing, later, opens the notification.
    assert!(
        page.body.contains(&format!("du {} au", fr(40))),
        "{}",
        page.body
    );
    let p = ars
        .post(
            &unit.at("interessement/notifier"),
            &[("reception", &day(35).to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("trop tôt"), "{}", p.body);
    step(
        &mut ars,
        &unit.at("interessement/notifier"),
        &[("reception", &day(41).to_string())],
    )
    .await;

    let etab_kinds = kinds_of(t, Role::Etablissement).await;
    assert!(
        etab_kinds.iter().any(|k| k == "g2_audition_fixee"),
        "{etab_kinds:?}"
    );
    let ars_kinds = kinds_of(t, Role::Ars).await;
    assert!(
        ars_kinds.iter().any(|k| k == "g2_audition_demandee"),
        "{ars_kinds:?}"
    );
}

#[tokio::test]
async fn hearings_on_sqlite() {
    on_sqlite(fixture(), hearings).await;
}

#[tokio::test]
async fn hearings_on_postgres() {
    on_postgres(fixture(), hearings).await;
}
