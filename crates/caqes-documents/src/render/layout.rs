//! Flow layout of A4 pages: paragraphs wrapped on measured widths, tables whose header
//! row is repeated on every page they cross, figures drawn as vectors, side-by-side
//! columns for letterheads, then the running title and the footer with « 1 / 3 ».
//!
//! Lines break at ordinary spaces only: the no-break spaces of French figures
//! (« 1 234,00 € », « 8,50 % ») keep a figure on one line. Text is set ragged right.

use crate::render::drawing::{Anchor, Color, Drawing, Shape};
use crate::render::fonts::{Face, Fonts};
use crate::render::pdf::{Line, Op, PAGE_HEIGHT, PAGE_WIDTH};

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

/// Words of a paragraph: each a list of (face, text) pieces, and whether a line must
/// break after it.
struct Word {
    pieces: Vec<(Face, String)>,
    width: f32,
    /// Face of the space that follows (its width), if any.
    space: Option<Face>,
    hard_break: bool,
}

/// One laid line: runs of text in one face, spaces included.
#[derive(Clone, Debug, PartialEq)]
struct LaidLine {
    runs: Vec<(Face, String)>,
    width: f32,
}

fn words(fonts: &Fonts, spans: &[Span], size: f32) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut current = Word {
        pieces: Vec::new(),
        width: 0.0,
        space: None,
        hard_break: false,
    };
    let push_char = |w: &mut Word, face: Face, c: char| {
        w.width += fonts.width(face, size, c.encode_utf8(&mut [0; 4]));
        match w.pieces.last_mut() {
            Some((f, t)) if *f == face => t.push(c),
            _ => w.pieces.push((face, c.to_string())),
        }
    };
    for span in spans {
        for c in span.text.chars() {
            match c {
                ' ' | '\n' => {
                    let mut done = std::mem::replace(
                        &mut current,
                        Word {
                            pieces: Vec::new(),
                            width: 0.0,
                            space: None,
                            hard_break: false,
                        },
                    );
                    if c == ' ' {
                        done.space = Some(span.face);
                    } else {
                        done.hard_break = true;
                    }
                    out.push(done);
                }
                c => push_char(&mut current, span.face, c),
            }
        }
    }
    out.push(current);
    out
}

/// Splits a word wider than the line into pieces that fit (file names, hashes).
fn split_word(fonts: &Fonts, size: f32, word: Word, max: f32) -> Vec<Word> {
    let mut out = Vec::new();
    let mut part = Word {
        pieces: Vec::new(),
        width: 0.0,
        space: None,
        hard_break: false,
    };
    for (face, text) in word.pieces {
        for c in text.chars() {
            let w = fonts.width(face, size, c.encode_utf8(&mut [0; 4]));
            if part.width + w > max && !part.pieces.is_empty() {
                out.push(std::mem::replace(
                    &mut part,
                    Word {
                        pieces: Vec::new(),
                        width: 0.0,
                        space: None,
                        hard_break: false,
                    },
                ));
            }
            part.width += w;
            match part.pieces.last_mut() {
                Some((f, t)) if *f == face => t.push(c),
                _ => part.pieces.push((face, c.to_string())),
            }
        }
    }
    part.space = word.space;
    part.hard_break = word.hard_break;
    out.push(part);
    out
}

fn break_lines(fonts: &Fonts, spans: &[Span], size: f32, max: f32) -> Vec<LaidLine> {
    break_hanging(fonts, spans, size, max, max)
}

