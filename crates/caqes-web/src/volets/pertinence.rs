//! The pertinence volet of one entity in one campaign, once the ARS confirmed it
//! as targeted (`pertinence_targeting`): the ARS records whether the main
//! objective is met, the complementary objectives, and the contract's terms
//! (incentive maximum, nature of the sanction: MSAP with its duration or
//! retention of the AM revenue); the engine gives the consequence. The life
//! cycle (AM opinion, decision, notification, correction) is the one shared by
//! the additional volets (`volet_lifecycle`); an MSAP is decided in months and
//! runs from its notification.

use std::future::Future;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{
    PertinenceEvaluationInput, PertinenceParameters, PertinenceSanctionKind, PertinenceTerms,
};
use caqes_store::CampaignId;
use caqes_store::contract::{ContractState, VoletState};
use caqes_store::volets::pertinence::{Pertinence, PertinenceDecision};
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

pub struct PertinenceVersionView {
    pub version: i64,
    pub main_met: &'static str,
    pub objectives: Vec<String>,
    pub modulation: String,
    pub sanction: String,
    pub incentive_ceiling: String,
    pub revenue: String,
    pub life: LifeView,
}

fn sanction_label(kind: PertinenceSanctionKind) -> String {
    match kind {
        PertinenceSanctionKind::Msap { duree_mois } => {
            format!("mise sous accord préalable de {duree_mois} mois")
        }
        PertinenceSanctionKind::Retenue => {
            "retenue sur les produits de l'assurance maladie (au plus 1 %)".to_owned()
        }
    }
}

fn version_view(d: &PertinenceDecision) -> PertinenceVersionView {
    let input = &d.evaluation.input;
    PertinenceVersionView {
        version: d.version,
        main_met: if input.objectif_principal_atteint {
            "atteint"
        } else {
            "non atteint"
        },
        objectives: input
            .objectifs_complementaires
            .iter()
            .map(objective_line)
            .collect(),
        modulation: format!(
            "{}\u{202f}%",
            fr(d.evaluation.modulation * Decimal::ONE_HUNDRED)
        ),
        sanction: sanction_label(input.nature_sanction),
        incentive_ceiling: input.plafond_interessement.to_string(),
        revenue: input.produits_am.to_string(),
        life: life_view::<Pertinence>(d),
    }
}

/// The evaluation form, as shown or as submitted.
pub struct PertinenceForm {
    pub principal: String,
    pub rows: Vec<ObjectiveRow>,
    pub produits: String,
}

#[derive(Template)]
#[template(path = "volet_pertinence.html")]
pub struct PertinencePage {
    pub layout: Layout,
    pub head: VoletHead,
    pub versions: Vec<PertinenceVersionView>,
    pub form: PertinenceForm,
    /// The terms fixed in the signed contract (W10), as a sentence, or why there are none.
    pub contract_terms: Result<String, String>,
    pub max_msap_months: u8,
}

impl_page!(PertinencePage);

async fn render(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<PertinenceForm>,
    error: Option<String>,
) -> AppResult<PertinencePage> {
    let (layout, head, all) = head::<Pertinence>(state, s, (campaign, entity), error).await?;
    let form = match (submitted, all.last()) {
        (Some(f), _) => f,
        (None, Some(d)) => {
            let input = &d.evaluation.input;
            PertinenceForm {
                principal: if input.objectif_principal_atteint {
                    "oui"
                } else {
                    "non"
                }
                .to_owned(),
                rows: rows_of(&input.objectifs_complementaires),
                produits: input.produits_am.amount().to_string(),
            }
        }
        (None, None) => PertinenceForm {
            principal: String::new(),
            rows: empty_rows(),
            produits: am_revenue_field(state, &entity.finess).await?,
        },
    };
    let max_msap_months = state
        .store
        .referentiel(&campaign.referentiel_id)
        .await?
        .map_or(6, |r| r.parameters.pertinence.duree_max_msap_mois);
    let versions = visible(s.user.role, &all)
        .into_iter()
        .map(version_view)
        .collect();
    Ok(PertinencePage {
        layout,
        head,
        versions,
        form,
        contract_terms: contract_terms(state, entity).await?.map(terms_sentence),
        max_msap_months,
    })
}

impl VoletScreen for Pertinence {
    const SEGMENT: &'static str = "pertinence";
    const LABEL: &'static str = "volet pertinence";
    const TITLE: &'static str = "Volet pertinence";
    const TARGETING: (&'static str, &'static str) =
        ("ciblage/pertinence", "Ciblage du volet pertinence");
    type Submitted = PertinenceForm;
    type Page = PertinencePage;
    fn render<'a>(
        state: &'a AppState,
        s: &'a Session,
        scope: (&'a Campaign, &'a LegalEntity),
        submitted: Option<PertinenceForm>,
        error: Option<String>,
    ) -> impl Future<Output = AppResult<Self::Page>> + Send + 'a {
        render(state, s, scope, submitted, error)
    }
    fn letter_objectives(
        e: &caqes_store::volets::pertinence::PertinenceAssessment,
    ) -> (
        Vec<caqes_documents::ObjectiveResult>,
        Option<rust_decimal::Decimal>,
    ) {
        let mut out = vec![crate::volets::lifecycle::main_objective(
            "Objectif quantifié de la thématique principale",
            e.input.objectif_principal_atteint,
        )];
        out.extend(
            e.input
                .objectifs_complementaires
                .iter()
                .map(crate::volets::lifecycle::objective_result),
        );
        (out, None)
    }
}

