//! The PHEV dashboards' figures of the demo region: a committed slice of the shared Open
//! PHMEV 2024 extract (`data/phev/`, provenance in its README), run through the
//! platform's pipeline (`caqes_data::phmev`) as an AM upload would be. The slice's twelve
//! real establishments are shown under the demo's fictitious entities whose category
//! measures the PHEV indicators, in the slice's order: five public MCO (the CHU first),
//! four psychiatry, three SSR. No indicator value is written (the demo's scores stay as
//! seeded): only the dashboards' rows.

use std::sync::atomic::{AtomicU64, Ordering};

use caqes_core::Category;
use caqes_data::phmev::dashboard::{breakdown, summary};
use caqes_data::phmev::report::compute;
use caqes_data::phmev::{Config, Rattachement, ReadOptions, decode_text};
use caqes_store::phev::PhevDashboard;
use caqes_store::{Actor, Campaign, NewEntity};

use crate::{DemoResult, refused};

/// The slice: every row of twelve establishments of region 76 of the shared extract.
const SLICE: &[u8] = include_bytes!("../data/phev/open_phmev_2024_occitanie.csv");
const SLICE_NAME: &str = "open_phmev_2024_occitanie.csv";

/// Distinct names of the temporary copies (demo regions are seeded concurrently in tests).
static COPY: AtomicU64 = AtomicU64::new(0);

/// The slice's `etb_rgt`, in file order (the order of their amounts).
fn slice_establishments() -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for line in SLICE.split(|b| *b == b'\n').skip(1) {
        let Some(etb) = line.split(|b| *b == b';').next() else {
            continue;
        };
        let etb = decode_text(etb);
        if !etb.is_empty() && !seen.contains(&etb) {
            seen.push(etb);
        }
    }
    seen
}

pub(crate) async fn seed(
    store: &caqes_store::Store,
    actor: &Actor,
    campaign: &Campaign,
    entities: &[NewEntity],
) -> DemoResult<()> {
    // Public MCO entities (the CHU first), then psychiatry, then SSR: the slice lists its
    // establishments in that order (see the README).
    let targets = [
        Category::McoPublicEspic,
        Category::PsyPublicEspic,
        Category::SsrPublicEspic,
    ]
    .into_iter()
    .flat_map(|c| entities.iter().filter(move |e| e.entity.category == c));
    let mut rattachement = Rattachement::default();
    for (etb, e) in slice_establishments().iter().zip(targets) {
        let site =
            caqes_core::Finess::parse(etb).map_err(refused("FINESS de l'extrait Open PHMEV"))?;
        rattachement.entity_of.insert(site, e.entity.finess);
        rattachement
            .names
            .insert(e.entity.finess, e.entity.name.clone());
    }
    let keep: Vec<caqes_core::Finess> = rattachement.entity_of.values().copied().collect();
    let config = Config {
        rattachement,
        ..Config::default()
    };
    let path = std::env::temp_dir().join(format!(
        "caqes-demo-phev-{}-{}.csv",
        std::process::id(),
        COPY.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, SLICE).map_err(refused("copie temporaire de l'extrait Open PHMEV"))?;
    let opts = ReadOptions {
        threads: 1,
        sha256: false,
        ..ReadOptions::default()
    };
    let files = [path.clone()];
    let computed = compute(&files, &[], &config, &opts);
    let amounts = breakdown(&files, &config, &opts, |f| keep.contains(&f));
    let _ = std::fs::remove_file(&path);
    let computed = computed.map_err(refused("indicateurs PHEV de l'extrait"))?;
    let amounts = amounts.map_err(refused("montants PHEV de l'extrait"))?;
    let summaries = computed
        .entities
        .iter()
        .filter(|e| keep.contains(&e.finess))
        .map(|e| summary(e, &config))
        .collect();
    let provenance = serde_json::json!({
        "annee_n": [{ "fichier": SLICE_NAME, "origine": "tranche de l'extrait Open PHMEV 2024 partagé (région 76), voir crates/caqes-demo/data/phev/README.md" }],
        "demonstration": true,
    });
    store
        .import_phev(
            actor,
            campaign,
            provenance,
            &[],
            Some(&PhevDashboard { summaries, amounts }),
        )
        .await?;
    Ok(())
}
