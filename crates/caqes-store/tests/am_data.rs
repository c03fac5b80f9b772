//! Assurance Maladie data: AM revenue and liste en sus per entity, PHEV values
//! (source AM) written all or nothing with their provenance, and the sanction
//! basis chosen by the ARS. SQLite always, PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::sanction::Basis;
use caqes_core::{Euros, Finess};
use caqes_store::am::{AmFigures, AmValue};
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{Action, Actor, Role, ScoreRecord, Store, StoreError};
use rust_decimal::Decimal;
use serde_json::json;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn conflict(r: Result<impl std::fmt::Debug, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict(c)) => c.to_string(),
        other => panic!("conflit attendu, reçu {other:?}"),
    }
}

async fn story(store: &Store) {
    let sys = Actor::system("test");
    let fx = Fixture::builder()
        .entity_with_sites("Entité A", 2)
        .entity("Entité B")
        .entity_elsewhere("Entité C")
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let [a, b] = fx.finess().unwrap();
    let site = |e: usize, k: usize| fx.entities[e].sites[k].finess;
    let (a1, a2, b1) = (site(0, 0), site(0, 1), site(1, 0));
    let c = fx.elsewhere[0].entity.finess;
    let ars = fx.user(Role::Ars).unwrap().clone();
    let am = fx.user(Role::AssuranceMaladie).unwrap().clone();
    let etab = fx.etab(b).unwrap().clone();
    let am_actor = Actor::user(&am);

    // --- AM figures: exact, a missing figure keeps the stored one, all or nothing.
    let set = store
        .set_am_figures(
            &am_actor,
            &REGION,
            &[AmFigures {
                entity: a,
                am_revenue: Some(Euros(dec("123456789.01"))),
                liste_en_sus: Some(Euros(dec("2000000"))),
                year: Some(2018),
            }],
        )
        .await
        .unwrap();
    assert_eq!(set, 1);
    let fa = store.am_figures(&a).await.unwrap();
    assert_eq!(fa.am_revenue, Some(Euros(dec("123456789.01"))));
    assert_eq!(fa.liste_en_sus, Some(Euros(dec("2000000"))));
    assert_eq!(fa.year, Some(2018));
    let keep = AmFigures {
        entity: a,
        am_revenue: None,
        liste_en_sus: Some(Euros(dec("2500000.5"))),
        year: None,
    };
    let outside = AmFigures {
        entity: c,
        am_revenue: Some(Euros(dec("1"))),
        liste_en_sus: None,
        year: None,
    };
    let m = conflict(
        store
            .set_am_figures(&am_actor, &REGION, &[keep.clone(), outside])
            .await,
    );
    assert!(m.contains(&c.to_string()), "{m}");
    assert_eq!(store.am_figures(&a).await.unwrap(), fa, "rien d'écrit");
    let negative = AmFigures {
        entity: b,
        am_revenue: Some(Euros(dec("-1"))),
        liste_en_sus: None,
        year: None,
    };
    assert!(
        conflict(store.set_am_figures(&am_actor, &REGION, &[negative]).await).contains("négatif")
    );
    store
        .set_am_figures(&am_actor, &REGION, &[keep])
        .await
        .unwrap();
    let fa2 = store.am_figures(&a).await.unwrap();
    assert_eq!(fa2.am_revenue, fa.am_revenue);
    assert_eq!(fa2.liste_en_sus, Some(Euros(dec("2500000.5"))));
    let audit = store.audit_in_region(&REGION, 10).await.unwrap();
    let line = audit
        .iter()
        .find(|l| l.action == "donnees_am.enregistrer")
        .unwrap();
    let (before, after) = (line.after.clone().unwrap(), "2500000.5");
    assert!(
        before.contains("\"2000000\"") && before.contains(after),
        "{before}"
    );

    // --- PHEV values: on the reference site, other sites' rows replaced, provenance audited.
    let campaign = fx.campaign.clone().unwrap();
    // A former per-site value of A on its second site.
    store
        .import_yearly(
            &sys,
            &campaign,
            "valeurs.csv",
            &[caqes_store::testing::value(
                a2, 2019, "III-01", "1", "2", "",
            )],
            &[],
        )
        .await
        .unwrap();
    let value = |e: Finess, ind: &str, n: &str, d: &str| AmValue {
        entity: e,
        indicator: ind.into(),
        numerator: n.into(),
        denominator: d.into(),
        entry: caqes_store::testing::value(e, 2019, ind, n, d, "")
            .entry()
            .unwrap(),
        motive: None,
    };
    let provenance = json!({ "fichier": "OPEN_PHMEV_2019.CSV", "sha256": "abc123" });
    // One value outside the region: nothing at all is written.
    let m = conflict(
        store
            .import_am_values(
                &am_actor,
                &campaign,
                provenance.clone(),
                &[
                    value(a, "III-01", "640", "1000"),
                    value(c, "III-01", "1", "2"),
                ],
            )
            .await,
    );
    assert!(m.contains(&c.to_string()), "{m}");
    let va = store.values_for_entity(&a, 2019).await.unwrap();
    assert_eq!(va.len(), 1);
    assert_eq!(va[0].site, a2);
    let n = store
        .import_am_values(
            &am_actor,
            &campaign,
            provenance.clone(),
            &[
                value(a, "III-01", "640", "1000"),
                value(a, "IV-01", "105000.25", "100000.00"),
                value(b, "III-03", "3", "7"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    let va = store.values_for_entity(&a, 2019).await.unwrap();
    assert_eq!(va.len(), 2, "{va:?}");
    let iii01 = va.iter().find(|v| v.indicator == "III-01").unwrap();
    assert_eq!(
        iii01.site,
        a1.min(a2),
        "site de référence : le plus petit FINESS"
    );
    assert_eq!(iii01.numerator.as_deref(), Some("640"));
    assert_eq!(iii01.denominator.as_deref(), Some("1000"));
    let iv01 = va.iter().find(|v| v.indicator == "IV-01").unwrap();
    assert_eq!(iv01.numerator.as_deref(), Some("105000.25"));
    let vb = store.values_for_entity(&b, 2019).await.unwrap();
    assert_eq!((vb[0].site, vb[0].indicator.as_str()), (b1, "III-03"));
    let audit = store.audit_in_region(&REGION, 10).await.unwrap();
    let line = audit.iter().find(|l| l.action == "import.phev").unwrap();
    let after = line.after.clone().unwrap();
    assert!(
        after.contains("abc123") && after.contains("\"AM\""),
        "{after}"
    );
    assert!(
        after.contains("\"numerateur\":\"1\""),
        "valeur avant : {after}"
    );

    // A validated dossier no longer takes AM values.
    for action in [Action::Soumettre, Action::PrendreEnRevue, Action::Valider] {
        let sub = store.submission(&campaign.id, &b).await.unwrap().unwrap();
        let who = if action.role() == Role::Ars {
            &ars
        } else {
            &etab
        };
        store
            .apply_action(who, &sub, &REGION, action, None, None)
            .await
            .unwrap();
    }
    let m = conflict(
        store
            .import_am_values(
                &am_actor,
                &campaign,
                provenance,
                &[value(b, "III-03", "5", "7")],
            )
            .await,
    );
    assert!(m.contains("Validé") || m.contains("validé"), "{m}");
    let vb = store.values_for_entity(&b, 2019).await.unwrap();
    assert_eq!(vb[0].numerator.as_deref(), Some("3"));

    // --- Sanction basis: liste en sus gives the 30 % ceiling; only the ARS chooses.
    let sub = store.submission(&campaign.id, &b).await.unwrap().unwrap();
    store
        .apply_action(
            &ars,
            &sub,
            &REGION,
            Action::Evaluer,
            None,
            Some(ScoreRecord {
                score: dec("50"),
                bonus: dec("0"),
                total: dec("50"),
            }),
        )
        .await
        .unwrap();
    let sub = store.submission(&campaign.id, &b).await.unwrap().unwrap();
    assert_eq!(
        store.sanction_basis(&sub.id).await.unwrap(),
        Basis::ProduitsAm
    );
    store
        .set_am_figures(
            &am_actor,
            &REGION,
            &[AmFigures {
                entity: b,
                am_revenue: Some(Euros(dec("50000000"))),
                liste_en_sus: Some(Euros(dec("1000000"))),
                year: Some(2019),
            }],
        )
        .await
        .unwrap();
    let on_am = store.proposal_for(&sub, "occitanie-2018").await.unwrap();
    assert_eq!(on_am.proposal.ceiling(), Euros(dec("500000")), "1 %");
    assert!(
        store
            .set_sanction_basis(&am, &REGION, &sub, Basis::ListeEnSus)
            .await
            .is_err()
    );
    store
        .set_sanction_basis(&ars, &REGION, &sub, Basis::ListeEnSus)
        .await
        .unwrap();
    let on_sus = store.proposal_for(&sub, "occitanie-2018").await.unwrap();
    assert_eq!(on_sus.proposal.basis(), Basis::ListeEnSus);
    assert_eq!(on_sus.proposal.ceiling(), Euros(dec("300000")), "30 %");
    assert_eq!(on_sus.basis_amount, Euros(dec("1000000")));
    let v1 = store
        .record_opinion(
            &am,
            &REGION,
            &sub,
            "occitanie-2018",
            caqes_store::Opinion::Favorable,
            None,
        )
        .await
        .unwrap();
    assert_eq!(v1.basis_kind, Basis::ListeEnSus);
    assert_eq!(v1.ceiling, Euros(dec("300000")));
    conflict(
        store
            .set_sanction_basis(&ars, &REGION, &sub, Basis::ProduitsAm)
            .await,
    );
    assert_eq!(
        store.sanction_basis(&sub.id).await.unwrap(),
        Basis::ListeEnSus
    );
}

#[tokio::test]
async fn am_data_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn am_data_on_postgres() {
    on_postgres(story).await.unwrap();
}
