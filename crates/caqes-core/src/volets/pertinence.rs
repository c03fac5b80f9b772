//! Pertinence volet: targeting by a statistical test, and the yearly evaluation.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, annex 5:
//! - Targeting: establishments « sont ciblés lorsque sont constatés : un écart
//!   significatif entre le nombre d'actes, de prestations ou de prescriptions réalisés
//!   par l'établissement de santé et les moyennes régionales ou nationales pour une
//!   activité comparable ; ou une proportion élevée d'actes […] non conformes aux
//!   référentiels établis par la HAS ».
//! - « A minima, un objectif quantifié devra figurer au titre de la thématique
//!   principale qui permettra de déterminer le déclenchement de la sanction ou de
//!   l'intéressement […]. Des objectifs complémentaires […] permettront de moduler la
//!   sanction ou l'intéressement. »
//! - « Deux types de sanction sont applicables pour ce volet : la MSAP et la retenue de
//!   maximum 1% des produits reçus des régimes obligatoires d'assurance maladie […] au
//!   titre du dernier exercice clos. La nature de la sanction est déterminée lors de
//!   l'étape de contractualisation. » Glossary: the MSAP « est prononcée pour une
//!   période maximum de 6 mois ».
//! - IV.b.i: the incentive's maximum is « fixé dans le contrat » (FIR credits).
//!
//! **Test used for « écart significatif »** (our choice, the instruction names none):
//! a funnel plot with *exact* control limits. For a proportion (events among a
//! population, against a reference rate p0, e.g. the regional Σ events / Σ population)
//! the count follows Binomial(n, p0); for a count against an expected count E
//! (recourse ratio, indirect standardisation) it follows Poisson(E). An establishment
//! crosses the upper limit at level L when P(X ≥ observed) ≤ (1 − L)/2, the lower limit
//! when P(X ≤ observed) ≤ (1 − L)/2; limits are reported as counts and rates. The
//! exact tests stay valid for the small counts where p0 ± z·√(p0(1−p0)/n) does not.
//! Levels: 95 % (alert) and 99.8 % (targeting), the usual funnel-plot pair
//! (Spiegelhalter 2005). The z-score (observed − expected)/σ is reported for reading.
//!
//! **Modulation** (our reading, the instruction gives no formula): with `m` =
//! `part_modulee_pct`/100 and `s` the weighted share of complementary objectives met,
//! incentive = ceiling × ((1 − m) + m × s), retention = ceiling × ((1 − m) + m × (1 − s));
//! with no complementary objective the full ceiling applies. Default m = 50 %: the main
//! objective decides, and the complementary ones move at most half the amount.

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::{Objective, Progress, VoletError, achievement_share, check_non_negative, check_pct};
use crate::finess::Finess;
use crate::money::Euros;
use crate::rate::Rate;
use crate::sanction::{Basis, Nature, Proposal};

/// Which deviations target an establishment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensCiblage {
    /// Above or below the reference (« un écart significatif »).
    Bilateral,
    /// Above only (over-use, « proportion élevée »).
    AuDessus,
    /// Below only.
    EnDessous,
}

/// What a theme's test compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// `observed` events among `population` against a reference proportion.
    Proportion {
        observed: u64,
        population: u64,
        reference: Rate,
    },
    /// `observed` count against an expected count (indirect standardisation).
    Ratio { observed: u64, expected: Decimal },
}

/// One theme's data of a legal entity for a year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PertinenceData {
    pub entity: Finess,
    pub year: i16,
    pub theme: String,
    pub measure: Measure,
}

/// Parameters of the pertinence volet (section `[pertinence]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PertinenceParameters {
    /// Ceiling of the retention, in % of the AM revenue of the last closed year (1).
    pub plafond_retenue_produits_am_pct: Decimal,
    /// Maximum duration of a mise sous accord préalable, in months (6).
    pub duree_max_msap_mois: u8,
    /// Share of the amount that the complementary objectives modulate, in % (50).
    pub part_modulee_pct: Decimal,
    /// Confidence level of the alert limits of the funnel plot, in % (95).
    pub niveau_alerte_pct: Decimal,
    /// Confidence level of the targeting limits, in % (99.8).
    pub niveau_ciblage_pct: Decimal,
    /// One direction for every theme without its own (`sens_par_theme`); unset, the
    /// direction follows the measure (D10): annex 5 targets « une proportion élevée »
    /// of non-conforming acts (a proportion: above only) or « un écart significatif »
    /// between a count and the regional or national averages (a count against its
    /// expected value: both ways).
    pub sens_ciblage: Option<SensCiblage>,
    /// The direction of a theme (its label, compared without case), for the rates
    /// where the atypical side is low: an ambulatory surgery rate is low when « une
    /// proportion élevée de prestations d'hospitalisation avec hébergement […] auraient
    /// pu donner lieu à des prises en charge sans hébergement ».
    pub sens_par_theme: BTreeMap<String, SensCiblage>,
}

