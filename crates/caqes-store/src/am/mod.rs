//! Assurance Maladie data: the figures of a legal entity that are the bases of
//! the sanction (AM revenue of the last closed year, insurance share of the liste
//! en sus products), the PHEV indicator values computed from Open PHMEV, and the
//! basis the ARS chooses for a dossier's sanction.
//!
//! Every write runs in one transaction with one audit line holding the values
//! before and after.

/// The Open PHMEV figures kept per upload for the dashboards (issue 12).
pub mod phev;

use caqes_core::RegionCode;
use caqes_core::sanction::Basis;
use caqes_core::{Euros, Finess};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;

use crate::admin::audit::{AuditLine, record};
use crate::campaign::declarations::{Motives, write_motives};
use crate::campaign::typed::upsert_value;
use crate::conflict::{DossierConflict, EntityConflict};
use crate::model::ids::SubmissionId;
use crate::{
    Actor, Campaign, Result, Store, StoreError, StoredValue, Submission, Typed, User, now_text,
    parse_decimal, parse_finess,
};
use caqes_core::value::{Entry, Review};
use caqes_core::workflow::SubmissionState;

/// The AM figures of one legal entity (`None`: not known, or left unchanged by an import).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmFigures {
    pub entity: Finess,
    /// Produits versés par l'assurance maladie, last closed year.
    pub am_revenue: Option<Euros>,
    /// Insurance share of the liste en sus products.
    pub liste_en_sus: Option<Euros>,
    /// The closed year these figures are about.
    pub year: Option<i16>,
}

/// One PHEV indicator value of a legal entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmValue {
    pub entity: Finess,
    pub indicator: String,
    /// The numerator as computed (text kept as the files and the audit show it).
    pub numerator: String,
    pub denominator: String,
    /// The same value parsed once against the campaign's grid (the engine reads this):
    /// a rate, or NC for a class of III-03 without any box prescribed.
    pub entry: Entry,
    /// The motive of an NC (`caqes_data::phmev::report::MOTIF_CLASSE_SANS_BOITE`).
    pub motive: Option<String>,
}

fn figures_json(f: &AmFigures) -> serde_json::Value {
    json!({
        "recettes_am": f.am_revenue.map(|e| e.amount().to_string()),
        "liste_en_sus": f.liste_en_sus.map(|e| e.amount().to_string()),
        "annee": f.year,
    })
}

pub fn basis_code(basis: Basis) -> &'static str {
    match basis {
        Basis::ListeEnSus => "liste_en_sus",
        _ => "produits_am",
    }
}

/// AM values may be written while the ARS has not validated the dossier: the
/// établissement does not enter these indicators, so a submitted dossier or one
/// under review still receives them; a validated or evaluated one does not.
async fn check_am_writable(
    conn: &mut sqlx::AnyConnection,
    campaign: &Campaign,
    entity: &Finess,
) -> Result<()> {
    let state = crate::campaign::submission_state_in(&mut *conn, &campaign.id, entity)
        .await?
        .ok_or_else(|| EntityConflict::NoDossier {
            entity: entity.to_string(),
        })?;
    if !am_writable(state) {
        return Err(DossierConflict::EntityValuesFrozen {
            entity: entity.to_string(),
            state,
        }
        .into());
    }
    Ok(())
}

/// Whether a dossier in `state` still receives AM values.
pub fn am_writable(state: SubmissionState) -> bool {
    matches!(
        state,
        SubmissionState::Brouillon
            | SubmissionState::Soumis
            | SubmissionState::EnRevue
            | SubmissionState::Renvoye
    )
}

impl Store {
    /// The AM figures of an entity.
    pub async fn am_figures(&self, entity: &Finess) -> Result<AmFigures> {
        let row = sqlx::query(
            "SELECT finess, am_revenue, liste_en_sus, am_data_year FROM legal_entities WHERE finess = $1",
        )
        .bind(entity.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("entité juridique"))?;
        let year: Option<i64> = row.try_get("am_data_year")?;
        Ok(AmFigures {
            entity: crate::parse_finess(&row.try_get::<String, _>("finess")?)?,
            am_revenue: parse_decimal(row.try_get("am_revenue")?)?.map(Euros),
            liste_en_sus: parse_decimal(row.try_get("liste_en_sus")?)?.map(Euros),
            year: year
                .map(i16::try_from)
                .transpose()
                .map_err(|_| StoreError::Corrupt("année des données AM hors limites".into()))?,
        })
    }

