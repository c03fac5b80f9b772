//! The juste-prescription estimator of an entity (issue 12, seed 001): what an IV → oral
//! switch (proton-pump inhibitors, paracetamol) and a higher biosimilar uptake would save.
//! The assumptions are a GET form (a link keeps them), prefilled with the seed's figures;
//! the biosimilar boxes are the entity's own, from the last PHEV upload. The arithmetic is
//! `caqes_core::estimator`'s, exact; amounts are rounded to the cent on display only.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use caqes_core::Euros;
use caqes_core::Finess;
use caqes_core::estimator::{BiosimilarUptake, IvToOral, biosimilar_uptake, iv_to_oral};
use caqes_documents::format;
use caqes_documents::render::ranking_chart::{RankingBar, RankingChart};
use caqes_store::CampaignId;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::view::{count_text, euros_text, rate_text};
use crate::auth::CurrentUser;
use crate::dossier::load;
use crate::request::error::AppResult;
use crate::request::extract::{Path, Query};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;

/// One IV → oral lever and the seed's figures (AP-HP, 2023 purchases).
struct IvDefaults {
    key: &'static str,
    label: &'static str,
    spending: &'static str,
    iv_price: &'static str,
    oral_low: &'static str,
    oral_high: &'static str,
}

const IV_LEVERS: [IvDefaults; 2] = [
    IvDefaults {
        key: "ipp",
        label: "Inhibiteurs de la pompe à protons (IPP)",
        spending: "1540000",
        iv_price: "0,79",
        oral_low: "0,06",
        oral_high: "0,08",
    },
    IvDefaults {
        key: "paracetamol",
        label: "Paracétamol",
        spending: "730000",
        iv_price: "0,69",
        oral_low: "0,005",
        oral_high: "0,06",
    },
];

/// Share of the IV units switched by default: the PERMI study quoted by the seed
/// (« 17 % de ces perfusions pourraient être évitées »).
const DEFAULT_SHARE: &str = "17";
/// Default biosimilar target rate: the national objective of 80 % biosimilar uptake
/// (Stratégie nationale de santé 2018-2022); the référentiel's III-03 has no national rate.
const DEFAULT_BIOSIMILAR_TARGET: &str = "80";

/// One input of the form.
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub value: String,
    pub unit: &'static str,
}

/// One group of inputs (a lever).
pub struct LeverForm {
    pub id: String,
    pub title: String,
    pub note: String,
    pub fields: Vec<FieldView>,
}

/// One line of the what-if table.
pub struct ResultRow {
    pub lever: String,
    pub assumptions: String,
    pub volume: String,
    pub saving_low: String,
    pub saving_high: String,
}

#[derive(Template)]
#[template(path = "phev_estimator.html")]
pub struct EstimatorPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub finess: String,
    pub name: String,
    pub year: i16,
    pub forms: Vec<LeverForm>,
    pub errors: Vec<String>,
    pub rows: Vec<ResultRow>,
    pub total_low: String,
    pub total_high: String,
    pub svg: String,
    pub has_phev: bool,
}

impl_page!(EstimatorPage);

/// A number typed in French (« 1 540 000 », « 0,79 »).
fn parse_number(label: &str, text: &str) -> Result<Decimal, String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '€' | '%'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    cleaned
        .parse::<Decimal>()
        .map_err(|_| format!("{label} : « {text} » n'est pas un nombre"))
}

/// The value of `name`: the query's, else the default.
fn value(q: &BTreeMap<String, String>, name: &str, default: &str) -> String {
    q.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| default.to_owned())
}