impl Default for PertinenceParameters {
    fn default() -> Self {
        PertinenceParameters {
            plafond_retenue_produits_am_pct: Decimal::ONE,
            duree_max_msap_mois: 6,
            part_modulee_pct: Decimal::from(50),
            niveau_alerte_pct: Decimal::from(95),
            niveau_ciblage_pct: Decimal::new(998, 1),
            sens_ciblage: None,
            sens_par_theme: BTreeMap::from([(
                "Chirurgie ambulatoire".to_owned(),
                SensCiblage::EnDessous,
            )]),
        }
    }
}

/// What a theme measures, for its default direction (D10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasureKind {
    /// Events among a population against a reference proportion.
    Proportion,
    /// A count against its expected count.
    Ratio,
}

impl PertinenceParameters {
    /// The direction that targets `theme`: its own, else the grid's single one, else the
    /// measure's (a proportion above, a count both ways).
    pub fn sens_for(&self, theme: &str, measure: MeasureKind) -> SensCiblage {
        let wanted = theme.trim().to_lowercase();
        self.sens_par_theme
            .iter()
            .find(|(t, _)| t.trim().to_lowercase() == wanted)
            .map(|(_, s)| *s)
            .or(self.sens_ciblage)
            .unwrap_or(match measure {
                MeasureKind::Proportion => SensCiblage::AuDessus,
                MeasureKind::Ratio => SensCiblage::Bilateral,
            })
    }

    /// These parameters with the direction of `theme` fixed, for [`proportion_test`] and
    /// [`ratio_test`] (which see no theme).
    pub fn for_theme(&self, theme: &str, measure: MeasureKind) -> PertinenceParameters {
        PertinenceParameters {
            sens_ciblage: Some(self.sens_for(theme, measure)),
            ..self.clone()
        }
    }
}

