//! The submission workflow: explicit states, and which role may move a
//! submission from which state to which.
//!
//! Pure rules, tested on their own; the store applies them inside the
//! transaction that records the transition.

use std::fmt;
use std::str::FromStr;

use crate::role::Role;

/// The state of an établissement's self-evaluation for one campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubmissionState {
    Brouillon,
    Soumis,
    EnRevue,
    Renvoye,
    Valide,
    Evalue,
    Notifie,
    Conteste,
    Clos,
}

impl SubmissionState {
    /// Whether the ARS may review the NC declared in the dossier (accept or refuse their
    /// motive): once the établissement has submitted, until the ARS validates.
    pub fn nc_reviewable(self) -> bool {
        matches!(self, SubmissionState::Soumis | SubmissionState::EnRevue)
    }

    pub const ALL: [SubmissionState; 9] = [
        SubmissionState::Brouillon,
        SubmissionState::Soumis,
        SubmissionState::EnRevue,
        SubmissionState::Renvoye,
        SubmissionState::Valide,
        SubmissionState::Evalue,
        SubmissionState::Notifie,
        SubmissionState::Conteste,
        SubmissionState::Clos,
    ];

    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            SubmissionState::Brouillon => "brouillon",
            SubmissionState::Soumis => "soumis",
            SubmissionState::EnRevue => "en_revue",
            SubmissionState::Renvoye => "renvoye",
            SubmissionState::Valide => "valide",
            SubmissionState::Evalue => "evalue",
            SubmissionState::Notifie => "notifie",
            SubmissionState::Conteste => "conteste",
            SubmissionState::Clos => "clos",
        }
    }

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            SubmissionState::Brouillon => "Brouillon",
            SubmissionState::Soumis => "Soumis",
            SubmissionState::EnRevue => "En revue",
            SubmissionState::Renvoye => "Renvoyé",
            SubmissionState::Valide => "Validé",
            SubmissionState::Evalue => "Évalué",
            SubmissionState::Notifie => "Notifié",
            SubmissionState::Conteste => "Contesté",
            SubmissionState::Clos => "Clos",
        }
    }

    /// Whether the établissement may still change its values.
    pub fn is_editable(self) -> bool {
        matches!(self, SubmissionState::Brouillon | SubmissionState::Renvoye)
    }
}

impl fmt::Display for SubmissionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("état de dossier inconnu « {0} »")]
pub struct UnknownState(pub String);

impl FromStr for SubmissionState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubmissionState::ALL
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// What a user asks to do with a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The établissement sends its self-evaluation (again after a return).
    Soumettre,
    /// The ARS starts reviewing.
    PrendreEnRevue,
    /// The ARS sends it back with a comment.
    Renvoyer,
    /// The ARS accepts the values.
    Valider,
    /// The ARS runs the evaluation (the score is stored).
    Evaluer,
    /// The ARS notifies the decision.
    Notifier,
    /// The établissement contests the notified decision.
    Contester,
    /// The ARS closes the file.
    Clore,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Soumettre,
        Action::PrendreEnRevue,
        Action::Renvoyer,
        Action::Valider,
        Action::Evaluer,
        Action::Notifier,
        Action::Contester,
        Action::Clore,
    ];

    /// The code used in forms and the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Action::Soumettre => "soumettre",
            Action::PrendreEnRevue => "prendre_en_revue",
            Action::Renvoyer => "renvoyer",
            Action::Valider => "valider",
            Action::Evaluer => "evaluer",
            Action::Notifier => "notifier",
            Action::Contester => "contester",
            Action::Clore => "clore",
        }
    }

    /// The label of the button.
    pub fn label(self) -> &'static str {
        match self {
            Action::Soumettre => "Soumettre l'auto-évaluation",
            Action::PrendreEnRevue => "Prendre en revue",
            Action::Renvoyer => "Renvoyer à l'établissement",
            Action::Valider => "Valider",
            Action::Evaluer => "Lancer l'évaluation",
            Action::Notifier => "Notifier",
            Action::Contester => "Contester la décision",
            Action::Clore => "Clore le dossier",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }

    /// The only role allowed to perform this action.
    pub fn role(self) -> Role {
        match self {
            Action::Soumettre | Action::Contester => Role::Etablissement,
            _ => Role::Ars,
        }
    }

    /// The states this action starts from.
    pub fn from_states(self) -> &'static [SubmissionState] {
        use SubmissionState as S;
        match self {
            Action::Soumettre => &[S::Brouillon, S::Renvoye],
            Action::PrendreEnRevue => &[S::Soumis],
            Action::Renvoyer | Action::Valider => &[S::EnRevue],
            Action::Evaluer => &[S::Valide],
            Action::Notifier => &[S::Evalue],
            Action::Contester => &[S::Notifie],
            Action::Clore => &[S::Notifie, S::Conteste],
        }
    }

    /// The state reached.
    pub fn to_state(self) -> SubmissionState {
        use SubmissionState as S;
        match self {
            Action::Soumettre => S::Soumis,
            Action::PrendreEnRevue => S::EnRevue,
            Action::Renvoyer => S::Renvoye,
            Action::Valider => S::Valide,
            Action::Evaluer => S::Evalue,
            Action::Notifier => S::Notifie,
            Action::Contester => S::Conteste,
            Action::Clore => S::Clos,
        }
    }

    /// A return or a contest must say why.
    pub fn requires_comment(self) -> bool {
        matches!(self, Action::Renvoyer | Action::Contester)
    }
}

