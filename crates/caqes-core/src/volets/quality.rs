//! Quality volet (« amélioration des pratiques en établissement de santé », ex-CAPES).
//!
//! Instruction DSS/A1/CNAMTS/2017/234, annex 6:
//! - « Si un établissement n'est pas soumis au recueil d'un des indicateurs, il ne peut
//!   être ciblé sur ce risque. »
//! - Infectious risk, ICALIN2: « Les établissements dont le résultat les positionne en
//!   classe C, D ou E, et les non-répondants seront ciblés ».
//! - Medication risk, Hôpital numérique D3.1: « Les établissements de santé dont le
//!   résultat est strictement inférieur à 10% seront ciblés » ; « Pour les
//!   établissements qui n'auraient pas renseigné la valeur de l'indicateur […],
//!   l'opportunité de signer un contrat est laissée à l'appréciation de l'ARS. »
//! - Care pathway risk, DOC: « Les établissements de santé dont le taux de conformité
//!   est significativement inférieur à 10% (c'est-à-dire ceux pour lesquels l'intervalle
//!   de confiance du résultat est strictement inférieur à 10%), et les non-répondants
//!   seront ciblés » — read as: the upper bound of the confidence interval < 10 %.
//! - « la sanction est modulée selon le nombre de risques concernés et selon l'atteinte
//!   des objectifs figurant dans le plan d'amélioration »; IV.b.i: « aucun intéressement
//!   n'est prévu pour le volet qualité ».
//!
//! **Sanction formula** (our reading, the instruction gives none): ceiling = 1 % of the
//! AM revenue of the last closed year; proposed = ceiling × r(k) × (1 − s), where k is
//! the number of risks the establishment is targeted on, r(k) the parameter
//! `taux_du_plafond_par_nombre_de_risques_pct[k − 1]` (default 50 %, 75 %, 100 %) and
//! s the weighted share of the improvement plan's objectives met (0 when the plan has
//! none, e.g. after a refusal to sign). Not targeted on any risk: no sanction.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Objective, VoletError, achievement_share, check_non_negative, check_pct};
use crate::finess::Finess;
use crate::money::Euros;
use crate::rate::Rate;
use crate::sanction::{Basis, Nature, Proposal};

/// ICALIN2 performance class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Icalin2Class {
    A,
    B,
    C,
    D,
    E,
}

/// The quality indicators of a legal entity for a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QualityIndicators {
    pub entity: Finess,
    pub year: i16,
    pub icalin2: Icalin2Result,
    pub d31: D31Result,
    pub doc: DocResult,
}

/// Parameters of the quality volet (section `[qualite]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityParameters {
    /// ICALIN2 classes that target (C, D, E).
    pub classes_ciblees_icalin2: Vec<Icalin2Class>,
    /// D3.1 strictly below this % targets (10).
    pub seuil_d31_pct: Decimal,
    /// DOC confidence interval upper bound strictly below this % targets (10).
    pub seuil_doc_pct: Decimal,
    /// Sanction ceiling in % of the AM revenue of the last closed year (1).
    pub plafond_sanction_produits_am_pct: Decimal,
    /// % of the ceiling for 1, 2 and 3 targeted risks (our choice: 50, 75, 100).
    pub taux_du_plafond_par_nombre_de_risques_pct: [Decimal; 3],
}

impl Default for QualityParameters {
    fn default() -> Self {
        QualityParameters {
            classes_ciblees_icalin2: vec![Icalin2Class::C, Icalin2Class::D, Icalin2Class::E],
            seuil_d31_pct: Decimal::TEN,
            seuil_doc_pct: Decimal::TEN,
            plafond_sanction_produits_am_pct: Decimal::ONE,
            taux_du_plafond_par_nombre_de_risques_pct: [
                Decimal::from(50),
                Decimal::from(75),
                Decimal::ONE_HUNDRED,
            ],
        }
    }
}

impl QualityParameters {
    pub fn validate(&self) -> Result<(), VoletError> {
        check_pct("seuil_d31_pct", self.seuil_d31_pct)?;
        check_pct("seuil_doc_pct", self.seuil_doc_pct)?;
        check_pct(
            "plafond_sanction_produits_am_pct",
            self.plafond_sanction_produits_am_pct,
        )?;
        let t = &self.taux_du_plafond_par_nombre_de_risques_pct;
        for v in t {
            check_pct("taux_du_plafond_par_nombre_de_risques_pct", *v)?;
        }
        if t[0] > t[1] || t[1] > t[2] {
            return Err(VoletError::InvalidParameter {
                name: "taux_du_plafond_par_nombre_de_risques_pct",
                reason: "plus de risques ne peut pas entraîner une sanction plus faible".into(),
            });
        }
        Ok(())
    }
}

