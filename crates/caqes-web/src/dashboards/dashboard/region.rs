//! The region's dashboard of a campaign (issue 12; ARS, Assurance Maladie and OMEDIT of
//! the campaign's region, as the follow-up page): progress by workflow state against the
//! deadlines, score distribution by category, a ranking with filters (category,
//! department, score band; searched, sorted, paged and exported by `ui::list`), the
//! indicators most often missed, the additional volets' targeting, and the region's mean
//! and median score campaign after campaign. Every dossier is scored by the engine in one
//! batch (`Store::campaign_scores`: five queries for the whole region), once per revision
//! of the region's data: the next views, this campaign's and the previous ones', read
//! the scores from the store's memo.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caqes_core::Category;
use caqes_core::evaluation::dashboard::{BANDS, band_of, mean, median, most_missed};
use caqes_documents::bar_chart::{GaugeChart, GaugeRow};
use caqes_documents::dashboard::{distribution_chart, missed_chart};
use caqes_documents::line_chart::{LineChart, LineSeries};
use caqes_store::CampaignId;
use caqes_store::targeting::TargetingStatus;
use caqes_store::{Campaign, SubmissionState};
use rust_decimal::Decimal;

use crate::auth::CurrentUser;
use crate::dashboard::figures::{self, to_f64};
use crate::dossier::today;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Path, Query};
use crate::request::state::AppState;
use crate::ui::list::{self, Cell, Column, ListQuery, ListRow, Listing};
use crate::ui::page::impl_page;
use crate::ui::{Layout, fr};

#[derive(serde::Deserialize)]
pub struct RegionQuery {
    #[serde(default)]
    categorie: String,
    #[serde(default)]
    departement: String,
    #[serde(default)]
    tranche: String,
    #[serde(flatten)]
    list: ListQuery,
}

pub struct StateRow {
    pub label: &'static str,
    pub count: usize,
    pub share: String,
}

pub struct DistributionRow {
    pub category: String,
    pub counts: Vec<usize>,
    pub not_evaluable: usize,
    pub total: usize,
}

pub struct MissedRow {
    pub code: String,
    pub label: String,
    pub missed: usize,
    pub concerned: usize,
    pub share: String,
}

pub struct VoletRow {
    pub volet: &'static str,
    pub confirmed: bool,
    pub engine_targeted: usize,
    pub kept: usize,
    pub excluded: usize,
    pub examined: usize,
}

pub struct YearRow {
    pub year: i16,
    pub count: usize,
    pub mean: String,
    pub median: String,
}

/// One row of the ranking.
pub struct RankRow {
    pub rank: usize,
    pub name: String,
    pub finess: String,
    pub category: String,
    pub department: String,
    pub score: String,
    pub score_value: Option<Decimal>,
    pub band: &'static str,
    pub state: &'static str,
    pub link: String,
}

const RANK_COLUMNS: [Column; 7] = [
    Column {
        key: "rang",
        label: "Rang",
    },
    Column {
        key: "etablissement",
        label: "Établissement",
    },
    Column {
        key: "finess",
        label: "FINESS juridique",
    },
    Column {
        key: "categorie",
        label: "Catégorie",
    },
    Column {
        key: "departement",
        label: "Département",
    },
    Column {
        key: "score",
        label: "Score provisoire (total)",
    },
    Column {
        key: "etat",
        label: "État",
    },
];

impl ListRow for RankRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::number(Some(Decimal::from(self.rank)), self.rank.to_string()),
            Cell::text(&self.name),
            Cell::text(&self.finess),
            Cell::text(&self.category),
            Cell::text(&self.department),
            Cell::number(self.score_value, &self.score),
            Cell::text(self.state),
        ]
    }
}

pub struct RegionView {
    pub id: String,
    pub title: String,
    pub year: i16,
    pub total: usize,
    pub deadline: String,
    pub days_left: i64,
    pub evaluation_deadline: String,
    pub evaluation_days_left: i64,
    /// Dossiers still editable (not submitted) once the submission deadline is past.
    pub late: usize,
    pub states: Vec<StateRow>,
    pub states_svg: String,
    pub bands: Vec<&'static str>,
    pub distribution: Vec<DistributionRow>,
    pub distribution_svg: String,
    pub missed: Vec<MissedRow>,
    pub missed_svg: String,
    pub volets: Vec<VoletRow>,
    pub years: Vec<YearRow>,
    pub years_svg: String,
    pub categories: Vec<(String, String)>,
    pub departments: Vec<String>,
    pub band_choices: Vec<(&'static str, &'static str)>,
    pub filter_category: String,
    pub filter_department: String,
    pub filter_band: String,
}

