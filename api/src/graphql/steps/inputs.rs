//! The inputs of the lifecycle mutations. Enumerations are given as their snake_case values
//! (as the case record shows them); a wrong value gets `BAD_USER_INPUT` naming the field and
//! listing the values.

use async_graphql::{ID, InputObject, MaybeUndefined, OneofObject};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A new customer, recorded with their first report.
#[derive(InputObject, Serialize)]
pub struct NewCustomerInput {
    /// Name used in the record and in letters.
    pub display_name: String,
    /// `person` (default), `several_people` or `group` (2.3).
    pub kind: Option<String>,
    /// Postal address for letters.
    pub address: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// `en` (default) or `cy`: letters are written in it (Welsh Language Standards).
    pub preferred_language: Option<String>,
}

/// A report of behaviour (2.3, 4.4, 5.1). It is filed on the customer's open case in the
/// service, or opens a new case.
#[derive(InputObject, Serialize)]
pub struct ReportBehaviourInput {
    /// An existing customer; give this or `newCustomer`.
    pub customer_id: Option<ID>,
    /// A customer not yet on the system; give this or `customerId`.
    pub new_customer: Option<NewCustomerInput>,
    /// The service whose staff (or Member) experienced the behaviour.
    pub service_code: String,
    /// One or more behaviour types: `aggressive_intimidating_threatening`,
    /// `numerous_repeat_calls`, `insisting_on_manager`, `excessive_demands_on_staff_time`,
    /// `repeat_complaints`, `refusing_to_accept_decision`, `changing_basis_of_complaint`,
    /// `groundless_complaints_about_staff`, `refusing_to_accept_outside_remit`,
    /// `refusing_to_cooperate`, `seeking_reinvestigation_after_procedure_exhausted`,
    /// `malicious_defamatory_or_discriminatory_remarks`, `covert_recording` (4.4).
    pub behaviours: Vec<String>,
    /// `in_person`, `telephone`, `writing`, `email` or `fax` (2.3).
    pub channel: String,
    /// When it happened (not in the future).
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    pub description: String,
}

/// The decision whether reported behaviour was unreasonable (5.1).
#[derive(InputObject, Serialize)]
pub struct DetermineBehaviourInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// Whether the behaviour was unreasonable under the policy; `false` closes the case.
    pub unreasonable: bool,
    /// The reasons.
    pub reasons: String,
    /// The report decided on; default the latest.
    pub report_id: Option<ID>,
}

/// A Stage 1 warning (5.1). The decider must record that reasonable adjustments were considered
/// and why a warning is proportionate.
#[derive(InputObject, Serialize)]
pub struct IssueStage1WarningInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// Date of the letter (default today): day 0 of the 15-working-day appeal window (6.1).
    pub letter_date: Option<NaiveDate>,
    /// The behaviour and why it is unreasonable, as the letter tells the customer.
    pub reasons: String,
    /// The Service Director consulted (5.1).
    pub service_director_consulted: String,
    /// When they were consulted (on or before the letter date).
    pub consulted_on: NaiveDate,
    /// How disability, unmet need and reasonable adjustments were considered (Equality Act 2010).
    pub adjustments_considered: String,
    /// The customer's reasonable adjustments considered (ids from
    /// `Customer.reasonableAdjustments`): each the customer's and in place on the day of the
    /// decision. The 8.2 check counts a decision as having considered adjustments when it links
    /// one, or when the customer had none in place and `adjustmentsConsidered` says so.
    pub adjustment_ids_considered: Option<Vec<ID>>,
    /// Why a warning is the proportionate response.
    pub proportionality: String,
}

/// A customer's written appeal against a Stage 1 warning, logged by Legal Services (6.1, 6.2).
#[derive(InputObject, Serialize)]
pub struct LogAppealInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// Date Legal Services received the appeal (not in the future).
    pub received_on: NaiveDate,
    /// The customer's reasons for disagreeing.
    pub grounds: String,
    /// Received after the deadline: why Legal Services accepts it anyway. Without it a late
    /// appeal gets `APPEAL_OUT_OF_TIME`.
    pub late_reason: Option<String>,
}

/// The Group Director's decision on an appeal (6.2).
#[derive(InputObject, Serialize)]
pub struct DecideAppealInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// `true`: upheld, the warning is withdrawn and the case closed; `false`: not upheld, the
    /// warning stands.
    pub upheld: bool,
    /// The reasons, given to the customer.
    pub reasons: String,
}

