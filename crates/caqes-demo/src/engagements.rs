//! Demo engagements of the multi-site CHU: target proposals (some accepted by
//! the ARS, some pending), an action plan and one evidence document.

use caqes_core::referentiel::{Applicability, builtin_by_id};
use caqes_store::dossier::engagements::{
    ActionInput, ActionStatus, NewDocument, NewTargetProposal,
};
use caqes_store::{CampaignId, LegalEntity, Store, User};
use jiff::civil::date;
use rust_decimal::Decimal;

use crate::{DemoError, DemoResult, refused};

/// A minimal valid PDF (one empty page), so the demo document opens.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";

pub async fn seed(
    store: &Store,
    etab: &User,
    ars: &User,
    own: &LegalEntity,
    campaign_id: &CampaignId,
    referentiel_id: &str,
) -> DemoResult<()> {
    let referentiel = builtin_by_id(referentiel_id)
        .ok_or_else(|| DemoError::Invalid(format!("référentiel {referentiel_id} absent")))?;
    // Two numeric indicators concerning the CHU: the first gets accepted
    // targets, the second stays pending.
    let codes: Vec<String> = referentiel
        .indicators
        .iter()
        .filter(|i| i.is_numeric() && i.applicability(own.category) == Applicability::Concerned)
        .take(2)
        .map(|i| i.code.clone())
        .collect();
    let first_year = referentiel.baseline_year + 1;
    let mut accepted = Vec::new();
    for (n, code) in codes.iter().enumerate() {
        let proposals: Vec<NewTargetProposal> = (0..3i16)
            .map(|k| {
                let value = Decimal::from(80 + 5 * i64::from(k));
                NewTargetProposal {
                    indicator: code.clone(),
                    year: first_year + k,
                    raw: value.to_string(),
                    target: value,
                }
            })
            .collect();
        let ids = store.propose_targets(etab, own, &proposals).await?;
        if n == 0 {
            accepted = ids;
        }
    }
    // Only the later years are accepted, so that the current campaign's score
    // still reads the imported targets (accepting changes what the score uses).
    for id in accepted.iter().skip(1) {
        store
            .accept_target_proposal(
                ars,
                own,
                id,
                Some("Cible conforme à la trajectoire régionale"),
            )
            .await?;
    }
    let plan = [
        (
            "Informatiser le circuit du médicament en gériatrie",
            "Informatisation du circuit",
            "Pharmacien chef de service",
            date(2026, 6, 30),
            ActionStatus::Realisee,
            "Déployé sur les deux sites.",
        ),
        (
            "Former les prescripteurs à la prescription en DCI",
            "Prescription en DCI",
            "Président de la COMEDIMS",
            date(2026, 12, 31),
            ActionStatus::EnCours,
            "3 sessions sur 6 réalisées.",
        ),
        (
            "Auditer la traçabilité des dispositifs implantables",
            "Traçabilité des DMI",
            "Cadre de bloc",
            date(2027, 3, 31),
            ActionStatus::AFaire,
            "",
        ),
    ];
    for (action, serves, pilot, due, status, comment) in plan {
        store
            .add_action_item(
                etab,
                own,
                &ActionInput {
                    action: action.into(),
                    serves: serves.into(),
                    pilot: pilot.into(),
                    due_on: Some(due),
                    status,
                    progress_comment: Some(comment.to_owned()).filter(|c| !c.is_empty()),
                },
            )
            .await?;
    }
    if let Some(submission) = store.submission(campaign_id, &own.finess).await? {
        store
            .add_document(
                etab,
                own,
                &submission,
                NewDocument {
                    file_name: "rapport-etape-comedims.pdf",
                    indicator: codes.first().cloned(),
                    content: DEMO_PDF,
                },
            )
            .await?
            .map_err(refused("justificatif de démonstration"))?;
    }
    Ok(())
}
