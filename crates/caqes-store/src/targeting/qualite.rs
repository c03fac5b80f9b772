//! Targeting of the quality volet: the three indicators (ICALIN2, Hôpital
//! numérique D3.1, DOC) imported by the ARS, the engine's verdict per risk
//! (`caqes_core::volets::quality::target`, thresholds from the campaign's
//! référentiel `[qualite]`) and the list confirmed by the ARS in `volet_targeting`.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, annex 6: the ARS holds the indicators
//! (« Pour les ARS, ils sont également disponibles sur le tableau de bord régional
//! […] QUALHAS », « Les ARS peuvent accéder aux données régionales » of oSIS), so
//! the ARS imports them. « Pour les établissements qui n'auraient pas renseigné la
//! valeur de l'indicateur [D3.1], l'opportunité de signer un contrat est laissée à
//! l'appréciation de l'ARS »: for such an entity the ARS must say whether it keeps
//! the medication risk. The verdict is always recomputed from the stored data.

use caqes_core::RegionCode;
use std::collections::BTreeMap;

pub use caqes_core::volets::quality::QualityIndicators;
use caqes_core::volets::quality::{
    D31Result, DocResult, Icalin2Class, Icalin2Result, QualityParameters, QualityTargeting, Risk,
    RiskStatus, target,
};
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
pub const QUALITE: &str = "qualite";

/// The engine's verdict on one entity, with its reason in French.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualityVerdict {
    pub entity: LegalEntity,
    pub indicators: QualityIndicators,
    pub targeting: QualityTargeting,
    pub reason: String,
}

fn status_label(s: RiskStatus) -> &'static str {
    match s {
        RiskStatus::Cible => "ciblé",
        RiskStatus::NonCible => "non ciblé",
        RiskStatus::NonSoumis => "non soumis, ne peut pas être ciblé",
        RiskStatus::AppreciationArs => "à l'appréciation de l'ARS",
    }
}

/// The French reason of a verdict: each risk with its status and the engine's motive.
pub fn quality_reason(t: &QualityTargeting) -> String {
    let n = t.targeted_risks().len();
    let head = match n {
        0 => "non ciblé".to_owned(),
        1 => "ciblé sur 1 risque".to_owned(),
        n => format!("ciblé sur {n} risques"),
    };
    let risks: Vec<String> = t
        .risques
        .iter()
        .map(|r| {
            format!(
                "{} : {} ({})",
                r.risque.label(),
                status_label(r.statut),
                r.motif
            )
        })
        .collect();
    format!("{head} : {}", risks.join(" ; "))
}

/// The qualite parameters of the campaign's référentiel (builtin or uploaded).
pub(crate) async fn parameters(
    conn: &mut AnyConnection,
    campaign: &Campaign,
) -> Result<QualityParameters> {
    Ok(crate::admin::campaign_referentiel_in(conn, campaign)
        .await?
        .parameters
        .qualite)
}

fn icalin2_code(r: Icalin2Result) -> &'static str {
    match r {
        Icalin2Result::NonSoumis => "non_soumis",
        Icalin2Result::NonRepondant => "non_repondant",
        Icalin2Result::Classe(Icalin2Class::A) => "A",
        Icalin2Result::Classe(Icalin2Class::B) => "B",
        Icalin2Result::Classe(Icalin2Class::C) => "C",
        Icalin2Result::Classe(Icalin2Class::D) => "D",
        Icalin2Result::Classe(Icalin2Class::E) => "E",
    }
}

fn parse_icalin2(code: &str) -> Result<Icalin2Result> {
    Ok(match code {
        "non_soumis" => Icalin2Result::NonSoumis,
        "non_repondant" => Icalin2Result::NonRepondant,
        "A" => Icalin2Result::Classe(Icalin2Class::A),
        "B" => Icalin2Result::Classe(Icalin2Class::B),
        "C" => Icalin2Result::Classe(Icalin2Class::C),
        "D" => Icalin2Result::Classe(Icalin2Class::D),
        "E" => Icalin2Result::Classe(Icalin2Class::E),
        other => return Err(StoreError::Corrupt(format!("ICALIN2 « {other} »"))),
    })
}

