//! A référentiel (engagement grid) as a region writes it in TOML and an admin
//! uploads it: loading and validation, then what the platform computes from a
//! valid grid (points, per-category counts, summary).
#![no_main]

use caqes_core::Category;
use caqes_core::referentiel::Referentiel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = caqes_fuzz::text(data);
    if let Ok(r) = Referentiel::from_toml("grille.toml", &text) {
        let _ = r.points();
        let _ = r.bonus_points();
        let _ = r.summary();
        for c in Category::ALL {
            let _ = r.counts(c);
        }
    }
});
