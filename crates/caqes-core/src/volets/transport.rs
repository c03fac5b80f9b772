//! Transport volet (former CAQOS transports).
//!
//! Instruction DSS/A1/CNAMTS/2017/234, annex 4:
//! - Targeting: « Les établissements sont ciblés lorsque leur taux d'évolution annuel en
//!   valeur des dépenses de transports prescrits […] ou leur montant annuel […] dépasse
//!   le seuil fixé par l'arrêté référentiels » (footnote 6: « pour l'année 2017, ces
//!   seuils sont fixés respectivement à 2,2% et 500 000€ »). « Dépasse » is read as
//!   strictly above: exactly 2.2 % or exactly 500 000 € does not target.
//! - The decision table (« En synthèse ») from the mandatory spending target and the
//!   optional objective: [`decide`].
//! - « Intéressement : au maximum 30% des économies réalisées, modulée en fonction de
//!   la progression du plan d'actions. Sanction : au maximum 1% des produits perçues de
//!   l'assurance-maladie obligatoire, modulée en fonction de la progression du plan
//!   d'actions. » Footnote 8: « Les économies réalisées sont la différence entre le
//!   montant de dépenses prévisionnel en l'absence de mesures de maîtrise médicalisée
//!   et le montant de dépenses observé. »
//!
//! Reading of the modulation (ours, the instruction gives no formula): with the action
//! plan's progress `p` in [0, 1], incentive = ceiling × p, sanction = ceiling × (1 − p).
//! A plan fully carried out earns the whole incentive and cancels the sanction.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Progress, VoletError, check_non_negative, check_pct};
use crate::finess::Finess;
use crate::money::Euros;
use crate::sanction::{Basis, Nature, Proposal};

/// One line of a transport spending file (read by `caqes_data::region_csv::transport`): a legal entity's spending for a year
/// and for the year before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportSpending {
    pub entity: Finess,
    pub year: i16,
    pub previous: Euros,
    pub amount: Euros,
}

/// Thresholds and ceilings of the transport volet (section `[transports]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransportParameters {
    /// Targeting threshold on the yearly growth of spending, in % (2.2 in 2017).
    pub seuil_evolution_pct: Decimal,
    /// Targeting threshold on the yearly amount of spending (500 000 € in 2017).
    pub seuil_montant: Euros,
    /// Incentive ceiling, in % of the savings (30).
    pub plafond_interessement_economies_pct: Decimal,
    /// Sanction ceiling, in % of the AM revenue of the last closed year (1).
    pub plafond_sanction_produits_am_pct: Decimal,
}

impl Default for TransportParameters {
    fn default() -> Self {
        TransportParameters {
            seuil_evolution_pct: Decimal::new(22, 1),
            seuil_montant: Euros(Decimal::from(500_000)),
            plafond_interessement_economies_pct: Decimal::from(30),
            plafond_sanction_produits_am_pct: Decimal::ONE,
        }
    }
}

impl TransportParameters {
    pub fn validate(&self) -> Result<(), VoletError> {
        check_non_negative("seuil_montant", self.seuil_montant)?;
        check_pct(
            "plafond_interessement_economies_pct",
            self.plafond_interessement_economies_pct,
        )?;
        check_pct(
            "plafond_sanction_produits_am_pct",
            self.plafond_sanction_produits_am_pct,
        )
    }
}

/// The targeting of one establishment, with the reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransportTargeting {
    pub depenses_annee_precedente: Euros,
    pub depenses: Euros,
    /// 100 × (spending / previous − 1); `None` when there was no previous spending.
    pub evolution_pct: Option<Decimal>,
    pub depasse_seuil_evolution: bool,
    pub depasse_seuil_montant: bool,
}

impl TransportTargeting {
    /// Targeted when either threshold is exceeded.
    pub fn targeted(&self) -> bool {
        self.depasse_seuil_evolution || self.depasse_seuil_montant
    }
}

