//! Values stored typed (migration 0027): the columns of a parsed value, written by every
//! edge through [`upsert_value`] and read back by the evaluation without any text parser;
//! the rows written as text before the migration are typed once, at connection
//! ([`Store::type_legacy_values`]).

use caqes_core::RegionCode;
use std::collections::{BTreeMap, btree_map};
use std::str::FromStr;

use caqes_core::Rate;
use caqes_core::referentiel::{Applicability, Referentiel};
use caqes_core::value::{Entry, Value};
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::conflict::DossierConflict;
use crate::{Campaign, Result, Store, StoreError, StoredValue, Typed, parse_finess};

/// The typed columns of one value: kind, numerator, denominator, number.
struct Columns {
    kind: &'static str,
    numerator: Option<String>,
    denominator: Option<String>,
    number: Option<String>,
}

fn columns(entry: Entry) -> Columns {
    let text = |d: Decimal| Some(d.to_string());
    let words = |kind| Columns {
        kind,
        numerator: None,
        denominator: None,
        number: None,
    };
    let rate = |kind, r: Rate| Columns {
        kind,
        numerator: text(r.numerator()),
        denominator: text(r.denominator()),
        number: None,
    };
    let number = |kind, p: Decimal| Columns {
        kind,
        numerator: None,
        denominator: None,
        number: text(p),
    };
    match entry {
        Entry::Declared(Applicability::Nm) => words("nm"),
        // `Concerned` is never an entry the parser gives; read as NC would be wrong, so
        // it is written as what it is closest to in the files: a declaration.
        Entry::Declared(Applicability::Nc | Applicability::Concerned) => words("nc"),
        Entry::Value(v) => match v {
            Value::Proportion(r) => rate("proportion", r),
            Value::Growth(r) => rate("growth", r),
            Value::Ratio(r) => rate("ratio", r),
            Value::Percent(p) => number("percent", p),
            Value::GrowthPercent(p) => number("growth_percent", p),
            Value::RatioValue(p) => number("ratio_value", p),
            Value::Numerator(n) => Columns {
                kind: "numerator",
                numerator: text(n),
                denominator: None,
                number: None,
            },
            Value::Yes => words("oui"),
            Value::No => words("non"),
            Value::InProgress => words("en_cours"),
        },
    }
}

/// The typed columns as selected (`typed_kind`, …, `typed_error`; `prefix` is the table's
/// alias with its dot, or empty).
pub(crate) fn typed_columns(prefix: &str) -> String {
    [
        "typed_kind",
        "typed_numerator",
        "typed_denominator",
        "typed_number",
        "typed_error",
    ]
    .map(|c| format!("{prefix}{c}"))
    .join(", ")
}

/// The parsed value of a row selected with [`typed_columns`].
pub(crate) fn typed_from_row(r: &AnyRow) -> Result<Typed> {
    let kind: Option<String> = r.try_get("typed_kind")?;
    let error: Option<String> = r.try_get("typed_error")?;
    let Some(kind) = kind else {
        return Ok(Typed::Unreadable(error.unwrap_or_else(|| {
            "valeur enregistrée sans sa forme typée (base non migrée)".to_owned()
        })));
    };
    let decimal = |column: &str| -> Result<Decimal> {
        let text: Option<String> = r.try_get(column)?;
        let text = text
            .ok_or_else(|| StoreError::Corrupt(format!("valeur de nature {kind} sans {column}")))?;
        Decimal::from_str(&text)
            .map_err(|_| StoreError::Corrupt(format!("décimal illisible « {text} » ({column})")))
    };
    let rate = |proportion: bool| -> Result<Rate> {
        let (n, d) = (decimal("typed_numerator")?, decimal("typed_denominator")?);
        let rate = if proportion {
            Rate::proportion(n, d)
        } else {
            Rate::new(n, d)
        };
        rate.map_err(|e| StoreError::Corrupt(format!("valeur de nature {kind} : {e}")))
    };
    let value = match kind.as_str() {
        "nc" => return Ok(Typed::Entry(Entry::Declared(Applicability::Nc))),
        "nm" => return Ok(Typed::Entry(Entry::Declared(Applicability::Nm))),
        "proportion" => Value::Proportion(rate(true)?),
        "growth" => Value::Growth(rate(false)?),
        "ratio" => Value::Ratio(rate(false)?),
        "percent" => Value::Percent(decimal("typed_number")?),
        "growth_percent" => Value::GrowthPercent(decimal("typed_number")?),
        "ratio_value" => Value::RatioValue(decimal("typed_number")?),
        "numerator" => Value::Numerator(decimal("typed_numerator")?),
        "oui" => Value::Yes,
        "non" => Value::No,
        "en_cours" => Value::InProgress,
        other => {
            return Err(StoreError::Corrupt(format!(
                "nature de valeur inconnue « {other} »"
            )));
        }
    };
    Ok(Typed::Entry(Entry::Value(value)))
}

