//! The evaluation report of one establishment for one year, and the joint yearly
//! report across volets.
//!
//! Instruction IV: « A la suite de l'autoévaluation de l'établissement et à un échange
//! autour des résultats atteints, un rapport d'évaluation doit être produit. » IV.a: the
//! evaluation grid (`caqes_core::evaluation_grid`) « complétée d'éléments de contexte,
//! peut servir de rapport d'évaluation et de base pour les objectifs de l'année
//! suivante ».
//!
//! The explanation of the socle score (per part, per indicator: value and its parts,
//! target and its source, rule, points at stake after redistribution, points earned)
//! is given here as provisional input structs, to be filled from the engine's
//! line-by-line explanation (issue « Evaluation you can defend »).

use caqes_core::evaluation_grid::EvaluationGrid;
use caqes_core::volets::Volet;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::common::{
    ActionPlanItem, Context, Establishment, Issuer, action_plan_table, establishment_line, heading,
    labelled, note, para, quoted, report_opening, subheading,
};
use crate::error::DocumentError;
use crate::letters::notification::{ObjectiveResult, volet_title};
use crate::render::dashboard::parts_chart;
use crate::render::format;
use crate::render::layout::{Block, CONTENT_WIDTH, Column, Para, Row, Span, Table};
use crate::render::line_chart::LineChart;
use crate::render::scale::fr;
use caqes_core::evaluation::dashboard::PartScore;

/// The socle score: `None` in the report means « non évaluable » (nothing concerned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocleScore {
    /// Out of 100 (bonus excluded).
    pub score: Decimal,
    /// Bonus points earned.
    pub bonus: Decimal,
}

/// How an indicator's line ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndicatorOutcome {
    Met,
    /// EN_COURS: half the points.
    InProgress,
    NotMet,
    /// Non concerné, with its motive; its points are redistributed.
    NotConcerned {
        motive: String,
    },
    /// Non mesurable for the category; its points are redistributed.
    NotMeasurable,
    /// No contracted target and no default: 0 point.
    MissingTarget,
    /// Computed per class (D5): how many concerned classes are met; the points follow
    /// the grid's rule (equal shares or all classes), the classes' rows give each result.
    PerClass {
        met: usize,
        concerned: usize,
    },
}

impl IndicatorOutcome {
    fn label(&self) -> String {
        match self {
            IndicatorOutcome::Met => "atteint".into(),
            IndicatorOutcome::InProgress => "en cours (moitié des points)".into(),
            IndicatorOutcome::NotMet => "non atteint".into(),
            IndicatorOutcome::NotConcerned { motive } => format!("NC : {motive}"),
            IndicatorOutcome::NotMeasurable => "NM".into(),
            IndicatorOutcome::MissingTarget => "cible manquante".into(),
            IndicatorOutcome::PerClass { met, concerned } => {
                format!("par classe : {met} atteinte(s) sur {concerned}")
            }
        }
    }
}

/// One indicator of the explained score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorExplanation {
    pub code: String,
    pub label: String,
    /// The value as computed, formatted (« 85,00 % », « OUI »); `None` when absent.
    pub value: Option<String>,
    /// Numerator and denominator the value was computed from.
    pub parts: Option<(Decimal, Decimal)>,
    /// Where the value comes from (« saisie de l'établissement », « Open PHMEV 2019,
    /// médicaments seuls »).
    pub source: Option<String>,
    /// The target (« ≥ 80,00 % »), if any.
    pub target: Option<String>,
    /// Where the target comes from (« contrat », « référentiel », « manquante »).
    pub target_source: String,
    /// The rule applied (« atteint si valeur ≥ cible », « état des lieux : valeur fournie »).
    pub rule: String,
    pub outcome: IndicatorOutcome,
    /// Maximum of the référentiel.
    pub points_max: Decimal,
    /// Maximum after redistribution.
    pub points_at_stake: Decimal,
    pub points_earned: Decimal,
    /// An indicator computed per class (D5): one sub-line per class (`III-03/EPO`), with
    /// its value, target, result and share of the points. Their points are the
    /// indicator's, shown again, never added to the part a second time.
    pub classes: Vec<IndicatorExplanation>,
}

