//! The class an établissement chooses for an indicator measured on « la classe
//! sélectionnée » (seed grid, part IV: IV-02 « classe thérapeutique
//! médicamenteuse PHEV significative », IV-03 « classe de DM inscrits à la
//! LPP »): the field of the dossier page and its check.

use caqes_core::referentiel::Indicator;

/// What the class of an indicator is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassKind {
    /// A therapeutic class of drugs: an ATC code (IV-02), which the PHEV upload reads.
    Atc,
    /// A class of medical devices of the LPP (IV-03): its code or title as written.
    Lpp,
}

impl ClassKind {
    pub fn label(self) -> &'static str {
        match self {
            ClassKind::Atc => "Classe thérapeutique choisie (code ATC)",
            ClassKind::Lpp => "Classe de dispositifs médicaux choisie (LPP)",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            ClassKind::Atc => {
                "Code ATC de niveau 1 à 5, par exemple L04AB ; l'Assurance Maladie calcule le taux d'évolution des dépenses de cette classe."
            }
            ClassKind::Lpp => {
                "Code ou intitulé de la classe de la LPP, tel que dans la proposition faite à l'ARS."
            }
        }
    }

    /// The class as stored, or the French reason it is refused.
    pub fn check(self, text: &str) -> Result<String, String> {
        let text = text.trim();
        match self {
            ClassKind::Atc => caqes_data::phmev::config::check_atc(text),
            ClassKind::Lpp if text.chars().count() > 120 => {
                Err("120 caractères au plus pour la classe de la LPP".to_owned())
            }
            ClassKind::Lpp => Ok(text.to_owned()),
        }
    }
}

/// Whether the indicator is measured on a class the établissement selects: the
/// grid says so in its numerator (« … de la classe sélectionnée … »); a class of
/// drugs when its label speaks of medicines, of medical devices otherwise.
pub fn class_kind(ind: &Indicator) -> Option<ClassKind> {
    let selected = ind
        .numerator
        .as_deref()
        .is_some_and(|n| n.to_lowercase().contains("classe sélectionnée"));
    if !selected {
        return None;
    }
    if ind.label.to_lowercase().contains("médicament") {
        Some(ClassKind::Atc)
    } else {
        Some(ClassKind::Lpp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iv02_takes_an_atc_class_and_iv03_a_device_class() {
        let grid = caqes_core::referentiel::builtin_by_id("occitanie-2018")
            .expect("the seed grid is embedded");
        let kind = |code: &str| grid.indicator(code).and_then(class_kind);
        assert_eq!(kind("IV-02"), Some(ClassKind::Atc));
        assert_eq!(kind("IV-03"), Some(ClassKind::Lpp));
        assert_eq!(kind("IV-01"), None);
        assert_eq!(ClassKind::Atc.check(" l04ab "), Ok("L04AB".to_owned()));
        assert!(ClassKind::Atc.check("antibiotiques").is_err());
    }
}
