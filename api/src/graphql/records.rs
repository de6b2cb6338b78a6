//! The records of a case's process, as the API shows them: determinations, warnings, appeals,
//! Stage 2 decisions, restrictions, breaches, reviews, new-issue considerations and letters.
//! Free text (reasons, grounds, letter bodies) and staff names are restricted fields: the
//! Standards Committee reads the process record without them (8.2).

use async_graphql::{ID, Json, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    appeal, breach, determination, letter, new_issue_consideration, restriction, review,
    stage_1_warning, stage_2_decision,
};

fn id(n: i64) -> ID {
    ID(n.to_string())
}

/// The decision whether reported behaviour was unreasonable (5.1).
#[derive(SimpleObject, Clone)]
pub struct Determination {
    /// Opaque id.
    pub id: ID,
    /// Whether the behaviour was unreasonable under the policy.
    pub unreasonable: bool,
    /// `service_manager` or `head_of_service`.
    pub decider_role: String,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// The reasons (restricted free text).
    pub reasons: Option<String>,
}

impl From<determination::Model> for Determination {
    fn from(m: determination::Model) -> Self {
        Determination {
            id: id(m.id),
            unreasonable: m.unreasonable,
            decider_role: m.decider_role.as_str().to_string(),
            decided_at: m.decided_at,
            reasons: Some(m.reasons),
        }
    }
}

/// A Stage 1 warning (5.1).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Stage1Warning {
    /// Opaque id.
    pub id: ID,
    /// Date of the warning letter: day 0 of the appeal window (6.1).
    pub letter_date: NaiveDate,
    /// Last day to appeal: the 15th working day after the letter date (6.1).
    pub appeal_deadline: NaiveDate,
    /// `active`, or `withdrawn` after an upheld appeal.
    pub status: String,
    /// Date the Service Director was consulted (5.1).
    pub consulted_on: NaiveDate,
    /// The Service Director consulted (restricted: a staff name).
    pub service_director_consulted: Option<String>,
    /// How disability, unmet need and reasonable adjustments were considered (restricted).
    pub adjustments_considered: Option<String>,
    /// Why a warning is proportionate (restricted).
    pub proportionality: Option<String>,
    /// The Service Feedback Officer was copied (5.1).
    pub copied_to_feedback_officer: bool,
    /// When the warning entered Legal Services' central record (5.1).
    pub central_record_at: Option<DateTime<Utc>>,
    /// Row version.
    pub version: i64,
}

impl From<stage_1_warning::Model> for Stage1Warning {
    fn from(m: stage_1_warning::Model) -> Self {
        Stage1Warning {
            id: id(m.id),
            letter_date: m.letter_date,
            appeal_deadline: m.appeal_deadline,
            status: m.status.as_str().to_string(),
            consulted_on: m.consulted_on,
            service_director_consulted: Some(m.service_director_consulted),
            adjustments_considered: Some(m.adjustments_considered),
            proportionality: Some(m.proportionality),
            copied_to_feedback_officer: m.feedback_officer_copied,
            central_record_at: m.legal_services_notified_at,
            version: m.version,
        }
    }
}

/// An appeal against a Stage 1 warning (6.1, 6.2).
#[derive(SimpleObject, Clone)]
pub struct Appeal {
    /// Opaque id.
    pub id: ID,
    /// The warning appealed against.
    pub warning_id: ID,
    /// Date Legal Services received it.
    pub received_on: NaiveDate,
    /// Accepted although received after the deadline.
    pub accepted_late: bool,
    /// `pending`, `upheld` or `not_upheld`.
    pub outcome: String,
    /// When the Group Director was notified (6.2).
    pub group_director_notified_at: Option<DateTime<Utc>>,
    /// When the Group Director decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// When the customer was told: the outcome letter was marked sent (6.2).
    pub customer_told_at: Option<DateTime<Utc>>,
    /// The customer's grounds (restricted free text).
    pub grounds: Option<String>,
    /// Why a late appeal was accepted (restricted).
    pub late_reason: Option<String>,
    /// The Group Director's reasons (restricted).
    pub decision_reasons: Option<String>,
    /// Row version.
    pub version: i64,
}

impl From<appeal::Model> for Appeal {
    fn from(m: appeal::Model) -> Self {
        Appeal {
            id: id(m.id),
            warning_id: id(m.warning_id),
            received_on: m.received_on,
            accepted_late: m.accepted_late,
            outcome: m.outcome.as_str().to_string(),
            group_director_notified_at: m.group_director_notified_at,
            decided_at: m.decided_at,
            customer_told_at: m.customer_told_at,
            grounds: Some(m.grounds),
            late_reason: m.late_reason,
            decision_reasons: m.decision_reasons,
            version: m.version,
        }
    }
}

