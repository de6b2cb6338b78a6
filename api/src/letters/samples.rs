//! Sample letters that [`validate`](super::validate) renders a template against, and what each
//! must say.
//!
//! The samples use distinctive marker values so that a rendered letter can be searched for
//! each fact it must give.

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::enums::{ContactChannel, Language, LetterKind, ReviewRecommendation};
use entities::restriction_parameters::{
    ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact, RestrictionParameters,
};

use super::{Closure, LetterContext, Names, RestrictionLine, Variation, words};

/// Reasons given in every sample.
pub const REASONS: &str = "REASONS-MARKER: the sample decider's reasons.";
/// Reasons for immediate action given in the immediate Stage 2 sample.
pub const EXCEPTIONAL: &str = "EXCEPTIONAL-MARKER: why immediate action was needed.";
/// The Legal Services address in every sample.
pub const LEGAL_ADDRESS: &str = "LEGAL-ADDRESS-MARKER\nThe Pavilions\nCF40 1NY";

/// A date; the samples only use valid ones.
fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The sample letter date.
fn letter_date() -> NaiveDate {
    day(2031, 1, 14)
}

/// The sample appeal deadline.
fn appeal_deadline() -> NaiveDate {
    day(2031, 2, 4)
}

/// The sample end of the warning period.
fn warning_period_ends_on() -> NaiveDate {
    day(2032, 1, 14)
}

/// The sample review date.
fn review_due_on() -> NaiveDate {
    day(2031, 11, 27)
}

/// Names for the ids the sample restrictions use.
pub fn names() -> Names {
    Names {
        establishments: HashMap::from([(901, "ESTABLISHMENT-MARKER Hall".to_owned())]),
        staff: HashMap::from([(902, "STAFF-MARKER Jones".to_owned())]),
        teams: HashMap::new(),
    }
}

/// Restrictions in force in the samples.
fn in_force(permanent: bool) -> Vec<RestrictionLine> {
    vec![
        RestrictionLine {
            parameters: RestrictionParameters::NamedContact(NamedContact {
                staff_member_id: Some(902),
                ..NamedContact::default()
            }),
            starts_on: day(2031, 1, 20),
            ends_on: if permanent {
                None
            } else {
                Some(day(2031, 7, 18))
            },
            permanent,
            review_due_on: review_due_on(),
        },
        RestrictionLine {
            parameters: RestrictionParameters::ContactAgreement(ContactAgreement {
                terms: "TERMS-MARKER: one email a week.".to_owned(),
                signed_on: None,
            }),
            starts_on: day(2031, 1, 20),
            ends_on: None,
            permanent,
            review_due_on: review_due_on(),
        },
    ]
}

/// Restrictions lifted in the samples.
fn lifted() -> Vec<RestrictionLine> {
    vec![
        RestrictionLine {
            parameters: RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                establishment_ids: vec![901],
            }),
            starts_on: day(2030, 3, 3),
            ends_on: None,
            permanent: false,
            review_due_on: day(2031, 1, 14),
        },
        RestrictionLine {
            parameters: RestrictionParameters::ContactForm(ContactForm {
                permitted_channels: vec![ContactChannel::Letter],
            }),
            starts_on: day(2030, 3, 3),
            ends_on: None,
            permanent: false,
            review_due_on: day(2031, 1, 14),
        },
    ]
}

/// The parts common to every sample.
fn base(kind: LetterKind, language: Language) -> LetterContext {
    LetterContext {
        kind,
        language,
        letter_date: letter_date(),
        customer_name: "CUSTOMER-MARKER Name".to_owned(),
        customer_address: Some("1 ADDRESS-MARKER Street\nTonypandy".to_owned()),
        case_reference: "UPC-MARKER-0001".to_owned(),
        service_name: "SERVICE-MARKER".to_owned(),
        reasons: REASONS.to_owned(),
        exceptional_reasons: None,
        consulted: None,
        restrictions: Vec::new(),
        lifted: Vec::new(),
        review_due_on: None,
        appeal_deadline: None,
        warning_period_ends_on: None,
        closure: None,
        legal_services_address: LEGAL_ADDRESS.to_owned(),
        appeal_upheld: None,
        recommendation: None,
        endorsed: None,
        variation: None,
        unreasonable: None,
        addressee: None,
    }
}

