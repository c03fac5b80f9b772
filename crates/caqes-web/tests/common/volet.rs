//! Arrange and check blocks shared by the additional volets' decision test files
//! (transports, qualité, pertinence, and the volet obligatoire's sum), on the
//! store's [`Fixture`]: the region's files of each volet written through the
//! store as their import would, the page before and after the targeting, the
//! scope's 404, and the three volets decided and notified on one campaign.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_core::volets::Objective;
use caqes_core::volets::Progress;
use caqes_core::volets::pertinence::{PertinenceEvaluationInput, PertinenceSanctionKind};
use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Class, Icalin2Result};
use caqes_core::volets::transport::{OptionalObjective, TransportEvaluationInput};
use caqes_core::{Euros, Finess, Rate};
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::targeting::TransportSpending;
use caqes_store::targeting::pertinence::{Measure, PertinenceData};
use caqes_store::targeting::qualite::QualityIndicators;
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::volets::lifecycle::{FinalDecision, VoletKind, VoletVersion};
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;
use caqes_store::{Actor, Campaign, Opinion, ReceiptId, Role};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::fixture::FixtureApp;
use super::{Client, password};

/// A volet story's fixture: the établissement's own entity first (two sites),
/// another entity of the region, another region with its ARS, an administrator
/// and the campaign `year`.
pub fn fixture(year: i16) -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire", 2)
        .entity("Clinique du Canal")
        .other_region()
        .admin()
        .campaign(year)
}

/// The transport spending (previous year, year) of the own entity: above
/// 500 000 € with a growth below 2,2 %, targeted on its amount.
pub const OWN_SPENDING: (i64, i64) = (1_850_000, 1_860_000);

/// The AM revenue the notified volets of [`notify_three_volets`] are evaluated on.
const NOTIFIED_REVENUE: i64 = 95_000_000;

/// An amount in whole euros.
pub fn euros(n: i64) -> Euros {
    Euros(Decimal::from(n))
}

impl FixtureApp {
    /// The fixture's campaign itself.
    pub fn campaign(&self) -> &Campaign {
        self.fixture.campaign.as_ref().unwrap()
    }

    /// The second legal entity of the region (not the établissement user's).
    pub fn other_entity(&self) -> Finess {
        self.fixture.entities[1].entity.finess
    }

    /// The page of `volet` (`transports`, `qualite`, `pertinence`) for `finess`.
    pub fn volet_url(&self, finess: Finess, volet: &str) -> String {
        format!("{}/volets/{volet}", self.dossier(finess))
    }

    /// The versions of the own entity's volet `V` in the fixture's campaign.
    pub async fn own_versions<V: VoletKind>(&self) -> Vec<VoletVersion<V::Evaluation>> {
        self.store()
            .volet_versions::<V>(&self.campaign().id, &self.own_entity())
            .await
            .unwrap()
    }

    /// The ARS of the other region, logged in.
    pub async fn other_region_ars(&self) -> Client<'_> {
        let email = self.fixture.ars_other().unwrap().email.clone();
        self.login(&email, &password(Role::Ars)).await
    }

    /// The transport spending of `year`: the own entity's [`OWN_SPENDING`], and
    /// for the other entity a small amount growing by less than 2,2 % (not targeted).
    pub async fn import_transport_spending(&self, year: i16) {
        let row = |entity, (previous, amount)| TransportSpending {
            entity,
            year,
            previous: euros(previous),
            amount: euros(amount),
        };
        let rows = [
            row(self.own_entity(), OWN_SPENDING),
            row(self.other_entity(), (80_000, 80_500)),
        ];
        self.store()
            .import_transport_spending(&Actor::system("test"), &REGION, "test", &rows)
            .await
            .unwrap();
    }

    /// The quality indicators of `year` of the own entity, imported by the ARS:
    /// ICALIN2 class D and D3.1 at 8,5 % target two risks.
    pub async fn import_quality_indicators(&self, year: i16) {
        let row = QualityIndicators {
            entity: self.own_entity(),
            year,
            icalin2: Icalin2Result::Classe(Icalin2Class::D),
            d31: D31Result::Taux(Rate::proportion(Decimal::from(85), Decimal::from(1000)).unwrap()),
            doc: DocResult::Resultat {
                taux_pct: Decimal::from(72),
                ic_borne_basse_pct: Decimal::new(651, 1),
                ic_borne_haute_pct: Decimal::new(784, 1),
            },
        };
        self.store()
            .import_quality_indicators(self.user(Role::Ars), &REGION, "test", &[row])
            .await
            .unwrap();
    }

    /// The pertinence data of `year` of the own entity, imported by the AM:
    /// ambulatory surgery at 15 % of 2 000 stays against a reference of 1/4 is
    /// atypical.
    pub async fn import_pertinence_data(&self, year: i16) {
        let row = PertinenceData {
            entity: self.own_entity(),
            year,
            theme: "Chirurgie ambulatoire".into(),
            measure: Measure::Proportion {
                observed: 300,
                population: 2000,
                reference: Rate::proportion(Decimal::ONE, Decimal::from(4)).unwrap(),
            },
        };
        self.store()
            .import_pertinence_data(self.user(Role::AssuranceMaladie), &REGION, "test", &[row])
            .await
            .unwrap();
    }
}

