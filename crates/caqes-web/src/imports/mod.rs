//! Imports for the ARS of a region: establishments (our CSV format or the
//! public FINESS extract) and a campaign's values and targets (engine CSV
//! formats). Two steps: « Aperçu » checks the file and shows what will be
//! written (or a French error report naming file, line and column), then
//! « Confirmer l'import » sends the same text again (hidden field), which is
//! checked again in full and written in ONE transaction with its audit line.
//!
//! Files are pasted into a text area rather than uploaded: it works without
//! JavaScript and needs no multipart parsing; the form body limit (2 Mo) is
//! that of every form.

pub mod xlsx;
pub mod xlsx_guard;

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::{Category, Finess};
use caqes_data::evaluation_input::{
    EstablishmentRow, InputError, read_establishments, read_yearly_data,
};
use caqes_store::{
    Actor, Campaign, EntityChange, ImportedTarget, LegalEntity, NewEntity, Role, Site, StoreError,
    StoredValue, User,
};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::state::AppState;
use crate::ui::Layout;
use caqes_core::multisite::parse_unit_entry;

/// Name given in error reports to the pasted establishments file.
pub const ESTABLISHMENTS_FILE: &str = "etablissements.csv";
/// Name given in error reports to a pasted FINESS extract.
pub const FINESS_FILE: &str = "extrait FINESS";
pub const VALUES_FILE: &str = "valeurs.csv";
pub const TARGETS_FILE: &str = "cibles.csv";

/// How many rows the preview shows.
const PREVIEW_ROWS: usize = 20;

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
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub view: ImportView,
}

fn ars_region(user: &User) -> AppResult<String> {
    match (user.role, &user.region) {
        (Role::Ars, Some(r)) => Ok(r.clone()),
        _ => Err(AppError::NotFound),
    }
}

fn render(session: &Session, status: StatusCode, view: ImportView) -> AppResult<Response> {
    let layout = Layout::for_user(&view.heading, &session.user, &session.csrf);
    Ok((status, Html(ImportPage { layout, view }.render()?)).into_response())
}

fn file_error(file: &str, line: Option<u64>, column: Option<&str>, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        message,
    }
}

/// A store refusal found only at write time (another import in between) is
/// reported like a file error, so the user sees it on the same page.
fn store_refusal(file: &str, e: StoreError) -> AppResult<InputError> {
    match e {
        StoreError::Conflict(m) => Ok(file_error(file, None, None, m)),
        other => Err(AppError::Store(other)),
    }
}

// ---------------------------------------------------------------------------
// Reading pasted CSV text.

/// The records of a `;`-separated text with their 1-based line numbers,
/// fields keyed by trimmed header name.
type Records = Vec<(u64, HashMap<String, String>)>;

fn records(file: &str, text: &str) -> Result<Records, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(file, Some(1), None, format!("en-tête illisible : {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut out = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map(|p| p.line());
            file_error(file, line, None, format!("ligne illisible : {e}"))
        })?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let fields = header
            .iter()
            .cloned()
            .zip(record.iter().map(|f| f.trim().to_owned()))
            .collect();
        out.push((line, fields));
    }
    Ok(out)
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

// ---------------------------------------------------------------------------
// Establishments.

/// The CAQES category of the obvious FINESS establishment categories
/// (`categetab`); the others must be given in a `categorie` column.
pub fn category_of_finess(categetab: &str) -> Option<Category> {
    Some(match categetab {
        // Centre hospitalier, CHR/CHU, ex-hôpital local, centre de lutte contre le cancer (ESPIC).
        "355" | "101" | "106" | "131" => Category::McoPublicEspic,
        "292" => Category::PsyPublicEspic,
        "161" => Category::PsyPrive,
        "127" => Category::Had,
        "141" | "146" => Category::Dialyse,
        "109" => Category::SsrPrive,
        "128" | "129" | "122" => Category::McoPrive,
        _ => return None,
    })
}

