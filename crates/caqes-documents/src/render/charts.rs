//! Charts drawn on the server: no JavaScript, no external asset. Each chart is
//! built once as a [`Drawing`], written as SVG for the pages ([`FunnelChart::to_svg`])
//! and drawn as vectors in the PDF documents. The SVG carries an accessible name and
//! description (`role="img"`, `<title>`, `<desc>`); the pages and documents show the
//! same figures in a table, which is the text alternative. Curves are clipped to the
//! plot area.

use crate::render::drawing::{Anchor, Color, Drawing, Shape, Stroke};
use crate::render::scale::{AXIS, INK, fr, text as label, ticks};

/// One limit curve: its label and points (x, y), x increasing.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub label: String,
    /// Dashed for the alert limits, solid for the targeting limits.
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

/// One entity on the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    pub x: f64,
    pub y: f64,
    /// Crosses the targeting limit: drawn filled and larger.
    pub flagged: bool,
}

/// A funnel plot: the observed rate of each entity against its size, with the
/// reference line and the control limits around it.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelChart {
    /// Prefix of the ids of the title and description, unique in the page.
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub reference: f64,
    pub curves: Vec<Curve>,
    pub points: Vec<Point>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;
/// The two axes and their titles, shared by the charts.
fn axes(shapes: &mut Vec<Shape>, plot_w: f64, plot_h: f64, x_label: &str, y_label: &str) {
    let axis = Stroke::solid(AXIS, 1.0);
    shapes.push(Shape::Line {
        from: (LEFT, TOP + plot_h),
        to: (LEFT + plot_w, TOP + plot_h),
        stroke: axis,
        title: None,
    });
    shapes.push(Shape::Line {
        from: (LEFT, TOP),
        to: (LEFT, TOP + plot_h),
        stroke: axis,
        title: None,
    });
    shapes.push(label(
        (LEFT + plot_w / 2.0, HEIGHT - 8.0),
        x_label.to_owned(),
        Anchor::Middle,
    ));
    shapes.push(Shape::Text {
        at: (14.0, TOP + plot_h / 2.0),
        text: y_label.to_owned(),
        size: 11.0,
        anchor: Anchor::Middle,
        bold: false,
        vertical: true,
        color: INK,
    });
}

