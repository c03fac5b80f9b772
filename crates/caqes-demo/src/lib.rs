//! A fictitious region for demonstrations and tests: legal entities of the
//! nine categories (one with three sites), two campaigns with values and
//! targets, and one account per role.
//!
//! It lives in its own crate, outside the web: it writes through `caqes-store`
//! only, so the CLI (`caqes demo`) and the tests of every crate can seed it.
//!
//! Everything is deterministic (no randomness): the same seed gives the same
//! region, so tests can rely on it. FINESS numbers are fictitious but carry
//! a valid Luhn key.

use caqes_core::RegionCode;
use std::collections::BTreeMap;

use caqes_core::referentiel::{Applicability, Kind, Referentiel, builtin_by_id};
use caqes_core::{Category, Finess};
use caqes_store::{
    Action, Actor, CampaignId, LegalEntity, NewCampaign, NewEntity, NewUser, Region, Role,
    ScoreRecord, Site, Store, StoredValue, User,
};
use rust_decimal::Decimal;

use caqes_store::accounts::password::hash as hash_password;

mod am;
mod contracts;
mod engagements;
pub mod generation2;
mod phev;
mod targeting;
mod volets;

/// Why seeding the demo region failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] caqes_store::StoreError),
    #[error(transparent)]
    Password(#[from] caqes_store::accounts::password::HashError),
    #[error(transparent)]
    Email(#[from] caqes_store::EmailError),
    /// A row the seed has just written cannot be read back.
    #[error("donnée de démonstration introuvable")]
    Missing,
    #[error("démonstration : {0}")]
    Invalid(String),
    /// A value the seed builds was refused (a date out of range, a rate, a
    /// temporary file): what the seed was making, the refusal as its source.
    #[error("démonstration : {what}")]
    Refused {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The [`DemoError::Refused`] of `what`, for `map_err`.
pub(crate) fn refused<E>(what: &'static str) -> impl FnOnce(E) -> DemoError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |source| DemoError::Refused {
        what,
        source: Box::new(source),
    }
}

pub type DemoResult<T> = Result<T, DemoError>;

pub const REGION: RegionCode = RegionCode::from_static("76");
pub const REFERENTIEL: &str = "occitanie-2018";
/// Number of legal entities created.
pub const ENTITIES: u32 = 40;

/// A demo account and its password (printed by `caqes demo`).
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub role: Role,
    pub email: String,
    pub password: String,
    pub description: String,
}

/// What the seed created.
#[derive(Clone, Debug)]
pub struct DemoRegion {
    pub accounts: Vec<DemoAccount>,
    /// The current campaign (values entered, dossiers in several states).
    pub campaign_id: CampaignId,
    pub previous_campaign_id: CampaignId,
    /// The second-generation campaign (evaluation 2023 on `exemple-regional-2022`).
    pub generation2_campaign_id: CampaignId,
    /// The établissement user's legal entity (multi-site) and another entity of the region.
    pub own_entity: Finess,
    pub other_entity: Finess,
}

/// A valid FINESS number from an 8-digit body (the first key digit that validates).
pub fn finess_from(body: u32) -> DemoResult<Finess> {
    let body = format!("{body:08}");
    (0..10)
        .find_map(|k| Finess::parse(&format!("{body}{k}")).ok())
        .ok_or_else(|| DemoError::Invalid(format!("aucune clé FINESS pour {body}")))
}

/// A plausible name prefix for each category.
fn name_prefix(category: Category) -> &'static str {
    match category {
        Category::McoPublicEspic => "Centre hospitalier de Castelnau",
        Category::McoPrive => "Polyclinique des Pyrénées",
        Category::SsrPublicEspic => "Centre de soins de suite du Lauragais",
        Category::SsrPrive => "Clinique de rééducation du Pic",
        Category::PsyPublicEspic => "Centre hospitalier spécialisé de la Garonne",
        Category::PsyPrive => "Clinique psychiatrique des Cèdres",
        Category::Had => "HAD Occitanie Sud",
        Category::HadSansPui => "HAD des Causses",
        Category::Dialyse => "Centre de dialyse de l'Aude",
        Category::Usld => "Unité de soins de longue durée du Minervois",
    }
}

