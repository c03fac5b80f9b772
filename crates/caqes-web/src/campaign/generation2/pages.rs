//! The two pages of a second-generation campaign: the dossier of an entity (its
//! units, each with its targeting, contract, values, evaluation and levers) and the
//! campaign's follow-up. The first generation's routes branch here on the grid's regime.

use askama::Template;
use axum::response::Response;
use caqes_core::regimes::ObjectivesGrid;
use caqes_store::generation2::{ContractState2, HearingSubject, UnitKind, evaluate};
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::{Campaign, LegalEntity, Role};

use super::view::{self, ConfirmView, UnitView};
use crate::auth::Session;
use crate::request::error::AppResult;
use crate::request::state::AppState;
use crate::ui::page::{Page, impl_page};
use crate::ui::{Layout, fr};

#[derive(Template)]
#[template(path = "generation2_dossier.html")]
pub struct DossierPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub previous_year: i16,
    pub grid_title: String,
    pub regime: &'static str,
    pub incentive_word: &'static str,
    pub example: bool,
    pub entity_name: String,
    pub finess: String,
    pub unit_kind: &'static str,
    pub units: Vec<UnitView>,
    pub to_confirm: Vec<ConfirmView>,
    pub is_ars: bool,
    pub is_etab: bool,
}

/// The dossier page of an entity on a second-generation campaign (from `dossier::show`).
pub async fn dossier_page(
    state: &AppState,
    session: &Session,
    campaign: Campaign,
    entity: LegalEntity,
    grid: ObjectivesGrid,
) -> AppResult<Response> {
    let user = &session.user;
    let is_ars = user.role == Role::Ars;
    let is_etab = user.role == Role::Etablissement;
    let kind = state.store.g2_unit_kind(&campaign).await?;
    let am_revenue = state.store.am_figures(&entity.finess).await?.am_revenue;
    let today = caqes_store::today();
    let mut units = Vec::new();
    for u in state.store.g2_units(&campaign, &entity).await? {
        let file = state.store.g2_unit_file(&campaign, u.finess).await?;
        let base = view::unit_base(&campaign.id, entity.finess, u.finess);
        let back_link = format!(
            "/campagnes/{}/dossiers/{}#unite-{}",
            campaign.id, entity.finess, u.finess
        );
        let contract = file.contract.as_ref();
        let state_of = contract.map(|c| c.state);
        let procedure = contract.and_then(|c| c.procedure(&grid));
        let retained = file.retained().count();
        let (outcome, outcome_error) = if file.engaged(&grid) {
            match evaluate(&grid, campaign.year, &file) {
                Ok(o) => (Some(o), None),
                Err(e) => (None, Some(e.to_string())),
            }
        } else {
            (None, None)
        };
        let evaluation = file.evaluation.as_ref();
        let decided = evaluation.and_then(|e| e.decided_amount);
        let notified = evaluation.is_some_and(|e| e.notified());
        let (sequence, sequence_error) = match evaluation.map(|e| e.sequence()) {
            Some(Ok(s)) => (
                Some(view::SequenceView {
                    report: fr::date(s.reception_rapport),
                    observations_until: fr::date(s.fin_observations),
                    notification_from: fr::date(s.notification_au_plus_tot),
                    notification_until: fr::date(s.notification_au_plus_tard),
                    notification_received: s.reception_notification.map(fr::date),
                    late: s.notification_hors_delai,
                    second_period_until: s.fin_second_delai.map(fr::date),
                    final_from: s.decision_finale_a_partir_du.map(fr::date),
                }),
                None,
            ),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };
        let default_start = grid
            .contract
            .as_ref()
            .and_then(|c| c.debut_defaut.as_ref())
            .map(|d| d.valeur)
            .filter(|d| d.year() <= campaign.year)
            .unwrap_or_else(|| jiff::civil::date(campaign.year, 1, 1));
        let default_end = grid
            .contract
            .as_ref()
            .map(|c| c.fin_au_plus_tard.valeur)
            .unwrap_or(caqes_core::regimes::grid::LEGAL_END);
        units.push(UnitView {
            finess: u.finess.to_string(),
            name: u.name,
            targeting: view::targeting_views(&grid, &file),
            targeting_editable: is_ars && contract.is_none(),
            retained,
            contract: view::contract_view(&grid, &file, am_revenue),
            can_propose: is_ars && contract.is_none() && retained > 0 && grid.contract.is_some(),
            default_start: default_start.to_string(),
            default_end: default_end.to_string(),
            can_answer: is_etab && state_of == Some(ContractState2::Propose),
            can_second: is_ars
                && contract.is_some_and(|c| {
                    c.state != ContractState2::Signe
                        && c.second_received_on.is_none()
                        && c.sanction.is_none()
                }),
            can_sanction: is_ars
                && contract.is_some_and(|c| {
                    c.state != ContractState2::Signe
                        && c.sanction.is_none()
                        && !c.hearing.awaiting_date()
                })
                && procedure
                    .and_then(|p| p.sanction_a_partir_du)
                    .is_some_and(|from| from <= today),
            objectives: view::objective_views(&grid, campaign.year, &file),
            surveillance_receipt: file
                .surveillance
                .as_ref()
                .filter(|s| s.decision.is_some())
                .map(|s| {
                    view::letter_receipt(
                        user.role,
                        ReceiptKind::SurveillanceG2,
                        s.receipt.as_ref(),
                        (&campaign.id, u.finess),
                        &back_link,
                    )
                })
                .transpose()?,
            penalty_receipt: file
                .penalty
                .as_ref()
                .map(|p| {
                    view::letter_receipt(
                        user.role,
                        ReceiptKind::PenaliteG2,
                        p.receipt.as_ref(),
                        (&campaign.id, u.finess),
                        &back_link,
                    )
                })
                .transpose()?,
            can_set_objective: is_ars && retained > 0 && contract.is_none() && evaluation.is_none(),
            today: today.to_string(),
            can_enter: file.engaged(&grid) && !notified && (is_ars || is_etab),
            outcome_error,
            can_revise: is_ars
                && decided.is_none()
                && outcome.as_ref().is_some_and(|o| !o.lignes.is_empty()),
            revisable: outcome
                .as_ref()
                .map(|o| o.lignes.iter().map(|l| l.code.clone()).collect())
                .unwrap_or_default(),
            outcome: outcome.as_ref().map(view::outcome_view),
            sequence,
            sequence_error,
            can_record_report: is_ars && file.engaged(&grid) && decided.is_none(),
            can_decide: is_ars && evaluation.is_some() && decided.is_none(),
            decided: decided.map(|d| fr::euros(d.0)),
            can_notify: is_ars
                && decided.is_some()
                && !notified
                && !evaluation.is_some_and(|e| e.hearing.awaiting_date()),
            hearing_contract: contract.and_then(|c| {
                view::hearing_view(
                    HearingSubject::Contrat,
                    c.hearing,
                    procedure.and_then(|p| p.fin_second_delai),
                    c.state != ContractState2::Signe && c.sanction.is_none(),
                    (is_ars, is_etab),
                    today,
                )
            }),
            hearing_evaluation: evaluation.and_then(|e| {
                view::hearing_view(
                    HearingSubject::Evaluation,
                    e.hearing,
                    e.sequence().ok().map(|s| s.fin_observations),
                    !notified,
                    (is_ars, is_etab),
                    today,
                )
            }),
            letter: notified.then(|| format!("{base}/interessement.pdf")),
            levers: view::levers_view(
                &grid,
                campaign.year,
                &file,
                outcome.as_ref().map(|o| o.objectifs_manques),
                am_revenue,
                is_ars,
                is_etab,
                today,
            ),
            base,
        });
    }
    let page = DossierPage {
        layout: Layout::for_user(&format!("Dossier — {}", entity.name), user, &session.csrf),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        year: campaign.year,
        previous_year: campaign.year - 1,
        grid_title: grid.title.clone(),
        regime: grid.regime.code(),
        incentive_word: grid.regime.incentive_word(),
        example: grid.example,
        entity_name: entity.name.clone(),
        finess: entity.finess.to_string(),
        unit_kind: kind.label(),
        units,
        to_confirm: view::to_confirm(&grid),
        is_ars,
        is_etab,
    };
    Ok(page.response())
}

