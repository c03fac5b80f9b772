//! Imports for the ARS of a region: establishments (our CSV format or the
//! public FINESS extract, here) and a campaign's values and targets (engine
//! CSV formats, [`yearly`]). Two steps: « Aperçu » checks the file and shows what will be
//! written (or a French error report naming file, line and column), then
//! « Confirmer l'import » sends the same text again, which is checked again
//! in full and written in ONE transaction with its audit line.
//!
//! A file is chosen (streamed to the private data directory, 32 Mo at most:
//! see [`crate::request::upload`]) or its text pasted (2 Mo). A file checked
//! by the preview is kept as a deposit whose token the confirmation sends
//! back ([`source`]); a pasted text comes back in a hidden field.

pub mod source;
pub mod xlsx;
pub mod yearly;

use caqes_core::RegionCode;
use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_core::Finess;
use caqes_data::evaluation_input::{AtLine, InputError, read_establishment_records};
use caqes_store::{Actor, EntityChange, LegalEntity, NewEntity, Role, Site, StoreError, User};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Query;
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::ui::Layout;
use crate::ui::page::{Page, impl_page};

/// Name given in error reports to the pasted establishments file.
pub const ESTABLISHMENTS_FILE: &str = "etablissements.csv";
/// Name given in error reports to a pasted FINESS extract.
pub const FINESS_FILE: &str = "extrait FINESS";
pub const VALUES_FILE: &str = "valeurs.csv";
pub const TARGETS_FILE: &str = "cibles.csv";

/// How many rows the preview shows.
pub(crate) const PREVIEW_ROWS: usize = 20;

pub struct ImportField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub content: String,
}

pub struct ErrorLine {
    pub file: String,
    pub line: String,
    pub column: String,
    pub message: String,
}

impl From<&InputError> for ErrorLine {
    fn from(e: &InputError) -> Self {
        ErrorLine {
            file: e.file.clone(),
            line: e.line.map(|l| l.to_string()).unwrap_or_default(),
            column: e.column.clone().unwrap_or_default(),
            message: e.message.clone(),
        }
    }
}

pub struct Preview {
    /// Lines of the file left out at the user's request, each listed
    /// (line, FINESS, name, FINESS category).
    pub skipped_lines: Vec<Vec<String>>,
    pub summary: Vec<String>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Rows not shown.
    pub more: usize,
}

pub struct ImportView {
    pub heading: String,
    pub intro: &'static str,
    pub back_link: String,
    pub back_label: String,
    /// `…/apercu` and `…/confirmer` are under this path.
    pub base: String,
    pub fields: Vec<ImportField>,
    pub errors: Vec<ErrorLine>,
    pub done: Option<String>,
    pub preview: Option<Preview>,
    /// The deposit of an uploaded file checked by the preview: the
    /// confirmation sends it back instead of the file's text.
    pub token: Option<String>,
    /// Check boxes of the import, sent again with the confirmation.
    pub options: Vec<ImportOption>,
}

/// A check box of an import page.
pub struct ImportOption {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub view: ImportView,
}

impl_page!(ImportPage);

impl ImportPage {
    /// The import page of `view`, titled by its heading, for the session's user.
    pub fn new(session: &Session, view: ImportView) -> ImportPage {
        let layout = Layout::for_user(&view.heading, &session.user, &session.csrf);
        ImportPage { layout, view }
    }
}