/// Contact within set time limits.
#[derive(InputObject, Serialize)]
pub struct TimeLimitsInput {
    /// Most contacts allowed in the period (at least 1).
    pub max_contacts: u32,
    /// Length of the period in days (1 to 366).
    pub per_days: u32,
    /// Longest a single call or meeting may last, in minutes.
    pub max_minutes_per_contact: Option<u32>,
}

/// Contact only with a named officer or team, or at a set time or place (at least one).
#[derive(InputObject, Serialize)]
pub struct NamedContactInput {
    /// The named officer, from the staff directory.
    pub staff_member_id: Option<ID>,
    /// The named team.
    pub team_id: Option<ID>,
    /// The officer as the letter names them, e.g. `the Customer Services Manager`.
    pub officer_name: Option<String>,
    /// The set time, as the letter puts it.
    pub time: Option<String>,
    /// The set place, as the letter puts it.
    pub place: Option<String>,
}

/// Telephone contact on set days and times.
#[derive(InputObject, Serialize)]
pub struct TelephoneTimesInput {
    /// Days: `monday` … `sunday`.
    pub days: Vec<String>,
    /// From, `HH:MM`.
    pub from: String,
    /// To, `HH:MM`, after `from`.
    pub to: String,
}

/// Exclusion from named council establishments.
#[derive(InputObject, Serialize)]
pub struct EstablishmentExclusionInput {
    /// The establishments.
    pub establishment_ids: Vec<ID>,
}

/// Contact in a particular form only.
#[derive(InputObject, Serialize)]
pub struct ContactFormInput {
    /// Channels still permitted: `in_person`, `telephone`, `letter`, `email`, `fax`, `web`.
    pub permitted_channels: Vec<String>,
}

/// An agreement about further contact the customer must enter into.
#[derive(InputObject, Serialize)]
pub struct ContactAgreementInput {
    /// The terms.
    pub terms: String,
    /// When the customer signed it, once they have.
    pub signed_on: Option<NaiveDate>,
}

/// Complete termination of contact.
#[derive(InputObject, Serialize)]
pub struct TerminationInput {
    /// Also permanently excluded from council premises.
    pub permanent_exclusion_from_premises: bool,
}

/// The details of a restriction: exactly one of the seven kinds of 5.3.
#[derive(OneofObject, Serialize)]
pub enum RestrictionParametersInput {
    /// Contact within set time limits.
    TimeLimits(TimeLimitsInput),
    /// Contact only with a named officer or team, or at a set time or place.
    NamedContact(NamedContactInput),
    /// Telephone contact on set days and times.
    TelephoneTimes(TelephoneTimesInput),
    /// Exclusion from one or more council establishments.
    EstablishmentExclusion(EstablishmentExclusionInput),
    /// Contact in one form only, e.g. letter only.
    ContactForm(ContactFormInput),
    /// A contact agreement.
    ContactAgreement(ContactAgreementInput),
    /// Complete termination of contact.
    Termination(TerminationInput),
}

/// One restriction, for the case's service only (5.4).
#[derive(InputObject, Serialize)]
pub struct RestrictionInput {
    /// Its details.
    pub parameters: RestrictionParametersInput,
    /// First day in force (default the decision date; not before it).
    pub starts_on: Option<NaiveDate>,
    /// Last day in force, if it has an end.
    pub ends_on: Option<NaiveDate>,
}

/// The Group Director's Stage 2 decision on restricted contact (5.1, 5.3, 6.3). After a
/// warning, the behaviour must have continued; without one (straight after the determination)
/// it is exceptional and `exceptionalReasons` are required and go into the letter.
#[derive(InputObject, Serialize)]
pub struct DecideStage2Input {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// Why immediate action without a Stage 1 warning is appropriate (required then, and only
    /// then).
    pub exceptional_reasons: Option<String>,
    /// Who was consulted: `legal_services` or `monitoring_officer` (5.3).
    pub consulted_role: String,
    /// Their name.
    pub consulted_name: String,
    /// How disability, unmet need and reasonable adjustments were considered.
    pub adjustments_considered: String,
    /// The customer's reasonable adjustments considered (ids from
    /// `Customer.reasonableAdjustments`): each the customer's and in place on the day of the
    /// decision. The 8.2 check counts a decision as having considered adjustments when it links
    /// one, or when the customer had none in place and `adjustmentsConsidered` says so.
    pub adjustment_ids_considered: Option<Vec<ID>>,
    /// Why these restrictions are the least restrictive that work.
    pub proportionality: String,
    /// The reasons for the decision, given to the customer.
    pub reasons: String,
    /// Date of the decision (default today; not in the future).
    pub decided_on: Option<NaiveDate>,
    /// Review date; default and latest: the review period after the decision (7.1).
    pub review_due_on: Option<NaiveDate>,
    /// At least one restriction.
    pub restrictions: Vec<RestrictionInput>,
}

