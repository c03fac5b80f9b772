//! Reading a référentiel from its TOML text: the file as people write it (`raw`), the
//! checks that make it a [`Referentiel`] (`Validator`: points per part, unique codes,
//! applicability for every category, known kinds, directions and sources), and French
//! errors naming the file and the line.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    ClassRule, Deliverable, Direction, Indicator, IndicatorClass, Kind, Part, Referentiel,
    ReferentielError,
};
use crate::category::Category;
use crate::grid::regime::Regime;
use crate::volets::VoletsParameters;

/// Parses and validates the text of a first-generation grid (its regime already checked).
pub(super) fn parse(file: &str, text: &str) -> Result<Referentiel, ReferentielError> {
    let raw: raw::File = toml::from_str(text).map_err(|e| ReferentielError {
        file: file.to_owned(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: translate_toml_error(e.message()),
    })?;
    Validator { file, text }.build(raw)
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The toml crate's messages are in English; the common ones are translated for ARS staff.
fn translate_toml_error(message: &str) -> String {
    let m = message.trim();
    if let Some(rest) = m.strip_prefix("missing field ") {
        return format!("champ obligatoire manquant : {rest}");
    }
    if let Some(rest) = m.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return format!("champ inconnu : {name}");
    }
    if let Some(rest) = m.strip_prefix("unknown variant ") {
        return format!("valeur inconnue : {rest}");
    }
    if m.starts_with("duplicate key") {
        return format!("clé en double ({m})");
    }
    if m.starts_with("invalid type") {
        return format!("type de valeur incorrect ({m})");
    }
    if m.contains("max recursion depth") {
        // Tables or arrays nested too deep: the parser stops before exhausting the stack.
        return "fichier TOML invalide : tableaux ou tables emboîtés sur trop de niveaux"
            .to_owned();
    }
    format!("fichier TOML invalide : {m}")
}

struct Validator<'a> {
    file: &'a str,
    text: &'a str,
}