fn required(v: Option<Decimal>, what: &str) -> Result<Decimal> {
    v.ok_or_else(|| StoreError::Corrupt(format!("{what} manquant")))
}

async fn indicators_in(
    conn: &mut AnyConnection,
    region: &RegionCode,
    year: i16,
) -> Result<Vec<QualityIndicators>> {
    let rows = sqlx::query(
        "SELECT q.entity, q.year, q.icalin2, q.d31_status, q.d31_numerator, q.d31_denominator, \
         q.doc_status, q.doc_rate, q.doc_ci_low, q.doc_ci_high FROM quality_indicators q \
         JOIN legal_entities e ON e.finess = q.entity \
         WHERE e.region = $1 AND q.year = $2 ORDER BY e.name, q.entity",
    )
    .bind(region.to_string())
    .bind(i64::from(year))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let year: i64 = r.try_get("year")?;
            let d31 = match r.try_get::<String, _>("d31_status")?.as_str() {
                "non_soumis" => D31Result::NonSoumis,
                "non_renseigne" => D31Result::NonRenseigne,
                _ => {
                    let num = required(parse_decimal(r.try_get("d31_numerator")?)?, "D3.1")?;
                    let den = required(parse_decimal(r.try_get("d31_denominator")?)?, "D3.1")?;
                    D31Result::Taux(
                        Rate::proportion(num, den).map_err(crate::unreadable("taux D3.1"))?,
                    )
                }
            };
            let doc = match r.try_get::<String, _>("doc_status")?.as_str() {
                "non_soumis" => DocResult::NonSoumis,
                "non_repondant" => DocResult::NonRepondant,
                _ => DocResult::Resultat {
                    taux_pct: required(parse_decimal(r.try_get("doc_rate")?)?, "DOC")?,
                    ic_borne_basse_pct: required(parse_decimal(r.try_get("doc_ci_low")?)?, "DOC")?,
                    ic_borne_haute_pct: required(parse_decimal(r.try_get("doc_ci_high")?)?, "DOC")?,
                },
            };
            Ok(QualityIndicators {
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                year: i16::try_from(year)
                    .map_err(|_| StoreError::Corrupt(format!("année {year}")))?,
                icalin2: parse_icalin2(&r.try_get::<String, _>("icalin2")?)?,
                d31,
                doc,
            })
        })
        .collect()
}

fn indicators_json(rows: &[QualityIndicators]) -> serde_json::Value {
    json!(
        rows.iter()
            .map(|q| json!({
                "finess": q.entity.to_string(),
                "annee": q.year,
                "icalin2": q.icalin2,
                "d31": q.d31,
                "doc": q.doc,
            }))
            .collect::<Vec<_>>()
    )
}

/// Checks the values a file may not hold (the engine takes them as given).
fn check(file: &str, q: &QualityIndicators) -> Result<()> {
    let bad = |what: &str| {
        Err(TargetingConflict::InvalidQuality {
            file: file.to_string(),
            what: what.to_string(),
            entity: q.entity.to_string(),
        }
        .into())
    };
    if let D31Result::Taux(r) = q.d31
        && r.numerator() > r.denominator()
    {
        return bad("le taux D3.1");
    }
    if let DocResult::Resultat {
        taux_pct,
        ic_borne_basse_pct,
        ic_borne_haute_pct,
    } = q.doc
    {
        let pct = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED;
        if !(pct(taux_pct) && pct(ic_borne_basse_pct) && pct(ic_borne_haute_pct))
            || ic_borne_basse_pct > taux_pct
            || taux_pct > ic_borne_haute_pct
        {
            return bad("le résultat DOC (taux entre les bornes de l'intervalle, de 0 à 100 %)");
        }
    }
    Ok(())
}

