//! What the three targeting stories share (transports, qualité, pertinence): the
//! region's entities with one of another region and the campaign 2018, the
//! refusals of a confirmation, the audit lines of an action; the quality indicators
//! of an entity in 2018 (the qualité targeting and decision stories).

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Result};
use caqes_store::targeting::ConfirmedTargeting;
use caqes_store::targeting::qualite::QualityIndicators;
use caqes_store::testing::{Fixture, REGION};
use caqes_store::{Campaign, Role, Store, StoreError, User};

/// A targeting story's fixture: `N` entities of the region, one elsewhere, the
/// regional users and the campaign 2018.
pub struct Targeting<const N: usize> {
    pub entities: [Finess; N],
    pub elsewhere: Finess,
    pub ars: User,
    pub am: User,
    pub omedit: User,
    /// The ARS of another region.
    pub ars_other: User,
    pub campaign: Campaign,
}

impl<const N: usize> Targeting<N> {
    /// The entities named `names` in the region, « E other region » elsewhere.
    pub async fn build(store: &Store, names: [&str; N]) -> Targeting<N> {
        let mut builder = Fixture::builder();
        for name in names {
            builder = builder.entity(name);
        }
        let fx = builder
            .entity_elsewhere("E other region")
            .campaign(2018)
            .build(store)
            .await
            .unwrap();
        let user = |role| fx.user(role).unwrap().clone();
        Targeting {
            entities: fx.finess().unwrap(),
            elsewhere: fx.elsewhere[0].entity.finess,
            ars: user(Role::Ars),
            am: user(Role::AssuranceMaladie),
            omedit: user(Role::Omedit),
            ars_other: fx.ars_other().unwrap().clone(),
            campaign: fx.campaign.clone().unwrap(),
        }
    }

    /// The refusals every volet's `confirm` shares, nothing written to the list of
    /// `volet`: only the ARS of the region confirms (the AM and the OMEDIT get a
    /// workflow error, the ARS of another region 404); an exclusion needs a motivation (`targeted`
    /// with a blank one) and an entity the engine targets (`untargeted` with `why`).
    pub async fn assert_confirm_refusals(
        &self,
        store: &Store,
        volet: &str,
        (targeted, untargeted, why): (Finess, Finess, &str),
        confirm: impl AsyncFn(
            &User,
            &BTreeMap<Finess, String>,
        ) -> Result<Vec<ConfirmedTargeting>, StoreError>,
    ) {
        let none = BTreeMap::new();
        for other in [&self.am, &self.omedit] {
            assert!(matches!(
                confirm(other, &none).await.unwrap_err(),
                StoreError::Workflow(_)
            ));
        }
        assert!(matches!(
            confirm(&self.ars_other, &none).await.unwrap_err(),
            StoreError::NotFound(_)
        ));
        for (f, why) in [(targeted, "  "), (untargeted, why)] {
            let one = BTreeMap::from([(f, why.to_owned())]);
            let err = confirm(&self.ars, &one).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        }
        assert!(
            store
                .confirmed_targeting(&self.campaign.id, volet)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// The confirmed line of `f`.
pub fn line(list: &[ConfirmedTargeting], f: Finess) -> ConfirmedTargeting {
    list.iter().find(|c| c.entity == f).unwrap().clone()
}

/// A conflict naming every one of `words`.
pub fn assert_conflict(err: &StoreError, words: &[&str]) {
    assert!(
        matches!(err, StoreError::Conflict(c) if words.iter().all(|w| c.to_string().contains(w))),
        "{err}"
    );
}

/// (before, after) of the audit lines with `action`, newest first.
pub async fn audit_lines(store: &Store, action: &str) -> Vec<(String, String)> {
    store
        .audit_in_region(&REGION, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == action)
        .map(|a| (a.before.unwrap_or_default(), a.after.unwrap_or_default()))
        .collect()
}

/// The quality indicators of `entity` for 2018, the campaign year of the stories.
pub fn quality_row(
    entity: Finess,
    icalin2: Icalin2Result,
    d31: D31Result,
    doc: DocResult,
) -> QualityIndicators {
    QualityIndicators {
        entity,
        year: 2018,
        icalin2,
        d31,
        doc,
    }
}