/// A part of the grid (« Partie 1 – … ») and its indicators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartExplanation {
    pub title: String,
    /// Short label for the chart (« Partie 1 »).
    pub short: String,
    pub indicators: Vec<IndicatorExplanation>,
}

impl PartExplanation {
    fn at_stake(&self) -> Decimal {
        self.indicators.iter().map(|i| i.points_at_stake).sum()
    }
    fn earned(&self) -> Decimal {
        self.indicators.iter().map(|i| i.points_earned).sum()
    }
}

/// The decision the report closes with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportDecision {
    /// « Sanction de 200 000,00 € notifiée le 15 mars 2019 ».
    pub summary: String,
    pub motivation: Option<String>,
}

/// Evaluation report of one establishment and one year.
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluationReport {
    pub establishment: Establishment,
    pub year: i16,
    pub referentiel: String,
    pub date: Date,
    /// The instruction's grid, all volets, with the total.
    pub grid: EvaluationGrid,
    pub score: Option<SocleScore>,
    /// How the points of NC/NM indicators were redistributed, in words.
    pub redistribution: Option<String>,
    pub parts: Vec<PartExplanation>,
    /// Points per part against each part's maximum, as the établissement's dashboard
    /// draws them (`caqes_core::evaluation::dashboard::by_part`).
    pub part_scores: Vec<PartScore>,
    /// Each indicator's value against its target over the years where a history exists
    /// (`dashboard::history_charts`, the dashboard's charts), oldest year first.
    pub history: Vec<LineChart>,
    pub action_plan: Vec<ActionPlanItem>,
    pub decision: Option<ReportDecision>,
    /// Remarks on the data (partial values, missing sites…).
    pub remarks: Vec<String>,
}

fn check_grid(
    document: &'static str,
    grid: &EvaluationGrid,
    establishment: &Establishment,
    year: i16,
) -> Result<(), DocumentError> {
    if grid.finess != establishment.finess || grid.annee != year {
        return Err(DocumentError::inconsistent(
            document,
            format!(
                "la grille porte sur {} en {}, pas sur {} en {year}",
                grid.finess, grid.annee, establishment.finess
            ),
        ));
    }
    Ok(())
}

/// The instruction's grid as a table, its TOTAL row as a total.
fn grid_table(grid: &EvaluationGrid) -> Block {
    let table = grid.table();
    let (header, rows) = match table.split_first() {
        Some((h, r)) => (h.clone(), r.to_vec()),
        None => return Block::Space(0.0),
    };
    let weights = [1.5, 2.0, 0.9, 1.9, 0.9, 1.6];
    let columns = header
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (h, w))| {
            if i == 5 {
                Column::right(h.clone(), w)
            } else {
                Column::left(h.clone(), w)
            }
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|r| {
            let cells = r.to_vec();
            if cells[0] == "TOTAL" {
                Row::total(cells)
            } else {
                Row::body(cells)
            }
        })
        .collect();
    let mut t = Table::new(columns, rows);
    t.size = 8.0;
    Block::Table(t)
}

/// The value cell: the value, and its numerator and denominator below it.
fn value_cell(i: &IndicatorExplanation) -> String {
    match (&i.value, i.parts) {
        (Some(v), Some((n, d))) => format!(
            "{v}\n({} / {})",
            format::decimal_trimmed(n, 4),
            format::decimal_trimmed(d, 4)
        ),
        (Some(v), None) => v.clone(),
        (None, _) => "–".into(),
    }
}

/// The row of one class under its indicator (D5): its share of the points in « En jeu »
/// and « Obtenus » in parentheses, as they are already in the indicator's row.
fn class_cells(c: &IndicatorExplanation) -> Vec<String> {
    let mut label = format!("{}\nRègle\u{a0}: {}", c.label, c.rule);
    if let Some(s) = &c.source {
        label.push_str(&format!("\nSource\u{a0}: {s}"));
    }
    let target = match &c.target {
        Some(t) => format!("{t}\n({})", c.target_source),
        None => format!("– ({})", c.target_source),
    };
    let share = |p: Decimal| {
        if c.points_max.is_zero() && p.is_zero() {
            "–".to_owned()
        } else {
            format!("({})", format::decimal(p, 2))
        }
    };
    vec![
        format!("  {}", c.code),
        label,
        value_cell(c),
        target,
        c.outcome.label(),
        share(c.points_at_stake),
        share(c.points_earned),
    ]
}

