//! Axis helpers of the charts ([`super::charts`], [`super::bar_chart`],
//! [`super::line_chart`]): round ticks, French numbers (never
//! « -0 »), the text of the labels, the palette of the series.

use crate::render::drawing::{Anchor, Color, Shape};

/// Body text and axes.
pub(crate) const INK: Color = Color::TEXT;
pub(crate) const AXIS: Color = Color::GREY;

/// Colours of the series, told apart also by their order in the legend and the table
/// (DSFR illustrative colours, dark enough on white).
/// Nine: the region's distribution has one series per category (nine categories), and a
/// repeated colour made two categories look alike (seen in the IRAPS synthesis, session 8).
pub(crate) const PALETTE: [Color; 9] = [
    Color::rgb(0x00, 0x00, 0x91),
    Color::rgb(0xce, 0x05, 0x00),
    Color::rgb(0x18, 0x75, 0x3c),
    Color::rgb(0x71, 0x3f, 0x79),
    Color::rgb(0xb3, 0x40, 0x00),
    Color::rgb(0x00, 0x63, 0xcb),
    Color::rgb(0x66, 0x67, 0x3d),
    Color::rgb(0x3a, 0x3a, 0x3a),
    Color::rgb(0x00, 0x79, 0x6e),
];

/// « 1,25 »: French decimals, at most `digits`, trailing zeros removed.
pub(crate) fn fr(v: f64, digits: usize) -> String {
    let text = format!("{v:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    let text = if text == "-0" { "0".to_owned() } else { text };
    text.replace('.', ",")
}

/// About five round ticks covering [min, max].
pub(crate) fn ticks(min: f64, max: f64) -> Vec<f64> {
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

/// A text of the charts' size (11).
pub(crate) fn text(at: (f64, f64), text: String, anchor: Anchor) -> Shape {
    Shape::Text {
        at,
        text,
        size: 11.0,
        anchor,
        bold: false,
        vertical: false,
        color: INK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_numbers() {
        assert_eq!(ticks(0.0, 21.0), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(fr(37.5, 2), "37,5");
        assert_eq!(fr(-0.0001, 2), "0");
        assert_eq!(fr(20.0, 2), "20");
    }
}
