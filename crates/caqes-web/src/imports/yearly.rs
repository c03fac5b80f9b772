//! A campaign's values and targets imported by the ARS of its region
//! (`valeurs.csv`, `cibles.csv`: the engine's formats), from files or pasted
//! texts, previewed then written in one transaction.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_core::Finess;
use caqes_data::evaluation_input::{AtLine, EstablishmentRow, InputError, read_yearly_records};
use caqes_store::CampaignId;
use caqes_store::{Actor, Campaign, ImportedTarget, LegalEntity, StoredValue, User};

use crate::auth::{CurrentUser, Session};
use crate::imports::source;
use crate::imports::{
    DoneQuery, ErrorLine, ImportField, ImportPage, ImportView, PREVIEW_ROWS, Preview, Step,
    TARGETS_FILE, VALUES_FILE, ars_region, file_error, normalize_newlines, store_refusal,
};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Path, Query};
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::ui::page::Page;

/// The fields of the values import.
const YEARLY_FIELDS: [&str; 2] = ["valeurs", "cibles"];

/// Values and targets read from the files, ready to import.
pub struct ParsedYearly {
    pub values: Vec<(u64, StoredValue)>,
    /// The `motif` column of NC values, by (site, indicator).
    pub motives: caqes_store::Motives,
    pub targets: Vec<(u64, ImportedTarget)>,
}

impl ParsedYearly {
    /// The preview's rows, a value or a target each, under [`PREVIEW_HEADERS`]; the
    /// first cell places the line in what was sent (`place_value`, `place_target`:
    /// a CSV file's line, an Excel sheet's row).
    pub fn preview_rows(
        &self,
        place_value: impl Fn(u64) -> String,
        place_target: impl Fn(u64) -> String,
    ) -> Vec<Vec<String>> {
        let values = self.values.iter().map(|(line, v)| {
            vec![
                place_value(*line),
                v.site.to_string(),
                v.indicator.clone(),
                v.numerator.clone().unwrap_or_default(),
                v.denominator.clone().unwrap_or_default(),
                v.declared.clone().or(v.value.clone()).unwrap_or_default(),
            ]
        });
        let targets = self.targets.iter().map(|(line, t)| {
            vec![
                place_target(*line),
                t.entity.to_string(),
                t.indicator.clone(),
                String::new(),
                String::new(),
                format!("cible {}", crate::dossier::fr(t.target)),
            ]
        });
        values.chain(targets).collect()
    }
}

/// The columns of [`ParsedYearly::preview_rows`].
pub const PREVIEW_HEADERS: [&str; 6] = [
    "Ligne",
    "FINESS",
    "Indicateur",
    "Numérateur",
    "Dénominateur",
    "Valeur",
];

