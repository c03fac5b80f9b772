//! The demo's second-generation campaign (issue 13): evaluation year 2023 on the
//! example regional grid (the 7 national indicators and 3 regional ones), with
//! contracting units in every state so each role can walk it:
//! - the CHU (the établissement account's entity): targeted on N1–N3, contract signed,
//!   values of 2022 and 2023 entered, N1 revised to 10 000 € with a motive, report
//!   received, intéressement of 24 400 € decided and notified (the letter is there);
//! - the second entity: targeted on N1 only, no contract yet;
//! - the third: contract proposed, awaiting the signature;
//! - the fourth: contract signed, national and regional values entered, report
//!   received: the ARS decides 20 000 € and notifies;
//! - the fifth: refused twice (second proposal received 30 May 2022): the 1 % sanction
//!   can be decided.
//!
//! Everything goes through the store's checked writes, as the pages do.

use caqes_core::Euros;
use caqes_core::regimes::AnyReferentiel;
use caqes_core::regimes::outcome::{Revision, YearValues};
use caqes_core::regimes::surveillance::OpinionBody;
use caqes_store::generation2::UnitRef;
use caqes_store::generation2::write::TargetingInput;
use caqes_store::{Actor, Campaign, CampaignId, LegalEntity, NewCampaign, NewEntity, Store, User};
use jiff::civil::{Date, date};
use rust_decimal::Decimal;

use crate::{DemoError, DemoResult};

/// The grid of the demo's second-generation campaign.
pub const REFERENTIEL_2022: &str = "exemple-regional-2022";
/// Its evaluation year (savings of 2023 against 2022).
pub const YEAR: i16 = 2023;

fn amount(n: i64) -> Option<Decimal> {
    Some(Decimal::from(n))
}

fn spend(n: i64) -> YearValues {
    YearValues {
        montant: amount(n),
        ..YearValues::default()
    }
}

fn retain(code: &str, measures: &[i64]) -> TargetingInput {
    TargetingInput {
        indicator: code.to_owned(),
        measures: measures.iter().map(|m| amount(*m)).collect(),
        retained: true,
        motive: None,
    }
}

struct Steps<'a> {
    store: &'a Store,
    campaign: &'a Campaign,
    grid: &'a caqes_core::regimes::ObjectivesGrid,
    ars: &'a User,
}

