//! The dashboards' bar charts (issue 12), drawn on the server as a [`Drawing`]:
//! - [`GaugeChart`]: horizontal bars, each value against its own maximum (points per
//!   part against the part's maximum, dossiers per state against the campaign's total);
//! - [`GroupedBarChart`]: vertical bars grouped by class, one bar per series (the
//!   region's score distribution by band, one series per category).
//!
//! Like every chart of the house, the SVG carries `role="img"`, `<title>` and `<desc>`;
//! the pages show the same figures in a table next to it (the text alternative).

use crate::render::drawing::{Anchor, Color, Drawing, Shape, Stroke};
use crate::render::scale::{AXIS, PALETTE, fr, text, ticks};

/// One row of a [`GaugeChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct GaugeRow {
    pub label: String,
    pub value: f64,
    pub max: f64,
    /// The figures as the page writes them (« 37,5 / 50 »).
    pub text: String,
}

/// Horizontal bars: the light bar is the maximum, the dark one the value.
#[derive(Clone, Debug, PartialEq)]
pub struct GaugeChart {
    pub id: String,
    pub title: String,
    pub rows: Vec<GaugeRow>,
}

const GAUGE_WIDTH: f64 = 640.0;
const GAUGE_LABEL: f64 = 230.0;
const GAUGE_BAR: f64 = 300.0;
const GAUGE_ROW: f64 = 30.0;

/// A label shortened to fit the left column (the full text is in the bar's tooltip
/// and in the table).
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let cut: String = label.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// A label on one line, or cut at a space into two lines of at most `max` characters
/// (the second shortened with « … » if it is still too long).
fn two_lines(label: &str, max: usize) -> Vec<String> {
    if label.chars().count() <= max {
        return vec![label.to_owned()];
    }
    let mut first = String::new();
    let mut rest = String::new();
    for word in label.split(' ') {
        if rest.is_empty() && first.chars().count() + word.chars().count() < max {
            if !first.is_empty() {
                first.push(' ');
            }
            first.push_str(word);
        } else {
            if !rest.is_empty() {
                rest.push(' ');
            }
            rest.push_str(word);
        }
    }
    if first.is_empty() {
        return vec![short(label, max)];
    }
    vec![first, short(&rest, max)]
}

impl GaugeChart {
    pub fn to_drawing(&self) -> Drawing {
        let scale = self
            .rows
            .iter()
            .map(|r| r.max.max(r.value))
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let scale = if scale > 0.0 { scale } else { 1.0 };
        let mut shapes = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            let y = 8.0 + GAUGE_ROW * i as f64;
            let w = |v: f64| {
                if v.is_finite() {
                    v.clamp(0.0, scale) / scale * GAUGE_BAR
                } else {
                    0.0
                }
            };
            // A long label takes two lines rather than losing its end (part titles).
            let lines = two_lines(&r.label, 34);
            let first = if lines.len() > 1 { y + 9.0 } else { y + 15.0 };
            for (k, line) in lines.into_iter().enumerate() {
                shapes.push(text(
                    (GAUGE_LABEL - 8.0, first + 12.0 * k as f64),
                    line,
                    Anchor::End,
                ));
            }
            shapes.push(Shape::Rect {
                x: GAUGE_LABEL,
                y: y + 3.0,
                width: w(r.max),
                height: 16.0,
                fill: Some(Color::SHADE),
                stroke: Some(Stroke::solid(Color::LIGHT_GREY, 1.0)),
                title: None,
            });
            shapes.push(Shape::Rect {
                x: GAUGE_LABEL,
                y: y + 3.0,
                width: w(r.value),
                height: 16.0,
                fill: Some(Color::BLUE),
                stroke: None,
                title: Some(format!("{} : {}", r.label, r.text)),
            });
            shapes.push(text(
                (GAUGE_LABEL + GAUGE_BAR + 8.0, y + 15.0),
                r.text.clone(),
                Anchor::Start,
            ));
        }
        let description = self
            .rows
            .iter()
            .map(|r| format!("{} : {}", r.label, r.text))
            .collect::<Vec<_>>()
            .join(" ; ");
        Drawing {
            id: self.id.clone(),
            width: GAUGE_WIDTH,
            height: 16.0 + GAUGE_ROW * self.rows.len() as f64,
            title: self.title.clone(),
            description: format!("{description}."),
            class: "graphique-jauges".into(),
            shapes,
        }
    }

    pub fn to_svg(&self) -> String {
        self.to_drawing().to_svg()
    }
}

/// One series of a [`GroupedBarChart`]: a value per group.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<f64>,
}

/// Vertical bars grouped by class, one colour per series, with a legend.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupedBarChart {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub groups: Vec<String>,
    pub series: Vec<Series>,
}

const WIDTH: f64 = 640.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const PLOT_H: f64 = 220.0;
const LEGEND_ROW: f64 = 18.0;

