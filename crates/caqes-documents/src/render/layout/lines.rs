//! Line breaking: words measured in their faces, broken at ordinary spaces only (the
//! no-break spaces of French figures keep a figure on one line), ragged right.

use crate::render::fonts::{Face, Fonts};
use crate::render::layout::{LEADING, Span};

/// Words of a paragraph: each a list of (face, text) pieces, and whether a line must
/// break after it.
struct Word {
    pieces: Vec<(Face, String)>,
    width: f32,
    /// Face of the space that follows (its width), if any.
    space: Option<Face>,
    hard_break: bool,
}

/// One laid line: runs of text in one face, spaces included.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LaidLine {
    pub(super) runs: Vec<(Face, String)>,
    pub(super) width: f32,
}

fn words(fonts: &Fonts, spans: &[Span], size: f32) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut current = Word {
        pieces: Vec::new(),
        width: 0.0,
        space: None,
        hard_break: false,
    };
    let push_char = |w: &mut Word, face: Face, c: char| {
        w.width += fonts.width(face, size, c.encode_utf8(&mut [0; 4]));
        match w.pieces.last_mut() {
            Some((f, t)) if *f == face => t.push(c),
            _ => w.pieces.push((face, c.to_string())),
        }
    };
    for span in spans {
        for c in span.text.chars() {
            match c {
                ' ' | '\n' => {
                    let mut done = std::mem::replace(
                        &mut current,
                        Word {
                            pieces: Vec::new(),
                            width: 0.0,
                            space: None,
                            hard_break: false,
                        },
                    );
                    if c == ' ' {
                        done.space = Some(span.face);
                    } else {
                        done.hard_break = true;
                    }
                    out.push(done);
                }
                c => push_char(&mut current, span.face, c),
            }
        }
    }
    out.push(current);
    out
}

/// Splits a word wider than the line into pieces that fit (file names, hashes).
fn split_word(fonts: &Fonts, size: f32, word: Word, max: f32) -> Vec<Word> {
    let mut out = Vec::new();
    let mut part = Word {
        pieces: Vec::new(),
        width: 0.0,
        space: None,
        hard_break: false,
    };
    for (face, text) in word.pieces {
        for c in text.chars() {
            let w = fonts.width(face, size, c.encode_utf8(&mut [0; 4]));
            if part.width + w > max && !part.pieces.is_empty() {
                out.push(std::mem::replace(
                    &mut part,
                    Word {
                        pieces: Vec::new(),
                        width: 0.0,
                        space: None,
                        hard_break: false,
                    },
                ));
            }
            part.width += w;
            match part.pieces.last_mut() {
                Some((f, t)) if *f == face => t.push(c),
                _ => part.pieces.push((face, c.to_string())),
            }
        }
    }
    part.space = word.space;
    part.hard_break = word.hard_break;
    out.push(part);
    out
}

pub(super) fn break_lines(fonts: &Fonts, spans: &[Span], size: f32, max: f32) -> Vec<LaidLine> {
    break_hanging(fonts, spans, size, max, max)
}

/// Lines of `first` width then of `rest` width.
pub(super) fn break_hanging(
    fonts: &Fonts,
    spans: &[Span],
    size: f32,
    first: f32,
    rest: f32,
) -> Vec<LaidLine> {
    let max = first.min(rest);
    let mut lines = Vec::new();
    let mut line = LaidLine {
        runs: Vec::new(),
        width: 0.0,
    };
    // Width of the space pending after the line's last word.
    let mut pending: Option<Face> = None;
    let all: Vec<Word> = words(fonts, spans, size)
        .into_iter()
        .flat_map(|w| {
            if w.width > max {
                split_word(fonts, size, w, max)
            } else {
                vec![w]
            }
        })
        .collect();
    for word in all {
        let space_w = pending.map_or(0.0, |f| fonts.width(f, size, " "));
        let limit = if lines.is_empty() { first } else { rest };
        let fits = line.runs.is_empty() || line.width + space_w + word.width <= limit + 0.01;
        if !fits {
            lines.push(std::mem::replace(
                &mut line,
                LaidLine {
                    runs: Vec::new(),
                    width: 0.0,
                },
            ));
            pending = None;
        }
        if let Some(face) = pending.filter(|_| !line.runs.is_empty()) {
            append(&mut line.runs, face, " ");
            line.width += fonts.width(face, size, " ");
        }
        for (face, text) in &word.pieces {
            append(&mut line.runs, *face, text);
        }
        line.width += word.width;
        pending = word.space;
        if word.hard_break {
            lines.push(std::mem::replace(
                &mut line,
                LaidLine {
                    runs: Vec::new(),
                    width: 0.0,
                },
            ));
            pending = None;
        }
    }
    if !line.runs.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn append(runs: &mut Vec<(Face, String)>, face: Face, text: &str) {
    match runs.last_mut() {
        Some((f, t)) if *f == face => t.push_str(text),
        _ => runs.push((face, text.to_owned())),
    }
}

pub(super) fn line_height(size: f32) -> f32 {
    size * LEADING
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(line: &LaidLine) -> String {
        line.runs.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn lines_break_at_spaces_never_inside_figures() {
        let fonts = Fonts::load().unwrap();
        let amount = "1\u{202f}234\u{202f}567,89\u{a0}€";
        let text = format!("Le montant notifié est de {amount} pour l'année 2019.");
        // The figure is about 75 points wide at 10 points.
        for max in [80.0, 90.0, 120.0, 200.0] {
            let lines = break_lines(&fonts, &[Span::regular(text.clone())], 10.0, max);
            assert!(
                lines.iter().any(|l| text_of(l).contains(amount)),
                "{max}: {lines:?}"
            );
            for l in &lines {
                assert!(l.width <= max + 0.01 || !text_of(l).contains(' '));
            }
            let joined: Vec<String> = lines.iter().map(text_of).collect();
            assert_eq!(joined.join(" "), text);
        }
    }

    #[test]
    fn hard_breaks_faces_and_long_words() {
        let fonts = Fonts::load().unwrap();
        let spans = [Span::bold("Objet :"), Span::regular(" notification\nsuite")];
        let lines = break_lines(&fonts, &spans, 10.0, 400.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].runs[0], (Face::Bold, "Objet :".to_owned()));
        assert_eq!(text_of(&lines[0]), "Objet : notification");
        let hash = "a".repeat(200);
        let lines = break_lines(&fonts, &[Span::regular(hash.clone())], 8.0, 100.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.width <= 100.01));
        assert_eq!(lines.iter().map(text_of).collect::<String>(), hash);
    }
}
