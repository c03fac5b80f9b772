//! Writes laid-out pages as a PDF file with `pdf-writer`.
//!
//! Fonts are embedded as subsets (`subsetter`): a CID-keyed TrueType font per face used,
//! glyphs addressed by their new ids (Identity-H), with a `/ToUnicode` map so that text
//! can be copied and extracted (`pdftotext`). Streams are deflated. Nothing depends on
//! the clock or on randomness: the dates come from [`Meta::created`], the subset tags
//! and the file identifier are hashes of the content, so the same pages give the same
//! bytes.

use std::collections::BTreeMap;

use jiff::Timestamp;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use crate::error::DocumentError;
use crate::render::drawing::Color;
use crate::render::fonts::{Face, Fonts};

/// A4 portrait, in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;

/// How a path is outlined.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Line {
    pub color: Color,
    pub width: f32,
    pub dash: Option<(f32, f32)>,
}

/// One drawing operation on a page; coordinates in points from the top-left corner.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// Text on its baseline; `vertical` turns it a quarter left.
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: Color,
        text: String,
        vertical: bool,
    },
    Path {
        points: Vec<(f32, f32)>,
        closed: bool,
        fill: Option<Color>,
        line: Option<Line>,
    },
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        fill: Option<Color>,
        line: Option<Line>,
    },
    /// Saves the state and clips what follows to a rectangle, until [`Op::Restore`].
    Clip {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    Restore,
}

/// Document metadata.
pub(crate) struct Meta<'a> {
    pub title: &'a str,
    pub subject: &'a str,
    pub author: &'a str,
    pub created: Timestamp,
}

