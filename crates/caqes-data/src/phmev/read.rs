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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest, Sha256};
use wide::u8x16;

use super::number::{DecimalMark, parse_amount, parse_boites};
use super::sha_cache::{FileKey, ShaCache};
use super::{PhmevError, Row, RowError, RowSink, USED_COLUMNS, col};

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

/// Runs the Parquet reader, turning a panic into an error. The `parquet` crate
/// panics on some malformed files instead of returning an error (fuzzing found
/// `Option::unwrap()` on a missing required field of the footer's metadata, in
/// parquet 57.3): a bad upload must give a French error, not kill the thread
/// serving it or the command. Sound to catch: the reader's state is dropped
/// with the panic, only the error survives.
fn contain_parquet_panics<T>(
    name: &str,
    read: impl FnOnce() -> Result<T, PhmevError>,
) -> Result<T, PhmevError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|payload| {
        let cause = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(PhmevError::Parquet {
            file: name.to_owned(),
            message: format!("structure incohérente, le décodeur Parquet s'est arrêté ({cause})"),
        })
    })
}

/// The Parquet file as the `parquet` crate reads it, with two guards that
/// parquet 60 lacks (both found by fuzzing):
/// - reading on at the end of the file fails after a few attempts: a page
///   header announcing a list of two billion elements made the thrift decoder
///   skip them one `read` at a time past the end (134 s of CPU for a 10 KB
///   file, an upload could hold a core that long);
/// - a byte range is checked against the file's length before its buffer is
///   allocated.
struct GuardedFile {
    file: File,
    len: u64,
}

/// Reads at the end of the file tolerated before it is called malformed (a
/// well-formed file is never read past its end).
const MAX_READS_AT_END: u32 = 64;

impl GuardedFile {
    fn open(path: &Path) -> std::io::Result<GuardedFile> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(GuardedFile { file, len })
    }
}

impl parquet::file::reader::Length for GuardedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for GuardedFile {
    type T = std::io::BufReader<EndGuard>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        use std::io::Seek;
        let mut file = self.file.try_clone()?;
        file.seek(std::io::SeekFrom::Start(start))?;
        Ok(std::io::BufReader::new(EndGuard {
            file,
            reads_at_end: 0,
        }))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        use std::io::Seek;
        let end = start.checked_add(length as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} octets demandés à la position {start}, au-delà de la fin du fichier ({} octets)",
                self.len
            )));
        }
        let mut buffer = vec![0u8; length];
        let mut file = self.file.try_clone()?;
        file.seek(std::io::SeekFrom::Start(start))?;
        file.read_exact(&mut buffer)?;
        Ok(buffer.into())
    }
}

/// Checks every column chunk's dictionary page before the rows are read:
/// parquet 60 sizes a dictionary by the count of values its page header
/// announces (fuzzing found a 10 KB file announcing 100 million values, a
/// 3.2 GB allocation). A count is refused when its values could not fit in
/// the page's bytes (each value takes at least the bits of its physical type;
/// a string at least its 4-byte length). Only dictionary pages are read here
/// (one per column chunk, first in the chunk), data pages are not.
fn check_dictionaries(
    reader: &parquet::file::reader::SerializedFileReader<GuardedFile>,
) -> parquet::errors::Result<()> {
    use parquet::basic::Type as Physical;
    use parquet::column::page::Page;
    use parquet::file::reader::FileReader;

    let metadata = reader.metadata();
    for i in 0..metadata.num_row_groups() {
        let row_group = reader.get_row_group(i)?;
        for (j, column) in metadata.row_group(i).columns().iter().enumerate() {
            let bits_per_value: u64 = match column.column_type() {
                Physical::BOOLEAN => 1,
                Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 32,
                Physical::INT64 | Physical::DOUBLE => 64,
                Physical::INT96 => 96,
                Physical::FIXED_LEN_BYTE_ARRAY => {
                    8 * u64::try_from(column.column_descr().type_length())
                        .unwrap_or(0)
                        .max(1)
                }
            };
            let mut pages = row_group.get_column_page_reader(j)?;
            if !pages.peek_next_page()?.is_some_and(|p| p.is_dict) {
                continue;
            }
            if let Some(Page::DictionaryPage {
                buf, num_values, ..
            }) = pages.get_next_page()?
                && u64::from(num_values) * bits_per_value > 8 * buf.len() as u64
            {
                return Err(parquet::errors::ParquetError::General(format!(
                    "le dictionnaire de la colonne {} annonce {num_values} valeurs pour {} octets",
                    column.column_path(),
                    buf.len()
                )));
            }
        }
    }
    Ok(())
}

