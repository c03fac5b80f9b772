//! The établissement's dashboard (issue 12): its score by part against each part's
//! maximum, each indicator's value against its target over the campaigns of the region,
//! what is still missing before the deadline, the points that reaching each target would
//! bring (re-scored by the engine, `caqes_core::evaluation::what_if`), and for a
//! multi-site entity its sites side by side against the entity's targets. Readable by
//! whoever reads the dossier page (`dossier::load`: 404 outside the user's scope).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use caqes_core::Finess;
use caqes_core::evaluation::dashboard::by_part;
use caqes_core::evaluation::what_if::points_if_met;
use caqes_core::referentiel::{Applicability, Source};
use caqes_core::regimes::AnyReferentiel;
use caqes_core::scoring::{Line, Rule, TargetOrigin};
use caqes_core::value::Review;
use caqes_documents::dashboard::{indicator_chart, parts_chart};
use caqes_store::CampaignId;
use caqes_store::dossier::engagements::ActionStatus;
use rust_decimal::Decimal;

use crate::auth::CurrentUser;
use crate::dashboard::figures;
use crate::dossier::{Dossier, load, today};
use crate::request::error::AppResult;
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::ui::page::impl_page;
use crate::ui::{Layout, fr};

pub struct PartRow {
    pub number: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub share: String,
    pub bonus: String,
}

pub struct YearCell {
    pub value: String,
    pub target: String,
    /// ✓ met, ✗ not met, nothing when unknown.
    pub met: Option<bool>,
}

pub struct HistoryRow {
    pub code: String,
    pub label: String,
    pub cells: Vec<YearCell>,
}

pub struct WhatIfRow {
    pub code: String,
    pub label: String,
    pub points: String,
    pub max: String,
    pub target: String,
    /// « + 12,5 », or why no figure can be promised.
    pub gain: String,
    pub bonus: bool,
}

pub struct SiteCell {
    pub value: String,
    pub reaches: Option<bool>,
    pub rank: String,
}

pub struct SiteRow {
    pub code: String,
    pub target: String,
    pub entity: String,
    pub cells: Vec<SiteCell>,
}

pub struct EstablishmentView {
    pub campaign_id: String,
    pub campaign_title: String,
    pub finess: String,
    pub name: String,
    pub category: String,
    pub year: i16,
    pub evaluable: bool,
    pub score: String,
    pub bonus: String,
    pub total: String,
    pub deadline: String,
    pub days_left: i64,
    pub state: String,
    pub parts: Vec<PartRow>,
    pub parts_svg: String,
    pub years: Vec<i16>,
    pub history: Vec<HistoryRow>,
    pub charts: Vec<String>,
    pub missing_values: Vec<String>,
    pub missing_targets: Vec<String>,
    pub pending_nc: Vec<String>,
    pub open_actions: Vec<String>,
    pub what_if: Vec<WhatIfRow>,
    pub what_if_total: String,
    pub sites: Vec<(String, String)>,
    pub site_rows: Vec<SiteRow>,
}

#[derive(Template)]
#[template(path = "dashboard_establishment.html")]
pub struct EstablishmentPage {
    pub layout: Layout,
    pub view: EstablishmentView,
}

impl_page!(EstablishmentPage);

/// The line's value, if any, in the indicator's unit.
fn line_value(line: &Line, unit: &str) -> String {
    line.entry
        .as_ref()
        .map(|e| figures::entry(e, unit))
        .unwrap_or_default()
}

