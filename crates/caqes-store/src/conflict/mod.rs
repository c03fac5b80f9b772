//! Why the store refused a write that the user may correct: [`Conflict`], one enum per
//! topic grouped under it. Each variant names the business reason and carries the data
//! its French message needs, so a caller that must tell two refusals apart matches a
//! variant instead of comparing text; the pages show `to_string()`. Where the engine
//! refused (a calendar, a sanction's bounds, a grid…), the variant keeps the engine's
//! typed error rather than its text.

use std::num::TryFromIntError;

use caqes_core::calendar::CalendarError;
use caqes_core::contract::ContractState;
use caqes_core::referentiel::ReferentielError;
use caqes_core::refusal::RefusalError;
use caqes_core::regimes::Regime;
use caqes_core::regimes::french_date;
use caqes_core::regimes::incitation::IncitationError;
use caqes_core::regimes::outcome::OutcomeError;
use caqes_core::regimes::surveillance::SurveillanceError;
use caqes_core::sanction::SanctionError;
use caqes_core::volets::{Volet, VoletError};
use caqes_core::workflow::SubmissionState;
use jiff::civil::Date;

use crate::StoreError;
use crate::dossier::engagements::ProposalState;

mod generation2;
pub use generation2::{
    Contract2Conflict, Generation2Conflict, HearingConflict, IncentiveConflict, UnitConflict,
    ValueRowProblem, ValuesConflict,
};

