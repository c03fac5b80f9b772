//! The dossier the sanction decision stories start from (`decisions.rs`, and the
//! audit chain and backup stories, which carry it on to a notified decision): the
//! fixture's first entity with its AM revenue, its dossier evaluated; and its
//! decision notified.
#![allow(dead_code)]

use caqes_core::Euros;
use caqes_store::testing::{Fixture, REGION};
use caqes_store::{Action, Actor, Opinion, Role, SanctionDecision, ScoreRecord, Store, Submission};
use jiff::civil::date;
use rust_decimal::Decimal;

/// Gives the fixture's first entity `revenue` of AM revenue, then takes its dossier
/// in the fixture's campaign from draft to « évalué » with a score of 50 (the
/// établissement submits, the ARS does the rest; each action commented with
/// `comment`). Returns the dossier as the store reads it afterwards. `fx` has an
/// ARS user and a campaign.
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]
pub async fn evaluated_dossier(
    store: &Store,
    fx: &Fixture,
    revenue: Euros,
    comment: Option<&str>,
) -> Submission {
    let entity = &fx.entities[0].entity;
    let f = entity.finess;
    store
        .set_am_revenue(&Actor::system("test"), entity, revenue)
        .await
        .unwrap();
    let ars = fx.user(Role::Ars).unwrap();
    let etab = fx.etab(f).unwrap();
    let campaign = fx.campaign.as_ref().unwrap();
    let fifty = Decimal::from(50);
    for action in [
        Action::Soumettre,
        Action::PrendreEnRevue,
        Action::Valider,
        Action::Evaluer,
    ] {
        let sub = store.submission(&campaign.id, &f).await.unwrap().unwrap();
        let who = if action.role() == Role::Ars {
            ars
        } else {
            etab
        };
        let score = (action == Action::Evaluer).then_some(ScoreRecord {
            score: fifty,
            bonus: Decimal::ZERO,
            total: fifty,
        });
        store
            .apply_action(who, &sub, &REGION, action, comment, score)
            .await
            .unwrap();
    }
    store.submission(&campaign.id, &f).await.unwrap().unwrap()
}

/// The AM's favourable opinion on the evaluated dossier `sub`, 1 M€ decided by the
/// ARS and notified on 2 September 2019 (for a score of 50 on 200 M€ of revenue, the
/// proposed amount). Returns the notified decision.
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]
pub async fn notified_decision(store: &Store, fx: &Fixture, sub: &Submission) -> SanctionDecision {
    let ars = fx.user(Role::Ars).unwrap();
    let am = fx.user(Role::AssuranceMaladie).unwrap();
    store
        .record_opinion(am, &REGION, sub, "occitanie-2018", Opinion::Favorable, None)
        .await
        .unwrap();
    store
        .record_decision(ars, &REGION, sub, Euros(Decimal::from(1_000_000)), None)
        .await
        .unwrap();
    store
        .notify_decision(ars, &REGION, sub, date(2019, 9, 2))
        .await
        .unwrap()
}