/// The dossier's lines in each campaign of its region up to its own (oldest first),
/// scored by the engine as each campaign's dossier page scores them; `current` are the
/// lines of the dossier's own campaign, already scored. Shared with the evaluation
/// report, which draws the same histories.
pub(crate) async fn lines_by_year(
    state: &AppState,
    d: &Dossier,
    current: &[Line],
) -> AppResult<Vec<(i16, BTreeMap<String, Line>)>> {
    let year = d.campaign.year;
    let mut campaigns = state.store.campaigns_in_region(&d.campaign.region).await?;
    campaigns.retain(|c| c.year <= year);
    campaigns.sort_by_key(|c| c.year);
    let mut by_year: Vec<(i16, BTreeMap<String, Line>)> = Vec::new();
    for c in &campaigns {
        let lines = if c.id == d.campaign.id {
            current.to_vec()
        } else {
            // A campaign on an objectives grid (second generation) has no points to draw.
            let AnyReferentiel::Points(r) = state.store.campaign_any_referentiel(c).await? else {
                continue;
            };
            // From the memo at the entity's revision read with the dossier: it covers
            // every year's inputs, so a campaign's scoring at that revision is as fresh.
            state
                .store
                .entity_scoring(c, &r, &d.entity, d.scoring.revision)
                .await?
                .evaluation
                .score
                .lines
                .clone()
        };
        by_year.push((
            c.year,
            lines.into_iter().map(|l| (l.code.clone(), l)).collect(),
        ));
    }
    Ok(by_year)
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<EstablishmentPage> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    let grid = &d.referentiel;
    let year = d.campaign.year;
    // Scored by `load` (the dossiers' memo), as the dossier page shows it.
    let evaluation = &d.scoring.evaluation;
    let score = &evaluation.score;
    let unit_of = |code: &str| {
        grid.indicator(code)
            .map(|i| i.unit.clone())
            .unwrap_or_default()
    };
    let label_of = |code: &str| {
        grid.indicator(code)
            .map(|i| i.label.clone())
            .unwrap_or_default()
    };

    // Score by part against the part's maximum.
    let parts_scores = by_part(grid, score);
    let parts: Vec<PartRow> = parts_scores
        .iter()
        .map(|p| PartRow {
            number: p.number.clone(),
            title: p.title.clone(),
            points: figures::points(p.points),
            max: figures::points(p.max_points),
            share: figures::share(p.points, p.max_points)
                .map(figures::percent)
                .unwrap_or_else(|| "—".to_owned()),
            bonus: if p.bonus_max.is_zero() {
                String::new()
            } else {
                format!(
                    "{} / {}",
                    figures::points(p.bonus_points),
                    figures::points(p.bonus_max)
                )
            },
        })
        .collect();
    let parts_svg = parts_chart("graphique-parties", year, &parts_scores).to_svg();

    // Each indicator over the campaigns of the region up to this one.
    let by_year = lines_by_year(&state, &d, &score.lines).await?;
    let years: Vec<i16> = by_year.iter().map(|(y, _)| *y).collect();
    let mut history = Vec::new();
    let mut charts = Vec::new();
    for ind in &grid.indicators {
        if ind.applicability(d.entity.category) != Applicability::Concerned {
            continue;
        }
        let cells: Vec<YearCell> = by_year
            .iter()
            .map(|(_, lines)| match lines.get(&ind.code) {
                Some(l) => YearCell {
                    value: line_value(l, &ind.unit),
                    target: l
                        .target
                        .map(|t| figures::in_unit(t, &ind.unit))
                        .unwrap_or_default(),
                    met: l.met,
                },
                None => YearCell {
                    value: String::new(),
                    target: String::new(),
                    met: None,
                },
            })
            .collect();
        let lines: Vec<Option<&Line>> = by_year
            .iter()
            .map(|(_, lines)| lines.get(&ind.code))
            .collect();
        if let Some(chart) = indicator_chart(ind, &years, &lines) {
            charts.push(chart.to_svg());
        }
        history.push(HistoryRow {
            code: ind.code.clone(),
            label: ind.label.clone(),
            cells,
        });
    }

    // What is still missing before the deadline.
    let mut missing_values = Vec::new();
    let mut missing_targets = Vec::new();
    let mut pending_nc = Vec::new();
    for l in &score.lines {
        let Some(ind) = grid.indicator(&l.code) else {
            continue;
        };
        // The line itself, then each class of an indicator computed per class (D5): a
        // class's value, target and NC are given class by class, as in the form. A line
        // NC as a whole (every class NC) is listed once, by its own declaration.
        let concerned = l.status == Applicability::Concerned;
        let x = &l.explanation;
        let mut items = vec![(
            l.code.clone(),
            ind.label.clone(),
            x.rule,
            x.target_origin,
            x.declaration.as_ref(),
        )];
        items.extend(x.classes.iter().filter(|_| concerned).map(|c| {
            (
                c.code.clone(),
                format!("{} — classe {}", ind.label, c.label),
                c.rule,
                c.target_origin,
                c.declaration.as_ref(),
            )
        }));
        for (code, label, rule, origin, declaration) in items {
            if concerned
                && rule == Rule::MissingValue
                && (ind.sources.is_empty() || ind.sources.contains(&Source::ES))
            {
                let sites = evaluation
                    .pooled
                    .lines
                    .get(&code)
                    .map(|p| &p.missing_sites)
                    .filter(|m| !m.is_empty());
                missing_values.push(match sites {
                    Some(m) => format!(
                        "{code} — {label} : valeur manquante pour {} site(s) ({})",
                        m.len(),
                        m.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => format!("{code} — {label} : valeur non saisie"),
                });
            }
            if concerned && origin == Some(TargetOrigin::Missing) {
                missing_targets.push(format!(
                    "{code} — {label} : aucune cible contractualisée ni cible par défaut du référentiel pour {year}"
                ));
            }
            if let Some(decl) = declaration
                && decl.review == Review::Proposed
            {
                pending_nc.push(format!(
                    "{code} : NC déclaré (motif « {} »), en attente de la revue de l'ARS",
                    decl.motive()
                ));
            }
        }
    }
    let open_actions = state
        .store
        .action_items(&d.entity.finess)
        .await?
        .into_iter()
        .filter(|a| matches!(a.status, ActionStatus::AFaire | ActionStatus::EnCours))
        .map(|a| {
            let due = a
                .due_on
                .map(|due| format!(", échéance {}", fr::date(due)))
                .unwrap_or_default();
            format!("{} ({}{due})", a.action, a.status.label())
        })
        .collect();

    // What reaching each target would bring, by the engine.
    let targets = state.store.targets_for(&d.entity.finess, year).await?;
    let gains = points_if_met(
        grid,
        d.entity.category,
        year,
        &evaluation.given,
        &targets,
        score,
    );
    let what_if_total: Decimal = gains.iter().filter_map(|g| g.gain).sum();
    let what_if = gains
        .iter()
        .map(|g| WhatIfRow {
            code: g.code.clone(),
            label: label_of(&g.code),
            points: figures::points(g.points),
            max: figures::points(g.max_points),
            target: match (g.target, g.assumed) {
                (Some(t), _) => figures::in_unit(t, &unit_of(&g.code)),
                (None, Some(v)) if v.number().is_none() => "Oui".to_owned(),
                (None, Some(_)) => "valeur fournie".to_owned(),
                (None, None) => "cible manquante".to_owned(),
            },
            gain: g.gain.map_or_else(
                || "non calculable : cible manquante".to_owned(),
                |p| format!("+ {}", figures::points(p)),
            ),
            bonus: g.bonus,
        })
        .collect();

    // A multi-site entity: its sites side by side against the entity's targets.
    let multi = d.sites.len() > 1;
    let sites: Vec<(String, String)> = if multi {
        d.sites
            .iter()
            .map(|s| (s.finess.to_string(), s.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let mut site_rows = Vec::new();
    if multi {
        for l in &score.lines {
            let Some(pooled) = evaluation.pooled.lines.get(&l.code) else {
                continue;
            };
            let unit = unit_of(&l.code);
            site_rows.push(SiteRow {
                code: l.code.clone(),
                target: l
                    .target
                    .map(|t| figures::in_unit(t, &unit))
                    .unwrap_or_else(|| "—".to_owned()),
                entity: line_value(l, &unit),
                cells: pooled
                    .sites
                    .iter()
                    .map(|s| SiteCell {
                        value: s
                            .entry
                            .as_ref()
                            .map(|e| figures::entry(e, &unit))
                            .unwrap_or_else(|| "manquante".to_owned()),
                        reaches: s.reaches_target,
                        rank: s.rank.map(|r| r.to_string()).unwrap_or_default(),
                    })
                    .collect(),
            });
        }
    }

    let view = EstablishmentView {
        campaign_id: d.campaign.id.to_string(),
        campaign_title: d.campaign.title.clone(),
        finess: d.entity.finess.to_string(),
        name: d.entity.name.clone(),
        category: d.entity.category.label().to_owned(),
        year,
        evaluable: score.evaluable,
        score: figures::points(score.score),
        bonus: figures::points(score.bonus),
        total: figures::points(score.total),
        deadline: fr::date(d.campaign.submission_deadline),
        days_left: today()
            .until(d.campaign.submission_deadline)
            .map_or(0, |s| i64::from(s.get_days())),
        state: d.submission.state.label().to_owned(),
        parts,
        parts_svg,
        years,
        history,
        charts,
        missing_values,
        missing_targets,
        pending_nc,
        open_actions,
        what_if,
        what_if_total: figures::points(what_if_total),
        sites,
        site_rows,
    };
    let layout = Layout::for_user(
        &format!("Tableau de bord — {}", d.entity.name),
        &session.user,
        &session.csrf,
    );
    Ok(EstablishmentPage { layout, view })
}
