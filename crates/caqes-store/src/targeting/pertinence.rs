//! Targeting of the pertinence volet: the per-theme activity data of each legal
//! entity, the engine's funnel test per theme
//! (`caqes_core::volets::pertinence::{proportion_test, ratio_test}`, limits from
//! the campaign's référentiel `[pertinence]`) and the list confirmed by the ARS in
//! `volet_targeting`.
//!
//! Instruction DSS/A1/CNAMTS/2017/234: « l'ARS et l'assurance maladie identifient
//! les établissements dont l'activité est atypique »; the data (taux de recours,
//! nombre de séjours) come from the AM's and the ARS's information systems, so
//! both the ARS and the AM of the region may import them. Only the ARS confirms
//! the list, as for the other volets. The verdict is always recomputed.

use caqes_core::RegionCode;
use std::collections::BTreeMap;

use caqes_core::volets::pertinence::{
    Direction, FunnelTest, MeasureKind, PertinenceParameters, proportion_test, ratio_test,
};
pub use caqes_core::volets::pertinence::{Measure, PertinenceData};
use caqes_core::{Finess, Rate};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::admin::establishments::{region_entities_in, region_entity};
use crate::conflict::TargetingConflict;
use crate::targeting::import::{RegionRow, ensure_importer};
use crate::targeting::{Candidate, ConfirmedTargeting, EngineVerdict, ExclusionWords};
use crate::{
    Actor, Campaign, LegalEntity, Result, Role, Store, StoreError, User, now_text, parse_decimal,
    parse_finess,
};

/// The volet code in `volet_targeting`.
pub const PERTINENCE: &str = "pertinence";

/// The engine's test of one theme.
#[derive(Clone, Debug, PartialEq)]
pub struct ThemeTest {
    pub data: PertinenceData,
    pub test: FunnelTest,
    /// The test in French (observed, expected, limits, verdict).
    pub reason: String,
}

/// The engine's verdict on one entity: targeted when one theme is atypical.
#[derive(Clone, Debug, PartialEq)]
pub struct PertinenceVerdict {
    pub entity: LegalEntity,
    pub themes: Vec<ThemeTest>,
    pub targeted: bool,
    pub reason: String,
}

/// The pertinence parameters of the campaign's référentiel (builtin or uploaded).
async fn parameters(conn: &mut AnyConnection, campaign: &Campaign) -> Result<PertinenceParameters> {
    Ok(crate::admin::campaign_referentiel_in(conn, campaign)
        .await?
        .parameters
        .pertinence)
}

fn limit(v: Option<u64>) -> String {
    v.map_or_else(|| "aucune".to_owned(), |n| n.to_string())
}

/// The French verdict of one test: « atypique » when it crosses the targeting limit
/// in a targeted direction.
pub fn verdict_label(t: &FunnelTest) -> &'static str {
    match (t.cible, t.ciblage.franchie) {
        (true, Direction::AuDessus) => "atypique (au-dessus de la limite de ciblage)",
        (true, _) => "atypique (en dessous de la limite de ciblage)",
        (false, Direction::DansLesLimites) => "non atypique",
        (false, _) => "non atypique (limite franchie dans un sens non ciblé)",
    }
}

/// The French report of one test.
pub fn test_reason(theme: &str, t: &FunnelTest) -> String {
    format!(
        "{theme} : observé {}, attendu {:.2}, limites de ciblage à {} % : basse {}, haute {} \
         (z = {:.2}, p = {:.4}) : {}",
        t.observe,
        t.attendu,
        t.ciblage.niveau_pct,
        limit(t.ciblage.limite_basse),
        limit(t.ciblage.limite_haute),
        t.z_score,
        t.p_valeur_bilaterale,
        verdict_label(t)
    )
}

/// The funnel test of one theme; `file` names the import whose row it is (none for
/// stored data).
fn run(
    params: &PertinenceParameters,
    d: &PertinenceData,
    file: Option<&str>,
) -> Result<FunnelTest> {
    // D10: each theme is tested in its own direction (the grid's `sens_par_theme`, else
    // the measure's: a proportion above, a count both ways).
    let r = match d.measure {
        Measure::Proportion {
            observed,
            population,
            reference,
        } => proportion_test(
            &params.for_theme(&d.theme, MeasureKind::Proportion),
            observed,
            population,
            &reference,
        ),
        Measure::Ratio { observed, expected } => ratio_test(
            &params.for_theme(&d.theme, MeasureKind::Ratio),
            observed,
            expected,
        ),
    };
    r.map_err(|source| {
        TargetingConflict::FunnelTest {
            file: file.map(str::to_owned),
            theme: d.theme.clone(),
            entity: d.entity.to_string(),
            source,
        }
        .into()
    })
}

fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v}")))
}

