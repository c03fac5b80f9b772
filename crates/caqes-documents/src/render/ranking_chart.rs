//! Horizontal bars ranked from the largest: the top 15 classes or products by amount,
//! establishments by rate against a target. One bar per line with its label on the left
//! and its value (already formatted in French by the caller) at its end; an optional
//! reference line (a national target) crosses the bars. Written as SVG for the pages and
//! usable as a [`Drawing`] in the PDF documents; the page shows the same figures in a
//! table, the chart's text alternative.

use crate::render::drawing::{Anchor, Color, Drawing, Shape, Stroke};

/// One bar of a [`RankingChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct RankingBar {
    pub label: String,
    pub value: f64,
    /// The value as the page writes it (« 1 234 567,89 € », « 45,5 % »).
    pub value_text: String,
    /// Drawn in the alert colour (the entity of the page among the others).
    pub highlighted: bool,
}

/// A vertical line at `value` across the bars, with its legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub value: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RankingChart {
    /// Prefix of the ids of the title and description, unique in the page.
    pub id: String,
    pub title: String,
    pub bars: Vec<RankingBar>,
    pub reference: Option<Reference>,
}

const WIDTH: f64 = 720.0;
/// Room for the labels on the left.
const LABEL_W: f64 = 300.0;
/// Room for the values on the right of the longest bar.
const VALUE_W: f64 = 130.0;
const TOP: f64 = 12.0;
const ROW: f64 = 22.0;
const BAR: f64 = 14.0;
/// Below the bars: the reference's legend.
const FOOT: f64 = 24.0;
/// Labels longer than this are cut (the bar's tooltip and the table keep them whole).
const LABEL_CHARS: usize = 44;

fn text(at: (f64, f64), text: String, anchor: Anchor, color: Color) -> Shape {
    Shape::Text {
        at,
        text,
        size: 11.0,
        anchor,
        bold: false,
        vertical: false,
        color,
    }
}

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

impl RankingChart {
    pub fn height(&self) -> f64 {
        TOP + ROW * self.bars.len().max(1) as f64 + FOOT
    }

    pub fn to_drawing(&self) -> Drawing {
        let plot_w = WIDTH - LABEL_W - VALUE_W;
        let max = self
            .bars
            .iter()
            .map(|b| b.value)
            .chain(self.reference.as_ref().map(|r| r.value))
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let scale = if max > 0.0 { plot_w / max } else { 0.0 };
        let width_of = |v: f64| {
            if v.is_finite() {
                (v.max(0.0) * scale).min(plot_w)
            } else {
                0.0
            }
        };
        let mut shapes = Vec::new();
        for (i, b) in self.bars.iter().enumerate() {
            let y = TOP + ROW * i as f64;
            let w = width_of(b.value);
            shapes.push(text(
                (LABEL_W - 8.0, y + BAR - 3.0),
                short(&b.label),
                Anchor::End,
                Color::TEXT,
            ));
            shapes.push(Shape::Rect {
                x: LABEL_W,
                y,
                width: w,
                height: BAR,
                fill: Some(if b.highlighted {
                    Color::RED
                } else {
                    Color::BLUE
                }),
                stroke: None,
                title: Some(format!("{} : {}", b.label, b.value_text)),
            });
            shapes.push(text(
                (LABEL_W + w + 6.0, y + BAR - 3.0),
                b.value_text.clone(),
                Anchor::Start,
                Color::TEXT,
            ));
        }
        let bottom = TOP + ROW * self.bars.len().max(1) as f64;
        shapes.push(Shape::Line {
            from: (LABEL_W, TOP - 4.0),
            to: (LABEL_W, bottom),
            stroke: Stroke::solid(Color::GREY, 1.0),
            title: None,
        });
        if let Some(r) = &self.reference {
            let x = LABEL_W + width_of(r.value);
            shapes.push(Shape::Line {
                from: (x, TOP - 4.0),
                to: (x, bottom),
                stroke: Stroke::dashed(Color::TEXT, 1.5, 5.0, 3.0),
                title: Some(r.label.clone()),
            });
            shapes.push(text(
                (x, bottom + 16.0),
                r.label.clone(),
                Anchor::Middle,
                Color::TEXT,
            ));
        }
        let mut description = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{}. {} : {}", i + 1, b.label, b.value_text))
            .collect::<Vec<_>>()
            .join(" ; ");
        if self.bars.is_empty() {
            description = "Aucune donnée".into();
        }
        if let Some(r) = &self.reference {
            description.push_str(&format!(" ; ligne de référence : {}", r.label));
        }
        Drawing {
            id: self.id.clone(),
            width: WIDTH,
            height: self.height(),
            title: self.title.clone(),
            description: format!("{description}."),
            class: "graphique-classement".into(),
            shapes,
        }
    }

    pub fn to_svg(&self) -> String {
        self.to_drawing().to_svg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> RankingChart {
        RankingChart {
            id: "top-classes".into(),
            title: "Top 15 des classes ATC".into(),
            bars: vec![
                RankingBar {
                    label: "L04AB <anti-TNF> & co".into(),
                    value: 200.0,
                    value_text: "200\u{a0}€".into(),
                    highlighted: false,
                },
                RankingBar {
                    label: "A".repeat(60),
                    value: 50.0,
                    value_text: "50\u{a0}€".into(),
                    highlighted: true,
                },
            ],
            reference: Some(Reference {
                value: 100.0,
                label: "Cible 100\u{a0}€".into(),
            }),
        }
    }

    #[test]
    fn the_svg_is_accessible_and_escapes_labels() {
        let svg = chart().to_svg();
        assert!(svg.contains(r#"role="img" aria-labelledby="top-classes-t top-classes-d""#));
        assert!(svg.contains(r#"<title id="top-classes-t">Top 15 des classes ATC</title>"#));
        assert!(svg.contains(
            "<desc id=\"top-classes-d\">1. L04AB &lt;anti-TNF&gt; &amp; co : 200\u{a0}€ ; 2. "
        ));
        assert!(!svg.contains("<anti-TNF>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        // The long label is cut on the chart, whole in the tooltip.
        assert!(svg.contains(&format!("{}…", "A".repeat(43))));
        assert!(svg.contains(&format!("<title>{} : 50\u{a0}€</title>", "A".repeat(60))));
    }

    #[test]
    fn bars_are_proportional_and_the_reference_is_placed_on_the_scale() {
        let svg = chart().to_svg();
        // The largest value (200) takes the whole plot width, 50 a quarter of it.
        let plot = WIDTH - LABEL_W - VALUE_W;
        assert!(svg.contains(&format!(r#"width="{plot:.1}""#)), "{svg}");
        assert!(
            svg.contains(&format!(r#"width="{:.1}""#, plot / 4.0)),
            "{svg}"
        );
        // The target line at 100: x = 300 + 145.
        assert!(svg.contains(&format!(r#"x1="{:.1}""#, LABEL_W + plot / 2.0)));
        assert!(svg.contains("fill=\"#ce0500\""));
    }
}