/// A reader of the Parquet file that fails when it keeps being read at the end.
struct EndGuard {
    file: File,
    reads_at_end: u32,
}

impl Read for EndGuard {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.reads_at_end += 1;
            if self.reads_at_end > MAX_READS_AT_END {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "lecture au-delà de la fin du fichier : structure Parquet incohérente",
                ));
            }
        }
        Ok(n)
    }
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
            let t = super::decode_text(h);
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

/// Splits a CSV line (without its line end) into fields. Fast path without quotes; with
/// quotes, fields are unquoted into `scratch` (`""` is a quote).
fn split_line<'a>(
    line: &'a [u8],
    out: &mut Vec<(usize, usize)>,
    scratch: &'a mut Vec<u8>,
) -> Result<bool, RowError> {
    out.clear();
    if memchr::memchr(b'"', line).is_none() {
        let mut start = 0;
        for i in memchr::memchr_iter(b';', line) {
            out.push((start, i));
            start = i + 1;
        }
        out.push((start, line.len()));
        return Ok(false);
    }
    scratch.clear();
    let mut i = 0;
    loop {
        let start = scratch.len();
        if line.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match line.get(i) {
                    None => {
                        return Err(RowError::new(
                            None,
                            "guillemets non appariés (un champ entre guillemets n'est pas refermé)",
                        ));
                    }
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                        scratch.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        scratch.push(b);
                        i += 1;
                    }
                }
            }
            match line.get(i) {
                None | Some(b';') => {}
                Some(_) => {
                    return Err(RowError::new(
                        None,
                        "guillemets mal placés (texte après un champ entre guillemets)",
                    ));
                }
            }
        } else {
            while let Some(&b) = line.get(i) {
                if b == b';' {
                    break;
                }
                scratch.push(b);
                i += 1;
            }
        }
        out.push((start, scratch.len()));
        if i >= line.len() {
            break;
        }
        i += 1; // the separator
        if i == line.len() {
            out.push((scratch.len(), scratch.len()));
            break;
        }
    }
    Ok(true)
}

/// Builds a row from the fields of a line and gives it to the sink.
fn process_fields<S: RowSink>(
    base: &[u8],
    ranges: &[(usize, usize)],
    ncols: usize,
    map: &[usize; USED_COLUMNS.len()],
    mark: DecimalMark,
    sink: &mut S,
) -> Result<(), RowError> {
    if ranges.len() != ncols {
        return Err(field_count_error(ranges.len(), ncols));
    }
    let empty: &[u8] = &[];
    let mut fields = [empty; USED_COLUMNS.len()];
    for (k, &j) in map.iter().enumerate() {
        let (s, e) = ranges[j];
        fields[k] = &base[s..e];
    }
    let boites = parse_boites(fields[col::BOITES]).map_err(|m| RowError::new(Some("BOITES"), m))?;
    let rem = parse_amount(fields[col::REM], mark).map_err(|m| RowError::new(Some("REM"), m))?;
    sink.accept(&Row::new(fields, boites, rem))
}

/// A block to parse: its index, its buffer and how many bytes of it are whole lines.
type Job = (usize, Vec<u8>, usize);