fn score_sentence(score: &Option<SocleScore>, referentiel: &str) -> String {
    match score {
        Some(s) if s.bonus > Decimal::ZERO => format!(
            "Score du volet obligatoire selon la grille {}\u{a0}: {} sur 100, et {} point(s) de bonus.",
            quoted(referentiel),
            format::decimal(s.score, 2),
            format::decimal_trimmed(s.bonus, 2)
        ),
        Some(s) => format!(
            "Score du volet obligatoire selon la grille {}\u{a0}: {} sur 100.",
            quoted(referentiel),
            format::decimal(s.score, 2)
        ),
        None => format!(
            "Volet obligatoire non évaluable selon la grille {}\u{a0}: aucun indicateur ne concerne l'établissement\u{a0}; aucune sanction n'est proposée.",
            quoted(referentiel)
        ),
    }
}

impl EvaluationReport {
    const DOCUMENT: &'static str = "rapport d'évaluation";

    fn indicators_table(&self) -> Block {
        let mut rows = Vec::new();
        for part in &self.parts {
            rows.push(Row::section(part.title.clone()));
            for i in &part.indicators {
                let mut label = format!("{}\nRègle\u{a0}: {}", i.label, i.rule);
                if let Some(s) = &i.source {
                    label.push_str(&format!("\nSource\u{a0}: {s}"));
                }
                let value = value_cell(i);
                let target = match &i.target {
                    Some(t) => format!("{t}\n({})", i.target_source),
                    None => format!("– ({})", i.target_source),
                };
                let stake = if i.points_at_stake == i.points_max {
                    format::decimal(i.points_at_stake, 2)
                } else {
                    format!(
                        "{}\n(max. {})",
                        format::decimal(i.points_at_stake, 2),
                        format::decimal_trimmed(i.points_max, 2)
                    )
                };
                rows.push(Row::body(vec![
                    i.code.clone(),
                    label,
                    value,
                    target,
                    i.outcome.label(),
                    stake,
                    format::decimal(i.points_earned, 2),
                ]));
                for c in &i.classes {
                    rows.push(Row::body(class_cells(c)));
                }
            }
            rows.push(Row::total(vec![
                String::new(),
                format!("Total {}", part.short),
                String::new(),
                String::new(),
                String::new(),
                format::decimal(part.at_stake(), 2),
                format::decimal(part.earned(), 2),
            ]));
        }
        let mut t = Table::new(
            vec![
                Column::left("Code", 0.6),
                Column::left("Indicateur et règle", 2.8),
                Column::right("Valeur", 1.2),
                Column::right("Cible", 1.2),
                Column::left("Résultat", 1.2),
                Column::right("En jeu", 0.75),
                Column::right("Obtenus", 0.75),
            ],
            rows,
        );
        t.size = 7.5;
        Block::Table(t)
    }

    /// The établissement dashboard's chart of points per part.
    fn parts_figure(&self) -> Option<Block> {
        if self.part_scores.is_empty() {
            return None;
        }
        let chart = parts_chart("points-par-partie", self.year, &self.part_scores);
        Some(Block::Figure {
            drawing: chart.to_drawing(),
            width: CONTENT_WIDTH.min(440.0),
            caption: Some(format!(
                "{} (barre foncée : points obtenus ; barre claire : maximum de la partie).",
                chart.title
            )),
        })
    }

