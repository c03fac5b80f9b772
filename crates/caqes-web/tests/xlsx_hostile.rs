//! Hostile « fichier à remplir » uploads (issue 14.1): a cell at XFD1048576,
//! a cell at Z1000000, a sheet whose `<dimension>` lies, zip bombs (honest and
//! lying headers), too many entries, a truncated archive; and the third
//! concurrent upload refused with a French 503. Every refusal is a French page
//! naming the file, the sheet and the cell, and the archive guard is shown to
//! stop reading at its cap (counted by the guard, not by the RSS).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::sync::Arc;

use axum::http::StatusCode;
use caqes_data::fill_file::WorkbookBounds;
use caqes_data::fill_file::guard::{ARCHIVE_LIMITS, ArchiveLimits, GuardError, check_archive};
use caqes_store::Role;
use caqes_web::router;
use caqes_web::state::{AppState, Config};
use tokio::sync::Semaphore;

mod common;
use caqes_store::testing::Fixture;
use common::fixture::FixtureApp;
use common::{Client, Page};

/// A campaign of the region with one establishment: the uploads are refused
/// before any row is read, so the region's size does not matter.
async fn app() -> FixtureApp {
    FixtureApp::sqlite(Fixture::builder().entity("Alpha").campaign(2025)).await
}

