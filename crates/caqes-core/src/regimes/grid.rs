//! Objectives grids: the référentiels of the second generation (`caqes-2022`) and of the
//! 2026 incentive (`incitation-2026`). Format in `referentiels/README.md`.
//!
//! Unlike a first-generation grid there are no points: each indicator carries an
//! objective (a reduction of x % a year, or a value to reach), what its savings are
//! measured on (euros of AM spending), the share of the savings paid as intéressement,
//! and its sources. Open numbers are [`Parameter`]s with a source and `a_confirmer`.

use std::collections::BTreeSet;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Parameter, Regime, line_of};
use crate::grid::referentiel::{Direction, ReferentielError, Scope};

/// The last day a CAQES can run: L162-30-2 is abrogated on 1 January 2027.
pub const LEGAL_END: jiff::civil::Date = jiff::civil::date(2026, 12, 31);

/// A validated objectives grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectivesGrid {
    pub id: String,
    #[serde(rename = "titre")]
    pub title: String,
    pub region: String,
    pub regime: Regime,
    pub version: u32,
    pub source: Option<String>,
    /// An example grid (not a published one): said in every output.
    #[serde(rename = "exemple")]
    pub example: bool,
    /// The grid whose indicators this one includes (a regional grid includes
    /// `national-2022`: a contract holds national and regional indicators).
    #[serde(rename = "inclut")]
    pub includes: Option<String>,
    /// `[contrat]`: caqes-2022 only (the 2026 scheme has no contract).
    #[serde(rename = "contrat")]
    pub contract: Option<ContractParameters>,
    #[serde(rename = "interessement")]
    pub incentive: IncentiveParameters,
    /// `[interessement_regional]`: how the regional intéressement is set.
    #[serde(rename = "interessement_regional")]
    pub regional: Option<RegionalRule>,
    /// `[penalite]`: incitation-2026 only.
    #[serde(rename = "penalite")]
    pub penalty: Option<PenaltyParameters>,
    pub volets: Vec<Volet>,
    #[serde(rename = "indicateurs")]
    pub indicators: Vec<ObjectiveIndicator>,
}

/// `[contrat]`: the contract's legal frame (CSS L162-30-2, D162-15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractParameters {
    /// Maximum duration in years (5: L162-30-2).
    pub duree_max_ans: Parameter<u8>,
    /// Last possible end date (31 December 2026: L162-30-2 abrogated on 1 January 2027).
    pub fin_au_plus_tard: Parameter<Date>,
    /// Start date used when a region gives none (1 July 2022 in most regions).
    pub debut_defaut: Option<Parameter<Date>>,
    /// Refusal-to-sign sanction, in % of the last closed year's AM income (1).
    pub sanction_refus_pct: Parameter<Decimal>,
    /// Days to sign or refuse after receipt of the proposal (3 weeks = 21: D162-15).
    pub delai_reponse_jours: Parameter<u16>,
    /// Days to sign after receipt of the second proposal (15: D162-15).
    pub delai_seconde_proposition_jours: Parameter<u16>,
}

/// `[interessement]`: the rules of the incentive on savings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncentiveParameters {
    /// Pay the share of savings even when the objective is missed (L162-30-4 sizes the
    /// intéressement on savings « et » the degree the objectives were met; the arrêté's
    /// formula, art. 1 III, was not read: spec §7 Q4).
    pub paiement_si_objectif_non_atteint: Parameter<bool>,
}

/// How the regional intéressement is set (D162-16 V 1°: « en fonction du degré de
/// réalisation de l'ensemble des objectifs » on the regional indicators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionalRule {
    pub mode: RegionalMode,
    /// `proportion_objectifs`: the amount per establishment when every regional objective
    /// is met (set by the contract, D162-16 I 3°).
    pub enveloppe: Option<Parameter<Decimal>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionalMode {
    /// enveloppe × (regional objectives met / regional objectives evaluated).
    #[serde(rename = "proportion_objectifs")]
    ShareOfObjectives,
    /// Like the national ones: the indicator's share of its savings.
    #[serde(rename = "part_economies")]
    ShareOfSavings,
}

