//! `caqes evaluate` on an objectives grid (regimes `caqes-2022` and `incitation-2026`):
//! savings of year N against N−1 and intéressement (or 2026 dotation) per indicator,
//! the DG ARS's downward revisions, the regional intéressement, the refusals to sign
//! with their 1 % sanction, and for 2026 the penalty ceiling. Rules in
//! `caqes_core::regimes`; formats in docs/scoring.md.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_core::Euros;
use caqes_core::calendar::HearingRequest;
use caqes_core::procedure::calendar_2022::{RefusalProcedure, refusal_procedure};
use caqes_core::referentiel::{Direction, Scope};
use caqes_core::regimes::contract::refusal_sanction;
use caqes_core::regimes::grid::ObjectiveKind;
use caqes_core::regimes::incitation::penalty_ceiling;
use caqes_core::regimes::outcome::{
    Line, Outcome, OutcomeError, contract_inputs, evaluate_establishment, fr_number,
};
use caqes_core::regimes::{ObjectivesGrid, Regime};
use caqes_data::evaluation_input::{self, EstablishmentRow};
use caqes_data::objectives_input::{self, ObjectiveValues, Refusal, Revisions};
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};

use crate::exit::BadInput;
use crate::output::{json_number, text_number, write_output};

/// What `caqes evaluate` reads for an objectives grid.
pub struct Request<'a> {
    pub annee: i16,
    pub etablissements: &'a Path,
    pub valeurs: &'a Path,
    pub revisions: Option<&'a Path>,
    pub refus: Option<&'a Path>,
    pub contrats: Option<&'a Path>,
    pub csv: bool,
    pub output: Option<&'a PathBuf>,
}

fn read(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        BadInput(format!(
            "{} : le fichier n'est pas en UTF-8 (octet invalide à la position {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
        .into()
    })
}

/// One establishment's result.
enum Result2 {
    /// Refused to sign (caqes-2022): no contract, no lines, the 1 % sanction.
    Refused {
        procedure: RefusalProcedure,
        sanction: Option<Euros>,
        warnings: Vec<String>,
    },
    Evaluated {
        outcome: Outcome,
        penalty_ceiling: Option<Euros>,
        warnings: Vec<String>,
    },
}