/// One row of the campaign's follow-up.
pub struct FollowUpRow {
    pub entity: String,
    pub unit: String,
    pub link: String,
    pub retained: usize,
    pub contract: String,
    pub values: usize,
    pub computed: String,
    pub decided: String,
    pub notified: String,
    /// The mise sous surveillance and the 2026 penalty, in a few words.
    pub levers: String,
}

impl_page!(DossierPage, CampaignPage);

#[derive(Template)]
#[template(path = "generation2_campaign.html")]
pub struct CampaignPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub title: String,
    pub year: i16,
    pub grid_title: String,
    pub regime: &'static str,
    pub incentive_word: &'static str,
    pub example: bool,
    pub unit_kind: &'static str,
    pub unit_juridique: bool,
    pub can_choose_unit: bool,
    /// The ARS imports the values of N and N−1 of the campaign's units.
    pub can_import_values: bool,
    /// Why the last import of values was refused (nothing was written).
    pub import_errors: Vec<String>,
    pub rows: Vec<FollowUpRow>,
    pub to_confirm: Vec<ConfirmView>,
}

/// The follow-up of a second-generation campaign (from `campaign::show`).
pub async fn campaign_page(
    state: &AppState,
    session: &Session,
    campaign: Campaign,
    grid: ObjectivesGrid,
) -> AppResult<CampaignPage> {
    let user = &session.user;
    let kind = state.store.g2_unit_kind(&campaign).await?;
    let mut rows = Vec::new();
    let mut any_contract = false;
    for entity in state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?
    {
        for u in state.store.g2_units(&campaign, &entity).await? {
            let file = state.store.g2_unit_file(&campaign, u.finess).await?;
            any_contract |= file.contract.is_some();
            let computed = if file.engaged(&grid) {
                evaluate(&grid, campaign.year, &file)
                    .map(|o| fr::euros(o.total.0))
                    .unwrap_or_else(|_| "erreur de saisie".to_owned())
            } else {
                "—".to_owned()
            };
            let evaluation = file.evaluation.as_ref();
            rows.push(FollowUpRow {
                entity: entity.name.clone(),
                unit: u.finess.to_string(),
                link: format!("/campagnes/{}/dossiers/{}", campaign.id, entity.finess),
                retained: file.retained().count(),
                contract: file
                    .contract
                    .as_ref()
                    .map(|c| c.state.label().to_owned())
                    .unwrap_or_else(|| "aucun".to_owned()),
                values: file.values.len(),
                computed,
                decided: evaluation
                    .and_then(|e| e.decided_amount)
                    .map(|d| fr::euros(d.0))
                    .unwrap_or_else(|| "—".to_owned()),
                notified: evaluation
                    .and_then(|e| e.notification_received_on)
                    .map(fr::date)
                    .unwrap_or_else(|| "—".to_owned()),
                levers: view::levers_summary(&file),
            });
        }
    }
    let page = CampaignPage {
        layout: Layout::for_user(&campaign.title, user, &session.csrf),
        campaign_id: campaign.id.to_string(),
        title: campaign.title.clone(),
        year: campaign.year,
        grid_title: grid.title.clone(),
        regime: grid.regime.code(),
        incentive_word: grid.regime.incentive_word(),
        example: grid.example,
        unit_kind: kind.label(),
        unit_juridique: kind == UnitKind::Juridique,
        can_choose_unit: user.role == Role::Ars && !any_contract,
        can_import_values: user.role == Role::Ars,
        import_errors: Vec::new(),
        rows,
        to_confirm: view::to_confirm(&grid),
    };
    Ok(page)
}
