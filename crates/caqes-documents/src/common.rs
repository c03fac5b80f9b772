//! What every document shares: the issuing authority, the parties, the letter frame
//! (letterhead, addressee, object, signature), appeal routes, and rendering to PDF.

use caqes_core::Finess;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::error::DocumentError;
use crate::render::drawing::Color;
use crate::render::fonts::Fonts;
use crate::render::format;
use crate::render::layout::{Align, Block, CONTENT_WIDTH, Composer, Decorations, Para, Span};
use crate::render::pdf::{self, Meta};

/// Where and when documents are produced: the issuing authority and the generation
/// time written in the PDF metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub authority: Authority,
    /// The documents' creation date in their metadata. Use [`Context::generation_time`]
    /// so that `SOURCE_DATE_EPOCH` fixes it (reproducible builds).
    pub generated_at: Timestamp,
}

impl Context {
    /// The generation time: `SOURCE_DATE_EPOCH` (seconds since 1970, UTC) when it is
    /// set, `now` otherwise. The caller reads the variable and the clock, so that this
    /// crate stays pure: `Context::generation_time(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(), Timestamp::now())`.
    pub fn generation_time(
        source_date_epoch: Option<&str>,
        now: Timestamp,
    ) -> Result<Timestamp, DocumentError> {
        let Some(value) = source_date_epoch.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(now);
        };
        let invalid = |reason: String| DocumentError::SourceDateEpoch {
            value: value.to_owned(),
            reason,
        };
        let seconds: i64 = value
            .parse()
            .map_err(|e: std::num::ParseIntError| invalid(e.to_string()))?;
        Timestamp::from_second(seconds).map_err(|e| invalid(e.to_string()))
    }
}

/// The issuer: « Agence régionale de santé Occitanie ».
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    /// « Agence régionale de santé Occitanie ».
    pub name: String,
    /// The service under the name (« Direction de l'offre de soins et de l'autonomie »).
    pub department: Option<String>,
    /// The town written before the date (« Montpellier »).
    pub place: String,
    /// Postal address and contact lines, printed in the footer.
    pub address: Vec<String>,
}

/// An establishment (legal entity) as documents name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Establishment {
    pub name: String,
    /// FINESS of the legal entity.
    pub finess: Finess,
    /// Category label (« MCO public et ESPIC »), when relevant.
    pub category: Option<String>,
    /// Postal address lines.
    pub address: Vec<String>,
}

/// The addressee block and the forms of address of a letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressee {
    /// Form of address, also used in the salutation and the closing formula:
    /// « Madame la Directrice », « Monsieur le Directeur ».
    pub civility: String,
}

/// Who signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signatory {
    /// « Le directeur général de l'Agence régionale de santé Occitanie ».
    pub title: String,
    pub name: String,
    /// « Pour le directeur général et par délégation », when signed by a delegate.
    pub delegation: Option<String>,
}

/// The frame of a letter: date, references, addressee, object, signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterFrame {
    /// Date of the letter (« Montpellier, le 15 mars 2019 »).
    pub date: Date,
    /// « Nos réf. : … ».
    pub reference: Option<String>,
    /// « Affaire suivie par : … ».
    pub followed_by: Option<String>,
    /// « Lettre recommandée avec accusé de réception », or another proof of receipt.
    pub sending: Option<String>,
    pub addressee: Addressee,
    pub signatory: Signatory,
    /// Other recipients (« Copie : CPAM de l'Hérault »).
    pub copies: Vec<String>,
}

/// One appeal route (« Voie de recours »): a court and what it hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppealRoute {
    /// « tribunal administratif de Montpellier », « pôle social du tribunal judiciaire ».
    pub court: String,
    /// What it hears: « la sanction, son montant ou le montant de l'intéressement ».
    pub contests: String,
}

/// The appeal routes and deadline that apply on the letter's date (computed by the
/// caller with `caqes_core::calendar`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appeals {
    /// Months from the receipt of the notification (2 by the instruction, IV.b.iii).
    pub months: u8,
    pub routes: Vec<AppealRoute>,
    /// The last day for a notification received on a given day, when known.
    pub deadline: Option<AppealDeadline>,
}

impl Appeals {
    /// A letter without a route, or whose deadline is not after the receipt, would
    /// mislead the establishment about its rights.
    pub(crate) fn check(&self, document: &'static str) -> Result<(), DocumentError> {
        if self.routes.is_empty() {
            return Err(DocumentError::inconsistent(
                document,
                "aucune voie de recours n'est indiquée",
            ));
        }
        if self.months == 0 {
            return Err(DocumentError::inconsistent(
                document,
                "le délai de recours est nul",
            ));
        }
        if let Some(d) = self.deadline
            && d.last_day <= d.received_on
        {
            return Err(DocumentError::inconsistent(
                document,
                format!(
                    "le délai de recours expire le {}, avant la réception le {}",
                    format::date(d.last_day),
                    format::date(d.received_on)
                ),
            ));
        }
        Ok(())
    }
}