/// A refused write, by topic (`StoreError::Conflict`).
#[derive(Debug, thiserror::Error)]
pub enum Conflict {
    #[error(transparent)]
    Stale(#[from] StaleConflict),
    #[error(transparent)]
    Entity(#[from] EntityConflict),
    #[error(transparent)]
    Dossier(#[from] DossierConflict),
    #[error(transparent)]
    Decision(#[from] DecisionConflict),
    #[error(transparent)]
    Contract(#[from] ContractConflict),
    #[error(transparent)]
    Referentiel(#[from] ReferentielConflict),
    #[error(transparent)]
    Targeting(#[from] TargetingConflict),
    #[error(transparent)]
    Volet(#[from] VoletConflict),
    #[error(transparent)]
    Generation2(#[from] Generation2Conflict),
    #[error(transparent)]
    Lever(#[from] LeverConflict),
    #[error(transparent)]
    Receipt(#[from] ReceiptConflict),
}

/// Every topic's enum converts into a `StoreError` directly, so a check writes
/// `return Err(DecisionConflict::NothingToNotify.into())` or `.ok_or(…)?`.
macro_rules! into_store_error {
    ($($topic:ident),*) => {$(
        impl From<$topic> for StoreError {
            fn from(c: $topic) -> StoreError {
                StoreError::Conflict(Conflict::from(c))
            }
        }
    )*};
}
into_store_error!(
    StaleConflict,
    EntityConflict,
    DossierConflict,
    DecisionConflict,
    ContractConflict,
    ReferentielConflict,
    TargetingConflict,
    VoletConflict,
    Generation2Conflict,
    LeverConflict,
    ReceiptConflict,
    UnitConflict,
    Contract2Conflict,
    HearingConflict,
    ValuesConflict,
    IncentiveConflict
);

/// The second generation's steps are grouped under [`Generation2Conflict`]: each converts
/// into a `Conflict` through it, so a check writes `UnitConflict::UnitFrozen.into()`.
macro_rules! into_generation2 {
    ($($step:ident),*) => {$(
        impl From<$step> for Conflict {
            fn from(c: $step) -> Conflict {
                Conflict::Generation2(Generation2Conflict::from(c))
            }
        }
    )*};
}
into_generation2!(
    UnitConflict,
    Contract2Conflict,
    HearingConflict,
    ValuesConflict,
    IncentiveConflict
);

/// The object changed between the page and the write (a guarded statement touched no
/// row): the user reloads the page.
#[derive(Debug, thiserror::Error)]
pub enum StaleConflict {
    #[error("le dossier a été modifié entre-temps : rechargez la page")]
    DossierChanged,
    #[error("le dossier a changé d'état entre-temps : rechargez la page")]
    DossierStateChanged,
    #[error("le contrat a été modifié entre-temps : rechargez la page")]
    ContractChanged,
    #[error("la décision a été notifiée entre-temps : rechargez la page")]
    DecisionNotified,
    #[error("la sanction a été notifiée entre-temps : rechargez la page")]
    RefusalSanctionNotified,
    #[error("la procédure a été modifiée entre-temps : rechargez la page")]
    RefusalProcedureChanged,
    #[error("une audition a été demandée entre-temps : rechargez la page")]
    HearingRequested,
    #[error("la demande d'audition a changé entre-temps : rechargez la page")]
    HearingRequestChanged,
    #[error("ce courriel n'est pas en échec : rechargez la page")]
    EmailNotFailed,
    #[error("cette proposition est déjà « {} » : rechargez la page", .state.label())]
    TargetProposal { state: ProposalState },
}

/// Legal entities, their sites and their region (imports, AM figures, late dossiers).
#[derive(Debug, thiserror::Error)]
pub enum EntityConflict {
    #[error("l'entité juridique {entity} existe déjà")]
    Exists { entity: String },
    #[error(
        "l'entité juridique {entity} est déclarée dans la région « {declared} » et non « {region} »"
    )]
    DeclaredElsewhere {
        entity: String,
        declared: String,
        region: String,
    },
    #[error("l'entité juridique {entity} est déjà enregistrée dans une autre région")]
    InOtherRegion { entity: String },
    #[error("l'entité juridique {entity} n'est pas dans la région")]
    OutsideRegion { entity: String },
    #[error("l'entité juridique {entity} n'est pas dans la région de la campagne")]
    OutsideCampaignRegion { entity: String },
    #[error("l'entité juridique {entity} n'est pas enregistrée dans la région de la campagne")]
    NotRegisteredInCampaignRegion { entity: String },
    #[error("l'entité juridique {entity} n'a pas de dossier dans la campagne")]
    NoDossier { entity: String },
    #[error("l'entité juridique {entity} a déjà un dossier dans cette campagne")]
    DossierExists { entity: String },
    #[error("l'entité juridique {entity} n'a aucun site")]
    NoSite { entity: String },
    #[error("le site {site} est rattaché à {owner} et non à {entity}")]
    SiteOfOtherEntity {
        site: String,
        owner: String,
        entity: String,
    },
    #[error("le site {site} est déjà rattaché à l'entité juridique {owner}")]
    SiteAlreadyAttached { site: String, owner: String },
    #[error("site {site} inconnu")]
    UnknownSite { site: String },
    #[error("le site {site} n'est pas dans la région de la campagne")]
    SiteOutsideCampaignRegion { site: String },
    #[error("le site {site} n'appartient pas à l'entité {entity}")]
    SiteNotOfEntity { site: String, entity: String },
}

/// A dossier of the first generation: its values, classes, NC declarations, comments,
/// workflow and the AM's figures.
#[derive(Debug, thiserror::Error)]
pub enum DossierConflict {
    #[error(
        "le dossier de {entity} est à l'état « {} » : ses valeurs ne peuvent plus être modifiées",
        .state.label()
    )]
    EntityValuesFrozen {
        entity: String,
        state: SubmissionState,
    },
    #[error(
        "le dossier est à l'état « {} » : les valeurs ne peuvent plus être modifiées",
        .state.label()
    )]
    ValuesFrozen { state: SubmissionState },
    #[error(
        "le dossier est à l'état « {} » : la classe ne peut plus être modifiée",
        .state.label()
    )]
    ClassFrozen { state: SubmissionState },
    #[error("valeur de l'année {year} hors de la campagne {campaign_year}")]
    YearOutsideCampaign { year: i16, campaign_year: i16 },
    #[error("valeur {indicator} du site {site} non lue avant l'écriture")]
    ValueNotRead { indicator: String, site: String },
    #[error("{entity} : un montant de l'assurance maladie ne peut pas être négatif")]
    NegativeAmAmount { entity: String },
    #[error(
        "la proposition est déjà arrêtée (avis de l'Assurance Maladie recueilli) : \
         l'assiette ne peut plus changer"
    )]
    BasisFrozen,
    #[error("un refus de NC doit être motivé : saisir un commentaire")]
    NcRefusalWithoutComment,
    #[error("la revue d'un NC l'accepte ou le refuse")]
    NcReviewUndecided,
    #[error(
        "le dossier est à l'état « {} » : les NC se revoient quand il est soumis ou en revue",
        .state.label()
    )]
    NcNotReviewable { state: SubmissionState },
    #[error("la réponse de l'établissement est partagée avec l'ARS et l'OMEDIT")]
    AnswerNotShared,
    #[error("seuls l'ARS, l'OMEDIT et l'établissement (en réponse) commentent un dossier")]
    CommentRole,
    #[error("l'établissement répond à un commentaire partagé avec lui : aucun sur cette ligne")]
    NothingToAnswer,
    #[error("aucune cible saisie : renseignez au moins une cible")]
    NoTarget,
    #[error(
        "la notification se fait depuis la page « Décision » du dossier, une fois la sanction décidée"
    )]
    NotifyFromDecision,
    #[error(
        "l'évaluation doit fournir un score, ou constater que l'établissement est non évaluable"
    )]
    EvaluationWithoutScore,
}