impl GroupedBarChart {
    pub fn to_drawing(&self) -> Drawing {
        // The legend above the plot: two series per row.
        let legend_rows = self.series.len().div_ceil(2);
        let top = 12.0 + LEGEND_ROW * legend_rows as f64;
        let plot_w = WIDTH - LEFT - RIGHT;
        let height = top + PLOT_H + 44.0;
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let y_max = if max > 0.0 { max * 1.15 } else { 1.0 };
        let sy = |v: f64| top + PLOT_H - v.clamp(0.0, y_max) / y_max * PLOT_H;
        let mut shapes = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let x = 16.0 + (i % 2) as f64 * 310.0;
            let y = 8.0 + LEGEND_ROW * (i / 2) as f64;
            shapes.push(Shape::Rect {
                x,
                y,
                width: 12.0,
                height: 12.0,
                fill: Some(PALETTE[i % PALETTE.len()]),
                stroke: None,
                title: None,
            });
            shapes.push(text(
                (x + 18.0, y + 10.0),
                short(&s.label, 44),
                Anchor::Start,
            ));
        }
        let axis = Stroke::solid(AXIS, 1.0);
        shapes.push(Shape::Line {
            from: (LEFT, top + PLOT_H),
            to: (LEFT + plot_w, top + PLOT_H),
            stroke: axis,
            title: None,
        });
        shapes.push(Shape::Line {
            from: (LEFT, top),
            to: (LEFT, top + PLOT_H),
            stroke: axis,
            title: None,
        });
        for t in ticks(0.0, y_max) {
            shapes.push(text((LEFT - 6.0, sy(t) + 4.0), fr(t, 2), Anchor::End));
        }
        shapes.push(text(
            (LEFT + plot_w / 2.0, height - 6.0),
            self.x_label.clone(),
            Anchor::Middle,
        ));
        shapes.push(Shape::Text {
            at: (14.0, top + PLOT_H / 2.0),
            text: self.y_label.clone(),
            size: 11.0,
            anchor: Anchor::Middle,
            bold: false,
            vertical: true,
            color: Color::TEXT,
        });
        let groups = self.groups.len().max(1) as f64;
        let slot = plot_w / groups;
        let n = self.series.len().max(1) as f64;
        let bar = slot * 0.8 / n;
        for (g, label) in self.groups.iter().enumerate() {
            let x0 = LEFT + slot * g as f64 + slot * 0.1;
            for (i, s) in self.series.iter().enumerate() {
                let v = s.values.get(g).copied().filter(|v| v.is_finite());
                let v = v.unwrap_or(0.0);
                let x = x0 + bar * i as f64;
                shapes.push(Shape::Rect {
                    x,
                    y: sy(v),
                    width: bar,
                    height: top + PLOT_H - sy(v),
                    fill: Some(PALETTE[i % PALETTE.len()]),
                    stroke: None,
                    title: Some(format!("{label}, {} : {}", s.label, fr(v, 2))),
                });
            }
            shapes.push(text(
                (x0 + slot * 0.4, top + PLOT_H + 16.0),
                label.clone(),
                Anchor::Middle,
            ));
        }
        let description = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, label)| {
                let values = self
                    .series
                    .iter()
                    .map(|s| {
                        format!(
                            "{} {}",
                            s.label,
                            fr(s.values.get(g).copied().unwrap_or(0.0), 2)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{label} : {values}")
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        Drawing {
            id: self.id.clone(),
            width: WIDTH,
            height,
            title: self.title.clone(),
            description: format!("{description}."),
            class: "graphique-barres-groupees".into(),
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

    fn widths(d: &Drawing) -> Vec<f64> {
        d.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { width, title, .. } if title.is_some() => Some(*width),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn long_labels_take_two_lines() {
        assert_eq!(two_lines("I — Bon usage", 34), vec!["I — Bon usage"]);
        assert_eq!(
            two_lines(
                "III — Engagements relatifs aux produits de santé prescrits en établissement",
                34
            ),
            vec![
                "III — Engagements relatifs aux",
                "produits de santé prescrits en ét…"
            ]
        );
    }

    #[test]
    fn gauges_are_drawn_against_the_largest_maximum() {
        let chart = GaugeChart {
            id: "parties".into(),
            title: "Points par partie".into(),
            rows: vec![
                GaugeRow {
                    label: "I <Bon usage>".into(),
                    value: 25.0,
                    max: 50.0,
                    text: "25 / 50".into(),
                },
                GaugeRow {
                    label: "II".into(),
                    value: 10.0,
                    max: 25.0,
                    text: "10 / 25".into(),
                },
            ],
        };
        let d = chart.to_drawing();
        // Value bars: 25/50 and 10/50 of the 300-unit bar.
        assert_eq!(widths(&d), vec![150.0, 60.0]);
        assert_eq!(d.description, "I <Bon usage> : 25 / 50 ; II : 10 / 25.");
        let svg = chart.to_svg();
        assert!(svg.contains(r#"role="img" aria-labelledby="parties-t parties-d""#));
        assert!(svg.contains("<title>I &lt;Bon usage&gt; : 25 / 50</title>"));
    }

    #[test]
    fn grouped_bars_are_proportional_and_described() {
        let chart = GroupedBarChart {
            id: "distribution".into(),
            title: "Répartition".into(),
            x_label: "Score".into(),
            y_label: "Établissements".into(),
            groups: vec!["moins de 20".into(), "80 et plus".into()],
            series: vec![
                Series {
                    label: "MCO".into(),
                    values: vec![1.0, 4.0],
                },
                Series {
                    label: "SSR".into(),
                    values: vec![2.0, 0.0],
                },
            ],
        };
        let d = chart.to_drawing();
        let heights: Vec<f64> = d
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect {
                    height,
                    title: Some(_),
                    ..
                } => Some(*height),
                _ => None,
            })
            .collect();
        assert_eq!(heights.len(), 4);
        assert!((heights[2] / heights[0] - 4.0).abs() < 1e-9);
        assert!((heights[1] / heights[0] - 2.0).abs() < 1e-9);
        assert_eq!(heights[3], 0.0);
        assert_eq!(
            d.description,
            "moins de 20 : MCO 1, SSR 2 ; 80 et plus : MCO 4, SSR 0."
        );
    }
}
