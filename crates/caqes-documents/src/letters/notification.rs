//! The DG ARS's notification letters: sanction of the volet obligatoire, decision of
//! an additional volet, sanction for refusing to sign.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, IV.b: « Les intéressements ou sanctions sont
//! décidés par le directeur général de l'ARS après avis de l'assurance maladie […]. Le
//! détail des montants est fixé dans la grille d'évaluation et les modulations sont
//! motivées par le directeur général de l'ARS. Leur montant relève de la décision du
//! directeur général de l'ARS qui la notifie à l'établissement et en informe
//! simultanément l'organisme local d'assurance maladie. » IV.b.iii gives the appeal
//! routes; II.a.ii the sanction for refusing to sign (« sanction mécanique de 1% de
//! ses recettes d'assurance maladie ou d'une réduction de 30% du remboursement des
//! produits de la liste en sus »), the 15 days extended until the hearing.

use caqes_core::Euros;
use caqes_core::sanction::{Basis, Decision, Nature, Proposal, SanctionBasis};
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::MsapDecision;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::common::{
    AmOpinion, Appeals, Context, Establishment, LetterFrame, appeals_blocks, bullet, heading,
    letter_closing, letter_opening, para, quoted,
};
use crate::error::DocumentError;
use crate::render::format;
use crate::render::layout::{Block, Column, Row, Table};

/// A notification that replaces an earlier one (a corrected decision).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// Date of the notification replaced.
    pub replaces_notification_of: Date,
    pub reason: String,
}

/// The long name of a volet, as the contrat type words it.
pub(crate) fn volet_title(volet: Volet) -> &'static str {
    match volet {
        Volet::Obligatoire => {
            "volet obligatoire relatif au bon usage des médicaments, des produits et des prestations"
        }
        Volet::Transports => {
            "volet additionnel relatif à l'amélioration de la qualité et de l'organisation des soins portant sur les transports"
        }
        Volet::Pertinence => {
            "volet additionnel relatif à la promotion de la pertinence des actes, des prestations et des prescriptions en santé"
        }
        Volet::Qualite => {
            "volet additionnel relatif à l'amélioration des pratiques en établissement de santé"
        }
    }
}

/// « les produits reçus des régimes obligatoires d'assurance maladie au titre du
/// dernier exercice clos (2018) ».
fn basis_label(basis: Basis, year: Option<i16>) -> String {
    let year = year.map(|y| format!(" ({y})")).unwrap_or_default();
    match basis {
        Basis::ProduitsAm => format!(
            "Produits reçus des régimes obligatoires d'assurance maladie au titre du dernier exercice clos{year}"
        ),
        Basis::ListeEnSus => format!(
            "Prise en charge par l'assurance maladie des spécialités et produits et prestations de la liste en sus{year}"
        ),
        Basis::Economies => {
            "Économies réalisées (dépenses prévisionnelles sans mesures de maîtrise − dépenses observées)".to_owned()
        }
        Basis::PlafondContractuel => "Montant maximal fixé au contrat".to_owned(),
    }
}

/// `part` as a percentage of `whole`, at most two decimals (« 1 % », « 30 % »).
fn share(part: Euros, whole: Euros) -> Option<String> {
    (whole.amount() > Decimal::ZERO)
        .then(|| format::percent_trimmed(part.amount() * Decimal::ONE_HUNDRED / whole.amount(), 2))
}

fn basis_kind(basis: SanctionBasis) -> Basis {
    match basis {
        SanctionBasis::ProduitsAm(_) => Basis::ProduitsAm,
        SanctionBasis::ListeEnSus(_) => Basis::ListeEnSus,
    }
}

fn amount_table(rows: Vec<(String, String)>, total: (String, String)) -> Block {
    let mut body: Vec<Row> = rows
        .into_iter()
        .map(|(a, b)| Row::body(vec![a, b]))
        .collect();
    body.push(Row::total(vec![total.0, total.1]));
    Block::Table(Table::new(
        vec![Column::left("Élément", 3.0), Column::right("Montant", 1.2)],
        body,
    ))
}

