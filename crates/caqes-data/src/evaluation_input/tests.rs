//! Tests of the engine's input files' reader (`super`): fixtures, French errors naming the file, line and field.

use super::*;
use caqes_core::Euros;
use caqes_core::referentiel::builtin_by_id;
use rust_decimal_macros::dec;

const ETS: &str = "finess;raison_sociale;categorie;region;produits_am\n\
        750712184;AP-HP;MCO_PUBLIC_ESPIC;IDF;5000000000\n\
        690781810;HCL;MCO_PUBLIC_ESPIC;ARA;\n";

fn grid() -> Referentiel {
    builtin_by_id("occitanie-2018").unwrap()
}

#[test]
fn reads_establishments_in_any_column_order_with_bom() {
    let text = "\u{feff}categorie;finess;region;produits_am;raison_sociale\nDIALYSE;690781810;ARA;1 234,5;X\n";
    let rows = read_establishments("e.csv", text).unwrap();
    assert_eq!(rows[0].category, Category::Dialyse);
    assert_eq!(rows[0].am_revenue, Some(Euros(dec!(1234.5))));
}

#[test]
fn crlf_files_report_the_right_line() {
    let crlf = ETS
        .replace("HCL;MCO_PUBLIC_ESPIC", "HCL;MCO")
        .replace('\n', "\r\n");
    let e = read_establishments("e.csv", &crlf).unwrap_err();
    assert_eq!(
        (e.line, e.column.as_deref()),
        (Some(3), Some("categorie")),
        "{e}"
    );
}

#[test]
fn establishment_errors_name_line_and_column() {
    let e = read_establishments("e.csv", &ETS.replace("690781810", "690781811")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "e.csv, ligne 3, colonne « finess » : la clé du numéro FINESS « 690781811 » est invalide"
    );
    let e =
        read_establishments("e.csv", &ETS.replace("HCL;MCO_PUBLIC_ESPIC", "HCL;MCO")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("categorie")));
    let e =
        read_establishments("e.csv", &format!("{ETS}750712184;AP-HP bis;HAD;IDF;\n")).unwrap_err();
    assert!(e.message.contains("en double (déjà ligne 2)"), "{e}");
    let e = read_establishments("e.csv", "finess;raison_sociale;categorie;region\n").unwrap_err();
    assert!(e.message.contains("manquante(s) : produits_am"), "{e}");
    // The AM revenue through the one French amount reader: neither negative nor beyond cents.
    let e = read_establishments("e.csv", &format!("{ETS}310000013;AP-HP bis;HAD;IDF;-1\n"))
        .unwrap_err();
    assert_eq!(
        (e.line, e.column.as_deref()),
        (Some(4), Some("produits_am"))
    );
    assert!(e.message.contains("ne peut pas être négatif"), "{e}");
    let e = read_establishments("e.csv", &format!("{ETS}310000021;Y;HAD;IDF;1,234\n")).unwrap_err();
    assert!(e.message.contains("au plus deux décimales"), "{e}");
    let e = read_establishments("e.csv", &format!("{ETS}750712184;X\n")).unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
    assert!(read_establishments("e.csv", "").is_err());
}

// Sites of AP-HP (750712184) in the tests: 751000019 and 751000027.
const SITES: &str = "finess_geographique;finess_juridique\n\
        751000019;750712184\n\
        751000027;750712184\n";

#[test]
fn sites_are_read_and_checked() {
    let ets = read_establishments("e.csv", ETS).unwrap();
    let sites = read_sites("s.csv", SITES, &ets).unwrap();
    let aphp = Finess::parse("750712184").unwrap();
    let a = Finess::parse("751000019").unwrap();
    assert_eq!(sites.of_entity(aphp).len(), 2);
    assert_eq!(sites.entity_of(a), Some(aphp));
    assert!(
        sites
            .of_entity(Finess::parse("690781810").unwrap())
            .is_empty()
    );
    let cases = [
        // (row, line, column, words of the message)
        ("751000018;750712184\n", "finess_geographique", "clé"),
        (
            "751000035;130786049\n",
            "finess_juridique",
            "n'est pas dans le fichier",
        ),
        (
            "751000019;690781810\n",
            "finess_geographique",
            "en double (déjà ligne 2)",
        ),
        (
            "690781810;750712184\n",
            "finess_geographique",
            "aussi un établissement",
        ),
        ("751000035;\n", "finess_juridique", "obligatoire"),
    ];
    for (row, column, words) in cases {
        let e = read_sites("s.csv", &format!("{SITES}{row}"), &ets).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (Some(4), Some(column)),
            "{row}: {e}"
        );
        assert!(e.to_string().starts_with("s.csv, ligne 4"), "{e}");
        assert!(e.message.contains(words), "{row}: {e}");
    }
    let e = read_sites("s.csv", "finess_geographique;finess\n", &ets).unwrap_err();
    assert_eq!(e.line, Some(1), "{e}");
}

