//! Who is told what, and when: the rules of the platform's notifications.
//!
//! Each [`Event`] names its audience (the establishment's users, or the
//! region's ARS, Assurance Maladie or OMEDIT users), whether it is a legal
//! notice (e-mailed whatever the user chose: a decision or a contract reaches
//! the establishment however it set its e-mails), and its French wording. The
//! wording carries no health data: the establishment's name and the kind of
//! event only, never a score, an amount or a comment.
//!
//! Reminders fall at J-15, J-7 and J-1 before a deadline (submission of the
//! self-evaluation, end of the 15-day signature period, hearing): see
//! [`due_reminder`].

use jiff::civil::Date;

use crate::regimes::french_date;
use crate::volets::Volet;

/// Whom an event concerns, within the scope of the object it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The active users of the legal entity concerned.
    Etablissement,
    /// The active ARS users of the entity's (or campaign's) region.
    Ars,
    /// The active Assurance Maladie users of the region.
    AssuranceMaladie,
    /// The active OMEDIT users of the region.
    Omedit,
}

/// A deadline that triggers reminders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// Submission of the self-evaluation (campaign's deadline).
    Depot,
    /// End of the 15-day period to sign a proposed contract.
    Signature,
    /// The hearing the ARS fixed.
    Audition,
}

impl DeadlineKind {
    pub fn code(self) -> &'static str {
        match self {
            DeadlineKind::Depot => "depot",
            DeadlineKind::Signature => "signature",
            DeadlineKind::Audition => "audition",
        }
    }
}

/// A campaign milestone the OMEDIT follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Milestone {
    Ouverture,
    /// The submission deadline is reached (today).
    DepotClos,
    /// The evaluation deadline is reached (today).
    EvaluationClose,
}

/// How many days before a deadline a reminder falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reminder {
    J15,
    J7,
    J1,
}

impl Reminder {
    /// From the earliest to the latest.
    pub const ALL: [Reminder; 3] = [Reminder::J15, Reminder::J7, Reminder::J1];

    pub fn days(self) -> i32 {
        match self {
            Reminder::J15 => 15,
            Reminder::J7 => 7,
            Reminder::J1 => 1,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Reminder::J15 => "J-15",
            Reminder::J7 => "J-7",
            Reminder::J1 => "J-1",
        }
    }
}

/// The reminder due on `today` for a deadline on `deadline`: the latest of
/// J-15, J-7, J-1 whose day has come, as long as the deadline is still ahead.
/// A reminder missed (the server was stopped that day) is replaced by the
/// next one due, never sent late on top of it: J-15 is not sent on J-5, J-7 is.
pub fn due_reminder(deadline: Date, today: Date) -> Option<Reminder> {
    let left = crate::procedure::calendar::days_between(today, deadline);
    if left < 1 {
        return None;
    }
    Reminder::ALL.into_iter().filter(|r| left <= r.days()).max()
}

/// Something that happened and that someone must hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    // Établissement.
    DossierRenvoye,
    DossierValide,
    DossierEvalue,
    DecisionNotifiee(Volet),
    ContratPropose,
    AvenantEnregistre,
    AuditionFixee,
    CibleRenvoyee,
    CommentairePartage,
    /// The sanction for refusing to sign the contract is notified.
    SanctionRefusNotifiee,
    // Second generation (issue 13).
    /// A second-generation contract is proposed (three weeks to sign, D162-15).
    ContratProposeG2,
    /// The second proposal after a refusal or silence (15 days, D162-15).
    SecondePropositionG2,
    /// The ARS recorded the evaluation report: one month to answer (D162-16 III).
    RapportEvaluationG2,
    /// The intéressement (or the 2026 dotation) is notified.
    InteressementNotifie,
    /// The ARS fixed (or withdrew) an establishment's own objective for an indicator.
    ObjectifFixeG2,
    /// The ARS fixed the day of the hearing the establishment asked for (on the second
    /// proposal of the contract, or on the evaluation report): the deadline moves.
    AuditionFixeeG2,
    /// Mise sous surveillance: the annual target is set (L162-30-3).
    SurveillanceObjectif,
    /// The establishment is invited to present its observations before a reduction
    /// or a penalty (L162-30-4, L162-23-14-1), until `until`.
    ObservationsInvitees {
        until: Date,
    },
    /// The ARS recorded the opinion of the AM body or of the CRSA (or that its delay
    /// passed) before a reduction (L162-30-4).
    AvisSurveillanceEnregistre,
    /// The surveillance's decision (reduction or none) is notified.
    SurveillanceDecidee,
    /// The 2026 penalty is notified (L162-23-14 2°).
    PenaliteNotifiee,
    Echeance {
        kind: DeadlineKind,
        reminder: Reminder,
        on: Date,
    },
    // ARS.
    DossierSoumis,
    AvisAmDonne(Volet),
    AuditionDemandee,
    ContratSigne,
    ContratRefuse,
    DecisionContestee,
    /// The établissement answered a comment the ARS shared with it.
    ReponseEtablissement,
    /// The establishment presented its observations (surveillance or penalty).
    ObservationsPresentees,
    /// The establishment asks to be heard (second proposal or evaluation report).
    AuditionDemandeeG2,
    // Assurance Maladie.
    AvisAmAttendu(Volet),
    DonneesAmAttendues,
    // OMEDIT.
    Jalon {
        milestone: Milestone,
        on: Date,
    },
    /// The établissement answered a comment the OMEDIT shared with it.
    ReponseEtablissementOmedit,
}

