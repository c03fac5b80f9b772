//! Demo contracts: most entities signed in November 2017 (in force on
//! 1 January 2018), one signed after a hearing asked on the 14th day, one
//! refusal, one avenant (signed in 2018, in force on 1 January 2019), one
//! additional volet terminated (effective 31 December 2019), and the
//! établissement user's own entity with a proposal pending within its 15 days.
//! Each step goes through the store's checked transitions, with its real author.

use caqes_core::Euros;
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{PertinenceSanctionKind, PertinenceTerms};
use caqes_store::{NewContract, Store, User};
use jiff::civil::{Date, date};
use rust_decimal::Decimal;

use crate::{DemoError, DemoResult, refused};

fn days_before(today: Date, days: i64) -> DemoResult<Date> {
    today
        .checked_sub(jiff::Span::new().days(days))
        .map_err(refused("date de démonstration"))
}

/// `own` is the établissement demo account; `owners[i]` the account of the
/// region's (i + 1)-th entity.
pub async fn seed(store: &Store, ars: &User, own: &User, owners: &[User]) -> DemoResult<()> {
    let received_2017 = date(2017, 11, 6);
    // The établissement user's own entity: proposal received 3 days ago (J-12).
    propose(
        store,
        ars,
        own,
        NewContract {
            pertinence_terms: Some(demo_pertinence_terms()),
            received_on: Some(days_before(caqes_store::today(), 3)?),
            additional: vec![(Volet::Transports, 5), (Volet::Pertinence, 3)],
        },
    )
    .await?;
    for (i, owner) in owners.iter().enumerate() {
        let additional = match i % 3 {
            0 => vec![(Volet::Transports, 5)],
            1 => vec![(Volet::Pertinence, 3)],
            _ => vec![],
        };
        let additional = if i == 2 {
            vec![(Volet::Transports, 5), (Volet::Qualite, 3)]
        } else {
            additional
        };
        let c = propose(
            store,
            ars,
            owner,
            NewContract {
                pertinence_terms: additional
                    .iter()
                    .any(|(v, _)| *v == Volet::Pertinence)
                    .then(demo_pertinence_terms),
                received_on: Some(received_2017),
                additional,
            },
        )
        .await?;
        let c = match i {
            // Refused within the period.
            1 => {
                store.refuse_contract(owner, &c, date(2017, 11, 10)).await?;
                continue;
            }
            // A hearing asked on the 14th day extends the period to the hearing.
            3 => {
                let c = store.request_hearing(owner, &c, date(2017, 11, 20)).await?;
                let c = store.schedule_hearing(ars, &c, date(2017, 12, 4)).await?;
                store.sign_contract(owner, &c, date(2017, 12, 4)).await?
            }
            _ => {
                let day = 13 + i8::try_from(i % 7).unwrap_or(0);
                store.sign_contract(owner, &c, date(2017, 11, day)).await?
            }
        };
        match i {
            0 => {
                store
                    .record_amendment(
                        ars,
                        &c,
                        "Actualisation annuelle du plan d'actions du contrat socle",
                        date(2018, 6, 15),
                    )
                    .await?;
            }
            2 => {
                store
                    .terminate_volet(
                        ars,
                        &c,
                        Volet::Qualite,
                        "Résiliation d'un commun accord : objectifs repris dans le volet obligatoire",
                        date(2019, 3, 4),
                    )
                    .await?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn propose(
    store: &Store,
    ars: &User,
    owner: &User,
    proposal: NewContract,
) -> DemoResult<caqes_store::Contract> {
    let finess = owner.entity.ok_or(DemoError::Missing)?;
    let entity = store
        .legal_entity(&finess)
        .await?
        .ok_or(DemoError::Missing)?;
    Ok(store.propose_contract(ars, &entity, &proposal).await?)
}

/// The demo's volet pertinence terms (W10): a mise sous accord préalable of 6 months
/// (annex 5's maximum) and an incentive of at most 100 000 €.
fn demo_pertinence_terms() -> PertinenceTerms {
    PertinenceTerms {
        nature_sanction: PertinenceSanctionKind::Msap { duree_mois: 6 },
        plafond_interessement: Euros::new(Decimal::new(100_000, 0)),
    }
}