impl PertinenceParameters {
    pub fn validate(&self) -> Result<(), VoletError> {
        check_pct(
            "plafond_retenue_produits_am_pct",
            self.plafond_retenue_produits_am_pct,
        )?;
        check_pct("part_modulee_pct", self.part_modulee_pct)?;
        if self.duree_max_msap_mois == 0 {
            return Err(VoletError::InvalidParameter {
                name: "duree_max_msap_mois",
                reason: "doit être au moins 1".into(),
            });
        }
        let (a, c) = (self.niveau_alerte_pct, self.niveau_ciblage_pct);
        if !(Decimal::ZERO < a && a < c && c < Decimal::ONE_HUNDRED) {
            return Err(VoletError::InvalidParameter {
                name: "niveau_ciblage_pct",
                reason: format!(
                    "il faut 0 < niveau_alerte_pct ({a}) < niveau_ciblage_pct ({c}) < 100"
                ),
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------
// Targeting: funnel plot with exact limits.

/// The distribution the test uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    /// Events among a population against a reference proportion.
    BinomialeExacte,
    /// A count against an expected count.
    PoissonExacte,
}

/// Where the observation lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AuDessus,
    EnDessous,
    DansLesLimites,
}

/// The control limits at one confidence level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlLimits {
    pub niveau_pct: f64,
    /// Largest count significantly low (`None`: no count is, e.g. expected ≈ 0).
    pub limite_basse: Option<u64>,
    /// Smallest count significantly high (`None`: none within the population).
    pub limite_haute: Option<u64>,
    /// The limits as rates (count / population, or count / expected for a ratio).
    pub taux_limite_basse: Option<f64>,
    pub taux_limite_haute: Option<f64>,
    /// Which limit the observation crosses.
    pub franchie: Direction,
}

/// The report of a targeting test, not just a flag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelTest {
    pub methode: TestMethod,
    pub observe: u64,
    /// Population (binomial) or expected count (Poisson).
    pub denominateur: f64,
    pub attendu: f64,
    /// observed / population, or the ratio observed / expected.
    pub taux_observe: f64,
    /// p0 for a proportion; 1 for a ratio.
    pub taux_reference: f64,
    pub z_score: f64,
    /// Exact two-sided p-value: 2 × min(P(X ≤ observed), P(X ≥ observed)), at most 1.
    pub p_valeur_bilaterale: f64,
    pub sens: Direction,
    pub alerte: ControlLimits,
    pub ciblage: ControlLimits,
    /// Crosses the targeting limit in a direction the parameters target.
    pub cible: bool,
}

/// Tests whether `observed` events among `population` deviate from the reference
/// proportion (exact binomial).
pub fn proportion_test(
    params: &PertinenceParameters,
    observed: u64,
    population: u64,
    reference: &Rate,
) -> Result<FunnelTest, VoletError> {
    if population == 0 {
        return Err(VoletError::Statistics("la population est nulle".into()));
    }
    if observed > population {
        return Err(VoletError::Statistics(format!(
            "{observed} événements pour une population de {population}"
        )));
    }
    let p0 = reference.value().to_f64().unwrap_or(f64::NAN);
    if !(p0 > 0.0 && p0 < 1.0) {
        return Err(VoletError::Statistics(format!(
            "le taux de référence {reference} doit être strictement entre 0 et 1"
        )));
    }
    let n = population as f64;
    check_size(n * p0 * (1.0 - p0))?;
    let dist = Distribution::binomial(population, p0);
    Ok(report(
        params,
        TestMethod::BinomialeExacte,
        observed,
        n,
        p0,
        dist,
    ))
}

/// Tests whether an observed count deviates from its expected count (exact Poisson),
/// e.g. a standardised recourse ratio.
pub fn ratio_test(
    params: &PertinenceParameters,
    observed: u64,
    expected: Decimal,
) -> Result<FunnelTest, VoletError> {
    let e = expected.to_f64().unwrap_or(f64::NAN);
    if !(e > 0.0 && e.is_finite()) {
        return Err(VoletError::Statistics(format!(
            "le nombre attendu {expected} doit être strictement positif"
        )));
    }
    check_size(e)?;
    Ok(report(
        params,
        TestMethod::PoissonExacte,
        observed,
        e,
        1.0,
        Distribution::poisson(e),
    ))
}

/// The tabulated window is ±40 standard deviations: refuse variances that would
/// need more than 10 million counts (far beyond any establishment's activity).
fn check_size(variance: f64) -> Result<(), VoletError> {
    if 80.0 * variance.sqrt() + 100.0 > 10_000_000.0 {
        return Err(VoletError::Statistics(format!(
            "variance {variance:.0} trop grande pour le test exact"
        )));
    }
    Ok(())
}

/// Expected count by indirect standardisation: Σ population of each stratum (age
/// band, activity…) × the reference rate of that stratum. Exact.
pub fn expected_count<'a>(strata: impl IntoIterator<Item = (Decimal, &'a Rate)>) -> Decimal {
    strata
        .into_iter()
        .map(|(population, rate)| population * rate.numerator() / rate.denominator())
        .sum()
}

