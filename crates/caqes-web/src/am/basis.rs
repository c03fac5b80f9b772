//! The sanction basis of a dossier (1 % of AM revenue or 30 % of the liste en sus), chosen by the ARS.

use axum::extract::State;
use axum::response::Response;
use caqes_core::Euros;
use caqes_core::Finess;
use caqes_core::sanction::Basis;
use caqes_store::CampaignId;
use caqes_store::{Role, User};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::dossier::load;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash;
use crate::ui::flash::Flash;

/// The basis of a proposal as shown on the decision page.
pub fn basis_label(basis: Basis, amount: Euros) -> String {
    match basis {
        Basis::ListeEnSus => format!(
            "{amount} (part prise en charge des produits de la liste en sus ; plafond 30\u{202f}%)"
        ),
        _ => format!(
            "{amount} (produits versés par les régimes obligatoires d'assurance maladie, dernier exercice clos)"
        ),
    }
}

/// Both bases of an entity and the one that applies, for the decision page.
pub struct BasisView {
    pub revenue: Option<String>,
    pub revenue_ceiling: Option<String>,
    pub liste_en_sus: Option<String>,
    pub liste_en_sus_ceiling: Option<String>,
    pub chosen_liste_en_sus: bool,
    /// The ARS may still choose (no version yet, and the liste en sus is known).
    pub can_choose: bool,
}

pub async fn basis_view(
    state: &AppState,
    user: &User,
    submission: &caqes_store::Submission,
    referentiel_id: &str,
    has_version: bool,
) -> AppResult<BasisView> {
    let figures = state.store.am_figures(&submission.entity).await?;
    let params = state
        .store
        .referentiel(referentiel_id)
        .await?
        .map(|r| r.parameters.sanction)
        .ok_or_else(|| AppError::Internal(format!("référentiel {referentiel_id} introuvable")))?;
    let chosen = state.store.sanction_basis(&submission.id).await?;
    Ok(BasisView {
        revenue: figures.am_revenue.map(|e| e.to_string()),
        revenue_ceiling: figures
            .am_revenue
            .map(|e| e.percent(params.plafond_produits_am_pct).to_string()),
        liste_en_sus: figures.liste_en_sus.map(|e| e.to_string()),
        liste_en_sus_ceiling: figures
            .liste_en_sus
            .map(|e| e.percent(params.plafond_liste_en_sus_pct).to_string()),
        chosen_liste_en_sus: chosen == Basis::ListeEnSus,
        can_choose: user.role == Role::Ars && !has_version && figures.liste_en_sus.is_some(),
    })
}

#[derive(Deserialize)]
pub struct BasisForm {
    #[serde(default)]
    assiette: String,
}

pub async fn choose_basis(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(input): Form<BasisForm>,
) -> AppResult<Response> {
    let d = load(&state, &s.user, &campaign_id, &finess).await?;
    if s.user.role != Role::Ars {
        return Err(AppError::NotFound);
    }
    let basis = match input.assiette.as_str() {
        "produits_am" => Basis::ProduitsAm,
        "liste_en_sus" => Basis::ListeEnSus,
        _ => {
            return Err(AppError::Conflict(
                "Assiette inconnue : choisir « produits AM » ou « liste en sus ».".into(),
            ));
        }
    };
    if basis == Basis::ListeEnSus
        && state
            .store
            .am_figures(&d.entity.finess)
            .await?
            .liste_en_sus
            .is_none()
    {
        return Err(AppError::Conflict(
            "Le montant de la liste en sus de l'entité n'est pas renseigné par l'Assurance Maladie."
                .into(),
        ));
    }
    match state
        .store
        .set_sanction_basis(&s.user, &d.campaign.region, &d.submission, basis)
        .await
    {
        Ok(()) => Ok(flash::redirect(
            &format!(
                "/campagnes/{}/dossiers/{}/decision",
                d.campaign.id, d.entity.finess
            ),
            Flash::BasisChosen,
        )),
        Err(caqes_store::StoreError::Conflict(c)) => Err(AppError::Conflict(c.to_string())),
        Err(e) => Err(e.into()),
    }
}