/// The page of the own entity's `volet` before and after its targeting: not yet
/// confirmed as targeted, a French message and no form; once `confirm` has run,
/// the page is reached from the targeting screen `screen` and from the dossier,
/// with the evaluation form.
pub async fn assert_reached_once_targeted(
    t: &FixtureApp,
    ars: &mut Client<'_>,
    volet: &str,
    screen: &str,
    confirm: impl AsyncFnOnce(),
) {
    let url = t.volet_url(t.own_entity(), volet);
    let p = ars.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"non-cible\""), "{}", p.body);
    assert!(!p.body.contains("form-evaluation"));

    confirm().await;

    let screen = ars.get(&t.campaign_url(screen)).await;
    assert!(
        screen.body.contains(&format!("href=\"{url}\"")),
        "{}",
        screen.body
    );
    let dossier = ars.get(&t.dossier(t.own_entity())).await;
    assert!(
        dossier.body.contains(&format!("href=\"{url}\"")),
        "{}",
        dossier.body
    );
    let p = ars.get(&url).await;
    assert!(p.body.contains("form-evaluation"), "{}", p.body);
}

/// Out of scope, 404: another entity's page and opinion for the établissement
/// `etab`, the own entity's page for the administrator, the page and the
/// evaluation `form` for the ARS of another region.
pub async fn assert_out_of_scope(
    t: &FixtureApp,
    etab: &mut Client<'_>,
    volet: &str,
    form: &[(&str, &str)],
) {
    let url = t.volet_url(t.own_entity(), volet);
    let other_url = t.volet_url(t.other_entity(), volet);
    assert_eq!(etab.get(&other_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.post(&format!("{other_url}/avis"), &[("avis", "favorable")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut admin = t.logged_in(Role::Admin).await;
    assert_eq!(admin.get(&url).await.status, StatusCode::NOT_FOUND);
    let mut other = t.other_region_ars().await;
    assert_eq!(other.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post(&format!("{url}/evaluation"), form).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Roles and CSRF: the AM may not post the evaluation `form` to `eval`, nor the
/// ARS without its CSRF token.
pub async fn assert_evaluation_refused(
    am: &mut Client<'_>,
    ars: &mut Client<'_>,
    eval: &str,
    form: &[(&str, &str)],
) {
    assert_eq!(am.post(eval, form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(ars.post_raw(eval, form).await.status, StatusCode::FORBIDDEN);
}

/// The AM gives a favourable opinion with `comment` on the volet page `url`.
pub async fn give_favourable_opinion(am: &mut Client<'_>, url: &str, comment: &str) {
    let form = [("avis", "favorable"), ("commentaire", comment)];
    let p = am.post(&format!("{url}/avis"), &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
}

/// The ARS notifies the decision of the volet page `url` on `date` (`YYYY-MM-DD`).
pub async fn notify(ars: &mut Client<'_>, url: &str, date: &str) {
    let form = [("date_notification", date)];
    let p = ars.post(&format!("{url}/notification"), &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
}

/// The three additional volets of the own entity decided at the proposal (the
/// pertinence one at 4 months) and notified on 15 September after `campaign`'s
/// year, through the store as the ARS and the AM would, with an AM revenue of
/// 95 000 000 €:
/// - transports: target and optional objective met, 140 000 € of savings, action
///   plan at 50 %: an incentive of 30 % × 140 000 × 50 % = 21 000 €;
/// - qualité: two risks, half the objectives met: 1 % × 95 000 000 × 75 % ×
///   (1 − 50 %) = 356 250 € of sanction;
/// - pertinence: main objective not met, the contract's MSAP of 6 months, 4
///   pronounced (motivated).
pub async fn notify_three_volets(t: &FixtureApp, campaign: &Campaign) -> Date {
    let store = t.store();
    let ars = t.user(Role::Ars);
    let own = t.own_entity();
    let revenue = euros(NOTIFIED_REVENUE);
    let notified_on = jiff::civil::date(campaign.year + 1, 9, 15);
    let none = BTreeMap::new();

    t.import_transport_spending(campaign.year).await;
    store
        .confirm_transport_targeting(ars, campaign, &none)
        .await
        .unwrap();
    let input = TransportEvaluationInput {
        cible_atteinte: true,
        objectif_supplementaire: OptionalObjective::Atteint,
        depenses_previsionnelles_sans_mesures: euros(2_000_000),
        depenses_observees: euros(OWN_SPENDING.1),
        produits_am: revenue,
        progression_plan_actions: Progress::from_percent(Decimal::from(50)).unwrap(),
    };
    let proposal = store
        .record_transport_evaluation(ars, campaign, &own, &input)
        .await
        .unwrap()
        .proposal
        .unwrap();
    let decision = FinalDecision::Amount(proposal.amount());
    decide_and_notify::<Transports>(t, campaign, decision, notified_on).await;

    t.import_quality_indicators(campaign.year).await;
    store
        .confirm_quality_targeting(ars, campaign, &BTreeMap::new(), &none)
        .await
        .unwrap();
    let objectives = [
        Objective::met("Bon usage des antibiotiques", true),
        Objective::met("Conciliation médicamenteuse", false),
    ];
    let proposal = store
        .record_quality_evaluation(ars, campaign, &own, &objectives, revenue)
        .await
        .unwrap()
        .proposal
        .unwrap();
    let decision = FinalDecision::Amount(proposal.amount());
    decide_and_notify::<Qualite>(t, campaign, decision, notified_on).await;

    t.import_pertinence_data(campaign.year).await;
    store
        .confirm_pertinence_targeting(ars, campaign, &none)
        .await
        .unwrap();
    let input = PertinenceEvaluationInput {
        objectif_principal_atteint: false,
        objectifs_complementaires: vec![Objective::met("Information des chirurgiens", true)],
        nature_sanction: PertinenceSanctionKind::Msap { duree_mois: 6 },
        plafond_interessement: euros(150_000),
        produits_am: revenue,
    };
    store
        .record_pertinence_evaluation(ars, campaign, &own, &input)
        .await
        .unwrap();
    decide_and_notify::<Pertinence>(t, campaign, FinalDecision::MsapMonths(4), notified_on).await;
    notified_on
}

/// The AM's favourable opinion, the ARS's `decision` (motivated) and its
/// notification on `on`, for the own entity's volet `V`.
async fn decide_and_notify<V: VoletKind>(
    t: &FixtureApp,
    campaign: &Campaign,
    decision: FinalDecision,
    on: Date,
) {
    let store = t.store();
    let (ars, am) = (t.user(Role::Ars), t.user(Role::AssuranceMaladie));
    let own = t.own_entity();
    store
        .record_volet_opinion::<V>(am, campaign, &own, Opinion::Favorable, None)
        .await
        .unwrap();
    store
        .record_volet_decision::<V>(ars, campaign, &own, decision, Some("Décision motivée"))
        .await
        .unwrap();
    store
        .notify_volet_decision::<V>(ars, campaign, &own, on)
        .await
        .unwrap();
}

/// The ARS records that the own entity received on paper, on `on`, the latest
/// notified version of its volet `V` (the appeal deadlines run from it); that
/// version, receipt included.
pub async fn receive_on_paper<V: VoletKind>(
    t: &FixtureApp,
    on: Date,
) -> VoletVersion<V::Evaluation> {
    let notified = t.own_versions::<V>().await;
    let latest = notified.iter().rev().find(|v| v.is_frozen()).unwrap();
    t.store()
        .record_paper_receipt(
            t.user(Role::Ars),
            ReceiptKind::DecisionVolet,
            &ReceiptId::from(&latest.id),
            on,
        )
        .await
        .unwrap();
    let version = latest.version;
    t.own_versions::<V>()
        .await
        .into_iter()
        .find(|v| v.version == version)
        .unwrap()
}