async fn campaign_of_ars(state: &AppState, user: &User, id: &CampaignId) -> AppResult<Campaign> {
    let region = ars_region(user)?;
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    if campaign.region != region {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    Ok(campaign)
}

/// Reads `valeurs.csv` (and `cibles.csv` when not blank) for the campaign:
/// the engine's checks first (`read_yearly_data`: référentiel, FINESS, value
/// rules), then the platform's: campaign year, sites of multi-site entities,
/// editable dossiers. Values of a single-site entity may name the entity or
/// its site; a multi-site entity's values must name each site (the entity's
/// value is pooled from its sites). Targets name legal entities.
pub async fn read_yearly_text(
    state: &AppState,
    campaign: &Campaign,
    values_text: &str,
    targets_text: &str,
) -> AppResult<Result<ParsedYearly, Vec<InputError>>> {
    let (values_text, targets_text) = (
        &normalize_newlines(values_text),
        &normalize_newlines(targets_text),
    );
    let referentiel = crate::dossier::points_grid(state, campaign).await?;
    let entities = state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?;
    let mut known = Vec::new();
    let mut sites_of: HashMap<Finess, Vec<Finess>> = HashMap::new();
    let mut owner: HashMap<Finess, Finess> = HashMap::new();
    let mut by_finess: HashMap<Finess, LegalEntity> = HashMap::new();
    for e in entities {
        let sites: Vec<Finess> = state
            .store
            .sites_of(&e.finess)
            .await?
            .into_iter()
            .map(|s| s.finess)
            .collect();
        for f in std::iter::once(e.finess).chain(sites.iter().copied()) {
            known.push(EstablishmentRow {
                finess: f,
                name: e.name.clone(),
                category: e.category,
                region: e.region.to_string(),
                am_revenue: None,
            });
        }
        for s in &sites {
            owner.insert(*s, e.finess);
        }
        sites_of.insert(e.finess, sites);
        by_finess.insert(e.finess, e);
    }
    let targets_given = !targets_text.trim().is_empty();
    // The files are read once, by the engine's reader (every check of the format, the
    // grid and the known FINESS); what follows are the platform's checks of each row.
    let rows = match read_yearly_records(
        &referentiel,
        &known,
        (VALUES_FILE, values_text),
        targets_given.then_some((TARGETS_FILE, targets_text)),
    ) {
        Ok(rows) => rows,
        Err(e) => return Ok(Err(vec![e])),
    };
    let mut errors = Vec::new();
    let mut values = Vec::new();
    let mut motives = caqes_store::Motives::new();
    let mut editable: HashMap<Finess, Option<String>> = HashMap::new();
    // A line of another year than the campaign's is refused in both files.
    let other_year = |year: i16| {
        (year != campaign.year).then(|| {
            format!(
                "année {year} : la campagne porte sur l'année {}",
                campaign.year
            )
        })
    };
    for AtLine { line, row: f } in &rows.values {
        let err = |column: &str, message: String| {
            file_error(VALUES_FILE, Some(*line), Some(column), message)
        };
        if let Some(why) = other_year(f.year) {
            errors.push(err("annee", why));
            continue;
        }
        let finess = f.finess;
        // The site receiving the value and its legal entity.
        let (site, entity) = match sites_of.get(&finess) {
            Some(sites) if sites.len() == 1 => (sites[0], finess),
            Some(sites) if sites.contains(&finess) => (finess, finess),
            Some(sites) => {
                errors.push(err(
                    "finess",
                    format!(
                        "l'entité juridique {finess} a {} sites : donner une ligne par FINESS géographique ({})",
                        sites.len(),
                        sites.iter().map(Finess::to_string).collect::<Vec<_>>().join(", ")
                    ),
                ));
                continue;
            }
            None => match owner.get(&finess) {
                Some(e) => (finess, *e),
                None => continue,
            },
        };
        let multi = sites_of.get(&entity).is_some_and(|s| s.len() > 1);
        let code = f.code.as_str();
        // An indicator, or one of its classes (`III-02/EPO`, D5), read with its indicator.
        let Some(indicator) = referentiel
            .line_of(code)
            .and_then(|n| referentiel.line_at(n))
            .map(|l| l.indicator)
        else {
            continue;
        };
        fn opt(text: &str) -> Option<&str> {
            Some(text).filter(|v| !v.is_empty())
        }
        // Parsed here with the site's rule (a site of a multi-site entity gives its
        // components): the store keeps the typed value and the text as typed.
        let value = StoredValue::typed_text(
            site,
            campaign.year,
            code,
            opt(&f.numerator),
            opt(&f.denominator),
            opt(&f.value),
        )
        .parsed(indicator, campaign.year <= referentiel.baseline_year, multi);
        let value = match value {
            Ok(v) if !v.is_empty() => v,
            Ok(_) => {
                errors.push(err(
                    "valeur",
                    format!(
                        "{code} : aucune valeur : renseigner le numérateur et le dénominateur, ou la valeur"
                    ),
                ));
                continue;
            }
            Err(e) => {
                errors.push(err(e.field.column(), format!("{code} : {}", e.message)));
                continue;
            }
        };
        let refusal = match editable.get(&entity) {
            Some(r) => r.clone(),
            None => {
                let sub = state.store.submission(&campaign.id, &entity).await?;
                let r = match sub {
                    None => Some("n'a pas de dossier dans cette campagne".to_owned()),
                    Some(sub) if !sub.state.is_editable() => Some(format!(
                        "a un dossier à l'état « {} » : ses valeurs ne peuvent plus être modifiées",
                        sub.state.label()
                    )),
                    Some(_) => None,
                };
                editable.insert(entity, r.clone());
                r
            }
        };
        if let Some(why) = refusal {
            let name = by_finess.get(&entity).map_or("", |e| e.name.as_str());
            errors.push(err("finess", format!("{name} ({entity}) {why}")));
            continue;
        }
        if value.declared.as_deref() == Some("NC")
            && let Some(m) = opt(&f.motive)
        {
            motives.insert((site, code.to_owned()), m.to_owned());
        }
        values.push((*line, value));
    }
    let mut targets = Vec::new();
    for AtLine { line, row: f } in &rows.targets {
        let err = |column: &str, message: String| {
            file_error(TARGETS_FILE, Some(*line), Some(column), message)
        };
        if let Some(why) = other_year(f.year) {
            errors.push(err("annee", why));
            continue;
        }
        let finess = f.finess;
        let entity = if sites_of.contains_key(&finess) {
            finess
        } else if let Some(e) = owner.get(&finess) {
            if sites_of.get(e).is_some_and(|s| s.len() > 1) {
                errors.push(err(
                    "finess",
                    format!(
                        "la cible se donne pour l'entité juridique {e}, pas pour son site {finess}"
                    ),
                ));
                continue;
            }
            *e
        } else {
            continue;
        };
        targets.push((
            *line,
            ImportedTarget {
                entity,
                indicator: f.code.clone(),
                target: f.target,
            },
        ));
    }
    Ok(if errors.is_empty() {
        Ok(ParsedYearly {
            values,
            motives,
            targets,
        })
    } else {
        Err(errors)
    })
}

fn yearly_view(campaign: &Campaign, values: String, targets: String) -> ImportView {
    ImportView {
        heading: format!("Importer des valeurs et des cibles — {}", campaign.title),
        intro: "Coller le contenu de « valeurs.csv » (finess;indicateur;annee;numerateur;denominateur;valeur) \
                et, si besoin, de « cibles.csv » (finess;indicateur;annee;cible). Une entité à un seul site peut être \
                désignée par son FINESS juridique ; une entité à plusieurs sites donne une ligne par FINESS géographique. \
                Les dossiers déjà soumis ou évalués sont refusés. Rien n'est enregistré avant la confirmation.",
        back_link: format!("/campagnes/{}", campaign.id),
        back_label: campaign.title.clone(),
        base: format!("/campagnes/{}/imports", campaign.id),
        fields: vec![
            ImportField {
                name: "valeurs",
                label: "Valeurs (valeurs.csv)",
                hint: "Année : celle de la campagne. NC / NM dans la colonne « valeur ».",
                content: values,
            },
            ImportField {
                name: "cibles",
                label: "Cibles (cibles.csv, facultatif)",
                hint: "Une cible par entité juridique et indicateur, dans l'unité de l'indicateur.",
                content: targets,
            },
        ],
        errors: Vec::new(),
        done: None,
        preview: None,
        token: None,
        options: Vec::new(),
    }
}

pub async fn yearly_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    let mut view = yearly_view(&campaign, String::new(), String::new());
    if let (Some(v), Some(c)) = (q.valeurs, q.cibles) {
        view.done = Some(format!(
            "Import enregistré : {v} valeur(s) et {c} cible(s)."
        ));
    }
    Ok(ImportPage::new(&s, view).response())
}