fn correction_blocks(c: &Option<Correction>) -> Vec<Block> {
    match c {
        Some(c) => vec![para(format!(
            "La présente notification annule et remplace celle du {}, pour le motif suivant\u{a0}: {}",
            format::date(c.replaces_notification_of),
            c.reason.trim()
        ))],
        None => Vec::new(),
    }
}

fn opinion_blocks(o: &Option<AmOpinion>) -> Vec<Block> {
    o.iter().map(|o| para(o.sentence())).collect()
}

fn modulation_block(decision: &Decision) -> Block {
    match decision.motivation() {
        Some(m) if decision.final_amount() != decision.proposal().amount() => para(format!(
            "Le montant retenu diffère du montant proposé par application des règles du contrat\u{a0}; cette modulation est motivée comme suit\u{a0}: {}.",
            quoted(m)
        )),
        Some(m) => para(format!("Motivation\u{a0}: {}.", quoted(m))),
        None => {
            para("Le montant retenu est le montant proposé par application des règles du contrat.")
        }
    }
}

// ---------------------------------------------------------------------------------

/// Notification of the volet obligatoire's sanction after the yearly evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct SocleSanctionNotification {
    pub frame: LetterFrame,
    pub establishment: Establishment,
    /// The year evaluated.
    pub year: i16,
    /// The grid's name (« Grille d'engagement Occitanie 2018 »).
    pub referentiel: String,
    /// The socle score out of 100.
    pub score: Decimal,
    /// The basis chosen, with its amount: 1 % of the AM revenue or 30 % of the liste en sus.
    pub basis: SanctionBasis,
    /// The closed financial year the basis comes from.
    pub basis_year: Option<i16>,
    /// The region's scale for the score, in % of the ceiling.
    pub rate_of_ceiling: Decimal,
    /// The DG ARS's decision (proposal, final amount, motivation).
    pub decision: Decision,
    pub am_opinion: Option<AmOpinion>,
    pub correction: Option<Correction>,
    pub appeals: Appeals,
}

impl SocleSanctionNotification {
    const DOCUMENT: &'static str = "notification de la sanction du volet obligatoire";