/// Result of parsing one block.
struct BlockResult {
    index: usize,
    lines: u64,
    rows: u64,
    errors: Vec<(u64, RowError)>,
}

/// Stops keeping error details past this many (the count stays exact).
const MAX_KEPT_ERRORS: usize = 10_000;

/// Most columns a fast-path line may have (CNAM's file has 31); wider files use the
/// slow path. One less than [`STARTS`], which must be a power of two.
const MAX_FIELDS: usize = STARTS - 1;
/// Length of the array of field starts (see [`find_separators`]).
const STARTS: usize = 64;

/// Parses a block of whole lines: each line end is found with `memchr` (vectorised), then
/// the line's separators sixteen bytes at a time (SSE2 through `wide`'s safe types); the rare lines with a quote (found
/// beforehand with `memchr`) are re-split by [`split_line`].
fn parse_block<S: RowSink>(
    block: &[u8],
    index: usize,
    ncols: usize,
    map: &[usize; USED_COLUMNS.len()],
    sink: &mut S,
    ranges: &mut Vec<(usize, usize)>,
    scratch: &mut Vec<u8>,
) -> BlockResult {
    let mut r = BlockResult {
        index,
        lines: 0,
        rows: 0,
        errors: Vec::new(),
    };
    if ncols > MAX_FIELDS {
        return parse_block_simple(block, r, ncols, map, sink, ranges, scratch);
    }
    let quotes: Vec<usize> = memchr::memchr_iter(b'"', block).collect();
    let mut next_quote = 0;
    let mut starts = [0usize; STARTS];
    let mut pos = 0;
    while pos < block.len() {
        let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i);
        r.lines += 1;
        let mut quoted = false;
        while quotes.get(next_quote).is_some_and(|&q| q < end) {
            quoted = true;
            next_quote += 1;
        }
        let mut line_end = end;
        if line_end > pos && block[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        if line_end > pos {
            r.rows += 1;
            let outcome = if quoted {
                let line = &block[pos..line_end];
                match split_line(line, ranges, scratch) {
                    Ok(false) => process_fields(line, ranges, ncols, map, DecimalMark::Comma, sink),
                    Ok(true) => {
                        process_fields(scratch, ranges, ncols, map, DecimalMark::Comma, sink)
                    }
                    Err(e) => Err(e),
                }
            } else {
                let separators = find_separators(block, pos, line_end, &mut starts);
                if separators + 1 != ncols {
                    Err(field_count_error(separators + 1, ncols))
                } else {
                    starts[ncols] = line_end - pos + 1;
                    row_from_line(&block[pos..line_end], &starts[..=ncols], map, sink)
                }
            };
            if let Err(e) = outcome {
                r.errors.push((r.lines, e));
            }
        }
        pos = end + 1;
    }
    r
}

/// Counts the `;` of `block[start..end]` and stores, for the `k`-th one (from 1), the
/// position just after it, relative to `start`, in `starts[k]` (`starts[0]` is 0).
/// Past [`MAX_FIELDS`] separators the positions wrap around (index modulo [`STARTS`]):
/// such a line has too many fields and is rejected on the count alone, and `starts[0]` is
/// reset for the next line.
#[inline(always)]
fn find_separators(block: &[u8], start: usize, end: usize, starts: &mut [usize; STARTS]) -> usize {
    starts[0] = 0;
    let mut n = 0usize;
    // Sixteen bytes compared at once (SSE2 through `wide`'s safe types on x86_64), the
    // matches read from the 16-bit mask.
    let semicolon = u8x16::splat(b';');
    let (chunks, rest) = block[start..end].as_chunks::<16>();
    // Position just after the byte at the start of the current chunk.
    let mut after = 1usize;
    for chunk in chunks {
        let hits = u8x16::new(*chunk).simd_eq(semicolon).to_bitmask();
        record_separators(hits, after, &mut n, starts);
        after += 16;
    }
    if !rest.is_empty() {
        // The last bytes of the line: read sixteen bytes from the block when it has them
        // (the bytes past the line end are masked out), padded with zeros otherwise.
        let at = end - rest.len();
        let chunk = match block
            .get(at..at + 16)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
        {
            Some(chunk) => chunk,
            None => {
                let mut chunk = [0u8; 16];
                chunk[..rest.len()].copy_from_slice(rest);
                chunk
            }
        };
        let hits = u8x16::new(chunk).simd_eq(semicolon).to_bitmask() & ((1u32 << rest.len()) - 1);
        record_separators(hits, after, &mut n, starts);
    }
    n
}

