//! Long lists people can work with (issue 10): one search box, sortable
//! column headers, pages of [`PAGE_SIZE`] rows and a CSV export of what is
//! shown, for every list page. All of it rides on the page's own address
//! (`?q=…&tri=…&ordre=…&page=…&format=csv`), so no route is added and no
//! script is needed.
//!
//! A page builds its rows, each exposing its columns through [`ListRow`],
//! calls [`apply`] with the parsed [`ListQuery`], and either renders the
//! [`Listing`] with the shared includes (`list_search.html`,
//! `list_head.html`, `list_pagination.html`) or answers [`csv_response`].

use std::cmp::Ordering;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// The list parameters of a page's address. Every field is text so that a
/// hand-edited address (`page=abc`) shows the first page instead of an error.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    /// Search: a case- and accent-insensitive substring of the visible cells.
    #[serde(default)]
    pub q: String,
    /// The key of the sort column.
    #[serde(default)]
    pub tri: String,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub ordre: String,
    /// 1-based page number.
    #[serde(default)]
    pub page: String,
    /// `csv` for the export of the filtered and sorted rows (all pages).
    #[serde(default)]
    pub format: String,
}

impl ListQuery {
    pub fn wants_csv(&self) -> bool {
        self.format.trim() == "csv"
    }

    fn descending(&self) -> bool {
        self.ordre.trim() == "desc"
    }

    fn page_number(&self) -> usize {
        self.page.trim().parse::<usize>().unwrap_or(1).max(1)
    }
}

/// One column of a list.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The value of `tri` (stable, in the address).
    pub key: &'static str,
    pub label: &'static str,
}

/// What a row is sorted by in one column: numbers and instants sort as such,
/// not as their French text (« 9 » before « 10 », « 2 mars » before « 10 janvier »).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// An empty cell sorts first.
    Empty,
    Number(Decimal),
    Text(String),
}

/// One cell: the text shown (searched and exported) and its sort key.
#[derive(Clone, Debug)]
pub struct Cell {
    pub text: String,
    pub key: SortKey,
}

impl Cell {
    /// A text cell, sorted as its folded text.
    pub fn text(text: impl Into<String>) -> Cell {
        let text = text.into();
        let key = if text.trim().is_empty() {
            SortKey::Empty
        } else {
            SortKey::Text(fold(&text))
        };
        Cell { text, key }
    }

    /// A number shown as `text` (already in French) and sorted as `value`.
    pub fn number(value: Option<Decimal>, text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            key: value.map_or(SortKey::Empty, SortKey::Number),
        }
    }

    /// A cell shown as `text` and sorted by `raw` (an ISO date or instant, whose
    /// text order is the time order).
    pub fn sorted_by(text: impl Into<String>, raw: &str) -> Cell {
        let raw = raw.trim();
        Cell {
            text: text.into(),
            key: if raw.is_empty() {
                SortKey::Empty
            } else {
                SortKey::Text(raw.to_owned())
            },
        }
    }
}

/// A row of a list: its cells in the order of the page's columns.
pub trait ListRow {
    fn cells(&self) -> Vec<Cell>;
}

