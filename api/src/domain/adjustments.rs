//! Reasonable adjustments (Equality Act 2010; the ombudsmen's guidance: before restricting,
//! consider whether the behaviour stems from a disability or unmet need and whether reasonable
//! adjustments are due, and record that this was considered).
//!
//! An adjustment is a record of the customer's, not of a case: the need it meets, the
//! adjustment agreed, who agreed it and when, and when it is next reviewed. It is updated (with
//! the version read) or ended. The Stage 1 warning, the Stage 2 decision and the review name the
//! adjustments they considered ([`considered`]): each must be the case's customer's, and in
//! place on the day of the decision ([`in_place_on`]).
//!
//! The 8.2 check (`adjustments_considered` in the annual report) reads those links: a warning or
//! a Stage 2 decision meets it when it links at least one adjustment, or when the customer had
//! no adjustment in place on its day and its free text (`adjustmentsConsidered`) is not blank.

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::AdjustmentStatus;
use entities::{customer, reasonable_adjustment};

use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, Outcome, Ref};
use super::roles::{Principal, Role};
use super::values::{RecordId, Text};

/// Who records, updates and ends a customer's reasonable adjustments: council staff of the
/// customer's services (Legal Services and the Monitoring Officer in every service); not
/// elected Members, the Standards Committee or the administrator.
pub const ADJUSTMENT_RECORDERS: &[Role] = &[
    Role::Officer,
    Role::ServiceManager,
    Role::HeadOfService,
    Role::ServiceDirector,
    Role::FeedbackOfficer,
    Role::GroupDirector,
    Role::LegalServices,
    Role::MonitoringOfficer,
];

/// A reasonable adjustment's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AdjustmentId(i64);

impl RecordId for AdjustmentId {
    fn from_key(key: i64) -> Self {
        AdjustmentId(key)
    }
    fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for AdjustmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Record an adjustment (`recordReasonableAdjustment`).
#[derive(Debug, Clone)]
pub struct RecordAdjustment {
    /// The need it meets (a disability or unmet need).
    pub need: Text,
    /// The adjustment agreed.
    pub adjustment: Text,
    /// Who agreed it.
    pub agreed_by: Text,
    /// When it was agreed (not in the future).
    pub agreed_on: NaiveDate,
    /// When it is next reviewed (after it was agreed).
    pub review_on: Option<NaiveDate>,
}

/// Change an adjustment in place (`updateReasonableAdjustment`); what is not given stays.
#[derive(Debug, Clone)]
pub struct UpdateAdjustment {
    /// The version the caller read.
    pub version: i64,
    /// The need it meets.
    pub need: Option<Text>,
    /// The adjustment agreed.
    pub adjustment: Option<Text>,
    /// Who agreed it.
    pub agreed_by: Option<Text>,
    /// When it was agreed.
    pub agreed_on: Option<NaiveDate>,
    /// When it is next reviewed.
    pub review_on: Option<NaiveDate>,
}

/// End an adjustment (`endReasonableAdjustment`): it is no longer in place from `ended_on`.
#[derive(Debug, Clone)]
pub struct EndAdjustment {
    /// The version the caller read.
    pub version: i64,
    /// The day it ends (default today; not in the future).
    pub ended_on: Option<NaiveDate>,
    /// Why.
    pub reasons: Text,
}

fn may_record(actor: &Principal) -> DomainResult<()> {
    if actor.has_any_role(ADJUSTMENT_RECORDERS) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only council staff of the customer's services record reasonable adjustments".into(),
        ))
    }
}

fn check_dates(
    agreed_on: NaiveDate,
    review_on: Option<NaiveDate>,
    today: NaiveDate,
) -> DomainResult<()> {
    if agreed_on > today {
        return Err(DomainError::bad_input(
            "agreedOn",
            "an adjustment cannot be agreed in the future",
        ));
    }
    if let Some(review) = review_on
        && review <= agreed_on
    {
        return Err(DomainError::bad_input(
            "reviewOn",
            "the review date comes after the day the adjustment was agreed",
        ));
    }
    Ok(())
}

/// Record an adjustment for `customer` (the store has checked the caller may see them).
pub fn record(
    cmd: RecordAdjustment,
    customer: &customer::Model,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    may_record(actor)?;
    check_dates(cmd.agreed_on, cmd.review_on, now.date_naive())?;
    let mut out = Outcome::new();
    let a = out.create_row(reasonable_adjustment::Model {
        id: 0,
        customer_id: customer.id,
        description: cmd.adjustment.into_string(),
        recorded_by: actor.subject.clone(),
        recorded_at: now,
        need: Some(cmd.need.into_string()),
        agreed_by: Some(cmd.agreed_by.into_string()),
        agreed_on: Some(cmd.agreed_on),
        review_on: cmd.review_on,
        status: AdjustmentStatus::Active,
        ended_on: None,
        end_reasons: None,
        version: 1,
        created_at: now,
    });
    Ok(out.audited(
        AuditEntry::new(
            "customer.record_reasonable_adjustment",
            "reasonable_adjustment",
            a,
        )
        .noting(serde_json::json!({ "customer_id": customer.id })),
    ))
}