/// Applies the targeting thresholds to the transport spending prescribed by the
/// establishment and reimbursed on the ambulatory envelope, for two consecutive years.
pub fn target(
    params: &TransportParameters,
    previous: Euros,
    current: Euros,
) -> Result<TransportTargeting, VoletError> {
    check_non_negative("dépenses de l'année précédente", previous)?;
    check_non_negative("dépenses de l'année", current)?;
    let (p, c) = (previous.amount(), current.amount());
    let (evolution_pct, exceeds_growth) = if p > Decimal::ZERO {
        // Compared by cross-multiplication so that the boundary is exact.
        let exceeds = (c - p) * Decimal::ONE_HUNDRED > params.seuil_evolution_pct * p;
        (Some((c - p) * Decimal::ONE_HUNDRED / p), exceeds)
    } else {
        // A growth from nothing is undefined; the amount threshold still applies.
        (None, false)
    };
    Ok(TransportTargeting {
        depenses_annee_precedente: previous,
        depenses: current,
        evolution_pct,
        depasse_seuil_evolution: exceeds_growth,
        depasse_seuil_montant: current > params.seuil_montant,
    })
}

/// Whether the mandatory target is met: the observed growth is at most the contracted
/// growth target (an exactly equal growth meets it).
pub fn main_target_met(
    previous: Euros,
    observed: Euros,
    target_growth_pct: Decimal,
) -> Result<bool, VoletError> {
    check_non_negative("dépenses observées", observed)?;
    if previous.amount() <= Decimal::ZERO {
        return Err(VoletError::NoPreviousSpending);
    }
    let (p, o) = (previous.amount(), observed.amount());
    Ok((o - p) * Decimal::ONE_HUNDRED <= target_growth_pct * p)
}

/// The optional (« supplémentaire ») objective of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionalObjective {
    Atteint,
    NonAtteint,
    /// « Pas d'objectif supplémentaire ».
    Absent,
}

/// The cell of the decision table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportOutcome {
    Interessement,
    NiInteressementNiSanction,
    Sanction,
}

impl TransportOutcome {
    pub fn label(self) -> &'static str {
        match self {
            TransportOutcome::Interessement => "Intéressement",
            TransportOutcome::NiInteressementNiSanction => "Ni intéressement, ni sanction",
            TransportOutcome::Sanction => "Sanction",
        }
    }
}

/// The instruction's table, exactly:
///
/// | | cible atteinte | cible non atteinte |
/// |---|---|---|
/// | objectif supplémentaire atteint | Intéressement | Ni intéressement, ni sanction |
/// | objectif supplémentaire non atteint | Sanction | Sanction |
/// | pas d'objectif supplémentaire | Intéressement | Sanction |
pub fn decide(main_target_met: bool, optional: OptionalObjective) -> TransportOutcome {
    use OptionalObjective as O;
    use TransportOutcome as T;
    match (optional, main_target_met) {
        (O::Atteint, true) | (O::Absent, true) => T::Interessement,
        (O::Atteint, false) => T::NiInteressementNiSanction,
        (O::NonAtteint, _) | (O::Absent, false) => T::Sanction,
    }
}

/// What the yearly evaluation of the volet needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportEvaluationInput {
    pub cible_atteinte: bool,
    pub objectif_supplementaire: OptionalObjective,
    /// Forecast spending in the absence of « mesures de maîtrise médicalisée ».
    pub depenses_previsionnelles_sans_mesures: Euros,
    pub depenses_observees: Euros,
    /// AM revenue of the last closed year (sanction basis).
    pub produits_am: Euros,
    /// Progress of the action plan annexed to the volet.
    pub progression_plan_actions: Progress,
}

/// The result of the evaluation: the table's cell, the savings, and the proposed amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransportEvaluation {
    pub issue: TransportOutcome,
    /// Forecast without measures − observed (negative when spending overran the forecast).
    pub economies: Euros,
    /// `None` for « ni intéressement, ni sanction ».
    pub proposition: Option<Proposal>,
}

