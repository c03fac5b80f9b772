//! The juste-prescription estimator (AP-HP task force, seed 001): what a switch would
//! save with an establishment's own figures.
//!
//! - IV → oral: the IV spending divided by the IV unit price gives the IV units; the share
//!   switched of them costs the oral unit price instead. The seed gives the oral price as a
//!   range (« 0,06 à 0,08 € »), so the saving is a range too: the lower oral price gives
//!   the higher saving.
//! - Biosimilar uptake: from the class's boxes (Open PHMEV: biosimilar and reference boxes),
//!   the boxes that reaching a target rate would switch, and what they save at the given
//!   reference and biosimilar prices per box.
//!
//! Everything is exact (`Decimal`): the only division by a price is done last, and
//! rounding to the cent happens at display.

use rust_decimal::Decimal;

use crate::Euros;

/// Why an estimate cannot be made (French, naming the field as the form shows it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimatorError {
    #[error("{field} : le prix unitaire doit être strictement positif")]
    NonPositivePrice { field: String },
    #[error("{field} : un montant ne peut pas être négatif")]
    NegativeAmount { field: String },
    #[error("{field} : un taux s'exprime entre 0 et 100 %")]
    RateOutOfRange { field: String },
    #[error("{field} : le prix bas dépasse le prix haut")]
    InvertedRange { field: String },
    #[error("{field} : le prix oral dépasse le prix IV, le relais ne ferait pas d'économie")]
    OralDearer { field: String },
}

/// One IV → oral switch (a molecule: proton-pump inhibitors, paracetamol…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvToOral {
    pub label: String,
    /// Yearly IV spending of the establishment.
    pub iv_spending: Euros,
    /// IV price per unit (PUHT).
    pub iv_unit_price: Euros,
    /// Oral price per unit, lower and upper bound of the range.
    pub oral_unit_price: (Euros, Euros),
    /// Share of the IV units switched to the oral route, in %.
    pub switch_share: Decimal,
}

/// What an IV → oral switch saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvToOralSaving {
    /// IV units bought: spending / unit price (not rounded).
    pub iv_units: Decimal,
    /// Units switched: IV units × share.
    pub switched_units: Decimal,
    /// Saving at the upper oral price (the cautious figure).
    pub saving_low: Euros,
    /// Saving at the lower oral price.
    pub saving_high: Euros,
    /// Yearly IV spending after the switch (at the range's middle oral price it is the
    /// same: only the IV part is shown).
    pub iv_spending_after: Euros,
}

fn check_rate(field: &str, rate: Decimal) -> Result<(), EstimatorError> {
    if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
        return Err(EstimatorError::RateOutOfRange {
            field: field.to_owned(),
        });
    }
    Ok(())
}

fn check_price(field: &str, price: Euros) -> Result<(), EstimatorError> {
    if price.amount() <= Decimal::ZERO {
        return Err(EstimatorError::NonPositivePrice {
            field: field.to_owned(),
        });
    }
    Ok(())
}

/// The saving of an IV → oral switch.
pub fn iv_to_oral(s: &IvToOral) -> Result<IvToOralSaving, EstimatorError> {
    let field = |what: &str| format!("{} — {what}", s.label);
    if s.iv_spending.amount() < Decimal::ZERO {
        return Err(EstimatorError::NegativeAmount {
            field: field("dépense IV"),
        });
    }
    check_price(&field("prix unitaire IV"), s.iv_unit_price)?;
    let (low, high) = s.oral_unit_price;
    if low.amount() < Decimal::ZERO || high.amount() < Decimal::ZERO {
        return Err(EstimatorError::NegativeAmount {
            field: field("prix unitaire oral"),
        });
    }
    if low > high {
        return Err(EstimatorError::InvertedRange {
            field: field("prix unitaire oral"),
        });
    }
    if high > s.iv_unit_price {
        return Err(EstimatorError::OralDearer {
            field: field("prix unitaire oral"),
        });
    }
    check_rate(&field("part relayée"), s.switch_share)?;
    let spending = s.iv_spending.amount();
    let iv = s.iv_unit_price.amount();
    let share = s.switch_share / Decimal::ONE_HUNDRED;
    // spending × share × (iv − oral) / iv: one division, last.
    let saving = |oral: Euros| -> Euros { Euros(spending * share * (iv - oral.amount()) / iv) };
    Ok(IvToOralSaving {
        iv_units: spending / iv,
        switched_units: spending * share / iv,
        saving_low: saving(high),
        saving_high: saving(low),
        iv_spending_after: Euros(spending - spending * share),
    })
}

/// Biosimilar uptake in one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiosimilarUptake {
    pub label: String,
    pub biosimilar_boxes: i64,
    pub reference_boxes: i64,
    /// Target biosimilar rate, in % of the class's boxes.
    pub target_rate: Decimal,
    /// Prices per box; the saving is computed only when both are given.
    pub reference_price: Option<Euros>,
    pub biosimilar_price: Option<Euros>,
}

/// What reaching the target rate would change in one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiosimilarSaving {
    /// Current biosimilar rate in % (not rounded), `None` without boxes.
    pub current_rate: Option<Decimal>,
    /// Reference boxes that become biosimilar boxes (0 when the target is reached).
    pub switched_boxes: Decimal,
    pub saving: Option<Euros>,
}