#[test]
fn values_per_site_entity_conflicts_and_site_targets() {
    let r = grid();
    let ets = read_establishments("e.csv", ETS).unwrap();
    let sites = read_sites("s.csv", SITES, &ets).unwrap();
    let head = "finess;indicateur;annee;numerateur;denominateur;valeur\n";
    let ok = format!(
        "{head}751000019;II-01;2019;40;50;\n751000027;II-01;2019;10;50;\n750712184;IV-04;2019;;;OUI\n"
    );
    let data = read_yearly_data_with_sites(&r, &ets, Some(&sites), ("v.csv", &ok), None).unwrap();
    let a = Finess::parse("751000019").unwrap();
    let aphp = Finess::parse("750712184").unwrap();
    let index = |code: &str| r.indicators.iter().position(|i| i.code == code).unwrap();
    assert!(data.site_entry(a, 2019, index("II-01")).is_some());
    assert!(data.site_entry(a, 2019, index("II-02")).is_none());
    assert!(data.entry(aphp, 2019, index("II-01")).is_none());
    assert_eq!(data.entries(aphp, 2019).len(), 1);
    assert_eq!(data.value_count(), 3);
    // Without sites.csv, a site's FINESS is unknown.
    let e = read_yearly_data(&r, &ets, ("v.csv", &ok), None).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("finess")));
    // Entity and site both given for II-01 2019: refused at the second row, whichever first.
    for rows in [
        "751000019;II-01;2019;40;50;\n750712184;II-01;2019;50;100;\n",
        "750712184;II-01;2019;50;100;\n751000019;II-01;2019;40;50;\n",
    ] {
        let e = read_yearly_data_with_sites(
            &r,
            &ets,
            Some(&sites),
            ("v.csv", &format!("{head}{rows}")),
            None,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("à la fois"), "{e}");
        assert!(e.message.contains("(déjà ligne 2)"), "{e}");
    }
    // A site gives numerator and denominator, not a bare percentage.
    let e = read_yearly_data_with_sites(
        &r,
        &ets,
        Some(&sites),
        ("v.csv", &format!("{head}751000019;II-01;2019;;;80\n")),
        None,
    )
    .unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("valeur")));
    // Targets are the entity's.
    let e = read_yearly_data_with_sites(
        &r,
        &ets,
        Some(&sites),
        ("v.csv", &ok),
        Some((
            "c.csv",
            "finess;indicateur;annee;cible\n751000019;II-01;2019;20\n",
        )),
    )
    .unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("c.csv", Some(2), Some("finess"))
    );
    assert!(e.message.contains("se fixent pour l'entité"), "{e}");
}

#[test]
fn values_and_targets_are_checked_against_the_grid() {
    let r = grid();
    let ets = read_establishments("e.csv", ETS).unwrap();
    let head = "finess;indicateur;annee;numerateur;denominateur;valeur\n";
    let ok = format!("{head}750712184;II-01;2019;12,5;50;\n750712184;IV-04;2019;;;EN_COURS\n");
    let cibles = "finess;indicateur;annee;cible\n750712184;II-01;2019;20\n";
    let data = read_yearly_data(&r, &ets, ("v.csv", &ok), Some(("c.csv", cibles))).unwrap();
    let f = Finess::parse("750712184").unwrap();
    assert_eq!(data.entries(f, 2019).len(), 2);
    assert_eq!(data.targets(f, 2019).get("II-01"), Some(&dec!(20)));

    let cases = [
        ("750712184;X-99;2019;1;2;\n", "indicateur"),
        ("750712184;II-01;2019;3;2;\n", "numerateur"),
        ("750712184;II-01;2019;1;0;\n", "denominateur"),
        ("750712184;II-01;2019;1;abc;\n", "denominateur"),
        ("750712184;II-01;deux;1;2;\n", "annee"),
        ("130786049;II-01;2019;1;2;\n", "finess"),
        ("750712184;II-08;2019;;;PEUT-ETRE\n", "valeur"),
    ];
    for (row, column) in cases {
        let e = read_yearly_data(&r, &ets, ("v.csv", &format!("{head}{row}")), None).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (Some(2), Some(column)),
            "{row}: {e}"
        );
    }
    // W4: NC on a concerned indicator needs its motive; NM comes from the category.
    let e = read_yearly_data(
        &r,
        &ets,
        ("v.csv", &format!("{head}750712184;II-02;2019;;;NC\n")),
        None,
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.column.as_deref()),
        (Some(2), Some("motif")),
        "{e}"
    );
    assert!(e.message.contains("NC sans motif"), "{e}");
    let e = read_yearly_data(
        &r,
        &ets,
        ("v.csv", &format!("{head}750712184;II-02;2019;;;NM\n")),
        None,
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.message.contains("NM refusé"), "{e}");
    let with_motive = "finess;indicateur;annee;numerateur;denominateur;valeur;motif\n\
            750712184;II-02;2019;;;NC;aucun traitement ATB de plus de 7 jours\n\
            750712184;II-01;2019;1;2;;\n";
    let data = read_yearly_data(&r, &ets, ("v.csv", with_motive), None).unwrap();
    let given = data.entries(f, 2019);
    let d = given["II-02"].declaration.as_ref().unwrap();
    assert_eq!(d.motive(), "aucun traitement ATB de plus de 7 jours");
    assert_eq!(d.review, Review::Accepted);
    assert_eq!(given["II-01"].source_line, Some(3));
    let e = read_yearly_data(
        &r,
        &ets,
        ("v.csv", &with_motive.replace("1;2;;", "1;2;;parce que")),
        None,
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.column.as_deref()),
        (Some(3), Some("motif")),
        "{e}"
    );
    let dup = format!("{head}750712184;II-01;2019;1;2;\n750712184;II-01;2019;1;4;\n");
    let e = read_yearly_data(&r, &ets, ("v.csv", &dup), None).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("en double"), "{e}");
    let e = read_yearly_data(
        &r,
        &ets,
        ("v.csv", &ok),
        Some((
            "c.csv",
            "finess;indicateur;annee;cible\n750712184;II-01;2019;vingt\n",
        )),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv, ligne 2, colonne « cible » : « vingt » n'est pas un nombre"
    );
}
