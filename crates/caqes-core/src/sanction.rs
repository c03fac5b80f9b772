//! Sanctions and incentives: proposals, the DG ARS's decision, and their sum.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, annex 1 (volet obligatoire), « Deux types de
//! sanctions sont applicables pour ce volet : une sanction financière correspondant à
//! un montant exprimé en pourcentage des produits reçus des régimes obligatoires
//! d'assurance maladie par l'établissement de santé au titre du dernier exercice clos
//! (dans la limite de 1% de ces produits) ; une diminution de la prise en charge […]
//! (liste en sus), dans la limite de 30% de cette prise en charge ».
//! IV.b: « La somme des différents intéressements ou sanctions qui lui sont appliqués
//! est notifiée à l'établissement. […] les modulations sont motivées par le directeur
//! général de l'ARS ». IV.b.ii: the liste en sus reduction « ne s'applique qu'en cas de
//! manquements relatifs aux produits de santé ».
//! AP-HP slides (seed 002): « jusqu'à 1% pour chaque volet du CAQES, 1% ≈ 50 millions €,
//! les sanctions par volet s'additionnent ».
//! II.a.ii: refusing to sign exposes the establishment to « une sanction mécanique de
//! 1% de ses recettes d'assurance maladie ou d'une réduction de 30% du remboursement des
//! produits de la liste en sus » ([`refusal_sanction`]).

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Euros;
use crate::volets::volet::Volet;

/// Errors of sanctions and decisions (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanctionError {
    #[error("paramètre invalide « {name} » : {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("le score doit être positif ou nul (reçu {0})")]
    NegativeScore(Decimal),
    #[error("l'assiette de la sanction ne peut pas être négative (reçu {0})")]
    NegativeBasis(Decimal),
    #[error("le montant final ({final_amount}) dépasse le plafond légal ({ceiling})")]
    FinalAboveCeiling { final_amount: Euros, ceiling: Euros },
    #[error("le montant final ne peut pas être négatif (reçu {0})")]
    NegativeFinal(Euros),
    #[error("le montant proposé ({amount}) dépasse le plafond ({ceiling})")]
    ProposalAboveCeiling { amount: Euros, ceiling: Euros },
    #[error(
        "une motivation du directeur général de l'ARS est requise lorsque le montant final ({final_amount}) diffère du montant proposé ({proposed})"
    )]
    MotivationRequired {
        proposed: Euros,
        final_amount: Euros,
    },
    #[error("le volet « {0} » ne peut pas donner lieu à un intéressement")]
    NoIncentiveForVolet(Volet),
    #[error(
        "la réduction de la prise en charge de la liste en sus ne s'applique qu'au volet obligatoire (produits de santé), pas au volet « {0} »"
    )]
    ListeEnSusOutsideSocle(Volet),
    #[error("le volet « {0} » figure deux fois dans la notification")]
    DuplicateVolet(Volet),
    #[error("section [sanction] illisible : {0}")]
    Toml(String),
}

/// One step of the region's score-to-sanction scale: from `score_min` (included) up
/// to the next step, the proposed sanction is `taux_du_plafond_pct` % of the ceiling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaremeStep {
    pub score_min: Decimal,
    pub taux_du_plafond_pct: Decimal,
}

/// Ceilings and the score-to-sanction scale of the socle, as written by ARS staff in
/// a référentiel TOML file:
///
/// ```toml
/// [sanction]
/// plafond_produits_am_pct = "1"
/// plafond_liste_en_sus_pct = "30"
/// [[sanction.bareme]]
/// score_min = "80"
/// taux_du_plafond_pct = "0"
/// # …
/// ```
///
/// The default scale is **our documented choice**, not the region's: the Occitanie
/// « modalité de sanction financière choisie pour la région » is an image missing
/// from seed 003. Default: score ≥ 80 → 0 % of the ceiling; ≥ 60 → 25 %; ≥ 40 → 50 %;
/// ≥ 20 → 75 %; below 20 → 100 %. A region replaces it in its référentiel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SanctionParameters {
    /// Ceiling of the financial sanction, in % of the AM revenue of the last closed year.
    pub plafond_produits_am_pct: Decimal,
    /// Ceiling of the reduction of the insurance share of liste en sus products, in %.
    pub plafond_liste_en_sus_pct: Decimal,
    pub bareme: Vec<BaremeStep>,
    /// Whether the scale reads the total with the bonus points (true, our reading of
    /// « 100 points + 4 points bonus »: a bonus that never changes the outcome would mean
    /// nothing) or the score without them (false). Issue 9, D3.
    pub bonus_compte_pour_bareme: bool,
}

