//! Flow layout of A4 pages: paragraphs wrapped on measured widths, tables whose header
//! row is repeated on every page they cross, figures drawn as vectors, side-by-side
//! columns for letterheads, then the running title and the footer with « 1 / 3 ».
//!
//! Lines break at ordinary spaces only: the no-break spaces of French figures
//! (« 1 234,00 € », « 8,50 % ») keep a figure on one line. Text is set ragged right.

mod composer;
mod lines;

pub(crate) use composer::{Composer, Decorations};

use crate::render::drawing::{Color, Drawing};
use crate::render::fonts::Face;
use crate::render::pdf::{PAGE_HEIGHT, PAGE_WIDTH};

pub(crate) const MARGIN_LEFT: f32 = 62.0;
pub(crate) const MARGIN_RIGHT: f32 = 56.0;
const MARGIN_TOP: f32 = 46.0;
/// Lowest y of the flow; the footer lives below.
const FLOW_BOTTOM: f32 = PAGE_HEIGHT - 66.0;
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;

/// Body text size, in points.
pub(crate) const BODY: f32 = 10.0;
const LEADING: f32 = 1.32;

/// A piece of text in one face.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Span {
    pub text: String,
    pub face: Face,
}

impl Span {
    pub fn regular(text: impl Into<String>) -> Self {
        Span {
            text: text.into(),
            face: Face::Regular,
        }
    }
    pub fn bold(text: impl Into<String>) -> Self {
        Span {
            text: text.into(),
            face: Face::Bold,
        }
    }
    pub fn italic(text: impl Into<String>) -> Self {
        Span {
            text: text.into(),
            face: Face::Italic,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
    Center,
}

/// A paragraph: spans wrapped in the frame's width (minus `indent`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Para {
    pub spans: Vec<Span>,
    pub size: f32,
    pub color: Color,
    pub align: Align,
    pub indent: f32,
    /// Extra indent of the lines after the first (bullets: the text aligns after the dash).
    pub hang: f32,
    pub space_before: f32,
    pub space_after: f32,
    /// Never left alone at the bottom of a page (headings).
    pub keep_with_next: bool,
}

impl Para {
    pub fn new(spans: Vec<Span>) -> Self {
        Para {
            spans,
            size: BODY,
            color: Color::TEXT,
            align: Align::Left,
            indent: 0.0,
            hang: 0.0,
            space_before: 0.0,
            space_after: 6.0,
            keep_with_next: false,
        }
    }
    pub fn text(text: impl Into<String>) -> Self {
        Para::new(vec![Span::regular(text)])
    }
    pub fn size(mut self, size: f32) -> Self {
        self.size = size;
        self
    }
    pub fn color(mut self, color: Color) -> Self {
        self.color = color;
        self
    }
    pub fn align(mut self, align: Align) -> Self {
        self.align = align;
        self
    }
    pub fn indent(mut self, indent: f32) -> Self {
        self.indent = indent;
        self
    }
    pub fn hang(mut self, hang: f32) -> Self {
        self.hang = hang;
        self
    }
    pub fn before(mut self, space: f32) -> Self {
        self.space_before = space;
        self
    }
    pub fn after(mut self, space: f32) -> Self {
        self.space_after = space;
        self
    }
    pub fn keep(mut self) -> Self {
        self.keep_with_next = true;
        self
    }
}

/// A table column: header, relative width, alignment of its cells.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Column {
    pub header: String,
    pub weight: f32,
    pub align: Align,
}

impl Column {
    pub fn left(header: impl Into<String>, weight: f32) -> Self {
        Column {
            header: header.into(),
            weight,
            align: Align::Left,
        }
    }
    pub fn right(header: impl Into<String>, weight: f32) -> Self {
        Column {
            header: header.into(),
            weight,
            align: Align::Right,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowKind {
    Body,
    /// Bold, shaded, ruled above: totals.
    Total,
    /// One bold cell across the table: a group title (a part of the grid).
    Section,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub cells: Vec<String>,
    pub kind: RowKind,
}

impl Row {
    pub fn body(cells: Vec<String>) -> Self {
        Row {
            cells,
            kind: RowKind::Body,
        }
    }
    pub fn total(cells: Vec<String>) -> Self {
        Row {
            cells,
            kind: RowKind::Total,
        }
    }
    pub fn section(title: impl Into<String>) -> Self {
        Row {
            cells: vec![title.into()],
            kind: RowKind::Section,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub size: f32,
}

impl Table {
    pub fn new(columns: Vec<Column>, rows: Vec<Row>) -> Self {
        Table {
            columns,
            rows,
            size: 8.5,
        }
    }
}

/// What the flow is made of.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Block {
    Para(Para),
    Table(Table),
    /// A drawing scaled to `width` points, centred, with a caption under it.
    Figure {
        drawing: Drawing,
        width: f32,
        caption: Option<String>,
    },
    Space(f32),
    /// A thin horizontal rule across the frame.
    Rule,
    /// Blocks that stay on one page (signature, address blocks).
    Keep(Vec<Block>),
    /// Columns starting at the same height: (offset from the left margin, width, blocks).
    Columns(Vec<(f32, f32, Vec<Block>)>),
}
