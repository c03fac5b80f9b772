//! The SHA-256 cache of the provenance, through `read_file`: hits, misses, racy files, and a
//! file modified while it is read.
#![cfg(unix)]
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use std::fs::{File, FileTimes};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use caqes_data::phmev::config::Config;
use caqes_data::phmev::sha_cache::FILE_NAME;
use caqes_data::phmev::{
    FileProvenance, IndicatorSink, PhmevError, ReadOptions, Row, RowError, RowSink, Sha256Origin,
    ShaCache, read_file,
};
use sha2::{Digest, Sha256};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/phmev")
        .join(name)
}

/// A copy of a test file in `dir` (a fresh file: racy for the default window).
fn copy(name: &str, dir: &Path) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(data(name), &p).unwrap();
    p
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// A cache in `dir` that stores every file (a test cannot set a ctime back).
fn cache(dir: &Path) -> Arc<ShaCache> {
    Arc::new(ShaCache::open(dir).with_racy_window(Duration::ZERO))
}

fn read(path: &Path, cache: Option<&Arc<ShaCache>>) -> FileProvenance {
    let opts = ReadOptions {
        sha_cache: cache.cloned(),
        ..Default::default()
    };
    let proto = IndicatorSink::new(Config::default());
    read_file(path, &opts, || proto.fresh()).unwrap().1
}

fn set_mtime(path: &Path, t: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(t))
        .unwrap();
}

#[test]
fn a_hit_takes_the_cached_hash_instead_of_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy("small.csv", dir.path());
    let c = cache(dir.path());
    let first = read(&file, Some(&c));
    assert_eq!(first.sha256_origine, Some(Sha256Origin::Calculee));
    assert_eq!(first.sha256, Some(sha256_of(&file)));
    let second = read(&file, Some(&c));
    assert_eq!(second.sha256_origine, Some(Sha256Origin::Cache));
    assert_eq!(second.sha256, first.sha256);
    assert_eq!(second.lignes_lues, first.lignes_lues);

    // Through the file, and proof that a hit does not hash: a falsified entry is believed.
    c.write().unwrap();
    let cache_file = dir.path().join(FILE_NAME);
    let real = first.sha256.unwrap();
    let fake = "0".repeat(64);
    let text = std::fs::read_to_string(&cache_file).unwrap();
    assert!(text.contains(&real));
    std::fs::write(&cache_file, text.replace(&real, &fake)).unwrap();
    let third = read(&file, Some(&cache(dir.path())));
    assert_eq!(third.sha256_origine, Some(Sha256Origin::Cache));
    assert_eq!(third.sha256, Some(fake));
}

#[test]
fn a_file_rewritten_with_the_same_size_and_mtime_misses() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy("small.csv", dir.path());
    let c = cache(dir.path());
    let first = read(&file, Some(&c));
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    // Same size: the last digit of the file (the unused BSE column) changed.
    let mut bytes = std::fs::read(&file).unwrap();
    let i = bytes.iter().rposition(u8::is_ascii_digit).unwrap();
    bytes[i] = if bytes[i] == b'9' { b'8' } else { bytes[i] + 1 };
    std::fs::write(&file, &bytes).unwrap();
    set_mtime(&file, mtime);
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), mtime);
    let second = read(&file, Some(&c));
    assert_eq!(second.sha256_origine, Some(Sha256Origin::Calculee));
    assert_eq!(second.sha256, Some(sha256_of(&file)));
    assert_ne!(second.sha256, first.sha256);
}

#[test]
fn a_freshly_written_file_is_not_cached_an_older_one_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy("small.csv", dir.path());
    // Default window (2 s): the copy was written just now.
    let c = Arc::new(ShaCache::open(dir.path()));
    assert_eq!(
        read(&file, Some(&c)).sha256_origine,
        Some(Sha256Origin::Calculee)
    );
    assert_eq!(
        read(&file, Some(&c)).sha256_origine,
        Some(Sha256Origin::Calculee)
    );
    c.write().unwrap();
    assert!(!dir.path().join(FILE_NAME).exists(), "nothing to write");

    // Older: mtime set back. The ctime, which cannot be set back, is still recent: racy.
    set_mtime(&file, SystemTime::now() - Duration::from_secs(3600));
    read(&file, Some(&c));
    assert_eq!(
        read(&file, Some(&c)).sha256_origine,
        Some(Sha256Origin::Calculee)
    );
    // With a window of 0, only the time before hashing started counts.
    let c = cache(dir.path());
    read(&file, Some(&c));
    assert_eq!(
        read(&file, Some(&c)).sha256_origine,
        Some(Sha256Origin::Cache)
    );
}

#[test]
fn without_cache_or_without_sha256_the_cache_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy("small.csv", dir.path());
    let c = cache(dir.path());
    read(&file, Some(&c));
    let p = read(&file, None);
    assert_eq!(p.sha256_origine, Some(Sha256Origin::Calculee));
    assert_eq!(p.sha256, Some(sha256_of(&file)));
    let opts = ReadOptions {
        sha256: false,
        sha_cache: Some(Arc::clone(&c)),
        ..Default::default()
    };
    let proto = IndicatorSink::new(Config::default());
    let (_, p) = read_file(&file, &opts, || proto.fresh()).unwrap();
    assert_eq!((p.sha256, p.sha256_origine), (None, None));
}

#[test]
fn parquet_files_are_cached_too() {
    let extract = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/open-phmev/open_phmev_2024_extract.parquet");
    if !extract.exists() {
        eprintln!("IGNORÉ : {} absent", extract.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extract.parquet");
    std::fs::copy(&extract, &file).unwrap();
    let c = cache(dir.path());
    let first = read(&file, Some(&c));
    assert_eq!(first.format, "parquet");
    assert_eq!(first.sha256_origine, Some(Sha256Origin::Calculee));
    assert_eq!(first.sha256, Some(sha256_of(&file)));
    let second = read(&file, Some(&c));
    assert_eq!(second.sha256_origine, Some(Sha256Origin::Cache));
    assert_eq!(second.sha256, first.sha256);
}

/// A sink that appends to the file it is reading, as another program writing it would.
struct Writer {
    path: PathBuf,
}

impl RowSink for Writer {
    fn accept(&mut self, _row: &Row<'_>) -> Result<(), RowError> {
        if !self.path.as_os_str().is_empty() {
            use std::io::Write;
            let mut f = File::options().append(true).open(&self.path).unwrap();
            f.write_all(b"\n").unwrap();
            self.path = PathBuf::new();
        }
        Ok(())
    }

    fn merge(&mut self, _other: Self) {}
}

#[test]
fn a_file_modified_during_the_read_fails_and_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy("small.csv", dir.path());
    let c = cache(dir.path());
    let opts = ReadOptions {
        sha_cache: Some(Arc::clone(&c)),
        ..Default::default()
    };
    let err = read_file(&file, &opts, || Writer { path: file.clone() })
        .err()
        .unwrap();
    assert!(
        matches!(err, PhmevError::ModifiedDuringRead { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "le fichier {} a été modifié pendant la lecture : relancer une fois le fichier stable",
            file.display()
        )
    );
    c.write().unwrap();
    assert!(!dir.path().join(FILE_NAME).exists());
    // Without a cache too.
    let err = read_file(&file, &ReadOptions::default(), || Writer {
        path: file.clone(),
    })
    .err()
    .unwrap();
    assert!(
        matches!(err, PhmevError::ModifiedDuringRead { .. }),
        "{err}"
    );
}