fn entities() -> DemoResult<Vec<NewEntity>> {
    let mut out = Vec::new();
    for n in 0..ENTITIES {
        let category = Category::ALL[(n as usize) % Category::ALL.len()];
        let finess = finess_from(31_000_100 + n * 10)?;
        let name = if n == 0 {
            "Centre hospitalier universitaire de Tolosa".to_owned()
        } else {
            format!("{} {}", name_prefix(category), n / 9 + 1)
        };
        // The first entity is the multi-site one: three geographic sites.
        let site_count = if n == 0 { 3 } else { 1 };
        let sites = (0..site_count)
            .map(|i| {
                Ok(Site {
                    finess: finess_from(31_500_100 + n * 10 + i)?,
                    entity: finess,
                    name: if site_count == 1 {
                        name.clone()
                    } else {
                        format!("Site {}", ["Purpan", "Rangueil", "Larrey"][i as usize])
                    },
                })
            })
            .collect::<DemoResult<Vec<_>>>()?;
        out.push(NewEntity {
            entity: LegalEntity {
                finess,
                region: REGION,
                name,
                category,
            },
            sites,
        });
    }
    Ok(out)
}

/// A plausible value for an indicator (or one of its classes, `III-02/EPO`), varying with
/// the entity and the site, parsed once with the campaign's grid (as the form would).
fn value_for(
    r: &Referentiel,
    code: &str,
    salt: u32,
    site: Finess,
    year: i16,
) -> Result<Option<StoredValue>, DemoError> {
    let Some(ind) = r
        .line_of(code)
        .and_then(|n| r.line_at(n))
        .map(|l| l.indicator)
    else {
        return Ok(None);
    };
    let denominator = 200 + (salt * 37) % 800;
    let (numerator, denominator, value) = match ind.kind {
        Kind::Proportion => {
            let pct = 40 + (salt * 13) % 55;
            (Some(denominator * pct / 100), Some(denominator), None)
        }
        Kind::Growth => (Some(100_000 + salt * 1_234), Some(100_000), None),
        Kind::Ratio => (Some(denominator / 3), Some(denominator), None),
        Kind::YesNo | Kind::Document => (
            None,
            None,
            Some(if salt.is_multiple_of(4) { "NON" } else { "OUI" }),
        ),
        Kind::TriState => (
            None,
            None,
            Some(["OUI", "EN_COURS", "NON"][(salt % 3) as usize]),
        ),
    };
    let (numerator, denominator) = (
        numerator.map(|n| n.to_string()),
        denominator.map(|d| d.to_string()),
    );
    // Every demo value is one the grid reads: one it refused is a defect of the demo.
    StoredValue::typed_text(
        site,
        year,
        code,
        numerator.as_deref(),
        denominator.as_deref(),
        value,
    )
    .parsed(ind, year <= r.baseline_year, false)
    .map(Some)
    .map_err(|e| DemoError::Invalid(format!("valeur de démonstration {code} : {}", e.message)))
}

/// One demo account to create.
struct AccountSpec<'a> {
    role: Role,
    email: &'a str,
    password: String,
    name: &'a str,
    entity: Option<Finess>,
    description: &'a str,
}

async fn account(
    store: &Store,
    sys: &Actor,
    spec: AccountSpec<'_>,
) -> DemoResult<(User, DemoAccount)> {
    let user = store
        .create_user(
            sys,
            &NewUser {
                email: spec.email.parse()?,
                display_name: spec.name.into(),
                role: spec.role,
                region: (spec.role != Role::Admin).then_some(REGION),
                entity: spec.entity,
                password_hash: hash_password(&spec.password)?,
            },
        )
        .await?;
    let demo = DemoAccount {
        role: spec.role,
        email: spec.email.into(),
        password: spec.password,
        description: spec.description.into(),
    };
    Ok((user, demo))
}

