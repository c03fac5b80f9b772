//! Every FINESS number of the public registry extract (11 095 sanitary establishments and
//! their legal entities, Corsica included) validates with `Finess::parse`.
//! Skipped with a message when `../shared/data` is absent (a user's fresh clone).

use std::path::Path;

use caqes_core::Finess;

#[test]
fn every_number_of_the_finess_registry_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/finess/finess_sanitaire_2021-01-08.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("IGNORÉ : {} absent", path.display());
        return;
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (et, ej) = (col("nofinesset"), col("nofinessej"));
    let (mut checked, mut corsican) = (0, 0);
    for record in reader.records() {
        let record = record.unwrap();
        for i in [et, ej] {
            let number = &record[i];
            let finess = Finess::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
            checked += 1;
            if matches!(finess.department(), "2A" | "2B") {
                corsican += 1;
            }
        }
    }
    assert!(checked >= 22_000, "{checked}");
    assert!(corsican > 0);
}
