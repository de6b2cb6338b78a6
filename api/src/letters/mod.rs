//! Letters to the customer: rendering the decision letters of the policy in English or Welsh.
//!
//! Every decision letter must say what was decided and why, what the restrictions are and for
//! how long, when they will be reviewed, how and by when to appeal where there is an appeal
//! (Stage 1 warnings only, 6.1: 15 working days, in writing with reasons, to Legal Services),
//! and that the customer may complain to the Public Services Ombudsman for Wales. A Stage 2
//! decision taken at once, without a warning, gives the reasons why (note under 5.1). There is
//! no appeal under the policy against Stage 2 restrictions or Health & Safety exclusions (3.6);
//! those letters say when the restrictions will be reviewed and that the customer may complain
//! to the Ombudsman. Letters go in the customer's preferred language (Welsh Language
//! Standards).
//!
//! A [`Template`] is a plain-text [minijinja](https://docs.rs/minijinja) template for the body
//! and a one-line template for the subject. Administrators may store their own versions
//! (`letter_template`); [`validate`] refuses one that would leave out something the letter must
//! say, and [`default_template`] gives the built-in English and Welsh letters (in
//! `api/templates/letters/`). **The Welsh default templates and Welsh wording in this module
//! are the project's own translation and should be checked by the council's translation
//! service before use.**
//!
//! # Template variables
//!
//! Undefined variables are errors ([`UndefinedBehavior::Strict`]), so a misspelt variable is
//! caught. The convention is that **every variable below is always defined**; a value that
//! does not apply to the letter is *empty*: an empty string for text, dates and enum names,
//! `false` for yes/no values and an empty list for lists. Test optional text with
//! `{% if exceptional_reasons %}`.
//!
//! | variable | value |
//! |---|---|
//! | `kind`, `language` | the letter kind and language, snake_case (`stage_1_warning`, `cy`) |
//! | `customer_name`, `customer_address` | as recorded (the address may be empty) |
//! | `case_reference`, `service_name` | as recorded |
//! | `letter_date` | formatted date, e.g. `11 December 2026` / `11 Rhagfyr 2026` |
//! | `reasons` | the decider's reasons, as entered |
//! | `exceptional_reasons` | why Stage 2 was applied at once; empty otherwise |
//! | `immediate` | `true` when `exceptional_reasons` is given |
//! | `consulted` | Stage 2: whom the Group Director consulted, e.g. `Legal Services` / `the Monitoring Officer` (5.3); empty otherwise |
//! | `restrictions` | restrictions in force after the decision (see below) |
//! | `lifted` | restrictions removed by this decision (same shape) |
//! | `review_due_on` | formatted review date, or empty |
//! | `appeal_deadline` | formatted last day to appeal (Stage 1 warning), or empty |
//! | `warning_period_ends_on` | formatted last day of the warning period (Stage 1 warning; a case closed when it ended), or empty |
//! | `closure` | case closed: `warning_period_ended` or `restrictions_ended`, or empty |
//! | `legal_services_address` | where appeals go, one line per line |
//! | `appeal_upheld` | appeal outcome: `true` if upheld |
//! | `recommendation` | review outcome: `continue`, `partially_remove`, `fully_remove`, or empty |
//! | `endorsed` | review outcome: `true` if the Group Director endorsed it |
//! | `variation` | `imposed`, `varied`, `extended`, `made_permanent`, `lifted`, or empty |
//! | `unreasonable` | determination outcome: `true` if the behaviour was unreasonable |
//! | `ombudsman` | the paragraph on complaining to the PSOW, with contact details |
//!
//! Each entry of `restrictions` and `lifted` has `description` (plain words from
//! [`describe_restriction`]), `kind` (snake_case), `starts_on`, `ends_on` (formatted, or
//! empty), `permanent` (bool), `until` (the end date, or "permanent" / "until reviewed" in the
//! language), `review_due_on`, and `period` (a sentence: "In force from … until …").
//!
//! The text is rendered with `trim_blocks` and `lstrip_blocks` on, so a `{% ... %}` tag on a
//! line of its own leaves no blank line; afterwards trailing spaces are removed, runs of blank
//! lines are collapsed to one, and the text ends with a single newline.