/// What an event says, in French.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wording {
    /// A short title (notification list, e-mail subject after « CAQES — »).
    pub title: String,
    /// One sentence naming the establishment (or campaign) and the event.
    pub body: String,
}

/// « du volet obligatoire », « du volet Transports »…
fn of_volet(v: Volet) -> String {
    match v {
        Volet::Obligatoire => "du volet obligatoire".to_owned(),
        other => format!("du volet {}", other.label()),
    }
}

impl Event {
    /// The code stored with the notification.
    pub fn code(self) -> &'static str {
        match self {
            Event::DossierRenvoye => "dossier_renvoye",
            Event::DossierValide => "dossier_valide",
            Event::DossierEvalue => "dossier_evalue",
            Event::DecisionNotifiee(Volet::Obligatoire) => "decision_notifiee",
            Event::DecisionNotifiee(_) => "decision_volet_notifiee",
            Event::ContratPropose => "contrat_propose",
            Event::AvenantEnregistre => "avenant_enregistre",
            Event::AuditionFixee => "audition_fixee",
            Event::CibleRenvoyee => "cible_renvoyee",
            Event::CommentairePartage => "commentaire_partage",
            Event::SanctionRefusNotifiee => "sanction_refus_notifiee",
            Event::ContratProposeG2 => "g2_contrat_propose",
            Event::SecondePropositionG2 => "g2_seconde_proposition",
            Event::RapportEvaluationG2 => "g2_rapport_evaluation",
            Event::InteressementNotifie => "g2_interessement_notifie",
            Event::ObjectifFixeG2 => "g2_objectif_fixe",
            Event::AuditionFixeeG2 => "g2_audition_fixee",
            Event::AuditionDemandeeG2 => "g2_audition_demandee",
            Event::SurveillanceObjectif => "surveillance_objectif",
            Event::ObservationsInvitees { .. } => "observations_invitees",
            Event::AvisSurveillanceEnregistre => "surveillance_avis",
            Event::SurveillanceDecidee => "surveillance_decidee",
            Event::PenaliteNotifiee => "penalite_notifiee",
            Event::ObservationsPresentees => "observations_presentees",
            Event::Echeance { kind, .. } => match kind {
                DeadlineKind::Depot => "echeance_depot",
                DeadlineKind::Signature => "echeance_signature",
                DeadlineKind::Audition => "echeance_audition",
            },
            Event::DossierSoumis => "dossier_soumis",
            Event::AvisAmDonne(_) => "avis_am_donne",
            Event::AuditionDemandee => "audition_demandee",
            Event::ContratSigne => "contrat_signe",
            Event::ContratRefuse => "contrat_refuse",
            Event::DecisionContestee => "decision_contestee",
            Event::ReponseEtablissement => "reponse_etablissement",
            Event::ReponseEtablissementOmedit => "reponse_etablissement_omedit",
            Event::AvisAmAttendu(_) => "avis_am_attendu",
            Event::DonneesAmAttendues => "donnees_am_attendues",
            Event::Jalon { .. } => "jalon_campagne",
        }
    }

    pub fn audience(self) -> Audience {
        match self {
            Event::DossierRenvoye
            | Event::DossierValide
            | Event::DossierEvalue
            | Event::DecisionNotifiee(_)
            | Event::ContratPropose
            | Event::AvenantEnregistre
            | Event::AuditionFixee
            | Event::CibleRenvoyee
            | Event::CommentairePartage
            | Event::SanctionRefusNotifiee
            | Event::ContratProposeG2
            | Event::SecondePropositionG2
            | Event::RapportEvaluationG2
            | Event::InteressementNotifie
            | Event::ObjectifFixeG2
            | Event::AuditionFixeeG2
            | Event::SurveillanceObjectif
            | Event::ObservationsInvitees { .. }
            | Event::AvisSurveillanceEnregistre
            | Event::SurveillanceDecidee
            | Event::PenaliteNotifiee
            | Event::Echeance { .. } => Audience::Etablissement,
            Event::ObservationsPresentees
            | Event::AuditionDemandeeG2
            | Event::DossierSoumis
            | Event::AvisAmDonne(_)
            | Event::AuditionDemandee
            | Event::ContratSigne
            | Event::ContratRefuse
            | Event::DecisionContestee
            | Event::ReponseEtablissement => Audience::Ars,
            Event::AvisAmAttendu(_) | Event::DonneesAmAttendues => Audience::AssuranceMaladie,
            Event::Jalon { .. } | Event::ReponseEtablissementOmedit => Audience::Omedit,
        }
    }

    /// Legal notices go out by e-mail whatever the user chose: the notified
    /// decisions, the proposed contract, its avenants and the hearing date
    /// (which moves the end of the signature period).
    pub fn is_legal_notice(self) -> bool {
        matches!(
            self,
            Event::DecisionNotifiee(_)
                | Event::SanctionRefusNotifiee
                | Event::ContratProposeG2
                | Event::SecondePropositionG2
                | Event::InteressementNotifie
                | Event::AuditionFixeeG2
                | Event::SurveillanceObjectif
                | Event::ObservationsInvitees { .. }
                | Event::SurveillanceDecidee
                | Event::PenaliteNotifiee
                | Event::ContratPropose
                | Event::AvenantEnregistre
                | Event::AuditionFixee
        )
    }

    /// The French title and sentence; `subject` is the establishment's name
    /// (or the campaign's title for campaign-wide events).
    pub fn wording(self, subject: &str) -> Wording {
        let (title, body) = match self {
            Event::DossierRenvoye => (
                "Dossier renvoyé".to_owned(),
                format!(
                    "L'ARS a renvoyé le dossier d'auto-évaluation de {subject} : il peut être complété puis soumis à nouveau."
                ),
            ),
            Event::DossierValide => (
                "Dossier validé".to_owned(),
                format!("L'ARS a validé le dossier d'auto-évaluation de {subject}."),
            ),
            Event::DossierEvalue => (
                "Dossier évalué".to_owned(),
                format!("L'ARS a évalué le dossier de {subject}."),
            ),
            Event::DecisionNotifiee(v) => (
                "Décision notifiée".to_owned(),
                format!(
                    "L'ARS a notifié à {subject} sa décision {} ; les délais de recours courent à compter de sa réception.",
                    of_volet(v)
                ),
            ),
            Event::SanctionRefusNotifiee => (
                "Sanction pour refus de signature notifiée".to_owned(),
                format!(
                    "L'ARS a notifié à {subject} la sanction pour refus de signature du contrat CAQES ; les délais de recours courent à compter de sa réception."
                ),
            ),
            Event::ContratProposeG2 => (
                "Contrat proposé".to_owned(),
                format!(
                    "L'ARS propose un contrat CAQES à {subject} ; le délai de trois semaines pour le signer court à compter de sa réception."
                ),
            ),
            Event::SecondePropositionG2 => (
                "Seconde proposition de contrat".to_owned(),
                format!(
                    "L'ARS adresse à {subject} une seconde proposition de contrat CAQES ; le délai de 15 jours pour la signer court à compter de sa réception. À défaut, la sanction pour refus de signature peut être prononcée."
                ),
            ),
            Event::RapportEvaluationG2 => (
                "Rapport d'évaluation reçu".to_owned(),
                format!(
                    "L'ARS a enregistré le rapport d'évaluation annuelle de {subject} : l'établissement dispose d'un mois pour présenter ses observations."
                ),
            ),
            Event::InteressementNotifie => (
                "Intéressement notifié".to_owned(),
                format!(
                    "L'ARS a notifié à {subject} le montant de son intéressement ; les délais de recours courent à compter de sa réception."
                ),
            ),
            Event::ObjectifFixeG2 => (
                "Objectif modifié".to_owned(),
                format!(
                    "L'ARS a modifié l'objectif de {subject} pour un indicateur du contrat ; il figure sur la page du dossier avec sa source."
                ),
            ),
            Event::AuditionFixeeG2 => (
                "Date d'audition fixée".to_owned(),
                format!(
                    "L'ARS a fixé la date de l'audition de {subject} par le directeur général de l'ARS ; les délais qui en dépendent sont reportés, comme l'indique la page du dossier."
                ),
            ),
            Event::AuditionDemandeeG2 => (
                "Audition demandée".to_owned(),
                format!(
                    "{subject} demande à être entendu par le directeur général de l'ARS : la date de l'audition est à fixer sur la page du dossier."
                ),
            ),
            Event::SurveillanceObjectif => (
                "Mise sous surveillance".to_owned(),
                format!(
                    "L'ARS a fixé à {subject} un objectif annuel dans le cadre d'une mise sous surveillance ; il figure sur la page du dossier."
                ),
            ),
            Event::ObservationsInvitees { until } => (
                "Observations attendues".to_owned(),
                format!(
                    "L'ARS invite {subject} à présenter ses observations sur la page du dossier jusqu'au {} inclus, avant toute décision de réduction ou de pénalité.",
                    french_date(until)
                ),
            ),
            Event::AvisSurveillanceEnregistre => (
                "Avis avant la décision de mise sous surveillance".to_owned(),
                format!(
                    "L'ARS a enregistré un avis préalable à la décision sur la mise sous surveillance de {subject} (organisme local d'assurance maladie ou CRSA) ; il figure sur la page du dossier."
                ),
            ),
            Event::SurveillanceDecidee => (
                "Décision de mise sous surveillance".to_owned(),
                format!(
                    "L'ARS a notifié à {subject} sa décision à l'issue de la mise sous surveillance ; les délais de recours courent à compter de sa réception."
                ),
            ),
            Event::PenaliteNotifiee => (
                "Pénalité notifiée".to_owned(),
                format!(
                    "L'ARS a notifié à {subject} une pénalité au titre de l'incitation à l'efficience et à la pertinence ; les délais de recours courent à compter de sa réception."
                ),
            ),
            Event::ObservationsPresentees => (
                "Observations présentées".to_owned(),
                format!("{subject} a présenté ses observations sur la page de son dossier."),
            ),
            Event::ContratPropose => (
                "Contrat proposé".to_owned(),
                format!(
                    "L'ARS propose un contrat CAQES à {subject} ; le délai de 15 jours pour le signer court à compter de sa réception."
                ),
            ),
            Event::AvenantEnregistre => (
                "Avenant au contrat".to_owned(),
                format!("Un avenant au contrat CAQES de {subject} a été enregistré par l'ARS."),
            ),
            Event::AuditionFixee => (
                "Date d'audition fixée".to_owned(),
                format!("L'ARS a fixé la date de l'audition de {subject} sur le contrat proposé."),
            ),
            Event::CibleRenvoyee => (
                "Cible renvoyée".to_owned(),
                format!("L'ARS a renvoyé une proposition de cible de {subject}."),
            ),
            Event::CommentairePartage => (
                "Nouveau commentaire".to_owned(),
                format!("Un commentaire a été partagé avec {subject} sur son dossier."),
            ),
            Event::Echeance { kind, reminder, on } => {
                let what = match kind {
                    DeadlineKind::Depot => "Date limite de dépôt de l'auto-évaluation",
                    DeadlineKind::Signature => "Fin du délai de signature du contrat",
                    DeadlineKind::Audition => "Audition",
                };
                (
                    format!("Échéance ({})", reminder.code()),
                    format!(
                        "{what} de {subject} : le {} ({}).",
                        french_date(on),
                        reminder.code()
                    ),
                )
            }
            Event::DossierSoumis => (
                "Dossier soumis".to_owned(),
                format!("{subject} a soumis son dossier d'auto-évaluation."),
            ),
            Event::AvisAmDonne(v) => (
                "Avis de l'Assurance Maladie donné".to_owned(),
                format!(
                    "L'Assurance Maladie a donné son avis sur la décision {} de {subject}.",
                    of_volet(v)
                ),
            ),
            Event::AuditionDemandee => (
                "Audition demandée".to_owned(),
                format!(
                    "{subject} demande une audition sur le contrat proposé : la date est à fixer."
                ),
            ),
            Event::ContratSigne => (
                "Contrat signé".to_owned(),
                format!("{subject} a signé son contrat CAQES."),
            ),
            Event::ContratRefuse => (
                "Contrat refusé".to_owned(),
                format!("{subject} a refusé le contrat CAQES proposé."),
            ),
            Event::DecisionContestee => (
                "Décision contestée".to_owned(),
                format!("{subject} conteste la décision notifiée."),
            ),
            Event::ReponseEtablissement | Event::ReponseEtablissementOmedit => (
                "Réponse de l'établissement".to_owned(),
                format!("{subject} a répondu à un commentaire sur son dossier."),
            ),
            Event::AvisAmAttendu(v) => (
                "Avis de l'Assurance Maladie attendu".to_owned(),
                format!(
                    "L'avis de l'Assurance Maladie est attendu sur la décision {} de {subject}.",
                    of_volet(v)
                ),
            ),
            Event::DonneesAmAttendues => (
                "Données attendues".to_owned(),
                format!(
                    "La campagne « {subject} » est ouverte : les données de l'Assurance Maladie (PHEV, produits AM, liste en sus) sont attendues."
                ),
            ),
            Event::Jalon { milestone, on } => {
                let what = match milestone {
                    Milestone::Ouverture => "ouverture de la campagne",
                    Milestone::DepotClos => "date limite de dépôt atteinte",
                    Milestone::EvaluationClose => "date limite d'évaluation atteinte",
                };
                (
                    "Étape de campagne".to_owned(),
                    format!("Campagne « {subject} » : {what} ({}).", french_date(on)),
                )
            }
        };
        Wording { title, body }
    }
}

