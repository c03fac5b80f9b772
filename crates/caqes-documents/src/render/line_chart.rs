//! A line chart over a few years (issue 12): an indicator's value against its target
//! campaign after campaign, the region's mean and median score year on year. A missing
//! year breaks the line (nothing is drawn across a gap); every point carries its figure
//! as a tooltip, the description lists them all, and the pages show the same figures in
//! a table.

use crate::render::drawing::{Anchor, Color, Drawing, Shape, Stroke};
use crate::render::scale::{AXIS, PALETTE, fr, text, ticks};

/// One line: a value (or nothing) per x label.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSeries {
    pub label: String,
    pub values: Vec<Option<f64>>,
    /// Dashed (a target, a reference) rather than solid (a measure).
    pub dashed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub id: String,
    pub title: String,
    pub y_label: String,
    /// The x labels (years), left to right.
    pub x: Vec<String>,
    pub series: Vec<LineSeries>,
    /// Decimals of the figures.
    pub digits: usize,
    /// A small multiple (320 × 200) rather than a full-width chart (640 × 300).
    pub small: bool,
}

impl LineChart {
    pub fn to_drawing(&self) -> Drawing {
        let (width, plot_h) = if self.small {
            (320.0, 110.0)
        } else {
            (640.0, 200.0)
        };
        let left = 52.0;
        let right = 16.0;
        let top = 12.0 + 18.0 * self.series.len() as f64;
        let height = top + plot_h + 28.0;
        let plot_w = width - left - right;
        let finite = || {
            self.series
                .iter()
                .flat_map(|s| s.values.iter().flatten().copied())
                .filter(|v| v.is_finite())
        };
        let min = finite().fold(0.0_f64, f64::min);
        let max = finite().fold(0.0_f64, f64::max);
        let (y_min, y_max) = if max > min {
            (min, max + (max - min) * 0.1)
        } else {
            (min, min + 1.0)
        };
        let sy = |v: f64| top + plot_h - (v - y_min) / (y_max - y_min) * plot_h;
        let n = self.x.len().max(1) as f64;
        let sx = |i: usize| left + plot_w * (i as f64 + 0.5) / n;
        let mut shapes = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let y = 8.0 + 18.0 * i as f64;
            shapes.push(Shape::Line {
                from: (16.0, y + 6.0),
                to: (36.0, y + 6.0),
                stroke: stroke(color, s.dashed),
                title: None,
            });
            shapes.push(text((42.0, y + 10.0), s.label.clone(), Anchor::Start));
        }
        let axis = Stroke::solid(AXIS, 1.0);
        shapes.push(Shape::Line {
            from: (left, top + plot_h),
            to: (left + plot_w, top + plot_h),
            stroke: axis,
            title: None,
        });
        shapes.push(Shape::Line {
            from: (left, top),
            to: (left, top + plot_h),
            stroke: axis,
            title: None,
        });
        for t in ticks(y_min, y_max) {
            shapes.push(text((left - 6.0, sy(t) + 4.0), fr(t, 2), Anchor::End));
        }
        for (i, label) in self.x.iter().enumerate() {
            shapes.push(text(
                (sx(i), top + plot_h + 16.0),
                label.clone(),
                Anchor::Middle,
            ));
        }
        shapes.push(Shape::Text {
            at: (12.0, top + plot_h / 2.0),
            text: self.y_label.clone(),
            size: 11.0,
            anchor: Anchor::Middle,
            bold: false,
            vertical: true,
            color: Color::TEXT,
        });
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            // Runs of consecutive years with a value: a gap breaks the line.
            let mut run: Vec<(f64, f64)> = Vec::new();
            let flush = |run: &mut Vec<(f64, f64)>, shapes: &mut Vec<Shape>| {
                if run.len() > 1 {
                    shapes.push(Shape::Polyline {
                        points: std::mem::take(run),
                        stroke: stroke(color, s.dashed),
                        title: None,
                    });
                }
                run.clear();
            };
            for (j, v) in s.values.iter().enumerate() {
                match v.filter(|v| v.is_finite()) {
                    Some(v) => run.push((sx(j), sy(v))),
                    None => flush(&mut run, &mut shapes),
                }
            }
            flush(&mut run, &mut shapes);
            for (j, v) in s.values.iter().enumerate() {
                if let Some(v) = v.filter(|v| v.is_finite()) {
                    shapes.push(Shape::Circle {
                        center: (sx(j), sy(v)),
                        radius: 3.5,
                        fill: if s.dashed { Color::WHITE } else { color },
                        stroke: Some(Stroke::solid(color, 1.5)),
                        title: Some(format!(
                            "{} {} : {}",
                            s.label,
                            self.x.get(j).map(String::as_str).unwrap_or_default(),
                            fr(v, self.digits)
                        )),
                    });
                }
            }
        }
        let description = self
            .series
            .iter()
            .map(|s| {
                let points = self
                    .x
                    .iter()
                    .zip(&s.values)
                    .map(|(x, v)| match v {
                        Some(v) => format!("{x} {}", fr(*v, self.digits)),
                        None => format!("{x} sans valeur"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{} : {points}", s.label)
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        Drawing {
            id: self.id.clone(),
            width,
            height,
            title: self.title.clone(),
            description: format!("{description}."),
            class: "graphique-courbes".into(),
            shapes,
        }
    }

    pub fn to_svg(&self) -> String {
        self.to_drawing().to_svg()
    }
}

fn stroke(color: Color, dashed: bool) -> Stroke {
    if dashed {
        Stroke::dashed(color, 1.5, 5.0, 4.0)
    } else {
        Stroke::solid(color, 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_breaks_the_line_and_every_point_is_described() {
        let chart = LineChart {
            id: "i-01".into(),
            title: "I-01".into(),
            y_label: "%".into(),
            x: vec!["2017".into(), "2018".into(), "2019".into(), "2020".into()],
            series: vec![
                LineSeries {
                    label: "Valeur".into(),
                    values: vec![Some(40.0), Some(45.5), None, Some(50.0)],
                    dashed: false,
                },
                LineSeries {
                    label: "Cible".into(),
                    values: vec![None, Some(45.5), Some(50.0), Some(50.0)],
                    dashed: true,
                },
            ],
            digits: 2,
            small: true,
        };
        let d = chart.to_drawing();
        let polylines: Vec<usize> = d
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Polyline { points, .. } => Some(points.len()),
                _ => None,
            })
            .collect();
        // Value: 2017–2018 (the lone 2020 point is a circle only); target: 2018–2020.
        assert_eq!(polylines, vec![2, 3]);
        assert_eq!(
            d.description,
            "Valeur : 2017 40, 2018 45,5, 2019 sans valeur, 2020 50 ; Cible : 2017 sans valeur, 2018 45,5, 2019 50, 2020 50."
        );
        let svg = chart.to_svg();
        assert!(svg.contains(r#"role="img" aria-labelledby="i-01-t i-01-d""#));
        assert!(svg.contains("<title>Valeur 2018 : 45,5</title>"));
        // A higher value is drawn higher.
        let cy = |label: &str| -> f64 {
            let at = svg.find(&format!("<title>{label}")).unwrap();
            let c = svg[..at].rfind("cy=\"").unwrap();
            svg[c + 4..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(cy("Valeur 2020") < cy("Valeur 2017"));
    }
}