mod defaults;
mod html;
mod samples;
mod words;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use entities::enums::{ConsultedRole, Language, LetterKind, ReviewRecommendation};
use entities::restriction_parameters::RestrictionParameters;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

pub use defaults::default_template;
pub use words::{describe_restriction, format_date};

/// Display names for the ids a restriction refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Establishment names by establishment id.
    pub establishments: HashMap<i64, String>,
    /// Staff names by staff member id.
    pub staff: HashMap<i64, String>,
    /// Team names by team id.
    pub teams: HashMap<i64, String>,
}

/// One restriction as a letter describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestrictionLine {
    /// What the restriction is.
    pub parameters: RestrictionParameters,
    /// When it starts.
    pub starts_on: NaiveDate,
    /// When it ends, if it has an end date.
    pub ends_on: Option<NaiveDate>,
    /// Whether it is permanent (5.6).
    pub permanent: bool,
    /// When it is to be reviewed (7.1).
    pub review_due_on: NaiveDate,
}

/// What a `restriction_variation` letter reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variation {
    /// A further restriction was imposed.
    Imposed,
    /// Restrictions were changed.
    Varied,
    /// Restrictions were extended (5.6).
    Extended,
    /// Restrictions were made permanent (5.6).
    MadePermanent,
    /// Restrictions were lifted.
    Lifted,
}

impl Variation {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Imposed,
        Self::Varied,
        Self::Extended,
        Self::MadePermanent,
        Self::Lifted,
    ];

    /// The snake_case name templates see in `variation`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Imposed => "imposed",
            Self::Varied => "varied",
            Self::Extended => "extended",
            Self::MadePermanent => "made_permanent",
            Self::Lifted => "lifted",
        }
    }
}

/// Why a `case_closed` letter closes the case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Closure {
    /// The Stage 1 warning period ended with no further behaviour reported.
    WarningPeriodEnded,
    /// Every restriction was lifted or reached its end, and the review was done.
    RestrictionsEnded,
}

impl Closure {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[Self::WarningPeriodEnded, Self::RestrictionsEnded];

    /// The snake_case name templates see in `closure`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WarningPeriodEnded => "warning_period_ended",
            Self::RestrictionsEnded => "restrictions_ended",
        }
    }
}

/// Everything a letter may say; which fields matter depends on `kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterContext {
    /// Which letter.
    pub kind: LetterKind,
    /// The customer's preferred language.
    pub language: Language,
    /// The date on the letter.
    pub letter_date: NaiveDate,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's postal address, one line per line.
    pub customer_address: Option<String>,
    /// The case reference.
    pub case_reference: String,
    /// The service the case is in (5.4).
    pub service_name: String,
    /// The decider's reasons, as entered (not translated).
    pub reasons: String,
    /// Why Stage 2 was applied at once, without a Stage 1 warning (note under 5.1).
    pub exceptional_reasons: Option<String>,
    /// Stage 2: whom the Group Director consulted (Legal Services or the Monitoring Officer, 5.3).
    pub consulted: Option<ConsultedRole>,
    /// Restrictions in force after the decision (Stage 2, variation, review outcome).
    pub restrictions: Vec<RestrictionLine>,
    /// Restrictions removed by this decision (variation: lifted; review: partial/full removal).
    pub lifted: Vec<RestrictionLine>,
    /// When the restrictions will be reviewed (7.1).
    pub review_due_on: Option<NaiveDate>,
    /// The last day to appeal (Stage 1 warning only, 6.1).
    pub appeal_deadline: Option<NaiveDate>,
    /// The last day of the warning period (Stage 1 warning; a case closed when it ended).
    pub warning_period_ends_on: Option<NaiveDate>,
    /// Case closed: why.
    pub closure: Option<Closure>,
    /// Where appeals go (6.1), one line per line.
    pub legal_services_address: String,
    /// Appeal outcome: whether the appeal was upheld (6.2).
    pub appeal_upheld: Option<bool>,
    /// Review outcome: Legal Services' recommendation (7.3).
    pub recommendation: Option<ReviewRecommendation>,
    /// Review outcome: whether the Group Director endorsed it (7.4).
    pub endorsed: Option<bool>,
    /// Restriction variation: what changed.
    pub variation: Option<Variation>,
    /// Determination outcome: whether the behaviour was unreasonable.
    pub unreasonable: Option<bool>,
    /// A representative the customer asked letters to go to: the letter is addressed to them,
    /// for the customer; otherwise to the customer.
    pub addressee: Option<Addressee>,
}

