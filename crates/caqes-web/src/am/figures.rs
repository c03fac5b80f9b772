//! AM revenue and liste en sus, per entity: the list, the form, the file import.

use caqes_core::RegionCode;
use std::collections::HashSet;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_core::{Euros, Finess};
use caqes_data::am_figures;
use caqes_data::am_figures::{parse_amount, parse_year};
use caqes_data::evaluation_input::InputError;
use caqes_store::Actor;
use caqes_store::am::AmFigures;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{AM_FILE, am_region, error_line};
use crate::auth::{CurrentUser, Session};
use crate::imports::source::Source;
use crate::imports::{ErrorLine, ImportField, ImportPage, ImportView, Preview, source};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::ui::list::{Cell, Column, ListQuery, ListRow, Listing};
use crate::ui::page::{Page, impl_page};
use crate::ui::{Layout, list};

pub struct AmRow {
    pub finess: String,
    pub name: String,
    pub category: &'static str,
    pub revenue: String,
    pub liste_en_sus: String,
    pub year: String,
    /// The amounts, for the sort.
    pub revenue_value: Option<Decimal>,
    pub liste_en_sus_value: Option<Decimal>,
}

/// The columns of the AM data list (searched, sorted, exported).
const AM_COLUMNS: [Column; 6] = [
    Column {
        key: "entite",
        label: "Entité",
    },
    Column {
        key: "finess",
        label: "FINESS juridique",
    },
    Column {
        key: "categorie",
        label: "Catégorie",
    },
    Column {
        key: "produits",
        label: "Produits AM (€)",
    },
    Column {
        key: "sus",
        label: "Liste en sus (€)",
    },
    Column {
        key: "annee",
        label: "Année",
    },
];

impl ListRow for AmRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.name),
            Cell::text(&self.finess),
            Cell::text(self.category),
            Cell::number(self.revenue_value, &self.revenue),
            Cell::number(self.liste_en_sus_value, &self.liste_en_sus),
            Cell::text(&self.year),
        ]
    }
}

#[derive(Template)]
#[template(path = "am_data.html")]
pub struct AmDataPage {
    pub layout: Layout,
    pub list: Listing<AmRow>,
    /// (id, title) of the region's campaigns, for the PHEV import links.
    pub campaigns: Vec<(String, String)>,
    pub error: Option<String>,
    pub done: Option<String>,
}

impl_page!(AmDataPage);

fn amount_text(e: Option<Euros>) -> String {
    e.map(|e| e.amount().to_string().replace('.', ","))
        .unwrap_or_default()
}

async fn am_page(
    state: &AppState,
    s: &Session,
    region: &RegionCode,
    error: Option<String>,
    done: Option<String>,
    query: &ListQuery,
) -> AppResult<AmDataPage> {
    let mut rows = Vec::new();
    for e in state.store.legal_entities_in_region(region).await? {
        let f = state.store.am_figures(&e.finess).await?;
        rows.push(AmRow {
            finess: e.finess.to_string(),
            name: e.name.clone(),
            category: e.category.label(),
            revenue: amount_text(f.am_revenue),
            liste_en_sus: amount_text(f.liste_en_sus),
            year: f.year.map(|y| y.to_string()).unwrap_or_default(),
            revenue_value: f.am_revenue.map(|e| e.amount()),
            liste_en_sus_value: f.liste_en_sus.map(|e| e.amount()),
        });
    }
    let list = list::apply(rows, &AM_COLUMNS, query, "/donnees-am", &[], None);
    // The PHEV import feeds first-generation campaigns only.
    let mut campaigns = Vec::new();
    for c in state.store.campaigns_in_region(region).await? {
        if state.store.ensure_points_campaign(&c).await.is_ok() {
            campaigns.push((c.id.to_string(), c.title));
        }
    }
    Ok(AmDataPage {
        campaigns,
        layout: Layout::for_user(
            "Données de l'Assurance Maladie par entité",
            &s.user,
            &s.csrf,
        ),
        list,
        error,
        done,
    })
}

