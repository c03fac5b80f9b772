//! The Parquet form, with the guards the `parquet` crate lacks (panics contained, reads
//! past the end and oversized ranges refused, dictionaries checked).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{BlockResult, FileProvenance, ReadOptions, finish, io_err, map_header};
use crate::phmev::number::{DecimalMark, parse_amount, parse_boites};
use crate::phmev::{PhmevError, Row, RowError, RowSink, USED_COLUMNS, col};

/// Runs the Parquet reader, turning a panic into an error. The `parquet` crate
/// panics on some malformed files instead of returning an error (fuzzing found
/// `Option::unwrap()` on a missing required field of the footer's metadata, in
/// parquet 57.3): a bad upload must give a French error, not kill the thread
/// serving it or the command. Sound to catch: the reader's state is dropped
/// with the panic, only the error survives.
pub(super) fn contain_parquet_panics<T>(
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

impl ::parquet::file::reader::Length for GuardedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ::parquet::file::reader::ChunkReader for GuardedFile {
    type T = std::io::BufReader<EndGuard>;

    fn get_read(&self, start: u64) -> ::parquet::errors::Result<Self::T> {
        use std::io::Seek;
        let mut file = self.file.try_clone()?;
        file.seek(std::io::SeekFrom::Start(start))?;
        Ok(std::io::BufReader::new(EndGuard {
            file,
            reads_at_end: 0,
        }))
    }

    fn get_bytes(&self, start: u64, length: usize) -> ::parquet::errors::Result<bytes::Bytes> {
        use std::io::Seek;
        let end = start.checked_add(length as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(::parquet::errors::ParquetError::EOF(format!(
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
    reader: &::parquet::file::reader::SerializedFileReader<GuardedFile>,
) -> ::parquet::errors::Result<()> {
    use ::parquet::basic::Type as Physical;
    use ::parquet::column::page::Page;
    use ::parquet::file::reader::FileReader;

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
                return Err(::parquet::errors::ParquetError::General(format!(
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

pub(super) fn read_parquet<S: RowSink>(
    path: &Path,
    name: &str,
    opts: &ReadOptions,
    hash: bool,
    mut sink: S,
) -> Result<(S, FileProvenance), PhmevError> {
    use ::parquet::file::reader::{FileReader, SerializedFileReader};
    use ::parquet::record::Field;

    let pq_err = |e: ::parquet::errors::ParquetError| PhmevError::Parquet {
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