/// A decision: the volet obligatoire's sanction (`dossier::decision`) and the additional
/// volets' decisions (`volets::lifecycle`), which share their life cycle and messages.
#[derive(Debug, thiserror::Error)]
pub enum DecisionConflict {
    #[error(
        "la décision (version {version}) a été notifiée : elle ne peut plus être modifiée ; \
         une correction crée une nouvelle version motivée"
    )]
    Frozen { version: i64 },
    #[error("un avis défavorable doit être motivé par un commentaire")]
    UnmotivatedUnfavourable,
    #[error("l'avis de l'Assurance Maladie doit être recueilli avant la décision")]
    OpinionFirst,
    #[error("aucune décision à notifier")]
    NothingToNotify,
    #[error("la décision du directeur général de l'ARS doit être prise avant la notification")]
    UndecidedBeforeNotification,
    #[error("le motif de la correction est obligatoire")]
    CorrectionWithoutReason,
    #[error("aucune décision à corriger")]
    NothingToCorrect,
    #[error("la décision n'est pas encore notifiée : modifiez-la directement")]
    NotNotified,
    #[error("les recettes d'assurance maladie ne peuvent pas être négatives")]
    NegativeRevenue,
    #[error(
        "établissement non évaluable (aucun indicateur portant des points n'est concerné) : aucune sanction n'est proposée"
    )]
    NotEvaluable,
    #[error("le dossier n'a pas encore de score évalué")]
    NoScore,
    #[error("le montant de la liste en sus de l'entité n'est pas renseigné")]
    ListeEnSusMissing,
    #[error("les recettes d'assurance maladie de l'entité ne sont pas renseignées")]
    RevenueMissing,
    /// The engine's bounds of a sanction (proposal, modulation).
    #[error(transparent)]
    Sanction(#[from] SanctionError),
}

/// The additional volets: targeting confirmed, evaluation, bounded decision.
#[derive(Debug, thiserror::Error)]
pub enum VoletConflict {
    #[error(
        "{entity} n'est pas ciblé pour le volet {} dans la liste confirmée par l'ARS",
        volet_word(*.volet)
    )]
    NotTargeted { entity: String, volet: Volet },
    #[error("l'ARS doit d'abord enregistrer l'évaluation du volet {}", .volet.label())]
    EvaluationFirst { volet: Volet },
    #[error(
        "l'Assurance Maladie a déjà donné son avis sur cette évaluation (version {version}) : \
         elle ne peut plus être modifiée"
    )]
    OpinionGiven { version: i64 },
    #[error("la conséquence est une mise sous accord préalable : décidez de sa durée en mois")]
    MsapInMonths,
    #[error("seule une mise sous accord préalable se décide en mois : décidez d'un montant")]
    MonthsOnlyForMsap,
    #[error("ni intéressement, ni sanction : le montant décidé ne peut être que 0 €")]
    ZeroOnly,
    /// The engine's rules of the volet (evaluation, MSAP duration…).
    #[error(transparent)]
    Rules(#[from] VoletError),
    #[error(transparent)]
    RiskCount(#[from] TryFromIntError),
}

/// The volet's name inside « pour le volet … dans la liste ».
fn volet_word(volet: Volet) -> &'static str {
    match volet {
        Volet::Obligatoire => "obligatoire",
        Volet::Transports => "transports",
        Volet::Pertinence => "pertinence",
        Volet::Qualite => "qualité",
    }
}

