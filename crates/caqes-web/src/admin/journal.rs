//! The audit log read as sentences (issue 10): « Le 4 décembre 2026 à 23 h 05,
//! Marie Durand a validé le dossier de l'entité 310781406. » — the action's
//! verb in French, its object, the date in words (Paris time). The details
//! (before → after, field by field) stay next to the sentence.

use serde_json::Value;

/// What an action code does, as « a … » (the perfect tense of the actor).
fn verb(action: &str, after: Option<&Value>) -> String {
    let text = |s: &str| s.to_owned();
    match action {
        "dossier.transition" => {
            let done = after
                .and_then(|a| a.get("action"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            match done {
                "soumettre" => text("a soumis l'auto-évaluation du dossier"),
                "prendre_en_revue" => text("a pris en revue le dossier"),
                "renvoyer" => text("a renvoyé à l'établissement le dossier"),
                "valider" => text("a validé le dossier"),
                "evaluer" => text("a évalué le dossier"),
                "notifier" => text("a notifié la décision du dossier"),
                "contester" => text("a contesté la décision du dossier"),
                "clore" => text("a clos le dossier"),
                _ => text("a fait avancer le dossier"),
            }
        }
        "dossier.commenter" => {
            let answer = after
                .and_then(|a| a.get("reponse"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if answer {
                text("a répondu à un commentaire sur le dossier")
            } else {
                text("a commenté le dossier")
            }
        }
        "dossier.ouvrir" => text("a ouvert un dossier"),
        "valeurs.enregistrer" => text("a enregistré des valeurs"),
        "classe.choisir" => text("a choisi la classe d'un indicateur"),
        "nc.revue" => text("a revu la déclaration NC"),
        "campagne.creer" => text("a créé la campagne"),
        "cibles.proposer" => text("a proposé des cibles"),
        "cibles.accepter" => text("a accepté la proposition de cible"),
        "cibles.renvoyer" => text("a renvoyé à revoir la proposition de cible"),
        "cibles.enregistrer" => text("a enregistré des cibles"),
        "plan_actions.ajouter" => text("a ajouté une action au plan"),
        "plan_actions.modifier" => text("a modifié une action du plan"),
        "pieces.deposer" => text("a déposé une pièce justificative"),
        "pieces.supprimer" => text("a supprimé une pièce justificative"),
        "decision.avis_am" | "volet.avis_am" => text("a donné l'avis de l'Assurance Maladie"),
        "decision.decider" => text("a décidé la sanction"),
        "decision.notifier" | "volet.notifier" => text("a notifié la décision"),
        "decision.corriger" | "volet.corriger" => text("a corrigé la décision"),
        "decision.assiette" => text("a choisi l'assiette de la sanction"),
        "volet.evaluer" => text("a évalué le volet"),
        "contrat.proposer" | "g2.contrat.proposer" => text("a proposé le contrat"),
        "contrat.signer" | "g2.contrat.signer" => text("a signé le contrat"),
        "contrat.refuser" | "g2.contrat.refuser" => text("a refusé le contrat"),
        "contrat.demander_audition" => text("a demandé une audition sur le contrat"),
        "contrat.fixer_audition" => text("a fixé la date d'audition du contrat"),
        "contrat.avenant" => text("a enregistré un avenant au contrat"),
        "contrat.resilier_volet" => text("a résilié un volet du contrat"),
        "g2.contrat.seconde_proposition" => text("a fait une seconde proposition de contrat"),
        "sanction_refus.decider" | "g2.sanction_refus.decider" => {
            text("a décidé la sanction pour refus de signature")
        }
        "sanction_refus.notifier" => text("a notifié la sanction pour refus de signature"),
        "g2.unite_contrat" => text("a choisi l'unité de contrat"),
        "g2.ciblage.confirmer" | "ciblage.confirmer" => text("a confirmé le ciblage"),
        "g2.valeurs.saisir" => text("a saisi les valeurs N et N−1"),
        "g2.valeurs.importer" => text("a importé les valeurs N et N−1 de la campagne"),
        "g2.interessement.reviser" => text("a révisé l'intéressement"),
        "g2.rapport.reception" => text("a enregistré la réception du rapport d'évaluation"),
        "g2.interessement.decider" => text("a décidé l'intéressement"),
        "g2.interessement.notifier" => text("a notifié l'intéressement"),
        "g2.objectif.fixer" => text("a fixé l'objectif propre d'un indicateur"),
        "g2.audition.demander" => text("a demandé une audition"),
        "g2.audition.fixer" => text("a fixé la date de l'audition"),
        "g2.surveillance.fixer" => text("a mis sous surveillance"),
        "g2.surveillance.decider" => text("a décidé à l'issue de la mise sous surveillance"),
        "g2.surveillance.avis" => text("a enregistré un avis avant la réduction"),
        "g2.observations.inviter" => text("a invité à présenter des observations"),
        "g2.observations.presenter" => text("a présenté des observations"),
        "g2.penalite.decider" => text("a décidé la pénalité"),
        "document.emettre" => text("a téléchargé un document"),
        "import.etablissements" => text("a importé des établissements"),
        "import.valeurs" => text("a importé des valeurs et des cibles"),
        "import.phev" => text("a importé les données PHEV"),
        "transports.importer" => text("a importé le ciblage du volet transports"),
        "qualite.importer" => text("a importé le ciblage du volet qualité"),
        "pertinence.importer" => text("a importé le ciblage du volet pertinence"),
        "donnees_am.enregistrer" | "recettes_am.enregistrer" => {
            text("a enregistré des données de l'Assurance Maladie")
        }
        "reception.electronique" => text("a accusé réception"),
        "reception.papier" => text("a enregistré un accusé de réception papier"),
        "etablissement.creer" => text("a enregistré l'établissement"),
        "region.creer" => text("a enregistré la région"),
        "referentiel.deposer" => text("a déposé le référentiel"),
        "utilisateur.creer" => text("a créé le compte"),
        "utilisateur.desactiver" => text("a désactivé le compte"),
        "utilisateur.reactiver" => text("a réactivé le compte"),
        "utilisateur.mot_de_passe" => text("a changé le mot de passe du compte"),
        "utilisateur.reinitialiser_mot_de_passe" => {
            text("a réinitialisé le mot de passe du compte")
        }
        "notifications.preference" => text("a réglé ses courriels de notification"),
        "courriel.relancer" => text("a relancé un courriel"),
        "courriels.ecarter" => text("a écarté des courriels"),
        // An action this list does not know yet still reads as a sentence.
        other => format!("a effectué l'action « {other} » sur"),
    }
}

/// The object, named from the line's own data where it says more than an id.
fn object(kind: &str, id: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let field = |name: &str| {
        after
            .and_then(|a| a.get(name))
            .or_else(|| before.and_then(|b| b.get(name)))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match kind {
        "dossier" | "commentaire" => match field("entite") {
            Some(e) => format!("de l'entité {e}"),
            None => format!("({id})"),
        },
        "entite_juridique" | "etablissement" | "contrat" => format!("de l'entité {id}"),
        "utilisateur" => match field("email").or_else(|| field("courriel")) {
            Some(e) => e,
            None => format!("({id})"),
        },
        "region" | "referentiel" => id.to_owned(),
        "campagne" => match field("titre") {
            Some(t) => format!("« {t} »"),
            None => format!("({id})"),
        },
        _ => format!("({} {id})", kind.replace('_', " ")),
    }
}

/// « Le 4 décembre 2026 à 23 h 05, Marie Durand a validé le dossier de l'entité 310781406. »
pub fn sentence(
    at: &str,
    actor: &str,
    action: &str,
    object_kind: &str,
    object_id: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    // The sentence needs a few small fields; an import's line can hold
    // thousands of values, not worth parsing for them (its id names it).
    const SMALL: usize = 4096;
    let parse = |t: Option<&str>| {
        t.filter(|t| t.len() <= SMALL)
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
    };
    let (before, after) = (parse(before), parse(after));
    let when = crate::ui::fr::instant(at);
    let what = verb(action, after.as_ref());
    let on = object(object_kind, object_id, before.as_ref(), after.as_ref());
    let actor = if actor.trim().is_empty() {
        "le système"
    } else {
        actor.trim()
    };
    format!("Le {when}, {actor} {what} {on}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_reads_as_a_french_sentence() {
        let s = sentence(
            "2026-12-04T22:05:00Z",
            "Marie Durand",
            "dossier.transition",
            "dossier",
            "d1",
            Some(r#"{"etat":"en_revue"}"#),
            Some(r#"{"etat":"valide","action":"valider","entite":"310781406"}"#),
        );
        assert_eq!(
            s,
            "Le 4 décembre 2026 à 23\u{a0}h\u{a0}05, Marie Durand a validé le dossier de l'entité 310781406."
        );
    }

    #[test]
    fn an_unknown_action_is_still_a_sentence_without_json() {
        let s = sentence("2026-03-15T09:00:00Z", "", "x.y", "truc", "7", None, None);
        assert!(
            s.starts_with("Le 15 mars 2026 à 10\u{a0}h\u{a0}00, le système"),
            "{s}"
        );
        assert!(!s.contains('{'), "{s}");
    }
}
