//! Targeting of the pertinence volet for a campaign
//! (`/campagnes/{campaign}/ciblage/pertinence`): the ARS or the AM imports the
//! per-theme activity data of the region's entities (pasted CSV, preview, then
//! all-or-nothing write), everyone in the region sees the engine's funnel test per
//! entity and theme, the ARS confirms the list (excluding needs a motivation); the
//! AM and the OMEDIT read it; an établissement sees only its own line once confirmed.
//!
//! Instruction DSS/A1/CNAMTS/2017/234: « l'ARS et l'assurance maladie identifient
//! les établissements dont l'activité est atypique » from « taux de recours, nombre
//! de séjours »: both hold such data, so both may import. The limits are never
//! computed here: the verdict comes from the store, which runs
//! `caqes_core::volets::pertinence::{proportion_test, ratio_test}`.

use std::collections::BTreeMap;
use std::future::Future;

use askama::Template;
use caqes_core::Finess;
use caqes_core::volets::pertinence::{
    Direction, FunnelTest, PertinenceParameters, proportion_test, ratio_test,
};
use caqes_documents::charts::{Curve, FunnelChart, Point};
use caqes_store::targeting::pertinence::{
    Measure, PERTINENCE, PertinenceData, PertinenceVerdict, ThemeTest, verdict_label,
};
use caqes_store::{Campaign, Role, StoreError, User};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::auth::Session;
use crate::dossier::fr;
use crate::request::error::AppResult;
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;
use crate::volets::targeting::screen::{
    ConfirmedList, Line, Submitted, TargetingHead, TargetingScreen,
};
use crate::volets::targeting::{Read, RegionImport};
use caqes_data::region_csv;

pub use caqes_data::region_csv::pertinence::{PERTINENCE_COLUMNS, PERTINENCE_FILE};

/// A float of the engine's report, in French (comma).
/// A statistic (z-score, expected count) in French: decimal comma and the minus sign
/// « − » (U+2212), as everywhere on the platform.
fn num(v: f64, digits: usize) -> String {
    let text = format!("{:.digits$}", v.abs()).replace('.', ",");
    // -0,00 is 0,00: no sign for a value that rounds to zero.
    if v < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("\u{2212}{text}")
    } else {
        text
    }
}

/// A p-value with four decimals; below what four decimals can show, « < 0,0001 » (a
/// p-value is never 0: « p = 0,0000 » would say the test is certain).
fn p_value(p: f64) -> String {
    if p < 0.000_05 {
        "< 0,0001".to_owned()
    } else {
        format!("= {}", num(p, 4))
    }
}

fn measure_text(m: &Measure) -> String {
    match m {
        Measure::Proportion {
            observed,
            population,
            reference,
        } => format!(
            "{observed} sur {population} (taux de référence {} / {})",
            fr(reference.numerator()),
            fr(reference.denominator())
        ),
        Measure::Ratio { observed, expected } => {
            format!("{observed} pour {} attendus", fr(*expected))
        }
    }
}

// ---------------------------------------------------------------------------
// The pertinence targeting screen.

pub struct ThemeLine {
    pub theme: String,
    pub data: String,
    pub observed: String,
    pub expected: String,
    pub low: String,
    pub high: String,
    pub alert_low: String,
    pub alert_high: String,
    /// Crosses the alert limit (95 %) but not the targeting one: to watch.
    pub alert: bool,
    pub z: String,
    pub p: String,
    pub atypical: bool,
    pub verdict: String,
}

/// The pertinence cells of a line: the engine's test of each theme.
pub struct PertinenceCells {
    pub themes: Vec<ThemeLine>,
}

#[derive(Template)]
#[template(path = "pertinence_targeting.html")]
pub struct PertinencePage {
    pub layout: Layout,
    pub head: TargetingHead,
    pub lines: Vec<Line<PertinenceCells>>,
    pub level: String,
    pub alert_level: String,
    /// One funnel plot per theme (SVG), for the ARS and the AM.
    pub charts: Vec<ThemeChart>,
}

