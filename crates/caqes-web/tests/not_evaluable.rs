//! W5 on the platform: an establishment with nothing concerned carrying points is
//! « non évaluable ». The ARS evaluates it all the same (the finding is recorded, without a
//! score), and the decision page proposes no sanction.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::referentiel::Applicability;
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_store::{Action, Actor, Motives, Role, SubmissionState};

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// One MCO public entity with three sites, its dossier in a campaign.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier de Tolosa", 3)
        .campaign(2019)
}

async fn story(t: &FixtureApp) {
    let store = t.store();
    let own = t.own_entity();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let referentiel = store.referentiel("occitanie-2018").await.unwrap().unwrap();
    let sites = store.sites_of(&own).await.unwrap();

    // The ARS's own import declares NC, with a motive, every line the category makes
    // concerned, on every site: its NC are accepted, so nothing carrying points is left.
    let mut values = Vec::new();
    let mut motives = Motives::new();
    for indicator in referentiel
        .indicators
        .iter()
        .filter(|i| i.applicability(entity.category) == Applicability::Concerned)
    {
        for site in &sites {
            values.push(caqes_store::testing::value(
                site.finess,
                campaign.year,
                &indicator.code,
                "",
                "",
                "NC",
            ));
            motives.insert(
                (site.finess, indicator.code.clone()),
                "Activité fermée pendant l'année".to_owned(),
            );
        }
    }
    assert!(!values.is_empty());
    store
        .import_yearly_with_motives(
            &Actor::system("test"),
            &campaign,
            "valeurs.csv",
            &values,
            &motives,
            &[],
        )
        .await
        .unwrap();
    let evaluation = store
        .evaluate_entity(&referentiel, &entity, campaign.year)
        .await
        .unwrap();
    assert!(!evaluation.score.evaluable);

    // Submitted, taken into review and validated as any dossier.
    let account = |role: Role| t.email(role);
    let owner = store
        .user_by_email(&account(Role::Etablissement))
        .await
        .unwrap()
        .unwrap();
    let ars_user = store
        .user_by_email(&account(Role::Ars))
        .await
        .unwrap()
        .unwrap();
    for (who, action) in [
        (&owner, Action::Soumettre),
        (&ars_user, Action::PrendreEnRevue),
        (&ars_user, Action::Valider),
    ] {
        let sub = store.submission(&campaign.id, &own).await.unwrap().unwrap();
        store
            .apply_action(who, &sub, &entity.region, action, None, None)
            .await
            .unwrap();
    }

    // « Évaluer » records the finding: evaluated, no score.
    let url = t.dossier(own);
    let mut ars = t.logged_in(Role::Ars).await;
    let p = ars
        .post(&format!("{url}/actions"), &[("action", "evaluer")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let sub = store.submission(&campaign.id, &own).await.unwrap().unwrap();
    assert_eq!(sub.state, SubmissionState::Evalue);
    assert_eq!((sub.score, sub.bonus, sub.total), (None, None, None));
    let transitions = store.transitions_of(&sub.id).await.unwrap();
    let last = transitions.last().unwrap();
    assert!(
        last.comment
            .as_deref()
            .unwrap()
            .starts_with("Établissement non évaluable"),
        "{:?}",
        last.comment
    );

    let page = ars.get(&url).await;
    assert!(
        page.body
            .contains("Évalué par l'ARS : <strong>établissement non évaluable</strong>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Score retenu par l'évaluation"));

    // No sanction is proposed, and none can be decided.
    let decision = ars.get(&format!("{url}/decision")).await;
    assert_eq!(decision.status, StatusCode::OK);
    assert!(
        decision
            .body
            .contains("établissement non évaluable (aucun indicateur portant des points n&#x27;est concerné) : aucune sanction n&#x27;est proposée")
            || decision
                .body
                .contains("établissement non évaluable (aucun indicateur portant des points n'est concerné) : aucune sanction n'est proposée"),
        "{}",
        decision.body
    );
    assert!(
        store
            .proposal_for(&sub, &campaign.referentiel_id)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn not_evaluable_is_evaluated_without_score_on_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn not_evaluable_is_evaluated_without_score_on_postgres() {
    on_postgres(fixture(), story).await;
}