/// A workbook with both sheets' headers, then `extra` (sheet, row, col, text) cells.
fn workbook(extra: &[(&str, u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (sheet, header) in [
        (
            "Valeurs",
            &[
                "finess",
                "indicateur",
                "annee",
                "numerateur",
                "denominateur",
                "valeur",
            ][..],
        ),
        ("Cibles", &["finess", "indicateur", "annee", "cible"][..]),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (s, r, c, t) in extra {
            if *s == sheet {
                ws.write_string(*r, *c, *t).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Rewrites every entry of a zip through `edit` (name, content) → content.
fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut input = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..input.len() {
        let mut entry = input.by_index(i).unwrap();
        let name = entry.name().to_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        out.start_file(&name, options).unwrap();
        out.write_all(&edit(&name, content)).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A zip of (name, content) entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Makes every header of the zip declare `declared` uncompressed bytes (the
/// local file headers at offset 22, the central directory at offset 24).
fn lie_about_size(mut bytes: Vec<u8>, declared: u32) -> Vec<u8> {
    let mut patched = 0;
    let mut i = 0;
    while i + 46 <= bytes.len() {
        let offset = match &bytes[i..i + 4] {
            b"PK\x03\x04" => Some(22),
            b"PK\x01\x02" => Some(24),
            _ => None,
        };
        if let Some(o) = offset {
            bytes[i + o..i + o + 4].copy_from_slice(&declared.to_le_bytes());
            patched += 1;
        }
        i += 1;
    }
    assert!(patched >= 2, "local and central headers patched");
    bytes
}

async fn upload(c: &mut Client<'_>, t: &FixtureApp, name: &str, bytes: &[u8]) -> Page {
    let url = format!("/campagnes/{}/imports/xlsx", t.campaign_id());
    c.get(&url).await;
    c.post_multipart(&url, true, &[], &[("fichier", name, bytes)])
        .await
}

/// The fixture's ARS logged in on another router of the same database.
async fn ars_on<'a>(app: &'a axum::Router, t: &FixtureApp) -> Client<'a> {
    let email = t.fixture.user(Role::Ars).unwrap().email.clone();
    let mut c = Client {
        app,
        cookies: BTreeMap::new(),
        csrf: String::new(),
    };
    c.get("/connexion").await;
    let p = c
        .post(
            "/connexion",
            &[
                ("email", &email),
                ("password", &common::password(Role::Ars)),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    c
}

#[test]
fn guard_refuses_bombs_before_reading_past_its_cap() {
    // Honest bomb: 4 Mio of zeros deflate to ~4 Kio, a ratio of ~1 000 > 100.
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &zeros)]);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    match check_archive(&bomb, &ARCHIVE_LIMITS) {
        Err(GuardError::Ratio { ratio, max, .. }) => {
            assert!(ratio > 100 && max == 100, "{ratio}");
        }
        other => panic!("{other:?}"),
    }

    // Same bytes, headers lying (1 000 bytes declared, so neither the size nor
    // the ratio check fires): refused while reading, after at most
    // 1 000 + one 8 192-byte buffer inflated, not 4 Mio.
    let liar = lie_about_size(bomb.clone(), 1000);
    match check_archive(&liar, &ARCHIVE_LIMITS) {
        Err(GuardError::LyingSize { declared, read, .. }) => {
            assert_eq!(declared, 1000);
            assert!(read > 1000 && read <= 1000 + 8192, "{read}");
        }
        // The zip reader may itself stop at the declared size (then the CRC fails).
        Err(GuardError::Damaged { .. }) => {}
        other => panic!("{other:?}"),
    }

    // The total cap, with the ratio check off: declared sizes refused without
    // inflating anything (read 0), 4 Mio > 1 Mio.
    let tight = ArchiveLimits {
        max_total_bytes: 1024 * 1024,
        ratio_floor: u64::MAX,
        ..ARCHIVE_LIMITS
    };
    assert_eq!(
        check_archive(&bomb, &tight),
        Err(GuardError::TooLarge {
            max: 1024 * 1024,
            read: 0
        })
    );
    // Two honest-looking entries each declaring 600 Kio (1.2 Mio in all > 1 Mio cap).
    let half = vec![0u8; 600 * 1024];
    let two = zip_of(&[("a.xml", &half), ("b.xml", &half)]);
    assert!(matches!(
        check_archive(&two, &tight),
        Err(GuardError::TooLarge { read: 0, .. })
    ));
    // Both lying (1 000 declared each): the reading stops at the first entry's lie.
    let two_liars = lie_about_size(two, 1000);
    assert!(check_archive(&two_liars, &tight).is_err());

    // Too many entries: 201 > 200.
    let names: Vec<String> = (0..201).map(|i| format!("f{i}.xml")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    assert_eq!(
        check_archive(&zip_of(&many), &ARCHIVE_LIMITS),
        Err(GuardError::TooManyEntries {
            found: 201,
            max: 200
        })
    );

    // Not a zip, a truncated zip.
    assert_eq!(
        check_archive(b"pas un classeur", &ARCHIVE_LIMITS),
        Err(GuardError::NotAnArchive)
    );
    let good = workbook(&[]);
    assert_eq!(
        check_archive(&good[..good.len() / 2], &ARCHIVE_LIMITS),
        Err(GuardError::NotAnArchive)
    );
    // A real workbook passes and every inflated byte is counted.
    let report = check_archive(&good, &ARCHIVE_LIMITS).unwrap();
    assert!(report.entries >= 8 && report.inflated > 1000, "{report:?}");
}

#[test]
fn bounds_follow_the_region() {
    // 10 sites × 60 indicators + header + 200 spare = 801; 4 entities × 60 + 201 = 441.
    let b = WorkbookBounds::for_region(10, 4, 60);
    assert_eq!((b.values.rows, b.values.columns), (801, 26));
    assert_eq!((b.targets.rows, b.targets.columns), (441, 26));
    // No overflow on absurd counts.
    assert_eq!(
        WorkbookBounds::for_region(u32::MAX, 1, 60).values.rows,
        u32::MAX
    );
}

#[tokio::test]
async fn hostile_workbooks_get_french_422_pages() {
    let t = app().await;
    let mut ars = t.logged_in(Role::Ars).await;

    // One cell at XFD1048576 (2 Ko): calamine's range would ask for 512 Gio.
    let far = workbook(&[("Valeurs", 1_048_575, 16_383, "x")]);
    assert!(far.len() < 16 * 1024, "{}", far.len());
    let page = upload(&mut ars, &t, "bombe.xlsx", &far).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("fichier « bombe.xlsx », feuille « Valeurs »"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("cellule XFD1048576 hors du fichier à remplir (au plus"),
        "{}",
        page.body
    );
    assert!(page.body.contains("26 colonnes"), "{}", page.body);

    // Z1000000: column Z (26th) is allowed, the row is not.
    let tall = workbook(&[("Cibles", 999_999, 25, "x")]);
    let page = upload(&mut ars, &t, "haut.xlsx", &tall).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("fichier « haut.xlsx », feuille « Cibles »")
            && page
                .body
                .contains("cellule Z1000000 hors du fichier à remplir"),
        "{}",
        page.body
    );

    // The dimension lies (A1:F1) and the far cell is still there: the stream
    // of cells stops at it.
    let liar = rewrite_zip(&tall, |name, content| {
        if name.starts_with("xl/worksheets/") {
            let xml = String::from_utf8(content).unwrap();
            let start = xml.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
            let end = start + xml[start..].find('"').unwrap();
            format!("{}A1:F1{}", &xml[..start], &xml[end..]).into_bytes()
        } else {
            content
        }
    });
    let page = upload(&mut ars, &t, "menteur.xlsx", &liar).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("cellule Z1000000 hors du fichier à remplir")
            && !page.body.contains("dimension déclarée"),
        "{}",
        page.body
    );
    // No dimension at all: the same.
    let none = rewrite_zip(&tall, |name, content| {
        if name.starts_with("xl/worksheets/") {
            let xml = String::from_utf8(content).unwrap();
            let start = xml.find("<dimension ").unwrap();
            let end = start + xml[start..].find("/>").unwrap() + 2;
            format!("{}{}", &xml[..start], &xml[end..]).into_bytes()
        } else {
            content
        }
    });
    let page = upload(&mut ars, &t, "sans-dimension.xlsx", &none).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("cellule Z1000000 hors du fichier à remplir"),
        "{}",
        page.body
    );

    // A zip bomb inside a real workbook: 8 Mio of zeros in one more entry.
    let zeros = vec![b'0'; 8 * 1024 * 1024];
    let bomb = rewrite_zip(&workbook(&[]), |_, c| c);
    let bomb = {
        let mut input = zip::ZipArchive::new(Cursor::new(bomb)).unwrap();
        let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for i in 0..input.len() {
            let mut e = input.by_index(i).unwrap();
            let mut c = Vec::new();
            e.read_to_end(&mut c).unwrap();
            entries.insert(e.name().to_owned(), c);
        }
        entries.insert("xl/media/bombe.xml".into(), zeros);
        let list: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        zip_of(&list)
    };
    let page = upload(&mut ars, &t, "bombe-zip.xlsx", &bomb).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("archive piégée refusée") && page.body.contains("xl/media/bombe.xml"),
        "{}",
        page.body
    );

    // Not a ZIP archive, and a truncated one: French, no "Zip error".
    for bytes in [&b"PK\x03\x04tronque"[..], &far[..far.len() / 2]] {
        let page = upload(&mut ars, &t, "abime.xlsx", bytes).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            page.body
        );
        assert!(
            page.body.contains("une archive ZIP valide")
                && !page.body.contains("Zip error")
                && !page.body.contains("invalid"),
            "{}",
            page.body
        );
    }

    // After all that, a sane workbook is still read (its rows are empty: an
    // empty import, not an error of the guard).
    let page = upload(&mut ars, &t, "vide.xlsx", &workbook(&[])).await;
    assert!(
        !page.body.contains("hors du fichier")
            && !page.body.contains("archive piégée")
            && !page.body.contains("archive ZIP"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_busy_parser_answers_a_french_503() {
    let t = app().await;
    // No permit left: as if two uploads were being parsed.
    let app = router::app(AppState {
        store: t.store().clone(),
        config: Config {
            xlsx_parsing: Arc::new(Semaphore::new(0)),
            ..Config::default()
        },
    });
    let mut ars = ars_on(&app, &t).await;
    let page = upload(&mut ars, &t, "rempli.xlsx", &workbook(&[])).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(page.body.contains("réessayez"), "{}", page.body);
    // The permit is given back after a parse: with 1 permit, two uploads in a row pass.
    let one = router::app(AppState {
        store: t.store().clone(),
        config: Config {
            xlsx_parsing: Arc::new(Semaphore::new(1)),
            ..Config::default()
        },
    });
    let mut ars = ars_on(&one, &t).await;
    for _ in 0..2 {
        let page = upload(&mut ars, &t, "rempli.xlsx", &workbook(&[])).await;
        assert_ne!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            page.body
        );
    }
}
