//! The small CSV files that configure the Open PHMEV indicators: biosimilar
//! classes, site → legal entity map, IV-02 classes. The first byte picks the
//! parser.
#![no_main]

use caqes_data::phmev::config::{Iv02Classes, Rattachement, parse_classes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = caqes_fuzz::text(rest);
    match which % 3 {
        0 => {
            let _ = parse_classes("classes.csv", &text);
        }
        1 => {
            if let Ok(r) = Rattachement::parse("rattachement.csv", &text) {
                let _ = r.entity(
                    caqes_core::Finess::parse("310000013").unwrap_or_else(|_| unreachable!()),
                );
            }
        }
        _ => {
            let _ = Iv02Classes::parse_file("iv02.csv", &text, Some("J01".into()));
        }
    }
});
