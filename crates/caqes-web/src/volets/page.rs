//! What the three volet pages share above their own figures: the campaign and the
//! entity, whether the entity is in the confirmed targeting, the life cycle's forms
//! and the message of a refused form (`volet_page_head.html`). Each volet's module
//! builds its [`VoletHead`] here and adds its versions and its evaluation form.

use caqes_core::Finess;
use caqes_store::volets::lifecycle::VoletVersion;
use caqes_store::{Campaign, LegalEntity};

use crate::auth::Session;
use crate::request::error::AppResult;
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::volets::lifecycle::{LifecycleView, VoletScreen, lifecycle};

/// The top of a volet page, the same on the three of them.
pub struct VoletHead {
    /// « Volet transports », in the title, the breadcrumb and the heading.
    pub title: &'static str,
    /// « volet transports », in sentences.
    pub label: &'static str,
    /// The campaign's targeting screen for this volet, and its link's words.
    pub targeting: (&'static str, &'static str),
    pub campaign_id: String,
    pub campaign_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub targeted: bool,
    pub life: LifecycleView,
    pub error: Option<String>,
}

/// Reads the versions of `V` for the entity (oldest first) and builds the page's
/// layout and head from them.
pub(crate) async fn head<V: VoletScreen>(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    error: Option<String>,
) -> AppResult<(Layout, VoletHead, Vec<VoletVersion<V::Evaluation>>)> {
    let targeted = state
        .store
        .is_volet_targeted::<V>(&campaign.id, &entity.finess)
        .await?;
    let all = state
        .store
        .volet_versions::<V>(&campaign.id, &entity.finess)
        .await?;
    let layout = Layout::for_user(&format!("{} — {}", V::TITLE, entity.name), &s.user, &s.csrf);
    let head = VoletHead {
        title: V::TITLE,
        label: V::LABEL,
        targeting: V::TARGETING,
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        entity_name: entity.name.clone(),
        entity_finess: entity.finess.to_string(),
        targeted,
        life: lifecycle::<V>(state, campaign, (s.user.role, targeted), &all).await?,
        error,
    };
    Ok((layout, head, all))
}

/// The entity's AM revenue as the evaluation forms prefill it (empty when the
/// Assurance Maladie has not given it).
pub(crate) async fn am_revenue_field(state: &AppState, entity: &Finess) -> AppResult<String> {
    Ok(state
        .store
        .am_revenue(entity)
        .await?
        .map(|e| e.amount().to_string())
        .unwrap_or_default())
}
