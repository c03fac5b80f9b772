//! The PHEV dashboards' rows (`phmev::dashboard`) and their aggregations
//! (`caqes_core::phev`): hand-computed on a tiny file, and equal to the pipeline's own
//! figures (`TopSink` = `caqes phmev top`, `EntityFigures` = `caqes phmev indicateurs`)
//! on the committed small file and, when present, on the shared extract.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};

use caqes_core::Finess;
use caqes_core::phev::{AmountKind, AmountRow, pool, top};
use caqes_data::phmev::aggregate::{TopLevel, TopSink};
use caqes_data::phmev::config::Config;
use caqes_data::phmev::dashboard::{breakdown, summary};
use caqes_data::phmev::number::amount_2dp;
use caqes_data::phmev::report::{self, percent};
use caqes_data::phmev::{ReadOptions, decode_text, read_file};
use rust_decimal::Decimal;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/phmev")
        .join(name)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const HEADER: &str = "etb_rgt;raison_sociale_etb;region_etb;atc1;l_atc1;atc2;L_ATC2;atc3;L_ATC3;atc4;L_ATC4;ATC5;CIP13;l_cip13;TOP_GEN;BOITES;REM";

/// Two establishments, five rows; the figures below are computed by hand.
fn tiny() -> tempfile::NamedTempFile {
    let rows = [
        // HCL: omeprazole (répertoire, 100 boxes, 1 000,50 €), adalimumab biosimilar
        // (10 boxes, 5 000 €) and reference (30 boxes, 20 000,25 €), paracetamol.
        "690781810;HCL;84;A;A;A02;A;A02B;A;A02BC;IPP;A02BC01;3400930000001;OMEPRAZOLE;1;100;1.000,50",
        "690781810;HCL;84;L;L;L04;L;L04A;L;L04AB;Anti-TNF;L04AB04;3400930000002;ADALIMUMAB B;B;10;5.000,00",
        "690781810;HCL;84;L;L;L04;L;L04A;L;L04AB;Anti-TNF;L04AB04;3400930000003;HUMIRA;C;30;20.000,25",
        "690781810;HCL;84;N;N;N02;N;N02B;N;N02BE;Anilides;N02BE01;3400930000004;PARACETAMOL;1;500;99,10",
        // AP-HP (legal entity): esomeprazole, same class as HCL's omeprazole.
        "750712184;APHP;11;A;A;A02;A;A02B;A;A02BC;IPP;A02BC05;3400930000005;ESOMEPRAZOLE;0;60;600,00",
    ];
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(
        &mut f,
        format!("{HEADER}\n{}\n", rows.join("\n")).as_bytes(),
    )
    .unwrap();
    f
}

fn hcl() -> Finess {
    Finess::parse("690781810").unwrap()
}

#[test]
fn tiny_file_hand_computed() {
    let f = tiny();
    let cfg = Config::default();
    let rows = breakdown(
        &[f.path().to_path_buf()],
        &cfg,
        &ReadOptions::default(),
        |_| true,
    )
    .unwrap();
    // 3 classes + 4 products for HCL, 1 + 1 for AP-HP.
    assert_eq!(rows.len(), 9);
    let classes = top(&rows, AmountKind::Classe, |_| true, 15);
    // L04AB 25 000,25; A02BC 1 000,50 + 600 = 1 600,50; N02BE 99,10. Total 26 699,85.
    assert_eq!(
        classes
            .iter()
            .map(|l| (l.code.as_str(), l.amount))
            .collect::<Vec<_>>(),
        [
            ("L04AB", d("25000.25")),
            ("A02BC", d("1600.50")),
            ("N02BE", d("99.10"))
        ]
    );
    assert_eq!(classes[1].boxes, 160);
    assert_eq!(classes[1].label, "IPP");
    // 25 000,25 / 26 699,85 = 93,6344… %.
    assert_eq!(classes[0].share, Some(d("93.63")));
    // HCL alone: products by amount, HUMIRA first; 20 000,25 / 26 099,85 = 76,63 %.
    let products = top(&rows, AmountKind::Produit, |e| e == hcl(), 2);
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].label, "HUMIRA");
    assert_eq!(products[0].share, Some(d("76.63")));
    assert_eq!(products[1].code, "3400930000002");

    let c = report::compute(
        &[f.path().to_path_buf()],
        &[],
        &cfg,
        &ReadOptions::default(),
    )
    .unwrap();
    let s: Vec<_> = c.entities.iter().map(|e| summary(e, &cfg)).collect();
    let h = s.iter().find(|x| x.entity == hcl()).unwrap();
    // Répertoire: 100 of 140 boxes outside paracetamol = 71,43 %.
    assert_eq!(h.repertoire_rate(), Some(d("71.43")));
    // Anti-TNF: 10 / 40 = 25 %.
    let anti_tnf = h.biosimilars.iter().find(|c| c.id == "anti_tnf").unwrap();
    assert_eq!((anti_tnf.biosimilars, anti_tnf.references), (10, 30));
    assert_eq!(anti_tnf.rate(), Some(d("25")));
    // Both: (100 + 0) / (140 + 60) = 50 %.
    let both = pool("Ensemble", hcl(), &s.iter().collect::<Vec<_>>());
    assert_eq!(both.repertoire_rate(), Some(d("50")));
    assert_eq!(both.amount, d("26699.85"));
}