/// The ICALIN2 result of an establishment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Icalin2Result {
    NonSoumis,
    NonRepondant,
    Classe(Icalin2Class),
}

/// The Hôpital numérique D3.1 result (stays with a computerised drug prescription).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum D31Result {
    NonSoumis,
    NonRenseigne,
    Taux(Rate),
}

/// The DOC result (discharge document conformity) as published with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocResult {
    NonSoumis,
    NonRepondant,
    Resultat {
        taux_pct: Decimal,
        ic_borne_basse_pct: Decimal,
        ic_borne_haute_pct: Decimal,
    },
}

impl DocResult {
    /// The result from the audited records when only counts are at hand: the rate
    /// and its 95 % Wilson score interval (valid for the small samples of the DOC
    /// audit, unlike the normal interval), in %, rounded to 2 decimals.
    pub fn from_counts(conformes: u32, dossiers: u32) -> Result<Self, VoletError> {
        if dossiers == 0 || conformes > dossiers {
            return Err(VoletError::Statistics(format!(
                "{conformes} dossiers conformes sur {dossiers} dossiers"
            )));
        }
        let (n, p, z) = (
            f64::from(dossiers),
            f64::from(conformes) / f64::from(dossiers),
            1.96,
        );
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        let pct = |x: f64| {
            Decimal::try_from((100.0 * x).clamp(0.0, 100.0))
                .map(|d| d.round_dp(2))
                .map_err(|e| VoletError::Statistics(e.to_string()))
        };
        Ok(DocResult::Resultat {
            taux_pct: Decimal::from(conformes) * Decimal::ONE_HUNDRED / Decimal::from(dossiers),
            ic_borne_basse_pct: pct(centre - half)?,
            ic_borne_haute_pct: pct(centre + half)?,
        })
    }
}

/// The three risks of the volet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Infectieux,
    Medicamenteux,
    RuptureParcours,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::Infectieux => "risque infectieux (ICALIN2)",
            Risk::Medicamenteux => "risque médicamenteux (Hôpital numérique D3.1)",
            Risk::RuptureParcours => "risque de rupture du parcours (DOC)",
        }
    }
}

/// The targeting status on one risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskStatus {
    Cible,
    NonCible,
    /// Not subject to the indicator: cannot be targeted on this risk.
    NonSoumis,
    /// D3.1 not filled in: « laissé à l'appréciation de l'ARS ».
    AppreciationArs,
}

/// The assessment of one risk, with a French explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskAssessment {
    pub risque: Risk,
    pub statut: RiskStatus,
    pub motif: String,
}

/// The targeting of one establishment on the three risks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QualityTargeting {
    pub risques: [RiskAssessment; 3],
}

impl QualityTargeting {
    pub fn targeted_risks(&self) -> Vec<Risk> {
        self.risques
            .iter()
            .filter(|r| r.statut == RiskStatus::Cible)
            .map(|r| r.risque)
            .collect()
    }

    /// Targeted on at least one risk.
    pub fn targeted(&self) -> bool {
        !self.targeted_risks().is_empty()
    }

    /// A risk awaits the ARS's decision.
    pub fn needs_ars_decision(&self) -> bool {
        self.risques
            .iter()
            .any(|r| r.statut == RiskStatus::AppreciationArs)
    }
}