/// Glyphs used by one face: the remapping to the subset's ids, the character each new
/// id stands for, and its advance.
#[derive(Default)]
struct FaceUse {
    remapper: GlyphRemapper,
    unicode: BTreeMap<u16, char>,
    widths: BTreeMap<u16, f32>,
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// 64-bit FNV-1a: a stable content hash for the subset tags and the file identifier
/// (not a security function).
fn fnv(data: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Six capital letters naming a subset (PDF 32000-1, 9.6.4).
fn subset_tag(glyphs: &BTreeMap<u16, char>) -> String {
    let bytes: Vec<u8> = glyphs.keys().flat_map(|g| g.to_be_bytes()).collect();
    let mut h = fnv(&bytes, 0);
    (0..6)
        .map(|_| {
            let c = char::from(b'A' + (h % 26) as u8);
            h /= 26;
            c
        })
        .collect()
}

fn y(v: f32) -> f32 {
    PAGE_HEIGHT - v
}

fn set_line(content: &mut Content, line: &Line) {
    let [r, g, b] = line.color.unit();
    content.set_stroke_rgb(r, g, b);
    content.set_line_width(line.width);
    match line.dash {
        Some((d, gap)) => content.set_dash_pattern([d, gap], 0.0),
        None => content.set_dash_pattern([], 0.0),
    };
}

fn paint(content: &mut Content, fill: Option<Color>, line: Option<&Line>) {
    if let Some(f) = fill {
        let [r, g, b] = f.unit();
        content.set_fill_rgb(r, g, b);
    }
    if let Some(l) = line {
        set_line(content, l);
    }
    match (fill.is_some(), line.is_some()) {
        (true, true) => content.fill_nonzero_and_stroke(),
        (true, false) => content.fill_nonzero(),
        (false, true) => content.stroke(),
        (false, false) => content.end_path(),
    };
}

/// The page's content stream; records the glyphs used per face.
fn page_content(ops: &[Op], fonts: &Fonts, uses: &mut [FaceUse; 3]) -> Vec<u8> {
    let mut content = Content::new();
    for op in ops {
        match op {
            Op::Text {
                x,
                y: baseline,
                face,
                size,
                color,
                text,
                vertical,
            } => {
                let use_ = &mut uses[face.index()];
                let mut encoded = Vec::with_capacity(text.len() * 2);
                for c in text.chars() {
                    let (glyph, stands_for) = fonts.glyph(*face, c);
                    let new = use_.remapper.remap(glyph);
                    use_.unicode.entry(new).or_insert(stands_for);
                    use_.widths
                        .entry(new)
                        .or_insert_with(|| fonts.advance(*face, glyph));
                    encoded.extend_from_slice(&new.to_be_bytes());
                }
                let [r, g, b] = color.unit();
                content.begin_text();
                content.set_fill_rgb(r, g, b);
                content.set_font(Name(font_name(*face).as_bytes()), *size);
                let matrix = if *vertical {
                    [0.0, 1.0, -1.0, 0.0, *x, y(*baseline)]
                } else {
                    [1.0, 0.0, 0.0, 1.0, *x, y(*baseline)]
                };
                content.set_text_matrix(matrix);
                content.show(Str(&encoded));
                content.end_text();
            }
            Op::Path {
                points,
                closed,
                fill,
                line,
            } => {
                let Some((first, rest)) = points.split_first() else {
                    continue;
                };
                content.move_to(first.0, y(first.1));
                for p in rest {
                    content.line_to(p.0, y(p.1));
                }
                if *closed {
                    content.close_path();
                }
                paint(&mut content, *fill, line.as_ref());
            }
            Op::Circle {
                cx,
                cy,
                r,
                fill,
                line,
            } => {
                // Four Bézier quarters (k = 4/3 (√2 − 1)).
                let k = 0.552_284_8 * r;
                let (cx, cy) = (*cx, y(*cy));
                content.move_to(cx + r, cy);
                content.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
                content.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
                content.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
                content.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
                content.close_path();
                paint(&mut content, *fill, line.as_ref());
            }
            Op::Clip { x, y: top, w, h } => {
                content.save_state();
                content.rect(*x, y(top + h), *w, *h);
                content.clip_nonzero();
                content.end_path();
            }
            Op::Restore => {
                content.restore_state();
            }
        }
    }
    content.finish().to_vec()
}

fn font_name(face: Face) -> String {
    format!("F{}", face.index())
}

fn pdf_date(t: Timestamp) -> pdf_writer::Date {
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let part = |v: i8| u8::try_from(v).unwrap_or(0);
    pdf_writer::Date::new(u16::try_from(dt.year()).unwrap_or(1970))
        .month(part(dt.month()))
        .day(part(dt.day()))
        .hour(part(dt.hour()))
        .minute(part(dt.minute()))
        .second(part(dt.second()))
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// The PDF file of `pages`.
pub(crate) fn write(
    pages: &[Vec<Op>],
    meta: &Meta,
    fonts: &Fonts,
) -> Result<Vec<u8>, DocumentError> {
    let mut uses: [FaceUse; 3] = Default::default();
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .map(|ops| page_content(ops, fonts, &mut uses))
        .collect();

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let font_refs: Vec<(Face, Ref)> = Face::ALL
        .into_iter()
        .filter(|f| !uses[f.index()].unicode.is_empty())
        .map(|f| (f, alloc()))
        .collect();
    let page_refs: Vec<(Ref, Ref)> = contents.iter().map(|_| (alloc(), alloc())).collect();

    let mut cat = pdf.catalog(catalog);
    cat.pages(tree);
    cat.lang(TextStr("fr-FR"));
    cat.viewer_preferences().display_doc_title(true);
    cat.finish();
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(i32::try_from(page_refs.len()).unwrap_or(i32::MAX));

    let mut id_source = Vec::new();
    for ((page, content_id), data) in page_refs.iter().zip(&contents) {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        p.parent(tree);
        p.contents(*content_id);
        let mut resources = p.resources();
        let mut font_dict = resources.fonts();
        for (face, r) in &font_refs {
            font_dict.pair(Name(font_name(*face).as_bytes()), *r);
        }
        font_dict.finish();
        resources.finish();
        p.finish();
        id_source.extend_from_slice(data);
        let compressed = deflate(data);
        pdf.stream(*content_id, &compressed)
            .filter(Filter::FlateDecode);
    }

    for (face, type0) in &font_refs {
        let use_ = &uses[face.index()];
        let cid = alloc();
        let descriptor = alloc();
        let file = alloc();
        let cmap = alloc();
        let base = format!("{}+{}", subset_tag(&use_.unicode), face.postscript_name());
        let base = Name(base.as_bytes());
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(*type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid_font.widths();
        for (glyph, width) in &use_.widths {
            widths.consecutive(*glyph, [*width]);
        }
        widths.finish();
        cid_font.finish();

        let m = fonts.metrics(*face);
        let mut flags = FontFlags::NON_SYMBOLIC;
        if *face == Face::Italic {
            flags |= FontFlags::ITALIC;
        }
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(flags)
            .bbox(Rect::new(m.bbox[0], m.bbox[1], m.bbox[2], m.bbox[3]))
            .italic_angle(m.italic_angle)
            .ascent(m.ascent)
            .descent(m.descent)
            .cap_height(m.cap_height)
            .stem_v(if *face == Face::Bold { 140.0 } else { 80.0 })
            .font_file2(file);

        let subset = subsetter::subset(face.data(), 0, &use_.remapper).map_err(|e| {
            DocumentError::Subset {
                font: face.postscript_name(),
                reason: format!("{e:?}"),
            }
        })?;
        let compressed = deflate(&subset);
        pdf.stream(file, &compressed)
            .filter(Filter::FlateDecode)
            .pair(
                Name(b"Length1"),
                i32::try_from(subset.len()).unwrap_or(i32::MAX),
            );

        let mut unicode = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system);
        for (glyph, c) in &use_.unicode {
            unicode.pair(*glyph, *c);
        }
        let data = deflate(&unicode.finish());
        pdf.cmap(cmap, &data).filter(Filter::FlateDecode);
    }

    let created = pdf_date(meta.created);
    pdf.document_info(info)
        .title(TextStr(meta.title))
        .subject(TextStr(meta.subject))
        .author(TextStr(meta.author))
        .creator(TextStr("caqes"))
        .producer(TextStr(concat!(
            "caqes-documents ",
            env!("CARGO_PKG_VERSION")
        )))
        .creation_date(created)
        .modified_date(created);

    id_source.extend_from_slice(meta.title.as_bytes());
    id_source.extend_from_slice(&meta.created.as_second().to_be_bytes());
    let id = [fnv(&id_source, 1), fnv(&id_source, 2)]
        .iter()
        .flat_map(|h| h.to_be_bytes())
        .collect::<Vec<u8>>();
    pdf.set_file_id((id.clone(), id));
    Ok(pdf.finish())
}