    fn check(&self) -> Result<(), DocumentError> {
        let d = &self.decision;
        if d.volet() != Volet::Obligatoire {
            return Err(DocumentError::inconsistent(
                Self::DOCUMENT,
                format!("la décision porte sur le volet « {} »", d.volet()),
            ));
        }
        if d.nature() != Nature::Sanction {
            return Err(DocumentError::inconsistent(
                Self::DOCUMENT,
                "le volet obligatoire ne donne pas lieu à intéressement",
            ));
        }
        if d.proposal().basis() != basis_kind(self.basis) {
            return Err(DocumentError::inconsistent(
                Self::DOCUMENT,
                "l'assiette ne correspond pas à celle de la proposition",
            ));
        }
        self.appeals.check(Self::DOCUMENT)
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        self.check()?;
        let d = &self.decision;
        let basis = self.basis.amount();
        let kind = basis_kind(self.basis);
        let object = format!(
            "notification de la sanction au titre du volet obligatoire du contrat d'amélioration de la qualité et de l'efficience des soins (CAQES), évaluation de l'année {}",
            self.year
        );
        let mut blocks = letter_opening(ctx, &self.frame, &self.establishment, &object);
        blocks.extend(correction_blocks(&self.correction));
        blocks.push(para(format!(
            "Le {} de votre contrat d'amélioration de la qualité et de l'efficience des soins a fait l'objet de son évaluation annuelle au titre de l'année {}, conjointement par l'agence régionale de santé et l'organisme local d'assurance maladie, sur la base de votre rapport d'autoévaluation.",
            volet_title(Volet::Obligatoire),
            self.year
        )));
        blocks.push(para(format!(
            "Au regard de la grille d'évaluation {}, votre établissement obtient un score de {} sur 100.",
            quoted(&self.referentiel),
            format::decimal(self.score, 2)
        )));
        blocks.push(heading("Calcul de la sanction"));
        let ceiling_share = share(d.proposal().ceiling(), basis).unwrap_or_default();
        blocks.push(amount_table(
            vec![
                (basis_label(kind, self.basis_year), format::euros(basis)),
                (
                    format!("Plafond légal\u{a0}: {ceiling_share} de l'assiette"),
                    format::euros(d.proposal().ceiling()),
                ),
                (
                    format!(
                        "Barème régional pour un score de {}\u{a0}: {} du plafond",
                        format::decimal(self.score, 2),
                        format::percent_trimmed(self.rate_of_ceiling, 2)
                    ),
                    format::euros(d.proposal().amount()),
                ),
            ],
            (
                "Montant de la sanction décidée".to_owned(),
                format::euros(d.final_amount()),
            ),
        ));
        blocks.push(modulation_block(d));
        blocks.extend(opinion_blocks(&self.am_opinion));
        blocks.push(heading("Décision"));
        if d.final_amount().to_cents() == Euros::ZERO {
            blocks.push(para(format!(
                "En conséquence, je vous informe qu'aucune sanction n'est prononcée à l'encontre de votre établissement au titre du volet obligatoire pour l'année {}.",
                self.year
            )));
        } else {
            let what = match kind {
                Basis::ListeEnSus => format!(
                    "une réduction de la prise en charge par l'assurance maladie des spécialités pharmaceutiques et des produits et prestations de la liste en sus (article L. 162-22-7 du code de la sécurité sociale) d'un montant de {}, soit {} de cette prise en charge",
                    format::euros(d.final_amount()),
                    share(d.final_amount(), basis).unwrap_or_default()
                ),
                _ => format!(
                    "une sanction financière d'un montant de {}, soit {} des produits reçus des régimes obligatoires d'assurance maladie au titre du dernier exercice clos",
                    format::euros(d.final_amount()),
                    share(d.final_amount(), basis).unwrap_or_default()
                ),
            };
            blocks.push(para(format!(
                "En conséquence, je vous notifie {what}. L'organisme local d'assurance maladie, informé simultanément de la présente décision, en assure le recouvrement."
            )));
        }
        blocks.extend(appeals_blocks(&self.appeals));
        blocks.extend(letter_closing(&self.frame));
        crate::common::render(
            ctx,
            &format!(
                "Notification de la sanction du volet obligatoire {} – {}",
                self.year, self.establishment.name
            ),
            "CAQES – volet obligatoire",
            &format!(
                "Notification – volet obligatoire {} – {}",
                self.year, self.establishment.name
            ),
            &blocks,
        )
    }
}

// ---------------------------------------------------------------------------------

/// An objective of an additional volet and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectiveResult {
    /// Obligation de résultat (`true`) or obligation complémentaire (`false`).
    pub main: bool,
    pub label: String,
    pub target: Option<String>,
    /// « +1,8 % », « 3 actions sur 4 ».
    pub result: String,
    /// `None` for a level that is neither met nor missed.
    pub met: Option<bool>,
}

/// What the DG ARS decided for an additional volet.
#[derive(Clone, Debug, PartialEq)]
pub enum VoletConsequence {
    /// Incentive or sanction, with the amount of its basis (savings, AM revenue,
    /// contractual maximum).
    Amount {
        decision: Decision,
        basis_amount: Euros,
    },
    /// « Ni intéressement, ni sanction ».
    Neither,
    /// Mise sous accord préalable (pertinence): the theme, the decision in months and
    /// the notification date the period runs from.
    Msap {
        theme: String,
        decision: MsapDecision,
        notified_on: Date,
    },
}

/// Notification of an additional volet's yearly decision.
#[derive(Clone, Debug, PartialEq)]
pub struct VoletDecisionNotification {
    pub frame: LetterFrame,
    pub establishment: Establishment,
    pub year: i16,
    pub volet: Volet,
    pub objectives: Vec<ObjectiveResult>,
    /// Realisation of the action plan, in %.
    pub action_plan_progress: Option<Decimal>,
    pub consequence: VoletConsequence,
    pub am_opinion: Option<AmOpinion>,
    pub correction: Option<Correction>,
    pub appeals: Appeals,
}

impl VoletDecisionNotification {
    const DOCUMENT: &'static str = "notification de la décision d'un volet additionnel";