/// Writes `v` (insert, or replace the same site, year and indicator) with its text and
/// its typed columns, inside the caller's transaction. Only a parsed value is written: an
/// edge that did not parse what it received is a defect, refused rather than stored as
/// text the engine would have to read again.
pub(crate) async fn upsert_value(
    conn: &mut sqlx::AnyConnection,
    v: &StoredValue,
    now: &str,
    user: Option<&str>,
) -> Result<()> {
    let Typed::Entry(entry) = v.typed else {
        return Err(DossierConflict::ValueNotRead {
            indicator: v.indicator.to_string(),
            site: v.site.to_string(),
        }
        .into());
    };
    let c = columns(entry);
    sqlx::query(
        "INSERT INTO indicator_values (site, year, indicator, numerator, denominator, value, declared, \
         typed_kind, typed_numerator, typed_denominator, typed_number, typed_error, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13) \
         ON CONFLICT (site, year, indicator) DO UPDATE SET numerator = excluded.numerator, \
         denominator = excluded.denominator, value = excluded.value, declared = excluded.declared, \
         typed_kind = excluded.typed_kind, typed_numerator = excluded.typed_numerator, \
         typed_denominator = excluded.typed_denominator, typed_number = excluded.typed_number, \
         typed_error = NULL, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(v.site.to_string())
    .bind(i64::from(v.year))
    .bind(v.indicator.clone())
    .bind(v.numerator.clone())
    .bind(v.denominator.clone())
    .bind(v.value.clone())
    .bind(v.declared.clone())
    .bind(c.kind)
    .bind(c.numerator)
    .bind(c.denominator)
    .bind(c.number)
    .bind(now.to_owned())
    .bind(user.map(str::to_owned))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many legacy rows one statement reads (bounded memory on a large database).
const PAGE: i64 = 2_000;

impl Store {
    /// Types the rows written as text before migration 0027, once: each is parsed with
    /// the grid of its campaign (the region's campaign of the value's year, else the next
    /// one, which reads it as year N−1), état des lieux from its year, as one site (the
    /// multi-site rule follows the entity's sites when the value is read). A row the grid
    /// cannot read is kept, its reason in `typed_error`. Runs in `Store::connect`; does
    /// nothing once every row is typed. Derived columns, not an event: no audit line (the
    /// values themselves do not change).
    pub(crate) async fn type_legacy_values(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut grids: BTreeMap<(RegionCode, i16), std::result::Result<Referentiel, String>> =
            BTreeMap::new();
        loop {
            let rows = sqlx::query(
                "SELECT v.site, v.year, v.indicator, v.numerator, v.denominator, v.value, v.declared, \
                 e.region FROM indicator_values v JOIN sites s ON s.finess = v.site \
                 JOIN legal_entities e ON e.finess = s.entity \
                 WHERE v.typed_kind IS NULL AND v.typed_error IS NULL \
                 ORDER BY v.site, v.year, v.indicator LIMIT $1",
            )
            .bind(PAGE)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let site: String = r.try_get("site")?;
                let year: i64 = r.try_get("year")?;
                let year = i16::try_from(year)
                    .map_err(|_| StoreError::Corrupt(format!("année hors limites {year}")))?;
                let indicator: String = r.try_get("indicator")?;
                let region = crate::parse_region(&r.try_get::<String, _>("region")?)?;
                let text = |c: &str| -> Result<Option<String>> { Ok(r.try_get(c)?) };
                let (declared, value) = (text("declared")?, text("value")?);
                let given = StoredValue::typed_text(
                    parse_finess(&site)?,
                    year,
                    &indicator,
                    text("numerator")?.as_deref(),
                    text("denominator")?.as_deref(),
                    declared.as_deref().or(value.as_deref()),
                );
                let grid = match grids.entry((region, year)) {
                    btree_map::Entry::Occupied(known) => known.into_mut(),
                    btree_map::Entry::Vacant(slot) => {
                        let grid = legacy_grid(&mut tx, &slot.key().0, year).await?;
                        slot.insert(grid)
                    }
                };
                let parsed = match grid {
                    Ok(grid) => given.parsed_in(grid, false).map_err(|e| e.message),
                    Err(why) => Err(why.clone()),
                };
                let (c, error) = match parsed.map(|v| v.typed) {
                    Ok(Typed::Entry(e)) => (Some(columns(e)), None),
                    Ok(Typed::Nothing) => (None, Some("aucune valeur saisie".to_owned())),
                    Ok(Typed::Unreadable(why)) | Err(why) => (None, Some(why)),
                };
                let c = c.as_ref();
                sqlx::query(
                    "UPDATE indicator_values SET typed_kind = $1, typed_numerator = $2, \
                     typed_denominator = $3, typed_number = $4, typed_error = $5 \
                     WHERE site = $6 AND year = $7 AND indicator = $8",
                )
                .bind(c.map(|c| c.kind))
                .bind(c.and_then(|c| c.numerator.clone()))
                .bind(c.and_then(|c| c.denominator.clone()))
                .bind(c.and_then(|c| c.number.clone()))
                .bind(error)
                .bind(site)
                .bind(i64::from(year))
                .bind(indicator)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The grid a legacy value of `region` and `year` is read with: its campaign's, else the
/// next campaign's of the region (the one that reads it as year N−1). `Err` says why
/// there is none (the row is then marked unreadable with it).
async fn legacy_grid(
    conn: &mut sqlx::AnyConnection,
    region: &RegionCode,
    year: i16,
) -> Result<std::result::Result<Referentiel, String>> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM campaigns WHERE region = $1 AND year >= $2 ORDER BY year LIMIT 1",
        super::CAMPAIGN_COLUMNS
    ))
    .bind(region.to_string())
    .bind(i64::from(year))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Err(format!(
            "aucune campagne de la région pour l'année {year} ou après : grille inconnue"
        )));
    };
    let campaign: Campaign = super::campaign_from_row(&row)?;
    match crate::admin::campaign_referentiel_in(&mut *conn, &campaign).await {
        Ok(grid) => Ok(Ok(grid)),
        // The database failing is not the row's fault: the connection fails.
        Err(e @ (StoreError::Db(_) | StoreError::Migrate(_))) => Err(e),
        Err(why) => Ok(Err(why.to_string())),
    }
}
