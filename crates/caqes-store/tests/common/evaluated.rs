//! The dossier the sanction decision stories start from (`decisions.rs`, and the
//! audit chain and backup stories, which carry it on to a notified decision): the
//! fixture's first entity with its AM revenue, its dossier evaluated.
#![allow(dead_code)]

use caqes_core::Euros;
use caqes_store::testing::{Fixture, REGION};
use caqes_store::{Action, Actor, Role, ScoreRecord, Store, Submission};
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
