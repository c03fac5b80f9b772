//! Charts drawn on the server as SVG text: no JavaScript, no external asset,
//! the same markup usable later in the PDF reports. Each chart carries an
//! accessible name and description (`role="img"`, `<title>`, `<desc>`); the
//! pages show the same figures in a table, which is the text alternative.
//! Curves are clipped to the plot area (`clipPath`).

use std::fmt::Write as _;

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

/// XML text escaping for labels that come from imported data.
fn escape(text: &str) -> String {
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

/// « 1,25 » : French decimals, at most `digits`, trailing zeros removed.
fn fr(v: f64, digits: usize) -> String {
    let text = format!("{v:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    text.replace('.', ",")
}

/// About five round ticks covering [min, max].
fn ticks(min: f64, max: f64) -> Vec<f64> {
    let span = (max - min).max(f64::EPSILON);
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * magnitude);
    let first = (min / step).ceil() * step;
    (0..=12)
        .map(|i| first + f64::from(i) * step)
        .take_while(|t| *t <= max + step * 1e-9)
        .collect()
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

    /// The SVG markup.
    pub fn to_svg(&self) -> String {
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
        let mut svg = String::new();
        // `write!` to a String cannot fail.
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" class="graphique-entonnoir"><title id="{id}-t">{}</title><desc id="{id}-d">{} établissement(s) ; référence {} ; au-delà de la limite de ciblage : {}.</desc>"#,
            escape(&self.title),
            self.points.len(),
            fr(self.reference, 3),
            if flagged.is_empty() {
                "aucun".to_owned()
            } else {
                escape(&flagged.join(", "))
            },
            id = escape(&self.id),
        );
        // Axes and ticks.
        let _ = write!(
            svg,
            r##"<g stroke="#666" stroke-width="1"><line x1="{LEFT}" y1="{}" x2="{}" y2="{}"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}"/></g>"##,
            TOP + plot_h,
            LEFT + plot_w,
            TOP + plot_h,
            TOP + plot_h
        );
        let _ = write!(svg, r##"<g font-size="11" fill="#161616">"##);
        for t in ticks(x_min, x_max) {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                sx(t),
                TOP + plot_h + 14.0,
                fr(t, 2)
            );
        }
        for t in ticks(0.0, y_max) {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                sy(t) + 4.0,
                fr(t, 3)
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="14" y="{:.1}" text-anchor="middle" transform="rotate(-90 14 {:.1})">{}</text></g>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 8.0,
            escape(&self.x_label),
            TOP + plot_h / 2.0,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        // Reference line.
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#000091" stroke-width="1.5"><title>Référence {}</title></line>"##,
            LEFT + plot_w,
            fr(self.reference, 3),
            y = sy(self.reference),
        );
        // Limit curves, clipped to the plot area.
        let _ = write!(
            svg,
            r#"<clipPath id="{id}-zone"><rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/></clipPath><g clip-path="url(#{id}-zone)">"#,
            id = escape(&self.id),
        );
        for c in &self.curves {
            let points: Vec<String> = c
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                .collect();
            if points.len() < 2 {
                continue;
            }
            let _ = write!(
                svg,
                r##"<polyline fill="none" stroke="#ce0500" stroke-width="1.2"{} points="{}"><title>{}</title></polyline>"##,
                if c.dashed {
                    r#" stroke-dasharray="5 4""#
                } else {
                    ""
                },
                points.join(" "),
                escape(&c.label)
            );
        }
        svg.push_str("</g>");
        // Entities.
        for p in &self.points {
            let _ = write!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{}" stroke="#161616"><title>{} : {}</title></circle>"##,
                sx(p.x),
                sy(p.y),
                if p.flagged { 6 } else { 4 },
                if p.flagged { "#ce0500" } else { "#ffffff" },
                escape(&p.label),
                fr(p.y, 3)
            );
        }
        svg.push_str("</svg>");
        svg
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
}