fn report(
    params: &PertinenceParameters,
    methode: TestMethod,
    observed: u64,
    denominateur: f64,
    taux_reference: f64,
    dist: Distribution,
) -> FunnelTest {
    let (lower_tail, upper_tail) = dist.tails(observed);
    let p_two = (2.0 * lower_tail.min(upper_tail)).min(1.0);
    let sens = if (observed as f64) > dist.mean {
        Direction::AuDessus
    } else if (observed as f64) < dist.mean {
        Direction::EnDessous
    } else {
        Direction::DansLesLimites
    };
    let level = |pct: Decimal| pct.to_f64().unwrap_or(99.8);
    let limits = |pct: Decimal| {
        let niveau = level(pct);
        let half_alpha = (1.0 - niveau / 100.0) / 2.0;
        let (lo, hi) = dist.limits(half_alpha);
        let franchie = if hi.is_some_and(|h| observed >= h) {
            Direction::AuDessus
        } else if lo.is_some_and(|l| observed <= l) {
            Direction::EnDessous
        } else {
            Direction::DansLesLimites
        };
        ControlLimits {
            niveau_pct: niveau,
            limite_basse: lo,
            limite_haute: hi,
            taux_limite_basse: lo.map(|l| l as f64 / denominateur),
            taux_limite_haute: hi.map(|h| h as f64 / denominateur),
            franchie,
        }
    };
    let alerte = limits(params.niveau_alerte_pct);
    let ciblage = limits(params.niveau_ciblage_pct);
    let measure = match methode {
        TestMethod::BinomialeExacte => MeasureKind::Proportion,
        TestMethod::PoissonExacte => MeasureKind::Ratio,
    };
    // Without a theme, the grid's single direction or the measure's.
    let sens_ciblage = params
        .sens_ciblage
        .unwrap_or_else(|| params.sens_for("", measure));
    let cible = match (sens_ciblage, ciblage.franchie) {
        (_, Direction::DansLesLimites) => false,
        (SensCiblage::Bilateral, _) => true,
        (SensCiblage::AuDessus, d) => d == Direction::AuDessus,
        (SensCiblage::EnDessous, d) => d == Direction::EnDessous,
    };
    FunnelTest {
        methode,
        observe: observed,
        denominateur,
        attendu: dist.mean,
        taux_observe: observed as f64 / denominateur,
        taux_reference,
        z_score: (observed as f64 - dist.mean) / dist.sd,
        p_valeur_bilaterale: p_two,
        sens,
        alerte,
        ciblage,
        cible,
    }
}

/// A discrete distribution tabulated on the window of counts carrying all but a
/// negligible (< 1e-300) part of its mass: ±40 standard deviations around the mean.
struct Distribution {
    mean: f64,
    sd: f64,
    lo: u64,
    /// `lower[i]` = P(X ≤ lo + i), `upper[i]` = P(X ≥ lo + i), each summed from its own
    /// end so that small tails keep their precision.
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Distribution {
    fn binomial(n: u64, p: f64) -> Self {
        let mean = n as f64 * p;
        let sd = (mean * (1.0 - p)).sqrt();
        let (lo, hi) = window(mean, sd, Some(n));
        let (ln_p, ln_q, ln_n) = (p.ln(), (1.0 - p).ln(), ln_factorial(n));
        Distribution::tabulate(mean, sd, lo, hi, |k| {
            ln_n - ln_factorial(k) - ln_factorial(n - k) + k as f64 * ln_p + (n - k) as f64 * ln_q
        })
    }

    fn poisson(mean: f64) -> Self {
        let sd = mean.sqrt();
        let (lo, hi) = window(mean, sd, None);
        let ln_m = mean.ln();
        Distribution::tabulate(mean, sd, lo, hi, |k| {
            -mean + k as f64 * ln_m - ln_factorial(k)
        })
    }

    fn tabulate(mean: f64, sd: f64, lo: u64, hi: u64, ln_pmf: impl Fn(u64) -> f64) -> Self {
        let pmf: Vec<f64> = (lo..=hi).map(|k| ln_pmf(k).exp()).collect();
        let mut lower = Vec::with_capacity(pmf.len());
        let mut acc = 0.0;
        for p in &pmf {
            acc += p;
            lower.push(acc.min(1.0));
        }
        let mut upper = vec![0.0; pmf.len()];
        let mut acc = 0.0;
        for (i, p) in pmf.iter().enumerate().rev() {
            acc += p;
            upper[i] = acc.min(1.0);
        }
        Distribution {
            mean,
            sd,
            lo,
            lower,
            upper,
        }
    }

    fn hi(&self) -> u64 {
        self.lo + self.lower.len() as u64 - 1
    }

    /// (P(X ≤ k), P(X ≥ k)).
    fn tails(&self, k: u64) -> (f64, f64) {
        if k < self.lo {
            (0.0, 1.0)
        } else if k > self.hi() {
            (1.0, 0.0)
        } else {
            let i = (k - self.lo) as usize;
            (self.lower[i], self.upper[i])
        }
    }

    /// (largest k with P(X ≤ k) ≤ α/2, smallest k with P(X ≥ k) ≤ α/2).
    fn limits(&self, half_alpha: f64) -> (Option<u64>, Option<u64>) {
        let lo = self
            .lower
            .iter()
            .rposition(|&t| t <= half_alpha)
            .map(|i| self.lo + i as u64);
        // Counts below a window that starts above 0 carry no mass: significantly low.
        let lo = lo.or_else(|| self.lo.checked_sub(1));
        let hi = self
            .upper
            .iter()
            .position(|&t| t <= half_alpha)
            .map(|i| self.lo + i as u64);
        (lo, hi)
    }
}

/// The window [mean − 40 sd − 50, mean + 40 sd + 50] clipped to [0, n].
fn window(mean: f64, sd: f64, n: Option<u64>) -> (u64, u64) {
    let spread = 40.0 * sd + 50.0;
    let lo = (mean - spread).floor().max(0.0) as u64;
    let hi = (mean + spread).ceil().max(0.0) as u64;
    (lo, n.map_or(hi, |n| hi.min(n)))
}

/// ln(k!): exact sum below 30, Stirling's series above (relative error < 1e-15).
fn ln_factorial(k: u64) -> f64 {
    if k < 30 {
        return (2..=k).map(|i| (i as f64).ln()).sum();
    }
    let x = k as f64;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    x * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI * x).ln()
        + inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 / 1260.0))
}

