//! Benchmark of the region's dashboard (issue 12: « a region page with 3 000
//! establishments renders in under 200 ms »). Not a test: `bench/dashboard/run.sh` runs it
//! in release and RESULTS.md keeps the figures.
//!
//! A temporary SQLite store gets one region of N legal entities (default 3 000; every
//! category in turn, one in 50 with three sites), campaigns 2018 and 2019 on the built-in
//! référentiel, for 2019 a value for every indicator the établissement enters and targets
//! for the numeric ones, and an ARS account. Then, through the whole router in process
//! (session, CSRF, layers: an HTTP GET without the socket), it times the region's
//! dashboard and the campaign follow-up — views in a row (the scores from the store's
//! memo) and views right after a write (a value saved: the region's revision moves, the
//! scores are computed again) — and the store alone: N × `evaluate_entity` against one
//! `evaluate_entities`.
//!
//! Usage: `cargo run --release -p caqes-web --example dashboard_bench -- [N] [RUNS]`
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops loudly on an unexpected error"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_core::referentiel::{Applicability, Kind, Source};
use caqes_core::{Category, RegionCode};
use caqes_store::testing::{REFERENTIEL, TestDb, numbered_entity};
use caqes_store::{Actor, NewCampaign, NewUser, Region, Role, StoredValue};
use caqes_web::{AppState, Config, router};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

const PASSWORD: &str = "mot-de-passe-banc-d-essai";
const OCCITANIE: RegionCode = RegionCode::from_static("76");

