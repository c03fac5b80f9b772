//! Targeting of the quality volet for a campaign
//! (`/campagnes/{campaign}/ciblage/qualite`): the ARS imports the three
//! indicators of its region (pasted CSV, preview, then all-or-nothing write),
//! sees the engine's verdict per risk and confirms the targeted list (it must
//! choose when D3.1 is not filled in; excluding needs a motivation); the AM and
//! the OMEDIT read it; an établissement sees only its own line once confirmed.
//!
//! The ARS imports because it holds the indicators (instruction
//! DSS/A1/CNAMTS/2017/234, annex 6: QUALHAS regional dashboard for ICALIN2 and
//! DOC, oSIS regional data for D3.1). The thresholds are never written here: the
//! verdict comes from the store, which applies `caqes_core::volets::quality::target`.

use std::collections::BTreeMap;
use std::future::Future;

use askama::Template;
use caqes_core::Finess;
use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Result, RiskStatus};
use caqes_store::targeting::ConfirmedTargeting;
use caqes_store::targeting::qualite::{QUALITE, QualityIndicators, QualityVerdict};
use caqes_store::{Campaign, Role, StoreError, User};

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

pub use caqes_data::region_csv::quality::{QUALITY_COLUMNS, QUALITY_FILE};

fn icalin2_text(r: Icalin2Result) -> String {
    match r {
        Icalin2Result::NonSoumis => "Non soumis".to_owned(),
        Icalin2Result::NonRepondant => "Non-répondant".to_owned(),
        Icalin2Result::Classe(c) => format!("Classe {c:?}"),
    }
}

fn d31_text(r: D31Result) -> String {
    match r {
        D31Result::NonSoumis => "Non soumis".to_owned(),
        D31Result::NonRenseigne => "Non renseigné".to_owned(),
        D31Result::Taux(rate) => format!(
            "{}\u{202f}% ({} / {})",
            fr(rate.percent()),
            fr(rate.numerator()),
            fr(rate.denominator())
        ),
    }
}

fn doc_text(r: DocResult) -> String {
    match r {
        DocResult::NonSoumis => "Non soumis".to_owned(),
        DocResult::NonRepondant => "Non-répondant".to_owned(),
        DocResult::Resultat {
            taux_pct,
            ic_borne_basse_pct,
            ic_borne_haute_pct,
        } => format!(
            "{}\u{202f}% (IC {} – {}\u{202f}%)",
            fr(taux_pct),
            fr(ic_borne_basse_pct),
            fr(ic_borne_haute_pct)
        ),
    }
}

// ---------------------------------------------------------------------------
// The quality targeting screen.

pub struct RiskLine {
    pub label: String,
    pub targeted: bool,
    pub status: String,
    pub motive: String,
}

/// The quality cells of a line: the three indicators, the engine's verdict per
/// risk and the ARS's choice when D3.1 is not filled in.
pub struct QualityCells {
    pub icalin2: String,
    pub d31: String,
    pub doc: String,
    pub risks: Vec<RiskLine>,
    /// D3.1 not filled in: the ARS must choose.
    pub needs_choice: bool,
    /// The ARS's choice on D3.1: "retenir", "ne_pas_retenir" or empty.
    pub choice: String,
    /// May be excluded (targeted, or may become so by the ARS's choice).
    pub candidate: bool,
}

#[derive(Template)]
#[template(path = "quality_targeting.html")]
pub struct QualityPage {
    pub layout: Layout,
    pub head: TargetingHead,
    pub lines: Vec<Line<QualityCells>>,
}

impl_page!(QualityPage);

/// What the ARS chose on the medication risk when D3.1 is not filled in: the field as
/// submitted (« retenir », « ne_pas_retenir » or empty, shown again) and, when the
/// verdict needs it and the answer is valid, whether to keep the risk.
type D31Choice = (String, Option<bool>);

/// The quality cells of the line of `v`, with the ARS's D3.1 choice as just submitted,
/// else as confirmed.
fn quality_cells(
    v: &QualityVerdict,
    stored: Option<&ConfirmedTargeting>,
    submitted: Option<&D31Choice>,
) -> QualityCells {
    let needs_choice = v.targeting.needs_ars_decision();
    let choice = match (submitted, stored) {
        (Some((choice, _)), _) => choice.clone(),
        // The stored choice is read back from the reason recorded at confirmation.
        (None, Some(c)) if needs_choice => {
            if c.engine_reason.contains("risque médicamenteux retenu") {
                "retenir".to_owned()
            } else {
                "ne_pas_retenir".to_owned()
            }
        }
        (None, _) => String::new(),
    };
    QualityCells {
        icalin2: icalin2_text(v.indicators.icalin2),
        d31: d31_text(v.indicators.d31),
        doc: doc_text(v.indicators.doc),
        risks: v
            .targeting
            .risques
            .iter()
            .map(|r| RiskLine {
                label: r.risque.label().to_owned(),
                targeted: r.statut == RiskStatus::Cible,
                status: match r.statut {
                    RiskStatus::Cible => "ciblé",
                    RiskStatus::NonCible => "non ciblé",
                    RiskStatus::NonSoumis => "non soumis",
                    RiskStatus::AppreciationArs => "à l'appréciation de l'ARS",
                }
                .to_owned(),
                motive: r.motif.clone(),
            })
            .collect(),
        needs_choice,
        choice,
        candidate: v.targeting.targeted() || needs_choice,
    }
}

/// The quality targeting screen (`/campagnes/{campaign}/ciblage/qualite`): besides the
/// exclusions, field `d31_{FINESS}` (« retenir » / « ne_pas_retenir »), required when
/// D3.1 is not filled in.
pub struct QualityScreen;