/// Seeds an empty database with the demo region. Passwords are given (tests)
/// or generated (`caqes demo`) by `password_for`.
pub async fn seed(store: &Store, password_for: impl Fn(Role) -> String) -> DemoResult<DemoRegion> {
    let sys = Actor::system("initialisation de la démonstration");
    let referentiel = builtin_by_id(REFERENTIEL)
        .ok_or_else(|| DemoError::Invalid(format!("référentiel {REFERENTIEL} absent")))?;
    store
        .create_region(
            &sys,
            &Region {
                code: REGION,
                name: "Occitanie (démonstration)".into(),
            },
        )
        .await?;
    let entities = entities()?;
    store.import_entities(&sys, &entities).await?;
    // AM revenue of the last closed year (basis of the sanction): a plausible
    // size per category, varying by entity; the CHU is the largest.
    for (n, e) in entities.iter().enumerate() {
        let millions: i64 = match e.entity.category {
            _ if n == 0 => 850,
            Category::McoPublicEspic => 120,
            Category::McoPrive => 45,
            Category::PsyPublicEspic => 60,
            _ => 18,
        };
        let revenue = Decimal::from(millions * 1_000_000 + (n as i64 % 7) * 1_250_000);
        store
            .set_am_revenue(&sys, &e.entity, caqes_core::Euros(revenue))
            .await?;
    }
    crate::am::seed(store, &sys, &entities).await?;
    let own = entities[0].entity.clone();
    let other = entities[1].entity.clone();

    let mut accounts = Vec::new();
    let (etab, a) = account(
        store,
        &sys,
        AccountSpec {
            role: Role::Etablissement,
            email: "etablissement@demo.caqes.fr",
            password: password_for(Role::Etablissement),
            name: "Directrice qualité — CHU de Tolosa",
            entity: Some(own.finess),
            description: "entité multi-sites, campagne en cours en brouillon",
        },
    )
    .await?;
    accounts.push(a);
    let (ars, a) = account(
        store,
        &sys,
        AccountSpec {
            role: Role::Ars,
            email: "ars@demo.caqes.fr",
            password: password_for(Role::Ars),
            name: "Référent CAQES — ARS",
            entity: None,
            description: "campagnes, imports, contrats, cibles, ciblage, revue, évaluation, décisions, journal",
        },
    )
    .await?;
    accounts.push(a);
    let (_, a) = account(
        store,
        &sys,
        AccountSpec {
            role: Role::AssuranceMaladie,
            email: "assurance-maladie@demo.caqes.fr",
            password: password_for(Role::AssuranceMaladie),
            name: "Assurance Maladie — DCGDR",
            entity: None,
            description: "données AM (PHEV, produits AM, liste en sus, transports), avis sur les sanctions",
        },
    )
    .await?;
    accounts.push(a);
    let (_, a) = account(
        store,
        &sys,
        AccountSpec {
            role: Role::Omedit,
            email: "omedit@demo.caqes.fr",
            password: password_for(Role::Omedit),
            name: "OMEDIT Occitanie",
            entity: None,
            description: "lecture de la région, commentaires des dossiers",
        },
    )
    .await?;
    accounts.push(a);
    let (_, a) = account(
        store,
        &sys,
        AccountSpec {
            role: Role::Admin,
            email: "admin@demo.caqes.fr",
            password: password_for(Role::Admin),
            name: "Administrateur",
            entity: None,
            description: "comptes et référentiels",
        },
    )
    .await?;
    accounts.push(a);

    let date = |s: &str| {
        s.parse::<jiff::civil::Date>()
            .map_err(refused("date de démonstration"))
    };
    let today = caqes_store::today();
    let previous = store
        .create_campaign(
            &Actor::user(&ars),
            &NewCampaign {
                region: REGION,
                year: 2018,
                referentiel_id: REFERENTIEL.into(),
                title: "Campagne CAQES 2019 (données 2018)".into(),
                submission_deadline: date("2019-03-31")?,
                evaluation_deadline: date("2019-06-30")?,
            },
        )
        .await?;
    let current = store
        .create_campaign(
            &Actor::user(&ars),
            &NewCampaign {
                region: REGION,
                year: 2019,
                referentiel_id: REFERENTIEL.into(),
                title: "Campagne CAQES 2020 (données 2019)".into(),
                submission_deadline: today
                    .checked_add(jiff::Span::new().days(30))
                    .map_err(refused("date limite de dépôt"))?,
                evaluation_deadline: today
                    .checked_add(jiff::Span::new().days(90))
                    .map_err(refused("date limite d'évaluation"))?,
            },
        )
        .await?;

    // Each entity's own user writes its values; here the system does it for them.
    for (i, e) in entities.iter().enumerate() {
        let salt = i as u32 + 1;
        for (campaign, year) in [(&previous, 2018_i16), (&current, 2019_i16)] {
            // In the current campaign, the établissement user's entity starts with a partial draft.
            let skip_from = if campaign.id == current.id && i == 0 {
                referentiel.indicators.len() / 2
            } else {
                usize::MAX
            };
            let mut values = Vec::new();
            for (k, ind) in referentiel.indicators.iter().enumerate() {
                if k >= skip_from || ind.applicability(e.entity.category) == Applicability::Nc {
                    continue;
                }
                // An indicator computed per class (D5) is given class by class.
                let codes: Vec<&str> = if ind.classes.is_empty() {
                    vec![ind.code.as_str()]
                } else {
                    ind.classes.iter().map(|c| c.line_code.as_str()).collect()
                };
                for (c, code) in codes.into_iter().enumerate() {
                    for (j, s) in e.sites.iter().enumerate() {
                        let year_salt = salt
                            + k as u32 * 7
                            + j as u32 * 3
                            + c as u32 * 11
                            + if year == 2019 { 5 } else { 0 };
                        values.extend(value_for(&referentiel, code, year_salt, s.finess, year)?);
                    }
                }
            }
            store
                .save_values(&sys, campaign, &e.entity, &values)
                .await?;
            let targets: BTreeMap<String, Decimal> = referentiel
                .indicators
                .iter()
                .filter(|ind| {
                    ind.kind == Kind::Proportion
                        && ind.applicability(e.entity.category) == Applicability::Concerned
                })
                .map(|ind| (ind.code.clone(), Decimal::from(50 + (salt % 5) * 5)))
                .collect();
            store.set_targets(&sys, &e.entity, year, &targets).await?;
        }
    }

    // Move dossiers along the workflow so every state of the slice is visible.
    let etab_users =
        users_for_entities(store, &sys, &entities, &password_for(Role::Etablissement)).await?;
    crate::contracts::seed(store, &ars, &etab, &etab_users).await?;
    for (i, e) in entities.iter().enumerate().skip(1) {
        let owner = &etab_users[i - 1];
        // Previous campaign: every dossier evaluated.
        advance(
            store,
            owner,
            &ars,
            &previous.id,
            &e.entity,
            &referentiel,
            &[
                Action::Soumettre,
                Action::PrendreEnRevue,
                Action::Valider,
                Action::Evaluer,
            ],
        )
        .await?;
        // Current campaign: a spread of states.
        let steps: &[Action] = match i % 4 {
            0 => &[],
            1 => &[Action::Soumettre],
            2 => &[Action::Soumettre, Action::PrendreEnRevue],
            _ => &[Action::Soumettre, Action::PrendreEnRevue, Action::Valider],
        };
        advance(
            store,
            owner,
            &ars,
            &current.id,
            &e.entity,
            &referentiel,
            steps,
        )
        .await?;
    }
    advance(
        store,
        &etab,
        &ars,
        &previous.id,
        &own,
        &referentiel,
        &[
            Action::Soumettre,
            Action::PrendreEnRevue,
            Action::Valider,
            Action::Evaluer,
        ],
    )
    .await?;

    crate::engagements::seed(store, &etab, &ars, &own, &current.id, REFERENTIEL).await?;
    crate::targeting::seed(store, &entities, current.year).await?;
    crate::phev::seed(store, &sys, &current, &entities).await?;
    crate::targeting::seed_decided_volet(store, &entities, &ars, &previous).await?;
    crate::volets::seed_decided(store, &entities, &ars, &previous).await?;
    let generation2_campaign_id =
        crate::generation2::seed(store, &sys, &ars, &etab, &etab_users, &entities).await?;
    // The seeded history stays in the notification lists, but its e-mails
    // never go out: only what happens once the demonstration runs is e-mailed.
    store.discard_unsent_mail(&sys).await?;

    Ok(DemoRegion {
        accounts,
        campaign_id: current.id,
        previous_campaign_id: previous.id,
        generation2_campaign_id,
        own_entity: own.finess,
        other_entity: other.finess,
    })
}