/// Contracts of the first generation, their hearing, amendments, and the sanction for
/// refusing to sign.
#[derive(Debug, thiserror::Error)]
pub enum ContractConflict {
    #[error(
        "la proposition n'a pas encore été reçue par l'établissement : le délai de signature n'a pas commencé"
    )]
    NotReceived,
    #[error(
        "impossible de {action} : le contrat est {} (il doit être {})",
        .state.label(),
        .expected.label()
    )]
    WrongState {
        action: String,
        state: ContractState,
        expected: ContractState,
    },
    #[error("le volet obligatoire fait toujours partie du contrat, sans durée")]
    MandatoryVoletTerm,
    #[error("le volet « {} » est proposé deux fois", .volet.label())]
    VoletTwice { volet: Volet },
    #[error("volet « {} » : {source}", .volet.label())]
    VoletTerm {
        volet: Volet,
        #[source]
        source: CalendarError,
    },
    #[error(
        "le volet pertinence fixe au contrat la nature de la sanction (retenue ou mise sous accord préalable et sa durée) et le plafond de l'intéressement"
    )]
    PertinenceTermsMissing,
    #[error("termes du volet pertinence donnés sans le volet pertinence")]
    PertinenceTermsWithoutVolet,
    #[error("volet « pertinence » : {0}")]
    PertinenceTerms(#[source] VoletError),
    #[error("{name} a déjà un contrat proposé ou signé : modifiez-le par avenant")]
    AlreadyLive { name: String },
    #[error("une audition a déjà été demandée pour ce contrat")]
    HearingAlreadyRequested,
    #[error(
        "le délai de signature a expiré le {} : une audition ne peut plus le prolonger",
        french_date(*.until)
    )]
    HearingTooLate { until: Date },
    #[error("l'établissement n'a pas demandé d'audition")]
    NoHearingRequested,
    #[error(
        "le délai de signature a expiré le {} : l'absence de contrat vaut refus",
        french_date(*.until)
    )]
    SignatureExpired { until: Date },
    #[error("l'objet de l'avenant est obligatoire")]
    AmendmentWithoutObject,
    #[error(
        "un avenant ne peut pas précéder la signature du contrat ({})",
        french_date(*.signed)
    )]
    AmendmentBeforeSignature { signed: Date },
    #[error("le volet obligatoire (contrat socle) ne peut pas être résilié")]
    MandatoryVoletTermination,
    #[error("le volet « {} » ne fait pas partie du contrat", .volet.label())]
    VoletNotInContract { volet: Volet },
    #[error("le volet « {} » est déjà résilié", .volet.label())]
    VoletTerminated { volet: Volet },
    #[error("la procédure de sanction pour refus de signature n'est pas ouverte pour ce contrat")]
    RefusalNotOpened,
    #[error("la procédure de sanction pour refus est déjà ouverte pour ce contrat")]
    RefusalAlreadyOpened,
    #[error(
        "le montant de l'assiette n'est pas connu : l'Assurance Maladie doit saisir les produits AM ou la liste en sus de l'établissement"
    )]
    BasisUnknown,
    #[error("la date de notification ne peut pas être dans le futur")]
    NotificationInFuture,
    /// The contract's calendar (signature period, entry into force, hearing).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The refusal procedure's rules (when it opens, its steps, its notification).
    #[error(transparent)]
    Refusal(#[from] RefusalError),
}

/// A référentiel uploaded, or a page of the first generation opened on a grid of the
/// second.
#[derive(Debug, thiserror::Error)]
pub enum ReferentielConflict {
    #[error(transparent)]
    Invalid(#[from] ReferentielError),
    #[error(
        "{file} : l'identifiant « {id} » est celui d'un référentiel intégré ; choisir un autre identifiant"
    )]
    BuiltinId { file: String, id: String },
    #[error(
        "la campagne « {title} » relève du régime {} (objectifs et intéressement sur les économies) : cette page de la première génération ne s'applique pas ; ouvrez le suivi de la campagne",
        .regime.code()
    )]
    ObjectivesCampaign { title: String, regime: Regime },
    #[error(
        "le référentiel « {id} » relève du régime {} (objectifs et intéressement sur les économies) : cette page de la première génération (points, barème des sanctions) ne s'applique pas ; ouvrez le dossier de deuxième génération depuis le suivi de la campagne",
        .regime.code()
    )]
    ObjectivesReferentiel { id: String, regime: Regime },
}