fn to_i64(v: u64, file: &str, d: &PertinenceData) -> Result<i64> {
    i64::try_from(v).map_err(|_| {
        StoreError::from(TargetingConflict::TooLarge {
            file: file.to_string(),
            theme: d.theme.clone(),
            entity: d.entity.to_string(),
            value: v,
        })
    })
}

fn required(v: Option<Decimal>, what: &str) -> Result<Decimal> {
    v.ok_or_else(|| StoreError::Corrupt(format!("{what} manquant")))
}

async fn data_in(
    conn: &mut AnyConnection,
    region: &RegionCode,
    year: i16,
) -> Result<Vec<PertinenceData>> {
    let rows = sqlx::query(
        "SELECT p.entity, p.year, p.theme, p.method, p.observed, p.population, \
         p.reference_numerator, p.reference_denominator, p.expected FROM pertinence_data p \
         JOIN legal_entities e ON e.finess = p.entity \
         WHERE e.region = $1 AND p.year = $2 ORDER BY e.name, p.entity, p.theme",
    )
    .bind(region.to_string())
    .bind(i64::from(year))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let year: i64 = r.try_get("year")?;
            let observed = to_u64(r.try_get("observed")?, "observé")?;
            let measure = match r.try_get::<String, _>("method")?.as_str() {
                "proportion" => {
                    let population: Option<i64> = r.try_get("population")?;
                    let num = required(parse_decimal(r.try_get("reference_numerator")?)?, "taux")?;
                    let den =
                        required(parse_decimal(r.try_get("reference_denominator")?)?, "taux")?;
                    Measure::Proportion {
                        observed,
                        population: to_u64(
                            population.ok_or_else(|| StoreError::Corrupt("population".into()))?,
                            "population",
                        )?,
                        reference: Rate::proportion(num, den)
                            .map_err(crate::unreadable("taux de référence de pertinence"))?,
                    }
                }
                _ => Measure::Ratio {
                    observed,
                    expected: required(parse_decimal(r.try_get("expected")?)?, "attendu")?,
                },
            };
            Ok(PertinenceData {
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                year: i16::try_from(year)
                    .map_err(|_| StoreError::Corrupt(format!("année {year}")))?,
                theme: r.try_get("theme")?,
                measure,
            })
        })
        .collect()
}

fn data_json(rows: &[PertinenceData]) -> serde_json::Value {
    json!(
        rows.iter()
            .map(|d| {
                let mut v = json!({
                    "finess": d.entity.to_string(),
                    "annee": d.year,
                    "theme": d.theme,
                });
                match d.measure {
                    Measure::Proportion {
                        observed,
                        population,
                        reference,
                    } => {
                        v["methode"] = json!("proportion");
                        v["observe"] = json!(observed);
                        v["population"] = json!(population);
                        v["taux_reference"] = json!(format!(
                            "{}/{}",
                            reference.numerator(),
                            reference.denominator()
                        ));
                    }
                    Measure::Ratio { observed, expected } => {
                        v["methode"] = json!("ratio");
                        v["observe"] = json!(observed);
                        v["attendu"] = json!(expected.to_string());
                    }
                }
                v
            })
            .collect::<Vec<_>>()
    )
}

impl RegionRow for PertinenceData {
    const ACTION: &'static str = "pertinence.importer";
    const OBJECT_KIND: &'static str = "donnees_pertinence";

    fn entity(&self) -> Finess {
        self.entity
    }

    fn check(&self, file: &str) -> Result<()> {
        if self.theme.trim().is_empty() {
            return Err(TargetingConflict::EmptyTheme {
                file: file.to_string(),
                entity: self.entity.to_string(),
            }
            .into());
        }
        // The engine's own checks (population, rate within ]0, 1[, expected > 0);
        // the limits do not depend on the levels, so the defaults suffice here.
        run(&PertinenceParameters::default(), self, Some(file)).map(drop)
    }

    async fn stored(&self, conn: &mut AnyConnection, region: &RegionCode) -> Result<Option<Self>> {
        Ok(data_in(conn, region, self.year)
            .await?
            .into_iter()
            .find(|o| o.entity == self.entity && o.theme == self.theme))
    }