fn expect_active(stored: &reasonable_adjustment::Model, sent: i64) -> DomainResult<()> {
    if stored.version != sent {
        return Err(DomainError::stale("reasonable adjustment", stored.id, sent));
    }
    if stored.status == AdjustmentStatus::Ended {
        return Err(DomainError::InvalidTransition {
            message: "the adjustment has ended; record a new one".into(),
            current: "ended".into(),
            allowed: vec!["recordReasonableAdjustment".into()],
        });
    }
    Ok(())
}

/// Update an adjustment that is still in place.
pub fn update(
    cmd: UpdateAdjustment,
    stored: &reasonable_adjustment::Model,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    may_record(actor)?;
    expect_active(stored, cmd.version)?;
    let after = reasonable_adjustment::Model {
        need: cmd
            .need
            .map(Text::into_string)
            .or_else(|| stored.need.clone()),
        description: cmd
            .adjustment
            .map(Text::into_string)
            .unwrap_or_else(|| stored.description.clone()),
        agreed_by: cmd
            .agreed_by
            .map(Text::into_string)
            .or_else(|| stored.agreed_by.clone()),
        agreed_on: cmd.agreed_on.or(stored.agreed_on),
        review_on: cmd.review_on.or(stored.review_on),
        ..stored.clone()
    };
    if let Some(agreed_on) = after.agreed_on {
        check_dates(agreed_on, after.review_on, now.date_naive())?;
    }
    let mut out = Outcome::new();
    let a = out.change(stored.clone(), after);
    Ok(out.audited(
        AuditEntry::new(
            "customer.update_reasonable_adjustment",
            "reasonable_adjustment",
            a,
        )
        .noting(serde_json::json!({ "customer_id": stored.customer_id })),
    ))
}

/// End an adjustment that is still in place.
pub fn end(
    cmd: EndAdjustment,
    stored: &reasonable_adjustment::Model,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    may_record(actor)?;
    expect_active(stored, cmd.version)?;
    let today = now.date_naive();
    let ended_on = cmd.ended_on.unwrap_or(today);
    if ended_on > today {
        return Err(DomainError::bad_input(
            "endedOn",
            "an adjustment cannot be ended in the future",
        ));
    }
    if let Some(agreed_on) = stored.agreed_on
        && ended_on < agreed_on
    {
        return Err(DomainError::bad_input(
            "endedOn",
            "an adjustment cannot end before it was agreed",
        ));
    }
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let a = out.change(
        stored.clone(),
        reasonable_adjustment::Model {
            status: AdjustmentStatus::Ended,
            ended_on: Some(ended_on),
            end_reasons: Some(reasons.clone()),
            ..stored.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new(
            "customer.end_reasonable_adjustment",
            "reasonable_adjustment",
            a,
        )
        .because(reasons)
        .noting(serde_json::json!({ "customer_id": stored.customer_id })),
    ))
}

/// Whether `a` was in place on `day`: agreed on or before it (a row recorded before issue 19,
/// with no agreed day, counts as in place since before any decision) and not ended on or before
/// it. The 8.2 check and the report test's SQL use the same rule.
pub fn in_place_on(a: &reasonable_adjustment::Model, day: NaiveDate) -> bool {
    a.agreed_on.is_none_or(|agreed| agreed <= day) && a.ended_on.is_none_or(|ended| ended > day)
}

/// The adjustments a decision on `day` says it considered (`adjustmentIdsConsidered`), checked
/// against the customer's adjustments (`of_customer`): each must be theirs and in place on
/// `day`. Returns the ids, sorted and without repeats.
pub fn considered(
    ids: &[AdjustmentId],
    of_customer: &[reasonable_adjustment::Model],
    day: NaiveDate,
) -> DomainResult<Vec<i64>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(a) = of_customer.iter().find(|a| a.id == id.get()) else {
            return Err(DomainError::bad_input(
                "adjustmentIdsConsidered",
                format!("adjustment {id} is not one of this customer's"),
            ));
        };
        if !in_place_on(a, day) {
            return Err(DomainError::bad_input(
                "adjustmentIdsConsidered",
                format!("adjustment {id} was not in place on {day}"),
            ));
        }
        out.push(a.id);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The decision's row, with links to the adjustments it considered when there are any.
pub(crate) fn with_considered(
    out: &mut Outcome,
    row: impl Into<super::outcome::Row>,
    adjustments: Vec<i64>,
) -> Ref {
    if adjustments.is_empty() {
        out.create_row(row)
    } else {
        out.create(super::outcome::New::Considered {
            decision: row.into(),
            adjustments,
        })
    }
}