/// The targeting of the additional volets: the region's files and the ARS's
/// confirmation.
#[derive(Debug, thiserror::Error)]
pub enum TargetingConflict {
    #[error("{file} : l'entité juridique {entity} n'est pas une entité de la région")]
    OutsideRegion { file: String, entity: String },
    #[error("{file} : les dépenses de {entity} ne peuvent pas être négatives")]
    NegativeSpending { file: String, entity: String },
    #[error("{file} : {what} de {entity} invalide")]
    InvalidQuality {
        file: String,
        what: String,
        entity: String,
    },
    #[error("{file} : le thème de {entity} est vide")]
    EmptyTheme { file: String, entity: String },
    #[error("{file} : {theme} de {entity} : {value} trop grand")]
    TooLarge {
        file: String,
        theme: String,
        entity: String,
        value: u64,
    },
    /// The engine's funnel test of a theme refused its figures (in a file, or stored).
    #[error("{}{theme} de {entity} : {source}", in_file(.file))]
    FunnelTest {
        file: Option<String>,
        theme: String,
        entity: String,
        #[source]
        source: VoletError,
    },
    #[error("l'entité {entity} n'a pas {no_data} pour {year}")]
    NoData {
        entity: String,
        no_data: &'static str,
        year: i16,
    },
    #[error("{name} ({entity}) {not_targeted} : il n'y a rien à exclure")]
    NothingToExclude {
        name: String,
        entity: String,
        not_targeted: &'static str,
    },
    #[error("l'exclusion de {name} ({entity}) doit être motivée")]
    UnmotivatedExclusion { name: String, entity: String },
    #[error("le D3.1 de l'entité {entity} n'attend pas d'appréciation de l'ARS")]
    D31NotAwaited { entity: String },
    #[error(
        "{name} ({entity}) n'a pas renseigné D3.1 : l'ARS doit dire si elle retient le risque médicamenteux"
    )]
    D31Missing { name: String, entity: String },
}

/// « fichier : » before a message about one of its rows, nothing for stored data.
fn in_file(file: &Option<String>) -> String {
    file.as_ref().map(|f| format!("{f} : ")).unwrap_or_default()
}