/// Applies the three targeting rules.
pub fn target(
    params: &QualityParameters,
    icalin2: Icalin2Result,
    d31: D31Result,
    doc: DocResult,
) -> QualityTargeting {
    let assess = |risque, statut, motif: String| RiskAssessment {
        risque,
        statut,
        motif,
    };
    let infectious = match icalin2 {
        Icalin2Result::NonSoumis => assess(
            Risk::Infectieux,
            RiskStatus::NonSoumis,
            "non soumis à ICALIN2".into(),
        ),
        Icalin2Result::NonRepondant => assess(
            Risk::Infectieux,
            RiskStatus::Cible,
            "non-répondant à ICALIN2".into(),
        ),
        Icalin2Result::Classe(c) if params.classes_ciblees_icalin2.contains(&c) => assess(
            Risk::Infectieux,
            RiskStatus::Cible,
            format!("ICALIN2 en classe {c:?}"),
        ),
        Icalin2Result::Classe(c) => assess(
            Risk::Infectieux,
            RiskStatus::NonCible,
            format!("ICALIN2 en classe {c:?}"),
        ),
    };
    let medication = match d31 {
        D31Result::NonSoumis => assess(
            Risk::Medicamenteux,
            RiskStatus::NonSoumis,
            "non soumis à D3.1".into(),
        ),
        D31Result::NonRenseigne => assess(
            Risk::Medicamenteux,
            RiskStatus::AppreciationArs,
            "D3.1 non renseigné : opportunité laissée à l'appréciation de l'ARS".into(),
        ),
        D31Result::Taux(rate) => {
            // numerator × 100 < threshold × denominator: exact, no division.
            let below =
                rate.numerator() * Decimal::ONE_HUNDRED < params.seuil_d31_pct * rate.denominator();
            let motif = format!(
                "D3.1 = {} % (seuil {} %)",
                rate.percent().round_dp(2),
                params.seuil_d31_pct
            );
            assess(
                Risk::Medicamenteux,
                if below {
                    RiskStatus::Cible
                } else {
                    RiskStatus::NonCible
                },
                motif,
            )
        }
    };
    let pathway = match doc {
        DocResult::NonSoumis => assess(
            Risk::RuptureParcours,
            RiskStatus::NonSoumis,
            "non soumis à DOC".into(),
        ),
        DocResult::NonRepondant => assess(
            Risk::RuptureParcours,
            RiskStatus::Cible,
            "non-répondant à DOC".into(),
        ),
        DocResult::Resultat {
            taux_pct,
            ic_borne_basse_pct,
            ic_borne_haute_pct,
        } => {
            let below = ic_borne_haute_pct < params.seuil_doc_pct;
            let motif = format!(
                "DOC = {taux_pct} %, IC [{ic_borne_basse_pct} ; {ic_borne_haute_pct}] % (seuil {} %)",
                params.seuil_doc_pct
            );
            assess(
                Risk::RuptureParcours,
                if below {
                    RiskStatus::Cible
                } else {
                    RiskStatus::NonCible
                },
                motif,
            )
        }
    };
    QualityTargeting {
        risques: [infectious, medication, pathway],
    }
}