pub fn run(grid: ObjectivesGrid, req: Request<'_>) -> anyhow::Result<()> {
    let year = req.annee;
    let last = grid
        .contract
        .as_ref()
        .map_or(i16::MAX, |c| c.fin_au_plus_tard.valeur.year());
    grid.regime
        .check_year(year, last)
        .map_err(|e| BadInput(format!("--annee : {e}")))?;
    let ets_name = req.etablissements.display().to_string();
    let establishments =
        evaluation_input::read_establishments(&ets_name, &read(req.etablissements)?)
            .map_err(|e| BadInput(e.to_string()))?;
    let values_name = req.valeurs.display().to_string();
    let values =
        objectives_input::read_values(&values_name, &read(req.valeurs)?, &grid, &establishments)
            .map_err(|e| BadInput(e.to_string()))?;
    let revisions_name = req.revisions.map(|p| p.display().to_string());
    let revisions = match req.revisions {
        Some(p) => objectives_input::read_revisions(
            revisions_name.as_deref().unwrap_or_default(),
            &read(p)?,
            &grid,
            &establishments,
            year,
        )
        .map_err(|e| BadInput(e.to_string()))?,
        None => Revisions::new(),
    };
    let refusals = match req.refus {
        Some(p) => {
            if grid.regime != Regime::Caqes2022 {
                return Err(BadInput(format!(
                    "--refus : le régime {} n'a pas de contrat à signer, donc pas de refus (L162-30-2 abrogé au 1er janvier 2027)",
                    grid.regime
                ))
                .into());
            }
            objectives_input::read_refusals(&p.display().to_string(), &read(p)?, &establishments)
                .map_err(|e| BadInput(e.to_string()))?
        }
        None => BTreeMap::new(),
    };
    let contracts = match req.contrats {
        Some(p) => {
            let Some(params) = &grid.contract else {
                return Err(BadInput(format!(
                    "--contrats : le régime {} n'a pas de contrat",
                    grid.regime
                ))
                .into());
            };
            objectives_input::read_contracts(
                &p.display().to_string(),
                &read(p)?,
                params,
                &establishments,
            )
            .map_err(|e| BadInput(e.to_string()))?
        }
        None => BTreeMap::new(),
    };
    // Revisions on an establishment or indicator without a line: refused, named.
    for ((finess, code), (_, line)) in &revisions {
        let has_line = values.get(*finess, code, year).is_some()
            || values.get(*finess, code, year - 1).is_some();
        if !has_line || refusals.contains_key(finess) {
            return Err(BadInput(format!(
                "{}, ligne {line}, colonne « indicateur » : révision de {finess} {code} sans ligne évaluée (pas de valeur pour {year} ni {}, ou établissement ayant refusé de signer)",
                revisions_name.as_deref().unwrap_or_default(),
                year - 1
            ))
            .into());
        }
    }

    let mut results = Vec::with_capacity(establishments.len());
    for e in &establishments {
        let mut r = match refusals.get(&e.finess) {
            Some(refusal) => refused(&grid, e, refusal, &values, year)?,
            None => evaluated(
                &grid,
                e,
                &values,
                &revisions,
                year,
                revisions_name.as_deref(),
            )?,
        };
        if let (Some(term), Result2::Evaluated { warnings, .. }) =
            (contracts.get(&e.finess), &mut r)
        {
            if !term.years().contains(&year) {
                warnings.push(format!(
                    "l'année {year} est hors du contrat (du {} au {}) : à vérifier",
                    fr_date(term.debut),
                    fr_date(term.fin)
                ));
            } else if term.debut.year() == year && term.debut.day_of_year() > 1 {
                warnings.push(format!(
                    "contrat commencé le {} : année {year} partielle (les montants sont ceux que l'ARS a retenus, sans prorata)",
                    fr_date(term.debut)
                ));
            }
        }
        for w in match &r {
            Result2::Refused { warnings, .. } | Result2::Evaluated { warnings, .. } => warnings,
        } {
            tracing::warn!("{} : {w}", e.finess);
        }
        results.push(r);
    }
    let to_confirm = grid.to_confirm();
    let bytes = if req.csv {
        csv_output(&grid, year, &establishments, &results)?
    } else {
        let items: Vec<Json> = establishments
            .iter()
            .zip(&results)
            .map(|(e, r)| establishment_json(&grid, year, e, r, &to_confirm))
            .collect();
        let mut text = serde_json::to_string_pretty(&items)?;
        text.push('\n');
        text.into_bytes()
    };
    write_output(req.output.map(PathBuf::as_path), &bytes)
}

fn refused(
    grid: &ObjectivesGrid,
    e: &EstablishmentRow,
    refusal: &Refusal,
    values: &ObjectiveValues,
    year: i16,
) -> anyhow::Result<Result2> {
    let Some(params) = &grid.contract else {
        return Err(BadInput(format!("régime {} : pas de contrat", grid.regime)).into());
    };
    let hearing = match (refusal.hearing_requested, refusal.hearing) {
        (Some(asked), Some(held)) => Some(HearingRequest {
            demandee_le: asked,
            audition_le: held,
        }),
        _ => None,
    };
    let procedure = refusal_procedure(
        params,
        refusal.first_receipt,
        refusal.second_receipt,
        hearing,
    )
    .map_err(|err| BadInput(format!("refus de {} : {err}", e.finess)))?;
    let mut warnings = Vec::new();
    let sanction = match e.am_revenue {
        Some(income) => Some(
            refusal_sanction(params, income)
                .map_err(|err| BadInput(format!("{} : {err}", e.finess)))?,
        ),
        None => {
            warnings.push(
                "produits_am manquant : la sanction de 1 % ne peut pas être chiffrée".to_owned(),
            );
            None
        }
    };
    if procedure.sanction_a_partir_du.is_none() {
        warnings.push(
            "seconde proposition non encore reçue : la sanction ne peut pas encore être prononcée"
                .to_owned(),
        );
    }
    if grid
        .indicators
        .iter()
        .any(|i| values.get(e.finess, &i.code, year).is_some())
    {
        warnings.push(
            "des valeurs sont données alors que l'établissement a refusé de signer : ignorées (pas de contrat, pas d'intéressement)"
                .to_owned(),
        );
    }
    Ok(Result2::Refused {
        procedure,
        sanction,
        warnings,
    })
}