    /// The indicators' histories: the dashboard's small charts two by two, then their
    /// figures in a table (the charts' text alternative).
    fn history_blocks(&self) -> Vec<Block> {
        let mut blocks = vec![heading("Évolution des indicateurs")];
        let Some(first) = self.history.first() else {
            blocks.push(para(
                "Aucun indicateur n'a de valeur sur deux années : pas d'historique à présenter.",
            ));
            return blocks;
        };
        blocks.push(note(
            "Valeur (trait plein) et cible (tirets), année par année, de chaque indicateur ayant une valeur sur deux années au moins.",
        ));
        let half = (CONTENT_WIDTH - 12.0) / 2.0;
        for pair in self.history.chunks(2) {
            let columns = pair
                .iter()
                .enumerate()
                .map(|(i, chart)| {
                    (
                        i as f32 * (half + 12.0),
                        half,
                        vec![Block::Figure {
                            drawing: chart.to_drawing(),
                            width: half,
                            caption: Some(chart.title.clone()),
                        }],
                    )
                })
                .collect();
            blocks.push(Block::Columns(columns));
        }
        let mut columns = vec![Column::left("Indicateur", 1.0)];
        columns.extend(
            first
                .x
                .iter()
                .map(|year| Column::right(format!("{year} : valeur / cible"), 1.3)),
        );
        let cell = |v: Option<&Option<f64>>, digits: usize| match v.copied().flatten() {
            Some(v) => fr(v, digits),
            None => "–".to_owned(),
        };
        let rows = self
            .history
            .iter()
            .map(|chart| {
                let code = chart
                    .title
                    .split(" : ")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let series = |label: &str| chart.series.iter().find(|s| s.label == label);
                let mut cells = vec![format!("{code} ({})", chart.y_label)];
                cells.extend((0..chart.x.len()).map(|j| {
                    format!(
                        "{} / {}",
                        cell(series("Valeur").and_then(|s| s.values.get(j)), chart.digits),
                        cell(series("Cible").and_then(|s| s.values.get(j)), chart.digits)
                    )
                }));
                Row::body(cells)
            })
            .collect();
        let mut t = Table::new(columns, rows);
        t.size = 8.0;
        blocks.push(Block::Table(t));
        blocks
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        check_grid(Self::DOCUMENT, &self.grid, &self.establishment, self.year)?;
        let mut blocks = report_opening(
            ctx,
            Issuer::State,
            "Rapport d'évaluation",
            self.date,
            &format!("Rapport d'évaluation {}", self.year),
            Some(&establishment_line(&self.establishment)),
        );
        blocks.push(para(score_sentence(&self.score, &self.referentiel)));
        blocks.push(heading("Grille d'évaluation"));
        blocks.push(grid_table(&self.grid));
        blocks.push(para(format!(
            "Somme notifiée\u{a0}: {} (intéressements {}, sanctions {}).",
            format::signed_euros(self.grid.total()),
            format::euros(self.grid.total_incentives()),
            format::euros(self.grid.total_sanctions())
        )));
        if !self.parts.is_empty() {
            blocks.push(heading(
                "Score du volet obligatoire, indicateur par indicateur",
            ));
            if let Some(r) = &self.redistribution {
                blocks.push(note(format!("Redistribution\u{a0}: {r}")));
            }
            blocks.push(self.indicators_table());
            if let Some(s) = &self.score {
                let earned: Decimal = self.parts.iter().map(PartExplanation::earned).sum();
                blocks.push(Block::Para(Para::new(vec![
                    Span::bold("Score\u{a0}: "),
                    Span::regular(format!(
                        "{} sur 100 ({} points obtenus).",
                        format::decimal(s.score, 2),
                        format::decimal(earned, 2)
                    )),
                ])));
            }
            blocks.extend(self.parts_figure());
        }
        if !self.parts.is_empty() {
            blocks.extend(self.history_blocks());
        }
        for r in &self.remarks {
            blocks.push(note(r.clone()));
        }
        blocks.push(heading("Avancement du plan d'actions"));
        if self.action_plan.is_empty() {
            blocks.push(para("Aucune action n'est inscrite au plan d'actions."));
        } else {
            blocks.push(action_plan_table(&self.action_plan));
        }
        blocks.push(heading("Décision"));
        match &self.decision {
            Some(d) => {
                blocks.push(para(d.summary.clone()));
                if let Some(m) = &d.motivation {
                    blocks.push(labelled("Motivation", quoted(m)));
                }
            }
            None => blocks.push(para("La décision n'est pas encore prise.")),
        }
        let title = format!(
            "Rapport d'évaluation {} – {}",
            self.year, self.establishment.name
        );
        crate::common::render(ctx, &title, "CAQES – rapport d'évaluation", &title, &blocks)
    }
}

// ---------------------------------------------------------------------------------

/// One volet in the joint yearly report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoletReport {
    pub volet: Volet,
    pub objectives: Vec<ObjectiveResult>,
    /// Realisation of the action plan, in %.
    pub action_plan_progress: Option<Decimal>,
    /// The consequence in words (« intéressement de 240 000,00 € », « MSAP de 4 mois »).
    pub consequence: String,
    pub motivation: Option<String>,
}

