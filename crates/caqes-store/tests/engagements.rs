//! Engagements in the store: target proposals (only accepted ones reach the
//! `targets` table the scoring reads, audited before → after), the action plan,
//! and evidence documents (byte-exact, limits, deletion only while the dossier
//! is a draft), with their scope checks. SQLite always, PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::dossier::engagements::{
    ActionInput, ActionStatus, DocumentError, MAX_DOCUMENT_BYTES, NewDocument, NewTargetProposal,
    PlanCounts, ProposalState,
};
use caqes_store::testing::OTHER_REGION;
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{Action, EvidenceId, Role, Store, StoreError, WorkflowError};
use jiff::civil::date;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn proposal(code: &str, year: i16, raw: &str) -> NewTargetProposal {
    NewTargetProposal {
        indicator: code.into(),
        year,
        raw: raw.into(),
        target: dec(&raw.replace(',', ".")),
    }
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

async fn story(store: &Store) {
    let fx = Fixture::builder()
        .entities(2)
        .other_region()
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let own = fx.entities[0].entity.clone();
    let other = fx.entities[1].entity.clone();
    let ars = fx.user(Role::Ars).unwrap().clone();
    let ars_idf = fx.ars_other().unwrap().clone();
    let etab = fx.etab(own.finess).unwrap().clone();
    let other_etab = fx.etab(other.finess).unwrap().clone();
    let f = own.finess;

    // Proposals: only the établissement of the entity proposes.
    let list = [proposal("I-04", 2019, "85,5"), proposal("I-04", 2020, "90")];
    assert!(matches!(
        store.propose_targets(&ars, &own, &list).await,
        Err(StoreError::Workflow(WorkflowError::WrongRole { .. }))
    ));
    assert!(is_not_found(
        store.propose_targets(&other_etab, &own, &list).await
    ));
    assert!(matches!(
        store.propose_targets(&etab, &own, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    let ids = store.propose_targets(&etab, &own, &list).await.unwrap();
    assert_eq!(ids.len(), 2);
    // Proposed is not agreed: the scoring table is unchanged.
    assert!(store.targets_for(&f, 2019).await.unwrap().is_empty());
    let pending = store
        .pending_target_proposals_in_region(&REGION)
        .await
        .unwrap();
    assert_eq!(pending.len(), 2);
    assert!(
        store
            .pending_target_proposals_in_region(&OTHER_REGION)
            .await
            .unwrap()
            .is_empty()
    );

    // Acceptance: ARS of the region only; writes the target in the same step.
    assert!(is_not_found(
        store
            .accept_target_proposal(&ars_idf, &own, &ids[0], None)
            .await
    ));
    assert!(matches!(
        store
            .accept_target_proposal(&etab, &own, &ids[0], None)
            .await,
        Err(StoreError::Workflow(WorkflowError::WrongRole { .. }))
    ));
    // Another entity's proposal id through this entity: not found.
    assert!(is_not_found(
        store
            .accept_target_proposal(&ars, &other, &ids[0], None)
            .await
    ));
    let accepted = store
        .accept_target_proposal(&ars, &own, &ids[0], None)
        .await
        .unwrap();
    assert_eq!(accepted.state, ProposalState::Acceptee);
    assert_eq!(accepted.reviewed_by.as_deref(), Some("ars@t.fr"));
    assert_eq!(
        store.targets_for(&f, 2019).await.unwrap().get("I-04"),
        Some(&dec("85.5"))
    );
    assert!(store.targets_for(&f, 2020).await.unwrap().is_empty());
    assert!(matches!(
        store
            .accept_target_proposal(&ars, &own, &ids[0], None)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // A revised proposal replaces the agreed target; history keeps both.
    let revised = store
        .propose_targets(&etab, &own, &[proposal("I-04", 2019, "88")])
        .await
        .unwrap();
    store
        .accept_target_proposal(&ars, &own, &revised[0], Some("ok"))
        .await
        .unwrap();
    assert_eq!(
        store.targets_for(&f, 2019).await.unwrap().get("I-04"),
        Some(&dec("88"))
    );
    let history = store.target_proposals(&f).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(
        history
            .iter()
            .filter(|p| p.state == ProposalState::Acceptee)
            .count(),
        2
    );
    let audit = store.audit_in_region(&REGION, 100).await.unwrap();
    let line = audit
        .iter()
        .find(|a| a.object_id == revised[0].as_str() && a.action == "cibles.accepter")
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(line.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["cible_retenue"]["avant"], "85.5");
    assert_eq!(after["cible_retenue"]["apres"], "88");
    let before: serde_json::Value = serde_json::from_str(line.before.as_deref().unwrap()).unwrap();
    assert_eq!(before["etat"], "proposee");

    // Returned for revision: comment required, no target written.
    assert!(matches!(
        store
            .return_target_proposal(&ars, &own, &ids[1], "  ")
            .await,
        Err(StoreError::Workflow(WorkflowError::CommentRequired(_)))
    ));
    let returned = store
        .return_target_proposal(&ars, &own, &ids[1], "Trop bas")
        .await
        .unwrap();
    assert_eq!(returned.state, ProposalState::ARevoir);
    assert_eq!(returned.review_comment.as_deref(), Some("Trop bas"));
    assert!(store.targets_for(&f, 2020).await.unwrap().is_empty());
    assert!(
        store
            .pending_target_proposals_in_region(&REGION)
            .await
            .unwrap()
            .is_empty()
    );

    // Action plan.
    let input = |status| ActionInput {
        action: "Former les prescripteurs".into(),
        serves: "I-04".into(),
        pilot: "COMEDIMS".into(),
        due_on: Some(date(2020, 6, 30)),
        status,
        progress_comment: None,
    };
    assert!(matches!(
        store
            .add_action_item(&ars, &own, &input(ActionStatus::AFaire))
            .await,
        Err(StoreError::Workflow(_))
    ));
    let a1 = store
        .add_action_item(&etab, &own, &input(ActionStatus::AFaire))
        .await
        .unwrap();
    store
        .add_action_item(&etab, &own, &input(ActionStatus::Realisee))
        .await
        .unwrap();
    store
        .add_action_item(&etab, &own, &input(ActionStatus::Abandonnee))
        .await
        .unwrap();
    let items = store.action_items(&f).await.unwrap();
    let counts = PlanCounts::of(&items);
    assert_eq!(
        counts,
        PlanCounts {
            done: 1,
            planned: 2
        }
    );
    assert_eq!(counts.progress().unwrap().value(), dec("0.5"));
    assert!(is_not_found(
        store
            .update_action_item(&other_etab, &other, &a1, &input(ActionStatus::Realisee))
            .await
    ));
    store
        .update_action_item(&etab, &own, &a1, &input(ActionStatus::Realisee))
        .await
        .unwrap();
    let counts = PlanCounts::of(&store.action_items(&f).await.unwrap());
    assert_eq!(
        counts,
        PlanCounts {
            done: 2,
            planned: 2
        }
    );
    assert!(store.action_items(&other.finess).await.unwrap().is_empty());
    assert!(PlanCounts::of(&[]).progress().is_none());
    let audit = store.audit_in_region(&REGION, 100).await.unwrap();
    let line = audit
        .iter()
        .find(|a| a.object_id == a1.as_str() && a.action == "plan_actions.modifier")
        .unwrap();
    assert!(line.before.as_deref().unwrap().contains("a_faire"));
    assert!(line.after.as_deref().unwrap().contains("realisee"));

    // Documents.
    let campaign = fx.campaign.clone().unwrap();
    let sub = store.submission(&campaign.id, &f).await.unwrap().unwrap();
    let other_sub = store
        .submission(&campaign.id, &other.finess)
        .await
        .unwrap()
        .unwrap();
    let content: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0u32..100_000).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8))
        .collect();
    let doc = |name: &'static str, content: &'static [u8]| NewDocument {
        file_name: name,
        indicator: Some("I-04".into()),
        content,
    };
    let leaked: &'static [u8] = Box::leak(content.clone().into_boxed_slice());
    assert!(is_not_found(
        store
            .add_document(&etab, &own, &other_sub, doc("a.pdf", leaked))
            .await
    ));
    assert!(is_not_found(
        store
            .add_document(&other_etab, &own, &sub, doc("a.pdf", leaked))
            .await
    ));
    let stored = store
        .add_document(&etab, &own, &sub, doc("../../rapport.pdf", leaked))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.file_name, "rapport.pdf");
    assert_eq!(stored.size, content.len() as i64);
    assert_eq!(stored.content_type, "application/pdf");
    let (meta, bytes) = store
        .document_content(&sub.id, &stored.id)
        .await
        .unwrap()
        .unwrap();
    assert!(bytes == content, "contenu différent");
    assert_eq!(meta.sha256.len(), 64);
    // Another dossier's id reveals nothing.
    assert!(
        store
            .document_content(&other_sub.id, &stored.id)
            .await
            .unwrap()
            .is_none()
    );
    // Limits: nothing written.
    let big: &'static [u8] = Box::leak(vec![b'%'; MAX_DOCUMENT_BYTES + 1].into_boxed_slice());
    assert!(matches!(
        store
            .add_document(&etab, &own, &sub, doc("gros.csv", big))
            .await
            .unwrap(),
        Err(DocumentError::TooLarge { .. })
    ));
    assert!(matches!(
        store
            .add_document(&etab, &own, &sub, doc("a.exe", b"MZ"))
            .await
            .unwrap(),
        Err(DocumentError::Kind(_))
    ));
    assert!(matches!(
        store
            .add_document(&etab, &own, &sub, doc("vide.csv", b""))
            .await
            .unwrap(),
        Err(DocumentError::Empty(_))
    ));
    let second = store
        .add_document(&etab, &own, &sub, doc("valeurs.csv", b"a;b\n1;2\n"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.documents(&sub.id).await.unwrap().len(), 2);

    // Deletion: the uploader entity, while the dossier is a draft.
    assert!(is_not_found(
        store
            .delete_document(&other_etab, &own, &sub, &stored.id)
            .await
    ));
    assert!(is_not_found(
        store
            .delete_document(&etab, &own, &sub, &EvidenceId::from("inconnu"))
            .await
    ));
    store
        .delete_document(&etab, &own, &sub, &stored.id)
        .await
        .unwrap();
    assert!(
        store
            .document_content(&sub.id, &stored.id)
            .await
            .unwrap()
            .is_none()
    );
    let audit = store.audit_in_region(&REGION, 200).await.unwrap();
    let line = audit
        .iter()
        .find(|a| a.object_id == stored.id.as_str() && a.action == "pieces.supprimer")
        .unwrap();
    assert!(line.before.as_deref().unwrap().contains(&meta.sha256));
    assert_eq!(line.after, None);
    store
        .apply_action(&etab, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    let submitted = store.submission(&campaign.id, &f).await.unwrap().unwrap();
    assert!(matches!(
        store
            .delete_document(&etab, &own, &submitted, &second.id)
            .await,
        Err(StoreError::Workflow(WorkflowError::WrongState { .. }))
    ));
    // A stale draft view does not delete from a submitted dossier either.
    assert!(matches!(
        store.delete_document(&etab, &own, &sub, &second.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.documents(&sub.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn engagements_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn engagements_on_postgres() {
    on_postgres(story).await.unwrap();
}