fn evaluated(
    grid: &ObjectivesGrid,
    e: &EstablishmentRow,
    values: &ObjectiveValues,
    revisions: &Revisions,
    year: i16,
    revisions_name: Option<&str>,
) -> anyhow::Result<Result2> {
    // The platform reads its stored values through the same function.
    let inputs = contract_inputs(
        grid,
        year,
        |code, y| values.get(e.finess, code, y).copied(),
        |code| {
            revisions
                .get(&(e.finess, code.to_owned()))
                .map(|(r, _)| r.clone())
        },
    );
    let outcome = evaluate_establishment(grid, &inputs).map_err(|err| {
        let at = match &err {
            OutcomeError::RevisionAboveComputed { code, .. }
            | OutcomeError::NegativeRevision { code, .. }
            | OutcomeError::MotiveRequired { code } => {
                revisions.get(&(e.finess, code.clone())).map(|(_, line)| {
                    format!(
                        "{}, ligne {line}, colonne « montant_revise »",
                        revisions_name.unwrap_or_default()
                    )
                })
            }
            _ => None,
        };
        BadInput(match at {
            Some(at) => format!("{at} : {} {err}", e.finess),
            None => format!("{} : {err}", e.finess),
        })
    })?;
    let mut warnings = Vec::new();
    if inputs.is_empty() {
        warnings.push(format!(
            "aucune valeur pour {year} ni {} : aucun indicateur évalué",
            year - 1
        ));
    }
    if inputs.len() > 15 {
        warnings.push(format!(
            "{} indicateurs : au plus 15 par contrat selon les ARS (spec §2.3)",
            inputs.len()
        ));
    }
    let ceiling = match (&grid.penalty, e.am_revenue) {
        (Some(p), Some(income)) if outcome.objectifs_manques > 0 => {
            penalty_ceiling(p, year, income)
        }
        _ => None,
    };
    Ok(Result2::Evaluated {
        outcome,
        penalty_ceiling: ceiling,
        warnings,
    })
}

fn num(d: Option<Decimal>) -> Json {
    d.map(json_number).unwrap_or(Json::Null)
}

fn euros(e: Option<Euros>) -> Json {
    num(e.map(|x| x.0))
}

fn scope(s: Scope) -> &'static str {
    match s {
        Scope::National => "national",
        Scope::Regional => "regional",
    }
}

fn objective_code(k: ObjectiveKind) -> &'static str {
    match k {
        ObjectiveKind::Reduction => "reduction",
        ObjectiveKind::Target => "cible",
    }
}

fn line_json(l: &Line) -> Json {
    json!({
        "code": l.code,
        "portee": scope(l.portee),
        "volet": l.volet,
        "mesure": l.mesure.code(),
        "statut": l.statut.code(),
        "valeur_n_1": num(l.valeur_n_1),
        "valeur_n": num(l.valeur_n),
        "numerateur": num(l.numerateur_n),
        "denominateur": num(l.denominateur_n),
        "montant_n_1": num(l.montant_n_1),
        "montant_n": num(l.montant_n),
        "evolution_pct": num(l.evolution_pct),
        "objectif": objective_code(l.objectif),
        "objectif_valeur": json_number(l.objectif_valeur),
        "objectif_a_confirmer": l.objectif_a_confirmer,
        "seuil": num(l.seuil),
        "sens": match l.sens { Direction::HigherIsBetter => "hausse", Direction::LowerIsBetter => "baisse" },
        "atteint": l.atteint,
        "economies": euros(l.economies),
        "part_pct": num(l.part_pct),
        "part_a_confirmer": l.part_a_confirmer,
        "plafond": euros(l.plafond),
        "interessement_calcule": json_number(l.interessement_calcule.0),
        "montant_revise": euros(l.revision.as_ref().map(|r| r.amount)),
        "motif_revision": l.revision.as_ref().map(|r| r.motive.clone()),
        "interessement": json_number(l.interessement.0),
        "explication": l.explication,
    })
}