/// What a user chose for the e-mails of its notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum EmailPreference {
    /// One e-mail per notification, at once (the default).
    #[default]
    Immediat,
    /// One e-mail a day listing the day's notifications.
    ResumeQuotidien,
    /// No e-mail, except legal notices.
    Desactive,
}

impl EmailPreference {
    pub const ALL: [EmailPreference; 3] = [
        EmailPreference::Immediat,
        EmailPreference::ResumeQuotidien,
        EmailPreference::Desactive,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EmailPreference::Immediat => "immediat",
            EmailPreference::ResumeQuotidien => "resume_quotidien",
            EmailPreference::Desactive => "desactive",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmailPreference::Immediat => "Immédiat : un courriel par notification",
            EmailPreference::ResumeQuotidien => "Résumé quotidien : un courriel par jour",
            EmailPreference::Desactive => "Désactivé : aucun courriel (sauf notifications légales)",
        }
    }

    pub fn parse(code: &str) -> Option<EmailPreference> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// How one notification goes out by e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Immediate,
    Digest,
    None,
}

/// Legal notices always go out at once; otherwise the user's choice.
pub fn delivery(event: Event, preference: EmailPreference) -> Delivery {
    if event.is_legal_notice() {
        return Delivery::Immediate;
    }
    match preference {
        EmailPreference::Immediat => Delivery::Immediate,
        EmailPreference::ResumeQuotidien => Delivery::Digest,
        EmailPreference::Desactive => Delivery::None,
    }
}