/// « 12 345,68 € à 23 456,79 € », or one amount when both bounds are equal.
fn range_text(low: Euros, high: Euros) -> String {
    if low.to_cents() == high.to_cents() {
        euros_text(low.amount())
    } else {
        format!(
            "{} à {}",
            euros_text(low.amount()),
            euros_text(high.amount())
        )
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let s = &user.0;
    let dossier = load(&state, &s.user, &campaign_id, &finess).await?;
    let campaign = &dossier.campaign;
    let me = dossier.entity.finess;
    let summaries = state.store.phev_summaries(&campaign.id).await?;
    let mine = summaries.into_iter().find(|x| x.entity == me);
    let mut page = EstimatorPage {
        layout: Layout::for_user(
            &format!("Estimateur de juste prescription — {}", dossier.entity.name),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.to_string(),
        finess: me.to_string(),
        name: dossier.entity.name.clone(),
        year: campaign.year,
        forms: Vec::new(),
        errors: Vec::new(),
        rows: Vec::new(),
        total_low: String::new(),
        total_high: String::new(),
        svg: String::new(),
        has_phev: mine.is_some(),
    };
    let mut total = (Euros::ZERO, Euros::ZERO);
    let mut bars = Vec::new();
    for lever in &IV_LEVERS {
        let k = lever.key;
        let field = |suffix: &str, label: &str, default: &str, unit: &'static str| FieldView {
            name: format!("{k}_{suffix}"),
            label: label.to_owned(),
            value: value(&q, &format!("{k}_{suffix}"), default),
            unit,
        };
        let fields = vec![
            field("depense", "Dépense annuelle IV", lever.spending, "€"),
            field("prix_iv", "Prix unitaire IV (PUHT)", lever.iv_price, "€"),
            field(
                "prix_oral_bas",
                "Prix unitaire oral, bas",
                lever.oral_low,
                "€",
            ),
            field(
                "prix_oral_haut",
                "Prix unitaire oral, haut",
                lever.oral_high,
                "€",
            ),
            field(
                "part",
                "Part des unités IV relayées par voie orale",
                DEFAULT_SHARE,
                "%",
            ),
        ];
        let parsed: Result<Vec<Decimal>, String> = fields
            .iter()
            .map(|f| parse_number(&format!("{} — {}", lever.label, f.label), &f.value))
            .collect();
        let estimate = parsed.and_then(|v| {
            iv_to_oral(&IvToOral {
                label: lever.label.to_owned(),
                iv_spending: Euros(v[0]),
                iv_unit_price: Euros(v[1]),
                oral_unit_price: (Euros(v[2]), Euros(v[3])),
                switch_share: v[4],
            })
            .map_err(|e| e.to_string())
            .map(|r| (v, r))
        });
        match estimate {
            Ok((v, r)) => {
                total.0 = total.0 + r.saving_low;
                total.1 = total.1 + r.saving_high;
                bars.push((lever.label.to_owned(), r.saving_low, r.saving_high));
                page.rows.push(ResultRow {
                    lever: format!("{} : relais IV → voie orale", lever.label),
                    assumptions: format!(
                        "{} de dépense IV à {} l'unité, {} relayées, voie orale de {} à {}",
                        euros_text(v[0]),
                        format::decimal_trimmed(v[1], 4),
                        format::percent_trimmed(v[4], 2),
                        format::decimal_trimmed(v[2], 4),
                        format::decimal_trimmed(v[3], 4),
                    ),
                    volume: format!(
                        "{} unités sur {}",
                        format::decimal(r.switched_units, 0),
                        format::decimal(r.iv_units, 0)
                    ),
                    saving_low: euros_text(r.saving_low.amount()),
                    saving_high: euros_text(r.saving_high.amount()),
                });
            }
            Err(m) => page.errors.push(m),
        }
        page.forms.push(LeverForm {
            id: format!("levier-{k}"),
            title: format!("{} : relais IV → voie orale", lever.label),
            note: "Valeurs par défaut : AP-HP, chiffre d'affaires 2023 (task force « Juste prescription », \
                   1er février 2024) ; part relayée : étude PERMI, 17 % des perfusions évitables."
                .to_owned(),
            fields,
        });
    }
    if let Some(mine) = &mine {
        for c in &mine.biosimilars {
            let k = format!("bio_{}", c.id);
            let fields = vec![
                FieldView {
                    name: format!("{k}_cible"),
                    label: "Taux cible de biosimilaires".into(),
                    value: value(&q, &format!("{k}_cible"), DEFAULT_BIOSIMILAR_TARGET),
                    unit: "%",
                },
                FieldView {
                    name: format!("{k}_prix_ref"),
                    label: "Prix d'une boîte du médicament de référence".into(),
                    value: value(&q, &format!("{k}_prix_ref"), ""),
                    unit: "€",
                },
                FieldView {
                    name: format!("{k}_prix_bio"),
                    label: "Prix d'une boîte de biosimilaire".into(),
                    value: value(&q, &format!("{k}_prix_bio"), ""),
                    unit: "€",
                },
            ];
            let optional = |f: &FieldView| -> Result<Option<Euros>, String> {
                if f.value.is_empty() {
                    Ok(None)
                } else {
                    parse_number(&format!("{} — {}", c.label, f.label), &f.value)
                        .map(|d| Some(Euros(d)))
                }
            };
            let estimate = parse_number(
                &format!("{} — {}", c.label, fields[0].label),
                &fields[0].value,
            )
            .and_then(|target| {
                let reference = optional(&fields[1])?;
                let biosimilar = optional(&fields[2])?;
                biosimilar_uptake(&BiosimilarUptake {
                    label: c.label.clone(),
                    biosimilar_boxes: c.biosimilars,
                    reference_boxes: c.references,
                    target_rate: target,
                    reference_price: reference,
                    biosimilar_price: biosimilar,
                })
                .map_err(|e| e.to_string())
                .map(|r| (target, r))
            });
            match estimate {
                Ok((target, r)) => {
                    if let Some(saving) = r.saving {
                        total.0 = total.0 + saving;
                        total.1 = total.1 + saving;
                        bars.push((format!("Biosimilaires : {}", c.label), saving, saving));
                    }
                    page.rows.push(ResultRow {
                        lever: format!("Biosimilaires : {}", c.label),
                        assumptions: format!(
                            "{} boîtes de biosimilaires et {} de référence ({}), cible {}",
                            count_text(c.biosimilars),
                            count_text(c.references),
                            rate_text(c.rate()),
                            format::percent_trimmed(target, 2)
                        ),
                        volume: format!("{} boîtes", format::decimal_trimmed(r.switched_boxes, 2)),
                        saving_low: r
                            .saving
                            .map_or_else(|| "prix à saisir".to_owned(), |e| euros_text(e.amount())),
                        saving_high: r
                            .saving
                            .map_or_else(|| "prix à saisir".to_owned(), |e| euros_text(e.amount())),
                    });
                }
                Err(m) => page.errors.push(m),
            }
            page.forms.push(LeverForm {
                id: format!("levier-{k}"),
                title: format!("Biosimilaires : {}", c.label),
                note: format!(
                    "Boîtes de l'établissement en {} (Open PHMEV) : {} de biosimilaires, {} de référence. \
                     Taux cible par défaut : objectif national de 80 % (Stratégie nationale de santé 2018-2022) ; \
                     prix à saisir.",
                    campaign.year,
                    count_text(c.biosimilars),
                    count_text(c.references)
                ),
                fields,
            });
        }
    }
    page.total_low = euros_text(total.0.amount());
    page.total_high = euros_text(total.1.amount());
    page.svg = RankingChart {
        id: "estimateur-graphique".into(),
        title: "Économie annuelle estimée par levier (hypothèse haute)".into(),
        bars: bars
            .iter()
            .map(|(label, low, high)| RankingBar {
                label: label.clone(),
                value: high.amount().to_f64().unwrap_or(0.0),
                value_text: range_text(*low, *high),
                highlighted: false,
            })
            .collect(),
        reference: None,
    }
    .to_svg();
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_are_read() {
        assert_eq!(parse_number("x", "1 540 000"), Ok(Decimal::from(1_540_000)));
        assert_eq!(parse_number("x", "0,79"), Ok("0.79".parse().unwrap()));
        assert_eq!(
            parse_number("IPP — part", "dix"),
            Err("IPP — part : « dix » n'est pas un nombre".to_owned())
        );
    }
}
