//! What has been notified to an entity for a campaign, all volets together.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, IV.b: « La somme des différents
//! intéressements ou sanctions qui lui sont appliqués est notifiée à
//! l'établissement » ; AP-HP slides (seed 002): « les sanctions par volet
//! s'additionnent ». For each volet, the latest notified version counts (a
//! correction not yet notified does not); the sums are those of
//! `caqes_core::sanction::Notification`. A mise sous accord préalable has no
//! amount: it is listed with its duration and period, outside the sums.

use caqes_core::Finess;
use caqes_core::sanction::{Decision, Nature, Notification, Proposal};
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::MsapPeriod;
use jiff::civil::Date;

use crate::model::ids::CampaignId;
use crate::volets::lifecycle::{VoletKind, VoletOutcome, VoletVersion};
use crate::volets::pertinence::Pertinence;
use crate::volets::qualite::Qualite;
use crate::volets::transport::Transports;
use crate::{Result, Store, StoreError};

/// One volet's notified decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifiedLine {
    pub volet: Volet,
    pub version: i64,
    pub notified_on: Date,
    /// `None` for a mise sous accord préalable.
    pub decision: Option<Decision>,
    /// Months pronounced (0: not pronounced) and the period it runs.
    pub msap: Option<(u8, Option<MsapPeriod>)>,
}

/// Every volet's notified decision and their sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifiedSum {
    pub lines: Vec<NotifiedLine>,
    pub notification: Notification,
}

fn additional_line<E>(volet: Volet, d: &VoletVersion<E>) -> Result<Option<NotifiedLine>> {
    let (Some(notified_on), Some(amount)) = (d.notified_on, d.final_amount) else {
        return Ok(None);
    };
    let decision = match (d.outcome, d.proposal) {
        (VoletOutcome::MiseSousAccordPrealable, _) => None,
        (_, Some(p)) => Some(
            Decision::modulated(volet, p, amount, d.motivation.as_deref())
                .map_err(crate::unreadable("décision notifiée"))?,
        ),
        // « Ni intéressement, ni sanction »: a zero decision.
        (_, None) => Some(
            Decision::as_proposed(
                volet,
                Proposal::new(
                    Nature::Sanction,
                    caqes_core::sanction::Basis::ProduitsAm,
                    amount,
                    amount,
                )
                .map_err(crate::unreadable("décision notifiée"))?,
            )
            .map_err(crate::unreadable("décision notifiée"))?,
        ),
    };
    Ok(Some(NotifiedLine {
        volet,
        version: d.version,
        notified_on,
        decision,
        msap: d
            .final_msap_months
            .filter(|_| d.outcome == VoletOutcome::MiseSousAccordPrealable)
            .map(|m| (m, d.msap_period())),
    }))
}

impl Store {
    async fn latest_notified<V: VoletKind>(
        &self,
        campaign: &CampaignId,
        entity: &Finess,
    ) -> Result<Option<NotifiedLine>> {
        let versions = self.volet_versions::<V>(campaign, entity).await?;
        match versions.iter().rev().find(|d| d.is_frozen()) {
            Some(d) => additional_line(V::VOLET, d),
            None => Ok(None),
        }
    }

    /// The notified decisions of every volet for `entity` in `campaign`, and
    /// their sum. The caller checks the reader's scope.
    pub async fn notified_sum(
        &self,
        campaign: &CampaignId,
        entity: &Finess,
    ) -> Result<NotifiedSum> {
        let mut lines = Vec::new();
        if let Some(submission) = self.submission(campaign, entity).await? {
            let decisions = self.decisions_of(&submission.id).await?;
            if let Some(d) = decisions.iter().rev().find(|d| d.notified_on.is_some()) {
                let proposal =
                    Proposal::new(Nature::Sanction, d.basis_kind, d.ceiling, d.proposed_amount)
                        .map_err(crate::unreadable("décision notifiée"))?;
                let (Some(notified_on), Some(amount)) = (d.notified_on, d.final_amount) else {
                    return Err(StoreError::Corrupt("décision notifiée sans montant".into()));
                };
                lines.push(NotifiedLine {
                    volet: Volet::Obligatoire,
                    version: d.version,
                    notified_on,
                    decision: Some(
                        Decision::modulated(
                            Volet::Obligatoire,
                            proposal,
                            amount,
                            d.motivation.as_deref(),
                        )
                        .map_err(crate::unreadable("décision notifiée"))?,
                    ),
                    msap: None,
                });
            }
        }
        for line in [
            self.latest_notified::<Transports>(campaign, entity).await?,
            self.latest_notified::<Qualite>(campaign, entity).await?,
            self.latest_notified::<Pertinence>(campaign, entity).await?,
        ]
        .into_iter()
        .flatten()
        {
            lines.push(line);
        }
        let notification =
            Notification::new(lines.iter().filter_map(|l| l.decision.clone()).collect())
                .map_err(crate::unreadable("décision notifiée"))?;
        Ok(NotifiedSum {
            lines,
            notification,
        })
    }
}
