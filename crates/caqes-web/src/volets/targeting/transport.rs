//! Targeting of the additional volets for a campaign: the Assurance Maladie
//! imports the transport spending of its region (pasted CSV, preview, then
//! all-or-nothing write), the ARS sees the engine's verdict for each entity and
//! confirms the targeted list (excluding an entity needs a motivation), the AM
//! and the OMEDIT read it, and an établissement sees only its own line once the
//! ARS has confirmed the list.
//!
//! The thresholds are never written here: the verdict and its reason come from
//! the store, which applies `caqes_core::volets::transport::target` with the
//! parameters of the campaign's référentiel.

use std::collections::BTreeMap;
use std::future::Future;

use askama::Template;
use caqes_core::Finess;
use caqes_store::targeting::{TRANSPORTS, TransportSpending, TransportVerdict};
use caqes_store::{Actor, Campaign, Role, StoreError, User};

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

pub use caqes_data::region_csv::transport::{TRANSPORT_COLUMNS, TRANSPORT_FILE};

// ---------------------------------------------------------------------------
// The targeting screen.

/// The transport cells of a line: the spending of both years and its growth.
pub struct TransportCells {
    pub previous: String,
    pub amount: String,
    pub growth: String,
}

#[derive(Template)]
#[template(path = "targeting.html")]
pub struct TargetingPage {
    pub layout: Layout,
    pub head: TargetingHead,
    pub lines: Vec<Line<TransportCells>>,
}

impl_page!(TargetingPage);

/// The transport targeting screen (`/campagnes/{campaign}/ciblage`).
pub struct TransportScreen;

impl TargetingScreen for TransportScreen {
    const PATH: &'static str = "";
    const DATA: &'static str = "de données de transport";
    type Verdict = TransportVerdict;
    type Choice = ();
    type Page = TargetingPage;

    fn verdicts<'a>(
        state: &'a AppState,
        campaign: &'a Campaign,
    ) -> impl Future<Output = Result<Vec<TransportVerdict>, StoreError>> + Send + 'a {
        state.store.transport_verdicts(campaign)
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
            .confirm_transport_targeting(user, campaign, exclusions)
            .await
            .map(drop)
    }
    async fn page(
        state: &AppState,
        s: &Session,
        campaign: &Campaign,
        submitted: Option<&Submitted<()>>,
        errors: Vec<String>,
    ) -> AppResult<TargetingPage> {
        let verdicts = state.store.transport_verdicts(campaign).await?;
        let list = ConfirmedList::load(state, &s.user, campaign, TRANSPORTS).await?;
        let lines = list.lines(&verdicts, submitted, |v, _, _| TransportCells {
            previous: crate::ui::fr::euros(v.targeting.depenses_annee_precedente.amount()),
            amount: crate::ui::fr::euros(v.targeting.depenses.amount()),
            growth: v
                .targeting
                .evolution_pct
                .map(|g| format!("{}\u{202f}%", fr(g)))
                .unwrap_or_else(|| "non calculable".to_owned()),
        });
        Ok(TargetingPage {
            layout: Layout::for_user(
                &format!("Ciblage des volets additionnels — {}", campaign.title),
                &s.user,
                &s.csrf,
            ),
            head: list.head::<TransportImport>(s, campaign, errors),
            lines,
        })
    }
    fn head(page: &mut TargetingPage) -> &mut TargetingHead {
        &mut page.head
    }
}

// ---------------------------------------------------------------------------
// The transport spending import (Assurance Maladie).

/// The transport spending file, imported by the Assurance Maladie.
pub(crate) struct TransportImport;

impl RegionImport for TransportImport {
    type Row = TransportSpending;
    const FILE: &'static str = TRANSPORT_FILE;
    const FIELD: &'static str = "transports";
    const IMPORTERS: &'static [Role] = &[Role::AssuranceMaladie];
    const PREVIEW_HEADERS: &'static [&'static str] = &[
        "Ligne",
        "FINESS juridique",
        "Année",
        "Dépenses de l'année",
        "Dépenses de l'année précédente",
    ];
    const SCREEN: &'static str = "/ciblage";
    const SCREEN_TITLE: &'static str = "Ciblage des volets additionnels";
    const HEADING: &'static str = "Importer les dépenses de transport";
    const INTRO: &'static str = "Coller le contenu de « transports.csv » (séparateur « ; ») : \
                    finess;annee;depenses_transport_prescrites;depenses_annee_precedente. \
                    Une ligne par entité juridique de la région, pour l'année de la campagne ; montants en euros \
                    (virgule ou point décimal) des transports prescrits par l'établissement et remboursés sur \
                    l'enveloppe des soins de ville. Une ligne remplace les données déjà importées de la même \
                    entité pour la même année. Rien n'est enregistré avant la confirmation.";
    const FIELD_LABEL: &'static str = "Dépenses de transport (transports.csv)";
    const HINT: &'static str = "Exemple : 310000019;2018;612345,50;598000";

    fn done(rows: usize) -> String {
        format!("Import enregistré : dépenses de transport de {rows} entité(s).")
    }

    fn summary(rows: usize, year: i16) -> String {
        format!(
            "Les dépenses de transport de {rows} entité(s) seront enregistrées pour l'année {year}."
        )
    }

    fn preview_cells(r: &TransportSpending) -> Vec<String> {
        vec![
            r.entity.to_string(),
            r.year.to_string(),
            r.amount.to_string(),
            r.previous.to_string(),
        ]
    }

    /// Reads the pasted file: header with every column of [`TRANSPORT_COLUMNS`],
    /// one line per legal entity of the region, the campaign year, amounts ≥ 0
    /// (decimal comma or point). Every error is reported, with its line and column.
    async fn read(
        state: &AppState,
        campaign: &Campaign,
        text: &str,
    ) -> AppResult<Read<TransportSpending>> {
        let entities = crate::volets::targeting::csv::entities_with_sites(
            &state.store,
            &campaign.region,
            "les dépenses",
        )
        .await?;
        Ok(region_csv::transport::read(text, &entities, campaign.year))
    }

    async fn write(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        rows: &[TransportSpending],
    ) -> Result<usize, StoreError> {
        state
            .store
            .import_transport_spending(&Actor::user(user), &campaign.region, TRANSPORT_FILE, rows)
            .await
    }
}
