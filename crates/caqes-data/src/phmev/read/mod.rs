//! Streaming readers: CNAM's CSV (two threads over blocks cut at line boundaries) and the
//! Parquet form.
//!
//! The CSV is read with plain `read` calls into blocks of a few MiB (never mapped in
//! memory: mapped pages would count in the resident size), so memory stays flat whatever
//! the file size. The SHA-256 of the file is computed on the same bytes as they are read,
//! unless the [`super::sha_cache`] already has this version of the file.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

mod csv;
mod parquet;

use self::csv::read_csv;
#[cfg(test)]
use self::csv::{parse_block, parse_block_simple};
use self::parquet::{contain_parquet_panics, read_parquet};

use super::sha_cache::{FileKey, ShaCache};
use super::{PhmevError, RowError, RowSink, USED_COLUMNS};

/// Column names as CNAM writes them (for messages).
const DISPLAY_NAMES: [&str; USED_COLUMNS.len()] = [
    "etb_rgt",
    "raison_sociale_etb",
    "region_etb",
    "atc2",
    "L_ATC2",
    "atc3",
    "L_ATC3",
    "atc4",
    "L_ATC4",
    "ATC5",
    "CIP13",
    "l_cip13",
    "TOP_GEN",
    "BOITES",
    "REM",
    "atc1",
    "l_atc1",
];

/// How to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Keep going past invalid lines (they are listed in the provenance).
    pub ignore_invalid: bool,
    /// Parsing threads for CSV (2 on the reference machine).
    pub threads: usize,
    /// Block size in bytes.
    pub block_size: usize,
    /// Compute the SHA-256 of each file for the provenance (costs about 0.5 s per GB).
    pub sha256: bool,
    /// Where to take the SHA-256 of a file version already hashed, and record new ones
    /// (`None`: always computed). Unused when `sha256` is false.
    pub sha_cache: Option<Arc<ShaCache>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            ignore_invalid: false,
            threads: 2,
            block_size: 4 << 20,
            sha256: true,
            sha_cache: None,
        }
    }
}

/// A rejected line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub ligne: u64,
    pub champ: Option<String>,
    pub message: String,
}

/// Where the figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProvenance {
    pub fichier: String,
    pub format: &'static str,
    /// `None` when not computed (`ReadOptions::sha256` false).
    pub sha256: Option<String>,
    /// Where `sha256` comes from (`None` with it).
    pub sha256_origine: Option<Sha256Origin>,
    pub octets: u64,
    /// Data rows read (header and blank lines excluded).
    pub lignes_lues: u64,
    pub lignes_retenues: u64,
    pub lignes_rejetees: u64,
    pub rejets: Vec<Rejection>,
}

/// Where the SHA-256 of a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sha256Origin {
    /// Computed while reading the file.
    Calculee,
    /// Taken from the SHA-256 cache: this version of the file was hashed by an earlier run.
    Cache,
}

fn io_err(file: &str) -> impl FnOnce(std::io::Error) -> PhmevError + '_ {
    move |source| PhmevError::Io {
        file: file.to_owned(),
        source,
    }
}

/// Reads one Open PHMEV file (CSV or Parquet, recognised by its first bytes) into sinks
/// made by `make`, merged into one.
pub fn read_file<S, F>(
    path: &Path,
    opts: &ReadOptions,
    make: F,
) -> Result<(S, FileProvenance), PhmevError>
where
    S: RowSink,
    F: Fn() -> S + Sync,
{
    let name = path.display().to_string();
    let mut f = File::open(path).map_err(io_err(&name))?;
    let mut magic = [0u8; 4];
    let n = read_full(&mut f, &mut magic).map_err(io_err(&name))?;
    drop(f);
    // The file's identity before and after the read: figures and hash must be of one version.
    let before = FileKey::of(path).map_err(io_err(&name))?;
    let started = SystemTime::now();
    let cache = opts.sha_cache.as_deref().filter(|_| opts.sha256);
    let cached = match (cache, &before) {
        (Some(c), Some(k)) => c.lookup(k),
        _ => None,
    };
    let hash = opts.sha256 && cached.is_none();
    let (sink, mut prov) = if n == 4 && &magic == b"PAR1" {
        contain_parquet_panics(&name, || read_parquet(path, &name, opts, hash, make()))?
    } else {
        read_csv(path, &name, opts, hash, make)?
    };
    let after = FileKey::of(path).map_err(io_err(&name))?;
    if before != after {
        return Err(PhmevError::ModifiedDuringRead { file: name });
    }
    match cached {
        Some(sha) => {
            prov.sha256 = Some(sha);
            prov.sha256_origine = Some(Sha256Origin::Cache);
        }
        None if hash => {
            prov.sha256_origine = Some(Sha256Origin::Calculee);
            if let (Some(c), Some(k), Some(sha)) = (cache, after, &prov.sha256) {
                c.record(k, sha.clone(), started);
            }
        }
        None => {}
    }
    Ok((sink, prov))
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Maps each used column to its position in the header.
fn map_header(name: &str, header: &[&[u8]]) -> Result<[usize; USED_COLUMNS.len()], PhmevError> {
    let norm: Vec<String> = header
        .iter()
        .map(|h| {
            let t = crate::phmev::decode_text(h);
            t.trim_matches('"').trim().to_lowercase()
        })
        .collect();
    let mut map = [usize::MAX; USED_COLUMNS.len()];
    for (i, wanted) in USED_COLUMNS.iter().enumerate() {
        let mut found = norm
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == *wanted);
        match (found.next(), found.next()) {
            (Some((j, _)), None) => map[i] = j,
            (Some(_), Some(_)) => {
                return Err(PhmevError::DuplicateColumn {
                    file: name.into(),
                    column: DISPLAY_NAMES[i].into(),
                });
            }
            (None, _) => {
                return Err(PhmevError::MissingColumn {
                    file: name.into(),
                    column: DISPLAY_NAMES[i].into(),
                    expected: DISPLAY_NAMES.join(", "),
                });
            }
        }
    }
    Ok(map)
}