impl_page!(PertinencePage);

/// The funnel plot of one theme.
pub struct ThemeChart {
    pub theme: String,
    pub svg: String,
}

/// One funnel plot per theme whose entities share one test (a ratio, or a
/// proportion against the same reference): each entity's rate against its size,
/// with the alert (dashed) and targeting limits computed by the engine's exact
/// test along the size axis. A theme mixing references gets no chart (the table
/// still gives every figure).
fn funnel_charts(verdicts: &[PertinenceVerdict], params: &PertinenceParameters) -> Vec<ThemeChart> {
    funnel_plots(verdicts, params)
        .into_iter()
        .map(|(theme, chart)| ThemeChart {
            theme,
            svg: chart.to_svg(),
        })
        .collect()
}

/// The funnel plots of [`funnel_charts`], as charts (the IRAPS synthesis draws them in
/// its PDF), with the theme of each.
pub(crate) fn funnel_plots(
    verdicts: &[PertinenceVerdict],
    params: &PertinenceParameters,
) -> Vec<(String, FunnelChart)> {
    let mut themes: BTreeMap<&str, Vec<(&str, &ThemeTest)>> = BTreeMap::new();
    for v in verdicts {
        for t in &v.themes {
            themes
                .entry(t.data.theme.as_str())
                .or_default()
                .push((v.entity.name.as_str(), t));
        }
    }
    let mut out = Vec::new();
    for (theme, tests) in themes {
        let Some((_, first)) = tests.first() else {
            continue;
        };
        let same = tests
            .iter()
            .all(|(_, t)| match (&t.data.measure, &first.data.measure) {
                (Measure::Ratio { .. }, Measure::Ratio { .. }) => true,
                (
                    Measure::Proportion { reference: a, .. },
                    Measure::Proportion { reference: b, .. },
                ) => a == b,
                _ => false,
            });
        if !same {
            continue;
        }
        let x_max = tests
            .iter()
            .map(|(_, t)| t.test.denominateur)
            .fold(0.0_f64, f64::max)
            * 1.2;
        // Limits along the size axis: the engine's test at 60 sizes.
        let limits: Vec<(f64, FunnelTest)> = (1..=60)
            .filter_map(|i| {
                let x = x_max * f64::from(i) / 60.0;
                let test = match &first.data.measure {
                    Measure::Ratio { .. } => {
                        ratio_test(params, 0, Decimal::from_f64_retain(x)?).ok()?
                    }
                    Measure::Proportion { reference, .. } => {
                        let n = x.round();
                        if n < 1.0 {
                            return None;
                        }
                        proportion_test(params, 0, n as u64, reference).ok()?
                    }
                };
                Some((test.denominateur, test))
            })
            .collect();
        let curve =
            |label: String, dashed: bool, pick: &dyn Fn(&FunnelTest) -> Option<f64>| Curve {
                label,
                dashed,
                points: limits
                    .iter()
                    .filter_map(|(x, t)| pick(t).map(|y| (*x, y)))
                    .collect(),
            };
        let alert = num(params.niveau_alerte_pct.to_f64().unwrap_or(95.0), 1);
        let target = num(params.niveau_ciblage_pct.to_f64().unwrap_or(99.8), 1);
        let (x_label, y_label) = match first.data.measure {
            Measure::Ratio { .. } => ("Nombre attendu", "Observé / attendu"),
            Measure::Proportion { .. } => ("Population", "Taux observé"),
        };
        let chart = FunnelChart {
            id: format!("entonnoir-svg-{}", out.len() + 1),
            title: format!("Entonnoir — {theme}"),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            reference: first.test.taux_reference,
            curves: vec![
                curve(format!("Limite haute d'alerte ({alert} %)"), true, &|t| {
                    t.alerte.taux_limite_haute
                }),
                curve(format!("Limite basse d'alerte ({alert} %)"), true, &|t| {
                    t.alerte.taux_limite_basse
                }),
                curve(
                    format!("Limite haute de ciblage ({target} %)"),
                    false,
                    &|t| t.ciblage.taux_limite_haute,
                ),
                curve(
                    format!("Limite basse de ciblage ({target} %)"),
                    false,
                    &|t| t.ciblage.taux_limite_basse,
                ),
            ],
            points: tests
                .iter()
                .map(|(name, t)| Point {
                    label: (*name).to_owned(),
                    x: t.test.denominateur,
                    y: t.test.taux_observe,
                    flagged: t.test.cible,
                })
                .collect(),
        };
        out.push((theme.to_owned(), chart));
    }
    out
}