/// Lines of `first` width then of `rest` width.
fn break_hanging(fonts: &Fonts, spans: &[Span], size: f32, first: f32, rest: f32) -> Vec<LaidLine> {
    let max = first.min(rest);
    let mut lines = Vec::new();
    let mut line = LaidLine {
        runs: Vec::new(),
        width: 0.0,
    };
    // Width of the space pending after the line's last word.
    let mut pending: Option<Face> = None;
    let all: Vec<Word> = words(fonts, spans, size)
        .into_iter()
        .flat_map(|w| {
            if w.width > max {
                split_word(fonts, size, w, max)
            } else {
                vec![w]
            }
        })
        .collect();
    for word in all {
        let space_w = pending.map_or(0.0, |f| fonts.width(f, size, " "));
        let limit = if lines.is_empty() { first } else { rest };
        let fits = line.runs.is_empty() || line.width + space_w + word.width <= limit + 0.01;
        if !fits {
            lines.push(std::mem::replace(
                &mut line,
                LaidLine {
                    runs: Vec::new(),
                    width: 0.0,
                },
            ));
            pending = None;
        }
        if let Some(face) = pending.filter(|_| !line.runs.is_empty()) {
            append(&mut line.runs, face, " ");
            line.width += fonts.width(face, size, " ");
        }
        for (face, text) in &word.pieces {
            append(&mut line.runs, *face, text);
        }
        line.width += word.width;
        pending = word.space;
        if word.hard_break {
            lines.push(std::mem::replace(
                &mut line,
                LaidLine {
                    runs: Vec::new(),
                    width: 0.0,
                },
            ));
            pending = None;
        }
    }
    if !line.runs.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn append(runs: &mut Vec<(Face, String)>, face: Face, text: &str) {
    match runs.last_mut() {
        Some((f, t)) if *f == face => t.push_str(text),
        _ => runs.push((face, text.to_owned())),
    }
}

fn line_height(size: f32) -> f32 {
    size * LEADING
}

/// Page decorations added once the number of pages is known.
pub(crate) struct Decorations {
    /// Small grey title at the top of the pages after the first.
    pub running_title: String,
    /// Lines at the bottom left of every page (issuer, address).
    pub footer: Vec<String>,
}

/// Places blocks on pages.
pub(crate) struct Composer<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    x: f32,
    width: f32,
}