/// « pour une notification reçue le 18 mars 2019, jusqu'au 18 mai 2019 inclus ».
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppealDeadline {
    pub received_on: Date,
    pub last_day: Date,
}

/// The Assurance Maladie's opinion on a proposed amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmOpinion {
    pub favorable: bool,
    pub given_on: Option<Date>,
    pub comment: Option<String>,
}

impl AmOpinion {
    pub(crate) fn sentence(&self) -> String {
        let mut s = format!(
            "L'organisme local d'assurance maladie a rendu un avis {}",
            if self.favorable {
                "favorable"
            } else {
                "défavorable"
            }
        );
        if let Some(d) = self.given_on {
            s.push_str(&format!(" le {}", format::date(d)));
        }
        match &self.comment {
            Some(c) if !c.trim().is_empty() => s.push_str(&format!("\u{a0}: {}.", quoted(c))),
            _ => s.push('.'),
        }
        s
    }
}

// ---------------------------------------------------------------------------------
// Building blocks.

/// « texte » with no-break spaces inside the guillemets (never a lone « » » line).
pub(crate) fn quoted(text: &str) -> String {
    format!("«\u{a0}{}\u{a0}»", text.trim())
}

pub(crate) fn heading(text: impl Into<String>) -> Block {
    Block::Para(
        Para::new(vec![Span::bold(text)])
            .size(11.5)
            .color(Color::BLUE)
            .before(10.0)
            .after(5.0)
            .keep(),
    )
}

pub(crate) fn subheading(text: impl Into<String>) -> Block {
    Block::Para(
        Para::new(vec![Span::bold(text)])
            .size(10.0)
            .before(6.0)
            .after(3.0)
            .keep(),
    )
}

pub(crate) fn para(text: impl Into<String>) -> Block {
    Block::Para(Para::text(text))
}

/// « Libellé : valeur » with the label in bold.
pub(crate) fn labelled(label: &str, value: impl Into<String>) -> Block {
    Block::Para(
        Para::new(vec![
            Span::bold(format!("{label}\u{a0}:")),
            Span::regular(format!(" {}", value.into())),
        ])
        .after(2.0),
    )
}

pub(crate) fn bullet(text: impl Into<String>) -> Block {
    Block::Para(
        Para::text(format!("–\u{a0}{}", text.into()))
            .indent(12.0)
            // The width of « – » and its space at 10 points: continuation lines
            // align with the text.
            .hang(8.1)
            .after(2.0),
    )
}

pub(crate) fn note(text: impl Into<String>) -> Block {
    Block::Para(
        Para::new(vec![Span::italic(text)])
            .size(8.5)
            .color(Color::GREY)
            .after(4.0),
    )
}

/// The État's brand block and the authority, top left of the first page.
fn brand(ctx: &Context) -> Vec<Block> {
    let mut out = vec![
        Block::Para(
            Para::new(vec![Span::bold("RÉPUBLIQUE\nFRANÇAISE")])
                .size(11.0)
                .after(3.0),
        ),
        Block::Para(
            Para::new(vec![Span::italic("Liberté\nÉgalité\nFraternité")])
                .size(7.5)
                .after(12.0),
        ),
        Block::Para(
            Para::new(vec![Span::bold(ctx.authority.name.clone())])
                .size(9.5)
                .after(2.0),
        ),
    ];
    if let Some(d) = &ctx.authority.department {
        out.push(Block::Para(Para::text(d.clone()).size(8.0).after(2.0)));
    }
    out
}

const RIGHT_COLUMN: f32 = 265.0;

/// « Montpellier, le 15 mars 2019 ».
pub(crate) fn place_and_date(ctx: &Context, d: Date) -> String {
    format!("{}, le {}", ctx.authority.place, format::date(d))
}

/// The addressee lines: form of address, name, FINESS, address.
fn addressee_lines(frame: &LetterFrame, establishment: &Establishment) -> Vec<Block> {
    let mut out = Vec::new();
    if let Some(s) = &frame.sending {
        out.push(Block::Para(
            Para::new(vec![Span::italic(s.clone())])
                .size(8.5)
                .after(8.0),
        ));
    }
    let mut lines = vec![
        Span::regular(format!("{}\n", frame.addressee.civility)),
        Span::bold(format!("{}\n", establishment.name)),
        Span::regular(format!("FINESS{}{}", '\u{a0}', establishment.finess)),
    ];
    for l in &establishment.address {
        lines.push(Span::regular(format!("\n{l}")));
    }
    out.push(Block::Para(Para::new(lines)));
    out
}