impl Validator<'_> {
    fn err(&self, span: Option<std::ops::Range<usize>>, message: String) -> ReferentielError {
        ReferentielError {
            file: self.file.to_owned(),
            line: span.map(|s| line_of(self.text, s.start)),
            message,
        }
    }

    fn build(&self, raw: raw::File) -> Result<Referentiel, ReferentielError> {
        let id = raw.id.get_ref().trim().to_owned();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(self.err(
                Some(raw.id.span()),
                format!("identifiant « {id} » invalide : lettres minuscules, chiffres et tirets uniquement"),
            ));
        }
        let mut categories = Vec::new();
        for c in &raw.categories {
            let cat: Category =
                c.get_ref()
                    .parse()
                    .map_err(|e: crate::category::UnknownCategory| {
                        self.err(Some(c.span()), e.to_string())
                    })?;
            if categories.contains(&cat) {
                return Err(self.err(Some(c.span()), format!("catégorie {cat} en double")));
            }
            categories.push(cat);
        }
        if categories.is_empty() {
            return Err(self.err(None, "la liste « categories » est vide".into()));
        }

        let mut parts: Vec<Part> = Vec::new();
        for p in &raw.parties {
            let number = p.numero.get_ref().trim().to_owned();
            if parts.iter().any(|q| q.number == number) {
                return Err(self.err(Some(p.numero.span()), format!("partie {number} en double")));
            }
            parts.push(Part {
                number,
                title: p.titre.clone(),
                article: p.article.clone(),
                points: p.points,
                bonus_points: p.points_bonus,
            });
        }

        let parameters = self.parameters(&raw)?;
        let mut codes = BTreeSet::new();
        let mut indicators = Vec::new();
        for ind in raw.indicateurs {
            indicators.push(self.indicator(ind, &parts, &categories, &mut codes)?);
        }
        if indicators.is_empty() {
            return Err(self.err(None, "le référentiel ne contient aucun indicateur".into()));
        }
        for (p, raw_part) in parts.iter().zip(&raw.parties) {
            let points: Decimal = indicators
                .iter()
                .filter(|i| i.part == p.number && !i.bonus)
                .map(|i| i.points)
                .sum();
            let bonus: Decimal = indicators
                .iter()
                .filter(|i| i.part == p.number && i.bonus)
                .map(|i| i.points)
                .sum();
            if points != p.points {
                return Err(self.err(
                    Some(raw_part.numero.span()),
                    format!(
                        "partie {} : les indicateurs totalisent {} points, la partie en annonce {}",
                        p.number,
                        points.normalize(),
                        p.points.normalize()
                    ),
                ));
            }
            if bonus != p.bonus_points {
                return Err(self.err(
                    Some(raw_part.numero.span()),
                    format!(
                        "partie {} : les indicateurs bonus totalisent {} points, la partie en annonce {}",
                        p.number,
                        bonus.normalize(),
                        p.bonus_points.normalize()
                    ),
                ));
            }
        }
        if let Some(total) = raw.points_total {
            let sum: Decimal = parts.iter().map(|p| p.points).sum();
            if sum != total {
                return Err(self.err(
                    None,
                    format!(
                        "les parties totalisent {} points, « points_total » en annonce {}",
                        sum.normalize(),
                        total.normalize()
                    ),
                ));
            }
        }
        Ok(Referentiel {
            id,
            title: raw.titre,
            region: raw.region,
            baseline_year: raw.annee_etat_des_lieux,
            version: raw.version,
            source: raw.source,
            redistribution: raw.redistribution,
            categories,
            parts,
            indicators,
            parameters,
        })
    }

    fn parameters(&self, raw: &raw::File) -> Result<VoletsParameters, ReferentielError> {
        let defaults = VoletsParameters::default();
        let params = VoletsParameters {
            sanction: raw
                .sanction
                .as_ref()
                .map_or(defaults.sanction, |s| s.get_ref().clone()),
            transports: raw
                .transports
                .as_ref()
                .map_or(defaults.transports, |s| s.get_ref().clone()),
            pertinence: raw
                .pertinence
                .as_ref()
                .map_or(defaults.pertinence, |s| s.get_ref().clone()),
            qualite: raw
                .qualite
                .as_ref()
                .map_or(defaults.qualite, |s| s.get_ref().clone()),
            calendrier: raw
                .calendrier
                .as_ref()
                .map_or(defaults.calendrier, |s| s.get_ref().clone()),
        };
        params.validate().map_err(|e| {
            use crate::volets::ParametersError;
            let span = match &e {
                ParametersError::Sanction(_) => raw.sanction.as_ref().map(|s| s.span()),
                ParametersError::Calendar(_) => raw.calendrier.as_ref().map(|s| s.span()),
                ParametersError::Volet(_) => raw
                    .transports
                    .as_ref()
                    .map(|s| s.span())
                    .or_else(|| raw.pertinence.as_ref().map(|s| s.span()))
                    .or_else(|| raw.qualite.as_ref().map(|s| s.span())),
            };
            self.err(span, e.to_string())
        })?;
        Ok(params)
    }

    fn indicator(
        &self,
        ind: raw::Indicator,
        parts: &[Part],
        categories: &[Category],
        codes: &mut BTreeSet<String>,
    ) -> Result<Indicator, ReferentielError> {
        let span = ind.code.span();
        let code = ind.code.into_inner().trim().to_owned();
        if code.is_empty() || code.contains(char::is_whitespace) || code.contains(';') {
            return Err(self.err(Some(span), format!("code d'indicateur « {code} » invalide")));
        }
        if !codes.insert(code.clone()) {
            return Err(self.err(Some(span), format!("code d'indicateur {code} en double")));
        }
        let mut classes: Vec<IndicatorClass> = Vec::new();
        for c in ind.classes.unwrap_or_default() {
            let class_code = c.code.trim().to_owned();
            if class_code.is_empty()
                || !class_code
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                return Err(self.err(
                    Some(span),
                    format!("indicateur {code} : code de classe « {class_code} » invalide (lettres, chiffres, _ et - sans accent)"),
                ));
            }
            let line_code = format!("{code}/{class_code}");
            if !codes.insert(line_code.clone()) {
                return Err(self.err(
                    Some(span),
                    format!("indicateur {code} : classe {class_code} en double"),
                ));
            }
            classes.push(IndicatorClass {
                code: class_code,
                label: c.libelle.trim().to_owned(),
                line_code,
            });
        }
        if !classes.is_empty()
            && (!matches!(ind.kind, Kind::Proportion | Kind::Growth | Kind::Ratio)
                || ind.compare_annee_precedente)
        {
            return Err(self.err(
                Some(span),
                format!("indicateur {code} : des classes ne s'appliquent qu'à un indicateur chiffré de l'année (proportion, evolution ou ratio, sans compare_annee_precedente)"),
            ));
        }
        if classes.len() == 1 {
            return Err(self.err(
                Some(span),
                format!(
                    "indicateur {code} : une seule classe ; en donner au moins deux, ou aucune"
                ),
            ));
        }
        if ind.regle_classes.is_some() && classes.is_empty() {
            return Err(self.err(
                Some(span),
                format!("indicateur {code} : regle_classes sans classes"),
            ));
        }
        if !parts.iter().any(|p| p.number == ind.partie) {
            return Err(self.err(
                Some(span),
                format!("indicateur {code} : partie « {} » inconnue", ind.partie),
            ));
        }
        if ind.points < Decimal::ZERO {
            return Err(self.err(Some(span), format!("indicateur {code} : points négatifs")));
        }
        let yes_no = matches!(ind.kind, Kind::YesNo | Kind::Document | Kind::TriState);
        if yes_no && ind.compare_annee_precedente {
            return Err(self.err(
                Some(span),
                format!("indicateur {code} : « compare_annee_precedente » ne s'applique qu'à un indicateur chiffré"),
            ));
        }
        if yes_no && ind.sens != Direction::HigherIsBetter {
            return Err(self.err(
                Some(span),
                format!("indicateur {code} : un indicateur {} se lit « hausse » (OUI vaut mieux que NON)", ind.kind.code()),
            ));
        }
        if ind.sources.is_empty() {
            return Err(self.err(
                Some(span),
                format!("indicateur {code} : aucune source de données"),
            ));
        }
        let mut applicability = BTreeMap::new();
        for (key, value) in &ind.applicabilite {
            let cat: Category = key.parse().map_err(|e: crate::category::UnknownCategory| {
                self.err(Some(span.clone()), format!("indicateur {code} : {e}"))
            })?;
            if !categories.contains(&cat) {
                return Err(self.err(
                    Some(span.clone()),
                    format!("indicateur {code} : la catégorie {cat} n'est pas dans la liste « categories » du référentiel"),
                ));
            }
            applicability.insert(cat, *value);
        }
        let missing: Vec<&str> = categories
            .iter()
            .filter(|c| !applicability.contains_key(c))
            .map(|c| c.code())
            .collect();
        if !missing.is_empty() {
            return Err(self.err(
                Some(span),
                format!(
                    "indicateur {code} : applicabilité non précisée pour {}",
                    missing.join(", ")
                ),
            ));
        }
        let mut default_targets = BTreeMap::new();
        for (year, target) in &ind.cible_defaut {
            let y = year
                .trim()
                .parse::<i16>()
                .ok()
                .filter(|y| (1900..=2200).contains(y))
                .ok_or_else(|| {
                    self.err(
                        Some(span.clone()),
                        format!(
                            "indicateur {code} : cible_defaut : « {year} » n'est pas une année"
                        ),
                    )
                })?;
            if !matches!(ind.kind, Kind::Proportion | Kind::Growth | Kind::Ratio) {
                return Err(self.err(
                    Some(span.clone()),
                    format!("indicateur {code} : une cible par défaut ne s'applique qu'à un indicateur chiffré"),
                ));
            }
            default_targets.insert(y, *target);
        }
        let mut by_category = BTreeMap::new();
        for (key, value) in &ind.livrable_etat_des_lieux_par_categorie {
            let cat: Category = key.parse().map_err(|e: crate::category::UnknownCategory| {
                self.err(Some(span.clone()), format!("indicateur {code} : {e}"))
            })?;
            by_category.insert(cat, *value);
        }
        if let Some(kind) = ind.type_etat_des_lieux
            && !matches!(kind, Kind::YesNo | Kind::Document | Kind::TriState)
        {
            return Err(self.err(
                Some(span.clone()),
                format!("indicateur {code} : type_etat_des_lieux attend oui_non, document ou oui_en_cours_non"),
            ));
        }
        Ok(Indicator {
            default_targets,
            baseline_deliverable: ind.livrable_etat_des_lieux.unwrap_or(Deliverable::Value),
            baseline_deliverable_by_category: by_category,
            baseline_kind: ind.type_etat_des_lieux,
            numerator_alone_at_baseline: ind.numerateur_seul_etat_des_lieux,
            min_sample: ind.echantillon_min,
            classes,
            class_rule: ind.regle_classes.unwrap_or(ClassRule::EqualShares),
            code,
            part: ind.partie,
            objective: ind.objectif,
            label: ind.libelle,
            scope: ind.portee,
            kind: ind.kind,
            direction: ind.sens,
            sources: ind.sources,
            points: ind.points,
            bonus: ind.bonus,
            numerator: ind.numerateur,
            denominator: ind.denominateur,
            year_over_year: ind.compare_annee_precedente,
            unit: ind.unite,
            baseline_target: ind.cible_etat_des_lieux,
            comment: ind.commentaire,
            applicability,
        })
    }
}