impl<'f> Composer<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Composer {
            fonts,
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
            x: MARGIN_LEFT,
            width: CONTENT_WIDTH,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP + 14.0;
    }

    fn room(&self) -> f32 {
        FLOW_BOTTOM - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= MARGIN_TOP + 14.0 + 0.01
    }

    fn text(&mut self, x: f32, baseline: f32, face: Face, size: f32, color: Color, text: &str) {
        self.ops().push(Op::Text {
            x,
            y: baseline,
            face,
            size,
            color,
            text: text.to_owned(),
            vertical: false,
        });
    }

    fn hline(&mut self, x1: f32, x2: f32, y: f32, color: Color, width: f32) {
        self.ops().push(Op::Path {
            points: vec![(x1, y), (x2, y)],
            closed: false,
            fill: None,
            line: Some(Line {
                color,
                width,
                dash: None,
            }),
        });
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Color) {
        self.ops().push(Op::Path {
            points: vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h)],
            closed: true,
            fill: Some(color),
            line: None,
        });
    }

    /// Draws laid lines from `top`, aligned in [x, x + width].
    #[expect(
        clippy::too_many_arguments,
        reason = "a line's frame: position, width, size, colour, alignment, hang"
    )]
    fn draw_lines(
        &mut self,
        lines: &[LaidLine],
        x: f32,
        width: f32,
        top: f32,
        size: f32,
        color: Color,
        align: Align,
        hang: f32,
    ) {
        let lh = line_height(size);
        for (i, line) in lines.iter().enumerate() {
            let baseline = top + i as f32 * lh + (lh - size) / 2.0 + size * 0.8;
            let mut cursor = match align {
                Align::Left => x + hang,
                Align::Right => x + width - line.width,
                Align::Center => x + (width - line.width) / 2.0,
            };
            for (face, text) in &line.runs {
                self.text(cursor, baseline, *face, size, color, text);
                cursor += self.fonts.width(*face, size, text);
            }
        }
    }

    /// Height a block takes (without page breaks).
    fn measure(&self, block: &Block) -> f32 {
        match block {
            Block::Para(p) => {
                let w = self.width - p.indent;
                let lines = break_hanging(self.fonts, &p.spans, p.size, w, w - p.hang);
                p.space_before + lines.len() as f32 * line_height(p.size) + p.space_after
            }
            Block::Table(t) => {
                let widths = self.column_widths(t);
                line_height(t.size)
                    + 8.0
                    + t.rows
                        .iter()
                        .map(|r| self.row_lines(t, &widths, r).0)
                        .sum::<f32>()
            }
            Block::Figure {
                drawing,
                width,
                caption,
            } => {
                let h = drawing.height as f32 * width / drawing.width as f32;
                h + 6.0 + caption.as_ref().map_or(0.0, |_| line_height(8.0) + 4.0)
            }
            Block::Space(s) => *s,
            Block::Rule => 10.0,
            Block::Keep(blocks) => blocks.iter().map(|b| self.measure(b)).sum(),
            Block::Columns(cols) => cols
                .iter()
                .map(|(_, w, blocks)| {
                    let inner = Composer {
                        fonts: self.fonts,
                        pages: Vec::new(),
                        y: 0.0,
                        x: 0.0,
                        width: *w,
                    };
                    blocks.iter().map(|b| inner.measure(b)).sum::<f32>()
                })
                .fold(0.0, f32::max),
        }
    }

    pub fn place_all(&mut self, blocks: &[Block]) {
        for (i, b) in blocks.iter().enumerate() {
            if let Block::Para(p) = b
                && p.keep_with_next
            {
                let next = blocks.get(i + 1).map_or(0.0, |n| match n {
                    Block::Para(_) | Block::Keep(_) | Block::Figure { .. } => {
                        self.measure(n).min(60.0)
                    }
                    _ => 60.0,
                });
                if self.measure(b) + next > self.room() && !self.at_top() {
                    self.new_page();
                }
            }
            self.place(b);
        }
    }

    fn place(&mut self, block: &Block) {
        match block {
            Block::Para(p) => self.place_para(p),
            Block::Table(t) => self.place_table(t),
            Block::Figure {
                drawing,
                width,
                caption,
            } => {
                if self.measure(block) > self.room() && !self.at_top() {
                    self.new_page();
                }
                let scale = width / drawing.width as f32;
                let x0 = self.x + (self.width - width) / 2.0;
                let y0 = self.y;
                for s in &drawing.shapes {
                    self.shape(s, x0, y0, scale);
                }
                self.y += drawing.height as f32 * scale + 6.0;
                if let Some(c) = caption {
                    let p = Para::new(vec![Span::italic(c.clone())])
                        .size(8.0)
                        .color(Color::GREY)
                        .align(Align::Center)
                        .after(4.0);
                    self.place_para(&p);
                }
            }
            Block::Space(s) => {
                self.y = (self.y + s).min(FLOW_BOTTOM);
            }
            Block::Rule => {
                let (x, w, y) = (self.x, self.width, self.y + 4.0);
                self.hline(x, x + w, y, Color::LIGHT_GREY, 0.6);
                self.y += 10.0;
            }
            Block::Keep(blocks) => {
                if self.measure(block) > self.room() && !self.at_top() {
                    self.new_page();
                }
                self.place_all(blocks);
            }
            Block::Columns(cols) => {
                if self.measure(block) > self.room() && !self.at_top() {
                    self.new_page();
                }
                let (x, width, top) = (self.x, self.width, self.y);
                let mut bottom = top;
                for (offset, w, blocks) in cols {
                    self.x = x + offset;
                    self.width = *w;
                    self.y = top;
                    self.place_all(blocks);
                    bottom = bottom.max(self.y);
                }
                self.x = x;
                self.width = width;
                self.y = bottom;
            }
        }
    }

    fn place_para(&mut self, p: &Para) {
        let w = self.width - p.indent;
        let lines = break_hanging(self.fonts, &p.spans, p.size, w, w - p.hang);
        let lh = line_height(p.size);
        if !self.at_top() {
            self.y += p.space_before;
        }
        let mut drawn = 0;
        while drawn < lines.len() {
            let rest = lines.len() - drawn;
            let fit = (self.room() / lh).floor().max(0.0) as usize;
            // Keep at least two lines together at a page's foot (no orphan line).
            let fit = if fit < rest && fit < 2 { 0 } else { fit };
            let n = if fit == 0 && self.at_top() {
                1 // taller than a page: draw line by line anyway
            } else {
                fit.min(rest)
            };
            if n == 0 {
                self.new_page();
                continue;
            }
            let (x, y) = (self.x + p.indent, self.y);
            for (i, line) in lines[drawn..drawn + n].iter().enumerate() {
                let hang = if drawn + i == 0 { 0.0 } else { p.hang };
                self.draw_lines(
                    std::slice::from_ref(line),
                    x,
                    w,
                    y + i as f32 * lh,
                    p.size,
                    p.color,
                    p.align,
                    hang,
                );
            }
            self.y += n as f32 * lh;
            drawn += n;
            if drawn < lines.len() {
                self.new_page();
            }
        }
        self.y += p.space_after;
    }

    fn column_widths(&self, t: &Table) -> Vec<f32> {
        let total: f32 = t.columns.iter().map(|c| c.weight).sum::<f32>().max(0.001);
        t.columns
            .iter()
            .map(|c| c.weight / total * self.width)
            .collect()
    }

    const PAD_X: f32 = 4.0;
    const PAD_Y: f32 = 3.0;

    /// The row's height and each cell's lines.
    fn row_lines(&self, t: &Table, widths: &[f32], row: &Row) -> (f32, Vec<Vec<LaidLine>>) {
        let face = match row.kind {
            RowKind::Body => Face::Regular,
            RowKind::Total | RowKind::Section => Face::Bold,
        };
        let cells: Vec<Vec<LaidLine>> = if row.kind == RowKind::Section {
            let text = row.cells.first().cloned().unwrap_or_default();
            vec![break_lines(
                self.fonts,
                &[Span { text, face }],
                t.size,
                self.width - 2.0 * Self::PAD_X,
            )]
        } else {
            widths
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let text = row.cells.get(i).cloned().unwrap_or_default();
                    break_lines(
                        self.fonts,
                        &[Span { text, face }],
                        t.size,
                        w - 2.0 * Self::PAD_X,
                    )
                })
                .collect()
        };
        let n = cells.iter().map(Vec::len).max().unwrap_or(1);
        (n as f32 * line_height(t.size) + 2.0 * Self::PAD_Y, cells)
    }

    fn place_header(&mut self, t: &Table, widths: &[f32]) {
        let header = Row {
            cells: t.columns.iter().map(|c| c.header.clone()).collect(),
            kind: RowKind::Total,
        };
        let (h, cells) = self.row_lines(t, widths, &header);
        let (x, w, y) = (self.x, self.width, self.y);
        self.fill_rect(x, y, w, h, Color::SHADE);
        self.hline(x, x + w, y + h, Color::GREY, 0.8);
        self.draw_cells(t, widths, &cells, y, 0, usize::MAX);
        self.y += h;
    }

    /// Draws lines [from, to) of every cell of a row whose top is `top`.
    fn draw_cells(
        &mut self,
        t: &Table,
        widths: &[f32],
        cells: &[Vec<LaidLine>],
        top: f32,
        from: usize,
        to: usize,
    ) {
        let mut x = self.x;
        let single = cells.len() == 1 && widths.len() > 1;
        for (i, lines) in cells.iter().enumerate() {
            let w = if single { self.width } else { widths[i] };
            let align = if single {
                Align::Left
            } else {
                t.columns[i].align
            };
            let end = to.min(lines.len());
            if from < end {
                self.draw_lines(
                    &lines[from..end],
                    x + Self::PAD_X,
                    w - 2.0 * Self::PAD_X,
                    top + Self::PAD_Y,
                    t.size,
                    Color::TEXT,
                    align,
                    0.0,
                );
            }
            x += w;
        }
    }

    fn place_table(&mut self, t: &Table) {
        let widths = self.column_widths(t);
        let lh = line_height(t.size);
        let (header_h, _) = self.row_lines(
            t,
            &widths,
            &Row {
                cells: t.columns.iter().map(|c| c.header.clone()).collect(),
                kind: RowKind::Total,
            },
        );
        // The header and the first row go together.
        let first = t
            .rows
            .first()
            .map_or(0.0, |r| self.row_lines(t, &widths, r).0);
        if header_h + first > self.room() && !self.at_top() {
            self.new_page();
        }
        self.y += 2.0;
        self.place_header(t, &widths);
        for (k, row) in t.rows.iter().enumerate() {
            let (h, cells) = self.row_lines(t, &widths, row);
            // A total row is never alone at the top of a page: the row before it
            // goes along.
            if let Some(next) = t.rows.get(k + 1).filter(|n| n.kind == RowKind::Total) {
                let fresh = self.y <= MARGIN_TOP + 14.0 + header_h + 2.01;
                let together = h + self.row_lines(t, &widths, next).0;
                if row.kind == RowKind::Body && together > self.room() && !fresh {
                    self.new_page();
                    self.place_header(t, &widths);
                }
            }
            let n = cells.iter().map(Vec::len).max().unwrap_or(1);
            let mut from = 0;
            while from < n {
                let fit = (((self.room() - 2.0 * Self::PAD_Y) / lh).floor().max(0.0)) as usize;
                let fresh = self.y <= MARGIN_TOP + 14.0 + header_h + 2.01;
                if fit < n - from && !(fresh && fit > 0) {
                    self.new_page();
                    self.place_header(t, &widths);
                    continue;
                }
                let to = (from + fit).min(n);
                let part_h = if from == 0 && to == n {
                    h
                } else {
                    (to - from) as f32 * lh + 2.0 * Self::PAD_Y
                };
                let (x, w, y) = (self.x, self.width, self.y);
                match row.kind {
                    RowKind::Total => {
                        self.fill_rect(x, y, w, part_h, Color::SHADE);
                        self.hline(x, x + w, y, Color::TEXT, 0.8);
                    }
                    RowKind::Section => {
                        self.fill_rect(x, y, w, part_h, Color::rgb(0xf5, 0xf5, 0xfe));
                    }
                    RowKind::Body => {}
                }
                self.draw_cells(t, &widths, &cells, y, from, to);
                self.hline(x, x + w, y + part_h, Color::LIGHT_GREY, 0.5);
                self.y += part_h;
                from = to;
                if from < n {
                    self.new_page();
                    self.place_header(t, &widths);
                }
            }
        }
        self.y += 8.0;
    }

    /// A drawing's shape at (x0, y0) scaled by `k`.
    fn shape(&mut self, s: &Shape, x0: f32, y0: f32, k: f32) {
        let px = |x: f64| x0 + x as f32 * k;
        let py = |y: f64| y0 + y as f32 * k;
        let line = |st: &crate::render::drawing::Stroke| Line {
            color: st.color,
            width: st.width as f32 * k,
            dash: st.dash.map(|(d, g)| (d as f32 * k, g as f32 * k)),
        };
        match s {
            Shape::Line {
                from, to, stroke, ..
            } => self.ops().push(Op::Path {
                points: vec![(px(from.0), py(from.1)), (px(to.0), py(to.1))],
                closed: false,
                fill: None,
                line: Some(line(stroke)),
            }),
            Shape::Polyline { points, stroke, .. } => self.ops().push(Op::Path {
                points: points.iter().map(|(x, y)| (px(*x), py(*y))).collect(),
                closed: false,
                fill: None,
                line: Some(line(stroke)),
            }),
            Shape::Circle {
                center,
                radius,
                fill,
                stroke,
                ..
            } => self.ops().push(Op::Circle {
                cx: px(center.0),
                cy: py(center.1),
                r: *radius as f32 * k,
                fill: Some(*fill),
                line: stroke.as_ref().map(line),
            }),
            Shape::Rect {
                x,
                y,
                width,
                height,
                fill,
                stroke,
                ..
            } => {
                let (x1, y1) = (px(*x), py(*y));
                let (x2, y2) = (px(x + width), py(y + height));
                self.ops().push(Op::Path {
                    points: vec![(x1, y1), (x2, y1), (x2, y2), (x1, y2)],
                    closed: true,
                    fill: *fill,
                    line: stroke.as_ref().map(line),
                });
            }
            Shape::Text {
                at,
                text,
                size,
                anchor,
                bold,
                vertical,
                color,
            } => {
                let face = if *bold { Face::Bold } else { Face::Regular };
                let size = *size as f32 * k;
                let w = self.fonts.width(face, size, text);
                let shift = match anchor {
                    Anchor::Start => 0.0,
                    Anchor::Middle => w / 2.0,
                    Anchor::End => w,
                };
                let (x, y) = if *vertical {
                    (px(at.0), py(at.1) + shift)
                } else {
                    (px(at.0) - shift, py(at.1))
                };
                self.ops().push(Op::Text {
                    x,
                    y,
                    face,
                    size,
                    color: *color,
                    text: text.clone(),
                    vertical: *vertical,
                });
            }
            Shape::Clip {
                x,
                y,
                width,
                height,
                shapes,
            } => {
                self.ops().push(Op::Clip {
                    x: px(*x),
                    y: py(*y),
                    w: *width as f32 * k,
                    h: *height as f32 * k,
                });
                for inner in shapes {
                    self.shape(inner, x0, y0, k);
                }
                self.ops().push(Op::Restore);
            }
        }
    }

    /// The pages with their running title and footer (« page / pages »).
    pub fn finish(mut self, deco: &Decorations) -> Vec<Vec<Op>> {
        let total = self.pages.len();
        let fonts = self.fonts;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let rule_y = PAGE_HEIGHT - 50.0;
            page.push(Op::Path {
                points: vec![(MARGIN_LEFT, rule_y), (PAGE_WIDTH - MARGIN_RIGHT, rule_y)],
                closed: false,
                fill: None,
                line: Some(Line {
                    color: Color::LIGHT_GREY,
                    width: 0.6,
                    dash: None,
                }),
            });
            for (j, line) in deco.footer.iter().enumerate() {
                page.push(Op::Text {
                    x: MARGIN_LEFT,
                    y: rule_y + 12.0 + j as f32 * 9.0,
                    face: Face::Regular,
                    size: 7.5,
                    color: Color::GREY,
                    text: line.clone(),
                    vertical: false,
                });
            }
            // « 1 / 3 » set with wide gaps: `pdftotext -layout` drops the gaps of
            // ordinary spaces in a short right-aligned text (it prints « 1/3 »).
            let parts = [(i + 1).to_string(), "/".to_owned(), total.to_string()];
            let gap = 4.5;
            let widths: Vec<f32> = parts
                .iter()
                .map(|p| fonts.width(Face::Regular, 7.5, p))
                .collect();
            let mut x = PAGE_WIDTH - MARGIN_RIGHT - widths.iter().sum::<f32>() - 2.0 * gap;
            for (part, w) in parts.into_iter().zip(widths) {
                page.push(Op::Text {
                    x,
                    y: rule_y + 12.0,
                    face: Face::Regular,
                    size: 7.5,
                    color: Color::TEXT,
                    text: part,
                    vertical: false,
                });
                x += w + gap;
            }
            if i > 0 && !deco.running_title.is_empty() {
                let w = fonts.width(Face::Regular, 7.5, &deco.running_title);
                page.push(Op::Text {
                    x: PAGE_WIDTH - MARGIN_RIGHT - w,
                    y: MARGIN_TOP - 10.0,
                    face: Face::Regular,
                    size: 7.5,
                    color: Color::GREY,
                    text: deco.running_title.clone(),
                    vertical: false,
                });
            }
        }
        self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(line: &LaidLine) -> String {
        line.runs.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn lines_break_at_spaces_never_inside_figures() {
        let fonts = Fonts::load().unwrap();
        let amount = "1\u{202f}234\u{202f}567,89\u{a0}€";
        let text = format!("Le montant notifié est de {amount} pour l'année 2019.");
        // The figure is about 75 points wide at 10 points.
        for max in [80.0, 90.0, 120.0, 200.0] {
            let lines = break_lines(&fonts, &[Span::regular(text.clone())], 10.0, max);
            assert!(
                lines.iter().any(|l| text_of(l).contains(amount)),
                "{max}: {lines:?}"
            );
            for l in &lines {
                assert!(l.width <= max + 0.01 || !text_of(l).contains(' '));
            }
            let joined: Vec<String> = lines.iter().map(text_of).collect();
            assert_eq!(joined.join(" "), text);
        }
    }

    #[test]
    fn hard_breaks_faces_and_long_words() {
        let fonts = Fonts::load().unwrap();
        let spans = [Span::bold("Objet :"), Span::regular(" notification\nsuite")];
        let lines = break_lines(&fonts, &spans, 10.0, 400.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].runs[0], (Face::Bold, "Objet :".to_owned()));
        assert_eq!(text_of(&lines[0]), "Objet : notification");
        let hash = "a".repeat(200);
        let lines = break_lines(&fonts, &[Span::regular(hash.clone())], 8.0, 100.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.width <= 100.01));
        assert_eq!(lines.iter().map(text_of).collect::<String>(), hash);
    }

    #[test]
    fn a_long_table_repeats_its_header_on_each_page() {
        let fonts = Fonts::load().unwrap();
        let mut c = Composer::new(&fonts);
        let rows = (0..120)
            .map(|i| Row::body(vec![format!("ligne {i}"), "x".into()]))
            .collect();
        c.place_all(&[Block::Table(Table::new(
            vec![
                Column::left("Indicateur", 3.0),
                Column::right("Points", 1.0),
            ],
            rows,
        ))]);
        let pages = c.finish(&Decorations {
            running_title: String::new(),
            footer: vec![],
        });
        assert!(pages.len() >= 3, "{}", pages.len());
        for (i, page) in pages.iter().enumerate() {
            let headers = page
                .iter()
                .filter(|op| matches!(op, Op::Text { text, .. } if text == "Indicateur"))
                .count();
            assert_eq!(headers, 1, "page {i}");
            // The footer's number, drawn in three pieces (see `finish`).
            let footer: String = page
                .iter()
                .filter_map(|op| match op {
                    Op::Text { text, y, .. } if *y > PAGE_HEIGHT - 50.0 => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(footer, format!("{}/{}", i + 1, pages.len()));
        }
    }
}
