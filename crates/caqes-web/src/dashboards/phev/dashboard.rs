//! The PHEV dashboards (issue 12), from what the last confirmed PHEV upload of the
//! campaign kept (`caqes_store::phev`): for the region (ARS, AM, OMEDIT of the region)
//! and for one entity (those, and the établissement for its own entity). Top 15 ATC4
//! classes and products by amount reimbursed, the generic-repertoire rate against the
//! national rate of the year (the référentiel's `cible_defaut` of III-01), the biosimilar
//! rates by class, the growth excluding hepatitis C (IV-01) and, for an entity, its rank
//! among the entities of its category. Every figure is `caqes_core::phev`'s aggregation of
//! the stored rows, i.e. the pipeline's figure.

use caqes_core::RegionCode;
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caqes_core::phev::{AmountKind, EntitySummary, pool, standing};
use caqes_core::{Category, Finess};
use caqes_store::CampaignId;
use caqes_store::{Campaign, LegalEntity, Role};
use rust_decimal::Decimal;

use super::view::{
    BiosimilarRowView, KeyFigures, TopView, biosimilar_rows, euros_text, growth_text, key_figures,
    national_reference, rate_chart, rate_text, top_view,
};
use crate::auth::CurrentUser;
use crate::dossier::load;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;

/// The entity's place among those of its category.
pub struct StandingView {
    pub category: String,
    pub rank: usize,
    pub of: usize,
    pub percentile: String,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "phev_entity.html")]
pub struct EntityPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub finess: String,
    pub name: String,
    /// `None`: no PHEV upload holds this entity.
    pub figures: Option<KeyFigures>,
    pub biosimilars: Vec<BiosimilarRowView>,
    pub tops: Vec<TopView>,
    pub standing: Option<StandingView>,
    pub can_upload: bool,
}

impl_page!(EntityPage);

/// One entity in the region's table.
pub struct EntityRowView {
    pub finess: String,
    pub name: String,
    pub category: String,
    pub repertoire_rate: String,
    pub rank_in_category: String,
    pub biosimilar_rate: String,
    pub growth: String,
    pub amount: String,
}

/// One category's pooled repertoire rate.
pub struct CategoryRowView {
    pub category: String,
    pub entities: usize,
    pub repertoire_rate: String,
}

#[derive(Template)]
#[template(path = "phev_region.html")]
pub struct RegionPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub figures: Option<KeyFigures>,
    pub biosimilars: Vec<BiosimilarRowView>,
    pub tops: Vec<TopView>,
    pub categories: Vec<CategoryRowView>,
    pub categories_svg: String,
    pub entities: Vec<EntityRowView>,
    pub can_upload: bool,
}

impl_page!(RegionPage);

fn ordinal(rank: usize) -> String {
    if rank == 1 {
        "1er".to_owned()
    } else {
        format!("{rank}e")
    }
}