#[derive(Deserialize)]
pub struct AmDone {
    enregistre: Option<String>,
    lignes: Option<String>,
    #[serde(flatten)]
    list: ListQuery,
}

pub async fn am_data_show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Query(q): Query<AmDone>,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let done = q
        .enregistre
        .map(|f| format!("Données de l'entité {f} enregistrées."))
        .or(q
            .lignes
            .and_then(|n| n.trim().parse::<usize>().ok())
            .map(|n| format!("Import enregistré : {n} entité(s).")));
    let page = am_page(&state, &s, &region, None, done, &q.list).await?;
    if q.list.wants_csv() {
        return Ok(list::csv_response(
            "donnees-am.csv",
            &AM_COLUMNS,
            &page.list,
        ));
    }
    Ok(page.into_response())
}

#[derive(Deserialize)]
pub struct AmForm {
    #[serde(default)]
    produits_am: String,
    #[serde(default)]
    liste_en_sus: String,
    #[serde(default)]
    annee: String,
}

pub async fn am_data_save(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(finess): Path<Finess>,
    Form(input): Form<AmForm>,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let entity = state
        .store
        .legal_entity(&finess)
        .await?
        .filter(|e| e.region == region)
        .ok_or(AppError::NotFound)?;
    let parsed = (|| {
        Ok::<_, String>(AmFigures {
            entity: entity.finess,
            am_revenue: parse_amount(&input.produits_am)
                .map_err(|m| format!("Produits versés par l'assurance maladie : {m}"))?,
            liste_en_sus: parse_amount(&input.liste_en_sus)
                .map_err(|m| format!("Liste en sus : {m}"))?,
            year: parse_year(&input.annee).map_err(|m| format!("Année : {m}"))?,
        })
    })();
    let figures = match parsed {
        Ok(f) => f,
        Err(m) => {
            let page = am_page(
                &state,
                &s,
                &region,
                Some(format!("{} ({}) : {m}", entity.name, entity.finess)),
                None,
                &ListQuery::default(),
            )
            .await?;
            return Ok(page.invalid());
        }
    };
    state
        .store
        .set_am_figures(&Actor::user(&s.user), &region, &[figures])
        .await?;
    Ok(Redirect::to(&format!("/donnees-am?enregistre={}", entity.finess)).into_response())
}

/// The AM figures import page (deposits are kept per page).
const AM_IMPORT_PAGE: &str = "/donnees-am/import";

/// The import's text (file, paste or the preview's deposit) and its page,
/// or the page answering that the deposit is gone.
async fn am_import_source(
    state: &AppState,
    s: &Session,
    form: &UploadForm,
) -> AppResult<Result<(Source, ImportView), Response>> {
    match source::read(state, &s.user.id, AM_IMPORT_PAGE, form, &["contenu"]).await? {
        Ok(source) => {
            let shown = if source.from_file {
                String::new()
            } else {
                source.texts[0].clone()
            };
            Ok(Ok((source, am_import_view(shown))))
        }
        Err(message) => {
            let mut view = am_import_view(String::new());
            view.errors = vec![error_line("formulaire", message)];
            Ok(Err(ImportPage::new(s, view).invalid()))
        }
    }
}

fn am_import_view(content: String) -> ImportView {
    ImportView {
        heading: "Importer les données de l'Assurance Maladie".into(),
        intro: "Coller un fichier CSV « finess;produits_am;liste_en_sus;annee » (séparateur « ; », décimales à la virgule \
                ou au point, au plus deux décimales ; une cellule vide garde la valeur enregistrée). Une ligne par entité \
                juridique de la région. Rien n'est enregistré avant la confirmation, et rien du tout si une ligne est fausse.",
        back_link: "/donnees-am".into(),
        back_label: "Données de l'Assurance Maladie".into(),
        base: AM_IMPORT_PAGE.into(),
        fields: vec![ImportField {
            name: "contenu",
            label: "Contenu du fichier donnees_am.csv",
            hint: "En-tête obligatoire : finess;produits_am;liste_en_sus;annee",
            content,
        }],
        errors: Vec::new(),
        done: None,
        preview: None,
        token: None,
        options: Vec::new(),
    }
}

