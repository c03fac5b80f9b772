//! The qualité volet of one entity in one campaign, once the ARS confirmed it as
//! targeted: the ARS enters the complementary objectives and the AM revenue, the
//! engine proposes the sanction (1 % of the AM revenue × r(number of risks) ×
//! (1 − share met)), the AM gives its opinion, the DG ARS decides (bounded,
//! motivated) and notifies. Same roles and 404/403 rules as the transport page
//! (`volet_decisions`), whose scope and parsing helpers it reuses.

use caqes_core::Finess;
use std::future::Future;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caqes_store::CampaignId;
use caqes_store::volets::qualite::{Qualite, QualityDecision};
use caqes_store::{Campaign, LegalEntity, Role};
use rust_decimal::Decimal;

use crate::auth::role::require;
use crate::auth::{CurrentUser, Session};
use crate::dossier::fr;
use crate::request::error::AppResult;
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;
use crate::volets::lifecycle::{
    LifeView, VoletScreen, evaluated, life_view, parse_amount, refused, scope, visible,
};
use crate::volets::objectives::{
    Fields, ObjectiveRow, empty_rows, field, objective_line, read_objectives, rows_from, rows_of,
};
use crate::volets::page::{VoletHead, am_revenue_field, head};

pub struct QualityVersionView {
    pub version: i64,
    pub risks: usize,
    pub objectives: Vec<String>,
    pub share: String,
    pub revenue: String,
    pub life: LifeView,
}

fn pct(d: Decimal) -> String {
    format!("{}\u{202f}%", fr(d * Decimal::ONE_HUNDRED))
}

fn version_view(d: &QualityDecision) -> QualityVersionView {
    QualityVersionView {
        version: d.version,
        risks: d.evaluation.targeted_risks,
        objectives: d.evaluation.objectives.iter().map(objective_line).collect(),
        share: pct(d.evaluation.share_met.value()),
        revenue: d.am_revenue.to_string(),
        life: life_view::<Qualite>(d),
    }
}

#[derive(Template)]
#[template(path = "volet_qualite.html")]
pub struct QualityPage {
    pub layout: Layout,
    pub head: VoletHead,
    pub versions: Vec<QualityVersionView>,
    pub rows: Vec<ObjectiveRow>,
    pub produits: String,
}

impl_page!(QualityPage);

async fn render(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<(Vec<ObjectiveRow>, String)>,
    error: Option<String>,
) -> AppResult<QualityPage> {
    let (layout, head, all) = head::<Qualite>(state, s, (campaign, entity), error).await?;
    let (rows, produits) = match (submitted, all.last()) {
        (Some(f), _) => f,
        (None, Some(d)) => (
            rows_of(&d.evaluation.objectives),
            d.am_revenue.amount().to_string(),
        ),
        (None, None) => (empty_rows(), am_revenue_field(state, &entity.finess).await?),
    };
    let versions = visible(s.user.role, &all)
        .into_iter()
        .map(version_view)
        .collect();
    Ok(QualityPage {
        layout,
        head,
        versions,
        rows,
        produits,
    })
}

impl VoletScreen for Qualite {
    const SEGMENT: &'static str = "qualite";
    const LABEL: &'static str = "volet qualité";
    const TITLE: &'static str = "Volet qualité";
    const TARGETING: (&'static str, &'static str) = ("ciblage/qualite", "Ciblage du volet qualité");
    type Submitted = (Vec<ObjectiveRow>, String);
    type Page = QualityPage;
    fn render<'a>(
        state: &'a AppState,
        s: &'a Session,
        scope: (&'a Campaign, &'a LegalEntity),
        submitted: Option<Self::Submitted>,
        error: Option<String>,
    ) -> impl Future<Output = AppResult<Self::Page>> + Send + 'a {
        render(state, s, scope, submitted, error)
    }
    fn letter_objectives(
        e: &caqes_store::volets::qualite::QualityAssessment,
    ) -> (Vec<caqes_documents::ObjectiveResult>, Option<Decimal>) {
        (
            e.objectives
                .iter()
                .map(crate::volets::lifecycle::objective_result)
                .collect(),
            None,
        )
    }
}

/// `POST …/volets/qualite/evaluation` (ARS).
pub async fn evaluate(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s.user, Role::Ars, "L'évaluation du volet qualité")?;
    let rows = rows_from(&fields);
    let produits = field(&fields, "produits_am").to_owned();
    let parsed = read_objectives(&rows)
        .and_then(|o| parse_amount("Produits de l'assurance maladie", &produits).map(|p| (o, p)));
    let submitted = (rows, produits);
    let (objectives, revenue) = match parsed {
        Ok(v) => v,
        Err(m) => {
            return refused::<Qualite>(&state, &s, (&campaign, &entity), Some(submitted), m).await;
        }
    };
    let r = state
        .store
        .record_quality_evaluation(&s.user, &campaign, &entity.finess, &objectives, revenue)
        .await;
    evaluated::<Qualite>(&state, &s, (&campaign, &entity), submitted, r).await
}
