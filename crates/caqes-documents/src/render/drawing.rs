//! A small vector drawing model shared by the web pages (SVG) and the PDF documents.
//!
//! A chart is built once as a [`Drawing`] (lines, polylines, circles, rectangles, text,
//! clipped groups, in its own units with y pointing down), then written as SVG markup
//! for the pages ([`Drawing::to_svg`]) or drawn as PDF vectors inside a document. The
//! SVG carries the accessibility the pages need: `role="img"`, a `<title>` and a
//! `<desc>` referenced by `aria-labelledby`, and a `<title>` tooltip per mark.

use std::fmt::Write as _;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Color {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Color { r, g, b }
    }
    /// DSFR « grey-50 »: body text.
    pub const TEXT: Color = Color::rgb(0x16, 0x16, 0x16);
    /// DSFR « bleu France »: headings and the reference line.
    pub const BLUE: Color = Color::rgb(0x00, 0x00, 0x91);
    /// DSFR « rouge Marianne » (error): flagged marks and limits.
    pub const RED: Color = Color::rgb(0xce, 0x05, 0x00);
    pub const GREY: Color = Color::rgb(0x66, 0x66, 0x66);
    pub const LIGHT_GREY: Color = Color::rgb(0xdd, 0xdd, 0xdd);
    /// Table header and totals background.
    pub const SHADE: Color = Color::rgb(0xee, 0xee, 0xee);
    pub const WHITE: Color = Color::rgb(0xff, 0xff, 0xff);

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// Components in [0, 1] for PDF operators.
    pub(crate) fn unit(self) -> [f32; 3] {
        [
            f32::from(self.r) / 255.0,
            f32::from(self.g) / 255.0,
            f32::from(self.b) / 255.0,
        ]
    }
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    pub color: Color,
    pub width: f64,
    /// Dash and gap lengths; `None` for a solid line.
    pub dash: Option<(f64, f64)>,
}

impl Stroke {
    pub fn solid(color: Color, width: f64) -> Self {
        Stroke {
            color,
            width,
            dash: None,
        }
    }
    pub fn dashed(color: Color, width: f64, dash: f64, gap: f64) -> Self {
        Stroke {
            color,
            width,
            dash: Some((dash, gap)),
        }
    }
}

/// Horizontal alignment of a text on its anchor point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One mark of a drawing. `title` is the tooltip of the mark in SVG (its accessible
/// name); the PDF has the figures in the document's text instead.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Line {
        from: (f64, f64),
        to: (f64, f64),
        stroke: Stroke,
        title: Option<String>,
    },
    Polyline {
        points: Vec<(f64, f64)>,
        stroke: Stroke,
        title: Option<String>,
    },
    Circle {
        center: (f64, f64),
        radius: f64,
        fill: Color,
        stroke: Option<Stroke>,
        title: Option<String>,
    },
    Rect {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        fill: Option<Color>,
        stroke: Option<Stroke>,
        title: Option<String>,
    },
    /// Text on its baseline at `at`; `vertical` turns it a quarter left (axis titles).
    Text {
        at: (f64, f64),
        text: String,
        size: f64,
        anchor: Anchor,
        bold: bool,
        vertical: bool,
        color: Color,
    },
    /// Shapes drawn only inside a rectangle (curves leaving the plot area).
    Clip {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        shapes: Vec<Shape>,
    },
}

/// A picture in its own units (`width` × `height`, y pointing down).
#[derive(Clone, Debug, PartialEq)]
pub struct Drawing {
    /// Prefix of the ids of the title, description and clip paths, unique in a page.
    pub id: String,
    pub width: f64,
    pub height: f64,
    /// Accessible name.
    pub title: String,
    /// Accessible description: what the picture shows, in words.
    pub description: String,
    /// CSS class of the `<svg>` element.
    pub class: String,
    pub shapes: Vec<Shape>,
}

/// XML text escaping for labels that come from imported data.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A length: one decimal, « .0 » dropped (`4`, `1.2`).
fn num(v: f64) -> String {
    let text = format!("{v:.1}");
    match text.strip_suffix(".0") {
        Some(t) => t.to_owned(),
        None => text,
    }
}

