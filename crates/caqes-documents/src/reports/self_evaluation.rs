//! The establishment's self-evaluation report, from what it entered on the platform.
//!
//! Instruction IV.a: « Les établissements doivent disposer d'un dispositif d'audit et de
//! suivi leur permettant […] de produire un rapport annuel d'autoévaluation. Ce dernier
//! sert de base à l'évaluation annuelle des actions figurant dans leur plan d'actions. »

use jiff::civil::Date;

use crate::common::{
    ActionPlanItem, Context, Establishment, Issuer, action_plan_table, heading, labelled, para,
    report_opening,
};
use crate::error::DocumentError;
use crate::render::layout::{Block, Column, Row, Table};

/// One value entered, with its target and the establishment's comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfEvaluationValue {
    pub code: String,
    pub label: String,
    pub value: String,
    pub target: Option<String>,
    pub comment: Option<String>,
}

/// A part of the grid (« Partie 1 – Amélioration et sécurisation … »).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfEvaluationPart {
    pub title: String,
    pub values: Vec<SelfEvaluationValue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfEvaluationReport {
    pub establishment: Establishment,
    pub year: i16,
    pub referentiel: String,
    /// Date of the report (its submission).
    pub date: Date,
    /// Who wrote it (« Jeanne Dupont, pharmacienne gérante »).
    pub author: Option<String>,
    pub parts: Vec<SelfEvaluationPart>,
    pub action_plan: Vec<ActionPlanItem>,
    /// The establishment's comments on the year.
    pub comments: Vec<String>,
}

impl SelfEvaluationReport {
    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        let mut blocks = report_opening(
            ctx,
            Issuer::Establishment(&self.establishment),
            "Rapport d'autoévaluation",
            self.date,
            &format!("Rapport d'autoévaluation {}", self.year),
            Some(&format!(
                "Contrat d'amélioration de la qualité et de l'efficience des soins – {}",
                self.referentiel
            )),
        );
        blocks.push(labelled(
            "Destinataires",
            format!(
                "{} et organisme local d'assurance maladie",
                ctx.authority.name
            ),
        ));
        if let Some(a) = &self.author {
            blocks.push(labelled("Rédigé par", a.clone()));
        }
        blocks.push(heading("Valeurs des indicateurs"));
        let mut rows = Vec::new();
        for part in &self.parts {
            rows.push(Row::section(part.title.clone()));
            for v in &part.values {
                rows.push(Row::body(vec![
                    v.code.clone(),
                    v.label.clone(),
                    v.value.clone(),
                    v.target.clone().unwrap_or_else(|| "–".into()),
                    v.comment.clone().unwrap_or_default(),
                ]));
            }
        }
        blocks.push(Block::Table(Table::new(
            vec![
                Column::left("Code", 0.8),
                Column::left("Indicateur", 3.0),
                Column::right("Valeur", 2.0),
                Column::right("Cible", 0.9),
                Column::left("Commentaire", 1.9),
            ],
            rows,
        )));
        blocks.push(heading("Plan d'actions"));
        if self.action_plan.is_empty() {
            blocks.push(para("Aucune action n'a été saisie."));
        } else {
            blocks.push(action_plan_table(&self.action_plan));
        }
        if !self.comments.is_empty() {
            blocks.push(heading("Commentaires de l'établissement"));
            for c in &self.comments {
                blocks.push(para(c.clone()));
            }
        }
        let mut footer = vec![format!(
            "{} – FINESS\u{a0}{}",
            self.establishment.name, self.establishment.finess
        )];
        if !self.establishment.address.is_empty() {
            footer.push(self.establishment.address.join(" – "));
        }
        let title = format!(
            "Rapport d'autoévaluation {} – {}",
            self.year, self.establishment.name
        );
        crate::common::render_with_footer(
            ctx,
            &title,
            "CAQES – rapport d'autoévaluation",
            &title,
            footer,
            &blocks,
        )
    }
}