fn fr_date(d: jiff::civil::Date) -> String {
    caqes_core::regimes::french_date(d)
}

/// The establishment's sentence: totals, refusal, penalty.
fn establishment_text(grid: &ObjectivesGrid, year: i16, r: &Result2) -> String {
    let word = grid.regime.incentive_word();
    match r {
        Result2::Refused {
            procedure,
            sanction,
            ..
        } => {
            let mut t = format!(
                "Refus de signer : proposition reçue le {}, délai de réponse jusqu'au {}",
                fr_date(procedure.reception_proposition),
                fr_date(procedure.fin_premier_delai)
            );
            match (procedure.reception_seconde_proposition, procedure.fin_second_delai) {
                (Some(r2), Some(end)) => t.push_str(&format!(
                    " ; seconde proposition reçue le {}, délai jusqu'au {} ; sanction possible à partir du {}",
                    fr_date(r2),
                    fr_date(end),
                    procedure
                        .sanction_a_partir_du
                        .map(fr_date)
                        .unwrap_or_default()
                )),
                _ => t.push_str(" ; seconde proposition non reçue"),
            }
            let pct = grid
                .contract
                .as_ref()
                .map(|c| fr_number(c.sanction_refus_pct.valeur, 2))
                .unwrap_or_default();
            match sanction {
                Some(s) => t.push_str(&format!(
                    ". Sanction : {pct}\u{a0}% des produits de l'assurance maladie du dernier exercice clos = {s} (CSS L162-30-2). Pas de contrat, pas d'{word}."
                )),
                None => t.push_str(&format!(
                    ". Sanction non chiffrée (produits_am manquant). Pas de contrat, pas d'{word}."
                )),
            }
            t
        }
        Result2::Evaluated {
            outcome: o,
            penalty_ceiling,
            ..
        } => {
            let regional_count = if o.objectifs_regionaux_evalues == 0 {
                String::new()
            } else {
                format!(
                    " ({} objectif(s) régional(aux) atteint(s) sur {})",
                    o.objectifs_regionaux_atteints, o.objectifs_regionaux_evalues
                )
            };
            let mut t = format!(
                "{year} : {} national {}, régional {}{regional_count}, total {}.",
                capital(word),
                o.national,
                o.regional,
                o.total
            );
            match (grid.regime, &grid.penalty) {
                (Regime::Caqes2022, _) if o.objectifs_manques > 0 => t.push_str(&format!(
                    " {} objectif(s) manqué(s) : aucune sanction (seul le refus de signer est sanctionné).",
                    o.objectifs_manques
                )),
                (Regime::Incitation2026, Some(p)) if o.objectifs_manques > 0 => {
                    match penalty_ceiling {
                        Some(c) => t.push_str(&format!(
                            " {} objectif(s) manqué(s) : pénalité possible jusqu'à {c} ({} % des financements AM{}), après les observations de l'établissement (CSS L162-23-14-1).",
                            o.objectifs_manques,
                            p.plafond_pct.valeur.normalize(),
                            if p.plafond_pct.a_confirmer { ", À CONFIRMER" } else { "" }
                        )),
                        None => t.push_str(&format!(
                            " {} objectif(s) manqué(s) : pas de pénalité pour {year} (pénalité à partir du {}{}) ou produits_am manquant.",
                            o.objectifs_manques,
                            fr_date(p.a_partir_de.valeur),
                            if p.a_partir_de.a_confirmer { ", À CONFIRMER" } else { "" }
                        )),
                    }
                }
                _ => {}
            }
            t
        }
    }
}