/// The first blocks of a letter: letterhead, addressee, references, object, salutation.
pub(crate) fn letter_opening(
    ctx: &Context,
    frame: &LetterFrame,
    establishment: &Establishment,
    object: &str,
) -> Vec<Block> {
    let mut left = brand(ctx);
    left.push(Block::Space(10.0));
    if let Some(f) = &frame.followed_by {
        left.push(Block::Para(
            Para::text(format!("Affaire suivie par\u{a0}: {f}"))
                .size(8.0)
                .after(2.0),
        ));
    }
    if let Some(r) = &frame.reference {
        left.push(Block::Para(
            Para::text(format!("Nos réf.\u{a0}: {r}"))
                .size(8.0)
                .after(2.0),
        ));
    }
    let mut right = vec![Block::Para(
        Para::text(place_and_date(ctx, frame.date)).after(48.0),
    )];
    right.extend(addressee_lines(frame, establishment));
    vec![
        Block::Columns(vec![
            (0.0, RIGHT_COLUMN - 20.0, left),
            (RIGHT_COLUMN, CONTENT_WIDTH - RIGHT_COLUMN, right),
        ]),
        Block::Space(22.0),
        Block::Para(
            Para::new(vec![
                Span::bold("Objet\u{a0}:"),
                Span::regular(format!(" {object}")),
            ])
            .after(18.0),
        ),
        Block::Para(Para::text(format!("{},", frame.addressee.civility)).after(10.0)),
    ]
}

/// The closing formula, signature and copies.
pub(crate) fn letter_closing(frame: &LetterFrame) -> Vec<Block> {
    let mut signature = Vec::new();
    if let Some(d) = &frame.signatory.delegation {
        signature.push(Block::Para(Para::text(d.clone()).after(2.0)));
    }
    signature.push(Block::Para(
        Para::text(frame.signatory.title.clone()).after(36.0),
    ));
    signature.push(Block::Para(Para::new(vec![Span::bold(
        frame.signatory.name.clone(),
    )])));
    let mut out = vec![
        Block::Para(
            Para::text(format!(
                "Je vous prie d'agréer, {}, l'expression de ma considération distinguée.",
                frame.addressee.civility
            ))
            .before(6.0)
            .after(16.0),
        ),
        Block::Keep(vec![Block::Columns(vec![(
            RIGHT_COLUMN,
            CONTENT_WIDTH - RIGHT_COLUMN,
            signature,
        )])]),
    ];
    if !frame.copies.is_empty() {
        out.push(Block::Space(16.0));
        out.push(Block::Para(
            Para::text(format!("Copie\u{a0}: {}", frame.copies.join(" ; ")))
                .size(8.5)
                .color(Color::GREY),
        ));
    }
    out
}

/// « Voies et délais de recours ».
pub(crate) fn appeals_blocks(appeals: &Appeals) -> Vec<Block> {
    let months = if appeals.months == 2 {
        "deux mois".to_owned()
    } else {
        format!("{}\u{a0}mois", appeals.months)
    };
    let mut out = vec![
        Block::Space(4.0),
        subheading("Voies et délais de recours"),
        para(format!(
            "La présente décision peut être contestée dans un délai de {months} à compter de la réception de sa notification, par tout moyen permettant d'apporter la preuve de la bonne réception de la contestation, devant\u{a0}:"
        )),
    ];
    for r in &appeals.routes {
        out.push(bullet(format!(
            "le {} pour contester {}\u{a0};",
            r.court, r.contests
        )));
    }
    match appeals.deadline {
        Some(d) => out.push(para(format!(
            "Pour une notification reçue le {}, ce délai expire le {} inclus.",
            format::date(d.received_on),
            format::date(d.last_day)
        ))),
        // Issue 15: the deadline runs from the receipt, not from the letter's date.
        None => out.push(para(
            "La réception de la présente notification n'est pas encore enregistrée\u{a0}: ce délai court à compter de la date de sa réception par l'établissement.",
        )),
    }
    // The routes stay on one page with their heading.
    vec![Block::Keep(out)]
}

/// Who a report comes from: the État (brand block and authority) or the establishment
/// itself (its self-evaluation).
pub(crate) enum Issuer<'a> {
    State,
    Establishment(&'a Establishment),
}