    fn check(&self) -> Result<(), DocumentError> {
        let bad = |r: String| Err(DocumentError::inconsistent(Self::DOCUMENT, r));
        if self.volet == Volet::Obligatoire {
            return bad("le volet obligatoire a sa propre notification".into());
        }
        match &self.consequence {
            VoletConsequence::Amount { decision, .. } if decision.volet() != self.volet => {
                return bad(format!(
                    "la décision porte sur le volet « {} », pas « {} »",
                    decision.volet(),
                    self.volet
                ));
            }
            VoletConsequence::Msap { .. } if self.volet != Volet::Pertinence => {
                return bad(
                    "la mise sous accord préalable ne concerne que le volet pertinence".into(),
                );
            }
            _ => {}
        }
        self.appeals.check(Self::DOCUMENT)
    }

    fn objectives_table(&self) -> Block {
        let rows = self
            .objectives
            .iter()
            .map(|o| {
                Row::body(vec![
                    if o.main {
                        "de résultat".to_owned()
                    } else {
                        "complémentaire".to_owned()
                    },
                    o.label.clone(),
                    o.target.clone().unwrap_or_else(|| "–".into()),
                    o.result.clone(),
                    match o.met {
                        Some(true) => "oui".into(),
                        Some(false) => "non".into(),
                        None => "niveau".into(),
                    },
                ])
            })
            .collect();
        Block::Table(Table::new(
            vec![
                Column::left("Obligation", 1.3),
                Column::left("Objectif", 3.0),
                Column::left("Cible", 1.3),
                Column::left("Résultat", 1.3),
                Column::left("Atteint", 0.8),
            ],
            rows,
        ))
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        self.check()?;
        let object = format!(
            "notification de la décision au titre du volet additionnel {} du contrat d'amélioration de la qualité et de l'efficience des soins (CAQES), évaluation de l'année {}",
            quoted(self.volet.label()),
            self.year
        );
        let mut blocks = letter_opening(ctx, &self.frame, &self.establishment, &object);
        blocks.extend(correction_blocks(&self.correction));
        blocks.push(para(format!(
            "Le {} de votre contrat a fait l'objet de son évaluation annuelle au titre de l'année {}. L'obligation de résultat détermine le déclenchement de l'intéressement ou de la sanction\u{a0}; les obligations complémentaires en modulent le niveau.",
            volet_title(self.volet),
            self.year
        )));
        blocks.push(heading("Résultats de l'évaluation"));
        if !self.objectives.is_empty() {
            blocks.push(self.objectives_table());
        }
        if let Some(p) = self.action_plan_progress {
            blocks.push(para(format!(
                "Le plan d'actions annexé au volet est réalisé à {}.",
                format::percent_trimmed(p, 2)
            )));
        }
        blocks.push(heading("Décision"));
        match &self.consequence {
            VoletConsequence::Amount {
                decision,
                basis_amount,
            } => {
                let p = decision.proposal();
                let interessement = decision.nature() == Nature::Interessement;
                let ceiling_share = share(p.ceiling(), *basis_amount).unwrap_or_default();
                blocks.push(amount_table(
                    vec![
                        (basis_label(p.basis(), None), format::euros(*basis_amount)),
                        (
                            format!("Plafond\u{a0}: {ceiling_share} de l'assiette"),
                            format::euros(p.ceiling()),
                        ),
                        (
                            "Montant proposé après modulation par les résultats".to_owned(),
                            format::euros(p.amount()),
                        ),
                    ],
                    (
                        if interessement {
                            "Montant de l'intéressement décidé".to_owned()
                        } else {
                            "Montant de la sanction décidée".to_owned()
                        },
                        format::euros(decision.final_amount()),
                    ),
                ));
                blocks.push(modulation_block(decision));
                blocks.extend(opinion_blocks(&self.am_opinion));
                blocks.push(para(if decision.final_amount().to_cents() == Euros::ZERO {
                    format!(
                        "En conséquence, aucun {} n'est prononcé au titre de ce volet pour l'année {}.",
                        if interessement { "intéressement" } else { "montant de sanction" },
                        self.year
                    )
                } else if interessement {
                    let vector = match self.volet {
                        Volet::Transports => "versé sur les économies résultant de la moindre prescription de transports",
                        _ => "financé sur les crédits du fonds d'intervention régional",
                    };
                    format!(
                        "En conséquence, je vous notifie un intéressement d'un montant de {}, {vector}.",
                        format::euros(decision.final_amount())
                    )
                } else {
                    format!(
                        "En conséquence, je vous notifie une sanction financière d'un montant de {}, soit {} des produits reçus des régimes obligatoires d'assurance maladie au titre du dernier exercice clos. L'organisme local d'assurance maladie, informé simultanément de la présente décision, en assure le recouvrement.",
                        format::euros(decision.final_amount()),
                        share(decision.final_amount(), *basis_amount).unwrap_or_default()
                    )
                }));
            }
            VoletConsequence::Neither => {
                blocks.extend(opinion_blocks(&self.am_opinion));
                blocks.push(para(format!(
                    "Au vu de ces résultats, votre établissement ne perçoit pas d'intéressement et ne fait pas l'objet d'une sanction au titre de ce volet pour l'année {}.",
                    self.year
                )));
            }
            VoletConsequence::Msap {
                theme,
                decision,
                notified_on,
            } => {
                blocks.extend(opinion_blocks(&self.am_opinion));
                match decision.period(*notified_on) {
                    Some(period) => blocks.push(para(format!(
                        "En conséquence, je prononce la mise sous accord préalable de votre établissement pour «\u{a0}{}\u{a0}» pour une durée de {}\u{a0}mois (le contrat en prévoit {}), du {} au {} inclus. Pendant cette période, les actes, prestations et prescriptions concernés sont subordonnés à l'accord préalable du service du contrôle médical, sauf urgence pour le patient.",
                        theme,
                        decision.months(),
                        decision.proposed_months(),
                        format::date(period.start),
                        format::date(period.end)
                    ))),
                    None => blocks.push(para(format!(
                        "Je décide de ne pas prononcer la mise sous accord préalable pour «\u{a0}{theme}\u{a0}» prévue au contrat ({}\u{a0}mois).",
                        decision.proposed_months()
                    ))),
                }
                if let Some(m) = decision.motivation() {
                    blocks.push(para(format!("Motivation\u{a0}: {}.", quoted(m))));
                }
            }
        }
        blocks.extend(appeals_blocks(&self.appeals));
        blocks.extend(letter_closing(&self.frame));
        crate::common::render(
            ctx,
            &format!(
                "Notification – volet {} {} – {}",
                self.volet.label(),
                self.year,
                self.establishment.name
            ),
            "CAQES – volet additionnel",
            &format!(
                "Notification – volet {} {} – {}",
                self.volet.label(),
                self.year,
                self.establishment.name
            ),
            &blocks,
        )
    }
}