/// The file as written by people, before validation.
mod raw {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::Deserialize;
    use toml::Spanned;

    use crate::grid::referentiel::{
        Applicability, ClassRule, Deliverable, Direction, Kind, Redistribution, Scope, Source,
    };
    use crate::procedure::calendar::CalendarParameters;
    use crate::sanction::SanctionParameters;
    use crate::volets::pertinence::PertinenceParameters;
    use crate::volets::quality::QualityParameters;
    use crate::volets::transport::TransportParameters;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub id: Spanned<String>,
        /// Always `caqes-2018` here (checked before parsing); may be written explicitly.
        #[serde(default)]
        #[expect(dead_code, reason = "read by regimes::declared_regime before parsing")]
        pub regime: Option<crate::grid::regime::Regime>,
        pub titre: String,
        pub region: String,
        pub annee_etat_des_lieux: i16,
        #[serde(default = "one")]
        pub version: u32,
        pub source: Option<String>,
        pub redistribution: Redistribution,
        pub categories: Vec<Spanned<String>>,
        /// Optional check of the total announced by the grid (e.g. 100).
        pub points_total: Option<Decimal>,
        pub parties: Vec<Part>,
        pub indicateurs: Vec<Indicator>,
        pub sanction: Option<Spanned<SanctionParameters>>,
        pub transports: Option<Spanned<TransportParameters>>,
        pub pertinence: Option<Spanned<PertinenceParameters>>,
        pub qualite: Option<Spanned<QualityParameters>>,
        pub calendrier: Option<Spanned<CalendarParameters>>,
    }

    fn one() -> u32 {
        1
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Part {
        pub numero: Spanned<String>,
        pub titre: String,
        pub article: Option<String>,
        pub points: Decimal,
        #[serde(default)]
        pub points_bonus: Decimal,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Indicator {
        pub code: Spanned<String>,
        pub partie: String,
        pub objectif: Option<String>,
        pub libelle: String,
        pub portee: Scope,
        #[serde(rename = "type")]
        pub kind: Kind,
        pub sens: Direction,
        pub sources: Vec<Source>,
        pub points: Decimal,
        #[serde(default)]
        pub bonus: bool,
        pub numerateur: Option<String>,
        pub denominateur: Option<String>,
        #[serde(default)]
        pub compare_annee_precedente: bool,
        pub unite: String,
        pub cible_etat_des_lieux: Option<String>,
        pub commentaire: Option<String>,
        pub applicabilite: BTreeMap<String, Applicability>,
        #[serde(default)]
        pub cible_defaut: BTreeMap<String, Decimal>,
        pub livrable_etat_des_lieux: Option<Deliverable>,
        #[serde(default)]
        pub livrable_etat_des_lieux_par_categorie: BTreeMap<String, Deliverable>,
        pub type_etat_des_lieux: Option<Kind>,
        #[serde(default)]
        pub numerateur_seul_etat_des_lieux: bool,
        pub echantillon_min: Option<Decimal>,
        pub classes: Option<Vec<Class>>,
        pub regle_classes: Option<ClassRule>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Class {
        pub code: String,
        pub libelle: String,
    }
}

/// Only the header field `regime`, read before choosing the parser.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    regime: Regime,
}

/// The regime a TOML text declares (absent = `caqes-2018`). A text that is not TOML,
/// or whose regime is unknown, answers with the error of the real parser.
pub fn declared_regime(file: &str, text: &str) -> Result<Regime, ReferentielError> {
    match toml::from_str::<Header>(text) {
        Ok(h) => Ok(h.regime),
        Err(e) => {
            // An unknown regime word is reported with its line; anything else is left to
            // the full parser, whose messages are more precise.
            if e.message().contains("unknown variant") {
                Err(ReferentielError {
                    file: file.to_owned(),
                    line: e.span().map(|s| line_of(text, s.start)),
                    message: format!(
                        "régime inconnu : les valeurs possibles sont « caqes-2018 », « caqes-2022 » et « incitation-2026 » ({})",
                        e.message().trim()
                    ),
                })
            } else {
                Ok(Regime::Caqes2018)
            }
        }
    }
}