pub(crate) fn ars_region(user: &User) -> AppResult<RegionCode> {
    match (user.role, user.region) {
        (Role::Ars, Some(r)) => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

pub(crate) fn file_error(
    file: &str,
    line: Option<u64>,
    column: Option<&str>,
    message: String,
) -> InputError {
    InputError {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        message,
    }
}

/// A store refusal found only at write time (another import in between) is
/// reported like a file error, so the user sees it on the same page.
pub(crate) fn store_refusal(file: &str, e: StoreError) -> AppResult<InputError> {
    match e {
        StoreError::Conflict(c) => Ok(file_error(file, None, None, c.to_string())),
        other => Err(AppError::Store(other)),
    }
}

// ---------------------------------------------------------------------------
// Establishments.

use caqes_data::finess::FinessSite;
pub use caqes_data::finess::category_of_finess;

/// Establishments read from a file, ready to plan and import.
pub struct ParsedEstablishments {
    pub file: &'static str,
    pub entities: Vec<NewEntity>,
    /// FINESS lines of other regions, skipped.
    pub skipped: usize,
    /// Lines of entities without a CAQES category, left out at the user's
    /// request (« ignorer les lignes sans catégorie CAQES »): listed in the
    /// preview, never dropped silently.
    pub without_category: Vec<FinessSite>,
}

/// The public FINESS extract read by `caqes_data::finess`, with what only
/// the platform knows: a registered entity keeps its name and category (the
/// extract only adds its new sites); an entity without a CAQES category is
/// an error, or left out when `skip_uncategorised`.
fn read_finess(
    region: &RegionCode,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
    skip_uncategorised: bool,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    let file = FINESS_FILE;
    let extract = caqes_data::finess::read_finess(file, region, text)?;
    let mut errors = Vec::new();
    let mut entities = Vec::new();
    let mut without_category = Vec::new();
    for e in extract.entities {
        let (name, category) = match (existing.get(&e.finess), e.category) {
            (Some(known), _) => (known.name.clone(), known.category),
            (None, Some(c)) => (e.name, c),
            (None, None) if skip_uncategorised => {
                without_category.extend(e.sites);
                continue;
            }
            (None, None) => {
                let unmapped = e.sites.first().map_or("", |s| s.finess_category.as_str());
                errors.push(file_error(
                    file,
                    Some(e.line),
                    Some("categetab"),
                    format!(
                        "catégorie FINESS {unmapped} sans équivalent CAQES pour l'entité juridique {} : \
                         ajouter une colonne « categorie » et y indiquer la catégorie \
                         (MCO_PUBLIC_ESPIC, MCO_PRIVE, SSR_PUBLIC_ESPIC, SSR_PRIVE, PSY_PUBLIC_ESPIC, \
                         PSY_PRIVE, HAD, HAD_SANS_PUI, DIALYSE ou USLD), ou cocher « Ignorer les lignes \
                         sans catégorie CAQES »",
                        e.finess
                    ),
                ));
                continue;
            }
        };
        let entity = e.finess;
        entities.push(NewEntity {
            entity: LegalEntity {
                finess: entity,
                region: *region,
                name,
                category,
            },
            sites: e
                .sites
                .into_iter()
                .map(|s| Site {
                    finess: s.finess,
                    entity,
                    name: s.name,
                })
                .collect(),
        });
    }
    if errors.is_empty() && entities.is_empty() {
        errors.push(file_error(
            file,
            None,
            None,
            if without_category.is_empty() {
                "aucun établissement de la région dans l'extrait".into()
            } else {
                format!(
                    "aucun établissement de la région avec une catégorie CAQES dans l'extrait \
                     ({} ligne(s) sans catégorie ignorée(s))",
                    without_category.len()
                )
            },
        ));
    }
    if errors.is_empty() {
        Ok(ParsedEstablishments {
            file,
            entities,
            skipped: extract.other_regions,
            without_category,
        })
    } else {
        Err(errors)
    }
}

/// Reads our `etablissements.csv` format. A new entity gets one site with its
/// own FINESS number (our format has no sites); a registered one keeps its sites.
fn read_own_format(
    region: &RegionCode,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    let file = ESTABLISHMENTS_FILE;
    let rows = read_establishment_records(file, text).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut entities = Vec::new();
    for AtLine { line, row } in rows {
        let line = &line;
        if *region != row.region.as_str() {
            errors.push(file_error(
                file,
                Some(*line),
                Some("region"),
                format!(
                    "région « {} » : seuls les établissements de votre région ({region}) peuvent être importés",
                    row.region
                ),
            ));
            continue;
        }
        if row.name.is_empty() {
            errors.push(file_error(
                file,
                Some(*line),
                Some("raison_sociale"),
                "valeur obligatoire manquante".into(),
            ));
            continue;
        }
        let sites = if existing.contains_key(&row.finess) {
            Vec::new()
        } else {
            vec![Site {
                finess: row.finess,
                entity: row.finess,
                name: row.name.clone(),
            }]
        };
        entities.push(NewEntity {
            entity: LegalEntity {
                finess: row.finess,
                region: *region,
                name: row.name,
                category: row.category,
            },
            sites,
        });
    }
    if errors.is_empty() {
        Ok(ParsedEstablishments {
            file,
            entities,
            skipped: 0,
            without_category: Vec::new(),
        })
    } else {
        Err(errors)
    }
}

/// Line ends as `\n` only. Browsers send a text area's lines with CRLF, and
/// the `csv` crate numbers the records of a CRLF text one line too low (the
/// record after the header is reported as line 1): without this, every line
/// of the error report would be wrong.
pub fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Reads either format, recognised by its header; every FINESS entity needs
/// a CAQES category.
pub fn read_establishment_text(
    region: &RegionCode,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    read_establishment_text_with(region, text, existing, false)
}

/// [`read_establishment_text`], leaving out the FINESS entities without a
/// CAQES category when `skip_uncategorised` (they are listed, not refused).
pub fn read_establishment_text_with(
    region: &RegionCode,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
    skip_uncategorised: bool,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    let text = &normalize_newlines(text);
    let first = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .next()
        .unwrap_or("");
    if caqes_data::finess::is_finess_header(first) {
        read_finess(region, text, existing, skip_uncategorised)
    } else {
        read_own_format(region, text, existing)
    }
}

/// The establishments import page (deposits are kept per page).
const ESTABLISHMENTS_PAGE: &str = "/imports/etablissements";
/// The check box « ignorer les lignes sans catégorie CAQES ».
const SKIP_OPTION: &str = "ignorer_sans_categorie";

#[derive(Deserialize)]
pub struct DoneQuery {
    crees: Option<usize>,
    modifies: Option<usize>,
    pub(crate) valeurs: Option<usize>,
    pub(crate) cibles: Option<usize>,
}

fn establishments_view(content: String, skip: bool) -> ImportView {
    ImportView {
        heading: "Importer des établissements".into(),
        intro: "Coller le contenu d'un fichier « finess;raison_sociale;categorie;region;produits_am » \
                ou d'un extrait du répertoire FINESS (en-tête « nofinesset;nofinessej;rs;departement_from_finess;categetab;libcategetab;… ») : \
                les lignes des autres régions de l'extrait sont ignorées. Rien n'est enregistré avant la confirmation.",
        back_link: "/".into(),
        back_label: "Accueil".into(),
        base: ESTABLISHMENTS_PAGE.into(),
        fields: vec![ImportField {
            name: "contenu",
            label: "Contenu du fichier (séparateur « ; », UTF-8)",
            hint: "Les produits AM de notre format sont vérifiés mais pas conservés.",
            content,
        }],
        errors: Vec::new(),
        done: None,
        preview: None,
        token: None,
        options: vec![ImportOption {
            name: SKIP_OPTION,
            label: "Ignorer les lignes sans catégorie CAQES",
            hint: "Extrait FINESS : les entités juridiques dont aucun site n'a de catégorie CAQES \
                   (GCS, établissements thermaux, entités ayant autorisation…) sont laissées de côté \
                   et listées dans l'aperçu, au lieu d'être refusées.",
            checked: skip,
        }],
    }
}

async fn existing_entities(
    state: &AppState,
    region: &RegionCode,
) -> AppResult<HashMap<Finess, LegalEntity>> {
    Ok(state
        .store
        .legal_entities_in_region(region)
        .await?
        .into_iter()
        .map(|e| (e.finess, e))
        .collect())
}

pub async fn establishments_form(
    CurrentUser(s): CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    ars_region(&s.user)?;
    let mut view = establishments_view(String::new(), false);
    if let (Some(c), Some(m)) = (q.crees, q.modifies) {
        view.done = Some(format!(
            "Import enregistré : {c} entité(s) créée(s), {m} mise(s) à jour."
        ));
    }
    Ok(ImportPage::new(&s, view).response())
}

pub async fn establishments_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    form: UploadForm,
) -> AppResult<Response> {
    establishments_step(&state, &s, &form, Step::Preview).await
}

pub async fn establishments_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    form: UploadForm,
) -> AppResult<Response> {
    establishments_step(&state, &s, &form, Step::Confirm).await
}