/// Departments of each region (INSEE codes of the 2016 regions). Overseas
/// establishments carry department « 970 » in the extract: their department
/// is the FINESS number's first three digits.
fn departments_of(region: &str) -> &'static [&'static str] {
    match region {
        "11" => &["75", "77", "78", "91", "92", "93", "94", "95"],
        "24" => &["18", "28", "36", "37", "41", "45"],
        "27" => &["21", "25", "39", "58", "70", "71", "89", "90"],
        "28" => &["14", "27", "50", "61", "76"],
        "32" => &["02", "59", "60", "62", "80"],
        "44" => &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
        "52" => &["44", "49", "53", "72", "85"],
        "53" => &["22", "29", "35", "56"],
        "75" => &[
            "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
        ],
        "76" => &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
        ],
        "84" => &[
            "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
        ],
        "93" => &["04", "05", "06", "13", "83", "84"],
        "94" => &["2A", "2B"],
        "01" => &["971"],
        "02" => &["972"],
        "03" => &["973"],
        "04" => &["974"],
        "06" => &["976"],
        _ => &[],
    }
}

/// Establishments read from a file, ready to plan and import.
pub struct ParsedEstablishments {
    pub file: &'static str,
    pub entities: Vec<NewEntity>,
    /// FINESS lines of other regions, skipped.
    pub skipped: usize,
}

const FINESS_COLUMNS: [&str; 6] = [
    "nofinesset",
    "nofinessej",
    "rs",
    "departement_from_finess",
    "categetab",
    "libcategetab",
];

/// Where a legal entity's name comes from, from the weakest to the strongest source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Naming {
    /// The first site seen, whatever its category.
    Unnamed,
    /// A site with a CAQES category.
    AnySite,
    /// A site with a CAQES category whose name reads as a whole establishment.
    MainSite,
    /// The entity's own name (column `rsej`).
    Entity,
}

/// Whether a site's name reads as a whole establishment rather than one of its units:
/// it names a CHU/CHR/CH, a hospital, a clinic or a centre, and is not a day hospital,
/// a CMP/CATTP or a grouping (GCS).
fn looks_like_main_site(name: &str) -> bool {
    let upper = format!(" {} ", name.to_uppercase());
    let unit = [
        " HJ ",
        " HDJ ",
        " CMP ",
        " CMPEA ",
        " CATTP ",
        " GCS ",
        " ET SIEGE ",
    ]
    .iter()
    .any(|w| upper.contains(w));
    let whole = [
        " CHU ",
        " CHR ",
        " CH ",
        " CHS ",
        "CENTRE HOSPITALIER",
        "HOPITAL",
        "HÔPITAL",
        "CLINIQUE",
        "POLYCLINIQUE",
    ]
    .iter()
    .any(|w| upper.contains(w));
    whole && !unit
}

