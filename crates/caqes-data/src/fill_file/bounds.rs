//! How large a campaign's fichier à remplir can be: beyond its bounds a cell
//! is refused before anything is allocated for it. The counts come from the
//! caller (the region's sites and entities, the référentiel's lines).

/// The largest sheet the fichier à remplir of a campaign can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetBounds {
    /// Rows, header included (0-based row indices below this).
    pub rows: u32,
    /// Columns (0-based column indices below this).
    pub columns: u32,
}

/// Columns of a sheet: 9 are written, the ARS may add a few of its own (A to Z).
pub const MAX_COLUMNS: u32 = 26;
/// Rows the ARS may leave blank or add (notes, totals) beyond the rows the
/// campaign can have.
pub const SPARE_ROWS: u32 = 200;

/// The bounds of both sheets of a campaign's fichier à remplir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkbookBounds {
    pub values: SheetBounds,
    pub targets: SheetBounds,
}

impl WorkbookBounds {
    /// « Valeurs » has at most one row per site × line, « Cibles » one per
    /// entity × line (`lines`: the indicators and their classes), plus the header
    /// and [`SPARE_ROWS`].
    pub fn for_region(sites: u32, entities: u32, lines: u32) -> WorkbookBounds {
        let rows = |n: u32| n.saturating_mul(lines).saturating_add(1 + SPARE_ROWS);
        WorkbookBounds {
            values: SheetBounds {
                rows: rows(sites),
                columns: MAX_COLUMNS,
            },
            targets: SheetBounds {
                rows: rows(entities),
                columns: MAX_COLUMNS,
            },
        }
    }
}