/// A further restriction on a restricted case (5.3).
#[derive(InputObject, Serialize)]
pub struct ImposeRestrictionInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// The restriction.
    pub restriction: RestrictionInput,
    /// Why, given to the customer.
    pub reasons: String,
    /// Why it is proportionate.
    pub proportionality: String,
}

/// New details for a restriction of the same kind.
#[derive(InputObject, Serialize)]
pub struct VaryRestrictionInput {
    /// The restriction.
    pub restriction_id: ID,
    /// The restriction version you read.
    pub version: i64,
    /// The new details (same kind).
    pub parameters: RestrictionParametersInput,
    /// Leave out to keep the current last day; a date sets it; `null` removes it (the
    /// restriction then runs until lifted or reviewed).
    pub ends_on: MaybeUndefined<NaiveDate>,
    /// Why, given to the customer.
    pub reasons: String,
}

/// A later end date for a restriction (5.6: e.g. an exclusion that was ignored).
#[derive(InputObject, Serialize)]
pub struct ExtendRestrictionInput {
    /// The restriction.
    pub restriction_id: ID,
    /// The restriction version you read.
    pub version: i64,
    /// The new last day: after the current one.
    pub ends_on: NaiveDate,
    /// Why, given to the customer.
    pub reasons: String,
    /// The breach this answers, if any (its outcome becomes `extended`).
    pub breach_id: Option<ID>,
}

/// Make a restriction permanent (5.6).
#[derive(InputObject, Serialize)]
pub struct MakeRestrictionPermanentInput {
    /// The restriction.
    pub restriction_id: ID,
    /// The restriction version you read.
    pub version: i64,
    /// Why, given to the customer.
    pub reasons: String,
    /// The breach this answers, if any (its outcome becomes `made_permanent`).
    pub breach_id: Option<ID>,
}

/// Lift a restriction. Lifting the last one closes the case.
#[derive(InputObject, Serialize)]
pub struct LiftRestrictionInput {
    /// The restriction.
    pub restriction_id: ID,
    /// The restriction version you read.
    pub version: i64,
    /// Why, given to the customer.
    pub reasons: String,
}

/// A breach of a restriction in force (5.6).
#[derive(InputObject, Serialize)]
pub struct RecordBreachInput {
    /// The restriction breached.
    pub restriction_id: ID,
    /// When (not in the future).
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    pub description: String,
}

/// The Group Director's consideration of a new issue raised by a restricted customer (9.1).
#[derive(InputObject, Serialize)]
pub struct ConsiderNewIssueInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// The new issue (dealt with on its merits).
    pub description: String,
    /// Whether the restrictions remain appropriate and necessary.
    pub restrictions_remain_appropriate: bool,
    /// Reasons.
    pub reasons: String,
}

/// Legal Services' review recommendation (7.2, 7.3).
#[derive(InputObject, Serialize)]
pub struct RecommendReviewInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// `continue`, `partially_remove` or `fully_remove`.
    pub recommendation: String,
    /// Reasons, considering the contact during the restriction period (7.2).
    pub reasons: String,
    /// For `partially_remove`: the restrictions to remove (some, not all, of those in force).
    pub remove_restriction_ids: Option<Vec<ID>>,
    /// The customer's reasonable adjustments considered (ids from
    /// `Customer.reasonableAdjustments`): each the customer's and in place on the day of the
    /// decision. The 8.2 check counts a decision as having considered adjustments when it links
    /// one, or when the customer had none in place and `adjustmentsConsidered` says so.
    pub adjustment_ids_considered: Option<Vec<ID>>,
}

/// The Group Director's endorsement of a review recommendation (7.4). Endorsed, it is applied
/// to the restrictions; not endorsed, they continue. Either way the customer is written to and
/// the next review date set.
#[derive(InputObject, Serialize)]
pub struct EndorseReviewInput {
    /// The case.
    pub case_id: ID,
    /// The case version you read.
    pub version: i64,
    /// Whether the recommendation is endorsed.
    pub endorsed: bool,
    /// Reasons.
    pub reasons: String,
}
