//! The DSFR (Système de design de l'État, npm package `@gouvfr/dsfr` 1.15.3),
//! vendored in `assets/dsfr/` and embedded in the binary: no CDN, the
//! application works offline. Only the files the pages use are kept: the
//! minified stylesheet and module script, the Marianne fonts (woff2) and the
//! icons referenced by the stylesheet, the favicons of `dist/favicon/`
//! (also served at `/favicon.ico`); `LICENSE.md` is the DSFR licence.
//! Regenerate this list when files are added to `assets/dsfr/`.

/// The application's own script: the live score while typing. The pages work
/// without it (the server validates and scores on every save).
pub static APP_JS: &str = include_str!("../../assets/caqes.js");

/// (path under `/static/dsfr/`, content type, bytes)
pub static DSFR: &[(&str, &str, &[u8])] = &[
    (
        "LICENSE.md",
        "text/markdown; charset=utf-8",
        include_bytes!("../../assets/dsfr/LICENSE.md"),
    ),
    (
        "dsfr.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/dsfr/dsfr.min.css"),
    ),
    (
        "dsfr.module.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/dsfr/dsfr.module.min.js"),
    ),
    (
        "favicon/apple-touch-icon.png",
        "image/png",
        include_bytes!("../../assets/dsfr/favicon/apple-touch-icon.png"),
    ),
    (
        "favicon/favicon.ico",
        "image/x-icon",
        include_bytes!("../../assets/dsfr/favicon/favicon.ico"),
    ),
    (
        "favicon/favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/favicon/favicon.svg"),
    ),
    (
        "fonts/Marianne-Bold.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Bold.woff2"),
    ),
    (
        "fonts/Marianne-Bold_Italic.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Bold_Italic.woff2"),
    ),
    (
        "fonts/Marianne-Light.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Light.woff2"),
    ),
    (
        "fonts/Marianne-Light_Italic.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Light_Italic.woff2"),
    ),
    (
        "fonts/Marianne-Medium.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Medium.woff2"),
    ),
    (
        "fonts/Marianne-Medium_Italic.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Medium_Italic.woff2"),
    ),
    (
        "fonts/Marianne-Regular.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Regular.woff2"),
    ),
    (
        "fonts/Marianne-Regular_Italic.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Marianne-Regular_Italic.woff2"),
    ),
    (
        "fonts/Spectral-ExtraBold.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Spectral-ExtraBold.woff2"),
    ),
    (
        "fonts/Spectral-Regular.woff2",
        "font/woff2",
        include_bytes!("../../assets/dsfr/fonts/Spectral-Regular.woff2"),
    ),
    (
        "icons/arrows/arrow-down-s-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-down-s-line.svg"),
    ),
    (
        "icons/arrows/arrow-left-s-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-left-s-line.svg"),
    ),
    (
        "icons/arrows/arrow-right-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-right-line.svg"),
    ),
    (
        "icons/arrows/arrow-right-s-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-right-s-line.svg"),
    ),
    (
        "icons/arrows/arrow-up-down-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-up-down-line.svg"),
    ),
    (
        "icons/arrows/arrow-up-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-up-line.svg"),
    ),
    (
        "icons/arrows/arrow-up-s-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/arrow-up-s-line.svg"),
    ),
    (
        "icons/arrows/fr--arrow-left-s-first-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/fr--arrow-left-s-first-line.svg"),
    ),
    (
        "icons/arrows/fr--arrow-right-s-last-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/arrows/fr--arrow-right-s-last-line.svg"),
    ),
    (
        "icons/business/briefcase-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/business/briefcase-fill.svg"),
    ),
    (
        "icons/business/links-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/business/links-fill.svg"),
    ),
    (
        "icons/business/mail-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/business/mail-line.svg"),
    ),
    (
        "icons/editor/align-left.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/editor/align-left.svg"),
    ),
    (
        "icons/editor/fr--quote-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/editor/fr--quote-line.svg"),
    ),
    (
        "icons/editor/translate-2.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/editor/translate-2.svg"),
    ),
    (
        "icons/media/fullscreen-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/media/fullscreen-line.svg"),
    ),
    (
        "icons/system/check-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/check-line.svg"),
    ),
    (
        "icons/system/checkbox-circle-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/checkbox-circle-line.svg"),
    ),
    (
        "icons/system/close-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/close-line.svg"),
    ),
    (
        "icons/system/download-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/download-line.svg"),
    ),
    (
        "icons/system/error-warning-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/error-warning-fill.svg"),
    ),
    (
        "icons/system/external-link-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/external-link-line.svg"),
    ),
    (
        "icons/system/fr--alert-warning-2-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--alert-warning-2-fill.svg"),
    ),
    (
        "icons/system/fr--alert-warning-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--alert-warning-fill.svg"),
    ),
    (
        "icons/system/fr--error-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--error-fill.svg"),
    ),
    (
        "icons/system/fr--info-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--info-fill.svg"),
    ),
    (
        "icons/system/fr--success-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--success-fill.svg"),
    ),
    (
        "icons/system/fr--theme-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--theme-fill.svg"),
    ),
    (
        "icons/system/fr--warning-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/fr--warning-fill.svg"),
    ),
    (
        "icons/system/menu-2-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/menu-2-fill.svg"),
    ),
    (
        "icons/system/menu-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/menu-fill.svg"),
    ),
    (
        "icons/system/question-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/question-line.svg"),
    ),
    (
        "icons/system/search-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/system/search-line.svg"),
    ),
    (
        "icons/user/account-circle-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/user/account-circle-fill.svg"),
    ),
    (
        "icons/user/team-line.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/user/team-line.svg"),
    ),
    (
        "icons/weather/flashlight-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/weather/flashlight-fill.svg"),
    ),
    (
        "icons/weather/heavy-showers-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/weather/heavy-showers-fill.svg"),
    ),
    (
        "icons/weather/typhoon-fill.svg",
        "image/svg+xml",
        include_bytes!("../../assets/dsfr/icons/weather/typhoon-fill.svg"),
    ),
];

/// The embedded file at `path` (relative to `/static/dsfr/`).
pub fn dsfr(path: &str) -> Option<(&'static str, &'static [u8])> {
    DSFR.iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, mime, bytes)| (*mime, *bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every woff2 font the DSFR stylesheet asks for is served (the Marianne typeface is
    /// part of the État's visual identity; a missing file silently falls back to Arial).
    #[test]
    fn every_font_of_the_stylesheet_is_embedded() {
        let css = std::str::from_utf8(dsfr("dsfr.min.css").unwrap().1).unwrap();
        let fonts: Vec<&str> = css
            .split("url(")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .map(|u| u.trim_matches(['"', '\'']))
            .filter(|u| u.ends_with(".woff2"))
            .collect();
        assert!(fonts.len() >= 10, "{fonts:?}");
        for font in fonts {
            let (mime, bytes) = dsfr(font).unwrap_or_else(|| panic!("{font} is not embedded"));
            assert_eq!(mime, "font/woff2");
            assert_eq!(&bytes[..4], b"wOF2", "{font}");
        }
    }
}