/// Our top lists from the stored rows equal `caqes phmev top`'s from the file.
fn assert_tops_match(file: &Path, etabs: &[Finess]) {
    let cfg = Config::default();
    let opts = ReadOptions::default();
    let rows: Vec<AmountRow> = breakdown(&[file.to_path_buf()], &cfg, &opts, |_| true).unwrap();
    for (kind, level) in [
        (AmountKind::Classe, TopLevel::Atc4),
        (AmountKind::Produit, TopLevel::Produit),
    ] {
        for who in etabs.iter().map(|f| Some(*f)).chain([None]) {
            let proto = TopSink::new(level, who.into_iter().collect(), None);
            let (sink, _) = read_file(file, &opts, || proto.fresh()).unwrap();
            let theirs: Vec<(String, String, Option<Decimal>, i64)> = sink
                .top(15)
                .into_iter()
                .map(|(code, e)| {
                    (
                        decode_text(&code),
                        amount_2dp(e.rem),
                        percent(e.rem, sink.rem_total),
                        e.boites,
                    )
                })
                .collect();
            let ours: Vec<(String, String, Option<Decimal>, i64)> =
                top(&rows, kind, |e| who.is_none_or(|w| w == e), 15)
                    .into_iter()
                    .map(|l| (l.code, format!("{:.2}", l.amount), l.share, l.boxes))
                    .collect();
            assert_eq!(ours, theirs, "{kind:?} {who:?}");
        }
    }
}

#[test]
fn small_file_tops_and_rates_equal_the_pipeline() {
    let file = data("small.csv");
    let etabs = ["690781810", "130786049", "2B0000020"].map(|f| Finess::parse(f).unwrap());
    assert_tops_match(&file, &etabs);
    let cfg = Config::default();
    let c = report::compute(&[file], &[], &cfg, &ReadOptions::default()).unwrap();
    for e in &c.entities {
        let json = e.to_json(&cfg);
        let s = summary(e, &cfg);
        assert_eq!(s.repertoire_rate(), json.taux_repertoire, "{}", e.finess);
        assert_eq!(format!("{:.2}", s.amount), json.montant_rembourse);
        for (c, (id, b)) in s.biosimilars.iter().zip(&json.biosimilaires.0) {
            assert_eq!(&c.id, id);
            assert_eq!(
                (c.biosimilars, c.references, c.rate()),
                (b.biosimilaires, b.references, b.taux)
            );
        }
    }
}

#[test]
fn growth_equals_the_pipelines_iv01() {
    let cfg = Config::default();
    let c = report::compute(
        &[data("small.csv")],
        &[data("previous.csv")],
        &cfg,
        &ReadOptions::default(),
    )
    .unwrap();
    let mut seen = 0;
    for e in &c.entities {
        let s = summary(e, &cfg);
        let iv01 = e.iv01().unwrap();
        assert_eq!(s.growth(), iv01.evolution, "{}", e.finess);
        seen += usize::from(iv01.evolution.is_some());
    }
    assert!(seen > 0);
}

#[test]
fn shared_extract_tops_equal_the_pipeline() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/open-phmev/open_phmev_2024_extract.parquet");
    if !path.exists() {
        eprintln!(
            "extrait Open PHMEV partagé absent ({}) : test ignoré",
            path.display()
        );
        return;
    }
    assert_tops_match(&path, &[hcl()]);
}