/// `[penalite]`: the 2026 scheme's penalty (L162-23-14 2°, L162-23-14-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyParameters {
    /// Ceiling in % of the establishment's AM funding (2).
    pub plafond_pct: Parameter<Decimal>,
    /// First day a penalty may apply (1 January 2027 in the consolidated code; the
    /// Assemblée had voted 2028: spec §7 Q18).
    pub a_partir_de: Parameter<Date>,
}

/// A volet of the contract (D162-14 I: up to three).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volet {
    pub numero: String,
    pub titre: String,
    pub reference: Option<String>,
}

/// What an indicator's value measures, hence what its objective and savings read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Measure {
    /// Euros of reimbursed AM spending (`montant`): the objective and the savings read it.
    #[serde(rename = "depense")]
    Spending,
    /// A rate in % (`numerateur` / `denominateur`): the objective reads the rate; the
    /// savings read the spending in the indicator's scope (`montant`), if given.
    #[serde(rename = "taux")]
    Rate,
    /// A count (`numerateur`: boxes, acts): the objective reads it; the savings read
    /// `montant`, if given.
    #[serde(rename = "volume")]
    Volume,
}

impl Measure {
    pub fn code(self) -> &'static str {
        match self {
            Measure::Spending => "depense",
            Measure::Rate => "taux",
            Measure::Volume => "volume",
        }
    }
}

/// The kind of objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectiveKind {
    /// Value N ≤ value N−1 × (1 − valeur/100): « −5 % par an ».
    #[serde(rename = "reduction")]
    Reduction,
    /// Value N compared with `valeur` in the direction `sens` (a rate or a volume to reach).
    #[serde(rename = "cible")]
    Target,
}

/// An indicator's objective, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    #[serde(rename = "type")]
    pub kind: ObjectiveKind,
    /// % of reduction a year (`reduction`) or the value to reach (`cible`).
    pub valeur: Decimal,
    /// `cible` only: `baisse` (at most `valeur`) or `hausse` (at least `valeur`).
    pub sens: Option<Direction>,
    pub source: String,
    #[serde(default)]
    pub a_confirmer: bool,
}

/// A targeting threshold (annex of the arrêté), for the record and the documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub libelle: String,
    /// `None` while the text giving it was not read (annex rows 4–7): printed « non
    /// renseigné » and always to confirm.
    pub valeur: Option<Decimal>,
    pub unite: String,
    pub source: String,
    #[serde(default)]
    pub a_confirmer: bool,
}

/// One indicator of an objectives grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveIndicator {
    pub code: String,
    pub volet: String,
    pub portee: Scope,
    pub libelle: String,
    pub mesure: Measure,
    pub objectif: Objective,
    /// What the savings are counted in: always `euros` (AM spending).
    pub unite_economies: String,
    /// % of the savings paid (national indicators; regional ones in `part_economies`).
    pub part_interessement: Option<Parameter<Decimal>>,
    /// Maximum intéressement for the indicator, in euros (none found in the texts).
    pub plafond: Option<Parameter<Decimal>>,
    pub numerateur: Option<String>,
    pub denominateur: Option<String>,
    /// Who produces the data (DCIR, PMSI…).
    pub source_donnees: String,
    /// The text that defines the indicator.
    pub source: String,
    /// How an establishment is targeted on this indicator.
    pub ciblage: Option<String>,
    #[serde(default)]
    pub seuils_ciblage: Vec<Threshold>,
    /// `false`: neutralised (ezetimibe after the 2022 ESC recommendations, spec §7 Q3).
    #[serde(default = "yes")]
    pub actif: bool,
    pub commentaire: Option<String>,
}

fn yes() -> bool {
    true
}

/// The file as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    id: String,
    regime: Regime,
    titre: String,
    region: String,
    #[serde(default = "one")]
    version: u32,
    source: Option<String>,
    #[serde(default)]
    exemple: bool,
    inclut: Option<String>,
    contrat: Option<ContractParameters>,
    interessement: IncentiveParameters,
    interessement_regional: Option<RegionalRule>,
    penalite: Option<PenaltyParameters>,
    #[serde(default)]
    volets: Vec<Volet>,
    #[serde(default)]
    indicateurs: Vec<ObjectiveIndicator>,
}

