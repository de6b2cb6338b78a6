//! Letters to the customer: what each decision letter says about the decision. Every decision
//! is written to the customer (5.1, 6.2, 6.4, 7.4) in their preferred language; the wording is
//! in [`crate::letters`], rendered by the store with the customer's and the council's details.

use chrono::NaiveDate;
use entities::enums::{ConsultedRole, ReviewRecommendation};
use entities::restriction;

use crate::letters::{Closure, RestrictionLine, Variation};

/// What a decision letter says about the decision; the store adds the customer, the case and
/// the council's details.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LetterContent {
    /// The decider's reasons, as entered.
    pub reasons: String,
    /// Why Stage 2 was applied at once, without a Stage 1 warning (note under 5.1).
    pub exceptional_reasons: Option<String>,
    /// Stage 2: whom the Group Director consulted (5.3).
    pub consulted: Option<ConsultedRole>,
    /// Restrictions in force after the decision.
    pub restrictions: Vec<RestrictionLine>,
    /// Restrictions removed by the decision.
    pub lifted: Vec<RestrictionLine>,
    /// When the restrictions will be reviewed (7.1).
    pub review_due_on: Option<NaiveDate>,
    /// The last day to appeal (Stage 1 warning only, 6.1).
    pub appeal_deadline: Option<NaiveDate>,
    /// The last day of the warning period (Stage 1 warning; the closing letter of a warning
    /// whose period ended).
    pub warning_period_ends_on: Option<NaiveDate>,
    /// Case closed: why.
    pub closure: Option<Closure>,
    /// Appeal outcome: upheld or not (6.2).
    pub appeal_upheld: Option<bool>,
    /// Review outcome: the recommendation (7.3).
    pub recommendation: Option<ReviewRecommendation>,
    /// Review outcome: endorsed or not (7.4).
    pub endorsed: Option<bool>,
    /// Restriction variation: what changed.
    pub variation: Option<Variation>,
    /// Determination outcome: unreasonable or not.
    pub unreasonable: Option<bool>,
}

/// A restriction as a letter describes it.
pub fn line(r: &restriction::Model) -> RestrictionLine {
    RestrictionLine {
        parameters: r.parameters.clone(),
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        permanent: r.permanent,
        review_due_on: r.review_due_on,
    }
}
