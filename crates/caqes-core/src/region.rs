//! The regions of France, by their INSEE code (code officiel géographique): what an
//! administrator chooses from when giving a regional account its region.

/// (code, name) of the 18 regions (13 in metropolitan France, 5 overseas), by code.
pub const FRENCH_REGIONS: [(&str, &str); 18] = [
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
];

/// The name of the region with this INSEE code.
pub fn name(code: &str) -> Option<&'static str> {
    FRENCH_REGIONS
        .iter()
        .find(|(c, _)| *c == code.trim())
        .map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_regions_with_distinct_codes() {
        let mut codes: Vec<&str> = FRENCH_REGIONS.iter().map(|(c, _)| *c).collect();
        codes.dedup();
        assert_eq!(codes.len(), 18);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted by code");
        assert_eq!(name("76"), Some("Occitanie"));
        assert_eq!(name(" 11 "), Some("Île-de-France"));
        assert_eq!(name("99"), None);
    }
}