/// One établissement account per other entity (so that each transition has its real author).
async fn users_for_entities(
    store: &Store,
    sys: &Actor,
    entities: &[NewEntity],
    password: &str,
) -> DemoResult<Vec<User>> {
    let hash = hash_password(password)?;
    let mut out = Vec::new();
    for e in entities.iter().skip(1) {
        out.push(
            store
                .create_user(
                    sys,
                    &NewUser {
                        email: format!("etablissement-{}@demo.caqes.fr", e.entity.finess)
                            .parse()?,
                        display_name: format!("Référent qualité — {}", e.entity.name),
                        role: Role::Etablissement,
                        region: Some(REGION),
                        entity: Some(e.entity.finess),
                        password_hash: hash.clone(),
                    },
                )
                .await?,
        );
    }
    Ok(out)
}

async fn advance(
    store: &Store,
    owner: &User,
    ars: &User,
    campaign_id: &CampaignId,
    entity: &LegalEntity,
    referentiel: &Referentiel,
    steps: &[Action],
) -> DemoResult<()> {
    let campaign = store
        .campaign(campaign_id)
        .await?
        .ok_or(DemoError::Missing)?;
    for action in steps {
        let sub = store
            .submission(campaign_id, &entity.finess)
            .await?
            .ok_or(DemoError::Missing)?;
        let user = if action.role() == Role::Etablissement {
            owner
        } else {
            ars
        };
        let score = if *action == Action::Evaluer {
            // The platform's one path to the engine (the same as `caqes evaluate`).
            let s = store
                .evaluate_entity(referentiel, entity, campaign.year)
                .await?
                .score;
            Some(ScoreRecord {
                score: s.score,
                bonus: s.bonus,
                total: s.total,
            })
        } else {
            None
        };
        store
            .apply_action(user, &sub, &entity.region, *action, None, score)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_what_the_seed_was_making_and_its_source() {
        let err = "2019-02-30"
            .parse::<jiff::civil::Date>()
            .map_err(refused("date de démonstration"))
            .unwrap_err();
        assert_eq!(err.to_string(), "démonstration : date de démonstration");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert!(
            source.as_deref().is_some_and(|s| s.contains("2019-02")),
            "{source:?}"
        );
    }
}