/// The first blocks of a report: the issuer on the left, the kind of document and its
/// place and date on the right, then the title.
pub(crate) fn report_opening(
    ctx: &Context,
    issuer: Issuer,
    kind: &str,
    date: Date,
    title: &str,
    subtitle: Option<&str>,
) -> Vec<Block> {
    let (left, place) = match issuer {
        Issuer::State => (brand(ctx), place_and_date(ctx, date)),
        Issuer::Establishment(e) => {
            let mut lines = vec![Span::bold(format!("{}\n", e.name))];
            lines.push(Span::regular(format!("FINESS\u{a0}{}", e.finess)));
            for l in &e.address {
                lines.push(Span::regular(format!("\n{l}")));
            }
            (
                vec![Block::Para(Para::new(lines).size(9.5))],
                format!("Le {}", format::date(date)),
            )
        }
    };
    let right = vec![
        Block::Para(
            Para::new(vec![Span::bold(kind)])
                .align(Align::Right)
                .color(Color::BLUE)
                .after(4.0),
        ),
        Block::Para(Para::text(place).align(Align::Right).size(9.0)),
    ];
    let mut out = vec![
        Block::Columns(vec![
            (0.0, RIGHT_COLUMN - 20.0, left),
            (RIGHT_COLUMN, CONTENT_WIDTH - RIGHT_COLUMN, right),
        ]),
        Block::Space(18.0),
        Block::Para(
            Para::new(vec![Span::bold(title)])
                .size(15.0)
                .color(Color::BLUE)
                .after(4.0),
        ),
    ];
    if let Some(s) = subtitle {
        out.push(Block::Para(Para::text(s).size(10.5).after(8.0)));
    }
    out.push(Block::Rule);
    out
}

/// « Centre hospitalier de Béziers, FINESS 340780477 (MCO public et ESPIC) ».
pub(crate) fn establishment_line(e: &Establishment) -> String {
    let mut s = format!("{}, FINESS\u{a0}{}", e.name, e.finess);
    if let Some(c) = &e.category {
        s.push_str(&format!(" ({c})"));
    }
    s
}

/// One action of an action plan and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPlanItem {
    pub action: String,
    /// Indicator codes it serves (« I-02, I-03 »).
    pub indicators: Option<String>,
    /// Pilot (« pharmacien gérant »).
    pub owner: Option<String>,
    pub due: Option<Date>,
    /// « réalisée », « en cours », « non engagée ».
    pub status: String,
    /// Realisation in %.
    pub progress: Option<rust_decimal::Decimal>,
}

/// The action plan as a table.
pub(crate) fn action_plan_table(items: &[ActionPlanItem]) -> Block {
    use crate::render::layout::{Column, Row, Table};
    Block::Table(Table::new(
        vec![
            // « Indicateurs » holds words as well as codes (« Informatisation du
            // circuit »): wide enough that a word is never cut (seen at A4, session 8).
            Column::left("Action", 2.6),
            Column::left("Indicateurs", 1.7),
            Column::left("Pilote", 1.4),
            Column::left("Échéance", 1.1),
            Column::left("État", 0.9),
            Column::right("Réalisation", 1.0),
        ],
        items
            .iter()
            .map(|a| {
                Row::body(vec![
                    a.action.clone(),
                    a.indicators.clone().unwrap_or_default(),
                    a.owner.clone().unwrap_or_default(),
                    a.due.map(format::short_date).unwrap_or_default(),
                    a.status.clone(),
                    a.progress
                        .map(|p| format::percent_trimmed(p, 1))
                        .unwrap_or_else(|| "–".into()),
                ])
            })
            .collect(),
    ))
}

/// The footer of the État's documents: the authority and its address.
pub(crate) fn state_footer(ctx: &Context) -> Vec<String> {
    let mut footer = vec![ctx.authority.name.clone()];
    if !ctx.authority.address.is_empty() {
        footer.push(ctx.authority.address.join(" – "));
    }
    footer
}

/// Lays out `blocks` and writes the PDF, with the État's footer.
pub(crate) fn render(
    ctx: &Context,
    title: &str,
    subject: &str,
    running_title: &str,
    blocks: &[Block],
) -> Result<Vec<u8>, DocumentError> {
    render_with_footer(
        ctx,
        title,
        subject,
        running_title,
        state_footer(ctx),
        blocks,
    )
}

/// Lays out `blocks` and writes the PDF.
pub(crate) fn render_with_footer(
    ctx: &Context,
    title: &str,
    subject: &str,
    running_title: &str,
    footer: Vec<String>,
    blocks: &[Block],
) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut composer = Composer::new(&fonts);
    composer.place_all(blocks);
    let pages = composer.finish(&Decorations {
        running_title: running_title.to_owned(),
        footer,
    });
    pdf::write(
        &pages,
        &Meta {
            title,
            subject,
            author: &ctx.authority.name,
            created: ctx.generated_at,
        },
        &fonts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_fixes_the_generation_time() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        assert_eq!(Context::generation_time(None, now).unwrap(), now);
        assert_eq!(Context::generation_time(Some(""), now).unwrap(), now);
        assert_eq!(
            Context::generation_time(Some("1552608000"), now).unwrap(),
            Timestamp::from_second(1_552_608_000).unwrap()
        );
        assert!(matches!(
            Context::generation_time(Some("demain"), now),
            Err(DocumentError::SourceDateEpoch { .. })
        ));
    }
}