/// A sortable column header: its link and its `aria-sort`.
#[derive(Clone, Debug)]
pub struct HeaderCell {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending`, or empty when the list is not sorted by it.
    pub aria_sort: &'static str,
}

/// One entry of the pagination: a page number and its link.
#[derive(Clone, Debug)]
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

/// A list after search, sort and pagination.
#[derive(Debug)]
pub struct Listing<R> {
    /// The rows of the current page (all of them for the CSV export).
    pub rows: Vec<R>,
    /// Rows matching the search, all pages.
    pub matching: usize,
    /// Rows before the search.
    pub total: usize,
    pub q: String,
    pub page: usize,
    pub pages: usize,
    pub header: Vec<HeaderCell>,
    pub page_links: Vec<PageLink>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The export of what is shown (same search and sort).
    pub csv_href: String,
    /// Other parameters of the page (a filter), kept as hidden fields of the search form.
    pub hidden: Vec<(String, String)>,
}

/// Lower case without accents, for a search that finds « Hôpital » from « hopital ».
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            // The spaces of French typography search as plain spaces.
            '\u{a0}' | '\u{202f}' => out.push(' '),
            '\u{2019}' => out.push('\''),
            other => out.push(other),
        }
    }
    out
}

/// `base` with the query parameters `params` (empty values left out).
fn address(base: &str, params: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .copied()
        .collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(q) if !q.is_empty() => format!("{base}?{q}"),
        _ => base.to_owned(),
    }
}

/// Searches, sorts and cuts `rows` as `query` asks. `base` is the page's path,
/// `extra` its other parameters (kept in every link), `default_sort` the
/// column key used when none is asked.
pub fn apply<R: ListRow>(
    rows: Vec<R>,
    columns: &[Column],
    query: &ListQuery,
    base: &str,
    extra: &[(&str, &str)],
    default_sort: Option<&str>,
) -> Listing<R> {
    let total = rows.len();
    let q = query.q.trim().to_owned();
    let needle = fold(&q);
    let mut keyed: Vec<(Vec<Cell>, R)> = rows
        .into_iter()
        .map(|r| (r.cells(), r))
        .filter(|(cells, _)| {
            needle.is_empty() || cells.iter().any(|c| fold(&c.text).contains(&needle))
        })
        .collect();
    let asked = columns.iter().position(|c| c.key == query.tri.trim());
    let sort = asked.or_else(|| default_sort.and_then(|k| columns.iter().position(|c| c.key == k)));
    let descending = asked.is_some() && query.descending();
    if let Some(i) = sort {
        // A stable sort: rows equal in the column keep the page's own order.
        keyed.sort_by(|(a, _), (b, _)| {
            let o = match (a.get(i), b.get(i)) {
                (Some(x), Some(y)) => x.key.cmp(&y.key),
                _ => Ordering::Equal,
            };
            if descending { o.reverse() } else { o }
        });
    }
    let matching = keyed.len();
    let pages = matching.div_ceil(PAGE_SIZE).max(1);
    let page = query.page_number().min(pages);
    let tri = asked.map(|i| columns[i].key).unwrap_or_default();
    let ordre = if descending { "desc" } else { "" };
    let with = |more: &[(&str, &str)]| {
        let mut params: Vec<(&str, &str)> = extra.to_vec();
        params.push(("q", &q));
        params.extend_from_slice(more);
        address(base, &params)
    };
    let page_href = |n: usize| {
        let n = n.to_string();
        with(&[("tri", tri), ("ordre", ordre), ("page", &n)])
    };
    let header = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let current = asked == Some(i);
            // A second click on the sorted column reverses it.
            let next_order = if current && !descending { "desc" } else { "" };
            HeaderCell {
                label: c.label,
                href: with(&[("tri", c.key), ("ordre", next_order)]),
                aria_sort: match (current, descending) {
                    (true, false) => "ascending",
                    (true, true) => "descending",
                    _ => "",
                },
            }
        })
        .collect();
    let page_links = (1..=pages)
        .filter(|n| n.abs_diff(page) <= 2 || *n == 1 || *n == pages)
        .map(|n| PageLink {
            number: n,
            href: page_href(n),
            current: n == page,
        })
        .collect();
    let csv_href = with(&[("tri", tri), ("ordre", ordre), ("format", "csv")]);
    let previous = (page > 1).then(|| page_href(page - 1));
    let next = (page < pages).then(|| page_href(page + 1));
    let first = (page > 1).then(|| page_href(1));
    let last = (page < pages).then(|| page_href(pages));
    let rows: Vec<R> = if query.wants_csv() {
        keyed.into_iter().map(|(_, r)| r).collect()
    } else {
        keyed
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|(_, r)| r)
            .collect()
    };
    Listing {
        rows,
        matching,
        total,
        q,
        page,
        pages,
        header,
        page_links,
        previous,
        next,
        first,
        last,
        csv_href,
        hidden: extra
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// A CSV cell: a leading `=`, `+`, `-` or `@` would be read as a formula by a
/// spreadsheet (CSV injection, issue 14.8), so it gets a `'` in front; so does a
/// leading tab or carriage return, which some spreadsheets skip before a formula.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The CSV text (UTF-8 with BOM, `;` separator, CRLF lines) of `rows`.
pub fn csv_text<R: ListRow>(columns: &[Column], rows: &[R]) -> String {
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| cells.join(";") + "\r\n";
    out.push_str(&line(columns.iter().map(|c| csv_cell(c.label)).collect()));
    for r in rows {
        out.push_str(&line(
            r.cells()
                .iter()
                .take(columns.len())
                .map(|c| csv_cell(&c.text))
                .collect(),
        ));
    }
    out
}

/// The export of `listing` as a downloaded `filename` (ending in `.csv`).
pub fn csv_response<R: ListRow>(
    filename: &str,
    columns: &[Column],
    listing: &Listing<R>,
) -> Response {
    // The name is ours (no user text), but a quote would break the header.
    let filename: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        csv_text(columns, &listing.rows),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, i64);