#[derive(Template)]
#[template(path = "dashboard_region.html")]
pub struct RegionPage {
    pub layout: Layout,
    pub view: RegionView,
    pub list: Listing<RankRow>,
}

impl_page!(RegionPage);

/// Days from today to `date` (negative once past).
fn days_until(date: jiff::civil::Date) -> i64 {
    today().until(date).map_or(0, |s| i64::from(s.get_days()))
}

/// The dossiers of `campaign` and the provisional scores of their establishments (from the
/// store's memo: computed once per revision of the region's data), with the grid.
async fn campaign_scores(
    state: &AppState,
    campaign: &Campaign,
) -> AppResult<(
    Vec<caqes_store::SubmissionRow>,
    std::sync::Arc<caqes_store::RegionScores>,
    caqes_core::referentiel::Referentiel,
)> {
    let grid = state.store.campaign_referentiel(campaign).await?;
    // Without the count of values per dossier in SQL: counted in the rows scored.
    let dossiers = state.store.campaign_dossiers(campaign).await?;
    let entities: Vec<caqes_store::LegalEntity> = dossiers.iter().map(|(_, e)| e.clone()).collect();
    let scores = state
        .store
        .campaign_scores(campaign, &grid, &entities)
        .await?;
    let rows = dossiers
        .into_iter()
        .map(|(submission, entity)| caqes_store::SubmissionRow {
            values_entered: i64::try_from(scores.values_entered(&entity.finess))
                .unwrap_or(i64::MAX),
            submission,
            entity,
        })
        .collect();
    Ok((rows, scores, grid))
}

