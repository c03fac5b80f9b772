//! `caqes sanction` and `caqes calendrier`: the socle sanction proposal and the
//! contract's dates, from the référentiel's parameters.

use caqes_core::Euros;
use caqes_core::calendar::{self, Contestation, HearingRequest};
use caqes_core::sanction::{self, SanctionBasis};
use caqes_core::value::parse_decimal;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::exit::BadInput;
use crate::output::write_output;

#[derive(clap::Args)]
pub struct SanctionArgs {
    /// Référentiel dont le barème score → sanction s'applique (identifiant ou fichier).
    #[arg(long)]
    referentiel: String,
    /// Score du volet obligatoire (0 à 100).
    #[arg(long)]
    score: String,
    /// Produits reçus des régimes obligatoires d'assurance maladie (dernier exercice clos), en euros.
    #[arg(long, conflicts_with = "liste_en_sus")]
    produits_am: Option<String>,
    /// Part prise en charge par l'assurance maladie des produits de la liste en sus, en euros.
    #[arg(long)]
    liste_en_sus: Option<String>,
}

#[derive(clap::Args)]
pub struct CalendarArgs {
    /// Date de signature du contrat ou de l'avenant (AAAA-MM-JJ).
    #[arg(long)]
    signature: Option<String>,
    /// Durée d'un volet additionnel signé à cette date (1 à 5 ans).
    #[arg(long)]
    duree_volet: Option<u8>,
    /// Date de réception de la proposition de contrat (début du délai de signature).
    #[arg(long)]
    reception: Option<String>,
    /// Date à laquelle une audition a été demandée.
    #[arg(long, requires = "audition")]
    audition_demandee: Option<String>,
    /// Date de l'audition.
    #[arg(long, requires = "audition_demandee")]
    audition: Option<String>,
    /// Date de réception de la notification de la décision (délais de recours).
    #[arg(long)]
    notification: Option<String>,
    /// Date du jour pour le décompte des jours restants (par défaut : aujourd'hui).
    #[arg(long)]
    aujourdhui: Option<String>,
}

/// French display of a date: 31/12/2017.
fn fr(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

fn date(field: &str, text: &str) -> anyhow::Result<Date> {
    text.trim().parse::<Date>().map_err(|_| {
        BadInput(format!(
            "--{field} : « {text} » n'est pas une date AAAA-MM-JJ"
        ))
        .into()
    })
}

fn amount(field: &str, text: &str) -> anyhow::Result<Decimal> {
    parse_decimal(text)
        .ok_or_else(|| BadInput(format!("--{field} : « {text} » n'est pas un nombre")).into())
}

pub fn run_sanction(args: SanctionArgs) -> anyhow::Result<()> {
    let (referentiel, _) = super::referentiel::load(&args.referentiel)?;
    let score = amount("score", &args.score)?;
    let basis = match (&args.produits_am, &args.liste_en_sus) {
        (Some(p), None) => SanctionBasis::ProduitsAm(Euros(amount("produits-am", p)?)),
        (None, Some(l)) => SanctionBasis::ListeEnSus(Euros(amount("liste-en-sus", l)?)),
        _ => {
            return Err(BadInput(
                "donner --produits-am ou --liste-en-sus (l'assiette de la sanction)".into(),
            )
            .into());
        }
    };
    let params = &referentiel.parameters.sanction;
    let proposal = sanction::propose_socle_sanction(params, score, basis)
        .map_err(|e| BadInput(e.to_string()))?;
    let rate = params
        .rate_of_ceiling(score)
        .map_err(|e| BadInput(e.to_string()))?;
    let refusal = sanction::refusal_sanction(params, basis).map_err(|e| BadInput(e.to_string()))?;
    let out = format!(
        "Assiette : {}\nPlafond légal : {}\nBarème du référentiel {} : score {} → {} % du plafond\nSanction proposée : {}\nSanction en cas de refus de signer : {}\n",
        basis.amount(),
        proposal.ceiling(),
        referentiel.id,
        score.normalize(),
        rate.normalize(),
        proposal.amount(),
        refusal.amount(),
    );
    write_output(None, out.as_bytes())
}

pub fn run_calendar(args: CalendarArgs) -> anyhow::Result<()> {
    let params = calendar::CalendarParameters::default();
    let today = match &args.aujourdhui {
        Some(t) => date("aujourdhui", t)?,
        None => jiff::Zoned::now().date(),
    };
    let mut out = String::new();
    let bad = |e: calendar::CalendarError| BadInput(e.to_string());
    if let Some(s) = &args.signature {
        let signed = date("signature", s)?;
        out.push_str(&format!(
            "Entrée en vigueur du contrat ou de l'avenant : {}\nRésiliation d'un volet signée ce jour : effet au {}\n",
            fr(calendar::entry_into_force(signed).map_err(bad)?),
            fr(calendar::volet_termination_effective(signed)),
        ));
        if let Some(years) = args.duree_volet {
            let term = calendar::additional_volet_term(&params, signed, years).map_err(bad)?;
            out.push_str(&format!(
                "Volet additionnel de {} an(s) : du {} au {}\n",
                term.duree_ans,
                fr(term.debut),
                fr(term.fin)
            ));
        }
    }
    if let Some(r) = &args.reception {
        let hearing = match (&args.audition_demandee, &args.audition) {
            (Some(d), Some(a)) => Some(HearingRequest {
                demandee_le: date("audition-demandee", d)?,
                audition_le: date("audition", a)?,
            }),
            _ => None,
        };
        let period =
            calendar::signature_period(&params, date("reception", r)?, hearing).map_err(bad)?;
        out.push_str(&format!(
            "Délai de signature : jusqu'au {}{} ({} jour(s) restant(s) au {})\nSanction notifiable à défaut de signature à partir du {}\n",
            fr(period.fin),
            if period.prolonge { ", prolongé jusqu'à l'audition" } else { "" },
            period.deadline().days_left(today),
            fr(today),
            fr(period.sanction_notifiable_from().map_err(bad)?),
        ));
    }
    if let Some(n) = &args.notification {
        let received = date("notification", n)?;
        for c in [
            Contestation::MontantSanction,
            Contestation::ModalitesRecouvrement,
        ] {
            let (court, deadline) = calendar::appeal_deadline(&params, received, c).map_err(bad)?;
            out.push_str(&format!(
                "Recours devant le {} : jusqu'au {} ({} jour(s) restant(s))\n",
                court.label(),
                fr(deadline.date),
                deadline.days_left(today)
            ));
        }
    }
    if out.is_empty() {
        return Err(
            BadInput("donner au moins --signature, --reception ou --notification".into()).into(),
        );
    }
    write_output(None, out.as_bytes())
}