/// Stores the positions of the bits of `hits` (a chunk's separators, `after` being the
/// position just after the chunk's first byte) from `starts[n + 1]` on, and adds their
/// number to `n`. (Writing the first four positions without testing the bits, to spare
/// the loop's mispredicted exit, measured no faster.)
#[inline(always)]
fn record_separators(mut hits: u32, after: usize, n: &mut usize, starts: &mut [usize; STARTS]) {
    while hits != 0 {
        *n += 1;
        starts[*n & (STARTS - 1)] = after + hits.trailing_zeros() as usize;
        hits &= hits - 1;
    }
}

fn field_count_error(found: usize, ncols: usize) -> RowError {
    RowError::new(
        None,
        format!(
            "{found} champs au lieu de {ncols} (ligne mal formée : séparateur « ; » en trop ou manquant)"
        ),
    )
}

#[inline(always)]
fn row_from_line<S: RowSink>(
    line: &[u8],
    starts: &[usize],
    map: &[usize; USED_COLUMNS.len()],
    sink: &mut S,
) -> Result<(), RowError> {
    let boites = parse_boites(super::line_field(line, starts, map[col::BOITES]))
        .map_err(|m| RowError::new(Some("BOITES"), m))?;
    let rem = parse_amount(
        super::line_field(line, starts, map[col::REM]),
        DecimalMark::Comma,
    )
    .map_err(|m| RowError::new(Some("REM"), m))?;
    sink.accept(&Row::from_line(line, starts, map, boites, rem))
}