/// Evaluates the volet for one year.
pub fn evaluate(
    params: &TransportParameters,
    input: &TransportEvaluationInput,
) -> Result<TransportEvaluation, VoletError> {
    check_non_negative(
        "dépenses prévisionnelles",
        input.depenses_previsionnelles_sans_mesures,
    )?;
    check_non_negative("dépenses observées", input.depenses_observees)?;
    check_non_negative("produits AM", input.produits_am)?;
    let issue = decide(input.cible_atteinte, input.objectif_supplementaire);
    let economies = input.depenses_previsionnelles_sans_mesures - input.depenses_observees;
    let progress = input.progression_plan_actions;
    let proposition = match issue {
        TransportOutcome::Interessement => {
            // No savings, no incentive: the ceiling is 30 % of max(savings, 0).
            let base = Euros(economies.amount().max(Decimal::ZERO));
            let ceiling = base.percent(params.plafond_interessement_economies_pct);
            Some(Proposal::scaled(
                Nature::Interessement,
                Basis::Economies,
                ceiling,
                progress.value(),
            ))
        }
        TransportOutcome::Sanction => {
            let ceiling = input
                .produits_am
                .percent(params.plafond_sanction_produits_am_pct);
            Some(Proposal::scaled(
                Nature::Sanction,
                Basis::ProduitsAm,
                ceiling,
                progress.complement().value(),
            ))
        }
        TransportOutcome::NiInteressementNiSanction => None,
    };
    Ok(TransportEvaluation {
        issue,
        economies,
        proposition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn e(v: Decimal) -> Euros {
        Euros(v)
    }

    #[test]
    fn thresholds_of_2017_are_strict() {
        let p = TransportParameters::default();
        assert_eq!(p.seuil_evolution_pct, dec!(2.2));
        assert_eq!(p.seuil_montant, e(dec!(500_000)));
        // Exactly +2.2 % and 102 200 €: not targeted.
        let t = target(&p, e(dec!(100_000)), e(dec!(102_200))).unwrap();
        assert_eq!(t.evolution_pct, Some(dec!(2.2)));
        assert!(!t.targeted());
        // One cent more: targeted on growth only.
        let t = target(&p, e(dec!(100_000)), e(dec!(102_200.01))).unwrap();
        assert!(t.depasse_seuil_evolution && !t.depasse_seuil_montant && t.targeted());
        // Exactly 500 000 € with a decrease: not targeted; 500 000.01 €: targeted on amount.
        assert!(
            !target(&p, e(dec!(600_000)), e(dec!(500_000)))
                .unwrap()
                .targeted()
        );
        let t = target(&p, e(dec!(600_000)), e(dec!(500_000.01))).unwrap();
        assert!(t.depasse_seuil_montant && !t.depasse_seuil_evolution);
        // No previous spending: growth undefined, amount rule alone.
        let t = target(&p, Euros::ZERO, e(dec!(400_000))).unwrap();
        assert_eq!(t.evolution_pct, None);
        assert!(!t.targeted());
        assert!(target(&p, e(dec!(-1)), e(dec!(1))).is_err());
    }

    #[test]
    fn aphp_transport_spending_is_targeted_on_both_criteria() {
        // Seed 002: « 153,5 M€ (+7,9% 2016/2015) ».
        let p = TransportParameters::default();
        let previous = e(dec!(153_500_000) / dec!(1.079));
        let t = target(&p, previous, e(dec!(153_500_000))).unwrap();
        assert!(t.depasse_seuil_evolution && t.depasse_seuil_montant);
        assert_eq!(t.evolution_pct.unwrap().round_dp(1), dec!(7.9));
    }

    #[test]
    fn decision_table_is_the_instructions() {
        use OptionalObjective::*;
        use TransportOutcome::*;
        let table = [
            ((true, Atteint), Interessement),
            ((false, Atteint), NiInteressementNiSanction),
            ((true, NonAtteint), Sanction),
            ((false, NonAtteint), Sanction),
            ((true, Absent), Interessement),
            ((false, Absent), Sanction),
        ];
        for ((met, opt), expected) in table {
            assert_eq!(
                decide(met, opt),
                expected,
                "cible atteinte = {met}, objectif = {opt:?}"
            );
        }
    }

    #[test]
    fn main_target_boundary_is_met() {
        assert!(main_target_met(e(dec!(1_000_000)), e(dec!(1_022_000)), dec!(2.2)).unwrap());
        assert!(!main_target_met(e(dec!(1_000_000)), e(dec!(1_022_000.01)), dec!(2.2)).unwrap());
        assert!(main_target_met(e(dec!(1_000_000)), e(dec!(950_000)), dec!(-5)).unwrap());
        assert_eq!(
            main_target_met(Euros::ZERO, e(dec!(1)), dec!(2)),
            Err(VoletError::NoPreviousSpending)
        );
    }

    fn input(met: bool, opt: OptionalObjective, progress: Decimal) -> TransportEvaluationInput {
        TransportEvaluationInput {
            cible_atteinte: met,
            objectif_supplementaire: opt,
            depenses_previsionnelles_sans_mesures: e(dec!(1_200_000)),
            depenses_observees: e(dec!(1_000_000)),
            produits_am: e(dec!(80_000_000)),
            progression_plan_actions: Progress::from_fraction(progress).unwrap(),
        }
    }

    #[test]
    fn incentive_is_thirty_percent_of_savings_times_progress() {
        let p = TransportParameters::default();
        let r = evaluate(&p, &input(true, OptionalObjective::Absent, dec!(0.5))).unwrap();
        assert_eq!(r.issue, TransportOutcome::Interessement);
        assert_eq!(r.economies, e(dec!(200_000)));
        let prop = r.proposition.unwrap();
        assert_eq!(prop.nature(), Nature::Interessement);
        assert_eq!(prop.ceiling(), e(dec!(60_000)));
        assert_eq!(prop.amount(), e(dec!(30_000)));
        // No savings: no incentive even with the target met.
        let mut i = input(true, OptionalObjective::Atteint, dec!(1));
        i.depenses_observees = e(dec!(1_300_000));
        let r = evaluate(&p, &i).unwrap();
        assert_eq!(r.economies, e(dec!(-100_000)));
        assert_eq!(r.proposition.unwrap().amount(), Euros::ZERO);
    }

    #[test]
    fn sanction_is_one_percent_times_remaining_progress() {
        let p = TransportParameters::default();
        let r = evaluate(&p, &input(true, OptionalObjective::NonAtteint, dec!(0.25))).unwrap();
        let prop = r.proposition.unwrap();
        assert_eq!(
            (prop.nature(), prop.ceiling(), prop.amount()),
            (Nature::Sanction, e(dec!(800_000)), e(dec!(600_000)))
        );
        let r = evaluate(&p, &input(false, OptionalObjective::Absent, dec!(1))).unwrap();
        assert_eq!(r.proposition.unwrap().amount(), Euros::ZERO);
        let r = evaluate(&p, &input(false, OptionalObjective::Atteint, dec!(0))).unwrap();
        assert_eq!(
            (r.issue, r.proposition),
            (TransportOutcome::NiInteressementNiSanction, None)
        );
    }

    proptest! {
        #[test]
        fn amounts_never_exceed_ceilings(
            forecast in 0u64..100_000_000, observed in 0u64..100_000_000, revenue in 0u64..5_000_000_000,
            progress in 0u32..=1000, met: bool, opt in 0u8..3,
        ) {
            let p = TransportParameters::default();
            let opt = [OptionalObjective::Atteint, OptionalObjective::NonAtteint, OptionalObjective::Absent][opt as usize];
            let i = TransportEvaluationInput {
                cible_atteinte: met,
                objectif_supplementaire: opt,
                depenses_previsionnelles_sans_mesures: e(Decimal::from(forecast)),
                depenses_observees: e(Decimal::from(observed)),
                produits_am: e(Decimal::from(revenue)),
                progression_plan_actions: Progress::from_fraction(Decimal::new(progress.into(), 3)).unwrap(),
            };
            let r = evaluate(&p, &i).unwrap();
            if let Some(prop) = r.proposition {
                prop_assert!(prop.amount() <= prop.ceiling());
                match prop.nature() {
                    Nature::Interessement => prop_assert!(
                        prop.ceiling().amount() * dec!(100) <= dec!(30) * r.economies.amount().max(Decimal::ZERO)
                    ),
                    Nature::Sanction => prop_assert!(prop.ceiling() == i.produits_am.percent(dec!(1))),
                }
            }
        }
    }
}