/// A representative a letter is addressed to, for the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressee {
    /// Their name.
    pub name: String,
    /// Their organisation, if any.
    pub organisation: Option<String>,
    /// Their contact details (postal address), one line per line.
    pub address: Option<String>,
}

/// A letter template: a one-line subject template and a plain-text body template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The subject line template.
    pub subject: String,
    /// The body template (plain text).
    pub body: String,
}

/// A rendered letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedLetter {
    /// The subject line.
    pub subject: String,
    /// The body as plain text.
    pub body_text: String,
    /// The whole letter as a printable HTML document (address block, then the body).
    pub body_html: String,
}

/// Why a template was refused or failed to render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Which part of the template: `"subject"` or `"body"`.
    pub field: &'static str,
    /// What is wrong, in words for the administrator.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "letter template {}: {}", self.field, self.message)
    }
}

impl std::error::Error for TemplateError {}

/// The name of the subject part of a template, as reported in [`TemplateError::field`].
const SUBJECT: &str = "subject";
/// The name of the body part of a template, as reported in [`TemplateError::field`].
const BODY: &str = "body";

/// Every variable a template may use (see the module docs).
const VARIABLES: &[&str] = &[
    "kind",
    "language",
    "customer_name",
    "customer_address",
    "case_reference",
    "service_name",
    "letter_date",
    "reasons",
    "exceptional_reasons",
    "immediate",
    "consulted",
    "restrictions",
    "lifted",
    "review_due_on",
    "appeal_deadline",
    "warning_period_ends_on",
    "closure",
    "legal_services_address",
    "appeal_upheld",
    "recommendation",
    "endorsed",
    "variation",
    "unreasonable",
    "ombudsman",
];

