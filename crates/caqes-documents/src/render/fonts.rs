//! The fonts embedded in the binary and their metrics.
//!
//! Marianne is the État's typeface (charte graphique de l'État, distributed with the
//! DSFR). PDF needs TrueType or OpenType outlines, not the web's WOFF2: `fonts/` holds the
//! TrueType files converted once from the DSFR 1.15.3 WOFF2 files (`fonts/README.md`).
//! Only the glyphs a document uses are embedded in it (subset by the PDF writer).

use ttf_parser::{Face as TtfFace, GlyphId};

use crate::error::DocumentError;

const REGULAR: &[u8] = include_bytes!("../../fonts/Marianne-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/Marianne-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../../fonts/Marianne-Regular_Italic.ttf");

/// One of the three faces the documents use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Face {
    Regular,
    Bold,
    Italic,
}

impl Face {
    pub(crate) const ALL: [Face; 3] = [Face::Regular, Face::Bold, Face::Italic];

    pub(crate) fn data(self) -> &'static [u8] {
        match self {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
            Face::Italic => ITALIC,
        }
    }

    /// PostScript name, as written in the PDF (after the subset tag).
    pub(crate) fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "Marianne-Regular",
            Face::Bold => "Marianne-Bold",
            Face::Italic => "Marianne-RegularItalic",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Face::Regular => 0,
            Face::Bold => 1,
            Face::Italic => 2,
        }
    }
}

/// The parsed faces, with what layout and the PDF writer need from them.
pub(crate) struct Fonts {
    faces: [TtfFace<'static>; 3],
}

/// Metrics of a face in thousandths of the em (the unit PDF font dictionaries use).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FaceMetrics {
    pub ascent: f32,
    pub descent: f32,
    pub cap_height: f32,
    pub italic_angle: f32,
    pub bbox: [f32; 4],
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, DocumentError> {
        let parse = |face: Face| {
            TtfFace::parse(face.data(), 0).map_err(|e| DocumentError::Font {
                font: face.postscript_name(),
                reason: e.to_string(),
            })
        };
        Ok(Fonts {
            faces: [
                parse(Face::Regular)?,
                parse(Face::Bold)?,
                parse(Face::Italic)?,
            ],
        })
    }

    fn face(&self, face: Face) -> &TtfFace<'static> {
        &self.faces[face.index()]
    }

    fn per_em(&self, face: Face) -> f32 {
        f32::from(self.face(face).units_per_em().max(1))
    }

    /// The glyph drawn for `c` and the character it stands for: a character the font
    /// lacks is drawn (and extracted) as « ? » rather than as an invisible box.
    pub(crate) fn glyph(&self, face: Face, c: char) -> (u16, char) {
        let f = self.face(face);
        match f.glyph_index(c) {
            Some(g) => (g.0, c),
            None => (f.glyph_index('?').map_or(0, |g| g.0), '?'),
        }
    }

    /// Advance of a glyph, in thousandths of the em.
    pub(crate) fn advance(&self, face: Face, glyph: u16) -> f32 {
        let f = self.face(face);
        let units = f.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0);
        f32::from(units) * 1000.0 / self.per_em(face)
    }

    /// Width of `text` set at `size` points.
    pub(crate) fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let thousandths: f32 = text
            .chars()
            .map(|c| self.advance(face, self.glyph(face, c).0))
            .sum();
        thousandths * size / 1000.0
    }

    pub(crate) fn metrics(&self, face: Face) -> FaceMetrics {
        let f = self.face(face);
        let scale = 1000.0 / self.per_em(face);
        let b = f.global_bounding_box();
        FaceMetrics {
            ascent: f32::from(f.ascender()) * scale,
            descent: f32::from(f.descender()) * scale,
            cap_height: f32::from(f.capital_height().unwrap_or(f.ascender())) * scale,
            italic_angle: f.italic_angle(),
            bbox: [
                f32::from(b.x_min) * scale,
                f32::from(b.y_min) * scale,
                f32::from(b.x_max) * scale,
                f32::from(b.y_max) * scale,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_faces_load_and_cover_french_typography() {
        let fonts = Fonts::load().unwrap();
        for face in Face::ALL {
            for c in "àâçéèêëîïôûùüÿœæ ÀÉÈÇŒ «»’€ \u{a0}\u{202f}−≤≥–—…".chars()
            {
                assert_eq!(fonts.glyph(face, c).1, c, "{face:?} lacks {c:?}");
            }
        }
        // Narrow no-break space is narrower than a space, the bold face is wider.
        let f = &fonts;
        assert!(f.width(Face::Regular, 10.0, "\u{202f}") < f.width(Face::Regular, 10.0, " "));
        assert!(f.width(Face::Bold, 10.0, "Marianne") > f.width(Face::Regular, 10.0, "Marianne"));
        assert_eq!(fonts.glyph(Face::Regular, '\u{1F600}').1, '?');
    }
}