/// A Stage 2 decision on restricted contact (5.1, 5.3, 6.3).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Stage2Decision {
    /// Opaque id.
    pub id: ID,
    /// Taken at once without a Stage 1 warning, in exceptional circumstances (note under 5.1).
    pub immediate: bool,
    /// Date of the decision to restrict: the review clock starts here (7.1).
    pub decided_on: NaiveDate,
    /// `legal_services` or `monitoring_officer` (5.3).
    pub consulted_role: String,
    /// Review due by (no later than 12 months, 7.1).
    pub review_due_on: NaiveDate,
    /// When the service team was told (5.5).
    pub service_team_notified_at: Option<DateTime<Utc>>,
    /// Who was consulted (restricted: a staff name).
    pub consulted_name: Option<String>,
    /// Why immediate action was appropriate (restricted; given to the customer).
    pub exceptional_reasons: Option<String>,
    /// Reasonable adjustments considered (restricted).
    pub adjustments_considered: Option<String>,
    /// Why the restrictions are proportionate (restricted).
    pub proportionality: Option<String>,
    /// Reasons for the decision (restricted).
    pub reasons: Option<String>,
}

impl From<stage_2_decision::Model> for Stage2Decision {
    fn from(m: stage_2_decision::Model) -> Self {
        Stage2Decision {
            id: id(m.id),
            immediate: m.immediate,
            decided_on: m.decided_on,
            consulted_role: m.consulted_role.as_str().to_string(),
            review_due_on: m.review_due_on,
            service_team_notified_at: m.service_team_notified_at,
            consulted_name: Some(m.consulted_name),
            exceptional_reasons: m.exceptional_reasons,
            adjustments_considered: Some(m.adjustments_considered),
            proportionality: Some(m.proportionality),
            reasons: Some(m.reasons),
        }
    }
}

/// One restriction on contact, for one service (5.3, 5.4).
#[derive(SimpleObject, Clone)]
pub struct Restriction {
    /// Opaque id.
    pub id: ID,
    /// One of the seven kinds of 5.3: `time_limits`, `named_contact`, `telephone_times`,
    /// `establishment_exclusion`, `contact_form`, `contact_agreement`, `termination`.
    pub kind: String,
    /// First day in force.
    pub starts_on: NaiveDate,
    /// Last day in force, if it has an end.
    pub ends_on: Option<NaiveDate>,
    /// Review due by (7.1).
    pub review_due_on: NaiveDate,
    /// `active`, `lifted` or `expired`.
    pub status: String,
    /// Made permanent (5.6).
    pub permanent: bool,
    /// Date lifted.
    pub lifted_on: Option<NaiveDate>,
    /// Row version: send it back when you vary, extend, make permanent or lift.
    pub version: i64,
    /// The details, shaped by `kind` (restricted): a JSON object tagged with `kind`, e.g. a
    /// `contact_form` restriction has `permitted_channels` (see `docs/lifecycle.md`).
    pub parameters: Option<Json<serde_json::Value>>,
    /// The restriction in plain words, as the letter gives it (restricted).
    pub description: Option<String>,
    /// Why it was lifted (restricted).
    pub lifted_reason: Option<String>,
}

impl Restriction {
    /// The API view of `m`, with its plain-words description.
    pub fn new(m: restriction::Model, description: String) -> Self {
        Restriction {
            id: id(m.id),
            kind: m.kind.as_str().to_string(),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            review_due_on: m.review_due_on,
            status: m.status.as_str().to_string(),
            permanent: m.permanent,
            lifted_on: m.lifted_on,
            version: m.version,
            parameters: serde_json::to_value(&m.parameters).ok().map(Json),
            description: Some(description),
            lifted_reason: m.lifted_reason,
        }
    }
}

/// A breach of a restriction, e.g. an ignored exclusion (5.6).
#[derive(SimpleObject, Clone)]
pub struct Breach {
    /// Opaque id.
    pub id: ID,
    /// The restriction breached.
    pub restriction_id: Option<ID>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Flagged for immediate review (5.6).
    pub flagged_for_review: bool,
    /// `pending`, `no_action`, `extended` or `made_permanent`.
    pub outcome: String,
    /// What happened (restricted free text).
    pub description: Option<String>,
}