impl RegionRow for QualityIndicators {
    const ACTION: &'static str = "qualite.importer";
    const OBJECT_KIND: &'static str = "indicateurs_qualite";

    fn entity(&self) -> Finess {
        self.entity
    }

    fn check(&self, file: &str) -> Result<()> {
        check(file, self)
    }

    async fn stored(&self, conn: &mut AnyConnection, region: &RegionCode) -> Result<Option<Self>> {
        Ok(indicators_in(conn, region, self.year)
            .await?
            .into_iter()
            .find(|o| o.entity == self.entity))
    }

    async fn upsert(&self, conn: &mut AnyConnection, _: &str, by: &Actor) -> Result<()> {
        let (d31_status, num, den) = match self.d31 {
            D31Result::NonSoumis => ("non_soumis", None, None),
            D31Result::NonRenseigne => ("non_renseigne", None, None),
            D31Result::Taux(r) => (
                "taux",
                Some(r.numerator().to_string()),
                Some(r.denominator().to_string()),
            ),
        };
        let (doc_status, rate, low, high) = match self.doc {
            DocResult::NonSoumis => ("non_soumis", None, None, None),
            DocResult::NonRepondant => ("non_repondant", None, None, None),
            DocResult::Resultat {
                taux_pct,
                ic_borne_basse_pct,
                ic_borne_haute_pct,
            } => (
                "resultat",
                Some(taux_pct.to_string()),
                Some(ic_borne_basse_pct.to_string()),
                Some(ic_borne_haute_pct.to_string()),
            ),
        };
        sqlx::query(
            "INSERT INTO quality_indicators (entity, year, icalin2, d31_status, d31_numerator, \
             d31_denominator, doc_status, doc_rate, doc_ci_low, doc_ci_high, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (entity, year) DO UPDATE SET icalin2 = excluded.icalin2, \
             d31_status = excluded.d31_status, d31_numerator = excluded.d31_numerator, \
             d31_denominator = excluded.d31_denominator, doc_status = excluded.doc_status, \
             doc_rate = excluded.doc_rate, doc_ci_low = excluded.doc_ci_low, \
             doc_ci_high = excluded.doc_ci_high, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(self.entity.to_string())
        .bind(i64::from(self.year))
        .bind(icalin2_code(self.icalin2))
        .bind(d31_status)
        .bind(num)
        .bind(den)
        .bind(doc_status)
        .bind(rate)
        .bind(low)
        .bind(high)
        .bind(now_text())
        .bind(by.user_id.clone())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    fn json(rows: &[Self]) -> serde_json::Value {
        indicators_json(rows)
    }
}

impl Store {
    /// Writes a quality indicators file of `region` (all rows or none) with one
    /// audit line holding the replaced and the new rows. Only the ARS of the
    /// region imports; every entity must be a legal entity of the region.
    pub async fn import_quality_indicators(
        &self,
        user: &User,
        region: &RegionCode,
        file: &str,
        rows: &[QualityIndicators],
    ) -> Result<usize> {
        ensure_importer(
            user,
            region,
            &[Role::Ars],
            ("Importer les indicateurs qualité", Role::Ars.label()),
        )?;
        self.import_region_rows(&Actor::user(user), region, file, rows)
            .await
    }

    /// The quality indicators of the region's entities for `year`.
    pub async fn quality_indicators(
        &self,
        region: &RegionCode,
        year: i16,
    ) -> Result<Vec<QualityIndicators>> {
        let mut conn = self.pool.acquire().await?;
        indicators_in(&mut conn, region, year).await
    }

    /// The engine's verdict for every entity of the campaign's region that has
    /// quality indicators for the campaign year.
    pub async fn quality_verdicts(&self, campaign: &Campaign) -> Result<Vec<QualityVerdict>> {
        let mut conn = self.pool.acquire().await?;
        verdicts_in(&mut conn, campaign).await
    }

    /// The ARS confirms the quality targeting of a campaign. `d31_choices` says,
    /// for each entity whose D3.1 is not filled in (`needs_ars_decision`), whether
    /// the ARS keeps the medication risk: it must choose for every such entity.
    /// An entity is a candidate when it is targeted on at least one risk once
    /// those choices are made (recorded as `engine_targeted`, the reason naming
    /// the ARS's choice); `exclusions` excludes candidates, with a motivation.
    /// Replaces a previous confirmation; one audit line holds both lists.
    pub async fn confirm_quality_targeting(
        &self,
        user: &User,
        campaign: &Campaign,
        d31_choices: &BTreeMap<Finess, bool>,
        exclusions: &BTreeMap<Finess, String>,
    ) -> Result<Vec<ConfirmedTargeting>> {
        const WORDS: ExclusionWords = ExclusionWords {
            no_data: "d'indicateurs qualité",
            not_targeted: "n'est ciblé sur aucun risque",
        };
        self.confirm_targeting(
            (user, campaign, QUALITE, &WORDS),
            async |conn| candidates(&verdicts_in(conn, campaign).await?, d31_choices),
            exclusions,
        )
        .await
    }
}

impl EngineVerdict for QualityVerdict {
    fn entity(&self) -> &LegalEntity {
        &self.entity
    }
    fn engine_targeted(&self) -> bool {
        self.targeting.targeted()
    }
    fn reason(&self) -> &str {
        &self.reason
    }
}

/// The lines of the list once the ARS's `d31_choices` are made: an entity is a
/// candidate when it is targeted on at least one risk, the reason naming the
/// ARS's choice; the ARS must choose for every entity whose D3.1 is missing, and
/// for no other.
fn candidates(
    verdicts: &[QualityVerdict],
    d31_choices: &BTreeMap<Finess, bool>,
) -> Result<Vec<Candidate>> {
    let find = |f: &Finess| verdicts.iter().find(|v| v.entity.finess == *f);
    for f in d31_choices.keys() {
        if !find(f).is_some_and(|v| v.targeting.needs_ars_decision()) {
            return Err(TargetingConflict::D31NotAwaited {
                entity: f.to_string(),
            }
            .into());
        }
    }
    let mut candidates = Vec::with_capacity(verdicts.len());
    for v in verdicts {
        let mut risks = v.targeting.targeted_risks();
        let mut reason = v.reason.clone();
        if v.targeting.needs_ars_decision() {
            let Some(keep) = d31_choices.get(&v.entity.finess) else {
                return Err(TargetingConflict::D31Missing {
                    name: v.entity.name.clone(),
                    entity: v.entity.finess.to_string(),
                }
                .into());
            };
            if *keep {
                risks.push(Risk::Medicamenteux);
            }
            reason.push_str(if *keep {
                " ; appréciation de l'ARS : risque médicamenteux retenu"
            } else {
                " ; appréciation de l'ARS : risque médicamenteux non retenu"
            });
        }
        risks.sort();
        candidates.push(Candidate {
            finess: v.entity.finess,
            name: v.entity.name.clone(),
            engine_targeted: !risks.is_empty(),
            reason,
            risks: Some(
                serde_json::to_string(&risks)
                    .map_err(crate::unreadable("risques du ciblage qualité"))?,
            ),
        });
    }
    Ok(candidates)
}

pub(crate) async fn verdicts_in(
    conn: &mut AnyConnection,
    campaign: &Campaign,
) -> Result<Vec<QualityVerdict>> {
    let params = parameters(&mut *conn, campaign).await?;
    let indicators = indicators_in(&mut *conn, &campaign.region, campaign.year).await?;
    let entities = region_entities_in(&mut *conn, &campaign.region).await?;
    let mut out = Vec::with_capacity(indicators.len());
    for q in indicators {
        let entity = region_entity(&entities, q.entity)?;
        let targeting = target(&params, q.icalin2, q.d31, q.doc);
        let reason = quality_reason(&targeting);
        out.push(QualityVerdict {
            entity,
            indicators: q,
            targeting,
            reason,
        });
    }
    Ok(out)
}