/// Reads the public FINESS extract: sites (`nofinesset`) grouped under their
/// legal entity (`nofinessej`); lines of other regions are skipped. An
/// optional `categorie` column gives the CAQES category where `categetab`
/// has no obvious one. Every problem is reported, not only the first.
fn read_finess(
    region: &str,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    let file = FINESS_FILE;
    let rows = records(file, text).map_err(|e| vec![e])?;
    let header_line = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .next()
        .unwrap_or("");
    let header: Vec<&str> = header_line.split(';').map(str::trim).collect();
    let missing: Vec<&str> = FINESS_COLUMNS
        .iter()
        .filter(|c| !header.contains(c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![file_error(
            file,
            Some(1),
            None,
            format!("colonne(s) manquante(s) : {}", missing.join(", ")),
        )]);
    }
    let departments = departments_of(region);
    let mut errors = Vec::new();
    let mut skipped = 0;
    // (entity, first line, name, category, sites) in file order.
    struct Group {
        entity: Finess,
        line: u64,
        name: String,
        named: Naming,
        category: Option<Category>,
        unmapped: String,
        sites: Vec<Site>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut seen_sites: HashMap<Finess, u64> = HashMap::new();
    for (line, f) in &rows {
        let parse = |column: &str| {
            Finess::parse(field(f, column))
                .map_err(|e| file_error(file, Some(*line), Some(column), e.to_string()))
        };
        let site = match parse("nofinesset") {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut department = field(f, "departement_from_finess").to_owned();
        if department == "970" {
            department = site.as_str().chars().take(3).collect();
        }
        if !departments.contains(&department.as_str()) {
            skipped += 1;
            continue;
        }
        let entity = match parse("nofinessej") {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Some(first) = seen_sites.insert(site, *line) {
            errors.push(file_error(
                file,
                Some(*line),
                Some("nofinesset"),
                format!("site {site} en double (déjà ligne {first})"),
            ));
            continue;
        }
        let given = field(f, "categorie");
        let category = if given.is_empty() {
            category_of_finess(field(f, "categetab"))
        } else {
            match given.parse::<Category>() {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(file_error(
                        file,
                        Some(*line),
                        Some("categorie"),
                        e.to_string(),
                    ));
                    continue;
                }
            }
        };
        let name = field(f, "rs").to_owned();
        let index = match groups.iter().position(|g| g.entity == entity) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    entity,
                    line: *line,
                    name: name.clone(),
                    named: Naming::Unnamed,
                    category: None,
                    unmapped: format!("{} « {} »", field(f, "categetab"), field(f, "libcategetab")),
                    sites: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[index];
        let entity_name = field(f, "rsej");
        if !entity_name.is_empty() {
            // The legal entity's own name, when the file carries it (column `rsej` of the
            // FINESS « entités juridiques » extract, joined by the ARS).
            g.name = entity_name.to_owned();
            g.named = Naming::Entity;
        }
        if g.category.is_none() && category.is_some() {
            g.category = category;
        }
        // Without `rsej`, the entity is named after its main site: the first site with a
        // known category whose name reads as a whole establishment (CHU, centre
        // hospitalier, clinique…), else the first site with a known category — never a
        // day hospital or a CMP when the main site is in the file (the CHU de Nîmes is
        // « CHU NIMES CAREMEAU », not its first listed « HJ PSY INF JUV CMPEA »).
        if category.is_some() {
            let rank = if looks_like_main_site(&name) {
                Naming::MainSite
            } else {
                Naming::AnySite
            };
            if rank > g.named {
                g.name = name.clone();
                g.named = rank;
            }
        }
        g.sites.push(Site {
            finess: site,
            entity,
            name,
        });
    }
    let mut entities = Vec::new();
    for g in groups {
        let (name, category) = match (existing.get(&g.entity), g.category) {
            // A registered entity keeps its name and category: the extract
            // only adds its new sites.
            (Some(e), _) => (e.name.clone(), e.category),
            (None, Some(c)) => (g.name, c),
            (None, None) => {
                errors.push(file_error(
                    file,
                    Some(g.line),
                    Some("categetab"),
                    format!(
                        "catégorie FINESS {} sans équivalent CAQES pour l'entité juridique {} : \
                         ajouter une colonne « categorie » et y indiquer la catégorie \
                         (MCO_PUBLIC_ESPIC, MCO_PRIVE, SSR_PUBLIC_ESPIC, SSR_PRIVE, PSY_PUBLIC_ESPIC, \
                         PSY_PRIVE, HAD, HAD_SANS_PUI, DIALYSE ou USLD)",
                        g.unmapped, g.entity
                    ),
                ));
                continue;
            }
        };
        entities.push(NewEntity {
            entity: LegalEntity {
                finess: g.entity,
                region: region.to_owned(),
                name,
                category,
            },
            sites: g.sites,
        });
    }
    if errors.is_empty() && entities.is_empty() {
        errors.push(file_error(
            file,
            None,
            None,
            "aucun établissement de la région dans l'extrait".into(),
        ));
    }
    if errors.is_empty() {
        Ok(ParsedEstablishments {
            file,
            entities,
            skipped,
        })
    } else {
        Err(errors)
    }
}

/// Reads our `etablissements.csv` format. A new entity gets one site with its
/// own FINESS number (our format has no sites); a registered one keeps its sites.
fn read_own_format(
    region: &str,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    let file = ESTABLISHMENTS_FILE;
    let rows = read_establishments(file, text).map_err(|e| vec![e])?;
    let lines = records(file, text).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut entities = Vec::new();
    // `read_establishments` keeps the file's order and skips the same blank lines.
    for (row, (line, _)) in rows.into_iter().zip(&lines) {
        if row.region != region {
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
                region: row.region,
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

/// Reads either format, recognised by its header.
pub fn read_establishment_text(
    region: &str,
    text: &str,
    existing: &HashMap<Finess, LegalEntity>,
) -> Result<ParsedEstablishments, Vec<InputError>> {
    let text = &normalize_newlines(text);
    let first = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .next()
        .unwrap_or("");
    if first.split(';').any(|c| c.trim() == "nofinesset") {
        read_finess(region, text, existing)
    } else {
        read_own_format(region, text, existing)
    }
}

#[derive(Deserialize)]
pub struct EstablishmentsInput {
    #[serde(default)]
    contenu: String,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    crees: Option<usize>,
    modifies: Option<usize>,
    valeurs: Option<usize>,
    cibles: Option<usize>,
}

fn establishments_view(content: String) -> ImportView {
    ImportView {
        heading: "Importer des établissements".into(),
        intro: "Coller le contenu d'un fichier « finess;raison_sociale;categorie;region;produits_am » \
                ou d'un extrait du répertoire FINESS (en-tête « nofinesset;nofinessej;rs;departement_from_finess;categetab;libcategetab;… ») : \
                les lignes des autres régions de l'extrait sont ignorées. Rien n'est enregistré avant la confirmation.",
        back_link: "/".into(),
        back_label: "Accueil".into(),
        base: "/imports/etablissements".into(),
        fields: vec![ImportField {
            name: "contenu",
            label: "Contenu du fichier (séparateur « ; », UTF-8)",
            hint: "Les produits AM de notre format sont vérifiés mais pas conservés.",
            content,
        }],
        errors: Vec::new(),
        done: None,
        preview: None,
    }
}

async fn existing_entities(
    state: &AppState,
    region: &str,
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
    let mut view = establishments_view(String::new());
    if let (Some(c), Some(m)) = (q.crees, q.modifies) {
        view.done = Some(format!(
            "Import enregistré : {c} entité(s) créée(s), {m} mise(s) à jour."
        ));
    }
    render(&s, StatusCode::OK, view)
}

pub async fn establishments_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(input): Form<EstablishmentsInput>,
) -> AppResult<Response> {
    let region = ars_region(&s.user)?;
    let existing = existing_entities(&state, &region).await?;
    let mut view = establishments_view(input.contenu.clone());
    let parsed = match read_establishment_text(&region, &input.contenu, &existing) {
        Ok(p) => p,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let plans = match state
        .store
        .plan_establishments(&region, &parsed.entities)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            view.errors = vec![ErrorLine::from(&store_refusal(parsed.file, e)?)];
            return render(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
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
    render(&s, StatusCode::OK, view)
}

pub async fn establishments_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Form(input): Form<EstablishmentsInput>,
) -> AppResult<Response> {
    let region = ars_region(&s.user)?;
    let existing = existing_entities(&state, &region).await?;
    let mut view = establishments_view(input.contenu.clone());
    // Checked again in full: the text came back from the browser.
    let parsed = match read_establishment_text(&region, &input.contenu, &existing) {
        Ok(p) => p,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    match state
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
            let count = |c: EntityChange| plans.iter().filter(|p| p.change == c).count();
            Ok(Redirect::to(&format!(
                "/imports/etablissements?crees={}&modifies={}",
                count(EntityChange::Create),
                count(EntityChange::Update)
            ))
            .into_response())
        }
        Err(e) => {
            view.errors = vec![ErrorLine::from(&store_refusal(parsed.file, e)?)];
            render(&s, StatusCode::UNPROCESSABLE_ENTITY, view)
        }
    }
}

// ---------------------------------------------------------------------------
// Values and targets of a campaign.

#[derive(Deserialize)]
pub struct YearlyInput {
    #[serde(default)]
    valeurs: String,
    #[serde(default)]
    cibles: String,
}

/// Values and targets read from the files, ready to import.
pub struct ParsedYearly {
    pub values: Vec<(u64, StoredValue)>,
    /// The `motif` column of NC values, by (site, indicator).
    pub motives: caqes_store::Motives,
    pub targets: Vec<(u64, ImportedTarget)>,
}

async fn campaign_of_ars(state: &AppState, user: &User, id: &str) -> AppResult<Campaign> {
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
    let referentiel = state
        .store
        .referentiel(&campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "référentiel {} introuvable",
                campaign.referentiel_id
            ))
        })?;
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
            .sites_of(e.finess.as_str())
            .await?
            .into_iter()
            .map(|s| s.finess)
            .collect();
        for f in std::iter::once(e.finess).chain(sites.iter().copied()) {
            known.push(EstablishmentRow {
                finess: f,
                name: e.name.clone(),
                category: e.category,
                region: e.region.clone(),
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
    if let Err(e) = read_yearly_data(
        &referentiel,
        &known,
        (VALUES_FILE, values_text),
        targets_given.then_some((TARGETS_FILE, targets_text)),
    ) {
        return Ok(Err(vec![e]));
    }
    let value_rows = match records(VALUES_FILE, values_text) {
        Ok(r) => r,
        Err(e) => return Ok(Err(vec![e])),
    };
    let mut errors = Vec::new();
    let mut values = Vec::new();
    let mut motives = caqes_store::Motives::new();
    let mut editable: HashMap<Finess, Option<String>> = HashMap::new();
    let year_ok = |f: &HashMap<String, String>| field(f, "annee") == campaign.year.to_string();
    for (line, f) in &value_rows {
        let err = |column: &str, message: String| {
            file_error(VALUES_FILE, Some(*line), Some(column), message)
        };
        if !year_ok(f) {
            errors.push(err(
                "annee",
                format!(
                    "année {} : la campagne porte sur l'année {}",
                    field(f, "annee"),
                    campaign.year
                ),
            ));
            continue;
        }
        let Ok(finess) = Finess::parse(field(f, "finess")) else {
            continue; // already checked by read_yearly_data
        };
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
        let code = field(f, "indicateur");
        let Some(indicator) = referentiel.indicator(code) else {
            continue;
        };
        let opt = |c: &str| Some(field(f, c)).filter(|v| !v.is_empty());
        if let Err(e) = parse_unit_entry(
            indicator,
            campaign.year <= referentiel.baseline_year,
            multi,
            opt("numerateur"),
            opt("denominateur"),
            opt("valeur"),
        ) {
            errors.push(err(e.field.column(), format!("{code} : {}", e.message)));
            continue;
        }
        let refusal = match editable.get(&entity) {
            Some(r) => r.clone(),
            None => {
                let sub = state
                    .store
                    .submission(&campaign.id, entity.as_str())
                    .await?;
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
        let raw = field(f, "valeur").to_uppercase();
        let declared = matches!(raw.as_str(), "NC" | "NM").then_some(raw);
        if declared.as_deref() == Some("NC")
            && let Some(m) = opt("motif")
        {
            motives.insert((site, code.to_owned()), m.to_owned());
        }
        values.push((
            *line,
            StoredValue {
                site,
                year: campaign.year,
                indicator: code.to_owned(),
                numerator: opt("numerateur").map(str::to_owned),
                denominator: opt("denominateur").map(str::to_owned),
                value: if declared.is_some() {
                    None
                } else {
                    opt("valeur").map(str::to_owned)
                },
                declared,
            },
        ));
    }
    let mut targets = Vec::new();
    if targets_given {
        let target_rows = match records(TARGETS_FILE, targets_text) {
            Ok(r) => r,
            Err(e) => return Ok(Err(vec![e])),
        };
        for (line, f) in &target_rows {
            let err = |column: &str, message: String| {
                file_error(TARGETS_FILE, Some(*line), Some(column), message)
            };
            if !year_ok(f) {
                errors.push(err(
                    "annee",
                    format!(
                        "année {} : la campagne porte sur l'année {}",
                        field(f, "annee"),
                        campaign.year
                    ),
                ));
                continue;
            }
            let Ok(finess) = Finess::parse(field(f, "finess")) else {
                continue;
            };
            let entity = if sites_of.contains_key(&finess) {
                finess
            } else if let Some(e) = owner.get(&finess) {
                if sites_of.get(e).is_some_and(|s| s.len() > 1) {
                    errors.push(err(
                        "finess",
                        format!("la cible se donne pour l'entité juridique {e}, pas pour son site {finess}"),
                    ));
                    continue;
                }
                *e
            } else {
                continue;
            };
            let raw = field(f, "cible");
            let Some(target) = caqes_core::value::parse_decimal(raw) else {
                continue;
            };
            targets.push((
                *line,
                ImportedTarget {
                    entity,
                    indicator: field(f, "indicateur").to_owned(),
                    target,
                },
            ));
        }
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
    }
}

pub async fn yearly_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    let mut view = yearly_view(&campaign, String::new(), String::new());
    if let (Some(v), Some(c)) = (q.valeurs, q.cibles) {
        view.done = Some(format!(
            "Import enregistré : {v} valeur(s) et {c} cible(s)."
        ));
    }
    render(&s, StatusCode::OK, view)
}

pub async fn yearly_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<YearlyInput>,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    let mut view = yearly_view(&campaign, input.valeurs.clone(), input.cibles.clone());
    let parsed = match read_yearly_text(&state, &campaign, &input.valeurs, &input.cibles).await? {
        Ok(p) => p,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let mut rows: Vec<Vec<String>> = parsed
        .values
        .iter()
        .map(|(line, v)| {
            vec![
                format!("{VALUES_FILE}:{line}"),
                v.site.to_string(),
                v.indicator.clone(),
                v.numerator.clone().unwrap_or_default(),
                v.denominator.clone().unwrap_or_default(),
                v.declared.clone().or(v.value.clone()).unwrap_or_default(),
            ]
        })
        .collect();
    rows.extend(parsed.targets.iter().map(|(line, t)| {
        vec![
            format!("{TARGETS_FILE}:{line}"),
            t.entity.to_string(),
            t.indicator.clone(),
            String::new(),
            String::new(),
            format!("cible {}", crate::dossier::fr(t.target)),
        ]
    }));
    let entities: std::collections::BTreeSet<String> = parsed
        .values
        .iter()
        .map(|(_, v)| v.site.to_string())
        .collect();
    view.preview = Some(Preview {
        summary: vec![format!(
            "{} valeur(s) pour {} site(s) et {} cible(s) seront enregistrées pour l'année {} (les valeurs existantes des mêmes indicateurs sont remplacées).",
            parsed.values.len(),
            entities.len(),
            parsed.targets.len(),
            campaign.year
        )],
        headers: vec![
            "Ligne",
            "FINESS",
            "Indicateur",
            "Numérateur",
            "Dénominateur",
            "Valeur",
        ],
        more: rows.len().saturating_sub(PREVIEW_ROWS),
        rows: rows.into_iter().take(PREVIEW_ROWS).collect(),
    });
    render(&s, StatusCode::OK, view)
}

pub async fn yearly_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<YearlyInput>,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    let mut view = yearly_view(&campaign, input.valeurs.clone(), input.cibles.clone());
    let parsed = match read_yearly_text(&state, &campaign, &input.valeurs, &input.cibles).await? {
        Ok(p) => p,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let parsed_motives = parsed.motives;
    let values: Vec<StoredValue> = parsed.values.into_iter().map(|(_, v)| v).collect();
    let targets: Vec<ImportedTarget> = parsed.targets.into_iter().map(|(_, t)| t).collect();
    let files = if targets.is_empty() {
        VALUES_FILE.to_owned()
    } else {
        format!("{VALUES_FILE}, {TARGETS_FILE}")
    };
    match state
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
        Ok(n) => Ok(Redirect::to(&format!(
            "/campagnes/{}/imports?valeurs={}&cibles={}",
            campaign.id, n.values, n.targets
        ))
        .into_response()),
        Err(e) => {
            view.errors = vec![ErrorLine::from(&store_refusal(&files, e)?)];
            render(&s, StatusCode::UNPROCESSABLE_ENTITY, view)
        }
    }
}