fn stroke_attrs(stroke: &Stroke) -> String {
    let mut out = format!(
        r#" stroke="{}" stroke-width="{}""#,
        stroke.color.hex(),
        num(stroke.width)
    );
    if let Some((dash, gap)) = stroke.dash {
        let _ = write!(out, r#" stroke-dasharray="{} {}""#, num(dash), num(gap));
    }
    out
}

/// `<title>…</title>` then the closing tag, or a self-closing element.
fn close(svg: &mut String, element: &str, title: &Option<String>) {
    match title {
        Some(t) => {
            let _ = write!(svg, "><title>{}</title></{element}>", escape(t));
        }
        None => svg.push_str("/>"),
    }
}

impl Drawing {
    /// The SVG markup (no JavaScript, no external asset).
    pub fn to_svg(&self) -> String {
        let id = escape(&self.id);
        let mut svg = String::new();
        // `write!` to a String cannot fail.
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" class="{}"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
            num(self.width),
            num(self.height),
            escape(&self.class),
            escape(&self.title),
            escape(&self.description),
        );
        let mut clips = 0;
        for shape in &self.shapes {
            write_shape(&mut svg, shape, &id, &mut clips);
        }
        svg.push_str("</svg>");
        svg
    }
}

fn write_shape(svg: &mut String, shape: &Shape, id: &str, clips: &mut usize) {
    match shape {
        Shape::Line {
            from,
            to,
            stroke,
            title,
        } => {
            let _ = write!(
                svg,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"{}"#,
                from.0,
                from.1,
                to.0,
                to.1,
                stroke_attrs(stroke)
            );
            close(svg, "line", title);
        }
        Shape::Polyline {
            points,
            stroke,
            title,
        } => {
            let pts: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none"{} points="{}""#,
                stroke_attrs(stroke),
                pts.join(" ")
            );
            close(svg, "polyline", title);
        }
        Shape::Circle {
            center,
            radius,
            fill,
            stroke,
            title,
        } => {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{}""#,
                center.0,
                center.1,
                num(*radius),
                fill.hex()
            );
            if let Some(s) = stroke {
                let _ = write!(svg, r#" stroke="{}""#, s.color.hex());
                if s.width != 1.0 {
                    let _ = write!(svg, r#" stroke-width="{}""#, num(s.width));
                }
            }
            close(svg, "circle", title);
        }
        Shape::Rect {
            x,
            y,
            width,
            height,
            fill,
            stroke,
            title,
        } => {
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{height:.1}" fill="{}"{}"#,
                fill.map_or_else(|| "none".to_owned(), Color::hex),
                stroke.as_ref().map(stroke_attrs).unwrap_or_default()
            );
            close(svg, "rect", title);
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
            let anchor = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" font-size="{}" fill="{}""#,
                at.0,
                at.1,
                num(*size),
                color.hex()
            );
            if *bold {
                svg.push_str(r#" font-weight="bold""#);
            }
            if *vertical {
                let _ = write!(svg, r#" transform="rotate(-90 {:.1} {:.1})""#, at.0, at.1);
            }
            let _ = write!(svg, ">{}</text>", escape(text));
        }
        Shape::Clip {
            x,
            y,
            width,
            height,
            shapes,
        } => {
            *clips += 1;
            let clip_id = if *clips == 1 {
                format!("{id}-zone")
            } else {
                format!("{id}-zone{clips}")
            };
            let _ = write!(
                svg,
                r#"<clipPath id="{clip_id}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath><g clip-path="url(#{clip_id})">"#,
                num(*x),
                num(*y),
                num(*width),
                num(*height)
            );
            for s in shapes {
                write_shape(svg, s, id, clips);
            }
            svg.push_str("</g>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_accessible_escaped_and_clipped() {
        let d = Drawing {
            id: "g1".into(),
            width: 100.0,
            height: 50.0,
            title: "Titre <b>".into(),
            description: "Deux marques".into(),
            class: "graphique".into(),
            shapes: vec![
                Shape::Clip {
                    x: 10.0,
                    y: 0.0,
                    width: 80.0,
                    height: 40.0,
                    shapes: vec![Shape::Polyline {
                        points: vec![(0.0, 0.0), (50.0, 25.5)],
                        stroke: Stroke::dashed(Color::RED, 1.2, 5.0, 4.0),
                        title: Some("Limite".into()),
                    }],
                },
                Shape::Text {
                    at: (5.0, 25.0),
                    text: "Axe & titre".into(),
                    size: 11.0,
                    anchor: Anchor::Middle,
                    bold: false,
                    vertical: true,
                    color: Color::TEXT,
                },
            ],
        };
        let svg = d.to_svg();
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50""#));
        assert!(svg.contains(r#"role="img" aria-labelledby="g1-t g1-d""#));
        assert!(svg.contains(r#"<title id="g1-t">Titre &lt;b&gt;</title>"#));
        assert!(
            svg.contains(r##"<g clip-path="url(#g1-zone)"><polyline fill="none" stroke="#ce0500" stroke-width="1.2" stroke-dasharray="5 4" points="0.0,0.0 50.0,25.5"><title>Limite</title></polyline></g>"##),
            "{svg}"
        );
        assert!(svg.contains(r#"transform="rotate(-90 5.0 25.0)">Axe &amp; titre</text>"#));
        assert!(svg.ends_with("</svg>"));
    }
}