/// The campaign, if the user reads its region as a whole (ARS, AM, OMEDIT of the region).
async fn region_campaign(
    state: &AppState,
    s: &CurrentUser,
    id: &CampaignId,
) -> AppResult<Campaign> {
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    if !s.0.user.can_read_region(&campaign.region) {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}

/// Each stored entity's category (entities since removed from the registry are left out).
async fn categories(
    state: &AppState,
    region: &RegionCode,
) -> AppResult<BTreeMap<Finess, LegalEntity>> {
    Ok(state
        .store
        .legal_entities_in_region(region)
        .await?
        .into_iter()
        .map(|e| (e.finess, e))
        .collect())
}

/// Rank of each entity among those of its category, on the repertoire rate.
fn ranks_in_category(
    summaries: &[EntitySummary],
    entities: &BTreeMap<Finess, LegalEntity>,
    category: Category,
) -> Vec<(Finess, Option<Decimal>)> {
    summaries
        .iter()
        .filter(|s| entities.get(&s.entity).map(|e| e.category) == Some(category))
        .map(|s| (s.entity, s.repertoire_rate()))
        .collect()
}

pub async fn region(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(campaign_id): Path<CampaignId>,
) -> AppResult<Response> {
    let campaign = region_campaign(&state, &user, &campaign_id).await?;
    let s = &user.0;
    let referentiel = state.store.campaign_referentiel(&campaign).await?;
    let summaries = state.store.phev_summaries(&campaign.id).await?;
    let amounts = state.store.phev_amounts(&campaign.id, None).await?;
    let entities = categories(&state, &campaign.region).await?;
    let year = campaign.year;
    let mut page = RegionPage {
        layout: Layout::for_user(
            &format!("Tableau de bord PHEV — {}", campaign.title),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        year,
        figures: None,
        biosimilars: Vec::new(),
        tops: Vec::new(),
        categories: Vec::new(),
        categories_svg: String::new(),
        entities: Vec::new(),
        can_upload: s.user.role == Role::AssuranceMaladie,
    };
    if !summaries.is_empty() {
        let all: Vec<&EntitySummary> = summaries.iter().collect();
        let region = pool("Région", summaries[0].entity, &all);
        page.figures = Some(key_figures(&region, &referentiel, year));
        page.biosimilars = biosimilar_rows(&region);
        page.tops = vec![
            top_view(
                "top-classes",
                "Top 15 des classes ATC (niveau 4) par montant remboursé, région",
                &amounts,
                AmountKind::Classe,
                |_| true,
            ),
            top_view(
                "top-produits",
                "Top 15 des produits par montant remboursé, région",
                &amounts,
                AmountKind::Produit,
                |_| true,
            ),
        ];
        let mut by_category: BTreeMap<Category, Vec<&EntitySummary>> = BTreeMap::new();
        for sm in &summaries {
            if let Some(e) = entities.get(&sm.entity) {
                by_category.entry(e.category).or_default().push(sm);
            }
        }
        let mut bars = Vec::new();
        for (category, list) in &by_category {
            let pooled = pool(category.label(), list[0].entity, list);
            page.categories.push(CategoryRowView {
                category: category.label().to_owned(),
                entities: list.len(),
                repertoire_rate: rate_text(pooled.repertoire_rate()),
            });
            bars.push((category.label().to_owned(), pooled.repertoire_rate(), false));
        }
        page.categories_svg = rate_chart(
            "taux-repertoire-categories",
            "Taux de prescription dans le répertoire des génériques par catégorie",
            bars,
            national_reference(&referentiel, "III-01", year),
        );
        for sm in &summaries {
            let Some(e) = entities.get(&sm.entity) else {
                continue;
            };
            let rank = standing(
                &ranks_in_category(&summaries, &entities, e.category),
                sm.entity,
            )
            .map_or_else(
                || "—".to_owned(),
                |st| format!("{} sur {}", ordinal(st.rank), st.of),
            );
            page.entities.push(EntityRowView {
                finess: sm.entity.to_string(),
                name: e.name.clone(),
                category: e.category.label().to_owned(),
                repertoire_rate: rate_text(sm.repertoire_rate()),
                rank_in_category: rank,
                biosimilar_rate: rate_text(sm.biosimilar_pooled().rate()),
                growth: growth_text(sm.growth()),
                amount: euros_text(sm.amount),
            });
        }
        page.entities.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(page.into_response())
}

pub async fn entity(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let s = &user.0;
    let dossier = load(&state, &s.user, &campaign_id, &finess).await?;
    let campaign = &dossier.campaign;
    let me = dossier.entity.finess;
    let referentiel = state.store.campaign_referentiel(campaign).await?;
    let summaries = state.store.phev_summaries(&campaign.id).await?;
    let amounts = state.store.phev_amounts(&campaign.id, Some(me)).await?;
    let year = campaign.year;
    let mut page = EntityPage {
        layout: Layout::for_user(&format!("PHEV — {}", dossier.entity.name), &s.user, &s.csrf),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        year,
        finess: me.to_string(),
        name: dossier.entity.name.clone(),
        figures: None,
        biosimilars: Vec::new(),
        tops: Vec::new(),
        standing: None,
        can_upload: s.user.role == Role::AssuranceMaladie,
    };
    if let Some(mine) = summaries.iter().find(|x| x.entity == me) {
        page.figures = Some(key_figures(mine, &referentiel, year));
        page.biosimilars = biosimilar_rows(mine);
        page.tops = vec![
            top_view(
                "top-classes",
                "Top 15 des classes ATC (niveau 4) par montant remboursé",
                &amounts,
                AmountKind::Classe,
                |_| true,
            ),
            top_view(
                "top-produits",
                "Top 15 des produits par montant remboursé",
                &amounts,
                AmountKind::Produit,
                |_| true,
            ),
        ];
        let entities = categories(&state, &campaign.region).await?;
        let category = dossier.entity.category;
        let mut rates = ranks_in_category(&summaries, &entities, category);
        if let Some(st) = standing(&rates, me) {
            // Highest first; the others are not named: an établissement sees this page.
            rates.sort_by_key(|r| std::cmp::Reverse(r.1));
            let mut k = 0;
            let bars = rates
                .iter()
                .filter(|(_, r)| r.is_some())
                .map(|(f, r)| {
                    k += 1;
                    if *f == me {
                        (dossier.entity.name.clone(), *r, true)
                    } else {
                        (format!("Établissement comparable n° {k}"), *r, false)
                    }
                })
                .collect();
            page.standing = Some(StandingView {
                category: category.label().to_owned(),
                rank: st.rank,
                of: st.of,
                percentile: st.percentile.to_string(),
                svg: rate_chart(
                    "taux-repertoire-comparables",
                    &format!(
                        "Taux de prescription dans le répertoire des génériques, catégorie {}",
                        category.label()
                    ),
                    bars,
                    national_reference(&referentiel, "III-01", year),
                ),
            });
        }
    }
    Ok(page.into_response())
}