fn one() -> u32 {
    1
}

/// Every parameter of the grid that no text fixes yet: `(name, value, source)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToConfirm {
    #[serde(rename = "parametre")]
    pub name: String,
    #[serde(rename = "valeur")]
    pub value: String,
    pub source: String,
}

impl ObjectivesGrid {
    /// Parses and validates an objectives grid. `file` names the source in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<ObjectivesGrid, ReferentielError> {
        Self::parse(file, text, true)
    }

    fn parse(file: &str, text: &str, allow_include: bool) -> Result<Self, ReferentielError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ReferentielError {
            file: file.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: translate(e.message()),
        })?;
        let v = Check { file, text };
        v.build(raw, allow_include)
    }

    /// The indicator with this code.
    pub fn indicator(&self, code: &str) -> Option<&ObjectiveIndicator> {
        self.indicators.iter().find(|i| i.code == code)
    }

    /// Every parameter marked `a_confirmer`, in the file's order.
    pub fn to_confirm(&self) -> Vec<ToConfirm> {
        let mut out = Vec::new();
        let mut push = |name: String, value: String, source: &str, flag: bool| {
            if flag {
                out.push(ToConfirm {
                    name,
                    value,
                    source: source.to_owned(),
                });
            }
        };
        if let Some(c) = &self.contract {
            push(
                "contrat.duree_max_ans".into(),
                c.duree_max_ans.valeur.to_string(),
                &c.duree_max_ans.source,
                c.duree_max_ans.a_confirmer,
            );
            push(
                "contrat.fin_au_plus_tard".into(),
                c.fin_au_plus_tard.valeur.to_string(),
                &c.fin_au_plus_tard.source,
                c.fin_au_plus_tard.a_confirmer,
            );
            if let Some(d) = &c.debut_defaut {
                push(
                    "contrat.debut_defaut".into(),
                    d.valeur.to_string(),
                    &d.source,
                    d.a_confirmer,
                );
            }
            push(
                "contrat.sanction_refus_pct".into(),
                c.sanction_refus_pct.valeur.to_string(),
                &c.sanction_refus_pct.source,
                c.sanction_refus_pct.a_confirmer,
            );
            push(
                "contrat.delai_reponse_jours".into(),
                c.delai_reponse_jours.valeur.to_string(),
                &c.delai_reponse_jours.source,
                c.delai_reponse_jours.a_confirmer,
            );
            push(
                "contrat.delai_seconde_proposition_jours".into(),
                c.delai_seconde_proposition_jours.valeur.to_string(),
                &c.delai_seconde_proposition_jours.source,
                c.delai_seconde_proposition_jours.a_confirmer,
            );
        }
        let p = &self.incentive.paiement_si_objectif_non_atteint;
        push(
            "interessement.paiement_si_objectif_non_atteint".into(),
            p.valeur.to_string(),
            &p.source,
            p.a_confirmer,
        );
        if let Some(Some(e)) = self.regional.as_ref().map(|r| &r.enveloppe) {
            push(
                "interessement_regional.enveloppe".into(),
                e.valeur.to_string(),
                &e.source,
                e.a_confirmer,
            );
        }
        if let Some(pen) = &self.penalty {
            push(
                "penalite.plafond_pct".into(),
                pen.plafond_pct.valeur.to_string(),
                &pen.plafond_pct.source,
                pen.plafond_pct.a_confirmer,
            );
            push(
                "penalite.a_partir_de".into(),
                pen.a_partir_de.valeur.to_string(),
                &pen.a_partir_de.source,
                pen.a_partir_de.a_confirmer,
            );
        }
        for i in &self.indicators {
            push(
                format!("{}.objectif", i.code),
                i.objectif.valeur.normalize().to_string(),
                &i.objectif.source,
                i.objectif.a_confirmer,
            );
            if let Some(s) = &i.part_interessement {
                push(
                    format!("{}.part_interessement", i.code),
                    s.valeur.normalize().to_string(),
                    &s.source,
                    s.a_confirmer,
                );
            }
            if let Some(c) = &i.plafond {
                push(
                    format!("{}.plafond", i.code),
                    c.valeur.normalize().to_string(),
                    &c.source,
                    c.a_confirmer,
                );
            }
            for t in &i.seuils_ciblage {
                push(
                    format!("{}.seuils_ciblage « {} »", i.code, t.libelle),
                    t.valeur
                        .map_or("non renseigné".to_owned(), |v| v.normalize().to_string()),
                    &t.source,
                    t.a_confirmer || t.valeur.is_none(),
                );
            }
        }
        out
    }
}

