//! Open PHMEV as Parquet (the form of the shared extract): the same pipeline
//! as `phmev_csv`, on a file that always starts with Parquet's magic bytes so
//! that the Parquet reader (not the CSV one) takes it.
//!
//! The `parquet` crate panics on some malformed files; our reader contains
//! those panics (`contain_parquet_panics`) and returns an error. libFuzzer's
//! panic hook would abort on any panic, caught or not, so this target replaces
//! it with one that prints one line: a panic that escapes our reader still
//! aborts (libfuzzer-sys aborts when the target unwinds) and is reported.
#![no_main]

use caqes_data::phmev::{Config, ReadOptions, report};
use libfuzzer_sys::fuzz_target;

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("panique contenue ou non : {:?}", info.location());
        }));
    });
    let file = if data.starts_with(b"PAR1") {
        data.to_vec()
    } else {
        [b"PAR1".as_slice(), data].concat()
    };
    let path = caqes_fuzz::scratch_file(&file, "parquet");
    let opts = ReadOptions {
        ignore_invalid: true,
        threads: 1,
        sha256: false,
        ..ReadOptions::default()
    };
    let config = Config::default();
    if let Ok(computed) = report::compute(&[path], &[], &config, &opts) {
        let mut out = Vec::new();
        let _ = report::write_csv(&computed.entities, &config, &mut out);
    }
});