impl FunnelChart {
    /// The ranges of both axes: every point, curve and the reference, with a
    /// margin; y starts at 0 (rates and ratios are non-negative).
    fn bounds(&self) -> (f64, f64, f64) {
        let xs = self.points.iter().map(|p| p.x).chain(
            self.curves
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.0)),
        );
        // The limits widen without bound for small sizes: the y range follows
        // the entities and the reference only, the curves are clipped to it.
        let ys = self.points.iter().map(|p| p.y).chain([self.reference]);
        let x_max = xs.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
        let y_max = ys.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
        (0.0, x_max.max(1.0) * 1.05, y_max.max(f64::EPSILON) * 1.5)
    }

    /// The chart as a drawing (for the PDF documents).
    pub fn to_drawing(&self) -> Drawing {
        let (x_min, x_max, y_max) = self.bounds();
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let sx = |x: f64| LEFT + (x - x_min) / (x_max - x_min) * plot_w;
        let sy = |y: f64| TOP + plot_h - y.clamp(0.0, y_max * 1.2) / y_max * plot_h;
        let flagged: Vec<&str> = self
            .points
            .iter()
            .filter(|p| p.flagged)
            .map(|p| p.label.as_str())
            .collect();
        let description = format!(
            "{} établissement(s) ; référence {} ; au-delà de la limite de ciblage : {}.",
            self.points.len(),
            fr(self.reference, 3),
            if flagged.is_empty() {
                "aucun".to_owned()
            } else {
                flagged.join(", ")
            },
        );
        let mut shapes = Vec::new();
        axes(&mut shapes, plot_w, plot_h, &self.x_label, &self.y_label);
        for t in ticks(x_min, x_max) {
            shapes.push(label(
                (sx(t), TOP + plot_h + 14.0),
                fr(t, 2),
                Anchor::Middle,
            ));
        }
        for t in ticks(0.0, y_max) {
            shapes.push(label((LEFT - 6.0, sy(t) + 4.0), fr(t, 3), Anchor::End));
        }
        shapes.push(Shape::Line {
            from: (LEFT, sy(self.reference)),
            to: (LEFT + plot_w, sy(self.reference)),
            stroke: Stroke::solid(Color::BLUE, 1.5),
            title: Some(format!("Référence {}", fr(self.reference, 3))),
        });
        // Limit curves, clipped to the plot area.
        let curves = self
            .curves
            .iter()
            .filter_map(|c| {
                let points: Vec<(f64, f64)> = c
                    .points
                    .iter()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .map(|(x, y)| (sx(*x), sy(*y)))
                    .collect();
                (points.len() >= 2).then(|| Shape::Polyline {
                    points,
                    stroke: if c.dashed {
                        Stroke::dashed(Color::RED, 1.2, 5.0, 4.0)
                    } else {
                        Stroke::solid(Color::RED, 1.2)
                    },
                    title: Some(c.label.clone()),
                })
            })
            .collect();
        shapes.push(Shape::Clip {
            x: LEFT,
            y: TOP,
            width: plot_w,
            height: plot_h,
            shapes: curves,
        });
        for p in &self.points {
            shapes.push(Shape::Circle {
                center: (sx(p.x), sy(p.y)),
                radius: if p.flagged { 6.0 } else { 4.0 },
                fill: if p.flagged { Color::RED } else { Color::WHITE },
                stroke: Some(Stroke::solid(INK, 1.0)),
                title: Some(format!("{} : {}", p.label, fr(p.y, 3))),
            });
        }
        Drawing {
            id: self.id.clone(),
            width: WIDTH,
            height: HEIGHT,
            title: self.title.clone(),
            description,
            class: "graphique-entonnoir".into(),
            shapes,
        }
    }

    /// The SVG markup (for the pages).
    pub fn to_svg(&self) -> String {
        self.to_drawing().to_svg()
    }
}

/// One bar of a [`BarChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Drawn in the alert colour (the value is the one to notice).
    pub highlighted: bool,
}

/// Vertical bars with their value written on top: a distribution (establishments
/// per score band) or points earned per part.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub bars: Vec<Bar>,
    /// Decimals of the values written on the bars.
    pub digits: usize,
}

