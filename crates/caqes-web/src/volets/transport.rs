//! The transport volet of one entity in one campaign, once the ARS confirmed it
//! as targeted: the ARS enters the evaluation inputs, the engine gives the cell of
//! the instruction's table and the proposed incentive or sanction, the Assurance
//! Maladie gives its opinion, the DG ARS decides (bounded, motivated), notifies and
//! corrects by a new version. The OMEDIT reads; the établissement sees only the
//! notified versions; anyone else, or outside the scope, gets 404.

use std::future::Future;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::sanction::Nature;
use caqes_core::volets::Progress;
use caqes_core::volets::transport::{OptionalObjective, TransportEvaluationInput};
use caqes_store::CampaignId;
use caqes_store::volets::transport::{TransportDecision, Transports, parse_objective};
use caqes_store::{Campaign, LegalEntity, Role};
use rust_decimal::Decimal;
use serde::Deserialize;

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
use crate::volets::page::{VoletHead, am_revenue_field, head};

pub struct VersionView {
    pub version: i64,
    pub cible: &'static str,
    pub objectif: &'static str,
    pub forecast: String,
    pub observed: String,
    pub revenue: String,
    pub progress: String,
    pub savings: String,
    pub nature: String,
    pub life: LifeView,
}

fn objective_label(o: OptionalObjective) -> &'static str {
    match o {
        OptionalObjective::Atteint => "atteint",
        OptionalObjective::NonAtteint => "non atteint",
        OptionalObjective::Absent => "pas d'objectif supplémentaire",
    }
}

fn version_view(d: &TransportDecision) -> VersionView {
    let e = &d.evaluation;
    VersionView {
        version: d.version,
        cible: if e.input.cible_atteinte {
            "atteinte"
        } else {
            "non atteinte"
        },
        objectif: objective_label(e.input.objectif_supplementaire),
        forecast: e.input.depenses_previsionnelles_sans_mesures.to_string(),
        observed: e.input.depenses_observees.to_string(),
        revenue: e.input.produits_am.to_string(),
        progress: format!(
            "{}\u{202f}%",
            fr(e.input.progression_plan_actions.value() * Decimal::ONE_HUNDRED)
        ),
        savings: e.savings.to_string(),
        nature: match d.proposal.map(|p| p.nature()) {
            Some(Nature::Interessement) => "Intéressement (au plus 30 % des économies)".to_owned(),
            Some(Nature::Sanction) => "Sanction (au plus 1 % des produits AM)".to_owned(),
            None => "Aucun montant".to_owned(),
        },
        life: life_view::<Transports>(d),
    }
}

/// What the evaluation form shows (the current inputs, or the submitted ones).
pub struct InputForm {
    pub cible: String,
    pub objectif: String,
    pub previsionnel: String,
    pub observe: String,
    pub produits: String,
    pub progression: String,
}

#[derive(Template)]
#[template(path = "volet_transport.html")]
pub struct VoletPage {
    pub layout: Layout,
    pub head: VoletHead,
    /// Newest first, only the notified ones for an établissement.
    pub versions: Vec<VersionView>,
    pub form: InputForm,
}

impl_page!(VoletPage);

async fn render(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<InputForm>,
    error: Option<String>,
) -> AppResult<VoletPage> {
    let (layout, head, all) = head::<Transports>(state, s, (campaign, entity), error).await?;
    let form = match (submitted, all.last()) {
        (Some(f), _) => f,
        (None, Some(TransportDecision { evaluation: d, .. })) => InputForm {
            cible: if d.input.cible_atteinte { "oui" } else { "non" }.to_owned(),
            objectif: match d.input.objectif_supplementaire {
                OptionalObjective::Atteint => "atteint",
                OptionalObjective::NonAtteint => "non_atteint",
                OptionalObjective::Absent => "absent",
            }
            .to_owned(),
            previsionnel: d
                .input
                .depenses_previsionnelles_sans_mesures
                .amount()
                .to_string(),
            observe: d.input.depenses_observees.amount().to_string(),
            produits: d.input.produits_am.amount().to_string(),
            progression: (d.input.progression_plan_actions.value() * Decimal::ONE_HUNDRED)
                .normalize()
                .to_string(),
        },
        (None, None) => {
            // Prefilled from what the platform knows: the year's transport
            // spending imported by the AM, and the entity's AM revenue.
            let observed = state
                .store
                .transport_spending(&campaign.region, campaign.year)
                .await?
                .into_iter()
                .find(|t| t.entity == entity.finess)
                .map(|t| t.amount.amount().to_string())
                .unwrap_or_default();
            InputForm {
                cible: String::new(),
                objectif: "absent".to_owned(),
                previsionnel: String::new(),
                observe: observed,
                produits: am_revenue_field(state, &entity.finess).await?,
                progression: String::new(),
            }
        }
    };
    let versions = visible(s.user.role, &all)
        .into_iter()
        .map(version_view)
        .collect();
    Ok(VoletPage {
        layout,
        head,
        versions,
        form,
    })
}

