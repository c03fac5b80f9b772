//! The receipt of an establishment's submission: what was submitted, when, by whom.
//!
//! Instruction II.a.ii: documents are sent « par tout moyen permettant d'apporter la
//! preuve de sa bonne réception » — the platform's receipt is that proof for the
//! establishment's transmission (values, action plan, evidence documents).

use jiff::civil::DateTime;

use crate::common::{
    Context, Establishment, Issuer, establishment_line, heading, labelled, note, para,
    report_opening,
};
use crate::error::DocumentError;
use crate::render::format;
use crate::render::layout::{Block, Column, Row, Table};

/// A value as the establishment entered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedValue {
    pub code: String,
    pub label: String,
    /// As entered and shown on the platform (« 85 / 100 », « NC : pas d'activité »).
    pub value: String,
}

/// An evidence document attached to the submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedDocument {
    pub name: String,
    pub bytes: u64,
    /// SHA-256 of the file, hexadecimal.
    pub sha256: String,
}

/// Receipt of a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionReceipt {
    pub establishment: Establishment,
    pub year: i16,
    pub referentiel: String,
    /// The submission's identifier on the platform.
    pub number: String,
    /// When it was submitted, Paris time.
    pub submitted_at: DateTime,
    pub submitted_by: String,
    /// « établissement », « représentant légal »…
    pub submitted_by_role: Option<String>,
    pub values: Vec<SubmittedValue>,
    pub action_plan_actions: usize,
    pub documents: Vec<SubmittedDocument>,
    pub comment: Option<String>,
}

/// « 12 345 octets », « 12,3 ko », « 1,2 Mo » (binary multiples, as file managers).
fn size(bytes: u64) -> String {
    let b = rust_decimal::Decimal::from(bytes);
    if bytes < 1024 {
        format!("{}\u{a0}octets", format::count(bytes))
    } else if bytes < 1024 * 1024 {
        format!(
            "{}\u{a0}ko",
            format::decimal(b / rust_decimal::Decimal::from(1024), 1)
        )
    } else {
        format!(
            "{}\u{a0}Mo",
            format::decimal(b / rust_decimal::Decimal::from(1024 * 1024), 1)
        )
    }
}

impl SubmissionReceipt {
    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        let mut blocks = report_opening(
            ctx,
            Issuer::State,
            "Accusé de réception",
            self.submitted_at.date(),
            "Accusé de réception de la transmission",
            Some(&format!(
                "CAQES, campagne {} – {}",
                self.year, self.referentiel
            )),
        );
        let by = match &self.submitted_by_role {
            Some(r) => format!("{} ({r})", self.submitted_by),
            None => self.submitted_by.clone(),
        };
        blocks.push(para(format!(
            "L'{} accuse réception de la transmission des données d'autoévaluation de l'année {} effectuée sur la plateforme CAQES le {} par {}.",
            lowercase_first(&ctx.authority.name),
            self.year,
            format::date_time(self.submitted_at),
            by
        )));
        blocks.push(labelled(
            "Établissement",
            establishment_line(&self.establishment),
        ));
        blocks.push(labelled("Numéro de transmission", self.number.clone()));
        blocks.push(labelled(
            "Contenu",
            format!(
                "{} valeur(s), {} action(s) du plan d'actions, {} pièce(s) jointe(s)",
                self.values.len(),
                self.action_plan_actions,
                self.documents.len()
            ),
        ));
        if let Some(c) = self.comment.as_ref().filter(|c| !c.trim().is_empty()) {
            blocks.push(labelled("Commentaire", c.trim().to_owned()));
        }
        blocks.push(heading("Valeurs transmises"));
        blocks.push(Block::Table(Table::new(
            vec![
                Column::left("Code", 0.8),
                Column::left("Indicateur", 4.0),
                Column::right("Valeur transmise", 1.8),
            ],
            self.values
                .iter()
                .map(|v| Row::body(vec![v.code.clone(), v.label.clone(), v.value.clone()]))
                .collect(),
        )));
        if !self.documents.is_empty() {
            blocks.push(heading("Pièces jointes"));
            blocks.push(Block::Table(Table::new(
                vec![
                    Column::left("Fichier", 2.4),
                    Column::right("Taille", 0.9),
                    Column::left("Empreinte SHA-256", 3.4),
                ],
                self.documents
                    .iter()
                    .map(|d| Row::body(vec![d.name.clone(), size(d.bytes), d.sha256.clone()]))
                    .collect(),
            )));
        }
        blocks.push(note(
            "Le présent accusé de réception atteste la date et le contenu de la transmission. Il ne préjuge pas de l'évaluation annuelle, menée conjointement par l'agence régionale de santé et l'organisme local d'assurance maladie.",
        ));
        crate::common::render(
            ctx,
            &format!(
                "Accusé de réception {} – {}",
                self.year, self.establishment.name
            ),
            "CAQES – accusé de réception",
            &format!(
                "Accusé de réception {} – {}",
                self.year, self.establishment.name
            ),
            &blocks,
        )
    }
}

/// « Agence … » → « agence … » after « L' ».
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_french() {
        assert_eq!(size(999), "999\u{a0}octets");
        assert_eq!(size(12_800), "12,5\u{a0}ko");
        assert_eq!(size(10 * 1024 * 1024), "10,0\u{a0}Mo");
        assert_eq!(lowercase_first("Agence régionale"), "agence régionale");
    }
}
