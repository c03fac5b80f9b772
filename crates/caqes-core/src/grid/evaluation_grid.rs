//! The yearly evaluation grid of one establishment, all volets, with the total.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, IV.a: « La grille d'évaluation se présente sous
//! la forme suivante : Volet du contrat | Obligations de résultat (reporter les
//! obligations ou les cibles inscrites dans le contrat) | Résultats (atteinte oui/non ou
//! niveau) | Obligations complémentaires (cibles ou obligations) | Résultats (atteinte
//! oui/non ou niveau) | Montant de l'intéressement (+) ou de la sanction (-) », with the
//! rows « Volet obligatoire, Transports, Pertinence, Qualité, TOTAL ».
//! IV.b: « La somme des différents intéressements ou sanctions qui lui sont appliqués
//! est notifiée à l'établissement. Le détail des montants est fixé dans la grille ».
//!
//! Amounts come from the DG ARS's [`Decision`]s (final, possibly modulated amounts);
//! the total is their exact signed sum. A MSAP or « ni intéressement, ni sanction »
//! row carries no amount and says so in its observation.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::finess::Finess;
use crate::money::Euros;
use crate::sanction::{Decision, Nature};
use crate::volets::Volet;

/// Errors building a grid (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("le volet « {0} » figure deux fois dans la grille")]
    DuplicateVolet(Volet),
    #[error("la décision porte sur le volet « {decision} », pas sur la ligne « {row} »")]
    VoletMismatch { row: Volet, decision: Volet },
}

/// « atteinte oui/non ou niveau ».
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Achievement {
    Atteint,
    NonAtteint,
    /// A level: « 75 % », « 3 actions sur 4 »…
    Niveau(String),
}

impl Achievement {
    pub fn label(&self) -> String {
        match self {
            Achievement::Atteint => "oui".into(),
            Achievement::NonAtteint => "non".into(),
            Achievement::Niveau(l) => l.clone(),
        }
    }
}

/// An obligation (or target) and its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    pub libelle: String,
    pub resultat: Achievement,
}

impl Obligation {
    pub fn new(libelle: impl Into<String>, resultat: Achievement) -> Self {
        Obligation {
            libelle: libelle.into(),
            resultat,
        }
    }
}

/// One row of the grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GridRow {
    pub volet: Volet,
    pub obligations_resultat: Vec<Obligation>,
    pub obligations_complementaires: Vec<Obligation>,
    /// Incentive (+) or sanction (−), the final amount decided.
    pub montant: Euros,
    pub decision: Option<Decision>,
    /// E.g. « MSAP de 6 mois », « ni intéressement, ni sanction », « non contractualisé ».
    pub observation: Option<String>,
}

impl GridRow {
    /// A row whose amount is the DG ARS's decision.
    pub fn with_decision(
        volet: Volet,
        obligations_resultat: Vec<Obligation>,
        obligations_complementaires: Vec<Obligation>,
        decision: Decision,
    ) -> Result<Self, GridError> {
        if decision.volet() != volet {
            return Err(GridError::VoletMismatch {
                row: volet,
                decision: decision.volet(),
            });
        }
        let observation = decision.motivation().map(|m| format!("modulation : {m}"));
        Ok(GridRow {
            volet,
            obligations_resultat,
            obligations_complementaires,
            montant: decision.signed_amount(),
            decision: Some(decision),
            observation,
        })
    }

    /// A row without amount (MSAP, neither incentive nor sanction, objectives met).
    pub fn without_amount(
        volet: Volet,
        obligations_resultat: Vec<Obligation>,
        obligations_complementaires: Vec<Obligation>,
        observation: Option<String>,
    ) -> Self {
        GridRow {
            volet,
            obligations_resultat,
            obligations_complementaires,
            montant: Euros::ZERO,
            decision: None,
            observation,
        }
    }
}

/// The grid of one establishment for one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvaluationGrid {
    pub finess: Finess,
    pub annee: i16,
    rows: BTreeMap<Volet, GridRow>,
}