/// Result of parsing one block.
struct BlockResult {
    index: usize,
    lines: u64,
    rows: u64,
    errors: Vec<(u64, RowError)>,
}

/// Turns per-block results into absolute line numbers, and fails unless invalid lines are
/// to be ignored.
fn finish<S>(
    name: &str,
    format: &'static str,
    sha256: Option<String>,
    octets: u64,
    blocks: Vec<BlockResult>,
    opts: &ReadOptions,
    sink: S,
) -> Result<(S, FileProvenance), PhmevError> {
    let mut line_base: u64 = 1; // the header
    let mut rejets = Vec::new();
    let mut rows = 0;
    for (expected, b) in blocks.iter().enumerate() {
        if b.index != expected {
            // Blocks after the first error were skipped (fail-fast).
            break;
        }
        rows += b.rows;
        for (local, e) in &b.errors {
            rejets.push(Rejection {
                ligne: line_base + local,
                champ: e.field.map(str::to_owned),
                message: e.message.clone(),
            });
        }
        line_base += b.lines;
    }
    if rows == 0 {
        // A header alone is not a year of data: most likely a truncated export.
        return Err(PhmevError::NoRows { file: name.into() });
    }
    if !opts.ignore_invalid
        && let Some(first) = rejets.first()
    {
        return Err(PhmevError::Row {
            file: name.into(),
            line: first.ligne,
            field: first.champ.clone(),
            message: first.message.clone(),
            others: rejets.len() as u64 - 1,
        });
    }
    let n = rejets.len() as u64;
    Ok((
        sink,
        FileProvenance {
            fichier: name.into(),
            format,
            sha256,
            sha256_origine: None,
            octets,
            lignes_lues: rows,
            lignes_retenues: rows - n,
            lignes_rejetees: n,
            rejets,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phmev::{Row, col};

    /// Records what it is given: every used column, boxes and amount.
    #[derive(Default)]
    struct Collect(Vec<(Vec<Vec<u8>>, i64, i64)>);

    impl RowSink for Collect {
        fn accept(&mut self, row: &Row<'_>) -> Result<(), RowError> {
            self.0.push((
                (0..USED_COLUMNS.len())
                    .map(|c| row.get(c).to_vec())
                    .collect(),
                row.boites,
                row.rem,
            ));
            Ok(())
        }
        fn merge(&mut self, other: Self) {
            self.0.extend(other.0);
        }
    }

    fn header_map(header: &str) -> ([usize; USED_COLUMNS.len()], usize) {
        let fields: Vec<&[u8]> = header.split(';').map(str::as_bytes).collect();
        (map_header("t", &fields).unwrap(), fields.len())
    }

    const HEADER: &str = "atc1;l_atc1;atc2;L_ATC2;atc3;L_ATC3;atc4;L_ATC4;ATC5;CIP13;l_cip13;TOP_GEN;etb_rgt;raison_sociale_etb;region_etb;BOITES;REM";

    fn both(block: &[u8]) -> (BlockResult, Collect, BlockResult, Collect) {
        let (map, ncols) = header_map(HEADER);
        let (mut a, mut b) = (Collect::default(), Collect::default());
        let (mut ranges, mut scratch) = (Vec::new(), Vec::new());
        let fast = parse_block(block, 0, ncols, &map, &mut a, &mut ranges, &mut scratch);
        let empty = BlockResult {
            index: 0,
            lines: 0,
            rows: 0,
            errors: Vec::new(),
        };
        let simple =
            parse_block_simple(block, empty, ncols, &map, &mut b, &mut ranges, &mut scratch);
        (fast, a, simple, b)
    }

    #[test]
    fn fast_parser_agrees_with_the_line_parser() {
        let line = |label: &str, boites: &str, end: &str| {
            format!(
                "N;A;N02;B;N02B;C;N02BE;D;N02BE01;3400935955838;{label};0;690781810;HCL;84;{boites};1,5{end}"
            )
        };
        let cases = [
            format!(
                "{}{}{}",
                line("X", "1", "\r\n"),
                line("Y", "2", "\n"),
                line("Z", "3", "")
            ),
            format!(
                "\n{}\r\n\r\n{}",
                line("\"A;B\"", "4", "\r\n"),
                line("\"C\"\"D\"", "5", "\n")
            ),
            format!("{}{}", line("X", "1;2", "\n"), line("\"open", "2", "\n")),
            format!(
                "{}{}",
                line("\u{e9}t\u{e9}", "12O", "\n"),
                line("W", "7", "\r\n")
            ),
            // Ends inside the last 8 bytes, no final line end.
            format!("{}ab;c", line("X", "1", "\n")),
            // Empty fields, a quoted `;` in a label, CR alone inside a field, and lines of
            // every length modulo 8.
            format!(
                "{}{}{}{}{}",
                line("", "0", "\n"),
                line("\"x;y;z\"", "-3", "\r\n"),
                line("a\rb", "10", "\n"),
                line("ab", "1", "\n"),
                line("abcdefg", "1", "\n"),
            ),
            // Amounts for the general path; an empty amount; bad amounts.
            format!(
                "{}{}",
                line("X", "1", "\n").replace(";1,5\n", ";1.234,567\n"),
                line("X", "1", "\n").replace(";1,5\n", ";\n"),
            ),
            format!(
                "{}{}",
                line("X", "1", "\n").replace(";1,5\n", ";12,34567\n"),
                line("X", "1.000", "\n").replace(";1,5\n", "; -12,50 \n"),
            ),
            // Far too many fields (more than the fast path's 63), then a good line.
            format!("{}{}", ";".repeat(70) + "\n", line("X", "1", "\n")),
            // One field missing; an empty last field.
            format!(
                "{}{}",
                line("X", "1", "\n").replacen(";", "", 1),
                line("X", "1", "\n").replace(";1,5\n", ";1,5;\n"),
            ),
        ];
        for c in &cases {
            for cut in [0, 1, 3, 7] {
                // Shift alignment relative to 8-byte words.
                let text = format!("{}{}", "\n".repeat(cut), c);
                let (f, a, s, b) = both(text.as_bytes());
                assert_eq!(a.0, b.0, "{text:?}");
                assert_eq!((f.lines, f.rows), (s.lines, s.rows), "{text:?}");
                assert_eq!(f.errors, s.errors, "{text:?}");
            }
        }
        let (_, a, _, _) = both(cases[1].as_bytes());
        assert_eq!(a.0[0].0[col::L_CIP13], b"A;B");
        assert_eq!(a.0[1].0[col::L_CIP13], b"C\"D");
        assert_eq!(a.0[1].0[col::ETB], b"690781810");
        assert_eq!(a.0[1].0[col::REM], b"1,5");
        assert_eq!(a.0[1].0[col::ATC1], b"N");
        let (f, a, _, _) = both(cases[5].as_bytes());
        assert!(f.errors.is_empty());
        assert_eq!(a.0[0].0[col::L_CIP13], b"");
        assert_eq!(a.0[1].0[col::L_CIP13], b"x;y;z");
        assert_eq!(a.0[1].1, -3);
        assert_eq!(a.0[2].0[col::L_CIP13], b"a\rb");
        assert_eq!(a.0[4].0[col::REM], b"1,5");
        assert_eq!(a.0[4].2, 15_000);
        let (f, a, _, _) = both(cases[6].as_bytes());
        assert_eq!(a.0.len(), 1);
        assert_eq!(a.0[0].2, 12_345_670);
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].1.message, "montant vide");
        let (f, a, _, _) = both(cases[7].as_bytes());
        assert_eq!((a.0[0].1, a.0[0].2), (1000, -125_000));
        assert!(
            f.errors[0].1.message.contains("4 décimales"),
            "{:?}",
            f.errors
        );
        let (f, a, _, _) = both(cases[8].as_bytes());
        assert_eq!(a.0.len(), 1);
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].1.message.starts_with("71 champs au lieu de 17"));
        let (f, _, _, _) = both(cases[9].as_bytes());
        assert_eq!(f.errors.len(), 2);
        assert!(f.errors[0].1.message.starts_with("16 champs"));
        assert!(f.errors[1].1.message.starts_with("18 champs"));
        let (f, _, _, _) = both(cases[2].as_bytes());
        assert_eq!(f.errors.len(), 2);
        assert_eq!(f.errors[0].0, 1);
        assert!(f.errors[1].1.message.contains("guillemets"));
    }

    #[test]
    fn header_is_case_insensitive_and_complete() {
        let (map, n) = header_map(&HEADER.to_uppercase());
        assert_eq!(n, 17);
        assert_eq!(map[col::ETB], 12);
        let fields: Vec<&[u8]> = vec![b"etb_rgt", b"BOITES"];
        let e = map_header("f.csv", &fields).unwrap_err();
        assert!(matches!(e, PhmevError::MissingColumn { .. }));
        let dup: Vec<&[u8]> = HEADER
            .split(';')
            .chain(["REM"])
            .map(str::as_bytes)
            .collect();
        assert!(matches!(
            map_header("f.csv", &dup),
            Err(PhmevError::DuplicateColumn { .. })
        ));
    }
}