/// The template environment: strict about undefined values, no auto-escaping (the text is
/// escaped as a whole when the HTML is made), tidy whitespace.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(false)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// Renders one part of a template, refusing unknown variables even in branches not taken.
fn render_part(
    env: &Environment<'static>,
    field: &'static str,
    source: &str,
    context: &Value,
) -> Result<String, TemplateError> {
    let error = |err: minijinja::Error| TemplateError {
        field,
        message: err.to_string(),
    };
    let template = env.template_from_named_str(field, source).map_err(error)?;
    let known: HashSet<&str> = VARIABLES
        .iter()
        .copied()
        .chain(env.globals().map(|(name, _)| name))
        .collect();
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !known.contains(name.as_str()))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(TemplateError {
            field,
            message: format!(
                "unknown variable{} {}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    template.render(context).map_err(error)
}

/// Tidies rendered text: no trailing spaces, at most one blank line in a row, no blank lines
/// at either end, one final newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

/// One restriction as the template sees it.
fn restriction_value(line: &RestrictionLine, language: Language, names: &Names) -> Value {
    let mut map: BTreeMap<&'static str, Value> = BTreeMap::new();
    map.insert(
        "description",
        describe_restriction(&line.parameters, language, names).into(),
    );
    map.insert("kind", line.parameters.kind().as_str().into());
    map.insert("starts_on", format_date(line.starts_on, language).into());
    map.insert(
        "ends_on",
        line.ends_on
            .map(|date| format_date(date, language))
            .unwrap_or_default()
            .into(),
    );
    map.insert("permanent", line.permanent.into());
    map.insert("until", words::until(line, language).into());
    map.insert(
        "review_due_on",
        format_date(line.review_due_on, language).into(),
    );
    map.insert("period", words::period(line, language).into());
    Value::from(map)
}

/// The template context for a letter (see the module docs for the convention).
fn context_value(ctx: &LetterContext, names: &Names) -> Value {
    let language = ctx.language;
    let date = |date: Option<NaiveDate>| -> Value {
        date.map(|date| format_date(date, language))
            .unwrap_or_default()
            .into()
    };
    let lines = |lines: &[RestrictionLine]| -> Value {
        lines
            .iter()
            .map(|line| restriction_value(line, language, names))
            .collect::<Vec<Value>>()
            .into()
    };
    let exceptional = ctx
        .exceptional_reasons
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    let mut map: BTreeMap<&'static str, Value> = BTreeMap::new();
    map.insert("kind", ctx.kind.as_str().into());
    map.insert("language", language.as_str().into());
    map.insert("customer_name", ctx.customer_name.trim().into());
    map.insert(
        "customer_address",
        ctx.customer_address
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .into(),
    );
    map.insert("case_reference", ctx.case_reference.trim().into());
    map.insert("service_name", ctx.service_name.trim().into());
    map.insert("letter_date", format_date(ctx.letter_date, language).into());
    map.insert("reasons", ctx.reasons.trim().into());
    map.insert("exceptional_reasons", exceptional.into());
    map.insert("immediate", (!exceptional.is_empty()).into());
    map.insert(
        "consulted",
        ctx.consulted
            .map(|role| words::consulted(role, language))
            .unwrap_or_default()
            .into(),
    );
    map.insert("restrictions", lines(&ctx.restrictions));
    map.insert("lifted", lines(&ctx.lifted));
    map.insert("review_due_on", date(ctx.review_due_on));
    map.insert("appeal_deadline", date(ctx.appeal_deadline));
    map.insert("warning_period_ends_on", date(ctx.warning_period_ends_on));
    map.insert(
        "closure",
        ctx.closure.map(Closure::as_str).unwrap_or_default().into(),
    );
    map.insert(
        "legal_services_address",
        ctx.legal_services_address.trim().into(),
    );
    map.insert("appeal_upheld", ctx.appeal_upheld.unwrap_or(false).into());
    map.insert(
        "recommendation",
        ctx.recommendation
            .map(ReviewRecommendation::as_str)
            .unwrap_or_default()
            .into(),
    );
    map.insert("endorsed", ctx.endorsed.unwrap_or(false).into());
    map.insert(
        "variation",
        ctx.variation
            .map(Variation::as_str)
            .unwrap_or_default()
            .into(),
    );
    map.insert("unreasonable", ctx.unreasonable.unwrap_or(false).into());
    map.insert("ombudsman", words::ombudsman_paragraph(language).into());
    Value::from(map)
}

/// Renders a letter: the subject (one line), the body as text, and the printable HTML.
///
/// Fails if either part does not compile, uses an unknown variable, or fails at run time.
pub fn render(
    template: &Template,
    ctx: &LetterContext,
    names: &Names,
) -> Result<RenderedLetter, TemplateError> {
    let env = environment();
    let context = context_value(ctx, names);
    let subject = render_part(&env, SUBJECT, &template.subject, &context)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let body_text = tidy(&render_part(&env, BODY, &template.body, &context)?);
    let body_html = html::document(ctx, &subject, &body_text);
    Ok(RenderedLetter {
        subject,
        body_text,
        body_html,
    })
}

/// Checks a template for a kind of letter before it is stored or used.
///
/// Refuses a template that does not compile, uses an unknown variable, renders an empty
/// subject, or, rendered against built-in sample letters of that kind and language (filled
/// with distinctive marker values), leaves out something the letter must say: for every kind
/// the reasons and the Ombudsman paragraph; for a Stage 1 warning the appeal deadline, the
/// end of the warning period and the Legal Services address; for a closed case the end of the
/// warning period when that is why it closed; for a Stage 2 decision the restrictions, the review date and (when
/// taken at once) the reasons for immediate action; for a restriction variation or review
/// outcome the restrictions in force and the review date, when restrictions remain.
pub fn validate(
    kind: LetterKind,
    language: Language,
    template: &Template,
) -> Result<(), TemplateError> {
    let names = samples::names();
    for sample in samples::contexts(kind, language) {
        let letter = render(template, &sample, &names)?;
        if letter.subject.is_empty() {
            return Err(TemplateError {
                field: SUBJECT,
                message: "the subject is empty".to_owned(),
            });
        }
        for required in samples::required(&sample, &names) {
            if !letter.body_text.contains(&required.text) {
                return Err(TemplateError {
                    field: BODY,
                    message: format!(
                        "a {} letter must give {} (use {})",
                        kind.as_str(),
                        required.what,
                        required.variable
                    ),
                });
            }
        }
    }
    Ok(())
}