/// The hour (Paris) from which the daily digest of the day's notifications goes out.
pub const DIGEST_HOUR: i8 = 18;

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn reminders_fall_at_fifteen_seven_and_one_day() {
        let deadline = date(2020, 3, 31);
        assert_eq!(due_reminder(deadline, date(2020, 3, 15)), None); // J-16
        assert_eq!(
            due_reminder(deadline, date(2020, 3, 16)),
            Some(Reminder::J15)
        );
        assert_eq!(
            due_reminder(deadline, date(2020, 3, 23)),
            Some(Reminder::J15)
        ); // J-8
        assert_eq!(
            due_reminder(deadline, date(2020, 3, 24)),
            Some(Reminder::J7)
        );
        assert_eq!(
            due_reminder(deadline, date(2020, 3, 30)),
            Some(Reminder::J1)
        );
        // On the day and after: no reminder any more.
        assert_eq!(due_reminder(deadline, date(2020, 3, 31)), None);
        assert_eq!(due_reminder(deadline, date(2020, 4, 2)), None);
        // Across a month end of a leap year: J-7 of 3 March 2020 is 25 February,
        // J-15 is 17 February (29 days in February).
        assert_eq!(
            due_reminder(date(2020, 3, 3), date(2020, 2, 25)),
            Some(Reminder::J7)
        );
        assert_eq!(
            due_reminder(date(2020, 3, 3), date(2020, 2, 24)),
            Some(Reminder::J15)
        );
        assert_eq!(
            due_reminder(date(2020, 3, 3), date(2020, 2, 17)),
            Some(Reminder::J15)
        );
        assert_eq!(due_reminder(date(2020, 3, 3), date(2020, 2, 16)), None);
    }

    #[test]
    fn legal_notices_ignore_the_users_choice() {
        let legal = Event::DecisionNotifiee(Volet::Transports);
        let plain = Event::DossierValide;
        for pref in EmailPreference::ALL {
            assert_eq!(delivery(legal, pref), Delivery::Immediate);
        }
        assert_eq!(
            delivery(plain, EmailPreference::Immediat),
            Delivery::Immediate
        );
        assert_eq!(
            delivery(plain, EmailPreference::ResumeQuotidien),
            Delivery::Digest
        );
        assert_eq!(delivery(plain, EmailPreference::Desactive), Delivery::None);
        assert!(Event::ContratPropose.is_legal_notice());
        assert!(Event::AvenantEnregistre.is_legal_notice());
        assert!(!Event::DossierRenvoye.is_legal_notice());
        for p in EmailPreference::ALL {
            assert_eq!(EmailPreference::parse(p.code()), Some(p));
        }
    }

    #[test]
    fn each_role_hears_of_its_own_events() {
        use Audience as A;
        let cases = [
            (Event::DossierRenvoye, A::Etablissement),
            (
                Event::DecisionNotifiee(Volet::Obligatoire),
                A::Etablissement,
            ),
            (Event::ContratPropose, A::Etablissement),
            (Event::CommentairePartage, A::Etablissement),
            (Event::DossierSoumis, A::Ars),
            (Event::AvisAmDonne(Volet::Qualite), A::Ars),
            (Event::AuditionDemandee, A::Ars),
            (Event::ContratRefuse, A::Ars),
            (Event::DecisionContestee, A::Ars),
            (Event::ReponseEtablissement, A::Ars),
            (Event::ReponseEtablissementOmedit, A::Omedit),
            (
                Event::AvisAmAttendu(Volet::Obligatoire),
                A::AssuranceMaladie,
            ),
            (Event::DonneesAmAttendues, A::AssuranceMaladie),
            (
                Event::Jalon {
                    milestone: Milestone::Ouverture,
                    on: date(2019, 1, 1),
                },
                A::Omedit,
            ),
        ];
        for (event, audience) in cases {
            assert_eq!(event.audience(), audience, "{event:?}");
        }
    }

    #[test]
    fn the_wording_names_the_establishment_and_the_event_only() {
        let w = Event::DecisionNotifiee(Volet::Pertinence).wording("CH de Tolosa");
        assert_eq!(w.title, "Décision notifiée");
        assert!(w.body.contains("CH de Tolosa"), "{}", w.body);
        assert!(w.body.contains("du volet Pertinence"), "{}", w.body);
        let w = Event::Echeance {
            kind: DeadlineKind::Signature,
            reminder: Reminder::J7,
            on: date(2020, 3, 31),
        }
        .wording("Clinique du Lac");
        assert_eq!(w.title, "Échéance (J-7)");
        assert_eq!(
            w.body,
            "Fin du délai de signature du contrat de Clinique du Lac : le 31 mars 2020 (J-7)."
        );
        // No amount nor score can slip in: no digit but the date's in any wording.
        let w = Event::DossierEvalue.wording("X");
        assert!(!w.body.chars().any(|c| c.is_ascii_digit()), "{}", w.body);
    }
}
