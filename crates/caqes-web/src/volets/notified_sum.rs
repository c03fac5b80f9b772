//! The sum notified to an entity for a campaign, all volets together
//! (`caqes_store::volets::notified_sum`): one line per volet with a notified decision,
//! the total of sanctions, of incentives, and the net sum; a mise sous accord
//! préalable is listed with its duration and period. Every role that may read
//! the dossier sees it (the établissement sees only notified decisions anyway);
//! the administrator and anyone outside the scope get 404.

use askama::Template;
use axum::extract::State;
use caqes_core::Euros;
use caqes_core::Finess;
use caqes_core::sanction::Nature;
use caqes_store::CampaignId;

use crate::auth::CurrentUser;
use crate::request::error::AppResult;
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;
use crate::volets::lifecycle::scope;

pub struct SumLine {
    pub volet: &'static str,
    pub version: i64,
    pub notified_on: String,
    pub nature: String,
    /// Signed amount: incentives positive, sanctions negative.
    pub amount: String,
    pub msap: Option<String>,
}

#[derive(Template)]
#[template(path = "notified_sum.html")]
pub struct SumPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub lines: Vec<SumLine>,
    pub sanctions: String,
    pub incentives: String,
    pub net: String,
}

impl_page!(SumPage);

/// `GET /campagnes/{campaign}/dossiers/{finess}/volets`
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<SumPage> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    let sum = state
        .store
        .notified_sum(&campaign.id, &entity.finess)
        .await?;
    let lines = sum
        .lines
        .iter()
        .map(|l| SumLine {
            volet: l.volet.label(),
            version: l.version,
            notified_on: crate::ui::fr::date(l.notified_on),
            nature: match (&l.decision, l.msap) {
                (_, Some(_)) => "Mise sous accord préalable".to_owned(),
                (Some(d), None) if d.final_amount().amount().is_zero() => {
                    "Ni intéressement, ni sanction".to_owned()
                }
                (Some(d), None) => match d.nature() {
                    Nature::Interessement => "Intéressement".to_owned(),
                    Nature::Sanction => "Sanction".to_owned(),
                },
                (None, None) => String::new(),
            },
            amount: l
                .decision
                .as_ref()
                .map_or(Euros::ZERO, |d| d.signed_amount())
                .to_string(),
            msap: l.msap.map(|(months, period)| match (months, period) {
                (0, _) => "non prononcée".to_owned(),
                (m, Some(p)) => format!(
                    "{m} mois, du {} au {}",
                    crate::ui::fr::date(p.start),
                    crate::ui::fr::date(p.end)
                ),
                (m, None) => format!("{m} mois"),
            }),
        })
        .collect();
    let page = SumPage {
        layout: Layout::for_user(
            &format!("Somme notifiée — {}", entity.name),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        entity_name: entity.name.clone(),
        entity_finess: entity.finess.to_string(),
        lines,
        sanctions: sum.notification.total_sanctions().to_string(),
        incentives: sum.notification.total_incentives().to_string(),
        net: sum.notification.net().to_string(),
    };
    Ok(page)
}