// ---------------------------------------------------------------------------------

/// A hearing of the establishment, requested before the end of the 15 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hearing {
    pub requested_on: Date,
    pub held_on: Date,
}

/// Notification of the sanction for refusing to sign the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct RefusalSanctionNotification {
    pub frame: LetterFrame,
    pub establishment: Establishment,
    /// The volets of the contract proposed.
    pub volets: Vec<Volet>,
    pub proposal_received_on: Date,
    /// The last day to sign (15 days, extended to the hearing), from
    /// `caqes_core::calendar::signature_period`.
    pub signature_deadline: Date,
    pub hearing: Option<Hearing>,
    /// 1 % of the AM revenue, or the liste en sus alternative when the volet
    /// obligatoire is refused.
    pub basis: SanctionBasis,
    pub basis_year: Option<i16>,
    /// The sanction: `caqes_core::sanction::refusal_sanction` (the full ceiling), or
    /// a lower amount decided with a motivation.
    pub sanction: Proposal,
    /// Why the amount is below the ceiling, when it is.
    pub motivation: Option<String>,
    pub am_opinion: Option<AmOpinion>,
    pub appeals: Appeals,
}

impl RefusalSanctionNotification {
    const DOCUMENT: &'static str = "notification de la sanction pour refus de signature";

