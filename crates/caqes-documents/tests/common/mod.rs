//! Shared fixtures and the `pdftotext` check of the documents' tests.
// Each test file is its own crate and uses a different part of this module.
#![allow(dead_code)]
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use std::io::Write as _;
use std::process::{Command, Stdio};

use caqes_core::Finess;
use caqes_documents::{
    Addressee, AppealDeadline, AppealRoute, Appeals, Authority, Context, Establishment,
    LetterFrame, Signatory,
};
use jiff::Timestamp;
use jiff::civil::date;

pub fn context() -> Context {
    Context {
        authority: Authority {
            name: "Agence régionale de santé Occitanie".into(),
            department: Some("Direction de l'offre de soins et de l'autonomie".into()),
            place: "Montpellier".into(),
            address: vec![
                "26-28 parc Club du Millénaire, 1025 rue Henri Becquerel, CS 30001".into(),
                "34067 Montpellier Cedex 2".into(),
            ],
        },
        // 15 March 2019, 00:00 UTC: what SOURCE_DATE_EPOCH=1552608000 gives.
        generated_at: Timestamp::from_second(1_552_608_000).unwrap(),
    }
}

pub fn establishment() -> Establishment {
    Establishment {
        name: "Centre hospitalier de Béziers".into(),
        finess: Finess::parse("340780477").unwrap(),
        category: Some("MCO public et ESPIC".into()),
        address: vec!["2 rue Valentin Haüy".into(), "34525 Béziers Cedex".into()],
    }
}

pub fn frame() -> LetterFrame {
    LetterFrame {
        date: date(2019, 3, 15),
        reference: Some("DOSA/EFF/2019-042".into()),
        followed_by: Some("Claire Martin, pharmacienne inspectrice".into()),
        sending: Some("Lettre recommandée avec accusé de réception".into()),
        addressee: Addressee {
            civility: "Madame la Directrice".into(),
        },
        signatory: Signatory {
            title: "Le directeur général de l'Agence régionale de santé Occitanie".into(),
            name: "Pierre Ricordeau".into(),
            delegation: None,
        },
        copies: vec!["Caisse primaire d'assurance maladie de l'Hérault".into()],
    }
}

/// Routes of a decision notified in 2019: the TASS's disputes went to the pôle social
/// of the tribunal de grande instance that year.
pub fn appeals() -> Appeals {
    Appeals {
        months: 2,
        routes: vec![
            AppealRoute {
                court: "tribunal administratif de Montpellier".into(),
                contests: "la sanction, son montant ou le montant de l'intéressement".into(),
            },
            AppealRoute {
                court: "pôle social du tribunal de grande instance de Béziers".into(),
                contests: "les modalités de recouvrement".into(),
            },
        ],
        deadline: Some(AppealDeadline {
            received_on: date(2019, 3, 18),
            last_day: date(2019, 5, 18),
        }),
    }
}

/// The text `pdftotext -layout` extracts, or `None` (with a message) when the tool is
/// missing: `.ci/run` installs poppler-utils.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    let child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "pdftotext absent ({e}) : installer poppler-utils ; vérification du texte sautée"
            );
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The extracted text with its lines joined and runs of spaces collapsed, so that a
/// sentence wrapped on two lines or a table cell can be matched. `pdftotext` extracts
/// the no-break spaces of French figures (U+202F, U+00A0) as ordinary spaces, so they
/// are compared as spaces (in the expected strings too).
pub fn flat(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\n' | '\x0c' | '\u{a0}' | '\u{202f}') {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Asserts every expected piece appears in the document's text.
pub fn assert_text(pdf: &[u8], expected: &[&str]) -> Option<String> {
    let text = pdftotext(pdf)?;
    let f = flat(&text);
    for e in expected {
        assert!(
            f.contains(&flat(e)),
            "« {e} » absent du texte extrait :\n{text}"
        );
    }
    Some(text)
}

/// Writes the PDF under `CAQES_DOCUMENTS_OUT` (to look at it), when set.
pub fn keep(name: &str, pdf: &[u8]) {
    if let Ok(dir) = std::env::var("CAQES_DOCUMENTS_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.pdf"), pdf).unwrap();
    }
}

/// Number of pages, from the text's form feeds.
pub fn pages(text: &str) -> usize {
    text.matches('\x0c').count()
}