pub async fn yearly_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    yearly_step(&state, &s, &campaign_id, &form, Step::Preview).await
}

pub async fn yearly_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    yearly_step(&state, &s, &campaign_id, &form, Step::Confirm).await
}

/// One step of the values import: the texts (files, pastes or deposit) read
/// and checked in full, then shown or written.
async fn yearly_step(
    state: &AppState,
    s: &Session,
    campaign_id: &CampaignId,
    form: &UploadForm,
    step: Step,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(state, &s.user, campaign_id).await?;
    let page = format!("/campagnes/{}/imports", campaign.id);
    let source = match source::read(state, &s.user.id, &page, form, &YEARLY_FIELDS).await? {
        Ok(source) => source,
        Err(message) => {
            let mut view = yearly_view(&campaign, String::new(), String::new());
            view.errors = vec![ErrorLine::from(&file_error(
                "formulaire",
                None,
                None,
                message,
            ))];
            return Ok(ImportPage::new(s, view).invalid());
        }
    };
    let (values_text, targets_text) = (&source.texts[0], &source.texts[1]);
    let mut view = if source.from_file {
        yearly_view(&campaign, String::new(), String::new())
    } else {
        yearly_view(&campaign, values_text.clone(), targets_text.clone())
    };
    let parsed = match read_yearly_text(state, &campaign, values_text, targets_text).await? {
        Ok(p) => p,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return Ok(ImportPage::new(s, view).invalid());
        }
    };
    if step == Step::Confirm {
        let parsed_motives = parsed.motives;
        let values: Vec<StoredValue> = parsed.values.into_iter().map(|(_, v)| v).collect();
        let targets: Vec<ImportedTarget> = parsed.targets.into_iter().map(|(_, t)| t).collect();
        let files = if targets.is_empty() {
            VALUES_FILE.to_owned()
        } else {
            format!("{VALUES_FILE}, {TARGETS_FILE}")
        };
        return match state
            .store
            .import_yearly_with_motives(
                &Actor::user(&s.user),
                &campaign,
                &files,
                &values,
                &parsed_motives,
                &targets,
            )
            .await
        {
            Ok(n) => {
                source::forget(state, &source);
                Ok(
                    Redirect::to(&format!("{page}?valeurs={}&cibles={}", n.values, n.targets))
                        .into_response(),
                )
            }
            Err(e) => {
                view.errors = vec![ErrorLine::from(&store_refusal(&files, e)?)];
                Ok(ImportPage::new(s, view).invalid())
            }
        };
    }
    view.token = source::keep(state, &s.user.id, &page, &YEARLY_FIELDS, &source).await?;
    let rows = parsed.preview_rows(
        |line| format!("{VALUES_FILE}:{line}"),
        |line| format!("{TARGETS_FILE}:{line}"),
    );
    let entities: std::collections::BTreeSet<String> = parsed
        .values
        .iter()
        .map(|(_, v)| v.site.to_string())
        .collect();
    view.preview = Some(Preview {
        skipped_lines: Vec::new(),
        summary: vec![format!(
            "{} valeur(s) pour {} site(s) et {} cible(s) seront enregistrées pour l'année {} (les valeurs existantes des mêmes indicateurs sont remplacées).",
            parsed.values.len(),
            entities.len(),
            parsed.targets.len(),
            campaign.year
        )],
        headers: PREVIEW_HEADERS.to_vec(),
        more: rows.len().saturating_sub(PREVIEW_ROWS),
        rows: rows.into_iter().take(PREVIEW_ROWS).collect(),
    });
    Ok(ImportPage::new(s, view).response())
}