impl EvaluationGrid {
    pub fn new(finess: Finess, annee: i16) -> Self {
        EvaluationGrid {
            finess,
            annee,
            rows: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, row: GridRow) -> Result<(), GridError> {
        if self.rows.contains_key(&row.volet) {
            return Err(GridError::DuplicateVolet(row.volet));
        }
        self.rows.insert(row.volet, row);
        Ok(())
    }

    /// The four rows in the instruction's order; `None` for a volet not contracted.
    pub fn rows(&self) -> [(Volet, Option<&GridRow>); 4] {
        Volet::ALL.map(|v| (v, self.rows.get(&v)))
    }

    /// The signed total notified: Σ incentives − Σ sanctions, exact.
    pub fn total(&self) -> Euros {
        self.rows.values().map(|r| r.montant).sum()
    }

    pub fn total_sanctions(&self) -> Euros {
        self.sum_of(Nature::Sanction)
    }

    pub fn total_incentives(&self) -> Euros {
        self.sum_of(Nature::Interessement)
    }

    fn sum_of(&self, nature: Nature) -> Euros {
        self.rows
            .values()
            .filter_map(|r| r.decision.as_ref())
            .filter(|d| d.nature() == nature)
            .map(Decision::final_amount)
            .sum()
    }

    /// The grid as text rows (header, four volets, TOTAL) for a table or a CSV; amounts
    /// rounded to the cent only here.
    pub fn table(&self) -> Vec<[String; 6]> {
        let join = |obligations: &[Obligation], f: &dyn Fn(&Obligation) -> String| {
            obligations.iter().map(f).collect::<Vec<_>>().join(" ; ")
        };
        let mut out = vec![[
            "Volet du contrat".to_owned(),
            "Obligations de résultat".to_owned(),
            "Résultats".to_owned(),
            "Obligations complémentaires".to_owned(),
            "Résultats".to_owned(),
            "Montant de l'intéressement (+) ou de la sanction (-)".to_owned(),
        ]];
        for (volet, row) in self.rows() {
            out.push(match row {
                None => [
                    volet.label().to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    "non contractualisé".to_owned(),
                ],
                Some(r) => {
                    let amount = match &r.observation {
                        Some(o) => format!("{} ({o})", signed(r.montant)),
                        None => signed(r.montant),
                    };
                    [
                        volet.label().to_owned(),
                        join(&r.obligations_resultat, &|o| o.libelle.clone()),
                        join(&r.obligations_resultat, &|o| o.resultat.label()),
                        join(&r.obligations_complementaires, &|o| o.libelle.clone()),
                        join(&r.obligations_complementaires, &|o| o.resultat.label()),
                        amount,
                    ]
                }
            });
        }
        out.push([
            "TOTAL".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            signed(self.total()),
        ]);
        out
    }
}

/// `+1 234,00 €` / `-1 234,00 €` / `0,00 €`.
fn signed(amount: Euros) -> String {
    if amount.amount() > Decimal::ZERO {
        format!("+{amount}")
    } else {
        amount.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanction::{self, Basis, Proposal, SanctionBasis, SanctionParameters};
    use crate::volets::transport::{
        self, OptionalObjective, TransportEvaluationInput, TransportParameters,
    };
    use crate::volets::{Objective, Progress, pertinence, quality};
    use rust_decimal_macros::dec;

    fn aphp() -> Finess {
        Finess::parse("750712184").unwrap()
    }

    #[test]
    fn grid_of_one_establishment_with_all_volets_and_exact_total() {
        let am = Euros(dec!(5_000_000_000));
        let mut grid = EvaluationGrid::new(aphp(), 2018);

        // Socle: score 65 → 25 % of 1 % = 12.5 M€, modulated by the DG ARS to 10 M€.
        let prop = sanction::propose_socle_sanction(
            &SanctionParameters::default(),
            dec!(65),
            SanctionBasis::ProduitsAm(am),
        )
        .unwrap();
        let d = Decision::modulated(
            Volet::Obligatoire,
            prop,
            Euros(dec!(10_000_000)),
            Some("plan d'actions engagé"),
        )
        .unwrap();
        let socle = vec![Obligation::new(
            "Score de la grille régionale",
            Achievement::Niveau("65/100".into()),
        )];
        grid.add(GridRow::with_decision(Volet::Obligatoire, socle, vec![], d).unwrap())
            .unwrap();

        // Transports: target met, no optional objective, savings 1 M€, plan 80 % done
        // → 30 % × 1 M€ × 0.8 = 240 000 €.
        let t = transport::evaluate(
            &TransportParameters::default(),
            &TransportEvaluationInput {
                cible_atteinte: true,
                objectif_supplementaire: OptionalObjective::Absent,
                depenses_previsionnelles_sans_mesures: Euros(dec!(160_000_000)),
                depenses_observees: Euros(dec!(159_000_000)),
                produits_am: am,
                progression_plan_actions: Progress::from_percent(dec!(80)).unwrap(),
            },
        )
        .unwrap();
        let d = Decision::as_proposed(Volet::Transports, t.proposition.unwrap()).unwrap();
        let cible = vec![Obligation::new(
            "Évolution des dépenses ≤ 2,2 %",
            Achievement::Atteint,
        )];
        grid.add(GridRow::with_decision(Volet::Transports, cible, vec![], d).unwrap())
            .unwrap();

        // Pertinence: main objective not met, sanction chosen at contracting = MSAP.
        let p = pertinence::evaluate(
            &pertinence::PertinenceParameters::default(),
            &pertinence::PertinenceEvaluationInput {
                objectif_principal_atteint: false,
                objectifs_complementaires: vec![Objective::met("Chemin clinique", true)],
                nature_sanction: pertinence::PertinenceSanctionKind::Msap { duree_mois: 6 },
                plafond_interessement: Euros(dec!(200_000)),
                produits_am: am,
            },
        )
        .unwrap();
        assert_eq!(
            p.consequence,
            pertinence::PertinenceConsequence::Msap { duree_mois: 6 }
        );
        grid.add(GridRow::without_amount(
            Volet::Pertinence,
            vec![Obligation::new(
                "Taux de chirurgie ambulatoire ≥ 60 %",
                Achievement::NonAtteint,
            )],
            vec![Obligation::new("Chemin clinique", Achievement::Atteint)],
            Some("MSAP de 6 mois".into()),
        ))
        .unwrap();

        // Qualité: one risk, half of the objectives met → 50 % × 50 % × 50 M€.
        let objs = [
            Objective::met("ICALIN2 en classe B", true),
            Objective::met("Plan de formation", false),
        ];
        let q = quality::propose_sanction(&quality::QualityParameters::default(), 1, &objs, am)
            .unwrap()
            .unwrap();
        assert_eq!(q.amount(), Euros(dec!(12_500_000)));
        let d = Decision::as_proposed(Volet::Qualite, q).unwrap();
        grid.add(GridRow::with_decision(Volet::Qualite, vec![], vec![], d).unwrap())
            .unwrap();

        assert_eq!(grid.total_sanctions(), Euros(dec!(22_500_000)));
        assert_eq!(grid.total_incentives(), Euros(dec!(240_000)));
        assert_eq!(grid.total(), Euros(dec!(-22_260_000)));

        let table = grid.table();
        assert_eq!(table.len(), 6);
        assert_eq!(table[1][0], "Volet obligatoire");
        assert!(
            table[1][5].starts_with(
                "-10\u{202f}000\u{202f}000,00\u{a0}€ (modulation : plan d'actions engagé)"
            ),
            "{}",
            table[1][5]
        );
        assert_eq!(table[2][5], "+240\u{202f}000,00\u{a0}€");
        assert_eq!(table[3][4], "oui");
        assert!(table[3][5].contains("MSAP de 6 mois"));
        assert_eq!(
            table[5],
            [
                "TOTAL".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "-22\u{202f}260\u{202f}000,00\u{a0}€".to_owned()
            ]
        );
    }

    #[test]
    fn absent_volets_duplicates_and_mismatches() {
        let mut grid = EvaluationGrid::new(aphp(), 2018);
        grid.add(GridRow::without_amount(
            Volet::Obligatoire,
            vec![],
            vec![],
            None,
        ))
        .unwrap();
        assert_eq!(
            grid.add(GridRow::without_amount(
                Volet::Obligatoire,
                vec![],
                vec![],
                None
            )),
            Err(GridError::DuplicateVolet(Volet::Obligatoire))
        );
        assert_eq!(grid.total(), Euros::ZERO);
        let rows = grid.rows();
        assert!(rows[0].1.is_some() && rows[1].1.is_none());
        assert_eq!(grid.table()[2][5], "non contractualisé");

        let prop = Proposal::new(
            Nature::Sanction,
            Basis::ProduitsAm,
            Euros(dec!(100)),
            Euros(dec!(10)),
        )
        .unwrap();
        let d = Decision::as_proposed(Volet::Qualite, prop).unwrap();
        assert_eq!(
            GridRow::with_decision(Volet::Transports, vec![], vec![], d),
            Err(GridError::VoletMismatch {
                row: Volet::Transports,
                decision: Volet::Qualite
            })
        );
    }
}