impl VoletScreen for Transports {
    const SEGMENT: &'static str = "transports";
    const LABEL: &'static str = "volet transports";
    const TITLE: &'static str = "Volet transports";
    const TARGETING: (&'static str, &'static str) = ("ciblage", "Ciblage des volets additionnels");
    type Submitted = InputForm;
    type Page = VoletPage;
    fn render<'a>(
        state: &'a AppState,
        s: &'a Session,
        scope: (&'a Campaign, &'a LegalEntity),
        submitted: Option<InputForm>,
        error: Option<String>,
    ) -> impl Future<Output = AppResult<Self::Page>> + Send + 'a {
        render(state, s, scope, submitted, error)
    }
    fn letter_objectives(
        e: &caqes_store::volets::transport::TransportAssessment,
    ) -> (Vec<caqes_documents::ObjectiveResult>, Option<Decimal>) {
        let mut out = vec![crate::volets::lifecycle::main_objective(
            "Taux d'évolution des dépenses de transports prescrits dans la cible du contrat",
            e.input.cible_atteinte,
        )];
        let met = match e.input.objectif_supplementaire {
            OptionalObjective::Atteint => Some(true),
            OptionalObjective::NonAtteint => Some(false),
            OptionalObjective::Absent => None,
        };
        if let Some(met) = met {
            out.push(caqes_documents::ObjectiveResult {
                main: false,
                label: "Objectif supplémentaire du contrat".into(),
                target: None,
                result: if met { "atteint" } else { "non atteint" }.into(),
                met: Some(met),
            });
        }
        (
            out,
            Some(e.input.progression_plan_actions.value() * Decimal::ONE_HUNDRED),
        )
    }
}

#[derive(Deserialize)]
pub struct EvaluationForm {
    #[serde(default)]
    cible_atteinte: String,
    #[serde(default)]
    objectif_supplementaire: String,
    #[serde(default)]
    depenses_previsionnelles: String,
    #[serde(default)]
    depenses_observees: String,
    #[serde(default)]
    produits_am: String,
    #[serde(default)]
    progression: String,
}

fn read_evaluation(f: &EvaluationForm) -> Result<TransportEvaluationInput, String> {
    let cible = match f.cible_atteinte.as_str() {
        "oui" => true,
        "non" => false,
        _ => return Err("Cible principale : indiquez si elle est atteinte (oui ou non).".into()),
    };
    let objectif = parse_objective(&f.objectif_supplementaire)
        .ok_or("Objectif supplémentaire : choisissez atteint, non atteint ou absent.")?;
    let progress = f
        .progression
        .trim()
        .replace(',', ".")
        .parse::<Decimal>()
        .ok()
        .and_then(|p| Progress::from_percent(p).ok())
        .ok_or_else(|| {
            format!(
                "Progression du plan d'actions : un pourcentage entre 0 et 100 est attendu (reçu « {} »).",
                f.progression.trim()
            )
        })?;
    Ok(TransportEvaluationInput {
        cible_atteinte: cible,
        objectif_supplementaire: objectif,
        depenses_previsionnelles_sans_mesures: parse_amount(
            "Dépenses prévisionnelles sans mesures",
            &f.depenses_previsionnelles,
        )?,
        depenses_observees: parse_amount("Dépenses observées", &f.depenses_observees)?,
        produits_am: parse_amount("Produits de l'assurance maladie", &f.produits_am)?,
        progression_plan_actions: progress,
    })
}

/// `POST …/volets/transports/evaluation` (ARS).
pub async fn evaluate(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(f): Form<EvaluationForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s.user, Role::Ars, "L'évaluation du volet transports")?;
    let submitted = InputForm {
        cible: f.cible_atteinte.clone(),
        objectif: f.objectif_supplementaire.clone(),
        previsionnel: f.depenses_previsionnelles.clone(),
        observe: f.depenses_observees.clone(),
        produits: f.produits_am.clone(),
        progression: f.progression.clone(),
    };
    let input = match read_evaluation(&f) {
        Ok(i) => i,
        Err(m) => {
            return refused::<Transports>(&state, &s, (&campaign, &entity), Some(submitted), m)
                .await;
        }
    };
    let r = state
        .store
        .record_transport_evaluation(&s.user, &campaign, &entity.finess, &input)
        .await;
    evaluated::<Transports>(&state, &s, (&campaign, &entity), submitted, r).await
}