impl From<breach::Model> for Breach {
    fn from(m: breach::Model) -> Self {
        Breach {
            id: id(m.id),
            restriction_id: m.restriction_id.map(id),
            occurred_at: m.occurred_at,
            flagged_for_review: m.flagged_for_review,
            outcome: m.outcome.as_str().to_string(),
            description: Some(m.description),
        }
    }
}

/// A review of the restrictions (7.1 to 7.4).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Review {
    /// Opaque id.
    pub id: ID,
    /// Date by which the review had to be held.
    pub due_on: NaiveDate,
    /// `continue`, `partially_remove` or `fully_remove` (7.3).
    pub recommendation: Option<String>,
    /// Date of the recommendation.
    pub recommended_on: Option<NaiveDate>,
    /// Held by the due date.
    pub held_in_time: Option<bool>,
    /// Whether the Group Director endorsed it (7.4); null while awaiting.
    pub endorsed: Option<bool>,
    /// Date of the endorsement decision.
    pub endorsed_on: Option<NaiveDate>,
    /// When the customer was told: the outcome letter was marked sent (7.4).
    pub customer_told_at: Option<DateTime<Utc>>,
    /// Reasons for the recommendation (restricted).
    pub recommendation_reasons: Option<String>,
    /// Reasons for endorsing or not (restricted).
    pub endorsement_reasons: Option<String>,
}

impl From<review::Model> for Review {
    fn from(m: review::Model) -> Self {
        Review {
            id: id(m.id),
            due_on: m.due_on,
            recommendation: m.recommendation.map(|r| r.as_str().to_string()),
            recommended_on: m.recommended_on,
            held_in_time: m.recommended_on.map(|d| d <= m.due_on),
            endorsed: m.endorsed,
            endorsed_on: m.endorsed_on,
            customer_told_at: m.customer_told_at,
            recommendation_reasons: m.recommendation_reasons,
            endorsement_reasons: m.endorsement_reasons,
        }
    }
}

/// The Group Director's consideration of a new issue raised by a restricted customer (9.1).
#[derive(SimpleObject, Clone)]
pub struct NewIssueConsideration {
    /// Opaque id.
    pub id: ID,
    /// Whether the restrictions remain appropriate and necessary.
    pub restrictions_remain_appropriate: bool,
    /// Date considered.
    pub considered_on: NaiveDate,
    /// The new issue (restricted free text).
    pub description: Option<String>,
    /// Reasons (restricted).
    pub reasons: Option<String>,
}

impl From<new_issue_consideration::Model> for NewIssueConsideration {
    fn from(m: new_issue_consideration::Model) -> Self {
        NewIssueConsideration {
            id: id(m.id),
            restrictions_remain_appropriate: m.restrictions_remain_appropriate,
            considered_on: m.considered_on,
            description: Some(m.description),
            reasons: Some(m.reasons),
        }
    }
}

/// A letter to the customer, stored as issued.
#[derive(SimpleObject, Clone)]
pub struct Letter {
    /// Opaque id.
    pub id: ID,
    /// `stage_1_warning`, `appeal_outcome`, `stage_2_decision`, `restriction_variation`,
    /// `review_outcome`.
    pub kind: String,
    /// `en` or `cy`: the customer's preferred language.
    pub language: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was marked sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// The template version used; null for the built-in default.
    pub template_id: Option<ID>,
    /// Row version: send it back when you mark the letter sent.
    pub version: i64,
    /// Subject line (restricted).
    pub subject: Option<String>,
    /// Plain-text body (restricted).
    pub body_text: Option<String>,
    /// Printable HTML document (restricted).
    pub body_html: Option<String>,
}

impl From<letter::Model> for Letter {
    fn from(m: letter::Model) -> Self {
        Letter {
            id: id(m.id),
            kind: m.kind.as_str().to_string(),
            language: m.language.as_str().to_string(),
            issued_at: m.issued_at,
            sent_at: m.sent_at,
            template_id: m.template_id.map(id),
            version: m.version,
            subject: Some(m.subject),
            body_text: Some(m.body_text),
            body_html: Some(m.body_html),
        }
    }
}

/// One event in a case's history, oldest first.
#[derive(SimpleObject, Clone)]
pub struct TimelineEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What: `report`, `determination`, `stage_1_warning`, `appeal_logged`, `appeal_decided`,
    /// `stage_2_decision`, `restriction_imposed`, `restriction_lifted`, `breach`,
    /// `new_issue_considered`, `review_recommended`, `review_endorsed`, `letter_issued`,
    /// `case_closed`.
    pub kind: String,
    /// The record's id.
    pub record_id: ID,
    /// A one-line summary without names or free text.
    pub summary: String,
}
