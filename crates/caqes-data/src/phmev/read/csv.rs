//! The CSV form: blocks of a few MiB read with plain `read` calls, cut at line
//! boundaries and parsed by two threads; the file's SHA-256 on the same bytes.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wide::u8x16;

use super::{BlockResult, FileProvenance, ReadOptions, finish, io_err, map_header};
use crate::phmev::number::{DecimalMark, parse_amount, parse_boites};
use crate::phmev::{PhmevError, Row, RowError, RowSink, USED_COLUMNS, col};

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
pub(super) fn parse_block<S: RowSink>(
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
    let boites = parse_boites(crate::phmev::line_field(line, starts, map[col::BOITES]))
        .map_err(|m| RowError::new(Some("BOITES"), m))?;
    let rem = parse_amount(
        crate::phmev::line_field(line, starts, map[col::REM]),
        DecimalMark::Comma,
    )
    .map_err(|m| RowError::new(Some("REM"), m))?;
    sink.accept(&Row::from_line(line, starts, map, boites, rem))
}

/// Line-by-line reference parser (wide files; and the tests' cross-check of the fast one).
pub(super) fn parse_block_simple<S: RowSink>(
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
pub(super) fn read_csv<S, F>(
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
