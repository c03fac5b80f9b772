//! French display of dates, instants and numbers in the pages, with the
//! documents' typography (`caqes_documents::format`): « 15 mars 2019 »,
//! « 4 décembre 2026 à 23 h 05 » in Europe/Paris, « 13 998,60 € », « 8,50 % ».
//! Stored instants are UTC text; nothing in a page is shown in UTC.

use caqes_core::calendar::paris;
use caqes_documents::format;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// « 15 mars 2019 », « 1er janvier 2018 ».
pub fn date(d: Date) -> String {
    format::date(d)
}

/// A stored instant (« 2026-12-04T22:05:01.123456Z », or a date and time
/// without zone, read as UTC) in Paris time: « 4 décembre 2026 à 23 h 05 ».
/// Text that is no instant is returned as it is.
pub fn instant(at: &str) -> String {
    parse_instant(at)
        .map(|ts| format::date_time(ts.to_zoned(paris()).datetime()))
        .unwrap_or_else(|| at.to_owned())
}

/// The calendar day in Paris of a stored instant: « 4 décembre 2026 ».
pub fn instant_date(at: &str) -> String {
    parse_instant(at)
        .map(|ts| format::date(ts.to_zoned(paris()).date()))
        .unwrap_or_else(|| at.to_owned())
}

fn parse_instant(at: &str) -> Option<jiff::Timestamp> {
    let at = at.trim();
    at.parse::<jiff::Timestamp>().ok().or_else(|| {
        at.replace(' ', "T")
            .parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

/// A stored date text (« 2019-03-15 ») as « 15 mars 2019 »; other text unchanged.
pub fn date_text(text: &str) -> String {
    text.trim()
        .parse::<Date>()
        .map(format::date)
        .unwrap_or_else(|_| text.to_owned())
}

/// « 13 998,60 € ».
pub fn euros(amount: Decimal) -> String {
    format::euros(caqes_core::Euros(amount))
}

/// « 8,50 % ».
pub fn percent(value: Decimal) -> String {
    format::percent(value, 2)
}

/// « 1 234,5 »: at most two decimals, grouped thousands.
pub fn number(value: Decimal) -> String {
    format::decimal_trimmed(value, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_shown_in_paris_time() {
        // Winter: UTC+1; summer: UTC+2; the day changes at midnight in Paris.
        assert_eq!(
            instant("2026-12-04T23:30:00.000000Z"),
            "5 décembre 2026 à 0\u{a0}h\u{a0}30"
        );
        assert_eq!(
            instant("2019-07-14T10:05:00Z"),
            "14 juillet 2019 à 12\u{a0}h\u{a0}05"
        );
        assert_eq!(
            instant("2019-03-01 08:00:00"),
            "1er mars 2019 à 9\u{a0}h\u{a0}00"
        );
        assert_eq!(instant_date("2026-12-04T23:30:00Z"), "5 décembre 2026");
        assert_eq!(instant("hier"), "hier");
    }

    #[test]
    fn dates_and_numbers_are_french() {
        assert_eq!(date_text("2019-03-15"), "15 mars 2019");
        assert_eq!(date_text("—"), "—");
        assert_eq!(euros(Decimal::new(1_399_860, 2)), "13\u{202f}998,60\u{a0}€");
        assert_eq!(percent(Decimal::new(85, 1)), "8,50\u{202f}%");
        assert_eq!(number(Decimal::new(12_345, 1)), "1\u{202f}234,5");
    }
}