    /// Sets the AM figures of entities of `region` (a `None` keeps the stored
    /// value), all or nothing, with one audit line holding every entity's
    /// figures before and after.
    pub async fn set_am_figures(
        &self,
        actor: &Actor,
        region: &RegionCode,
        rows: &[AmFigures],
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let mut changes = Vec::new();
        for f in rows {
            for amount in [f.am_revenue, f.liste_en_sus].into_iter().flatten() {
                if amount.amount() < Decimal::ZERO {
                    return Err(DossierConflict::NegativeAmAmount {
                        entity: f.entity.to_string(),
                    }
                    .into());
                }
            }
            let row = sqlx::query(
                "SELECT region, am_revenue, liste_en_sus, am_data_year FROM legal_entities WHERE finess = $1",
            )
            .bind(f.entity.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row.filter(|r| {
                r.try_get::<String, _>("region").ok().as_deref() == Some(region.as_str())
            }) else {
                return Err(EntityConflict::OutsideRegion {
                    entity: f.entity.to_string(),
                }
                .into());
            };
            let old_year: Option<i64> = row.try_get("am_data_year")?;
            let before = AmFigures {
                entity: f.entity,
                am_revenue: parse_decimal(row.try_get("am_revenue")?)?.map(Euros),
                liste_en_sus: parse_decimal(row.try_get("liste_en_sus")?)?.map(Euros),
                year: old_year.and_then(|y| i16::try_from(y).ok()),
            };
            let after = AmFigures {
                entity: f.entity,
                am_revenue: f.am_revenue.or(before.am_revenue),
                liste_en_sus: f.liste_en_sus.or(before.liste_en_sus),
                year: f.year.or(before.year),
            };
            sqlx::query(
                "UPDATE legal_entities SET am_revenue = $1, liste_en_sus = $2, am_data_year = $3 WHERE finess = $4",
            )
            .bind(after.am_revenue.map(|e| e.amount().to_string()))
            .bind(after.liste_en_sus.map(|e| e.amount().to_string()))
            .bind(after.year.map(i64::from))
            .bind(f.entity.to_string())
            .execute(&mut *tx)
            .await?;
            changes.push(json!({
                "entite": f.entity.to_string(),
                "avant": figures_json(&before),
                "apres": figures_json(&after),
            }));
        }
        let object = rows
            .first()
            .map(|f| f.entity.to_string())
            .unwrap_or_default();
        let line = AuditLine {
            region: Some(region),
            action: "donnees_am.enregistrer",
            object_kind: if rows.len() == 1 {
                "entite_juridique"
            } else {
                "import"
            },
            object_id: &if rows.len() == 1 {
                object
            } else {
                crate::new_id()
            },
            before: None,
            after: Some(json!({ "entites": changes })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Writes PHEV indicator values (source AM) of legal entities for the
    /// campaign year, in one transaction with one audit line carrying the
    /// provenance of the files. The Assurance Maladie measures these
    /// indicators per legal entity, so each value is stored on the entity's
    /// reference site (the site bearing the entity's own FINESS, else the
    /// smallest) and the same indicator is removed from its other sites: the
    /// pooled value of the dossier is then exactly the AM figure.
    pub async fn import_am_values(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        provenance: serde_json::Value,
        values: &[AmValue],
    ) -> Result<usize> {
        self.import_phev(actor, campaign, provenance, values, None)
            .await
    }

    /// [`Store::import_am_values`], and with `dashboard` the rows the PHEV dashboards
    /// keep of the upload (replacing the campaign's previous ones), in the same
    /// transaction and under the same audit line.
    pub async fn import_phev(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        mut provenance: serde_json::Value,
        values: &[AmValue],
        dashboard: Option<&phev::PhevDashboard>,
    ) -> Result<usize> {
        let now = now_text();
        let year = i64::from(campaign.year);
        let mut tx = self.begin_write().await?;
        let mut checked: Vec<Finess> = Vec::new();
        let mut written = Vec::new();
        for v in values {
            let entity = v.entity.to_string();
            if !checked.contains(&v.entity) {
                let region: Option<String> =
                    sqlx::query("SELECT region FROM legal_entities WHERE finess = $1")
                        .bind(entity.clone())
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get("region"))
                        .transpose()?;
                if region.as_deref() != Some(campaign.region.as_str()) {
                    return Err(EntityConflict::OutsideCampaignRegion {
                        entity: entity.to_string(),
                    }
                    .into());
                }
                check_am_writable(&mut tx, campaign, &v.entity).await?;
                checked.push(v.entity);
            }
            let sites: Vec<String> =
                sqlx::query("SELECT finess FROM sites WHERE entity = $1 ORDER BY finess")
                    .bind(entity.clone())
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("finess"))
                    .collect::<std::result::Result<_, _>>()?;
            let reference = sites
                .iter()
                .find(|s| **s == entity)
                .or(sites.first())
                .cloned()
                .ok_or_else(|| EntityConflict::NoSite {
                    entity: entity.to_string(),
                })?;
            // A class's value (`III-03/EPO`, D5) replaces the whole indicator's value an
            // earlier upload wrote (the grid now computes it per class).
            let mut replaced = vec![v.indicator.clone()];
            if let Some((whole, _)) = v.indicator.split_once('/') {
                replaced.push(whole.to_owned());
            }
            let mut before = Vec::new();
            for site in &sites {
                for code in &replaced {
                    let old = sqlx::query(
                        "SELECT numerator, denominator, value, declared FROM indicator_values \
                         WHERE site = $1 AND year = $2 AND indicator = $3",
                    )
                    .bind(site.clone())
                    .bind(year)
                    .bind(code.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(old) = old {
                        before.push(json!({
                            "site": site,
                            "indicateur": code,
                            "numerateur": old.try_get::<Option<String>, _>("numerator")?,
                            "denominateur": old.try_get::<Option<String>, _>("denominator")?,
                            "valeur": old.try_get::<Option<String>, _>("value")?,
                            "declare": old.try_get::<Option<String>, _>("declared")?,
                        }));
                    }
                    sqlx::query(
                        "DELETE FROM indicator_values WHERE site = $1 AND year = $2 AND indicator = $3",
                    )
                    .bind(site.clone())
                    .bind(year)
                    .bind(code.clone())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let site = parse_finess(&reference)?;
            let stored = match v.entry {
                // A class without any box prescribed: NC with the AM's motive.
                Entry::Declared(_) => {
                    StoredValue::from_entry(site, campaign.year, &v.indicator, v.entry)
                }
                Entry::Value(_) => StoredValue {
                    site,
                    year: campaign.year,
                    indicator: v.indicator.clone(),
                    numerator: Some(v.numerator.clone()),
                    denominator: Some(v.denominator.clone()),
                    value: None,
                    declared: None,
                    typed: Typed::Entry(v.entry),
                },
            };
            upsert_value(
                &mut tx,
                &stored,
                &now,
                actor.user_id.as_ref().map(|u| u.as_str()),
            )
            .await?;
            // The motive of an NC is a fact of the AM's data (no box of the class
            // prescribed), not the établissement's claim: recorded as accepted, as
            // `caqes evaluate` reads the NC of `caqes phmev --par-classe`'s file.
            let motives: Motives = v
                .motive
                .iter()
                .map(|m| ((site, v.indicator.clone()), m.clone()))
                .collect();
            let motive_changes = write_motives(
                &mut tx,
                actor,
                std::slice::from_ref(&stored),
                &motives,
                Review::Accepted,
            )
            .await?;
            written.push(json!({
                "entite": entity,
                "site": reference,
                "indicateur": v.indicator,
                "avant": before,
                "apres": {
                    "numerateur": stored.numerator, "denominateur": stored.denominator,
                    "declare": stored.declared,
                },
                "motifs_nc": motive_changes,
            }));
        }
        if let Some(d) = dashboard {
            phev::replace(&mut tx, &campaign.id, &campaign.region, d).await?;
            if let Some(p) = provenance.as_object_mut() {
                p.insert(
                    "tableaux_de_bord".into(),
                    json!({
                        "entites": d.summaries.len(),
                        "montants_classes_et_produits": d.amounts.len(),
                    }),
                );
            }
        }
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "import.phev",
            object_kind: "campagne",
            object_id: campaign.id.as_str(),
            before: None,
            after: Some(json!({ "source": "AM", "provenance": provenance, "valeurs": written })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(values.len())
    }

    /// The basis chosen by the ARS for the sanction of a dossier (produits AM by default).
    pub async fn sanction_basis(&self, submission: &SubmissionId) -> Result<Basis> {
        let code: Option<String> =
            sqlx::query("SELECT sanction_basis FROM submissions WHERE id = $1")
                .bind(submission.to_owned())
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound("dossier"))?
                .try_get("sanction_basis")?;
        Ok(match code.as_deref() {
            Some("liste_en_sus") => Basis::ListeEnSus,
            _ => Basis::ProduitsAm,
        })
    }

    /// The ARS chooses the basis of the sanction, as long as no proposal has
    /// been fixed yet (the first version is created with the AM opinion).
    pub async fn set_sanction_basis(
        &self,
        user: &User,
        region: &RegionCode,
        submission: &Submission,
        basis: Basis,
    ) -> Result<()> {
        if user.role != crate::Role::Ars {
            return Err(crate::WorkflowError::WrongRole {
                action: "Choisir l'assiette de la sanction",
                role: crate::Role::Ars.label(),
            }
            .into());
        }
        let before = self.sanction_basis(&submission.id).await?;
        let mut tx = self.begin_write().await?;
        let versions: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM sanction_decisions WHERE submission = $1")
                .bind(submission.id.clone())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if versions > 0 {
            return Err(DossierConflict::BasisFrozen.into());
        }
        sqlx::query("UPDATE submissions SET sanction_basis = $1 WHERE id = $2")
            .bind(basis_code(basis).to_owned())
            .bind(submission.id.clone())
            .execute(&mut *tx)
            .await?;
        let line = AuditLine {
            region: Some(region),
            action: "decision.assiette",
            object_kind: "dossier",
            object_id: submission.id.as_str(),
            before: Some(json!({ "assiette": basis_code(before) })),
            after: Some(json!({ "assiette": basis_code(basis) })),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        tx.commit().await?;
        Ok(())
    }
}
