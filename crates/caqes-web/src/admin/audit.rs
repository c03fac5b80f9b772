//! The audit log: the ARS reads its region's; administrators read the lines
//! of what they administer (accounts, référentiels, regions) in every region,
//! never those of dossiers, decisions or contracts, whose before → after
//! carry health data. Filtered by the database (object kind, actor, date
//! range), then searched, sorted, paged and exported with `ui::list` like the
//! other lists, over the [`EXPORT_MAX`] most recent lines of the filter (the
//! log only grows: the filter is what narrows a long history). Each line reads
//! as a French sentence (`admin::journal`), with before → after field by field.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caqes_store::{AuditFilter, Role};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Query;
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::list::{self, Cell, Column, ListQuery, ListRow, Listing};
use crate::ui::page::impl_page;

pub const PER_PAGE: i64 = 50;

/// The object kinds of the lines an administrator reads.
pub const ADMIN_KINDS: [&str; 3] = ["utilisateur", "referentiel", "region"];

#[derive(Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub objet: String,
    #[serde(default)]
    pub auteur: String,
    #[serde(default)]
    pub du: String,
    #[serde(default)]
    pub au: String,
    /// Search, sort, page, `format=csv` (every line of the filter, at most [`EXPORT_MAX`]).
    #[serde(flatten)]
    pub list: ListQuery,
}

/// Lines searched, sorted and exported at most (the most recent of the
/// filter): the log only grows, and a filter keeps the list to what is looked for.
pub const EXPORT_MAX: i64 = 10_000;

/// The columns of the export (the page shows the same, newest first).
const AUDIT_COLUMNS: [Column; 7] = [
    Column {
        key: "date",
        label: "Date (heure de Paris)",
    },
    Column {
        key: "auteur",
        label: "Auteur",
    },
    Column {
        key: "region",
        label: "Région",
    },
    Column {
        key: "ecriture",
        label: "Écriture",
    },
    Column {
        key: "action",
        label: "Action",
    },
    Column {
        key: "objet",
        label: "Objet",
    },
    Column {
        key: "changements",
        label: "Avant → après",
    },
];

impl ListRow for AuditLineView {
    fn cells(&self) -> Vec<Cell> {
        let changes = self
            .changes
            .iter()
            .filter(|c| c.changed)
            .map(|c| {
                let or_dash = |t: &str| {
                    if t.is_empty() {
                        "—".to_owned()
                    } else {
                        t.to_owned()
                    }
                };
                let field = if c.field.is_empty() {
                    "valeur"
                } else {
                    &c.field
                };
                format!("{field} : {} → {}", or_dash(&c.before), or_dash(&c.after))
            })
            .collect::<Vec<_>>()
            .join("\n");
        vec![
            Cell::sorted_by(&self.at, &self.at_raw),
            Cell::text(&self.actor),
            Cell::text(&self.region),
            Cell::text(&self.sentence),
            Cell::text(&self.action),
            Cell::text(&self.object),
            Cell::text(changes),
        ]
    }
}

/// One changed field: its name, the value before and after (JSON text, or empty when absent).
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

pub struct AuditLineView {
    pub at: String,
    /// The stored instant, for the sort.
    pub at_raw: String,
    /// « Le 4 décembre 2026 à 23 h 05, … a validé le dossier de l'entité … ».
    pub sentence: String,
    pub actor: String,
    pub region: String,
    pub action: String,
    pub object: String,
    /// The stored before → after (JSON), turned into `changes` only for the
    /// rows shown or exported: an import's line can hold thousands of values.
    pub before_raw: Option<String>,
    pub after_raw: Option<String>,
    /// Field by field; empty while the list is searched and sorted (the search
    /// reads the date, author, region, sentence, action and object).
    pub changes: Vec<FieldChange>,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub region_name: String,
    pub list: Listing<AuditLineView>,
    pub query: AuditQuery,
    pub kinds: Vec<String>,
    pub errors: Vec<String>,
    /// Lines of the filter in the database (before the search).
    pub total: i64,
    /// « 10 000 » when the filter holds more lines than are searched and exported.
    pub export_truncated: Option<String>,
}

impl_page!(AuditPage);

fn value_text(v: Option<&serde_json::Value>) -> String {
    v.map(words).unwrap_or_default()
}

/// A stored value in words rather than JSON (issue 10: the log reads as
/// sentences): dates and instants in French (Paris time), category codes by
/// their name, `EN_COURS` as « EN COURS », yes/no, a list one item a line, an
/// object as « clé : valeur ; … ».
fn words(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "oui".to_owned(),
        Value::Bool(false) => "non".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if let Ok(c) = s.parse::<caqes_core::Category>() {
                return c.label().to_owned();
            }
            match crate::ui::fr::date_text(s) {
                same if same == *s => crate::ui::fr::instant(s).replace("EN_COURS", "EN COURS"),
                date => date,
            }
        }
        Value::Array(items) => items.iter().map(words).collect::<Vec<_>>().join("\n"),
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| format!("{k} : {}", words(v)))
            .collect::<Vec<_>>()
            .join(" ; "),
    }
}