/// The line of one theme's test.
fn theme_line(t: &ThemeTest) -> ThemeLine {
    let limit = |v: Option<u64>| v.map_or_else(|| "aucune".to_owned(), |n| n.to_string());
    ThemeLine {
        theme: t.data.theme.clone(),
        data: measure_text(&t.data.measure),
        observed: t.test.observe.to_string(),
        expected: num(t.test.attendu, 2),
        low: limit(t.test.ciblage.limite_basse),
        high: limit(t.test.ciblage.limite_haute),
        alert_low: limit(t.test.alerte.limite_basse),
        alert_high: limit(t.test.alerte.limite_haute),
        alert: !t.test.cible && t.test.alerte.franchie != Direction::DansLesLimites,
        z: num(t.test.z_score, 2),
        p: p_value(t.test.p_valeur_bilaterale),
        atypical: t.test.cible,
        verdict: verdict_label(&t.test).to_owned(),
    }
}

/// The pertinence targeting screen (`/campagnes/{campaign}/ciblage/pertinence`).
pub struct PertinenceScreen;

impl TargetingScreen for PertinenceScreen {
    const PATH: &'static str = "/pertinence";
    const DATA: &'static str = "de données de pertinence";
    type Verdict = PertinenceVerdict;
    type Choice = ();
    type Page = PertinencePage;

    fn verdicts<'a>(
        state: &'a AppState,
        campaign: &'a Campaign,
    ) -> impl Future<Output = Result<Vec<PertinenceVerdict>, StoreError>> + Send + 'a {
        state.store.pertinence_verdicts(campaign)
    }
    async fn record(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        _: &Submitted<()>,
        exclusions: &BTreeMap<Finess, String>,
    ) -> Result<(), StoreError> {
        state
            .store
            .confirm_pertinence_targeting(user, campaign, exclusions)
            .await
            .map(drop)
    }
    async fn page(
        state: &AppState,
        s: &Session,
        campaign: &Campaign,
        submitted: Option<&Submitted<()>>,
        errors: Vec<String>,
    ) -> AppResult<PertinencePage> {
        let verdicts = state.store.pertinence_verdicts(campaign).await?;
        let params = state
            .store
            .referentiel(&campaign.referentiel_id)
            .await?
            .map(|r| r.parameters.pertinence)
            .unwrap_or_default();
        let list = ConfirmedList::load(state, &s.user, campaign, PERTINENCE).await?;
        let mut level = String::new();
        let mut alert_level = String::new();
        let lines = list.lines(&verdicts, submitted, |v, _, _| PertinenceCells {
            themes: v
                .themes
                .iter()
                .map(|t| {
                    level = num(t.test.ciblage.niveau_pct, 1);
                    alert_level = num(t.test.alerte.niveau_pct, 1);
                    theme_line(t)
                })
                .collect(),
        });
        Ok(PertinencePage {
            layout: Layout::for_user(
                &format!("Ciblage du volet pertinence — {}", campaign.title),
                &s.user,
                &s.csrf,
            ),
            lines,
            level,
            alert_level,
            charts: if list.own_only {
                Vec::new()
            } else {
                funnel_charts(&verdicts, &params)
            },
            head: list.head::<PertinenceImport>(s, campaign, errors),
        })
    }
    fn head(page: &mut PertinencePage) -> &mut TargetingHead {
        &mut page.head
    }
}