/// The joint yearly evaluation report of the ARS and the AM, across volets.
#[derive(Clone, Debug, PartialEq)]
pub struct JointYearlyReport {
    pub establishment: Establishment,
    pub year: i16,
    pub referentiel: String,
    pub date: Date,
    pub grid: EvaluationGrid,
    pub score: Option<SocleScore>,
    pub volets: Vec<VoletReport>,
    /// Perspectives and objectives for the next year.
    pub next_year: Vec<String>,
    /// The local AM body (« Caisse primaire d'assurance maladie de l'Hérault »).
    pub am_body: String,
}

impl JointYearlyReport {
    const DOCUMENT: &'static str = "rapport annuel d'évaluation conjoint";

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        check_grid(Self::DOCUMENT, &self.grid, &self.establishment, self.year)?;
        let mut blocks = report_opening(
            ctx,
            Issuer::State,
            "Rapport annuel d'évaluation",
            self.date,
            &format!("Rapport annuel d'évaluation {}", self.year),
            Some(&establishment_line(&self.establishment)),
        );
        blocks.push(para(format!(
            "Évaluation conjointe de l'{} et de la {} au titre de l'année {}, sur la base du rapport d'autoévaluation de l'établissement et de l'échange annuel. Le détail des montants figure dans la grille d'évaluation\u{a0}; la somme des intéressements et sanctions est notifiée à l'établissement.",
            crate::letters::receipt::lowercase_first(&ctx.authority.name),
            crate::letters::receipt::lowercase_first(&self.am_body),
            self.year
        )));
        blocks.push(heading("Grille d'évaluation"));
        blocks.push(grid_table(&self.grid));
        blocks.push(para(format!(
            "Somme notifiée\u{a0}: {} (intéressements {}, sanctions {}).",
            format::signed_euros(self.grid.total()),
            format::euros(self.grid.total_incentives()),
            format::euros(self.grid.total_sanctions())
        )));
        for v in &self.volets {
            blocks.push(heading(capitalised(volet_title(v.volet))));
            if v.volet == Volet::Obligatoire {
                blocks.push(para(score_sentence(&self.score, &self.referentiel)));
            }
            if !v.objectives.is_empty() {
                blocks.push(Block::Table(Table::new(
                    vec![
                        Column::left("Obligation", 1.3),
                        Column::left("Objectif", 3.0),
                        Column::left("Cible", 1.3),
                        Column::left("Résultat", 1.3),
                        Column::left("Atteint", 0.8),
                    ],
                    v.objectives
                        .iter()
                        .map(|o| {
                            Row::body(vec![
                                if o.main {
                                    "de résultat"
                                } else {
                                    "complémentaire"
                                }
                                .into(),
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
                        .collect(),
                )));
            }
            if let Some(p) = v.action_plan_progress {
                blocks.push(para(format!(
                    "Plan d'actions réalisé à {}.",
                    format::percent_trimmed(p, 2)
                )));
            }
            blocks.push(labelled("Conséquence", v.consequence.clone()));
            if let Some(m) = &v.motivation {
                blocks.push(labelled("Motivation", quoted(m)));
            }
        }
        if !self.next_year.is_empty() {
            blocks.push(heading(format!("Perspectives pour {}", self.year + 1)));
            for n in &self.next_year {
                blocks.push(crate::common::bullet(n.clone()));
            }
        }
        blocks.push(Block::Space(12.0));
        blocks.push(Block::Keep(vec![Block::Columns(vec![
            (
                0.0,
                220.0,
                vec![
                    subheading(format!(
                        "Pour l'{}",
                        crate::letters::receipt::lowercase_first(&ctx.authority.name)
                    )),
                    Block::Space(30.0),
                ],
            ),
            (
                260.0,
                220.0,
                vec![
                    subheading(format!(
                        "Pour la {}",
                        crate::letters::receipt::lowercase_first(&self.am_body)
                    )),
                    Block::Space(30.0),
                ],
            ),
        ])]));
        let title = format!(
            "Rapport annuel d'évaluation {} – {}",
            self.year, self.establishment.name
        );
        crate::common::render(
            ctx,
            &title,
            "CAQES – rapport annuel d'évaluation",
            &title,
            &blocks,
        )
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
