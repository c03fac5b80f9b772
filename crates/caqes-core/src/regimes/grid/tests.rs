//! Tests of the objectives grids (`super`): reading, checks and refusals.

use super::*;
use crate::regimes::AnyReferentiel;
use crate::regimes::builtin_any_by_id;

pub(crate) const MINI: &str = r#"
id = "mini-2022"
regime = "caqes-2022"
titre = "Mini"
region = "Test"

[contrat]
duree_max_ans = { valeur = 5, source = "CSS L162-30-2" }
fin_au_plus_tard = { valeur = "2026-12-31", source = "LFSS 2026 art. 79" }
sanction_refus_pct = { valeur = "1", source = "CSS L162-30-2" }
delai_reponse_jours = { valeur = 21, source = "CSS D162-15" }
delai_seconde_proposition_jours = { valeur = 15, source = "CSS D162-15" }

[interessement]
paiement_si_objectif_non_atteint = { valeur = false, source = "lecture", a_confirmer = true }

[[volets]]
numero = "1"
titre = "Produits de santé"

[[indicateurs]]
code = "N1"
volet = "1"
portee = "national"
libelle = "IPP"
mesure = "depense"
objectif = { type = "reduction", valeur = "5", source = "arrêté, annexe" }
unite_economies = "euros"
part_interessement = { valeur = "30", source = "REPSS", a_confirmer = true }
source_donnees = "DCIR"
source = "arrêté du 23 février 2022"
"#;

fn error_of(text: &str) -> ReferentielError {
    ObjectivesGrid::from_toml("mini.toml", text).unwrap_err()
}

#[test]
fn a_minimal_grid_loads_and_lists_what_is_to_confirm() {
    let g = ObjectivesGrid::from_toml("mini.toml", MINI).unwrap();
    assert_eq!(g.regime, Regime::Caqes2022);
    assert_eq!(g.indicators.len(), 1);
    let names: Vec<String> = g.to_confirm().into_iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "interessement.paiement_si_objectif_non_atteint",
            "N1.part_interessement"
        ]
    );
}

#[test]
fn contract_limits_follow_the_law() {
    let e = error_of(&MINI.replace("valeur = 5, source", "valeur = 6, source"));
    assert!(e.message.contains("au plus 5 ans"), "{e}");
    assert_eq!(e.line, Some(8), "{e}");
    let e = error_of(&MINI.replace("\"2026-12-31\"", "\"2027-06-30\""));
    assert!(e.message.contains("dernier jour du CAQES"), "{e}");
    let e = error_of(&MINI.replace("[contrat]", "[contrat_]"));
    assert!(e.message.contains("champ inconnu"), "{e}");
}

#[test]
fn indicators_need_their_share_objective_and_volet() {
    let e = error_of(&MINI.replace(
        "part_interessement = { valeur = \"30\", source = \"REPSS\", a_confirmer = true }\n",
        "",
    ));
    assert!(e.message.contains("part_interessement"), "{e}");
    assert_eq!(e.line, Some(22), "{e}");
    let e = error_of(&MINI.replace("volet = \"1\"", "volet = \"4\""));
    assert!(e.message.contains("volet « 4 » inconnu"), "{e}");
    let e = error_of(&MINI.replace("type = \"reduction\"", "type = \"cible\""));
    assert!(e.message.contains("précise son « sens »"), "{e}");
    let e = error_of(&MINI.replace("\"euros\"", "\"boites\""));
    assert!(e.message.contains("unite_economies"), "{e}");
    let e = error_of(&MINI.replace("valeur = \"30\"", "valeur = \"130\""));
    assert!(e.message.contains("entre 0 et 100"), "{e}");
}

#[test]
fn regimes_have_their_own_sections() {
    let e = error_of(&format!(
        "{MINI}\n[penalite]\nplafond_pct = {{ valeur = \"2\", source = \"L162-23-14\" }}\na_partir_de = {{ valeur = \"2027-01-01\", source = \"x\" }}\n"
    ));
    assert!(e.message.contains("pas de pénalité"), "{e}");
    let text = MINI.replace("caqes-2022", "incitation-2026");
    let e = error_of(&text);
    assert!(e.message.contains("[penalite] est obligatoire"), "{e}");
}

#[test]
fn national_2022_has_the_seven_indicators_of_the_arrete() {
    let Some(AnyReferentiel::Objectives(g)) = builtin_any_by_id("national-2022") else {
        panic!("national-2022 manquant");
    };
    let codes: Vec<&str> = g.indicators.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "N1-IPP",
            "N2-PERFADOM",
            "N3-AMBU",
            "N4-EPA",
            "N5-EZE",
            "N6-PANS",
            "N7-IC"
        ]
    );
    assert!(g.indicators.iter().all(|i| i.portee == Scope::National));
    assert_eq!(g.volets.len(), 3);
    // −5 % a year for the first two, from the annex (rows 1–2 read): not to confirm.
    for code in ["N1-IPP", "N2-PERFADOM"] {
        let o = &g.indicator(code).unwrap().objectif;
        assert_eq!(
            (o.kind, o.valeur, o.a_confirmer),
            (ObjectiveKind::Reduction, Decimal::from(5), false)
        );
    }
    // Rows 4–7 were not read: their objectives are flagged.
    for code in ["N4-EPA", "N5-EZE", "N6-PANS", "N7-IC"] {
        assert!(g.indicator(code).unwrap().objectif.a_confirmer, "{code}");
    }
    // Ezetimibe is built but switched off (spec §3.2 N5).
    assert!(!g.indicator("N5-EZE").unwrap().actif);
    // Every share is 20 % or 30 % and flagged (REPSS « environ 20 % ou 30 % »).
    for i in &g.indicators {
        let s = i.part_interessement.as_ref().unwrap();
        assert!(s.a_confirmer, "{}", i.code);
        assert!(
            [Decimal::from(20), Decimal::from(30)].contains(&s.valeur),
            "{}",
            i.code
        );
    }
}

#[test]
fn the_regional_example_includes_the_national_grid() {
    let Some(AnyReferentiel::Objectives(g)) = builtin_any_by_id("exemple-regional-2022") else {
        panic!("exemple-regional-2022 manquant");
    };
    assert!(g.example);
    assert_eq!(g.includes.as_deref(), Some("national-2022"));
    let national = g
        .indicators
        .iter()
        .filter(|i| i.portee == Scope::National)
        .count();
    let regional = g
        .indicators
        .iter()
        .filter(|i| i.portee == Scope::Regional)
        .count();
    assert_eq!((national, regional), (7, 3));
    assert!(g.regional.is_some());
}

#[test]
fn incitation_2026_has_a_two_percent_penalty_from_2027() {
    let Some(AnyReferentiel::Objectives(g)) = builtin_any_by_id("incitation-2026") else {
        panic!("incitation-2026 manquant");
    };
    assert_eq!(g.regime, Regime::Incitation2026);
    let p = g.penalty.as_ref().unwrap();
    assert_eq!(p.plafond_pct.valeur, Decimal::TWO);
    assert_eq!(p.a_partir_de.valeur, jiff::civil::date(2027, 1, 1));
    assert!(g.contract.is_none());
    assert!(!g.to_confirm().is_empty());
}