fn translate(message: &str) -> String {
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
    if m.starts_with("invalid type") {
        return format!("type de valeur incorrect ({m})");
    }
    format!("fichier TOML invalide : {m}")
}

struct Check<'a> {
    file: &'a str,
    text: &'a str,
}

impl Check<'_> {
    fn err(&self, anchor: Option<&str>, message: String) -> ReferentielError {
        // The line of the first occurrence of the anchor (`code = "N1-IPP"`): the raw
        // structs carry no spans, and a code is unique in a valid file.
        let line = anchor
            .and_then(|a| self.text.find(a))
            .map(|offset| line_of(self.text, offset));
        ReferentielError {
            file: self.file.to_owned(),
            line,
            message,
        }
    }

    fn code_anchor(code: &str) -> String {
        format!("code = \"{code}\"")
    }

    fn build(&self, raw: RawFile, allow_include: bool) -> Result<ObjectivesGrid, ReferentielError> {
        let id = raw.id.trim().to_owned();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(self.err(
                Some("id ="),
                format!("identifiant « {id} » invalide : lettres minuscules, chiffres et tirets uniquement"),
            ));
        }
        match raw.regime {
            Regime::Caqes2018 => {
                return Err(self.err(
                    Some("regime"),
                    "une grille d'objectifs relève du régime « caqes-2022 » ou « incitation-2026 »"
                        .into(),
                ));
            }
            Regime::Caqes2022 => {
                if raw.contrat.is_none() {
                    return Err(self.err(
                        None,
                        "régime caqes-2022 : la section [contrat] est obligatoire (durée, date de fin, sanction du refus)".into(),
                    ));
                }
                if raw.penalite.is_some() {
                    return Err(self.err(
                        Some("[penalite]"),
                        "régime caqes-2022 : pas de pénalité pour un objectif manqué (seul le refus de signer est sanctionné) ; retirer la section [penalite]".into(),
                    ));
                }
            }
            Regime::Incitation2026 => {
                if raw.penalite.is_none() {
                    return Err(self.err(
                        None,
                        "régime incitation-2026 : la section [penalite] est obligatoire (plafond, date d'application)".into(),
                    ));
                }
                if raw.contrat.is_some() {
                    return Err(self.err(
                        Some("[contrat]"),
                        "régime incitation-2026 : le dispositif ne passe plus par un contrat (L162-30-2 abrogé) ; retirer la section [contrat]".into(),
                    ));
                }
            }
        }
        if let Some(c) = &raw.contrat {
            self.contract(c)?;
        }
        if let Some(p) = &raw.penalite {
            let pct = p.plafond_pct.valeur;
            if pct < Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
                return Err(self.err(
                    Some("plafond_pct"),
                    format!(
                        "[penalite] plafond_pct : {pct} n'est pas un pourcentage entre 0 et 100"
                    ),
                ));
            }
        }

        // The included grid's volets and indicators come first, then this file's own.
        let mut volets: Vec<Volet> = Vec::new();
        let mut indicators: Vec<ObjectiveIndicator> = Vec::new();
        if let Some(inc) = &raw.inclut {
            if !allow_include {
                return Err(self.err(
                    Some("inclut"),
                    "une grille incluse ne peut pas elle-même en inclure une autre".into(),
                ));
            }
            let Some((inc_file, inc_text)) = super::builtin_objectives(inc) else {
                return Err(self.err(
                    Some("inclut"),
                    format!("inclut : « {inc} » n'est pas une grille d'objectifs intégrée"),
                ));
            };
            let included = ObjectivesGrid::parse(inc_file, inc_text, false)?;
            if included.regime != raw.regime {
                return Err(self.err(
                    Some("inclut"),
                    format!(
                        "inclut : « {inc} » relève du régime {}, cette grille du régime {}",
                        included.regime, raw.regime
                    ),
                ));
            }
            volets = included.volets;
            indicators = included.indicators;
        }
        for v in raw.volets {
            let number = v.numero.trim().to_owned();
            match volets.iter().find(|w| w.numero == number) {
                Some(w) if w.titre == v.titre => {} // the same volet, restated
                Some(_) => {
                    return Err(self.err(
                        Some(&format!("numero = \"{number}\"")),
                        format!("volet {number} en double (avec un autre titre)"),
                    ));
                }
                None => volets.push(Volet {
                    numero: number,
                    ..v
                }),
            }
        }
        if raw.regime == Regime::Caqes2022 && volets.len() > 3 {
            return Err(self.err(
                None,
                format!(
                    "régime caqes-2022 : au plus 3 volets (CSS D162-14 I), la grille en déclare {}",
                    volets.len()
                ),
            ));
        }
        let mut codes: BTreeSet<String> = indicators.iter().map(|i| i.code.clone()).collect();
        for mut ind in raw.indicateurs {
            ind.code = ind.code.trim().to_owned();
            self.indicator(
                &ind,
                &volets,
                raw.regime,
                raw.interessement_regional.as_ref(),
            )?;
            if !codes.insert(ind.code.clone()) {
                return Err(self.err(
                    Some(&Self::code_anchor(&ind.code)),
                    format!("code d'indicateur {} en double", ind.code),
                ));
            }
            indicators.push(ind);
        }
        if indicators.is_empty() {
            return Err(self.err(None, "la grille ne contient aucun indicateur".into()));
        }
        let regional = raw.interessement_regional;
        if let Some(r) = &regional {
            match (r.mode, &r.enveloppe) {
                (RegionalMode::ShareOfObjectives, None) => {
                    return Err(self.err(
                        Some("[interessement_regional]"),
                        "[interessement_regional] mode « proportion_objectifs » : « enveloppe » est obligatoire".into(),
                    ));
                }
                (_, Some(e)) if e.valeur < Decimal::ZERO => {
                    return Err(self.err(
                        Some("[interessement_regional]"),
                        "[interessement_regional] enveloppe négative".into(),
                    ));
                }
                _ => {}
            }
        }
        if indicators.iter().any(|i| i.portee == Scope::Regional) && regional.is_none() {
            return Err(self.err(
                None,
                "la grille a des indicateurs régionaux : la section [interessement_regional] est obligatoire (CSS D162-16 V 1°)".into(),
            ));
        }
        Ok(ObjectivesGrid {
            id,
            title: raw.titre,
            region: raw.region,
            regime: raw.regime,
            version: raw.version,
            source: raw.source,
            example: raw.exemple,
            includes: raw.inclut,
            contract: raw.contrat,
            incentive: raw.interessement,
            regional,
            penalty: raw.penalite,
            volets,
            indicators,
        })
    }

    fn contract(&self, c: &ContractParameters) -> Result<(), ReferentielError> {
        if c.duree_max_ans.valeur == 0 || c.duree_max_ans.valeur > 5 {
            return Err(self.err(
                Some("duree_max_ans"),
                format!(
                    "[contrat] duree_max_ans : {} ans ; la loi permet au plus 5 ans (CSS L162-30-2)",
                    c.duree_max_ans.valeur
                ),
            ));
        }
        let legal_end = LEGAL_END;
        if c.fin_au_plus_tard.valeur > legal_end {
            return Err(self.err(
                Some("fin_au_plus_tard"),
                format!(
                    "[contrat] fin_au_plus_tard : le {} est après le {}, dernier jour du CAQES (L162-30-2 abrogé au 1er janvier 2027)",
                    super::french_date(c.fin_au_plus_tard.valeur),
                    super::french_date(legal_end)
                ),
            ));
        }
        let pct = c.sanction_refus_pct.valeur;
        if pct < Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
            return Err(self.err(
                Some("sanction_refus_pct"),
                format!(
                    "[contrat] sanction_refus_pct : {pct} n'est pas un pourcentage entre 0 et 100"
                ),
            ));
        }
        if c.delai_reponse_jours.valeur == 0 || c.delai_seconde_proposition_jours.valeur == 0 {
            return Err(self.err(
                Some("delai_"),
                "[contrat] un délai ne peut pas être nul".into(),
            ));
        }
        Ok(())
    }

    fn indicator(
        &self,
        ind: &ObjectiveIndicator,
        volets: &[Volet],
        regime: Regime,
        regional: Option<&RegionalRule>,
    ) -> Result<(), ReferentielError> {
        let code = &ind.code;
        let anchor = Self::code_anchor(code);
        let err = |m: String| self.err(Some(&anchor), format!("indicateur {code} : {m}"));
        if code.is_empty() || code.contains(char::is_whitespace) || code.contains(';') {
            return Err(self.err(
                Some(&anchor),
                format!("code d'indicateur « {code} » invalide"),
            ));
        }
        if !volets.iter().any(|v| v.numero == ind.volet.trim()) {
            return Err(err(format!("volet « {} » inconnu", ind.volet)));
        }
        if ind.unite_economies != "euros" {
            return Err(err(format!(
                "unite_economies « {} » : les économies se comptent en « euros » (dépenses d'assurance maladie)",
                ind.unite_economies
            )));
        }
        if ind.source.trim().is_empty() || ind.source_donnees.trim().is_empty() {
            return Err(err(
                "« source » et « source_donnees » ne peuvent pas être vides".into(),
            ));
        }
        let o = &ind.objectif;
        match o.kind {
            ObjectiveKind::Reduction => {
                if o.valeur < Decimal::ZERO || o.valeur >= Decimal::ONE_HUNDRED {
                    return Err(err(format!(
                        "objectif de réduction de {} % : attendu entre 0 et 100 (exclu)",
                        o.valeur.normalize()
                    )));
                }
                if o.sens.is_some() {
                    return Err(err(
                        "« sens » ne s'écrit que pour un objectif de type « cible » (une réduction se lit à la baisse)".into(),
                    ));
                }
            }
            ObjectiveKind::Target => {
                if o.sens.is_none() {
                    return Err(err(
                        "un objectif de type « cible » précise son « sens » (« baisse » : au plus ; « hausse » : au moins)".into(),
                    ));
                }
                if ind.mesure == Measure::Rate
                    && (o.valeur < Decimal::ZERO || o.valeur > Decimal::ONE_HUNDRED)
                {
                    return Err(err(format!(
                        "cible de {} % : un taux est entre 0 et 100",
                        o.valeur.normalize()
                    )));
                }
            }
        }
        let share_needed = ind.portee == Scope::National
            || regional.is_some_and(|r| r.mode == RegionalMode::ShareOfSavings);
        match &ind.part_interessement {
            None if share_needed => {
                return Err(err(format!(
                    "« part_interessement » est obligatoire (% des économies versé en {})",
                    regime.incentive_word()
                )));
            }
            Some(s) if s.valeur < Decimal::ZERO || s.valeur > Decimal::ONE_HUNDRED => {
                return Err(err(format!(
                    "part_interessement de {} % : attendu entre 0 et 100",
                    s.valeur.normalize()
                )));
            }
            _ => {}
        }
        if let Some(c) = &ind.plafond
            && c.valeur < Decimal::ZERO
        {
            return Err(err("plafond négatif".into()));
        }
        for p in [&ind.part_interessement, &ind.plafond]
            .into_iter()
            .flatten()
        {
            if p.source.trim().is_empty() {
                return Err(err("un paramètre sans « source »".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