/// Line-by-line reference parser (wide files; and the tests' cross-check of the fast one).
fn parse_block_simple<S: RowSink>(
    block: &[u8],
    mut r: BlockResult,
    ncols: usize,
    map: &[usize; USED_COLUMNS.len()],
    sink: &mut S,
    ranges: &mut Vec<(usize, usize)>,
    scratch: &mut Vec<u8>,
) -> BlockResult {
    let mut pos = 0;
    while pos < block.len() {
        let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i);
        let mut line = &block[pos..end];
        pos = end + 1;
        r.lines += 1;
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            continue;
        }
        r.rows += 1;
        let outcome = match split_line(line, ranges, scratch) {
            Ok(false) => process_fields(line, ranges, ncols, map, DecimalMark::Comma, sink),
            Ok(true) => process_fields(scratch, ranges, ncols, map, DecimalMark::Comma, sink),
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            r.errors.push((r.lines, e));
        }
    }
    r
}
fn read_csv<S, F>(
    path: &Path,
    name: &str,
    opts: &ReadOptions,
    hash: bool,
    make: F,
) -> Result<(S, FileProvenance), PhmevError>
where
    S: RowSink,
    F: Fn() -> S + Sync,
{
    let mut file = File::open(path).map_err(io_err(name))?;
    let mut hasher = Sha256::new();
    let mut octets: u64 = 0;
    let block_size = opts.block_size.max(64);

    // Header: read until the first line end.
    let mut buf = vec![0u8; block_size];
    let mut filled = 0;
    let header_end = loop {
        if let Some(i) = memchr::memchr(b'\n', &buf[..filled]) {
            break Some(i);
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let k = file.read(&mut buf[filled..]).map_err(io_err(name))?;
        if k == 0 {
            break None;
        }
        filled += k;
    };
    let header_end = header_end.unwrap_or(filled);
    let mut header = &buf[..header_end];
    if let [rest @ .., b'\r'] = header {
        header = rest;
    }
    if let [0xEF, 0xBB, 0xBF, rest @ ..] = header {
        header = rest;
    }
    if header.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(PhmevError::Empty { file: name.into() });
    }
    let mut hranges = Vec::new();
    let mut hscratch = Vec::new();
    let quoted = split_line(header, &mut hranges, &mut hscratch).map_err(|e| PhmevError::Row {
        file: name.into(),
        line: 1,
        field: None,
        message: e.message,
        others: 0,
    })?;
    let hbase: &[u8] = if quoted { &hscratch } else { header };
    let hfields: Vec<&[u8]> = hranges.iter().map(|&(s, e)| &hbase[s..e]).collect();
    if hfields.len() == 1 {
        return Err(PhmevError::NoSeparator { file: name.into() });
    }
    let map = map_header(name, &hfields)?;
    let ncols = hfields.len();

    if hash {
        hasher.update(&buf[..filled]);
    }
    octets += filled as u64;
    let first_data = (header_end + 1).min(filled);
    // Keep the data after the header at the front of the buffer.
    buf.copy_within(first_data..filled, 0);
    let carry = filled - first_data;

    let threads = opts.threads.max(1);
    let (work_tx, work_rx) = sync_channel::<Job>(threads);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(threads * 2 + 2);
    // Lowest block index that has an error (fail-fast: later blocks are skipped).
    let first_bad = AtomicUsize::new(usize::MAX);
    let stop_early = !opts.ignore_invalid;

    let (results, io_error) = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..threads {
            let rx = Arc::clone(&work_rx);
            let back = back_tx.clone();
            let make = &make;
            let first_bad = &first_bad;
            handles.push(
                scope.spawn(move || worker(rx, back, make, ncols, &map, first_bad, stop_early)),
            );
        }
        drop(back_tx);
        let io_error = feed(
            &mut file,
            buf,
            carry,
            &work_tx,
            &back_rx,
            &mut hasher,
            &mut octets,
            block_size,
            &first_bad,
            stop_early,
            threads,
            hash,
        );
        drop(work_tx);
        let results: Vec<(S, Vec<BlockResult>)> =
            handles.into_iter().filter_map(|h| h.join().ok()).collect();
        (results, io_error)
    });
    if let Some(e) = io_error {
        return Err(io_err(name)(e));
    }
    if results.len() != threads {
        return Err(io_err(name)(std::io::Error::other(
            "un fil de lecture s'est arrêté",
        )));
    }
    let mut sink: Option<S> = None;
    let mut blocks = Vec::new();
    for (s, b) in results {
        blocks.extend(b);
        match sink.as_mut() {
            None => sink = Some(s),
            Some(acc) => acc.merge(s),
        }
    }
    let sink = match sink {
        Some(s) => s,
        None => make(),
    };
    blocks.sort_by_key(|b| b.index);
    finish(
        name,
        "csv",
        hash.then(|| hex::encode(hasher.finalize())),
        octets,
        blocks,
        opts,
        sink,
    )
}

