//! `etablissements.csv` and `sites.csv`: the establishments to evaluate and the sites of
//! the multi-site legal entities, read before the values (which are checked against them).

use std::collections::HashMap;

use caqes_core::{Category, Euros, Finess};

use super::{AtLine, FastMap, InputError, read_records};

/// One establishment to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstablishmentRow {
    pub finess: Finess,
    pub name: String,
    pub category: Category,
    pub region: String,
    /// Revenue from mandatory health insurance, last closed year.
    pub am_revenue: Option<Euros>,
}

/// The sites of the multi-site legal entities (`sites.csv`), in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sites {
    pub(super) entity_of: FastMap<Finess, Finess>,
    pub(super) by_entity: FastMap<Finess, Vec<Finess>>,
}

impl Sites {
    /// The legal entity of a site.
    pub fn entity_of(&self, site: Finess) -> Option<Finess> {
        self.entity_of.get(&site).copied()
    }

    /// The sites of a legal entity (empty for an establishment without sites).
    pub fn of_entity(&self, entity: Finess) -> &[Finess] {
        self.by_entity.get(&entity).map_or(&[], Vec::as_slice)
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.entity_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entity_of.is_empty()
    }
}

/// Reads `etablissements.csv`.
pub fn read_establishments(file: &str, text: &str) -> Result<Vec<EstablishmentRow>, InputError> {
    let rows = read_establishment_records(file, text)?;
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// [`read_establishments`], each row with its line (the platform names it in its own
/// checks of the rows).
pub fn read_establishment_records(
    file: &str,
    text: &str,
) -> Result<Vec<AtLine<EstablishmentRow>>, InputError> {
    let mut rows: Vec<AtLine<EstablishmentRow>> = Vec::new();
    let mut seen: HashMap<Finess, u64> = HashMap::new();
    read_records(
        file,
        text,
        &[
            "finess",
            "raison_sociale",
            "categorie",
            "region",
            "produits_am",
        ],
        |sheet, record| {
            let finess = sheet.finess(record)?;
            if let Some(first) = seen.insert(finess, sheet.line) {
                return Err(sheet.err(
                    Some("finess"),
                    format!("établissement {finess} en double (déjà ligne {first})"),
                ));
            }
            let category: Category = sheet.required(record, "categorie")?.parse().map_err(
                |e: caqes_core::category::UnknownCategory| {
                    sheet.err(Some("categorie"), e.to_string())
                },
            )?;
            let revenue = sheet.get(record, "produits_am");
            // The one French amount reader (no negative amount, at most the cents).
            let am_revenue = if revenue.is_empty() {
                None
            } else {
                Some(
                    Euros::parse_fr(revenue)
                        .map_err(|e| sheet.err(Some("produits_am"), e.to_string()))?,
                )
            };
            rows.push(AtLine {
                line: sheet.line,
                row: EstablishmentRow {
                    finess,
                    name: sheet.get(record, "raison_sociale").to_owned(),
                    category,
                    region: sheet.get(record, "region").to_owned(),
                    am_revenue,
                },
            });
            Ok(())
        },
    )?;
    Ok(rows)
}

/// Reads `sites.csv` (`finess_geographique;finess_juridique`): every legal entity must be
/// in `etablissements.csv`, a site belongs to one entity only and is not itself an
/// establishment of the file.
pub fn read_sites(
    file: &str,
    text: &str,
    establishments: &[EstablishmentRow],
) -> Result<Sites, InputError> {
    let known: HashMap<Finess, u64> = establishments
        .iter()
        .enumerate()
        .map(|(i, e)| (e.finess, i as u64))
        .collect();
    let mut sites = Sites::default();
    let mut lines: HashMap<Finess, u64> = HashMap::new();
    read_records(
        file,
        text,
        &["finess_geographique", "finess_juridique"],
        |sheet, record| {
            let site = sheet.finess_in(record, "finess_geographique")?;
            let entity = sheet.finess_in(record, "finess_juridique")?;
            if !known.contains_key(&entity) {
                return Err(sheet.err(
                    Some("finess_juridique"),
                    format!(
                        "l'entité juridique {entity} n'est pas dans le fichier des établissements"
                    ),
                ));
            }
            if known.contains_key(&site) {
                return Err(sheet.err(
                    Some("finess_geographique"),
                    format!(
                        "le site {site} est aussi un établissement du fichier des établissements : \
                         un numéro est soit un site, soit un établissement évalué"
                    ),
                ));
            }
            if let Some(first) = lines.insert(site, sheet.line) {
                return Err(sheet.err(
                    Some("finess_geographique"),
                    format!("site {site} en double (déjà ligne {first})"),
                ));
            }
            sites.entity_of.insert(site, entity);
            sites.by_entity.entry(entity).or_default().push(site);
            Ok(())
        },
    )?;
    Ok(sites)
}