// ---------------------------------------------------------------------------------
// Evaluation.

/// The kind of sanction chosen at contracting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "nature", rename_all = "snake_case")]
pub enum PertinenceSanctionKind {
    /// Mise sous accord préalable: no amount, a duration.
    Msap { duree_mois: u8 },
    /// Retention of at most 1 % of the AM revenue.
    Retenue,
}

/// The terms of the volet that the contract fixes (W10). Annex 5: the nature of the
/// sanction is « déterminée lors de l'étape de contractualisation », and the incentive's
/// maximum is written in the contract; the yearly evaluation takes both from the signed
/// contract, it does not choose them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PertinenceTerms {
    pub nature_sanction: PertinenceSanctionKind,
    pub plafond_interessement: Euros,
}

impl PertinenceTerms {
    /// Checks the terms as the evaluation would: an MSAP of 1 to `duree_max_msap_mois`
    /// months, a ceiling that is not negative.
    pub fn new(
        params: &PertinenceParameters,
        nature_sanction: PertinenceSanctionKind,
        plafond_interessement: Euros,
    ) -> Result<Self, VoletError> {
        check_non_negative("plafond d'intéressement", plafond_interessement)?;
        check_msap_duration(params, nature_sanction)?;
        Ok(PertinenceTerms {
            nature_sanction,
            plafond_interessement,
        })
    }
}

fn check_msap_duration(
    params: &PertinenceParameters,
    nature: PertinenceSanctionKind,
) -> Result<(), VoletError> {
    if let PertinenceSanctionKind::Msap { duree_mois } = nature
        && (duree_mois == 0 || duree_mois > params.duree_max_msap_mois)
    {
        return Err(VoletError::MsapDuration {
            got: duree_mois,
            max: params.duree_max_msap_mois,
        });
    }
    Ok(())
}

/// What the yearly evaluation of the volet needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PertinenceEvaluationInput {
    /// The main quantified objective (« thématique principale »).
    pub objectif_principal_atteint: bool,
    pub objectifs_complementaires: Vec<Objective>,
    pub nature_sanction: PertinenceSanctionKind,
    /// Maximum incentive written in the contract.
    pub plafond_interessement: Euros,
    /// AM revenue of the last closed year (retention basis).
    pub produits_am: Euros,
}

impl PertinenceEvaluationInput {
    /// The contract's terms carried by this input.
    pub fn terms(&self) -> PertinenceTerms {
        PertinenceTerms {
            nature_sanction: self.nature_sanction,
            plafond_interessement: self.plafond_interessement,
        }
    }
}