/// The proposed sanction (see the module doc for the formula). `objectives` are the
/// improvement plan's objectives with their results.
pub fn propose_sanction(
    params: &QualityParameters,
    targeted_risks: usize,
    objectives: &[Objective],
    produits_am: Euros,
) -> Result<Option<Proposal>, VoletError> {
    check_non_negative("produits AM", produits_am)?;
    if targeted_risks > 3 {
        return Err(VoletError::InvalidParameter {
            name: "nombre de risques",
            reason: format!("{targeted_risks} > 3"),
        });
    }
    if targeted_risks == 0 {
        return Ok(None);
    }
    let met = achievement_share(objectives)?.map_or(Decimal::ZERO, |s| s.value());
    let by_risks =
        params.taux_du_plafond_par_nombre_de_risques_pct[targeted_risks - 1] / Decimal::ONE_HUNDRED;
    let ceiling = produits_am.percent(params.plafond_sanction_produits_am_pct);
    Ok(Some(Proposal::scaled(
        Nature::Sanction,
        Basis::ProduitsAm,
        ceiling,
        by_risks * (Decimal::ONE - met),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn doc(hi: Decimal) -> DocResult {
        DocResult::Resultat {
            taux_pct: hi - dec!(3),
            ic_borne_basse_pct: hi - dec!(6),
            ic_borne_haute_pct: hi,
        }
    }

    fn d31(n: i64, d: i64) -> D31Result {
        D31Result::Taux(Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap())
    }

    #[test]
    fn infectious_risk_classes_and_non_respondents() {
        let p = QualityParameters::default();
        for (class, targeted) in [
            (Icalin2Class::A, false),
            (Icalin2Class::B, false),
            (Icalin2Class::C, true),
            (Icalin2Class::D, true),
            (Icalin2Class::E, true),
        ] {
            let t = target(
                &p,
                Icalin2Result::Classe(class),
                D31Result::NonSoumis,
                DocResult::NonSoumis,
            );
            assert_eq!(t.targeted(), targeted, "{class:?}");
        }
        let t = target(
            &p,
            Icalin2Result::NonRepondant,
            D31Result::NonSoumis,
            DocResult::NonSoumis,
        );
        assert_eq!(t.targeted_risks(), vec![Risk::Infectieux]);
    }

    #[test]
    fn medication_risk_is_strictly_below_ten_percent() {
        let p = QualityParameters::default();
        let status =
            |r| target(&p, Icalin2Result::NonSoumis, r, DocResult::NonSoumis).risques[1].statut;
        assert_eq!(status(d31(99, 1000)), RiskStatus::Cible);
        assert_eq!(status(d31(100, 1000)), RiskStatus::NonCible); // exactly 10 %
        assert_eq!(status(D31Result::NonSoumis), RiskStatus::NonSoumis);
        let t = target(
            &p,
            Icalin2Result::NonSoumis,
            D31Result::NonRenseigne,
            DocResult::NonSoumis,
        );
        assert_eq!(t.risques[1].statut, RiskStatus::AppreciationArs);
        assert!(!t.targeted() && t.needs_ars_decision());
    }

    #[test]
    fn pathway_risk_uses_the_interval_upper_bound() {
        let p = QualityParameters::default();
        let status =
            |r| target(&p, Icalin2Result::NonSoumis, D31Result::NonSoumis, r).risques[2].statut;
        assert_eq!(status(doc(dec!(9.99))), RiskStatus::Cible);
        assert_eq!(status(doc(dec!(10))), RiskStatus::NonCible);
        // A rate below 10 % whose interval reaches 10 % is not significantly below.
        let r = DocResult::Resultat {
            taux_pct: dec!(6),
            ic_borne_basse_pct: dec!(2),
            ic_borne_haute_pct: dec!(14),
        };
        assert_eq!(status(r), RiskStatus::NonCible);
        assert_eq!(status(DocResult::NonRepondant), RiskStatus::Cible);
        // « un établissement HAD pour l'indicateur DEC » : not subject, not targeted.
        assert_eq!(status(DocResult::NonSoumis), RiskStatus::NonSoumis);
    }

    #[test]
    fn sanction_modulated_by_risks_and_objectives() {
        let p = QualityParameters::default();
        let am = Euros(dec!(20_000_000)); // ceiling 200 000 €
        let t = target(
            &p,
            Icalin2Result::Classe(Icalin2Class::D),
            d31(5, 100),
            doc(dec!(8)),
        );
        assert_eq!(t.targeted_risks().len(), 3);
        let none_met = propose_sanction(&p, 3, &[], am).unwrap().unwrap();
        assert_eq!(none_met.amount(), Euros(dec!(200_000)));
        let half = [Objective::met("a", true), Objective::met("b", false)];
        assert_eq!(
            propose_sanction(&p, 1, &half, am)
                .unwrap()
                .unwrap()
                .amount(),
            Euros(dec!(50_000))
        );
        assert_eq!(
            propose_sanction(&p, 2, &half, am)
                .unwrap()
                .unwrap()
                .amount(),
            Euros(dec!(75_000))
        );
        let all = [Objective::met("a", true)];
        assert_eq!(
            propose_sanction(&p, 3, &all, am).unwrap().unwrap().amount(),
            Euros::ZERO
        );
        assert_eq!(propose_sanction(&p, 0, &[], am).unwrap(), None);
        assert!(propose_sanction(&p, 4, &[], am).is_err());
    }

    #[test]
    fn doc_interval_from_counts() {
        // 2 conforming records out of 80 (2.5 %): Wilson 95 % upper bound ≈ 8.66 % → targeted.
        let p = QualityParameters::default();
        let r = DocResult::from_counts(2, 80).unwrap();
        let DocResult::Resultat {
            taux_pct,
            ic_borne_haute_pct,
            ..
        } = r
        else {
            panic!("{r:?}")
        };
        assert_eq!(taux_pct, dec!(2.5));
        assert!(
            ic_borne_haute_pct > dec!(8.6) && ic_borne_haute_pct < dec!(8.7),
            "{ic_borne_haute_pct}"
        );
        let status =
            |r| target(&p, Icalin2Result::NonSoumis, D31Result::NonSoumis, r).risques[2].statut;
        assert_eq!(status(r), RiskStatus::Cible);
        // 4 out of 60 (6.7 %) is below 10 % but not significantly: upper bound ≈ 16 %.
        assert_eq!(
            status(DocResult::from_counts(4, 60).unwrap()),
            RiskStatus::NonCible
        );
        assert!(DocResult::from_counts(1, 0).is_err());
        assert!(DocResult::from_counts(3, 2).is_err());
    }

    #[test]
    fn parameters_validation() {
        let mut p = QualityParameters::default();
        p.validate().unwrap();
        p.taux_du_plafond_par_nombre_de_risques_pct = [dec!(80), dec!(50), dec!(100)];
        assert!(p.validate().is_err());
    }

    proptest! {
        #[test]
        fn sanction_grows_with_risks_and_shrinks_with_objectives(
            k in 1usize..3, met in 0usize..5, total in 5usize..8, am in 0u64..1_000_000_000,
        ) {
            let p = QualityParameters::default();
            let am = Euros(Decimal::from(am));
            let objs = |m: usize| (0..total).map(|i| Objective::met(format!("o{i}"), i < m)).collect::<Vec<_>>();
            let amount = |k, m| propose_sanction(&p, k, &objs(m), am).unwrap().unwrap().amount();
            prop_assert!(amount(k, met) <= amount(k + 1, met));
            prop_assert!(amount(k, met + 1) <= amount(k, met));
            prop_assert!(amount(3, 0) <= am.percent(dec!(1)));
        }
    }
}