/// The boxes and saving of reaching the target biosimilar rate in a class.
pub fn biosimilar_uptake(u: &BiosimilarUptake) -> Result<BiosimilarSaving, EstimatorError> {
    let field = |what: &str| format!("{} — {what}", u.label);
    check_rate(&field("taux cible"), u.target_rate)?;
    for (what, price) in [
        ("prix de la référence", u.reference_price),
        ("prix du biosimilaire", u.biosimilar_price),
    ] {
        if let Some(p) = price
            && p.amount() < Decimal::ZERO
        {
            return Err(EstimatorError::NegativeAmount { field: field(what) });
        }
    }
    let bio = Decimal::from(u.biosimilar_boxes);
    let total = bio + Decimal::from(u.reference_boxes);
    let current_rate = (!total.is_zero()).then(|| bio * Decimal::ONE_HUNDRED / total);
    let wanted = total * u.target_rate / Decimal::ONE_HUNDRED;
    let switched_boxes = (wanted - bio).max(Decimal::ZERO);
    let saving = match (u.reference_price, u.biosimilar_price) {
        (Some(r), Some(b)) => Some(Euros(switched_boxes * (r.amount() - b.amount()))),
        _ => None,
    };
    Ok(BiosimilarSaving {
        current_rate,
        switched_boxes,
        saving,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn e(s: &str) -> Euros {
        Euros(d(s))
    }

    /// Seed 001, « Exemple des IPP »: IV 1 540 k€ at 0,79 €, oral 0,06 to 0,08 €.
    fn ppi(share: &str) -> IvToOral {
        IvToOral {
            label: "IPP".into(),
            iv_spending: e("1540000"),
            iv_unit_price: e("0.79"),
            oral_unit_price: (e("0.06"), e("0.08")),
            switch_share: d(share),
        }
    }

    #[test]
    fn proton_pump_inhibitors_of_the_seed() {
        let s = iv_to_oral(&ppi("100")).unwrap();
        // 1 540 000 / 0,79 = 1 949 367,0886… units.
        assert_eq!(s.iv_units.round_dp(4), d("1949367.0886"));
        // 1 540 000 × 0,73 / 0,79 = 1 124 200 / 0,79 = 1 423 037,974683…
        assert_eq!(s.saving_high.to_cents(), e("1423037.97"));
        // 1 540 000 × 0,71 / 0,79 = 1 093 400 / 0,79 = 1 384 050,632911…
        assert_eq!(s.saving_low.to_cents(), e("1384050.63"));
        assert_eq!(s.iv_spending_after, Euros::ZERO);
        // PERMI's 17 %: 0,17 × 1 423 037,974683… = 241 916,455696…
        let s = iv_to_oral(&ppi("17")).unwrap();
        assert_eq!(s.saving_high.to_cents(), e("241916.46"));
        assert_eq!(s.iv_spending_after, e("1278200"));
        // 0,17 × 1 949 367,0886 = 331 392,4050…
        assert_eq!(s.switched_units.round_dp(2), d("331392.41"));
    }

    #[test]
    fn paracetamol_of_the_seed() {
        // IV 730 k€ at 0,69 €, oral 0,005 to 0,06 €.
        let s = iv_to_oral(&IvToOral {
            label: "Paracétamol".into(),
            iv_spending: e("730000"),
            iv_unit_price: e("0.69"),
            oral_unit_price: (e("0.005"), e("0.06")),
            switch_share: d("100"),
        })
        .unwrap();
        // 730 000 × 0,685 / 0,69 = 500 050 / 0,69 = 724 710,144927…
        assert_eq!(s.saving_high.to_cents(), e("724710.14"));
        // 730 000 × 0,63 / 0,69 = 459 900 / 0,69 = 666 521,739130…
        assert_eq!(s.saving_low.to_cents(), e("666521.74"));
    }

    #[test]
    fn bad_assumptions_are_refused_with_the_field() {
        let mut p = ppi("120");
        assert_eq!(
            iv_to_oral(&p).unwrap_err().to_string(),
            "IPP — part relayée : un taux s'exprime entre 0 et 100 %"
        );
        p.switch_share = d("50");
        p.oral_unit_price = (e("0.08"), e("0.06"));
        assert!(matches!(
            iv_to_oral(&p),
            Err(EstimatorError::InvertedRange { .. })
        ));
        p.oral_unit_price = (e("0.06"), e("0.90"));
        assert!(matches!(
            iv_to_oral(&p),
            Err(EstimatorError::OralDearer { .. })
        ));
        p.iv_unit_price = Euros::ZERO;
        assert!(matches!(
            iv_to_oral(&p),
            Err(EstimatorError::NonPositivePrice { .. })
        ));
    }

    #[test]
    fn biosimilar_uptake_switches_the_missing_boxes() {
        // 300 biosimilar + 700 reference boxes, target 80 %: 800 − 300 = 500 boxes,
        // at 100 € − 70 € = 15 000 €.
        let u = BiosimilarUptake {
            label: "Anti-TNF".into(),
            biosimilar_boxes: 300,
            reference_boxes: 700,
            target_rate: d("80"),
            reference_price: Some(e("100")),
            biosimilar_price: Some(e("70")),
        };
        let s = biosimilar_uptake(&u).unwrap();
        assert_eq!(s.current_rate, Some(d("30")));
        assert_eq!(s.switched_boxes, d("500"));
        assert_eq!(s.saving, Some(e("15000")));
        // Target already reached: nothing to switch.
        let s = biosimilar_uptake(&BiosimilarUptake {
            target_rate: d("25"),
            ..u.clone()
        })
        .unwrap();
        assert_eq!(s.switched_boxes, Decimal::ZERO);
        assert_eq!(s.saving, Some(Euros::ZERO));
        // Without prices: the boxes, no saving; without boxes: no rate.
        let s = biosimilar_uptake(&BiosimilarUptake {
            biosimilar_boxes: 0,
            reference_boxes: 0,
            reference_price: None,
            ..u
        })
        .unwrap();
        assert_eq!((s.current_rate, s.saving), (None, None));
    }
}