impl Default for SanctionParameters {
    fn default() -> Self {
        let step = |score: i64, pct: i64| BaremeStep {
            score_min: Decimal::from(score),
            taux_du_plafond_pct: Decimal::from(pct),
        };
        SanctionParameters {
            plafond_produits_am_pct: Decimal::ONE,
            plafond_liste_en_sus_pct: Decimal::from(30),
            bareme: vec![
                step(80, 0),
                step(60, 25),
                step(40, 50),
                step(20, 75),
                step(0, 100),
            ],
            bonus_compte_pour_bareme: true,
        }
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> SanctionError {
    SanctionError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

impl SanctionParameters {
    /// Checks the ceilings (0-100 %) and that the scale covers every score from 0,
    /// has distinct steps, and never sanctions a better score more.
    pub fn validate(&self) -> Result<(), SanctionError> {
        for (name, v) in [
            ("plafond_produits_am_pct", self.plafond_produits_am_pct),
            ("plafond_liste_en_sus_pct", self.plafond_liste_en_sus_pct),
        ] {
            if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                return Err(invalid(
                    name,
                    format!("{v} n'est pas un pourcentage entre 0 et 100"),
                ));
            }
        }
        let mut steps: Vec<&BaremeStep> = self.bareme.iter().collect();
        steps.sort_by_key(|s| s.score_min);
        match steps.first() {
            None => return Err(invalid("bareme", "le barème est vide")),
            Some(s) if s.score_min != Decimal::ZERO => {
                return Err(invalid(
                    "bareme",
                    "le barème doit commencer à score_min = 0",
                ));
            }
            Some(_) => {}
        }
        for s in &steps {
            if s.taux_du_plafond_pct < Decimal::ZERO || s.taux_du_plafond_pct > Decimal::ONE_HUNDRED
            {
                return Err(invalid(
                    "bareme",
                    format!(
                        "taux_du_plafond_pct {} hors de 0-100",
                        s.taux_du_plafond_pct
                    ),
                ));
            }
        }
        for w in steps.windows(2) {
            if w[0].score_min == w[1].score_min {
                return Err(invalid(
                    "bareme",
                    format!("score_min {} figure deux fois", w[0].score_min),
                ));
            }
            if w[1].taux_du_plafond_pct > w[0].taux_du_plafond_pct {
                return Err(invalid(
                    "bareme",
                    format!(
                        "un score plus élevé ({}) ne peut pas entraîner une sanction plus forte",
                        w[1].score_min
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Reads and validates the `[sanction]` table of a référentiel file.
    pub fn from_toml_table(table: toml::Table) -> Result<Self, SanctionError> {
        let params: SanctionParameters = table
            .try_into()
            .map_err(|e: toml::de::Error| SanctionError::Toml(e.to_string()))?;
        params.validate()?;
        Ok(params)
    }

    /// The % of the ceiling the scale gives for `score` (the step with the highest
    /// `score_min` not above the score).
    pub fn rate_of_ceiling(&self, score: Decimal) -> Result<Decimal, SanctionError> {
        if score < Decimal::ZERO {
            return Err(SanctionError::NegativeScore(score));
        }
        self.bareme
            .iter()
            .filter(|s| s.score_min <= score)
            .max_by(|a, b| a.score_min.cmp(&b.score_min))
            .map(|s| s.taux_du_plafond_pct)
            .ok_or_else(|| {
                invalid(
                    "bareme",
                    "le barème ne couvre pas ce score (il doit commencer à 0)",
                )
            })
    }
}

/// What a ceiling is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "assiette", content = "montant", rename_all = "snake_case")]
pub enum SanctionBasis {
    /// Revenue from the mandatory health insurance schemes, last closed year.
    ProduitsAm(Euros),
    /// Insurance share of the liste en sus products (socle only).
    ListeEnSus(Euros),
}

impl SanctionBasis {
    pub fn amount(self) -> Euros {
        match self {
            SanctionBasis::ProduitsAm(e) | SanctionBasis::ListeEnSus(e) => e,
        }
    }
}

/// Incentive (+) or sanction (−).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Interessement,
    Sanction,
}

/// What the ceiling of a proposal was computed from (kept for the notification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    ProduitsAm,
    ListeEnSus,
    /// Transport savings (forecast without measures − observed).
    Economies,
    /// A maximum written in the contract (pertinence incentive, FIR credits).
    PlafondContractuel,
}

/// A proposed amount, never above its ceiling, both non-negative. Deserializing
/// (e.g. from storage) checks these invariants again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProposalFields")]
pub struct Proposal {
    nature: Nature,
    basis: Basis,
    ceiling: Euros,
    amount: Euros,
}

impl Proposal {
    pub fn new(
        nature: Nature,
        basis: Basis,
        ceiling: Euros,
        amount: Euros,
    ) -> Result<Self, SanctionError> {
        if ceiling.amount() < Decimal::ZERO {
            return Err(SanctionError::NegativeBasis(ceiling.amount()));
        }
        if amount.amount() < Decimal::ZERO {
            return Err(SanctionError::NegativeFinal(amount));
        }
        if amount > ceiling {
            return Err(SanctionError::ProposalAboveCeiling { amount, ceiling });
        }
        Ok(Proposal {
            nature,
            basis,
            ceiling,
            amount,
        })
    }

    /// `ceiling × fraction` with `fraction` clamped to [0, 1], so that the amount can
    /// never exceed the ceiling whatever the modulation.
    pub(crate) fn scaled(
        nature: Nature,
        basis: Basis,
        ceiling: Euros,
        fraction: Decimal,
    ) -> Proposal {
        let ceiling = Euros(ceiling.amount().max(Decimal::ZERO));
        let f = fraction.clamp(Decimal::ZERO, Decimal::ONE);
        Proposal {
            nature,
            basis,
            ceiling,
            amount: Euros(ceiling.amount() * f),
        }
    }

    pub fn nature(&self) -> Nature {
        self.nature
    }
    pub fn basis(&self) -> Basis {
        self.basis
    }
    pub fn ceiling(&self) -> Euros {
        self.ceiling
    }
    pub fn amount(&self) -> Euros {
        self.amount
    }
}

#[derive(Deserialize)]
struct ProposalFields {
    nature: Nature,
    basis: Basis,
    ceiling: Euros,
    amount: Euros,
}

impl TryFrom<ProposalFields> for Proposal {
    type Error = SanctionError;
    fn try_from(f: ProposalFields) -> Result<Self, Self::Error> {
        Proposal::new(f.nature, f.basis, f.ceiling, f.amount)
    }
}

#[derive(Deserialize)]
struct DecisionFields {
    volet: Volet,
    proposal: Proposal,
    final_amount: Euros,
    motivation: Option<String>,
}

impl TryFrom<DecisionFields> for Decision {
    type Error = SanctionError;
    fn try_from(f: DecisionFields) -> Result<Self, Self::Error> {
        Decision::modulated(f.volet, f.proposal, f.final_amount, f.motivation.as_deref())
    }
}

/// The legal ceiling of a sanction on `basis`.
pub fn ceiling(params: &SanctionParameters, basis: SanctionBasis) -> Result<Euros, SanctionError> {
    let amount = basis.amount();
    if amount.amount() < Decimal::ZERO {
        return Err(SanctionError::NegativeBasis(amount.amount()));
    }
    Ok(match basis {
        SanctionBasis::ProduitsAm(e) => e.percent(params.plafond_produits_am_pct),
        SanctionBasis::ListeEnSus(e) => e.percent(params.plafond_liste_en_sus_pct),
    })
}

fn basis_kind(basis: SanctionBasis) -> Basis {
    match basis {
        SanctionBasis::ProduitsAm(_) => Basis::ProduitsAm,
        SanctionBasis::ListeEnSus(_) => Basis::ListeEnSus,
    }
}

/// The socle sanction proposed for a score: ceiling × the scale's rate for the score.
///
/// `score` is the socle score (0-100; a total including bonus points is accepted too,
/// the scale's last step covers it). `basis` chooses the kind of sanction: financial
/// (≤ 1 % of the AM revenue of the last closed year) or liste en sus reduction (≤ 30 %).
pub fn propose_socle_sanction(
    params: &SanctionParameters,
    score: Decimal,
    basis: SanctionBasis,
) -> Result<Proposal, SanctionError> {
    let ceiling = ceiling(params, basis)?;
    let rate = params.rate_of_ceiling(score)?;
    Ok(Proposal::scaled(
        Nature::Sanction,
        basis_kind(basis),
        ceiling,
        rate / Decimal::ONE_HUNDRED,
    ))
}

/// The sanction notified when an establishment refuses to sign: the full ceiling
/// (« sanction mécanique de 1% […] ou d'une réduction de 30% »).
pub fn refusal_sanction(
    params: &SanctionParameters,
    basis: SanctionBasis,
) -> Result<Proposal, SanctionError> {
    let ceiling = ceiling(params, basis)?;
    Ok(Proposal::scaled(
        Nature::Sanction,
        basis_kind(basis),
        ceiling,
        Decimal::ONE,
    ))
}

/// The DG ARS's decision on one volet: the proposal, the final (possibly modulated)
/// amount, and the motivation of the modulation. Deserializing checks the rules of
/// [`Decision::modulated`] again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DecisionFields")]
pub struct Decision {
    volet: Volet,
    proposal: Proposal,
    final_amount: Euros,
    motivation: Option<String>,
}

impl Decision {
    /// The proposal is kept as is.
    pub fn as_proposed(volet: Volet, proposal: Proposal) -> Result<Self, SanctionError> {
        Decision::modulated(volet, proposal, proposal.amount, None)
    }

    /// The DG ARS sets `final_amount`: it must stay within [0, legal ceiling], and a
    /// motivation is required when it differs from the proposal.
    pub fn modulated(
        volet: Volet,
        proposal: Proposal,
        final_amount: Euros,
        motivation: Option<&str>,
    ) -> Result<Self, SanctionError> {
        if proposal.nature == Nature::Interessement && !volet.allows_incentive() {
            return Err(SanctionError::NoIncentiveForVolet(volet));
        }
        if proposal.basis == Basis::ListeEnSus && volet != Volet::Obligatoire {
            return Err(SanctionError::ListeEnSusOutsideSocle(volet));
        }
        if final_amount.amount() < Decimal::ZERO {
            return Err(SanctionError::NegativeFinal(final_amount));
        }
        if final_amount > proposal.ceiling {
            return Err(SanctionError::FinalAboveCeiling {
                final_amount,
                ceiling: proposal.ceiling,
            });
        }
        let motivation = motivation
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        if final_amount != proposal.amount && motivation.is_none() {
            return Err(SanctionError::MotivationRequired {
                proposed: proposal.amount,
                final_amount,
            });
        }
        Ok(Decision {
            volet,
            proposal,
            final_amount,
            motivation,
        })
    }

    pub fn volet(&self) -> Volet {
        self.volet
    }
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }
    pub fn nature(&self) -> Nature {
        self.proposal.nature
    }
    pub fn final_amount(&self) -> Euros {
        self.final_amount
    }
    pub fn motivation(&self) -> Option<&str> {
        self.motivation.as_deref()
    }

    /// The final amount, positive for an incentive and negative for a sanction.
    pub fn signed_amount(&self) -> Euros {
        match self.proposal.nature {
            Nature::Interessement => self.final_amount,
            Nature::Sanction => Euros(-self.final_amount.amount()),
        }
    }
}

/// What is notified to the establishment: one decision per volet, whose sanctions add
/// up (« les sanctions par volet s'additionnent »).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notification {
    decisions: Vec<Decision>,
}

impl Notification {
    pub fn new(decisions: Vec<Decision>) -> Result<Self, SanctionError> {
        let mut seen = BTreeSet::new();
        for d in &decisions {
            if !seen.insert(d.volet) {
                return Err(SanctionError::DuplicateVolet(d.volet));
            }
        }
        Ok(Notification { decisions })
    }

    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Σ final sanctions (a positive amount).
    pub fn total_sanctions(&self) -> Euros {
        self.sum_of(Nature::Sanction)
    }

    /// Σ final incentives.
    pub fn total_incentives(&self) -> Euros {
        self.sum_of(Nature::Interessement)
    }

    /// Incentives − sanctions: the sum notified.
    pub fn net(&self) -> Euros {
        self.decisions.iter().map(Decision::signed_amount).sum()
    }

    fn sum_of(&self, nature: Nature) -> Euros {
        self.decisions
            .iter()
            .filter(|d| d.nature() == nature)
            .map(|d| d.final_amount)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// AP-HP (seed 002): « 1% ≈ 50 millions € », i.e. AM revenue ≈ 5 billion €.
    const APHP_PRODUITS_AM: Euros = Euros(dec!(5_000_000_000));

    #[test]
    fn aphp_one_percent_is_fifty_million() {
        let p = SanctionParameters::default();
        let worst =
            propose_socle_sanction(&p, dec!(0), SanctionBasis::ProduitsAm(APHP_PRODUITS_AM))
                .unwrap();
        assert_eq!(worst.ceiling(), Euros(dec!(50_000_000)));
        assert_eq!(worst.amount(), Euros(dec!(50_000_000)));
        assert_eq!(
            refusal_sanction(&p, SanctionBasis::ProduitsAm(APHP_PRODUITS_AM))
                .unwrap()
                .amount(),
            worst.amount()
        );
    }

    #[test]
    fn default_scale_steps_and_boundaries() {
        let p = SanctionParameters::default();
        p.validate().unwrap();
        let basis = SanctionBasis::ProduitsAm(APHP_PRODUITS_AM);
        let amount = |s| propose_socle_sanction(&p, s, basis).unwrap().amount();
        assert_eq!(amount(dec!(100)), Euros::ZERO);
        assert_eq!(amount(dec!(80)), Euros::ZERO); // a boundary belongs to the upper step
        assert_eq!(amount(dec!(79.99)), Euros(dec!(12_500_000)));
        assert_eq!(amount(dec!(59)), Euros(dec!(25_000_000)));
        assert_eq!(amount(dec!(20)), Euros(dec!(37_500_000)));
        assert_eq!(amount(dec!(19.99)), Euros(dec!(50_000_000)));
        assert_eq!(amount(dec!(104)), Euros::ZERO); // score with bonus
        assert_eq!(
            propose_socle_sanction(&p, dec!(-1), basis),
            Err(SanctionError::NegativeScore(dec!(-1)))
        );
    }

    #[test]
    fn liste_en_sus_reduction_is_capped_at_thirty_percent() {
        let p = SanctionParameters::default();
        let prop = propose_socle_sanction(
            &p,
            dec!(50),
            SanctionBasis::ListeEnSus(Euros(dec!(2_000_000))),
        )
        .unwrap();
        assert_eq!(prop.ceiling(), Euros(dec!(600_000)));
        assert_eq!(prop.amount(), Euros(dec!(300_000)));
        assert_eq!(prop.basis(), Basis::ListeEnSus);
        // Only for breaches about health products, i.e. the socle.
        assert_eq!(
            Decision::as_proposed(Volet::Transports, prop),
            Err(SanctionError::ListeEnSusOutsideSocle(Volet::Transports))
        );
        assert!(Decision::as_proposed(Volet::Obligatoire, prop).is_ok());
    }

    #[test]
    fn decision_modulation_needs_motivation_and_respects_ceiling() {
        let p = SanctionParameters::default();
        let prop =
            propose_socle_sanction(&p, dec!(50), SanctionBasis::ProduitsAm(APHP_PRODUITS_AM))
                .unwrap();
        assert_eq!(prop.amount(), Euros(dec!(25_000_000)));
        assert_eq!(
            Decision::modulated(
                Volet::Obligatoire,
                prop,
                Euros(dec!(10_000_000)),
                Some("  ")
            ),
            Err(SanctionError::MotivationRequired {
                proposed: Euros(dec!(25_000_000)),
                final_amount: Euros(dec!(10_000_000))
            })
        );
        assert_eq!(
            Decision::modulated(
                Volet::Obligatoire,
                prop,
                Euros(dec!(50_000_000.01)),
                Some("gravité")
            ),
            Err(SanctionError::FinalAboveCeiling {
                final_amount: Euros(dec!(50_000_000.01)),
                ceiling: Euros(dec!(50_000_000))
            })
        );
        // Up to the legal ceiling with a motivation is allowed, above the proposal too.
        let d = Decision::modulated(
            Volet::Obligatoire,
            prop,
            Euros(dec!(50_000_000)),
            Some("récidive"),
        )
        .unwrap();
        assert_eq!(d.signed_amount(), Euros(dec!(-50_000_000)));
        assert_eq!(d.motivation(), Some("récidive"));
        let d = Decision::modulated(
            Volet::Obligatoire,
            prop,
            Euros(dec!(5_000_000)),
            Some("plan d'actions engagé"),
        )
        .unwrap();
        assert_eq!(d.final_amount(), Euros(dec!(5_000_000)));
        assert!(Decision::modulated(Volet::Obligatoire, prop, Euros(dec!(-1)), Some("x")).is_err());
    }

    #[test]
    fn sanctions_of_several_volets_add_up() {
        // AP-HP: up to 1 % per volet, and the volets' sanctions add up.
        let p = SanctionParameters::default();
        let full = refusal_sanction(&p, SanctionBasis::ProduitsAm(APHP_PRODUITS_AM)).unwrap();
        let decisions = [
            Volet::Obligatoire,
            Volet::Transports,
            Volet::Pertinence,
            Volet::Qualite,
        ]
        .into_iter()
        .map(|v| Decision::as_proposed(v, full).unwrap())
        .collect();
        let n = Notification::new(decisions).unwrap();
        assert_eq!(n.total_sanctions(), Euros(dec!(200_000_000)));
        assert_eq!(n.net(), Euros(dec!(-200_000_000)));

        let incentive = Proposal::new(
            Nature::Interessement,
            Basis::Economies,
            Euros(dec!(90_000)),
            Euros(dec!(60_000)),
        )
        .unwrap();
        let n = Notification::new(vec![
            Decision::as_proposed(Volet::Obligatoire, full).unwrap(),
            Decision::as_proposed(Volet::Transports, incentive).unwrap(),
        ])
        .unwrap();
        assert_eq!(n.total_incentives(), Euros(dec!(60_000)));
        assert_eq!(n.net(), Euros(dec!(-49_940_000)));

        let dup = vec![Decision::as_proposed(Volet::Obligatoire, full).unwrap(); 2];
        assert_eq!(
            Notification::new(dup),
            Err(SanctionError::DuplicateVolet(Volet::Obligatoire))
        );
    }

    #[test]
    fn decisions_serialize_and_are_checked_when_read_back() {
        let prop = Proposal::new(
            Nature::Sanction,
            Basis::ProduitsAm,
            Euros(dec!(50_000_000)),
            Euros(dec!(25_000_000)),
        )
        .unwrap();
        let d = Decision::modulated(
            Volet::Obligatoire,
            prop,
            Euros(dec!(20_000_000)),
            Some("effort"),
        )
        .unwrap();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "volet": "obligatoire",
                "proposal": {"nature": "sanction", "basis": "produits_am", "ceiling": "50000000", "amount": "25000000"},
                "final_amount": "20000000",
                "motivation": "effort"
            })
        );
        assert_eq!(serde_json::from_value::<Decision>(json.clone()).unwrap(), d);
        let mut tampered = json;
        tampered["final_amount"] = serde_json::json!("60000000");
        let err = serde_json::from_value::<Decision>(tampered)
            .unwrap_err()
            .to_string();
        assert!(err.contains("dépasse le plafond légal"), "{err}");
    }

    #[test]
    fn no_incentive_on_socle_or_quality() {
        let incentive = Proposal::new(
            Nature::Interessement,
            Basis::PlafondContractuel,
            Euros(dec!(10)),
            Euros(dec!(5)),
        )
        .unwrap();
        for v in [Volet::Obligatoire, Volet::Qualite] {
            assert_eq!(
                Decision::as_proposed(v, incentive),
                Err(SanctionError::NoIncentiveForVolet(v))
            );
        }
        assert!(
            Proposal::new(
                Nature::Sanction,
                Basis::ProduitsAm,
                Euros(dec!(10)),
                Euros(dec!(11))
            )
            .is_err()
        );
    }

    #[test]
    fn reads_the_sanction_table_of_a_referentiel() {
        let doc: toml::Table = toml::from_str(
            "[sanction]\nplafond_produits_am_pct = \"0.5\"\n\
             [[sanction.bareme]]\nscore_min = \"0\"\ntaux_du_plafond_pct = \"100\"\n\
             [[sanction.bareme]]\nscore_min = \"50\"\ntaux_du_plafond_pct = \"0\"\n",
        )
        .unwrap();
        let Some(toml::Value::Table(t)) = doc.get("sanction").cloned() else {
            panic!("pas de table [sanction]")
        };
        let p = SanctionParameters::from_toml_table(t).unwrap();
        assert_eq!(p.plafond_produits_am_pct, dec!(0.5));
        assert_eq!(p.plafond_liste_en_sus_pct, dec!(30)); // default kept
        let prop =
            propose_socle_sanction(&p, dec!(49), SanctionBasis::ProduitsAm(APHP_PRODUITS_AM))
                .unwrap();
        assert_eq!(prop.amount(), Euros(dec!(25_000_000)));
        let mut bad = toml::Table::new();
        bad.insert(
            "plafond_produit_am_pct".into(),
            toml::Value::String("1".into()),
        );
        assert!(matches!(
            SanctionParameters::from_toml_table(bad),
            Err(SanctionError::Toml(_))
        ));
        let mut bad = toml::Table::new();
        bad.insert("bareme".into(), toml::Value::Array(vec![]));
        assert!(matches!(
            SanctionParameters::from_toml_table(bad),
            Err(SanctionError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn invalid_scales_are_rejected() {
        let mut p = SanctionParameters::default();
        p.bareme.retain(|s| s.score_min != Decimal::ZERO);
        assert!(p.validate().is_err(), "no step at 0");
        let mut p = SanctionParameters::default();
        p.bareme[0].taux_du_plafond_pct = dec!(90); // score ≥ 80 sanctioned more than 60-80
        assert!(p.validate().is_err());
        let p = SanctionParameters {
            plafond_produits_am_pct: dec!(101),
            ..SanctionParameters::default()
        };
        assert!(p.validate().is_err());
        let p = SanctionParameters {
            bareme: vec![],
            ..SanctionParameters::default()
        };
        assert!(p.validate().is_err());
    }

    proptest! {
        #[test]
        fn proposal_never_exceeds_ceiling_and_decreases_with_score(
            revenue in 0u64..10_000_000_000u64,
            cents in 0u8..100,
            s1 in 0u32..10_400, s2 in 0u32..10_400,
        ) {
            let p = SanctionParameters::default();
            let basis = SanctionBasis::ProduitsAm(Euros(Decimal::from(revenue) + Decimal::new(cents.into(), 2)));
            let (lo, hi) = (s1.min(s2), s1.max(s2));
            let a_lo = propose_socle_sanction(&p, Decimal::new(lo.into(), 2), basis).unwrap();
            let a_hi = propose_socle_sanction(&p, Decimal::new(hi.into(), 2), basis).unwrap();
            prop_assert!(a_lo.amount() <= a_lo.ceiling());
            prop_assert!(a_lo.ceiling() <= basis.amount().percent(dec!(1)));
            prop_assert!(a_hi.amount() <= a_lo.amount());
        }

        #[test]
        fn modulation_never_goes_beyond_the_ceiling(ceiling in 0i64..1_000_000_000, final_amount in 0i64..2_000_000_000) {
            let prop = Proposal::new(Nature::Sanction, Basis::ProduitsAm, Euros(Decimal::from(ceiling)), Euros::ZERO).unwrap();
            let d = Decision::modulated(Volet::Obligatoire, prop, Euros(Decimal::from(final_amount)), Some("motif"));
            prop_assert_eq!(d.is_ok(), final_amount <= ceiling);
        }
    }
}