impl<'a> Steps<'a> {
    /// The entity's own unit (the campaign signs with legal FINESS).
    fn at(&self, e: &'a LegalEntity) -> UnitRef<'a> {
        UnitRef {
            campaign: self.campaign,
            grid: self.grid,
            entity: e,
            unit: e.finess,
        }
    }

    async fn target(&self, e: &LegalEntity, decisions: &[TargetingInput]) -> DemoResult<()> {
        self.store
            .g2_confirm_targeting(self.ars, self.at(e), decisions)
            .await?;
        Ok(())
    }

    async fn propose(&self, e: &LegalEntity, received: Date) -> DemoResult<()> {
        self.store
            .g2_propose_contract(
                self.ars,
                self.at(e),
                date(2022, 7, 1),
                date(2026, 12, 31),
                received,
            )
            .await?;
        Ok(())
    }

    async fn answer(&self, owner: &User, e: &LegalEntity, sign: bool) -> DemoResult<()> {
        self.store
            .g2_answer_contract(owner, self.at(e), sign, date(2022, 5, 20))
            .await?;
        Ok(())
    }

    async fn values(
        &self,
        who: &User,
        e: &LegalEntity,
        rows: &[(&str, i16, YearValues)],
    ) -> DemoResult<()> {
        let rows: Vec<(String, i16, YearValues)> = rows
            .iter()
            .map(|(c, y, v)| ((*c).to_owned(), *y, *v))
            .collect();
        self.store.g2_save_values(who, self.at(e), &rows).await?;
        Ok(())
    }
}

/// Seeds the campaign; returns its id. `owners[i]` is the établissement user of
/// `entities[i + 1]`; `etab` the one of `entities[0]`.
pub(crate) async fn seed(
    store: &Store,
    sys: &Actor,
    ars: &User,
    etab: &User,
    owners: &[User],
    entities: &[NewEntity],
) -> DemoResult<CampaignId> {
    let Some(AnyReferentiel::Objectives(grid)) = store.referentiel_any(REFERENTIEL_2022).await?
    else {
        return Err(DemoError::Invalid(format!(
            "référentiel {REFERENTIEL_2022} absent"
        )));
    };
    let region = entities
        .first()
        .map(|e| e.entity.region)
        .ok_or(DemoError::Missing)?;
    let campaign = store
        .create_campaign(
            sys,
            &NewCampaign {
                region,
                year: YEAR,
                referentiel_id: REFERENTIEL_2022.to_owned(),
                title: format!("CAQES 2022–2026 — évaluation {YEAR}"),
                submission_deadline: date(2024, 3, 31),
                evaluation_deadline: date(2024, 9, 30),
            },
        )
        .await?;
    let s = Steps {
        store,
        campaign: &campaign,
        grid: &grid,
        ars,
    };
    let entity = |i: usize| -> DemoResult<&LegalEntity> {
        entities.get(i).map(|e| &e.entity).ok_or(DemoError::Missing)
    };
    let owner = |i: usize| -> DemoResult<&User> { owners.get(i - 1).ok_or(DemoError::Missing) };
    // National targeting from the annex's conditions (spec §2.2): 9 500 boxes ≥ 8 500;
    // 240 000 € ≥ 100 000 € and 86 % ≥ 80 %; 30 % ≥ 20 % and 450 000 € ≥ 400 000 €.
    let national = [
        retain("N1-IPP", &[9_500]),
        retain("N2-PERFADOM", &[240_000, 86]),
        retain("N3-AMBU", &[30, 450_000]),
    ];

    // The CHU: the whole year, notified.
    let chu = entity(0)?;
    s.target(chu, &national).await?;
    s.propose(chu, date(2022, 5, 2)).await?;
    s.answer(etab, chu, true).await?;
    s.values(
        etab,
        chu,
        &[
            ("N1-IPP", 2022, spend(500_000)),
            ("N1-IPP", 2023, spend(460_000)),
            ("N2-PERFADOM", 2022, spend(300_000)),
            ("N2-PERFADOM", 2023, spend(291_000)),
            (
                "N3-AMBU",
                2022,
                YearValues {
                    montant: amount(300_000),
                    numerateur: amount(300_000),
                    denominateur: amount(1_000_000),
                },
            ),
            (
                "N3-AMBU",
                2023,
                YearValues {
                    montant: amount(228_000),
                    numerateur: amount(228_000),
                    denominateur: amount(1_200_000),
                },
            ),
        ],
    )
    .await?;
    store
        .g2_revise(
            ars,
            s.at(chu),
            "N1-IPP",
            Some(Revision {
                amount: Euros(Decimal::from(10_000)),
                motive: "Objectifs de pertinence du volet 3 non tenus (D162-16 V 2°)".into(),
            }),
        )
        .await?;
    store
        .g2_record_report(ars, s.at(chu), date(2024, 6, 14))
        .await?;
    store.g2_decide_incentive(ars, s.at(chu)).await?;
    store
        .g2_notify_incentive(ars, s.at(chu), date(2024, 9, 2))
        .await?;
    // A mise sous surveillance (L162-30-3): saisine in March 2022, 1 000 cholécystectomies
    // in 2021, a target of 900 (the floor is 700); a reduction is possible from 15 March 2024.
    store
        .g2_set_surveillance(
            ars,
            s.at(chu),
            "Cholécystectomies (actes de la liste de l'arrêté)",
            date(2022, 3, 15),
            Decimal::from(1_000),
            Decimal::from(900),
        )
        .await?;
    // The AM body's opinion before any reduction is recorded; the CRSA's is awaited.
    store
        .g2_record_opinion(
            ars,
            s.at(chu),
            OpinionBody::AssuranceMaladie,
            true,
            date(2024, 5, 10),
            Some("Favorable à un abattement si la cible n'est pas atteinte"),
        )
        .await?;

    // Targeted only.
    s.target(entity(1)?, &national[..1]).await?;

    // Proposed, awaiting the signature.
    let proposed = entity(2)?;
    s.target(proposed, &national[..2]).await?;
    // Its own objective on N2-PERFADOM: −3 % a year instead of the grid's −5 %.
    store
        .g2_set_objective(
            ars,
            s.at(proposed),
            "N2-PERFADOM",
            Some(Decimal::from(3)),
            date(2022, 4, 15),
        )
        .await?;
    s.propose(proposed, date(2022, 5, 2)).await?;

    // Signed, national and regional values entered, report received.
    let signed = entity(3)?;
    let regional = [
        retain("N1-IPP", &[9_000]),
        TargetingInput {
            indicator: "R1-ANTIBIO".into(),
            measures: Vec::new(),
            retained: true,
            motive: Some("Indicateur régional du PAPRAPS retenu par l'ARS".into()),
        },
        TargetingInput {
            indicator: "R2-BIOSIM".into(),
            measures: Vec::new(),
            retained: true,
            motive: Some("Indicateur régional du PAPRAPS retenu par l'ARS".into()),
        },
        TargetingInput {
            indicator: "R3-TRANSPORT".into(),
            measures: Vec::new(),
            retained: true,
            motive: Some("Indicateur régional du PAPRAPS retenu par l'ARS".into()),
        },
    ];
    s.target(signed, &regional).await?;
    s.propose(signed, date(2022, 5, 2)).await?;
    s.answer(owner(3)?, signed, true).await?;
    let rate = |n: i64, d: i64| YearValues {
        montant: None,
        numerateur: amount(n),
        denominateur: amount(d),
    };
    s.values(
        owner(3)?,
        signed,
        &[
            ("N1-IPP", 2022, spend(200_000)),
            ("N1-IPP", 2023, spend(210_000)),
            ("R1-ANTIBIO", 2023, rate(18, 90)),
            ("R2-BIOSIM", 2023, rate(35, 50)),
            ("R3-TRANSPORT", 2022, spend(150_000)),
            ("R3-TRANSPORT", 2023, spend(144_000)),
        ],
    )
    .await?;
    store
        .g2_record_report(ars, s.at(signed), date(2024, 6, 14))
        .await?;

    // Refused, second proposal received: the sanction may be decided.
    let refused = entity(4)?;
    s.target(refused, &national[..1]).await?;
    s.propose(refused, date(2022, 5, 2)).await?;
    s.answer(owner(4)?, refused, false).await?;
    store
        .g2_second_proposal(ars, s.at(refused), date(2022, 5, 30))
        .await?;
    // Refused again: after the 15 days (from 15 June 2022) the ARS may decide the 1 %.
    s.answer(owner(4)?, refused, false).await?;
    Ok(campaign.id)
}