/// The levers after the intéressement: mise sous surveillance, observations, penalty.
#[derive(Debug, thiserror::Error)]
pub enum LeverConflict {
    #[error(
        "la mise sous surveillance des articles L162-30-3 et L162-30-4 ne vaut que pour le CAQES de deuxième génération"
    )]
    SurveillanceSecondGenerationOnly,
    #[error("les actes, prestations ou prescriptions concernés sont à préciser")]
    ScopeMissing,
    #[error("la décision de la mise sous surveillance est prise : elle ne se modifie plus")]
    SurveillanceFrozen,
    #[error("aucune mise sous surveillance n'est ouverte")]
    NoSurveillance,
    #[error("la mise sous surveillance est déjà décidée")]
    SurveillanceDecided,
    #[error("ce référentiel ne prévoit pas de pénalité")]
    NoPenalty,
    #[error("la pénalité est déjà décidée")]
    PenaltyDecided,
    #[error("le dernier jour des observations précède la réception de l'invitation")]
    ObservationsBeforeInvitation,
    #[error(
        "les observations de l'établissement sont déjà reçues : l'invitation ne se modifie plus"
    )]
    InvitationFrozen,
    #[error("les observations sont vides")]
    EmptyObservations,
    #[error("l'ARS n'a pas invité l'établissement à présenter des observations")]
    NotInvited,
    #[error("les observations sont déjà présentées")]
    ObservationsPresented,
    #[error(
        "le délai pour présenter des observations a expiré le {}",
        french_date(*.until)
    )]
    ObservationsExpired { until: Date },
    #[error("l'avis est à résumer (ce qu'il dit)")]
    OpinionSummaryMissing,
    #[error("l'avis précède la saisine")]
    OpinionBeforeSaisine,
    /// The bounds of a mise sous surveillance (target, reduction, opinions).
    #[error(transparent)]
    Surveillance(#[from] SurveillanceError),
    /// The 2026 penalty's bounds.
    #[error(transparent)]
    Incitation(#[from] IncitationError),
    /// The engine's evaluation of the unit (objectives missed).
    #[error(transparent)]
    Outcome(#[from] OutcomeError),
}

/// The paper receipt of a letter.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptConflict {
    #[error("la date de réception ne peut pas être dans le futur")]
    InFuture,
    /// `document`: what was received, as the pages name it (« la proposition de contrat »).
    #[error(
        "la date de réception ne peut pas précéder le {} ({document})",
        french_date(*.since)
    )]
    BeforeSent { since: Date, document: &'static str },
    #[error("la réception de {document} est déjà enregistrée")]
    AlreadyRecorded { document: &'static str },
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    /// The texts built from a variant's data are exactly those the pages showed when
    /// each site wrote its own `format!`.
    #[test]
    fn computed_messages_keep_their_text() {
        let cases: Vec<(Conflict, &str)> = vec![
            (
                ValuesConflict::ValueImport {
                    file: "valeurs.csv".into(),
                    line: 2,
                    problem: ValueRowProblem::YearOutside {
                        year: 2020,
                        current: 2024,
                    },
                }
                .into(),
                "valeurs.csv, ligne 2, colonne « annee » : 2020 hors de 2023 et 2024",
            ),
            (
                ValuesConflict::ValueImport {
                    file: "valeurs.csv".into(),
                    line: 3,
                    problem: ValueRowProblem::NotRetained {
                        indicator: "I-01".into(),
                        unit: caqes_core::Finess::parse("010000024").unwrap(),
                    },
                }
                .into(),
                "valeurs.csv, ligne 3, colonne « indicateur » : I-01 non retenu au contrat de l'unité 010000024",
            ),
            (
                ValuesConflict::YearOutside {
                    indicator: "I-01".into(),
                    year: 2020,
                    current: 2024,
                }
                .into(),
                "indicateur I-01 : année 2020 hors de 2023 et 2024",
            ),
            (
                HearingConflict::HearingWindowClosed {
                    end: date(2025, 3, 1),
                }
                .into(),
                "le délai pour demander une audition a pris fin le 1er mars 2025",
            ),
            (
                ContractConflict::HearingTooLate {
                    until: date(2025, 3, 4),
                }
                .into(),
                "le délai de signature a expiré le 4 mars 2025 : une audition ne peut plus le prolonger",
            ),
            (
                VoletConflict::NotTargeted {
                    entity: "010000024".into(),
                    volet: Volet::Transports,
                }
                .into(),
                "010000024 n'est pas ciblé pour le volet transports dans la liste confirmée par l'ARS",
            ),
            (
                VoletConflict::NotTargeted {
                    entity: "010000024".into(),
                    volet: Volet::Qualite,
                }
                .into(),
                "010000024 n'est pas ciblé pour le volet qualité dans la liste confirmée par l'ARS",
            ),
            (
                TargetingConflict::FunnelTest {
                    file: Some("pertinence.csv".into()),
                    theme: "Chirurgie".into(),
                    entity: "010000024".into(),
                    source: VoletError::NoPreviousSpending,
                }
                .into(),
                "pertinence.csv : Chirurgie de 010000024 : les dépenses de l'année précédente doivent être strictement positives pour calculer une évolution",
            ),
            (
                TargetingConflict::FunnelTest {
                    file: None,
                    theme: "Chirurgie".into(),
                    entity: "010000024".into(),
                    source: VoletError::NoPreviousSpending,
                }
                .into(),
                "Chirurgie de 010000024 : les dépenses de l'année précédente doivent être strictement positives pour calculer une évolution",
            ),
            (
                ReceiptConflict::BeforeSent {
                    since: date(2025, 1, 15),
                    document: "la proposition de contrat",
                }
                .into(),
                "la date de réception ne peut pas précéder le 15 janvier 2025 (la proposition de contrat)",
            ),
        ];
        for (conflict, text) in cases {
            assert_eq!(conflict.to_string(), text);
        }
    }

    /// Where the engine refused, its error is kept: as the source behind a context, as
    /// the conflict itself otherwise.
    #[test]
    fn the_engines_error_is_kept() {
        use std::error::Error;
        let c = Conflict::from(ContractConflict::PertinenceTerms(
            VoletError::NoPreviousSpending,
        ));
        assert!(
            c.source()
                .and_then(|s| s.downcast_ref::<VoletError>())
                .is_some()
        );
        let c = StoreError::from(VoletConflict::Rules(VoletError::NoPreviousSpending));
        assert!(matches!(
            c,
            StoreError::Conflict(Conflict::Volet(VoletConflict::Rules(
                VoletError::NoPreviousSpending
            )))
        ));
    }
}