impl TargetingScreen for QualityScreen {
    const PATH: &'static str = "/qualite";
    const DATA: &'static str = "d'indicateurs qualité";
    type Verdict = QualityVerdict;
    type Choice = D31Choice;
    type Page = QualityPage;

    fn verdicts<'a>(
        state: &'a AppState,
        campaign: &'a Campaign,
    ) -> impl Future<Output = Result<Vec<QualityVerdict>, StoreError>> + Send + 'a {
        state.store.quality_verdicts(campaign)
    }
    fn choose(
        fields: &[(String, String)],
        v: &QualityVerdict,
        errors: &mut Vec<String>,
    ) -> D31Choice {
        let f = v.entity.finess.to_string();
        let name = format!("d31_{f}");
        let choice = fields
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, value)| value.trim());
        let keep = if v.targeting.needs_ars_decision() {
            match choice {
                "retenir" => Some(true),
                "ne_pas_retenir" => Some(false),
                _ => {
                    errors.push(format!(
                        "Risque médicamenteux de {} ({f}) : D3.1 non renseigné, choisir de retenir ou non ce risque.",
                        v.entity.name
                    ));
                    None
                }
            }
        } else {
            None
        };
        (choice.to_owned(), keep)
    }
    async fn record(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        choices: &Submitted<D31Choice>,
        exclusions: &BTreeMap<Finess, String>,
    ) -> Result<(), StoreError> {
        let d31: BTreeMap<Finess, bool> = choices
            .iter()
            .filter_map(|(f, ((_, keep), _))| keep.map(|k| (*f, k)))
            .collect();
        state
            .store
            .confirm_quality_targeting(user, campaign, &d31, exclusions)
            .await
            .map(drop)
    }
    async fn page(
        state: &AppState,
        s: &Session,
        campaign: &Campaign,
        submitted: Option<&Submitted<D31Choice>>,
        errors: Vec<String>,
    ) -> AppResult<QualityPage> {
        let verdicts = state.store.quality_verdicts(campaign).await?;
        let list = ConfirmedList::load(state, &s.user, campaign, QUALITE).await?;
        let lines = list.lines(&verdicts, submitted, quality_cells);
        Ok(QualityPage {
            layout: Layout::for_user(
                &format!("Ciblage du volet qualité — {}", campaign.title),
                &s.user,
                &s.csrf,
            ),
            head: list.head::<QualityImport>(s, campaign, errors),
            lines,
        })
    }
    fn head(page: &mut QualityPage) -> &mut TargetingHead {
        &mut page.head
    }
}

// ---------------------------------------------------------------------------
// The quality indicators import (ARS).

/// The quality indicators file, imported by the ARS.
pub(crate) struct QualityImport;

impl RegionImport for QualityImport {
    type Row = QualityIndicators;
    const FILE: &'static str = QUALITY_FILE;
    const FIELD: &'static str = "qualite";
    const IMPORTERS: &'static [Role] = &[Role::Ars];
    const PREVIEW_HEADERS: &'static [&'static str] = &[
        "Ligne",
        "FINESS juridique",
        "Année",
        "ICALIN2",
        "D3.1",
        "DOC",
    ];
    const SCREEN: &'static str = "/ciblage/qualite";
    const SCREEN_TITLE: &'static str = "Ciblage du volet qualité";
    const HEADING: &'static str = "Importer les indicateurs qualité";
    const INTRO: &'static str = "Coller le contenu de « qualite.csv » (séparateur « ; ») : \
                    finess;annee;icalin2;d31_numerateur;d31_denominateur;doc_taux;doc_ic_basse;doc_ic_haute. \
                    Une ligne par entité juridique de la région, pour l'année de la campagne, avec les résultats \
                    publiés (QUALHAS pour ICALIN2 et DOC, oSIS pour D3.1). icalin2 : classe A à E, NR \
                    (non-répondant) ou NS (non soumis). D3.1 : séjours avec prescription informatisée et séjours \
                    (ou le taux et 100), ou NR (non renseigné) / NS dans d31_numerateur. DOC : taux de conformité \
                    et bornes de l'intervalle de confiance en %, ou NR / NS dans doc_taux. Virgule ou point \
                    décimal. Une ligne remplace les données déjà importées de la même entité pour la même année. \
                    Rien n'est enregistré avant la confirmation.";
    const FIELD_LABEL: &'static str = "Indicateurs qualité (qualite.csv)";
    const HINT: &'static str = "Exemple : 310000019;2018;C;8;100;45,2;38,1;52,3";

    fn done(rows: usize) -> String {
        format!("Import enregistré : indicateurs qualité de {rows} entité(s).")
    }

    fn summary(rows: usize, year: i16) -> String {
        format!(
            "Les indicateurs qualité de {rows} entité(s) seront enregistrés pour l'année {year}."
        )
    }

    fn preview_cells(r: &QualityIndicators) -> Vec<String> {
        vec![
            r.entity.to_string(),
            r.year.to_string(),
            icalin2_text(r.icalin2),
            d31_text(r.d31),
            doc_text(r.doc),
        ]
    }

    /// Reads the pasted file: header with every column of [`QUALITY_COLUMNS`], one
    /// line per legal entity of the region, the campaign year. Every error is
    /// reported, with its line and column.
    async fn read(
        state: &AppState,
        campaign: &Campaign,
        text: &str,
    ) -> AppResult<Read<QualityIndicators>> {
        let entities = crate::volets::targeting::csv::entities_with_sites(
            &state.store,
            &campaign.region,
            "les indicateurs",
        )
        .await?;
        Ok(region_csv::quality::read(text, &entities, campaign.year))
    }

    async fn write(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        rows: &[QualityIndicators],
    ) -> Result<usize, StoreError> {
        state
            .store
            .import_quality_indicators(user, &campaign.region, QUALITY_FILE, rows)
            .await
    }
}