    fn check(&self) -> Result<(), DocumentError> {
        let bad = |r: &str| Err(DocumentError::inconsistent(Self::DOCUMENT, r));
        if self.sanction.nature() != Nature::Sanction {
            return bad("un refus de signature ne donne pas lieu à intéressement");
        }
        if self.sanction.basis() != basis_kind(self.basis) {
            return bad("l'assiette ne correspond pas à celle de la sanction");
        }
        if matches!(self.basis, SanctionBasis::ListeEnSus(_))
            && !self.volets.contains(&Volet::Obligatoire)
        {
            return bad(
                "la réduction de la liste en sus ne s'applique qu'au refus du volet obligatoire",
            );
        }
        if self.volets.is_empty() {
            return bad("aucun volet refusé");
        }
        self.appeals.check(Self::DOCUMENT)
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        self.check()?;
        let object = "notification de la sanction pour refus de signature du contrat d'amélioration de la qualité et de l'efficience des soins (CAQES)";
        let mut blocks = letter_opening(ctx, &self.frame, &self.establishment, object);
        blocks.push(para(format!(
            "Le {}, votre établissement a reçu la proposition de contrat d'amélioration de la qualité et de l'efficience des soins établie à l'issue de la période de concertation. Elle comprend\u{a0}:",
            format::date(self.proposal_received_on)
        )));
        for v in &self.volets {
            blocks.push(bullet(format!("le {}\u{a0};", volet_title(*v))));
        }
        let mut delay = "Vous disposiez d'un délai de quinze jours pour le signer".to_owned();
        if let Some(h) = self.hearing {
            delay.push_str(&format!(
                ", prolongé jusqu'à l'audition de votre établissement que vous avez demandée le {}\u{a0}; cette audition a eu lieu le {}",
                format::date(h.requested_on),
                format::date(h.held_on)
            ));
        }
        delay.push_str(&format!(
            ". À l'expiration de ce délai, le {}, le contrat n'a pas été signé.",
            format::date(self.signature_deadline)
        ));
        blocks.push(para(delay));
        blocks.push(para(
            "À défaut de contractualisation, l'établissement de santé est passible d'une sanction de 1\u{202f}% des produits reçus des régimes obligatoires d'assurance maladie au titre du dernier exercice clos ou, en cas de refus du volet obligatoire relatif aux produits de santé, d'une réduction de 30\u{202f}% de la part prise en charge par l'assurance maladie des spécialités pharmaceutiques et des produits et prestations de la liste en sus (article L. 162-22-7 du code de la sécurité sociale).",
        ));
        blocks.push(heading("Calcul de la sanction"));
        let basis = self.basis.amount();
        blocks.push(amount_table(
            vec![
                (
                    basis_label(self.sanction.basis(), self.basis_year),
                    format::euros(basis),
                ),
                (
                    format!(
                        "Taux appliqué\u{a0}: {} de l'assiette",
                        share(self.sanction.ceiling(), basis).unwrap_or_default()
                    ),
                    format::euros(self.sanction.ceiling()),
                ),
            ],
            (
                "Montant de la sanction".to_owned(),
                format::euros(self.sanction.amount()),
            ),
        ));
        if let Some(m) = self.motivation.as_deref().filter(|m| !m.trim().is_empty()) {
            blocks.push(para(format!(
                "Le montant retenu est inférieur au plafond\u{a0}; cette modulation est motivée comme suit\u{a0}: {}.",
                quoted(m)
            )));
        }
        blocks.extend(opinion_blocks(&self.am_opinion));
        blocks.push(heading("Décision"));
        blocks.push(para(format!(
            "En conséquence, je vous notifie une sanction d'un montant de {}. L'organisme local d'assurance maladie, informé simultanément de la présente décision, en assure le recouvrement.",
            format::euros(self.sanction.amount())
        )));
        blocks.extend(appeals_blocks(&self.appeals));
        blocks.extend(letter_closing(&self.frame));
        crate::common::render(
            ctx,
            &format!(
                "Notification – refus de signature – {}",
                self.establishment.name
            ),
            "CAQES – refus de signature",
            &format!(
                "Notification – refus de signature – {}",
                self.establishment.name
            ),
            &blocks,
        )
    }
}
