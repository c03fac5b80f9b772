//! Administration: account status, uploaded référentiels and the one resolver,
//! dossier comments, audit paging and filters, before-values of imports; on
//! SQLite always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::Finess;
use caqes_store::conflict::ReferentielConflict;
use caqes_store::testing::OTHER_REGION;
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{
    Action, Actor, AuditFilter, Conflict, LegalEntity, NewCampaign, NewEntity, NewUser, Role,
    Store, StoreError, SubmissionState, User, Visibility,
};
use jiff::civil::date;

const NATIONAL: &str = include_str!("../../../referentiels/national-2017.toml");

fn new_user(role: Role, email: &str, entity: Option<Finess>) -> NewUser {
    NewUser {
        email: email.parse().unwrap(),
        display_name: format!("Nom {email}"),
        role,
        region: (role != Role::Admin).then_some(REGION),
        entity,
        password_hash: "x".into(),
    }
}

/// A copy of the national référentiel under another id.
fn regional_toml(id: &str) -> String {
    NATIONAL.replacen("id = \"national-2017\"", &format!("id = \"{id}\""), 1)
}

async fn audit_json(
    store: &Store,
    object_id: &str,
    action: &str,
) -> (serde_json::Value, serde_json::Value) {
    let page = store
        .audit_page(&AuditFilter {
            page: 1,
            per_page: 1000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let e = page
        .entries
        .iter()
        .find(|e| e.object_id == object_id && e.action == action)
        .unwrap_or_else(|| panic!("ligne d'audit {action} absente"));
    let parse = |t: &Option<String>| {
        t.as_deref().map_or(serde_json::Value::Null, |t| {
            serde_json::from_str(t).unwrap()
        })
    };
    (parse(&e.before), parse(&e.after))
}

async fn story(store: &Store) {
    let sys = Actor::system("test");
    let fx = Fixture::builder()
        .without_users()
        .entity("Entité")
        .build(store)
        .await
        .unwrap();
    let entity = fx.entities[0].entity.clone();
    let (f, site) = (entity.finess, fx.entities[0].sites[0].finess);

    // --- Accounts ---------------------------------------------------------
    assert!(!store.has_active_admin().await.unwrap());
    let admin = store
        .create_user_with_temporary_password(&sys, &new_user(Role::Admin, "admin@t.fr", None))
        .await
        .unwrap();
    assert!(admin.must_change_password && admin.active);
    assert!(store.has_active_admin().await.unwrap());
    let by_admin = Actor::user(&admin);
    let ars = store
        .create_user(&sys, &new_user(Role::Ars, "ars@t.fr", None))
        .await
        .unwrap();
    assert!(ars.active && !ars.must_change_password);
    let omedit = store
        .create_user(&sys, &new_user(Role::Omedit, "omedit@t.fr", None))
        .await
        .unwrap();
    let etab = store
        .create_user(&sys, &new_user(Role::Etablissement, "etab@t.fr", Some(f)))
        .await
        .unwrap();

    // Deactivation ends the sessions and is audited with before and after.
    store
        .create_session("jeton-ars", &ars.id, "csrf", 0, i64::MAX)
        .await
        .unwrap();
    assert!(store.session("jeton-ars", 1).await.unwrap().is_some());
    let off = store
        .set_user_active(&by_admin, &ars.id, false)
        .await
        .unwrap();
    assert!(!off.active);
    assert!(store.session("jeton-ars", 1).await.unwrap().is_none());
    let (before, after) = audit_json(store, ars.id.as_str(), "utilisateur.desactiver").await;
    assert_eq!(before["actif"], true);
    assert_eq!(after["actif"], false);
    // A session created despite the deactivation is still refused.
    store
        .create_session("jeton-ars-2", &ars.id, "csrf", 0, i64::MAX)
        .await
        .unwrap();
    assert!(store.session("jeton-ars-2", 1).await.unwrap().is_none());
    let on = store
        .set_user_active(&by_admin, &ars.id, true)
        .await
        .unwrap();
    assert!(on.active);
    assert!(store.session("jeton-ars-2", 1).await.unwrap().is_some());
    assert!(matches!(
        store
            .set_user_active(&by_admin, &"inconnu".into(), false)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Reset: new hash, forced change, sessions closed; the user's own change clears the flag.
    store
        .reset_password(&by_admin, &ars.id, "hash-temporaire")
        .await
        .unwrap();
    let reset = store.user_by_id(&ars.id).await.unwrap().unwrap();
    assert!(reset.must_change_password);
    assert_eq!(reset.password_hash, "hash-temporaire");
    assert!(store.session("jeton-ars-2", 1).await.unwrap().is_none());
    let (before, after) = audit_json(
        store,
        ars.id.as_str(),
        "utilisateur.reinitialiser_mot_de_passe",
    )
    .await;
    assert_eq!(before["changement_mot_de_passe_impose"], false);
    assert_eq!(after["changement_mot_de_passe_impose"], true);
    assert!(!after.to_string().contains("hash-temporaire"));
    store
        .set_password_hash(&Actor::user(&reset), &reset, "hash-choisi")
        .await
        .unwrap();
    assert!(
        !store
            .user_by_id(&ars.id)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    store.record_login(&etab.id).await.unwrap();
    let listed = store.list_users().await.unwrap();
    assert_eq!(listed.len(), 4);
    assert!(
        listed
            .iter()
            .any(|u| u.user.id == etab.id && u.last_login_at.is_some())
    );
    assert!(
        listed
            .iter()
            .any(|u| u.user.id == omedit.id && u.last_login_at.is_none())
    );

    // --- Référentiels -----------------------------------------------------
    // A broken file: the engine's message names the file and the line; nothing stored.
    let broken =
        regional_toml("grille-76").replacen("points_total = 100", "points_total = \"cent\"", 1);
    let line = broken
        .lines()
        .position(|l| l.starts_with("points_total"))
        .unwrap()
        + 1;
    let err = store
        .upload_referentiel(&by_admin, "grille-76.toml", &broken)
        .await
        .unwrap_err();
    let StoreError::Conflict(conflict @ Conflict::Referentiel(ReferentielConflict::Invalid(_))) =
        err
    else {
        panic!("Conflict attendu")
    };
    let message = conflict.to_string();
    assert!(message.contains("grille-76.toml"), "{message}");
    assert!(message.contains(&format!("ligne {line}")), "{message}");
    assert!(store.uploaded_referentiels().await.unwrap().is_empty());
    // The id of a builtin référentiel is refused.
    assert!(matches!(
        store
            .upload_referentiel(&by_admin, "n.toml", NATIONAL)
            .await,
        Err(StoreError::Conflict(Conflict::Referentiel(
            ReferentielConflict::BuiltinId { .. }
        )))
    ));
    let v1 = store
        .upload_referentiel(&by_admin, "grille-76.toml", &regional_toml("grille-76"))
        .await
        .unwrap();
    assert_eq!((v1.key.as_str(), v1.version), ("grille-76@v1", 1));
    let v2 = store
        .upload_referentiel(&by_admin, "grille-76-bis.toml", &regional_toml("grille-76"))
        .await
        .unwrap();
    assert_eq!((v2.key.as_str(), v2.version), ("grille-76@v2", 2));
    // Never overwritten: both versions remain.
    let uploaded = store.uploaded_referentiels().await.unwrap();
    assert_eq!(uploaded.len(), 2);
    let (_, after) = audit_json(store, "grille-76@v2", "referentiel.deposer").await;
    assert_eq!(after["version"], 2);
    // One resolver for builtins and uploads.
    assert_eq!(
        store
            .referentiel("occitanie-2018")
            .await
            .unwrap()
            .unwrap()
            .id,
        "occitanie-2018"
    );
    let resolved = store.referentiel("grille-76@v1").await.unwrap().unwrap();
    assert_eq!(resolved.id, "grille-76");
    assert_eq!(resolved.indicators.len(), 20);
    assert!(store.referentiel("grille-76@v3").await.unwrap().is_none());
    let choices = store.referentiel_choices().await.unwrap();
    assert!(choices.iter().any(|(k, _)| k == "grille-76@v2"));
    assert!(choices.iter().any(|(k, _)| k == "occitanie-2018"));

    let campaign = store
        .create_campaign(
            &Actor::user(&ars),
            &NewCampaign {
                region: REGION,
                year: 2019,
                referentiel_id: v2.key.clone(),
                title: "Campagne 2019".into(),
                submission_deadline: date(2020, 3, 31),
                evaluation_deadline: date(2020, 6, 30),
            },
        )
        .await
        .unwrap();
    let stored = store.campaign(&campaign.id).await.unwrap().unwrap();
    assert_eq!(
        store
            .referentiel(&stored.referentiel_id)
            .await
            .unwrap()
            .unwrap()
            .id,
        "grille-76"
    );

    // --- Comments ---------------------------------------------------------
    let submission = store.submission(&campaign.id, &f).await.unwrap().unwrap();
    store
        .add_comment(
            &omedit,
            &submission,
            &REGION,
            Some("N-10.1-01"),
            Visibility::Interne,
            "Note interne",
        )
        .await
        .unwrap();
    let shared = store
        .add_comment(
            &ars,
            &submission,
            &REGION,
            None,
            Visibility::Partage,
            "À compléter",
        )
        .await
        .unwrap();
    let all = store.comments_of(&submission.id, true).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].indicator.as_deref(), Some("N-10.1-01"));
    assert_eq!(all[0].author_role, Role::Omedit);
    let visible = store.comments_of(&submission.id, false).await.unwrap();
    assert_eq!(visible.len(), 1);
    assert_eq!(visible[0].body, "À compléter");
    let (_, after) = audit_json(store, shared.id.as_str(), "dossier.commenter").await;
    assert_eq!(after["visibilite"], "partage");
    // Append-only.
    assert!(
        sqlx::query("UPDATE dossier_comments SET body = 'modifié'")
            .execute(store.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM dossier_comments")
            .execute(store.pool())
            .await
            .is_err()
    );
    assert_eq!(
        store.comments_of(&submission.id, true).await.unwrap().len(),
        2
    );

    // --- Imports keep the before-values -------------------------------------
    let value = |v: &str| caqes_store::testing::value(site, 2019, "N-10.1-01", v, "100", "");
    store
        .import_yearly(&Actor::user(&ars), &campaign, "a.csv", &[value("10")], &[])
        .await
        .unwrap();
    store
        .import_yearly(&Actor::user(&ars), &campaign, "b.csv", &[value("42")], &[])
        .await
        .unwrap();
    let page = store
        .audit_page(&AuditFilter {
            object_kind: Some("campagne".into()),
            page: 1,
            per_page: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let imports: Vec<_> = page
        .entries
        .iter()
        .filter(|e| e.action == "import.valeurs")
        .collect();
    assert_eq!(imports.len(), 2);
    // Newest first: the second import overwrote numerator 10.
    let before: serde_json::Value =
        serde_json::from_str(imports[0].before.as_deref().unwrap()).unwrap();
    assert_eq!(before["valeurs"][0]["numerateur"], "10");
    let first_before: serde_json::Value =
        serde_json::from_str(imports[1].before.as_deref().unwrap()).unwrap();
    assert_eq!(first_before["valeurs"].as_array().unwrap().len(), 0);

    let renamed = NewEntity {
        entity: LegalEntity {
            name: "Entité renommée".into(),
            ..entity.clone()
        },
        sites: vec![],
    };
    store
        .import_establishments(&Actor::user(&ars), &REGION, "etab.csv", &[renamed])
        .await
        .unwrap();
    let page = store
        .audit_page(&AuditFilter {
            object_kind: Some("import".into()),
            page: 1,
            per_page: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let line = page
        .entries
        .iter()
        .find(|e| e.action == "import.etablissements")
        .unwrap();
    let before: serde_json::Value = serde_json::from_str(line.before.as_deref().unwrap()).unwrap();
    assert_eq!(before["entites"][0]["name"], "Entité");
    assert_eq!(before["entites"][0]["sites"][0], site.to_string());

    // --- Audit paging and filters -------------------------------------------
    let everything = AuditFilter {
        page: 1,
        per_page: 1000,
        ..AuditFilter::default()
    };
    let total = store.audit_page(&everything).await.unwrap().total;
    assert!(total > 10, "{total}");
    let p1 = store
        .audit_page(&AuditFilter {
            per_page: 3,
            ..everything.clone()
        })
        .await
        .unwrap();
    let p2 = store
        .audit_page(&AuditFilter {
            per_page: 3,
            page: 2,
            ..everything.clone()
        })
        .await
        .unwrap();
    assert_eq!((p1.entries.len(), p2.entries.len()), (3, 3));
    assert_eq!(p1.total, total);
    assert!(
        p1.entries
            .iter()
            .all(|a| p2.entries.iter().all(|b| a.id != b.id))
    );
    assert!(p1.entries[2].at >= p2.entries[0].at);
    let users_only = store
        .audit_page(&AuditFilter {
            object_kind: Some("utilisateur".into()),
            ..everything.clone()
        })
        .await
        .unwrap();
    assert!(users_only.total >= 8);
    assert!(
        users_only
            .entries
            .iter()
            .all(|e| e.object_kind == "utilisateur")
    );
    let by_omedit = store
        .audit_page(&AuditFilter {
            actor: Some("OMEDIT@T.FR".into()),
            ..everything.clone()
        })
        .await
        .unwrap();
    assert_eq!(by_omedit.total, 1);
    assert_eq!(by_omedit.entries[0].action, "dossier.commenter");
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let today_only = store
        .audit_page(&AuditFilter {
            from: Some(today),
            to: Some(today),
            ..everything.clone()
        })
        .await
        .unwrap();
    assert_eq!(today_only.total, total);
    let future = store
        .audit_page(&AuditFilter {
            from: Some(date(2999, 1, 1)),
            ..everything.clone()
        })
        .await
        .unwrap();
    assert_eq!(future.total, 0);
    let other_region = store
        .audit_page(&AuditFilter {
            region: Some(OTHER_REGION),
            ..everything.clone()
        })
        .await
        .unwrap();
    assert_eq!(other_region.total, 0);

    // --- The dossier page reads comments, classes and history in one query (issue 14):
    // the same rows as the three reads, internal comments only when asked.
    let classes =
        std::collections::BTreeMap::from([("N-10.1-01".to_owned(), Some("classe-a".to_owned()))]);
    store
        .choose_classes(&Actor::user(&etab), &campaign, &entity, &classes)
        .await
        .unwrap();
    let submission = store
        .apply_action(&etab, &submission, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    let submission = store
        .apply_action(
            &ars,
            &submission,
            &REGION,
            Action::PrendreEnRevue,
            Some("Revue « 1 »"),
            None,
        )
        .await
        .unwrap();
    for internal in [true, false] {
        let rows = store
            .dossier_page_rows(&submission.id, internal, &f, campaign.year)
            .await
            .unwrap();
        assert_eq!(
            rows.comments,
            store.comments_of(&submission.id, internal).await.unwrap()
        );
        assert_eq!(rows.comments.len(), if internal { 2 } else { 1 });
        assert_eq!(
            rows.chosen_classes,
            store.chosen_classes(&f, campaign.year).await.unwrap()
        );
        assert_eq!(rows.chosen_classes["N-10.1-01"], "classe-a");
        assert_eq!(
            rows.transitions,
            store.transitions_of(&submission.id).await.unwrap()
        );
        let path: Vec<_> = rows.transitions.iter().map(|t| (t.seq, t.to)).collect();
        assert_eq!(
            path,
            vec![(1, SubmissionState::Soumis), (2, SubmissionState::EnRevue)]
        );
    }
    let _: &User = &etab;
}

#[tokio::test]
async fn admin_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn admin_on_postgres() {
    on_postgres(story).await.unwrap();
}