/// Why a transition is refused (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("cette action (« {action} ») est réservée au rôle {role}")]
    WrongRole {
        action: &'static str,
        role: &'static str,
    },
    #[error("impossible de « {action} » un dossier à l'état « {state} »")]
    WrongState {
        action: &'static str,
        state: &'static str,
    },
    #[error("un commentaire est obligatoire pour « {0} »")]
    CommentRequired(&'static str),
}

/// Checks that `role` may apply `action` to a submission in `state`, and returns the new state.
pub fn next_state(
    state: SubmissionState,
    action: Action,
    role: Role,
    comment: Option<&str>,
) -> Result<SubmissionState, WorkflowError> {
    if role != action.role() {
        return Err(WorkflowError::WrongRole {
            action: action.label(),
            role: action.role().label(),
        });
    }
    if !action.from_states().contains(&state) {
        return Err(WorkflowError::WrongState {
            action: action.label(),
            state: state.label(),
        });
    }
    if action.requires_comment() && comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(WorkflowError::CommentRequired(action.label()));
    }
    Ok(action.to_state())
}

/// The actions `role` may take on a submission in `state` (to show the buttons).
pub fn available_actions(state: SubmissionState, role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| a.role() == role && a.from_states().contains(&state))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionState as S;

    #[test]
    fn the_nominal_path_needs_each_role_in_turn() {
        let mut s = S::Brouillon;
        let steps = [
            (Action::Soumettre, Role::Etablissement, S::Soumis),
            (Action::PrendreEnRevue, Role::Ars, S::EnRevue),
            (Action::Valider, Role::Ars, S::Valide),
            (Action::Evaluer, Role::Ars, S::Evalue),
            (Action::Notifier, Role::Ars, S::Notifie),
            (Action::Contester, Role::Etablissement, S::Conteste),
            (Action::Clore, Role::Ars, S::Clos),
        ];
        for (action, role, expected) in steps {
            let comment = action.requires_comment().then_some("motif");
            s = next_state(s, action, role, comment).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn every_action_is_refused_to_every_other_role() {
        let roles = [
            Role::Etablissement,
            Role::Ars,
            Role::AssuranceMaladie,
            Role::Omedit,
            Role::Admin,
        ];
        for action in Action::ALL {
            for role in roles {
                let from = action.from_states()[0];
                let r = next_state(from, action, role, Some("motif"));
                assert_eq!(r.is_ok(), role == action.role(), "{action:?} by {role:?}");
            }
        }
    }

    #[test]
    fn states_outside_the_table_are_refused() {
        for action in Action::ALL {
            for state in S::ALL {
                let r = next_state(state, action, action.role(), Some("motif"));
                assert_eq!(
                    r.is_ok(),
                    action.from_states().contains(&state),
                    "{action:?} from {state:?}"
                );
            }
        }
    }

    #[test]
    fn a_return_needs_a_comment() {
        assert_eq!(
            next_state(S::EnRevue, Action::Renvoyer, Role::Ars, Some("  ")),
            Err(WorkflowError::CommentRequired(Action::Renvoyer.label()))
        );
        assert_eq!(
            next_state(
                S::EnRevue,
                Action::Renvoyer,
                Role::Ars,
                Some("Valeur A1 manquante")
            ),
            Ok(S::Renvoye)
        );
        // After a return the établissement may submit again.
        assert_eq!(
            next_state(S::Renvoye, Action::Soumettre, Role::Etablissement, None),
            Ok(S::Soumis)
        );
    }

    #[test]
    fn codes_round_trip_and_buttons_follow_the_table() {
        for s in S::ALL {
            assert_eq!(s.code().parse::<S>(), Ok(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        assert_eq!(
            available_actions(S::EnRevue, Role::Ars),
            vec![Action::Renvoyer, Action::Valider]
        );
        assert!(available_actions(S::EnRevue, Role::Etablissement).is_empty());
        assert!(available_actions(S::Soumis, Role::Omedit).is_empty());
    }
}
