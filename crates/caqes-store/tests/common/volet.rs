//! What the stories of the additional volets' decisions repeat: the life-cycle
//! calls of one volet for one entity in one campaign, and the refusals they
//! expect. Each test file is its own crate and uses a part of it (the contract
//! stories none).
#![allow(dead_code)]

use std::fmt::Debug;
use std::marker::PhantomData;

use caqes_core::{Euros, Finess};
use caqes_store::testing::Fixture;
use caqes_store::volets::lifecycle::{FinalDecision, VoletKind, VoletVersion};
use caqes_store::{Campaign, Opinion, Role, Store, StoreError, User};
use jiff::civil::Date;
use rust_decimal::Decimal;

#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on bad hand-written data"
)]
pub fn euros(s: &str) -> Euros {
    Euros(s.parse::<Decimal>().unwrap())
}

/// Who acts on a volet in a story: the region's ARS and Assurance Maladie,
/// another region's ARS (who must see nothing), and the fixture's campaign; `fx`
/// was built with `.other_region()` and a campaign.
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on a fixture without them"
)]
pub fn deciders(fx: &Fixture) -> (User, User, User, Campaign) {
    (
        fx.user(Role::Ars).unwrap().clone(),
        fx.user(Role::AssuranceMaladie).unwrap().clone(),
        fx.ars_other().unwrap().clone(),
        fx.campaign.clone().unwrap(),
    )
}

/// A final decision of an amount written by hand (« 600000 »).
pub fn amount(s: &str) -> FinalDecision {
    FinalDecision::Amount(euros(s))
}

/// The life cycle of the volet `V` for `entity` in `campaign`: each call is the
/// store's, with the campaign and the entity already given.
pub struct Life<'a, V> {
    store: &'a Store,
    campaign: &'a Campaign,
    entity: Finess,
    volet: PhantomData<V>,
}

type Written<V> = Result<VoletVersion<<V as VoletKind>::Evaluation>, StoreError>;

impl<'a, V: VoletKind> Life<'a, V> {
    pub fn of(store: &'a Store, campaign: &'a Campaign, entity: Finess) -> Self {
        Life {
            store,
            campaign,
            entity,
            volet: PhantomData,
        }
    }

    pub async fn opinion(
        &self,
        user: &User,
        opinion: Opinion,
        comment: Option<&str>,
    ) -> Written<V> {
        self.store
            .record_volet_opinion::<V>(user, self.campaign, &self.entity, opinion, comment)
            .await
    }

    pub async fn decide(
        &self,
        user: &User,
        decision: FinalDecision,
        motivation: Option<&str>,
    ) -> Written<V> {
        self.store
            .record_volet_decision::<V>(user, self.campaign, &self.entity, decision, motivation)
            .await
    }

    pub async fn notify(&self, user: &User, on: Date) -> Written<V> {
        self.store
            .notify_volet_decision::<V>(user, self.campaign, &self.entity, on)
            .await
    }

    pub async fn correct(
        &self,
        user: &User,
        decision: FinalDecision,
        motivation: Option<&str>,
        reason: &str,
    ) -> Written<V> {
        self.store
            .correct_volet_decision::<V>(
                user,
                self.campaign,
                &self.entity,
                decision,
                motivation,
                reason,
            )
            .await
    }

    /// Every version, oldest first.
    #[expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on an unexpected error"
    )]
    pub async fn versions(&self) -> Vec<VoletVersion<V::Evaluation>> {
        self.store
            .volet_versions::<V>(&self.campaign.id, &self.entity)
            .await
            .unwrap()
    }
}

/// The error of a write the store had to refuse (panics if it was accepted).
#[track_caller]
pub fn refused<T: Debug>(r: Result<T, StoreError>) -> StoreError {
    match r {
        Ok(v) => panic!("refusal expected, got {v:?}"),
        Err(e) => e,
    }
}