/// Before and after side by side, one row per top-level field, so that what
/// changed is readable without comparing two JSON blobs by eye.
pub fn field_changes(before: Option<&str>, after: Option<&str>) -> Vec<FieldChange> {
    let parse = |t: Option<&str>| {
        t.map(|t| {
            serde_json::from_str::<serde_json::Value>(t)
                .unwrap_or(serde_json::Value::String(t.to_owned()))
        })
    };
    let (b, a) = (parse(before), parse(after));
    let as_object = |v: &Option<serde_json::Value>| match v {
        Some(serde_json::Value::Object(m)) => Some(m.clone()),
        None => Some(serde_json::Map::new()),
        _ => None,
    };
    match (as_object(&b), as_object(&a)) {
        (Some(bm), Some(am)) => {
            let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .map(|k| {
                    let (bv, av) = (bm.get(k), am.get(k));
                    FieldChange {
                        field: k.clone(),
                        before: value_text(bv),
                        after: value_text(av),
                        changed: bv != av,
                    }
                })
                .collect()
        }
        _ => vec![FieldChange {
            field: String::new(),
            before: value_text(b.as_ref()),
            after: value_text(a.as_ref()),
            changed: b != a,
        }],
    }
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    // The spec gives the log to the ARS; administrators also read the lines of
    // accounts and référentiels (every region) to support users and check
    // their own writes, and nothing else (no health data). AM and OMEDIT do not.
    let region = match (s.user.role, s.user.region) {
        (Role::Ars, Some(r)) => Some(r),
        (Role::Admin, _) => None,
        _ => return Err(AppError::NotFound),
    };
    let region_name = match &region {
        Some(r) => state
            .store
            .region(r)
            .await?
            .map(|r| r.name)
            .unwrap_or_default(),
        None => "toutes les régions".to_owned(),
    };
    let mut errors = Vec::new();
    let date = |t: &str, label: &str, errors: &mut Vec<String>| {
        let t = t.trim();
        if t.is_empty() {
            return None;
        }
        let d = t.parse::<jiff::civil::Date>().ok();
        if d.is_none() {
            errors.push(format!("{label} : date attendue au format AAAA-MM-JJ."));
        }
        d
    };
    let from = date(&query.du, "Du", &mut errors);
    let to = date(&query.au, "Au", &mut errors);
    let non_empty = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let is_admin = s.user.role == Role::Admin;
    let object_kind = match non_empty(&query.objet) {
        // An administrator asking for another kind sees the accounts' lines.
        Some(k) if is_admin && !ADMIN_KINDS.contains(&k.as_str()) => {
            Some(ADMIN_KINDS[0].to_owned())
        }
        None if is_admin => Some(ADMIN_KINDS[0].to_owned()),
        k => k,
    };
    let filter = AuditFilter {
        region,
        object_kind,
        actor: non_empty(&query.auteur),
        from,
        to,
        page: 1,
        per_page: EXPORT_MAX,
    };
    let result = state.store.audit_page(&filter).await?;
    if result.total > EXPORT_MAX {
        tracing::info!(
            total = result.total,
            "journal : recherche et export sur les plus récentes"
        );
    }
    let lines: Vec<AuditLineView> = result
        .entries
        .iter()
        .map(|e| AuditLineView {
            at: crate::ui::fr::instant(&e.at),
            at_raw: e.at.clone(),
            sentence: crate::admin::journal::sentence(
                &e.at,
                &e.actor_label,
                &e.action,
                &e.object_kind,
                &e.object_id,
                e.before.as_deref(),
                e.after.as_deref(),
            ),
            actor: e.actor_label.clone(),
            region: e.region.map(String::from).unwrap_or_default(),
            action: e.action.clone(),
            object: format!("{} {}", e.object_kind, e.object_id),
            before_raw: e.before.clone(),
            after_raw: e.after.clone(),
            changes: Vec::new(),
        })
        .collect();
    // The database's order (newest first) unless a column is asked.
    let mut list = list::apply(
        lines,
        &AUDIT_COLUMNS,
        &query.list,
        "/audit",
        &[
            ("objet", query.objet.trim()),
            ("auteur", query.auteur.trim()),
            ("du", query.du.trim()),
            ("au", query.au.trim()),
        ],
        None,
    );
    // Only the rows of the page (every row for the export) get their details.
    for row in &mut list.rows {
        row.changes = field_changes(row.before_raw.as_deref(), row.after_raw.as_deref());
    }
    if query.list.wants_csv() && errors.is_empty() {
        return Ok(list::csv_response(
            "journal-audit.csv",
            &AUDIT_COLUMNS,
            &list,
        ));
    }
    let mut kinds = state.store.audit_object_kinds().await?;
    if is_admin {
        kinds.retain(|k| ADMIN_KINDS.contains(&k.as_str()));
    }
    let layout = Layout::for_user("Journal d'audit", &s.user, &s.csrf);
    Ok(AuditPage {
        export_truncated: (result.total > EXPORT_MAX)
            .then(|| crate::ui::fr::number(rust_decimal::Decimal::from(EXPORT_MAX))),
        layout,
        region_name,
        list,
        query,
        kinds,
        total: result.total,
        errors,
    }
    .into_response())
}