/// Reads the AM figures' file against the region's legal entities
/// (`caqes_data::am_figures`), into the store's rows.
/// The upload of the AM figures read and checked in full, for the preview and
/// again for the confirmation: its source, the page and the rows; or the page
/// that says what is wrong.
async fn am_import_checked(
    state: &AppState,
    s: &Session,
    region: &RegionCode,
    form: &UploadForm,
) -> AppResult<Result<(Source, ImportView, Vec<(u64, AmFigures)>), Response>> {
    let (source, mut view) = match am_import_source(state, s, form).await? {
        Ok(x) => x,
        Err(page) => return Ok(Err(page)),
    };
    match read_am_text(state, region, &source.texts[0]).await? {
        Ok(rows) => Ok(Ok((source, view, rows))),
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            Ok(Err(ImportPage::new(s, view).invalid()))
        }
    }
}

async fn read_am_text(
    state: &AppState,
    region: &RegionCode,
    text: &str,
) -> AppResult<Result<Vec<(u64, AmFigures)>, Vec<InputError>>> {
    let legal: HashSet<Finess> = state
        .store
        .legal_entities_in_region(region)
        .await?
        .into_iter()
        .map(|e| e.finess)
        .collect();
    Ok(am_figures::read(text, |f| legal.contains(f)).map(|rows| {
        rows.into_iter()
            .map(|(line, r)| {
                let figures = AmFigures {
                    entity: r.entity,
                    am_revenue: r.am_revenue,
                    liste_en_sus: r.liste_en_sus,
                    year: r.year,
                };
                (line, figures)
            })
            .collect()
    }))
}

pub async fn am_import_form(CurrentUser(s): CurrentUser) -> AppResult<Response> {
    am_region(&s.user)?;
    Ok(ImportPage::new(&s, am_import_view(String::new())).response())
}

pub async fn am_import_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    form: UploadForm,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let (source, mut view, rows) = match am_import_checked(&state, &s, &region, &form).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let shown: Vec<Vec<String>> = rows
        .iter()
        .map(|(n, f)| {
            vec![
                format!("{AM_FILE}:{n}"),
                f.entity.to_string(),
                f.am_revenue
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "inchangé".into()),
                f.liste_en_sus
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "inchangé".into()),
                f.year
                    .map(|y| y.to_string())
                    .unwrap_or_else(|| "inchangée".into()),
            ]
        })
        .collect();
    view.preview = Some(Preview {
        skipped_lines: Vec::new(),
        summary: vec![format!(
            "{} entité(s) juridique(s) seront mises à jour.",
            rows.len()
        )],
        headers: vec![
            "Ligne",
            "FINESS juridique",
            "Produits AM",
            "Liste en sus",
            "Année",
        ],
        more: 0,
        rows: shown,
    });
    view.token = source::keep(&state, &s.user.id, AM_IMPORT_PAGE, &["contenu"], &source).await?;
    Ok(ImportPage::new(&s, view).response())
}

pub async fn am_import_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    form: UploadForm,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    // Checked again in full: the text came back from the browser or the deposit.
    let (source, mut view, rows) = match am_import_checked(&state, &s, &region, &form).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let figures: Vec<AmFigures> = rows.into_iter().map(|(_, f)| f).collect();
    match state
        .store
        .set_am_figures(&Actor::user(&s.user), &region, &figures)
        .await
    {
        Ok(n) => {
            source::forget(&state, &source);
            Ok(Redirect::to(&format!("/donnees-am?lignes={n}")).into_response())
        }
        Err(caqes_store::StoreError::Conflict(c)) => {
            view.errors = vec![error_line(AM_FILE, c.to_string())];
            Ok(ImportPage::new(&s, view).invalid())
        }
        Err(e) => Err(e.into()),
    }
}
