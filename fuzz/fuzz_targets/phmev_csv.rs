//! Open PHMEV CSV (as CNAM publishes it, or as an Assurance Maladie user
//! uploads it): the whole pipeline the CLI and the web app run, reading, the
//! indicators per entity, and both outputs. The first byte picks the reading
//! options (stop at the first bad line or skip them; block size, so that lines
//! straddle blocks; one or two threads).
#![no_main]

use caqes_data::phmev::{Config, ReadOptions, report};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&options, csv)) = data.split_first() else {
        return;
    };
    let path = caqes_fuzz::scratch_file(csv, "csv");
    let opts = ReadOptions {
        ignore_invalid: options & 1 == 1,
        threads: 1 + usize::from(options >> 1 & 1),
        block_size: 64 << (options >> 2 & 7),
        sha256: options & 0x80 == 0,
        sha_cache: None,
    };
    let config = Config::default();
    // Year N and the same file as year N-1: the growth indicators are computed too.
    if let Ok(computed) = report::compute(&[path.clone()], &[path], &config, &opts) {
        for e in &computed.entities {
            let _ = e.to_json(&config);
        }
        let mut out = Vec::new();
        let _ = report::write_csv(&computed.entities, &config, &mut out);
        let _ = report::write_valeurs(&computed.entities, 2024, &mut out);
    }
});
