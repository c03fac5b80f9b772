//! Cuts a slice of an Open PHMEV file for the demo: every row of the `n` establishments of
//! one region with the largest amount reimbursed, the pipeline's 17 columns only, UTF-8,
//! `;`, decimal comma (the layout CNAM publishes, so the slice is read like the original).
//!
//! `cargo run -p caqes-data --example phmev_slice -- FILE REGION N > slice.csv`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use caqes_data::phmev::{
    ReadOptions, Row, RowError, RowSink, USED_COLUMNS, col, decode_text, read_file,
};

#[derive(Default)]
struct Slice {
    region: String,
    /// etb_rgt → (total REM, lines).
    rows: BTreeMap<String, (i128, Vec<String>)>,
}

impl RowSink for Slice {
    fn accept(&mut self, row: &Row<'_>) -> Result<(), RowError> {
        let region = decode_text(row.get(col::REGION));
        if region != self.region {
            return Ok(());
        }
        let fields: Vec<String> = (0..USED_COLUMNS.len())
            .map(|c| match c {
                col::BOITES => row.boites.to_string(),
                col::REM => {
                    let sign = if row.rem < 0 { "-" } else { "" };
                    let v = row.rem.unsigned_abs();
                    format!("{sign}{},{:04}", v / 10_000, v % 10_000)
                }
                c => decode_text(row.get(c)).replace(';', ","),
            })
            .collect();
        let e = self.rows.entry(decode_text(row.get(col::ETB))).or_default();
        e.0 += i128::from(row.rem);
        e.1.push(fields.join(";"));
        Ok(())
    }

    fn merge(&mut self, other: Self) {
        for (k, (rem, lines)) in other.rows {
            let e = self.rows.entry(k).or_default();
            e.0 += rem;
            e.1.extend(lines);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, region, n] = args.as_slice() else {
        return Err("usage : phmev_slice FICHIER REGION N".into());
    };
    let n: usize = n.parse()?;
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let (slice, _) = read_file(&PathBuf::from(file), &opts, || Slice {
        region: region.clone(),
        ..Slice::default()
    })?;
    let mut etabs: Vec<(&String, &(i128, Vec<String>))> = slice.rows.iter().collect();
    etabs.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", USED_COLUMNS.join(";"))?;
    for (_, (_, lines)) in etabs.into_iter().take(n) {
        let mut lines = lines.clone();
        lines.sort();
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}