struct Session {
    app: Router,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

impl Session {
    async fn send(&mut self, req: Request<Body>) -> (StatusCode, String) {
        let res = self.app.clone().oneshot(req).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let text = v.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            if let Some((k, val)) = pair.split_once('=') {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(i) = body.find("name=\"_csrf\" value=\"") {
            let rest = &body[i + 20..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        (status, body)
    }

    fn cookie(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, uri: &str) -> (StatusCode, String) {
        let req = Request::get(uri)
            .header(header::COOKIE, self.cookie())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    async fn login(&mut self, email: &str) {
        self.get("/connexion").await;
        let body = serde_urlencoded::to_string([
            ("_csrf", self.csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .unwrap();
        let req = Request::post("/connexion")
            .header(header::COOKIE, self.cookie())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let (status, _) = self.send(req).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "connexion refusée");
    }
}

/// A plausible value of `kind`, varying with `n` (so scores spread over the bands).
fn value_for(kind: Kind, n: u32, i: usize) -> (Option<String>, Option<String>, Option<String>) {
    let k = (n as usize * 7 + i * 13) % 100;
    match kind {
        Kind::Proportion => (Some(k.to_string()), Some("100".into()), None),
        Kind::Growth => (None, None, Some(format!("{}", k as i64 / 10 - 5))),
        Kind::Ratio => (None, None, Some(format!("{}", k / 10))),
        Kind::YesNo | Kind::Document => {
            (None, None, Some(if k < 60 { "OUI" } else { "NON" }.into()))
        }
        Kind::TriState => (
            None,
            None,
            Some(
                match k % 3 {
                    0 => "OUI",
                    1 => "EN_COURS",
                    _ => "NON",
                }
                .into(),
            ),
        ),
    }
}

fn stats(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    format!(
        "min {:.1} ms, médiane {:.1} ms, max {:.1} ms ({} mesures)",
        ms(times[0]),
        ms(median),
        ms(times[times.len() - 1]),
        times.len()
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let db = TestDb::sqlite().await.unwrap();
    let store = db.store.clone();
    let sys = Actor::system("banc");
    let started = Instant::now();
    store
        .create_region(
            &sys,
            &Region {
                code: OCCITANIE,
                name: "Occitanie".into(),
            },
        )
        .await
        .unwrap();
    let categories = Category::EVERY;
    let entities: Vec<_> = (1..=n)
        .map(|i| {
            let mut e = numbered_entity(i, &OCCITANIE, if i % 50 == 0 { 3 } else { 1 });
            e.entity.category = categories[i as usize % categories.len()];
            e
        })
        .collect();
    store.import_entities(&sys, &entities).await.unwrap();
    store
        .create_user(
            &sys,
            &NewUser {
                email: "ars@banc.test".parse().unwrap(),
                display_name: "ARS".into(),
                role: Role::Ars,
                region: Some(OCCITANIE),
                entity: None,
                password_hash: caqes_web::auth::hash_password(PASSWORD).unwrap(),
            },
        )
        .await
        .unwrap();
    let mut campaigns = Vec::new();
    for year in [2018, 2019] {
        campaigns.push(
            store
                .create_campaign(
                    &sys,
                    &NewCampaign {
                        region: OCCITANIE,
                        year,
                        referentiel_id: REFERENTIEL.into(),
                        title: format!("Campagne {year}"),
                        submission_deadline: jiff::civil::date(year + 1, 3, 31),
                        evaluation_deadline: jiff::civil::date(year + 1, 6, 30),
                    },
                )
                .await
                .unwrap(),
        );
    }
    let campaign = campaigns.pop().expect("campagne 2019");
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let mut values_written = 0;
    for (i, e) in (1..).zip(&entities) {
        let mut values = Vec::new();
        let mut targets = BTreeMap::new();
        for (j, ind) in grid.indicators.iter().enumerate() {
            if ind.applicability(e.entity.category) != Applicability::Concerned
                || !(ind.sources.is_empty() || ind.sources.contains(&Source::ES))
            {
                continue;
            }
            if ind.is_numeric() {
                targets.insert(ind.code.clone(), Decimal::from(50));
            }
            for s in &e.sites {
                let (numerator, denominator, value) = value_for(ind.kind, i, j);
                values.push(
                    StoredValue::typed_text(
                        s.finess,
                        2019,
                        &ind.code,
                        numerator.as_deref(),
                        denominator.as_deref(),
                        value.as_deref(),
                    )
                    .parsed_in(&grid, e.sites.len() > 1)
                    .expect("valeur du banc"),
                );
            }
        }
        values_written += values.len();
        store
            .save_values(&sys, &campaign, &e.entity, &values)
            .await
            .unwrap();
        store
            .set_targets(&sys, &e.entity, 2019, &targets)
            .await
            .unwrap();
    }
    println!(
        "Génération : {n} établissements, {values_written} valeurs 2019, en {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The store alone: one by one (the follow-up before) and in one batch.
    let legal: Vec<_> = entities.iter().map(|e| e.entity.clone()).collect();
    let t = Instant::now();
    let mut one_by_one = Vec::new();
    for e in &legal {
        one_by_one.push(store.evaluate_entity(&grid, e, 2019).await.unwrap().score);
    }
    let single = t.elapsed();
    let mut batch_times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let batch = store
            .evaluate_entities(&grid, &OCCITANIE, 2019, &legal)
            .await
            .unwrap();
        batch_times.push(t.elapsed());
        assert!(
            batch.iter().zip(&one_by_one).all(|(b, o)| b.score == *o),
            "le lot et l'unité ne donnent pas les mêmes scores"
        );
    }
    println!(
        "Store : {n} × evaluate_entity {:.0} ms ; evaluate_entities : {}",
        single.as_secs_f64() * 1000.0,
        stats(batch_times)
    );

    let app = router::app(AppState {
        store: store.clone(),
        config: Config::default(),
    });
    let mut session = Session {
        app,
        cookies: BTreeMap::new(),
        csrf: String::new(),
    };
    session.login("ars@banc.test").await;
    let mut writes = 0usize;
    for (label, uri) in [
        (
            "Tableau de bord de la région",
            format!("/campagnes/{}/tableau-de-bord", campaign.id),
        ),
        (
            "Suivi de la campagne",
            format!("/campagnes/{}", campaign.id),
        ),
    ] {
        let (status, body) = session.get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let (status, _) = session.get(&uri).await;
            times.push(t.elapsed());
            assert_eq!(status, StatusCode::OK);
        }
        println!(
            "{label} (GET {uri}, {} Kio), vues successives : {}",
            body.len() / 1024,
            stats(times)
        );
        // Right after a write in the region (a value saved: the region's score revision
        // moves), the view scores the campaign again — and, for the dashboard, the
        // previous campaign too (year on year).
        let mut times = Vec::new();
        for _ in 0..runs.min(10) {
            // A value never written before (saving an unchanged value writes nothing).
            writes += 1;
            let e = &entities[writes * 97 % entities.len()];
            let (numerator, denominator) = (Some(writes.to_string()), Some("100000".to_owned()));
            let value = None;
            let written = StoredValue::typed_text(
                e.sites[0].finess,
                2019,
                "I-03",
                numerator.as_deref(),
                denominator.as_deref(),
                value,
            )
            .parsed_in(&grid, e.sites.len() > 1)
            .expect("valeur du banc");
            store
                .save_values(&sys, &campaign, &e.entity, &[written])
                .await
                .unwrap();
            let t = Instant::now();
            let (status, _) = session.get(&uri).await;
            times.push(t.elapsed());
            assert_eq!(status, StatusCode::OK);
        }
        println!("{label}, vue juste après une écriture : {}", stats(times));
    }
    // Resident memory now (the store's memo holds both campaigns' scores) and at its peak.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for key in ["VmRSS", "VmHWM"] {
        if let Some(line) = status.lines().find(|l| l.starts_with(key)) {
            println!("Mémoire : {line}");
        }
    }
    db.cleanup().await.unwrap();
}