// ---------------------------------------------------------------------------
// The pertinence data import (ARS or AM).

/// The pertinence data file, imported by the ARS or the AM.
pub(crate) struct PertinenceImport;

impl RegionImport for PertinenceImport {
    type Row = PertinenceData;
    const FILE: &'static str = PERTINENCE_FILE;
    const FIELD: &'static str = "pertinence";
    const IMPORTERS: &'static [Role] = &[Role::Ars, Role::AssuranceMaladie];
    const PREVIEW_HEADERS: &'static [&'static str] =
        &["Ligne", "FINESS juridique", "Année", "Thème", "Données"];
    const SCREEN: &'static str = "/ciblage/pertinence";
    const SCREEN_TITLE: &'static str = "Ciblage du volet pertinence";
    const HEADING: &'static str = "Importer les données de pertinence";
    const INTRO: &'static str = "Coller le contenu de « pertinence.csv » (séparateur « ; ») : \
                    finess;annee;theme;observe;population;ref_numerateur;ref_denominateur;attendu. \
                    Une ligne par entité juridique de la région et par thème (acte, priorité du PAPRAPS), pour \
                    l'année de la campagne. Soit une proportion : observe événements sur une population, comparés \
                    au taux de référence ref_numerateur / ref_denominateur (test binomial exact) ; soit un ratio : \
                    observe comparé au nombre attendu (attendu, standardisation indirecte ; test de Poisson exact). \
                    Virgule ou point décimal. Une ligne remplace les données déjà importées de la même entité pour \
                    le même thème et la même année. Rien n'est enregistré avant la confirmation.";
    const FIELD_LABEL: &'static str = "Données de pertinence (pertinence.csv)";
    const HINT: &'static str = "Exemple : 310000019;2018;Cholécystectomie;22;;;;10";

    fn done(rows: usize) -> String {
        format!("Import enregistré : {rows} ligne(s) de données de pertinence.")
    }

    fn summary(rows: usize, year: i16) -> String {
        format!("{rows} ligne(s) de données de pertinence seront enregistrées pour l'année {year}.")
    }

    fn preview_cells(r: &PertinenceData) -> Vec<String> {
        vec![
            r.entity.to_string(),
            r.year.to_string(),
            r.theme.clone(),
            measure_text(&r.measure),
        ]
    }

    /// Reads the pasted file: header with every column of [`PERTINENCE_COLUMNS`], one
    /// line per legal entity and theme, the campaign year; either `population` with
    /// the reference rate (proportion) or `attendu` (ratio). Every error is reported,
    /// with its line and column, including the engine's own refusals.
    async fn read(
        state: &AppState,
        campaign: &Campaign,
        text: &str,
    ) -> AppResult<Read<PertinenceData>> {
        let entities =
            crate::volets::targeting::csv::legal_entities(&state.store, &campaign.region).await?;
        Ok(region_csv::pertinence::read(text, &entities, campaign.year))
    }

    async fn write(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        rows: &[PertinenceData],
    ) -> Result<usize, StoreError> {
        state
            .store
            .import_pertinence_data(user, &campaign.region, PERTINENCE_FILE, rows)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::{num, p_value};

    #[test]
    fn p_values_below_four_decimals_are_not_zero() {
        assert_eq!(p_value(0.0), "< 0,0001");
        assert_eq!(p_value(0.000_04), "< 0,0001");
        assert_eq!(p_value(0.000_05), "= 0,0001");
        assert_eq!(p_value(0.0312), "= 0,0312");
        assert_eq!(p_value(1.0), "= 1,0000");
    }

    #[test]
    fn statistics_use_the_french_minus_sign() {
        assert_eq!(num(-2.346, 2), "\u{2212}2,35");
        assert_eq!(num(-0.001, 2), "0,00");
        assert_eq!(num(1.5, 1), "1,5");
    }
}