impl BarChart {
    pub fn to_drawing(&self) -> Drawing {
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let max = self
            .bars
            .iter()
            .map(|b| b.value)
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let y_max = if max > 0.0 { max * 1.15 } else { 1.0 };
        let sy = |y: f64| TOP + plot_h - y.clamp(0.0, y_max) / y_max * plot_h;
        let mut shapes = Vec::new();
        axes(&mut shapes, plot_w, plot_h, &self.x_label, &self.y_label);
        for t in ticks(0.0, y_max) {
            shapes.push(label((LEFT - 6.0, sy(t) + 4.0), fr(t, 3), Anchor::End));
        }
        let n = self.bars.len().max(1) as f64;
        let slot = plot_w / n;
        for (i, b) in self.bars.iter().enumerate() {
            let x = LEFT + slot * i as f64 + slot * 0.18;
            let w = slot * 0.64;
            let value = if b.value.is_finite() { b.value } else { 0.0 };
            let text = fr(value, self.digits);
            shapes.push(Shape::Rect {
                x,
                y: sy(value),
                width: w,
                height: TOP + plot_h - sy(value),
                fill: Some(if b.highlighted {
                    Color::RED
                } else {
                    Color::BLUE
                }),
                stroke: None,
                title: Some(format!("{} : {text}", b.label)),
            });
            shapes.push(label((x + w / 2.0, sy(value) - 4.0), text, Anchor::Middle));
            shapes.push(label(
                (x + w / 2.0, TOP + plot_h + 14.0),
                b.label.clone(),
                Anchor::Middle,
            ));
        }
        let description = self
            .bars
            .iter()
            .map(|b| format!("{} : {}", b.label, fr(b.value, self.digits)))
            .collect::<Vec<_>>()
            .join(" ; ");
        Drawing {
            id: self.id.clone(),
            width: WIDTH,
            height: HEIGHT,
            title: self.title.clone(),
            description: format!("{description}."),
            class: "graphique-barres".into(),
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

    fn chart() -> FunnelChart {
        FunnelChart {
            id: "entonnoir-1".into(),
            title: "Cholécystectomie".into(),
            x_label: "Nombre attendu".into(),
            y_label: "Observé / attendu".into(),
            reference: 1.0,
            curves: vec![Curve {
                label: "Limite haute de ciblage (99,8 %)".into(),
                dashed: false,
                points: vec![(5.0, 2.6), (10.0, 2.2), (20.0, 1.8)],
            }],
            points: vec![
                Point {
                    label: "CH <A> & B".into(),
                    x: 10.0,
                    y: 2.2,
                    flagged: true,
                },
                Point {
                    label: "Clinique".into(),
                    x: 10.0,
                    y: 2.1,
                    flagged: false,
                },
            ],
        }
    }

    #[test]
    fn the_svg_names_the_flagged_entities_and_escapes_labels() {
        let svg = chart().to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img" aria-labelledby="entonnoir-1-t entonnoir-1-d""#));
        assert!(svg.contains("au-delà de la limite de ciblage : CH &lt;A&gt; &amp; B."));
        assert!(!svg.contains("<A>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<polyline").count(), 1);
        // The flagged point is the filled one.
        assert!(svg.contains(
            r##"fill="#ce0500" stroke="#161616"><title>CH &lt;A&gt; &amp; B : 2,2</title>"##
        ));
    }

    #[test]
    fn points_are_placed_on_the_scale() {
        // x in [0, 21]: x = 10 is at 64 + 10/21 × 560.
        let svg = chart().to_svg();
        let x = LEFT + 10.0 / 21.0 * (WIDTH - LEFT - RIGHT);
        assert!(svg.contains(&format!(r#"cx="{x:.1}""#)), "{svg}");
        // A higher rate is drawn higher (smaller y).
        let cy = |label: &str| -> f64 {
            let at = svg.find(&format!("<title>{label}")).unwrap();
            let circle = svg[..at].rfind("cy=\"").unwrap();
            svg[circle + 4..]
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(cy("CH &lt;A&gt;") < cy("Clinique"));
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 21.0), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(
            ticks(0.0, 1.0),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(fr(0.25, 3), "0,25");
        assert_eq!(fr(20.0, 2), "20");
    }

    #[test]
    fn bars_are_proportional_and_described() {
        let chart = BarChart {
            id: "barres".into(),
            title: "Répartition des scores".into(),
            x_label: "Score".into(),
            y_label: "Établissements".into(),
            bars: vec![
                Bar {
                    label: "< 40".into(),
                    value: 2.0,
                    highlighted: true,
                },
                Bar {
                    label: "≥ 80".into(),
                    value: 4.0,
                    highlighted: false,
                },
            ],
            digits: 0,
        };
        let d = chart.to_drawing();
        let heights: Vec<f64> = d
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { height, .. } => Some(*height),
                _ => None,
            })
            .collect();
        assert_eq!(heights.len(), 2);
        assert!((heights[1] / heights[0] - 2.0).abs() < 1e-9);
        assert_eq!(d.description, "< 40 : 2 ; ≥ 80 : 4.");
        let svg = chart.to_svg();
        assert!(
            svg.contains(r##"fill="#ce0500"><title>&lt; 40 : 2</title></rect>"##),
            "{svg}"
        );
    }
}