/// The sample letters of a kind: one for each situation the letter has to cover.
pub fn contexts(kind: LetterKind, language: Language) -> Vec<LetterContext> {
    let base = base(kind, language);
    match kind {
        LetterKind::Stage1Warning => vec![LetterContext {
            appeal_deadline: Some(appeal_deadline()),
            warning_period_ends_on: Some(warning_period_ends_on()),
            ..base
        }],
        LetterKind::CaseClosed => vec![
            LetterContext {
                closure: Some(Closure::WarningPeriodEnded),
                warning_period_ends_on: Some(warning_period_ends_on()),
                ..base.clone()
            },
            LetterContext {
                closure: Some(Closure::RestrictionsEnded),
                lifted: lifted(),
                ..base
            },
        ],
        LetterKind::AppealOutcome => [true, false]
            .into_iter()
            .map(|upheld| LetterContext {
                appeal_upheld: Some(upheld),
                ..base.clone()
            })
            .collect(),
        LetterKind::Stage2Decision => [None, Some(EXCEPTIONAL.to_owned())]
            .into_iter()
            .map(|exceptional_reasons| LetterContext {
                exceptional_reasons,
                consulted: Some(entities::enums::ConsultedRole::LegalServices),
                restrictions: in_force(false),
                review_due_on: Some(review_due_on()),
                ..base.clone()
            })
            .collect(),
        LetterKind::RestrictionVariation => Variation::ALL
            .iter()
            .map(|variation| {
                let (restrictions, lifted) = match variation {
                    Variation::Imposed | Variation::Extended => (in_force(false), Vec::new()),
                    Variation::Varied => (in_force(false), lifted()),
                    Variation::MadePermanent => (in_force(true), Vec::new()),
                    Variation::Lifted => (Vec::new(), lifted()),
                };
                let review_due_on = (!restrictions.is_empty()).then(review_due_on);
                LetterContext {
                    variation: Some(*variation),
                    restrictions,
                    lifted,
                    review_due_on,
                    ..base.clone()
                }
            })
            .collect(),
        LetterKind::ReviewOutcome => [
            (ReviewRecommendation::Continue, true),
            (ReviewRecommendation::PartiallyRemove, true),
            (ReviewRecommendation::PartiallyRemove, false),
            (ReviewRecommendation::FullyRemove, true),
        ]
        .into_iter()
        .map(|(recommendation, endorsed)| {
            let (restrictions, lifted) = match (recommendation, endorsed) {
                (ReviewRecommendation::Continue, _) | (_, false) => (in_force(false), Vec::new()),
                (ReviewRecommendation::PartiallyRemove, true) => (in_force(false), lifted()),
                (ReviewRecommendation::FullyRemove, true) => (Vec::new(), lifted()),
            };
            let review_due_on = (!restrictions.is_empty()).then(review_due_on);
            LetterContext {
                recommendation: Some(recommendation),
                endorsed: Some(endorsed),
                restrictions,
                lifted,
                review_due_on,
                ..base.clone()
            }
        })
        .collect(),
        LetterKind::DeterminationOutcome => [true, false]
            .into_iter()
            .map(|unreasonable| LetterContext {
                unreasonable: Some(unreasonable),
                ..base.clone()
            })
            .collect(),
    }
}

/// One thing a rendered sample must contain.
pub struct Required {
    /// What it is, for the error message.
    pub what: &'static str,
    /// The variable that gives it, for the error message.
    pub variable: &'static str,
    /// The text that must appear.
    pub text: String,
}

/// What a rendered sample must contain.
pub fn required(ctx: &LetterContext, names: &Names) -> Vec<Required> {
    let language = ctx.language;
    let mut required = vec![
        Required {
            what: "the reasons for the decision",
            variable: "{{ reasons }}",
            text: ctx.reasons.clone(),
        },
        Required {
            what: "the paragraph on complaining to the Public Services Ombudsman for Wales",
            variable: "{{ ombudsman }}",
            text: words::ombudsman_paragraph(language).to_owned(),
        },
    ];
    match ctx.kind {
        LetterKind::Stage1Warning => {
            if let Some(deadline) = ctx.appeal_deadline {
                required.push(Required {
                    what: "the last day to appeal",
                    variable: "{{ appeal_deadline }}",
                    text: words::format_date(deadline, language),
                });
            }
            if let Some(ends) = ctx.warning_period_ends_on {
                required.push(Required {
                    what: "the last day of the warning period",
                    variable: "{{ warning_period_ends_on }}",
                    text: words::format_date(ends, language),
                });
            }
            required.push(Required {
                what: "the Legal Services address for appeals",
                variable: "{{ legal_services_address }}",
                text: ctx.legal_services_address.clone(),
            });
        }
        LetterKind::Stage2Decision
        | LetterKind::RestrictionVariation
        | LetterKind::ReviewOutcome => {
            if let Some(exceptional) = &ctx.exceptional_reasons {
                required.push(Required {
                    what: "the reasons why immediate action was considered appropriate",
                    variable: "{{ exceptional_reasons }}",
                    text: exceptional.clone(),
                });
            }
            for line in &ctx.restrictions {
                required.push(Required {
                    what: "each restriction in force",
                    variable: "{{ r.description }} in {% for r in restrictions %}",
                    text: words::describe_restriction(&line.parameters, language, names),
                });
            }
            if let Some(review) = ctx.review_due_on {
                required.push(Required {
                    what: "the review date",
                    variable: "{{ review_due_on }}",
                    text: words::format_date(review, language),
                });
            }
        }
        LetterKind::CaseClosed => {
            if let Some(ends) = ctx.warning_period_ends_on {
                required.push(Required {
                    what: "the day the warning period ended",
                    variable: "{{ warning_period_ends_on }}",
                    text: words::format_date(ends, language),
                });
            }
        }
        LetterKind::AppealOutcome | LetterKind::DeterminationOutcome => {}
    }
    required
}