/// Reads blocks, cut after their last line end, and hands them to the workers.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
fn feed(
    file: &mut File,
    mut buf: Vec<u8>,
    mut carry: usize,
    work_tx: &SyncSender<Job>,
    back_rx: &Receiver<Vec<u8>>,
    hasher: &mut Sha256,
    octets: &mut u64,
    block_size: usize,
    first_bad: &AtomicUsize,
    stop_early: bool,
    threads: usize,
    hash: bool,
) -> Option<std::io::Error> {
    let mut index = 0usize;
    let mut eof = false;
    let max_buffers = threads * 2 + 1;
    let mut allocated = 1usize;
    loop {
        // Fill the buffer after the carried-over partial line.
        while !eof && carry < buf.len() {
            match file.read(&mut buf[carry..]) {
                Ok(0) => eof = true,
                Ok(k) => {
                    if hash {
                        hasher.update(&buf[carry..carry + k]);
                    }
                    *octets += k as u64;
                    carry += k;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Some(e),
            }
        }
        if carry == 0 {
            return None;
        }
        let cut = if eof {
            carry
        } else {
            match memchr::memrchr(b'\n', &buf[..carry]) {
                Some(i) => i + 1,
                None => {
                    // One line longer than the buffer: grow it.
                    buf.resize(buf.len() * 2, 0);
                    continue;
                }
            }
        };
        // Reuse the workers' returned buffers: a fresh buffer costs page faults.
        let mut next = match back_rx.try_recv() {
            Ok(b) => b,
            Err(_) if allocated < max_buffers => {
                allocated += 1;
                vec![0u8; block_size]
            }
            Err(_) => back_rx.recv().unwrap_or_else(|_| vec![0u8; block_size]),
        };
        if next.len() < buf.len() {
            next.resize(buf.len(), 0);
        }
        let rest = carry - cut;
        next[..rest].copy_from_slice(&buf[cut..carry]);
        if stop_early && first_bad.load(Ordering::Relaxed) < index {
            return None;
        }
        if work_tx.send((index, buf, cut)).is_err() {
            return None;
        }
        index += 1;
        buf = next;
        carry = rest;
        if eof && carry == 0 {
            return None;
        }
    }
}

fn worker<S, F>(
    rx: Arc<Mutex<Receiver<Job>>>,
    back: SyncSender<Vec<u8>>,
    make: &F,
    ncols: usize,
    map: &[usize; USED_COLUMNS.len()],
    first_bad: &AtomicUsize,
    stop_early: bool,
) -> (S, Vec<BlockResult>)
where
    S: RowSink,
    F: Fn() -> S,
{
    let mut sink = make();
    let mut results = Vec::new();
    let mut ranges = Vec::with_capacity(64);
    let mut scratch = Vec::new();
    let mut kept_errors = 0usize;
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        let Ok((index, buf, len)) = job else { break };
        if stop_early && first_bad.load(Ordering::Relaxed) < index {
            let _ = back.try_send(buf);
            continue;
        }
        let mut r = parse_block(
            &buf[..len],
            index,
            ncols,
            map,
            &mut sink,
            &mut ranges,
            &mut scratch,
        );
        if !r.errors.is_empty() {
            first_bad.fetch_min(index, Ordering::Relaxed);
            if kept_errors >= MAX_KEPT_ERRORS {
                // Keep the count, drop the details.
                let n = r.errors.len();
                r.errors.truncate(1);
                r.errors[0].1.message = format!(
                    "{} (+{} lignes invalides dans ce bloc)",
                    r.errors[0].1.message,
                    n - 1
                );
            }
            kept_errors += r.errors.len();
        }
        let _ = back.try_send(buf);
        results.push(r);
    }
    (sink, results)
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

fn read_parquet<S: RowSink>(
    path: &Path,
    name: &str,
    opts: &ReadOptions,
    hash: bool,
    mut sink: S,
) -> Result<(S, FileProvenance), PhmevError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let pq_err = |e: parquet::errors::ParquetError| PhmevError::Parquet {
        file: name.into(),
        message: e.to_string(),
    };
    // SHA-256 and size of the file, streamed.
    let mut hasher = Sha256::new();
    let mut octets = 0u64;
    {
        let mut f = File::open(path).map_err(io_err(name))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let k = f.read(&mut buf).map_err(io_err(name))?;
            if k == 0 {
                break;
            }
            if hash {
                hasher.update(&buf[..k]);
            }
            octets += k as u64;
        }
    }
    let file = GuardedFile::open(path).map_err(io_err(name))?;
    let reader = SerializedFileReader::new(file).map_err(pq_err)?;
    check_dictionaries(&reader).map_err(pq_err)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    let names: Vec<Vec<u8>> = schema
        .columns()
        .iter()
        .map(|c| c.name().as_bytes().to_vec())
        .collect();
    let name_refs: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
    let map = map_header(name, &name_refs)?;
    let mut texts: Vec<String> = vec![String::new(); names.len()];
    let mut errors = Vec::new();
    let mut rows = 0u64;
    let iter = reader.get_row_iter(None).map_err(pq_err)?;
    for (i, row) in iter.enumerate() {
        let row = row.map_err(pq_err)?;
        rows += 1;
        for (j, (_, field)) in row.get_column_iter().enumerate() {
            let Some(t) = texts.get_mut(j) else { continue };
            t.clear();
            use std::fmt::Write;
            let _ = match field {
                Field::Null => Ok(()),
                Field::Str(s) => {
                    push_repaired(t, s);
                    Ok(())
                }
                // A FINESS stored as a number lost its leading zero.
                Field::Long(v) if j == map[col::ETB] => write!(t, "{v:09}"),
                Field::Int(v) if j == map[col::ETB] => write!(t, "{v:09}"),
                Field::Byte(v) => write!(t, "{v}"),
                Field::Short(v) => write!(t, "{v}"),
                Field::Int(v) => write!(t, "{v}"),
                Field::Long(v) => write!(t, "{v}"),
                Field::UByte(v) => write!(t, "{v}"),
                Field::UShort(v) => write!(t, "{v}"),
                Field::UInt(v) => write!(t, "{v}"),
                Field::ULong(v) => write!(t, "{v}"),
                // Shortest round-trip representation: exact decimal of what was written.
                Field::Double(v) => write!(t, "{v}"),
                Field::Float(v) => write!(t, "{v}"),
                other => write!(t, "{other}"),
            };
        }
        let empty: &[u8] = &[];
        let mut fields = [empty; USED_COLUMNS.len()];
        for (k, &j) in map.iter().enumerate() {
            fields[k] = texts[j].as_bytes();
        }
        let outcome = parse_boites(fields[col::BOITES])
            .map_err(|m| RowError::new(Some("BOITES"), m))
            .and_then(|boites| {
                let rem = parse_amount(fields[col::REM], DecimalMark::Point)
                    .map_err(|m| RowError::new(Some("REM"), m))?;
                sink.accept(&Row::new(fields, boites, rem))
            });
        if let Err(e) = outcome {
            // Row numbers count from 1 (no header line in Parquet).
            errors.push((i as u64 + 1, e));
            if !opts.ignore_invalid {
                break;
            }
        }
    }
    let block = BlockResult {
        index: 0,
        lines: rows,
        rows,
        errors,
    };
    // No header line: line numbers are row numbers.
    let mut prov = finish(
        name,
        "parquet",
        hash.then(|| hex::encode(hasher.finalize())),
        octets,
        vec![block],
        opts,
        sink,
    );
    if let Ok((_, p)) = prov.as_mut() {
        for r in &mut p.rejets {
            r.ligne -= 1;
        }
    }
    if let Err(PhmevError::Row { line, .. }) = prov.as_mut() {
        *line -= 1;
    }
    prov
}

/// Appends a Parquet string, turning C1 control characters back into what CNAM meant: the
/// extract was converted from Windows-1252 as if it were latin-1, so its labels hold U+0092
/// where the CSV has byte 0x92 (’).
fn push_repaired(t: &mut String, s: &str) {
    let c1 = |c: char| ('\u{80}'..='\u{9f}').contains(&c);
    if !s.chars().any(c1) {
        t.push_str(s);
        return;
    }
    for c in s.chars() {
        if c1(c) {
            let byte = [u32::from(c) as u8];
            let (d, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
            t.push_str(&d);
        } else {
            t.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