/// The score of every row, in the rows' order.
fn scores_of<'a>(
    rows: &[caqes_store::SubmissionRow],
    scores: &'a caqes_store::RegionScores,
) -> AppResult<Vec<&'a caqes_core::scoring::Score>> {
    rows.iter()
        .map(|r| {
            scores.score(&r.entity).ok_or_else(|| {
                AppError::Internal(format!("score de {} introuvable", r.entity.finess))
            })
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Query(q): Query<RegionQuery>,
) -> AppResult<Response> {
    let campaign = state
        .store
        .campaign(&campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !s.user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    let (rows, region_scores, grid) = campaign_scores(&state, &campaign).await?;
    let evaluations = scores_of(&rows, &region_scores)?;
    let totals: Vec<Option<Decimal>> = evaluations.iter().map(|s| s.total_value()).collect();
    let total = rows.len();
    let count = Decimal::from(total.max(1));

    // Progress by workflow state against the deadlines.
    let days_left = days_until(campaign.submission_deadline);
    let states: Vec<StateRow> = SubmissionState::ALL
        .into_iter()
        .map(|st| {
            let n = rows.iter().filter(|r| r.submission.state == st).count();
            StateRow {
                label: st.label(),
                count: n,
                share: figures::percent(Decimal::from(n) * Decimal::ONE_HUNDRED / count),
            }
        })
        .collect();
    let late = if days_left < 0 {
        rows.iter()
            .filter(|r| r.submission.state.is_editable())
            .count()
    } else {
        0
    };
    let states_svg = GaugeChart {
        id: "graphique-etats".into(),
        title: format!("Dossiers par état, sur les {total} dossiers de la campagne"),
        rows: states
            .iter()
            .filter(|r| r.count > 0)
            .map(|r| GaugeRow {
                label: r.label.to_owned(),
                value: r.count as f64,
                max: total as f64,
                text: format!("{} / {total}", r.count),
            })
            .collect(),
    }
    .to_svg();

    // Score distribution by category.
    let mut by_category: BTreeMap<Category, DistributionRow> = BTreeMap::new();
    for (r, t) in rows.iter().zip(&totals) {
        let row = by_category
            .entry(r.entity.category)
            .or_insert_with(|| DistributionRow {
                category: r.entity.category.label().to_owned(),
                counts: vec![0; BANDS.len()],
                not_evaluable: 0,
                total: 0,
            });
        row.total += 1;
        match t {
            Some(t) => {
                if let Some(c) = row.counts.get_mut(band_of(*t)) {
                    *c += 1;
                }
            }
            None => row.not_evaluable += 1,
        }
    }
    let distribution: Vec<DistributionRow> = Category::EVERY
        .into_iter()
        .filter_map(|c| by_category.remove(&c))
        .collect();
    let distribution_svg = distribution_chart(
        "graphique-distribution",
        "Répartition des scores provisoires par tranche et par catégorie",
        "Score provisoire (total avec bonus)",
        &BANDS.iter().map(|b| b.2.to_owned()).collect::<Vec<_>>(),
        &distribution
            .iter()
            .map(|d| {
                (
                    d.category.clone(),
                    d.counts
                        .iter()
                        .map(|c| u32::try_from(*c).unwrap_or(u32::MAX))
                        .collect(),
                )
            })
            .collect::<Vec<_>>(),
    )
    .to_svg();

    // The indicators most often missed.
    let missed: Vec<MissedRow> = most_missed(&grid, evaluations.iter().copied())
        .into_iter()
        .take(10)
        .map(|m| MissedRow {
            label: grid
                .indicator(&m.code)
                .map(|i| i.label.clone())
                .unwrap_or_default(),
            share: figures::share(Decimal::from(m.missed), Decimal::from(m.concerned))
                .map(figures::percent)
                .unwrap_or_default(),
            code: m.code,
            missed: m.missed,
            concerned: m.concerned,
        })
        .collect();
    let missed_svg = missed_chart(
        "graphique-manques",
        "Indicateurs les plus souvent manqués : établissements qui le manquent, sur les établissements concernés",
        &missed
            .iter()
            .map(|m| {
                (
                    m.code.clone(),
                    u32::try_from(m.missed).unwrap_or(u32::MAX),
                    u32::try_from(m.concerned).unwrap_or(u32::MAX),
                )
            })
            .collect::<Vec<_>>(),
    )
    .to_svg();

    // The additional volets' targeting.
    let mut volets = Vec::new();
    for (volet, code) in [
        ("Transports", caqes_store::targeting::TRANSPORTS),
        ("Qualité", caqes_store::targeting::qualite::QUALITE),
        ("Pertinence", caqes_store::targeting::pertinence::PERTINENCE),
    ] {
        let confirmed = state.store.confirmed_targeting(&campaign.id, code).await?;
        volets.push(VoletRow {
            volet,
            confirmed: !confirmed.is_empty(),
            engine_targeted: confirmed.iter().filter(|t| t.engine_targeted).count(),
            kept: confirmed
                .iter()
                .filter(|t| t.status == TargetingStatus::Cible)
                .count(),
            excluded: confirmed
                .iter()
                .filter(|t| t.status == TargetingStatus::Exclu)
                .count(),
            examined: confirmed.len(),
        });
    }

    // Year on year: the mean and median of every campaign of the region.
    let mut campaigns = state.store.campaigns_in_region(&campaign.region).await?;
    campaigns.retain(|c| c.year <= campaign.year);
    campaigns.sort_by_key(|c| c.year);
    let mut years = Vec::new();
    let mut means = Vec::new();
    let mut medians = Vec::new();
    for c in &campaigns {
        let scored: Vec<Decimal> = if c.id == campaign.id {
            totals.iter().flatten().copied().collect()
        } else {
            // Only the scores: the entities of that campaign, not its dossiers' details.
            let grid = state.store.campaign_referentiel(c).await?;
            let entities = state.store.campaign_entities(c).await?;
            let scores = state.store.campaign_scores(c, &grid, &entities).await?;
            entities
                .iter()
                .map(|e| {
                    scores.score(e).ok_or_else(|| {
                        AppError::Internal(format!("score de {} introuvable", e.finess))
                    })
                })
                .collect::<AppResult<Vec<_>>>()?
                .iter()
                .filter_map(|s| s.total_value())
                .collect()
        };
        let (m, md) = (mean(&scored), median(&scored));
        means.push(m.map(to_f64));
        medians.push(md.map(to_f64));
        years.push(YearRow {
            year: c.year,
            count: scored.len(),
            mean: m.map(figures::points).unwrap_or_else(|| "—".to_owned()),
            median: md.map(figures::points).unwrap_or_else(|| "—".to_owned()),
        });
    }
    let years_svg = LineChart {
        id: "graphique-annees".into(),
        title: "Score provisoire moyen et médian de la région par campagne".into(),
        y_label: "Score".into(),
        x: years.iter().map(|y| y.year.to_string()).collect(),
        series: vec![
            LineSeries {
                label: "Moyenne".into(),
                values: means,
                dashed: false,
            },
            LineSeries {
                label: "Médiane".into(),
                values: medians,
                dashed: true,
            },
        ],
        digits: 2,
        small: false,
    }
    .to_svg();

    // The ranking: best total first, then filtered.
    let mut ranked: Vec<(usize, Option<Decimal>)> = totals.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let filter_category = Category::EVERY
        .into_iter()
        .find(|c| c.code() == q.categorie.trim());
    let filter_department = q.departement.trim().to_owned();
    let filter_band = BANDS.iter().position(|b| b.1 == q.tranche.trim());
    let mut rank_rows = Vec::new();
    let mut rank = 0;
    let mut previous: Option<Option<Decimal>> = None;
    for (position, (i, t)) in ranked.iter().enumerate() {
        // Equal totals share a rank (1, 2, 2, 4).
        if previous != Some(*t) {
            rank = position + 1;
            previous = Some(*t);
        }
        let Some(r) = rows.get(*i) else { continue };
        if filter_category.is_some_and(|c| c != r.entity.category)
            || (!filter_department.is_empty() && r.entity.finess.department() != filter_department)
            || filter_band.is_some_and(|b| t.map(band_of) != Some(b))
        {
            continue;
        }
        rank_rows.push(RankRow {
            rank,
            name: r.entity.name.clone(),
            finess: r.entity.finess.to_string(),
            category: r.entity.category.label().to_owned(),
            department: r.entity.finess.department().to_owned(),
            score: t.map_or_else(|| "non évaluable".to_owned(), figures::points),
            score_value: *t,
            band: t.map(|t| BANDS[band_of(t)].2).unwrap_or("non évaluable"),
            state: r.submission.state.label(),
            link: format!(
                "/campagnes/{}/dossiers/{}/tableau-de-bord",
                campaign.id, r.entity.finess
            ),
        });
    }
    let category_code = filter_category.map(|c| c.code()).unwrap_or_default();
    let band_code = filter_band.map(|b| BANDS[b].1).unwrap_or_default();
    let list = list::apply(
        rank_rows,
        &RANK_COLUMNS,
        &q.list,
        &format!("/campagnes/{}/tableau-de-bord", campaign.id),
        &[
            ("categorie", category_code),
            ("departement", filter_department.as_str()),
            ("tranche", band_code),
        ],
        None,
    );
    if q.list.wants_csv() {
        return Ok(list::csv_response(
            &format!("classement-{}.csv", campaign.id),
            &RANK_COLUMNS,
            &list,
        ));
    }
    let mut departments: Vec<String> = rows
        .iter()
        .map(|r| r.entity.finess.department().to_owned())
        .collect();
    departments.sort();
    departments.dedup();
    let view = RegionView {
        id: campaign.id.to_string(),
        title: campaign.title.clone(),
        year: campaign.year,
        total,
        deadline: fr::date(campaign.submission_deadline),
        days_left,
        evaluation_deadline: fr::date(campaign.evaluation_deadline),
        evaluation_days_left: days_until(campaign.evaluation_deadline),
        late,
        states,
        states_svg,
        bands: BANDS.iter().map(|b| b.2).collect(),
        distribution,
        distribution_svg,
        missed,
        missed_svg,
        volets,
        years,
        years_svg,
        categories: Category::EVERY
            .into_iter()
            .map(|c| (c.code().to_owned(), c.label().to_owned()))
            .collect(),
        departments,
        band_choices: BANDS.iter().map(|b| (b.1, b.2)).collect(),
        filter_category: category_code.to_owned(),
        filter_department,
        filter_band: band_code.to_owned(),
    };
    let layout = Layout::for_user(
        &format!("Tableau de bord — {}", campaign.title),
        &s.user,
        &s.csrf,
    );
    Ok(RegionPage { layout, view, list }.into_response())
}