fn capital(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn establishment_json(
    grid: &ObjectivesGrid,
    year: i16,
    e: &EstablishmentRow,
    r: &Result2,
    to_confirm: &[caqes_core::regimes::grid::ToConfirm],
) -> Json {
    let explanation = establishment_text(grid, year, r);
    let (status, lines, warnings) = match r {
        Result2::Refused { warnings, .. } => ("refus", Vec::new(), warnings),
        Result2::Evaluated {
            outcome, warnings, ..
        } => (
            if grid.regime == Regime::Caqes2022 {
                "signe"
            } else {
                "sans_contrat"
            },
            outcome.lignes.iter().collect::<Vec<_>>(),
            warnings,
        ),
    };
    // The parameters to confirm that this establishment's result depends on: the grid's
    // general ones and those of its indicators.
    let codes: Vec<&str> = lines.iter().map(|l| l.code.as_str()).collect();
    let confirm: Vec<Json> = to_confirm
        .iter()
        .filter(|t| {
            // « N1-IPP.part_interessement »: an indicator's parameter (codes may hold dots).
            let owner = grid
                .indicators
                .iter()
                .find(|i| {
                    t.name
                        .strip_prefix(i.code.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
                })
                .map(|i| i.code.as_str());
            owner.is_none_or(|code| codes.contains(&code))
        })
        .map(|t| json!({"parametre": t.name, "valeur": t.value, "source": t.source, "mention": "À CONFIRMER"}))
        .collect();
    let mut m = serde_json::Map::new();
    m.insert("finess".into(), e.finess.as_str().into());
    m.insert("raison_sociale".into(), e.name.clone().into());
    m.insert("categorie".into(), e.category.code().into());
    m.insert("regime".into(), grid.regime.code().into());
    m.insert("referentiel".into(), grid.id.clone().into());
    m.insert("annee".into(), year.into());
    m.insert("statut_contrat".into(), status.into());
    match r {
        Result2::Refused {
            procedure,
            sanction,
            ..
        } => {
            m.insert("interessement_national".into(), Json::Null);
            m.insert("interessement_regional".into(), Json::Null);
            m.insert("interessement_total".into(), Json::Null);
            m.insert("sanction_refus".into(), euros(*sanction));
            m.insert(
                "refus".into(),
                json!({
                    "reception_proposition": procedure.reception_proposition.to_string(),
                    "fin_premier_delai": procedure.fin_premier_delai.to_string(),
                    "reception_seconde_proposition": procedure.reception_seconde_proposition.map(|d| d.to_string()),
                    "fin_second_delai": procedure.fin_second_delai.map(|d| d.to_string()),
                    "audition_le": procedure.audition.map(|h| h.audition_le.to_string()),
                    "sanction_a_partir_du": procedure.sanction_a_partir_du.map(|d| d.to_string()),
                }),
            );
            m.insert("plafond_penalite".into(), Json::Null);
        }
        Result2::Evaluated {
            outcome: o,
            penalty_ceiling,
            ..
        } => {
            m.insert("interessement_national".into(), json_number(o.national.0));
            m.insert("interessement_regional".into(), json_number(o.regional.0));
            m.insert("interessement_total".into(), json_number(o.total.0));
            m.insert(
                "objectifs_regionaux_atteints".into(),
                o.objectifs_regionaux_atteints.into(),
            );
            m.insert(
                "objectifs_regionaux_evalues".into(),
                o.objectifs_regionaux_evalues.into(),
            );
            m.insert("objectifs_manques".into(), o.objectifs_manques.into());
            m.insert("sanction_refus".into(), Json::Null);
            m.insert("refus".into(), Json::Null);
            m.insert("plafond_penalite".into(), euros(*penalty_ceiling));
        }
    }
    m.insert("a_confirmer".into(), Json::Array(confirm));
    m.insert("avertissements".into(), json!(warnings));
    m.insert("explication".into(), explanation.into());
    m.insert(
        "indicateurs".into(),
        Json::Array(lines.into_iter().map(line_json).collect()),
    );
    Json::Object(m)
}

const CSV_HEADER: [&str; 32] = [
    "finess",
    "raison_sociale",
    "categorie",
    "regime",
    "annee",
    "statut_contrat",
    "indicateur",
    "portee",
    "volet",
    "mesure",
    "statut",
    "valeur_n_1",
    "valeur_n",
    "numerateur",
    "denominateur",
    "montant_n_1",
    "montant_n",
    "objectif",
    "objectif_valeur",
    "seuil",
    "atteint",
    "economies",
    "part_pct",
    "a_confirmer",
    "interessement_calcule",
    "montant_revise",
    "motif_revision",
    "interessement",
    "interessement_total",
    "sanction_refus",
    "plafond_penalite",
    "explication",
];

fn opt(d: Option<Decimal>) -> String {
    d.map(text_number).unwrap_or_default()
}

fn csv_output(
    grid: &ObjectivesGrid,
    year: i16,
    establishments: &[EstablishmentRow],
    results: &[Result2],
) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    w.write_record(CSV_HEADER)
        .context("écriture de la sortie CSV")?;
    let year_text = year.to_string();
    for (e, r) in establishments.iter().zip(results) {
        let text = establishment_text(grid, year, r);
        let base = [
            e.finess.as_str().to_owned(),
            e.name.clone(),
            e.category.code().to_owned(),
            grid.regime.code().to_owned(),
            year_text.clone(),
        ];
        match r {
            Result2::Refused { sanction, .. } => {
                let mut row: Vec<String> = base.to_vec();
                row.push("refus".into());
                row.extend(std::iter::repeat_n(String::new(), 23));
                row.push(opt(sanction.map(|s| s.0)));
                row.push(String::new());
                row.push(text);
                w.write_record(&row).context("écriture de la sortie CSV")?;
            }
            Result2::Evaluated {
                outcome: o,
                penalty_ceiling,
                ..
            } => {
                let status = if grid.regime == Regime::Caqes2022 {
                    "signe"
                } else {
                    "sans_contrat"
                };
                for l in &o.lignes {
                    let confirm = [
                        l.objectif_a_confirmer.then_some("objectif"),
                        l.part_a_confirmer.then_some("part"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>();
                    let row: Vec<String> = base
                        .iter()
                        .cloned()
                        .chain([
                            status.to_owned(),
                            l.code.clone(),
                            scope(l.portee).to_owned(),
                            l.volet.clone(),
                            l.mesure.code().to_owned(),
                            l.statut.code().to_owned(),
                            opt(l.valeur_n_1),
                            opt(l.valeur_n),
                            opt(l.numerateur_n),
                            opt(l.denominateur_n),
                            opt(l.montant_n_1),
                            opt(l.montant_n),
                            objective_code(l.objectif).to_owned(),
                            text_number(l.objectif_valeur),
                            opt(l.seuil),
                            match l.atteint {
                                Some(true) => "oui".into(),
                                Some(false) => "non".into(),
                                None => String::new(),
                            },
                            opt(l.economies.map(|x| x.0)),
                            opt(l.part_pct),
                            if confirm.is_empty() {
                                String::new()
                            } else {
                                format!("À CONFIRMER : {}", confirm.join(", "))
                            },
                            text_number(l.interessement_calcule.0),
                            opt(l.revision.as_ref().map(|r| r.amount.0)),
                            l.revision
                                .as_ref()
                                .map(|r| r.motive.clone())
                                .unwrap_or_default(),
                            text_number(l.interessement.0),
                            text_number(o.total.0),
                            String::new(),
                            opt(penalty_ceiling.map(|c| c.0)),
                            format!("{} {text}", l.explication),
                        ])
                        .collect();
                    w.write_record(&row).context("écriture de la sortie CSV")?;
                }
            }
        }
    }
    w.flush().context("écriture de la sortie CSV")?;
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("écriture de la sortie CSV : {e}"))
        .map(|mut v| {
            v.flush().ok();
            v
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_french() {
        assert_eq!(fr_date(jiff::civil::date(2019, 3, 15)), "15 mars 2019");
        assert_eq!(fr_date(jiff::civil::date(2022, 6, 1)), "1er juin 2022");
    }
}
