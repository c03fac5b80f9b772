//! Page composition: blocks placed on A4 pages, tables split with their header row
//! repeated, then the running title and the footer once the number of pages is known.

use crate::render::drawing::{Anchor, Color, Shape};
use crate::render::fonts::{Face, Fonts};
use crate::render::layout::lines::{LaidLine, break_hanging, break_lines, line_height};
use crate::render::layout::{
    Align, Block, CONTENT_WIDTH, FLOW_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, Para, Row,
    RowKind, Span, Table,
};
use crate::render::pdf::{Line, Op, PAGE_HEIGHT, PAGE_WIDTH};

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
    use crate::render::layout::Column;

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
