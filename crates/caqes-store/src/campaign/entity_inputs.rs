//! What the scoring of one entity reads from the store, in one query: its sites' values
//! of years N and N−1, its NC declarations of year N and its contracted targets of year N.
//! A dossier page needs all three; four queries (each a round trip to the database's
//! thread or process) were a third of the page's queries (bench/web/RESULTS.md).

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::value::NcDeclaration;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::declarations::review_from_code;
use super::typed::typed_from_row;
use crate::{
    Result, Store, StoreError, StoredDeclaration, StoredValue, parse_decimal, parse_finess,
};

/// The stored inputs of an entity's scoring for one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityInputs {
    /// Values of year N (by indicator, then site), then of year N−1 (same order).
    pub values: Vec<StoredValue>,
    /// NC declarations of year N, by indicator, then site.
    pub declarations: Vec<StoredDeclaration>,
    /// Contracted targets of year N, by indicator code.
    pub targets: BTreeMap<String, Decimal>,
}

/// The three tables as one result: `kind` says which table a row comes from (`d`
/// declaration, `t` target, `v` value); the columns a table has not are NULL.
/// A value's typed columns (migration 0027) are what the engine reads; its text as typed
/// is read too, for the form.
const QUERY: &str = "\
SELECT 'v' AS kind, v.site AS site, v.year AS year, v.indicator AS indicator, \
  v.numerator AS numerator, v.denominator AS denominator, v.value AS value, v.declared AS declared, \
  v.typed_kind AS typed_kind, v.typed_numerator AS typed_numerator, \
  v.typed_denominator AS typed_denominator, v.typed_number AS typed_number, \
  v.typed_error AS typed_error, \
  CAST(NULL AS TEXT) AS motive, CAST(NULL AS TEXT) AS review, CAST(NULL AS TEXT) AS review_comment, \
  CAST(NULL AS TEXT) AS target \
FROM indicator_values v JOIN sites s ON s.finess = v.site \
WHERE s.entity = $1 AND (v.year = $2 OR v.year = $3) \
UNION ALL \
SELECT 'd', d.site, d.year, d.indicator, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  d.motive, d.review, d.review_comment, NULL \
FROM nc_declarations d JOIN sites s ON s.finess = d.site \
WHERE s.entity = $1 AND d.year = $2 \
UNION ALL \
SELECT 't', NULL, t.year, t.indicator, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  NULL, NULL, NULL, t.target \
FROM targets t WHERE t.entity = $1 AND t.year = $2 \
ORDER BY kind, year DESC, indicator, site";

fn year_of(r: &AnyRow) -> Result<i16> {
    let y: i64 = r.try_get("year")?;
    i16::try_from(y).map_err(|_| StoreError::Corrupt(format!("année hors limites {y}")))
}

impl Store {
    /// Everything the scoring of `entity` for `year` reads from the store (see the
    /// module's documentation), in one query.
    pub async fn entity_inputs(&self, entity: &Finess, year: i16) -> Result<EntityInputs> {
        let rows = sqlx::query(QUERY)
            .bind(entity.to_string())
            .bind(i64::from(year))
            .bind(i64::from(year) - 1)
            .fetch_all(&self.pool)
            .await?;
        let mut out = EntityInputs::default();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            match kind.as_str() {
                "v" => out.values.push(StoredValue {
                    site: parse_finess(&r.try_get::<String, _>("site")?)?,
                    year: year_of(r)?,
                    indicator: r.try_get("indicator")?,
                    numerator: r.try_get("numerator")?,
                    denominator: r.try_get("denominator")?,
                    value: r.try_get("value")?,
                    declared: r.try_get("declared")?,
                    typed: typed_from_row(r)?,
                }),
                "d" => {
                    let motive: String = r.try_get("motive")?;
                    let review = review_from_code(&r.try_get::<String, _>("review")?)?;
                    out.declarations.push(StoredDeclaration {
                        site: parse_finess(&r.try_get::<String, _>("site")?)?,
                        year: year_of(r)?,
                        indicator: r.try_get("indicator")?,
                        declaration: NcDeclaration::new(&motive, review)
                            .map_err(crate::unreadable("déclaration de non-concernement"))?,
                        review_comment: r.try_get("review_comment")?,
                    });
                }
                _ => {
                    let code: String = r.try_get("indicator")?;
                    let t = parse_decimal(Some(r.try_get("target")?))?.unwrap_or_default();
                    out.targets.insert(code, t);
                }
            }
        }
        Ok(out)
    }
}
