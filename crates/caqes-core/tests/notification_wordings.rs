//! Every notification's French wording at once, as a snapshot (`snapshots/`): the text is
//! the point, and a change of any wording shows in review as a diff of this one file. The
//! list is exhaustive by construction: [`listed`] matches each variant without a
//! wildcard, so a new event does not compile until it is listed here too.
//! After an intended change: `INSTA_UPDATE=always cargo test -p caqes-core --test
//! notification_wordings`, then read the diff of the snapshot.

use std::fmt::Write as _;

use caqes_core::notification::{DeadlineKind, Event, Milestone, Reminder};
use caqes_core::volets::Volet;
use jiff::civil::date;

/// One of each event, with each volet, deadline and reminder where an event carries one.
fn every_event() -> Vec<Event> {
    let on = date(2020, 3, 31);
    let mut events = vec![
        Event::DossierRenvoye,
        Event::DossierValide,
        Event::DossierEvalue,
        Event::ContratPropose,
        Event::AvenantEnregistre,
        Event::AuditionFixee,
        Event::CibleRenvoyee,
        Event::CommentairePartage,
        Event::SanctionRefusNotifiee,
        Event::ContratProposeG2,
        Event::SecondePropositionG2,
        Event::RapportEvaluationG2,
        Event::InteressementNotifie,
        Event::ObjectifFixeG2,
        Event::AuditionFixeeG2,
        Event::SurveillanceObjectif,
        Event::ObservationsInvitees {
            until: date(2025, 5, 1),
        },
        Event::AvisSurveillanceEnregistre,
        Event::SurveillanceDecidee,
        Event::PenaliteNotifiee,
        Event::DossierSoumis,
        Event::AuditionDemandee,
        Event::ContratSigne,
        Event::ContratRefuse,
        Event::DecisionContestee,
        Event::ReponseEtablissement,
        Event::ObservationsPresentees,
        Event::AuditionDemandeeG2,
        Event::DonneesAmAttendues,
        Event::ReponseEtablissementOmedit,
    ];
    for volet in Volet::ALL {
        events.push(Event::DecisionNotifiee(volet));
        events.push(Event::AvisAmDonne(volet));
        events.push(Event::AvisAmAttendu(volet));
    }
    for kind in [
        DeadlineKind::Depot,
        DeadlineKind::Signature,
        DeadlineKind::Audition,
    ] {
        for reminder in Reminder::ALL {
            events.push(Event::Echeance { kind, reminder, on });
        }
    }
    for milestone in [
        Milestone::Ouverture,
        Milestone::DepotClos,
        Milestone::EvaluationClose,
    ] {
        events.push(Event::Jalon { milestone, on });
    }
    events
}

/// Compiles only while every variant is named: a new event must be added to
/// [`every_event`] as well.
fn listed(event: Event) -> bool {
    match event {
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
        | Event::Echeance { .. }
        | Event::DossierSoumis
        | Event::AvisAmDonne(_)
        | Event::AuditionDemandee
        | Event::ContratSigne
        | Event::ContratRefuse
        | Event::DecisionContestee
        | Event::ReponseEtablissement
        | Event::ObservationsPresentees
        | Event::AuditionDemandeeG2
        | Event::AvisAmAttendu(_)
        | Event::DonneesAmAttendues
        | Event::Jalon { .. }
        | Event::ReponseEtablissementOmedit => true,
    }
}

#[test]
fn every_notification_says_what_happened_in_french() {
    let events = every_event();
    assert!(events.iter().copied().all(listed));
    let mut text = String::new();
    for event in events {
        // The subject is the establishment's name, or the campaign's title for the events
        // about a campaign.
        let subject = match event {
            Event::DonneesAmAttendues | Event::Jalon { .. } => "CAQES Occitanie 2019",
            _ => "Clinique du Lac",
        };
        let w = event.wording(subject);
        let legal = if event.is_legal_notice() {
            ", avis légal"
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "{} ({:?}{legal})\n  {}\n  {}",
            event.code(),
            event.audience(),
            w.title,
            w.body
        );
    }
    insta::assert_snapshot!(text);
}