/// What the evaluation leads to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PertinenceConsequence {
    Interessement(Proposal),
    Retenue(Proposal),
    Msap { duree_mois: u8 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PertinenceEvaluation {
    /// Weighted share of complementary objectives met (`None`: there was none).
    pub part_objectifs_complementaires: Option<Progress>,
    /// Fraction of the ceiling applied.
    pub modulation: Decimal,
    pub consequence: PertinenceConsequence,
}

/// Evaluates the volet for one year.
pub fn evaluate(
    params: &PertinenceParameters,
    input: &PertinenceEvaluationInput,
) -> Result<PertinenceEvaluation, VoletError> {
    check_non_negative("plafond d'intéressement", input.plafond_interessement)?;
    check_non_negative("produits AM", input.produits_am)?;
    check_msap_duration(params, input.nature_sanction)?;
    let share = achievement_share(&input.objectifs_complementaires)?;
    let m = params.part_modulee_pct / Decimal::ONE_HUNDRED;
    let favourable = |s: Progress| {
        if input.objectif_principal_atteint {
            s
        } else {
            s.complement()
        }
    };
    let modulation = share.map_or(Decimal::ONE, |s| {
        Decimal::ONE - m + m * favourable(s).value()
    });
    let consequence = if input.objectif_principal_atteint {
        PertinenceConsequence::Interessement(Proposal::scaled(
            Nature::Interessement,
            Basis::PlafondContractuel,
            input.plafond_interessement,
            modulation,
        ))
    } else {
        match input.nature_sanction {
            PertinenceSanctionKind::Msap { duree_mois } => {
                PertinenceConsequence::Msap { duree_mois }
            }
            PertinenceSanctionKind::Retenue => {
                let ceiling = input
                    .produits_am
                    .percent(params.plafond_retenue_produits_am_pct);
                PertinenceConsequence::Retenue(Proposal::scaled(
                    Nature::Sanction,
                    Basis::ProduitsAm,
                    ceiling,
                    modulation,
                ))
            }
        }
    };
    Ok(PertinenceEvaluation {
        part_objectifs_complementaires: share,
        modulation,
        consequence,
    })
}

/// The DG ARS's decision on a mise sous accord préalable (MSAP).
///
/// The duration is at most the one the contract fixed (itself at most
/// `duree_max_msap_mois`, checked by [`evaluate`]); 0 means the DG ARS does not
/// pronounce it. Like an amount (IV.b: « les modulations sont motivées par le
/// directeur général de l'ARS »), a duration other than the proposed one needs a
/// motivation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MsapDecision {
    proposed_months: u8,
    months: u8,
    motivation: Option<String>,
}

/// The days an MSAP runs, both included. Glossary of annex 5: « La mise sous
/// accord préalable démarre alors à la date de sa notification ; elle est
/// prononcée pour une période maximum de 6 mois ».
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MsapPeriod {
    pub start: Date,
    pub end: Date,
}

impl MsapDecision {
    pub fn new(
        proposed_months: u8,
        months: u8,
        motivation: Option<&str>,
    ) -> Result<Self, VoletError> {
        if months > proposed_months {
            return Err(VoletError::MsapAboveProposal {
                got: months,
                proposed: proposed_months,
            });
        }
        let motivation = motivation
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        if months != proposed_months && motivation.is_none() {
            return Err(VoletError::MsapMotivationRequired {
                got: months,
                proposed: proposed_months,
            });
        }
        Ok(MsapDecision {
            proposed_months,
            months,
            motivation,
        })
    }

    pub fn proposed_months(&self) -> u8 {
        self.proposed_months
    }

    /// 0 when the MSAP is not pronounced.
    pub fn months(&self) -> u8 {
        self.months
    }

    pub fn motivation(&self) -> Option<&str> {
        self.motivation.as_deref()
    }

    /// The period for a notification on `notified_on`: from that day to the day
    /// before the same date `months` later; when that date does not exist (31
    /// April), the period ends on the last day of that month (a notification on
    /// 31 January for 3 months runs to 30 April). `None` when the MSAP is not
    /// pronounced.
    pub fn period(&self, notified_on: Date) -> Option<MsapPeriod> {
        msap_period(notified_on, self.months)
    }
}

/// See [`MsapDecision::period`]; also used to show a stored decision.
pub fn msap_period(notified_on: Date, months: u8) -> Option<MsapPeriod> {
    if months == 0 {
        return None;
    }
    let same_date = notified_on.checked_add(i64::from(months).months()).ok()?;
    // jiff clamps a missing day to the month's last day: that day is then the
    // last one of the period; otherwise the period ends the day before.
    let end = if same_date.day() < notified_on.day() {
        same_date
    } else {
        same_date.yesterday().ok()?
    };
    Some(MsapPeriod {
        start: notified_on,
        end,
    })
}

#[cfg(test)]
mod tests;