/// The two buttons of an import page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// What would be written; nothing is.
    Preview,
    /// Checked again in full (the text came back from the browser or from
    /// the deposit), then written in one transaction.
    Confirm,
}

/// One step of the establishments import: the text (file, paste or
/// deposit) read and checked in full, then shown or written.
async fn establishments_step(
    state: &AppState,
    s: &Session,
    form: &UploadForm,
    step: Step,
) -> AppResult<Response> {
    let region = ars_region(&s.user)?;
    let skip = !form.text(SKIP_OPTION).is_empty();
    let source =
        match source::read(state, &s.user.id, ESTABLISHMENTS_PAGE, form, &["contenu"]).await? {
            Ok(source) => source,
            Err(message) => {
                let mut view = establishments_view(String::new(), skip);
                view.errors = vec![ErrorLine::from(&file_error(
                    "formulaire",
                    None,
                    None,
                    message,
                ))];
                return Ok(ImportPage::new(s, view).invalid());
            }
        };
    let text = source.texts.first().map_or("", String::as_str);
    // A file's text is not echoed in the page: its deposit is.
    let mut view = establishments_view(
        if source.from_file {
            String::new()
        } else {
            text.to_owned()
        },
        skip,
    );
    let existing = existing_entities(state, &region).await?;
    let parsed = match read_establishment_text_with(&region, text, &existing, skip) {
        Ok(p) => p,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return Ok(ImportPage::new(s, view).invalid());
        }
    };
    if step == Step::Confirm {
        return match state
            .store
            .import_establishments(
                &Actor::user(&s.user),
                &region,
                parsed.file,
                &parsed.entities,
            )
            .await
        {
            Ok(plans) => {
                source::forget(state, &source);
                let count = |c: EntityChange| plans.iter().filter(|p| p.change == c).count();
                Ok(Redirect::to(&format!(
                    "{ESTABLISHMENTS_PAGE}?crees={}&modifies={}",
                    count(EntityChange::Create),
                    count(EntityChange::Update)
                ))
                .into_response())
            }
            Err(e) => {
                view.errors = vec![ErrorLine::from(&store_refusal(parsed.file, e)?)];
                Ok(ImportPage::new(s, view).invalid())
            }
        };
    }
    let plans = match state
        .store
        .plan_establishments(&region, &parsed.entities)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            view.errors = vec![ErrorLine::from(&store_refusal(parsed.file, e)?)];
            return Ok(ImportPage::new(s, view).invalid());
        }
    };
    view.token = source::keep(
        state,
        &s.user.id,
        ESTABLISHMENTS_PAGE,
        &["contenu"],
        &source,
    )
    .await?;
    let count = |c: EntityChange| plans.iter().filter(|p| p.change == c).count();
    let mut summary = vec![format!(
        "{} entité(s) juridique(s) lue(s) ({}) : {} à créer, {} à mettre à jour, {} inchangée(s) ; {} site(s) à ajouter.",
        plans.len(),
        parsed.file,
        count(EntityChange::Create),
        count(EntityChange::Update),
        count(EntityChange::Unchanged),
        plans.iter().map(|p| p.new_sites).sum::<usize>()
    )];
    if parsed.skipped > 0 {
        summary.push(format!(
            "{} ligne(s) d'autres régions ignorée(s).",
            parsed.skipped
        ));
    }
    if !parsed.without_category.is_empty() {
        let entities: std::collections::BTreeSet<Finess> =
            parsed.without_category.iter().map(|l| l.entity).collect();
        summary.push(format!(
            "{} ligne(s) sans catégorie CAQES ignorée(s) ({} entité(s) juridique(s)), listées ci-dessous.",
            parsed.without_category.len(),
            entities.len()
        ));
    }
    let rows: Vec<Vec<String>> = parsed
        .entities
        .iter()
        .zip(&plans)
        .map(|(n, p)| {
            vec![
                n.entity.finess.to_string(),
                n.entity.name.clone(),
                n.entity.category.label().to_owned(),
                n.sites.len().to_string(),
                p.change.label().to_owned(),
            ]
        })
        .collect();
    view.preview = Some(Preview {
        skipped_lines: parsed
            .without_category
            .iter()
            .map(|l| {
                vec![
                    l.line.to_string(),
                    l.finess.to_string(),
                    l.entity.to_string(),
                    l.name.clone(),
                    l.finess_category.clone(),
                ]
            })
            .collect(),
        summary,
        headers: vec![
            "FINESS juridique",
            "Raison sociale",
            "Catégorie",
            "Sites dans le fichier",
            "Opération",
        ],
        more: rows.len().saturating_sub(PREVIEW_ROWS),
        rows: rows.into_iter().take(PREVIEW_ROWS).collect(),
    });
    Ok(ImportPage::new(s, view).response())
}