fn read_evaluation(
    f: &PertinenceForm,
    terms: PertinenceTerms,
) -> Result<PertinenceEvaluationInput, String> {
    let main_met = match f.principal.as_str() {
        "oui" => true,
        "non" => false,
        _ => {
            return Err("Objectif principal : indiquez s'il est atteint (oui ou non).".to_owned());
        }
    };
    let objectives = read_objectives(&f.rows)?;
    Ok(PertinenceEvaluationInput {
        objectif_principal_atteint: main_met,
        objectifs_complementaires: objectives,
        nature_sanction: terms.nature_sanction,
        plafond_interessement: terms.plafond_interessement,
        produits_am: parse_amount("Produits de l'assurance maladie", &f.produits)?,
    })
}

/// The volet pertinence's terms as the contract page and the evaluation show them.
pub(crate) fn terms_sentence(t: PertinenceTerms) -> String {
    format!(
        "Sanction : {} ; plafond de l'intéressement : {}",
        sanction_label(t.nature_sanction),
        t.plafond_interessement
    )
}

/// Reads the terms the ARS fixes when it proposes a contract with the volet pertinence
/// (W10): the nature of the sanction, the MSAP's months, the incentive's ceiling.
pub(crate) fn read_terms(
    nature: &str,
    months: &str,
    ceiling: &str,
) -> Result<PertinenceTerms, String> {
    let params = PertinenceParameters::default();
    let nature = match nature {
        "retenue" => PertinenceSanctionKind::Retenue,
        "msap" => PertinenceSanctionKind::Msap {
            duree_mois: months.trim().parse::<u8>().map_err(|_| {
                format!(
                    "Champ « durée de la mise sous accord préalable » du volet pertinence : un nombre entier de mois est attendu (reçu « {} »).",
                    months.trim()
                )
            })?,
        },
        _ => {
            return Err(
                "Volet pertinence : choisissez la nature de la sanction fixée au contrat (retenue ou mise sous accord préalable)."
                    .to_owned(),
            );
        }
    };
    let ceiling = parse_amount(
        "Champ « plafond de l'intéressement » du volet pertinence",
        ceiling,
    )?;
    PertinenceTerms::new(&params, nature, ceiling).map_err(|e| format!("Volet pertinence : {e}."))
}

/// The terms of the entity's signed contract for the volet pertinence, or why the
/// evaluation cannot take them (no signed contract, no active pertinence volet, a volet
/// proposed before the terms were recorded).
async fn contract_terms(
    state: &AppState,
    entity: &LegalEntity,
) -> AppResult<Result<PertinenceTerms, String>> {
    let contract = state.store.contract_of(&entity.finess).await?;
    let Some(contract) = contract.filter(|c| c.state == ContractState::Signe) else {
        return Ok(Err("aucun contrat signé : les termes du volet pertinence (nature de la sanction, plafond de l'intéressement) sont fixés au contrat".to_owned()));
    };
    let volet = contract
        .volets
        .iter()
        .find(|v| v.volet == Volet::Pertinence && v.state == VoletState::Actif);
    Ok(match volet {
        None => Err("le contrat signé ne comporte pas de volet pertinence actif".to_owned()),
        Some(v) => v.pertinence_terms.ok_or_else(|| {
            "le contrat signé ne fixe pas les termes du volet pertinence (nature de la sanction, plafond de l'intéressement) : les fixer par avenant".to_owned()
        }),
    })
}

/// `POST …/volets/pertinence/evaluation` (ARS).
pub async fn evaluate(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s.user, Role::Ars, "L'évaluation du volet pertinence")?;
    let submitted = PertinenceForm {
        principal: field(&fields, "objectif_principal").to_owned(),
        rows: rows_from(&fields),
        produits: field(&fields, "produits_am").to_owned(),
    };
    // W10: the nature of the sanction and the incentive's ceiling come from the contract.
    let terms = match contract_terms(&state, &entity).await? {
        Ok(t) => t,
        Err(m) => {
            let message = format!("Évaluation impossible : {m}.");
            return refused::<Pertinence>(
                &state,
                &s,
                (&campaign, &entity),
                Some(submitted),
                message,
            )
            .await;
        }
    };
    let input = match read_evaluation(&submitted, terms) {
        Ok(i) => i,
        Err(m) => {
            return refused::<Pertinence>(&state, &s, (&campaign, &entity), Some(submitted), m)
                .await;
        }
    };
    let r = state
        .store
        .record_pertinence_evaluation(&s.user, &campaign, &entity.finess, &input)
        .await;
    evaluated::<Pertinence>(&state, &s, (&campaign, &entity), submitted, r).await
}
