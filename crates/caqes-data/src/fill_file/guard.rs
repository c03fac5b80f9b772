//! The guard in front of calamine for an uploaded « fichier à remplir ».
//!
//! An XLSX file is a ZIP archive of XML files. calamine trusts it: a zip bomb
//! (345 Ko declaring or expanding to hundreds of Mo) is inflated in memory,
//! and `worksheet_range` allocates the whole rectangle a sheet's cells span (a
//! single cell at XFD1048576 asks for 512 Gio and aborts the process). So,
//! before calamine sees the bytes, this module opens the archive itself and
//! checks the number of entries, each entry's declared size and compression
//! ratio, and the bytes actually inflated (never more than the cap plus one
//! 8 Kio buffer are read: a lying header is caught while reading). The sheets are then read
//! as a stream of cells with bounded row and column indices (see
//! `sheet::read_sheet`), never with `worksheet_range`.

use std::io::{Cursor, Read};

/// What an uploaded workbook may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Entries of the archive (ours has about a dozen).
    pub max_entries: usize,
    /// Sum of the inflated bytes of all entries, declared and actually read.
    pub max_total_bytes: u64,
    /// Inflated ÷ compressed size allowed for an entry above `ratio_floor`
    /// bytes (an XLSX sheet compresses about 5 to 20 times; a bomb 1 000 times).
    pub max_ratio: u64,
    /// Entries smaller than this are not checked for their ratio (a few Ko
    /// of repeated XML legitimately compress 100 times, and cannot hurt).
    pub ratio_floor: u64,
}

/// The limits of the upload route: a region's fichier à remplir (tens of
/// thousands of rows) inflates to a few Mo.
pub const ARCHIVE_LIMITS: ArchiveLimits = ArchiveLimits {
    max_entries: 200,
    max_total_bytes: 50 * 1024 * 1024,
    max_ratio: 100,
    ratio_floor: 1024 * 1024,
};

/// Why an archive is refused (French: shown to the ARS as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("ce n'est pas un classeur XLSX lisible (le fichier n'est pas une archive ZIP valide)")]
    NotAnArchive,
    #[error("le classeur contient {found} fichiers internes, au plus {max} sont admis")]
    TooManyEntries { found: usize, max: usize },
    #[error(
        "le fichier interne « {name} » du classeur est compressé {ratio} fois (au plus {max} fois) : archive piégée refusée"
    )]
    Ratio { name: String, ratio: u64, max: u64 },
    #[error(
        "le classeur décompressé dépasse {max} octets (annoncés ou lus) : archive trop volumineuse ou piégée refusée"
    )]
    TooLarge {
        max: u64,
        /// Bytes actually inflated before refusing (at most `max` plus one
        /// 8 Kio buffer).
        read: u64,
    },
    #[error(
        "le fichier interne « {name} » du classeur contient plus que les {declared} octets annoncés : archive piégée refusée"
    )]
    LyingSize {
        name: String,
        declared: u64,
        read: u64,
    },
    #[error("le fichier interne « {name} » du classeur est illisible (archive endommagée)")]
    Damaged { name: String },
}

/// What the guard saw of an accepted archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveReport {
    pub entries: usize,
    /// Bytes inflated while checking (the same calamine will inflate).
    pub inflated: u64,
}

/// Checks an uploaded workbook's archive against `limits`, reading every entry
/// through a counter (memory: one 8 Kio buffer, whatever the entry's size).
pub fn check_archive(bytes: &[u8], limits: &ArchiveLimits) -> Result<ArchiveReport, GuardError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| GuardError::NotAnArchive)?;
    if archive.len() > limits.max_entries {
        return Err(GuardError::TooManyEntries {
            found: archive.len(),
            max: limits.max_entries,
        });
    }
    // Declared sizes first: a bomb that tells the truth is refused without inflating a byte.
    let mut declared_total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| GuardError::NotAnArchive)?;
        let declared = entry.size();
        declared_total = declared_total.saturating_add(declared);
        if declared_total > limits.max_total_bytes {
            return Err(GuardError::TooLarge {
                max: limits.max_total_bytes,
                read: 0,
            });
        }
        if declared > limits.ratio_floor {
            let ratio = declared / entry.compressed_size().max(1);
            if ratio > limits.max_ratio {
                return Err(GuardError::Ratio {
                    name: entry.name().to_owned(),
                    ratio,
                    max: limits.max_ratio,
                });
            }
        }
    }
    // Then the bytes themselves: a header may lie.
    let mut inflated = 0u64;
    let mut buffer = [0u8; 8192];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| GuardError::NotAnArchive)?;
        let name = entry.name().to_owned();
        let declared = entry.size();
        let mut read_here = 0u64;
        loop {
            let n = match entry.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n as u64,
                Err(_) => return Err(GuardError::Damaged { name }),
            };
            read_here += n;
            inflated += n;
            if inflated > limits.max_total_bytes {
                return Err(GuardError::TooLarge {
                    max: limits.max_total_bytes,
                    read: inflated,
                });
            }
            if read_here > declared {
                return Err(GuardError::LyingSize {
                    name,
                    declared,
                    read: read_here,
                });
            }
        }
    }
    Ok(ArchiveReport {
        entries: archive.len(),
        inflated,
    })
}