    async fn upsert(&self, conn: &mut AnyConnection, file: &str, by: &Actor) -> Result<()> {
        let d = self;
        let (method, observed, population, num, den, expected) = match d.measure {
            Measure::Proportion {
                observed,
                population,
                reference,
            } => (
                "proportion",
                observed,
                Some(to_i64(population, file, d)?),
                Some(reference.numerator().to_string()),
                Some(reference.denominator().to_string()),
                None,
            ),
            Measure::Ratio { observed, expected } => (
                "ratio",
                observed,
                None,
                None,
                None,
                Some(expected.to_string()),
            ),
        };
        sqlx::query(
            "INSERT INTO pertinence_data (entity, year, theme, method, observed, population, \
             reference_numerator, reference_denominator, expected, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (entity, year, theme) DO UPDATE SET method = excluded.method, \
             observed = excluded.observed, population = excluded.population, \
             reference_numerator = excluded.reference_numerator, \
             reference_denominator = excluded.reference_denominator, \
             expected = excluded.expected, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(d.entity.to_string())
        .bind(i64::from(d.year))
        .bind(d.theme.trim().to_owned())
        .bind(method)
        .bind(to_i64(observed, file, d)?)
        .bind(population)
        .bind(num)
        .bind(den)
        .bind(expected)
        .bind(now_text())
        .bind(by.user_id.clone())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    fn json(rows: &[Self]) -> serde_json::Value {
        data_json(rows)
    }
}

impl Store {
    /// Writes a pertinence data file of `region` (all rows or none) with one audit
    /// line holding the replaced and the new rows. The ARS or the AM of the region
    /// imports; every entity must be a legal entity of the region and every row
    /// must be testable by the engine (population, reference rate, expected count).
    pub async fn import_pertinence_data(
        &self,
        user: &User,
        region: &RegionCode,
        file: &str,
        rows: &[PertinenceData],
    ) -> Result<usize> {
        ensure_importer(
            user,
            region,
            &[Role::Ars, Role::AssuranceMaladie],
            // Both may import: the message names both roles.
            (
                "Importer les données de pertinence",
                "ARS ou Assurance Maladie",
            ),
        )?;
        self.import_region_rows(&Actor::user(user), region, file, rows)
            .await
    }

    /// The pertinence data of the region's entities for `year`.
    pub async fn pertinence_data(
        &self,
        region: &RegionCode,
        year: i16,
    ) -> Result<Vec<PertinenceData>> {
        let mut conn = self.pool.acquire().await?;
        data_in(&mut conn, region, year).await
    }

    /// The engine's verdict for every entity of the campaign's region that has
    /// pertinence data for the campaign year.
    pub async fn pertinence_verdicts(&self, campaign: &Campaign) -> Result<Vec<PertinenceVerdict>> {
        let mut conn = self.pool.acquire().await?;
        verdicts_in(&mut conn, campaign).await
    }

    /// The ARS confirms the pertinence targeting of a campaign: every entity with
    /// data gets a line, targeted by the engine when one theme is atypical;
    /// `exclusions` excludes targeted entities, with a motivation. Replaces a
    /// previous confirmation; one audit line holds both lists.
    pub async fn confirm_pertinence_targeting(
        &self,
        user: &User,
        campaign: &Campaign,
        exclusions: &BTreeMap<Finess, String>,
    ) -> Result<Vec<ConfirmedTargeting>> {
        const WORDS: ExclusionWords = ExclusionWords {
            no_data: "de données de pertinence",
            not_targeted: "n'est pas atypique",
        };
        self.confirm_targeting(
            (user, campaign, PERTINENCE, &WORDS),
            async |conn| Ok(Candidate::all(&verdicts_in(conn, campaign).await?)),
            exclusions,
        )
        .await
    }
}

impl EngineVerdict for PertinenceVerdict {
    fn entity(&self) -> &LegalEntity {
        &self.entity
    }
    fn engine_targeted(&self) -> bool {
        self.targeted
    }
    fn reason(&self) -> &str {
        &self.reason
    }
}

async fn verdicts_in(
    conn: &mut AnyConnection,
    campaign: &Campaign,
) -> Result<Vec<PertinenceVerdict>> {
    let params = parameters(&mut *conn, campaign).await?;
    let data = data_in(&mut *conn, &campaign.region, campaign.year).await?;
    let entities = region_entities_in(&mut *conn, &campaign.region).await?;
    let mut out: Vec<PertinenceVerdict> = Vec::new();
    for d in data {
        let test = run(&params, &d, None)?;
        let reason = test_reason(&d.theme, &test);
        let theme = ThemeTest {
            data: d,
            test,
            reason,
        };
        if let Some(v) = out
            .last_mut()
            .filter(|v| v.entity.finess == theme.data.entity)
        {
            v.themes.push(theme);
            continue;
        }
        out.push(PertinenceVerdict {
            entity: region_entity(&entities, theme.data.entity)?,
            themes: vec![theme],
            targeted: false,
            reason: String::new(),
        });
    }
    for v in &mut out {
        let n = v.themes.iter().filter(|t| t.test.cible).count();
        v.targeted = n > 0;
        let head = match n {
            0 => "non atypique".to_owned(),
            1 => "atypique sur 1 thème".to_owned(),
            n => format!("atypique sur {n} thèmes"),
        };
        let themes: Vec<&str> = v.themes.iter().map(|t| t.reason.as_str()).collect();
        v.reason = format!("{head} : {}", themes.join(" ; "));
    }
    Ok(out)
}