    impl ListRow for Row {
        fn cells(&self) -> Vec<Cell> {
            vec![
                Cell::text(self.0),
                Cell::number(Some(Decimal::from(self.1)), self.1.to_string()),
            ]
        }
    }

    const COLUMNS: [Column; 2] = [
        Column {
            key: "nom",
            label: "Nom",
        },
        Column {
            key: "valeur",
            label: "Valeur",
        },
    ];

    fn query(q: &str, tri: &str, ordre: &str, page: &str) -> ListQuery {
        ListQuery {
            q: q.into(),
            tri: tri.into(),
            ordre: ordre.into(),
            page: page.into(),
            format: String::new(),
        }
    }

    #[test]
    fn the_search_ignores_case_and_accents() {
        let rows = vec![
            Row("Hôpital Nord", 1),
            Row("Clinique", 2),
            Row("HOPITAL sud", 3),
        ];
        let l = apply(
            rows,
            &COLUMNS,
            &query("hopital", "", "", ""),
            "/x",
            &[],
            None,
        );
        let names: Vec<&str> = l.rows.iter().map(|r| r.0).collect();
        assert_eq!(names, ["Hôpital Nord", "HOPITAL sud"]);
        assert_eq!((l.matching, l.total), (2, 3));
    }

    #[test]
    fn numbers_sort_as_numbers_and_desc_reverses() {
        let rows = vec![Row("a", 10), Row("b", 9), Row("c", 100)];
        let l = apply(
            rows,
            &COLUMNS,
            &query("", "valeur", "", ""),
            "/x",
            &[],
            None,
        );
        assert_eq!(l.rows.iter().map(|r| r.1).collect::<Vec<_>>(), [9, 10, 100]);
        assert_eq!(l.header[1].aria_sort, "ascending");
        assert!(
            l.header[1].href.contains("ordre=desc"),
            "{}",
            l.header[1].href
        );
        let rows = vec![Row("a", 10), Row("b", 9), Row("c", 100)];
        let l = apply(
            rows,
            &COLUMNS,
            &query("", "valeur", "desc", ""),
            "/x",
            &[],
            None,
        );
        assert_eq!(l.rows.iter().map(|r| r.1).collect::<Vec<_>>(), [100, 10, 9]);
        assert_eq!(l.header[1].aria_sort, "descending");
    }

    #[test]
    fn pages_hold_fifty_rows_and_keep_the_other_parameters() {
        let rows: Vec<Row> = (0..120).map(|i| Row("x", i)).collect();
        let l = apply(
            rows,
            &COLUMNS,
            &query("", "valeur", "", "3"),
            "/x",
            &[("etat", "DEPOSE")],
            None,
        );
        assert_eq!(l.pages, 3);
        assert_eq!(l.rows.len(), 20);
        assert_eq!(l.rows[0].1, 100);
        let previous = l.previous.unwrap_or_default();
        assert!(
            previous.contains("etat=DEPOSE") && previous.contains("page=2"),
            "{previous}"
        );
        assert!(l.next.is_none());
        // A page past the end shows the last one; an unreadable one the first.
        let rows: Vec<Row> = (0..60).map(|i| Row("x", i)).collect();
        assert_eq!(
            apply(rows, &COLUMNS, &query("", "", "", "9"), "/x", &[], None).page,
            2
        );
        let rows: Vec<Row> = (0..60).map(|i| Row("x", i)).collect();
        assert_eq!(
            apply(rows, &COLUMNS, &query("", "", "", "abc"), "/x", &[], None).page,
            1
        );
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        let rows = vec![
            Row("=HYPERLINK(\"x\")", -3),
            Row("a;b", 4),
            Row("@SUM(A1)", 5),
            Row("\t=1+1", 6),
        ];
        let text = csv_text(&COLUMNS, &rows);
        assert!(text.starts_with("\u{feff}Nom;Valeur\r\n"), "{text}");
        assert!(
            text.contains("\"'=HYPERLINK(\"\"x\"\")\";'-3\r\n"),
            "{text}"
        );
        assert!(text.contains("\"a;b\";4\r\n"), "{text}");
        assert!(text.contains("'@SUM(A1);5\r\n"), "{text}");
        assert!(text.contains("'\t=1+1;6\r\n"), "{text}");
    }
}
