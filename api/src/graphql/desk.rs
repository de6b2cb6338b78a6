//! At the point of contact: the contact check, the contact log (with the screening of repeat
//! correspondence, 5.2, and breaches, 5.6), the manager's queue of correspondence placed on
//! file, and the deadlines list.

use std::collections::{BTreeSet, HashMap};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::enums::{
    BreachOutcome, CaseStage, CaseStatus, ContactChannel, ContactDirection, ContactOutcome,
    ExclusionKind, RestrictionKind,
};
use entities::restriction_parameters::RestrictionParameters;
use entities::{
    appeal, breach, contact, customer, exclusion, letter, restriction, service, staff_member,
    upc_case,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::audit::{self, Change};
use crate::auth::{Principal, Role};
use crate::authz::scope::case_scope;
use crate::authz::{RequestContext, caller};
use crate::desk::check::{Proposed, Source, Verdict};
use crate::desk::contact_check;
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;
use crate::graphql::steps::{optional, parse_enum, required, today};
use crate::lifecycle::store::{Idempotency, remember, replayed, update_versioned};

/// Staff who work at the point of contact in a service.
const DESK_ROLES: &[Role] = &[
    Role::Officer,
    Role::ServiceManager,
    Role::HeadOfService,
    Role::ServiceDirector,
    Role::FeedbackOfficer,
    Role::GroupDirector,
];
/// Managers who review correspondence placed on file (5.2).
const FILE_REVIEWERS: &[Role] = &[Role::ServiceManager, Role::HeadOfService];

/// Does `principal` act for service `code` in one of `roles` (Legal Services and the Monitoring
/// Officer act for every service)?
fn acts_for(principal: &Principal, roles: &[Role], code: &str) -> bool {
    principal.has_any_role(&[Role::LegalServices, Role::MonitoringOfficer])
        || (principal.has_any_role(roles) && principal.in_service(code))
}

/// What to check: may this customer contact this service this way, now or at a given time?
#[derive(InputObject, serde::Serialize)]
pub struct ContactCheckInput {
    /// The customer.
    pub customer_id: ID,
    /// The service being contacted; only its restrictions count (5.4).
    pub service_code: String,
    /// `in_person`, `telephone`, `letter`, `email`, `fax` or `web`.
    pub channel: String,
    /// When (default now).
    pub at: Option<DateTime<Utc>>,
    /// The officer the customer wants to deal with (staff directory id), if known.
    pub officer_staff_id: Option<ID>,
    /// The establishment the customer is at or wants to visit, if any.
    pub establishment_id: Option<ID>,
}

/// One restriction or exclusion in force, and what it means for this contact.
#[derive(SimpleObject, Clone, serde::Serialize, serde::Deserialize)]
pub struct CheckFinding {
    /// The restriction (5.3), when it is one.
    pub restriction_id: Option<ID>,
    /// The exclusion from premises (3.2), when it is one.
    pub exclusion_id: Option<ID>,
    /// `time_limits`, `named_contact`, `telephone_times`, `establishment_exclusion`,
    /// `contact_form`, `contact_agreement`, `termination` or `premises_exclusion`.
    pub kind: String,
    /// Whether it forbids this contact.
    pub blocks: bool,
    /// What the officer must do, in plain English.
    pub instruction: String,
}

/// The answer to a contact check.
#[derive(SimpleObject, Clone)]
pub struct ContactCheck {
    /// May the contact go ahead?
    pub allowed: bool,
    /// The service checked.
    pub service_code: String,
    /// The time checked.
    pub at: DateTime<Utc>,
    /// Each restriction or exclusion of this service in force at that time.
    pub findings: Vec<CheckFinding>,
}

fn check_view(verdict: Verdict, service_code: String, at: DateTime<Utc>) -> ContactCheck {
    ContactCheck {
        allowed: verdict.allowed,
        service_code,
        at,
        findings: verdict
            .findings
            .into_iter()
            .map(|f| {
                let (restriction_id, exclusion_id) = match f.source {
                    Source::Restriction(id) => (Some(ID(id.to_string())), None),
                    Source::Exclusion(id) => (None, Some(ID(id.to_string()))),
                };
                CheckFinding {
                    restriction_id,
                    exclusion_id,
                    kind: f.kind,
                    blocks: f.blocks,
                    instruction: f.instruction,
                }
            })
            .collect(),
    }
}

/// A contact between a customer and the council.
#[derive(SimpleObject, Clone, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    /// Opaque id.
    pub id: ID,
    /// The case it is filed on, if the customer has one in the service.
    pub case_id: Option<ID>,
    /// The service contacted.
    pub service_id: ID,
    /// `in_person`, `telephone`, `letter`, `email`, `fax` or `web`.
    pub channel: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// `replied`, `placed_on_file`, `referred`, `call_terminated`, `no_action_needed` or
    /// `pending`.
    pub outcome: String,
    /// Repeat correspondence screened for a new issue (5.2): whether it raised one.
    pub raises_new_issue: Option<bool>,
    /// A safeguarding concern was noted.
    pub safeguarding_concern: bool,
    /// When a manager read it after it was placed on file (5.2).
    pub filed_reviewed_at: Option<DateTime<Utc>>,
    /// Row version.
    pub version: i64,
    /// What was said or written (restricted free text).
    pub summary: Option<String>,
}

impl From<contact::Model> for Contact {
    fn from(m: contact::Model) -> Self {
        Contact {
            id: ID(m.id.to_string()),
            case_id: m.case_id.map(|id| ID(id.to_string())),
            service_id: ID(m.service_id.to_string()),
            channel: m.channel.as_str().to_string(),
            direction: m.direction.as_str().to_string(),
            occurred_at: m.occurred_at,
            outcome: m.outcome.as_str().to_string(),
            raises_new_issue: m.raises_new_issue,
            safeguarding_concern: m.safeguarding_concern,
            filed_reviewed_at: m.filed_reviewed_at,
            version: m.version,
            summary: Some(m.summary),
        }
    }
}

/// A contact as logged, with what the check found and any breaches recorded.
#[derive(SimpleObject, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoggedContact {
    /// The contact.
    pub contact: Contact,
    /// Whether the contact was allowed by the restrictions in force.
    pub allowed: bool,
    /// What each restriction or exclusion in force meant for it.
    pub findings: Vec<CheckFinding>,
    /// Breaches recorded because of it (5.6).
    pub breach_ids: Vec<ID>,
}

/// A contact to record.
#[derive(InputObject, serde::Serialize)]
pub struct LogContactInput {
    /// The customer.
    pub customer_id: ID,
    /// The service contacted.
    pub service_code: String,
    /// `in_person`, `telephone`, `letter`, `email`, `fax` or `web`.
    pub channel: String,
    /// `inbound` (from the customer) or `outbound`.
    pub direction: String,
    /// When (default now; not in the future).
    pub occurred_at: Option<DateTime<Utc>>,
    /// The officer dealt with (staff directory id).
    pub officer_staff_id: Option<ID>,
    /// The establishment, for contact in person.
    pub establishment_id: Option<ID>,
    /// What was said or written.
    pub summary: String,
    /// Repeat correspondence on a matter already addressed (5.2): then say whether it raises a
    /// new issue.
    pub repeat_correspondence: Option<bool>,
    /// For repeat correspondence: does it raise a new issue? If not it is placed on file
    /// without reply, and waits in the managers' queue to be read (5.2).
    pub raises_new_issue: Option<bool>,
    /// A safeguarding concern was noticed.
    pub safeguarding_concern: Option<bool>,
    /// What was done: `replied`, `referred`, `call_terminated`, `no_action_needed` or
    /// `pending` (default). Repeat correspondence without a new issue is always
    /// `placed_on_file`.
    pub outcome: Option<String>,
}

/// A manager's reading of correspondence placed on file (5.2).
#[derive(InputObject, serde::Serialize)]
pub struct ReviewFiledContactInput {
    /// The contact.
    pub contact_id: ID,
    /// The contact version you read.
    pub version: i64,
    /// Whether it does raise a new issue after all (then it is dealt with on its merits, 9.1).
    pub raises_new_issue: bool,
    /// Whether it raises a safeguarding concern.
    pub safeguarding_concern: bool,
}

/// Something due or overdue.
#[derive(SimpleObject, Clone)]
pub struct Deadline {
    /// `appeal_window_closing`, `review_due`, `temporary_exclusion_ending`,
    /// `breach_awaiting_review`, `filed_correspondence_awaiting_review` or `letter_not_sent`.
    pub kind: String,
    /// The date it is due by.
    pub due_on: NaiveDate,
    /// Past its date.
    pub overdue: bool,
    /// The case, when it belongs to one.
    pub case_id: Option<ID>,
    /// The case reference.
    pub case_reference: Option<String>,
    /// The record concerned (case, exclusion, breach, contact or letter).
    pub record_id: ID,
    /// What is due, without names or free text.
    pub summary: String,
}

/// Desk queries.
#[derive(Default)]
pub struct DeskQuery;

async fn service_by_code(
    db: &impl sea_orm::ConnectionTrait,
    code: &str,
) -> ApiResult<service::Model> {
    service::Entity::find()
        .filter(service::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::bad_input(
                "serviceCode",
                format!("no service with code {}", code.trim()),
            )
        })
}

async fn officer_of(
    db: &impl sea_orm::ConnectionTrait,
    id: Option<&ID>,
) -> ApiResult<Option<(i64, Option<i64>)>> {
    let Some(id) = id else { return Ok(None) };
    let id = parse_id("officerStaffId", id)?;
    let officer = staff_member::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input("officerStaffId", format!("no staff member {id}")))?;
    Ok(Some((officer.id, officer.team_id)))
}

#[Object]
impl DeskQuery {
    /// May this customer contact this service now (or at `at`), this way, with this officer or at
    /// this establishment? Only the restrictions of that service count (5.4). Each restriction
    /// in force comes with its instruction to the officer.
    async fn contact_check(
        &self,
        ctx: &Context<'_>,
        input: ContactCheckInput,
    ) -> ApiResult<ContactCheck> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let channel = parse_enum("channel", &input.channel, ContactChannel::ALL)?;
        let customer_id = parse_id("customerId", &input.customer_id)?;
        let establishment_id = match &input.establishment_id {
            Some(id) => Some(parse_id("establishmentId", id)?),
            None => None,
        };
        let service = service_by_code(db, &input.service_code).await?;
        if !acts_for(&request.principal, DESK_ROLES, &service.code) {
            return Err(ApiError::Forbidden(format!(
                "you do not work in {}: check contact with your own services",
                service.code
            )));
        }
        let officer = officer_of(db, input.officer_staff_id.as_ref()).await?;
        let at = input.at.unwrap_or_else(Utc::now);
        let proposed = Proposed {
            channel,
            at,
            officer,
            establishment_id,
        };
        let verdict = contact_check(db, service.id, customer_id, &proposed).await?;
        Ok(check_view(verdict, service.code, at))
    }

    /// Correspondence placed on file without reply (5.2) that no manager has read yet, oldest
    /// first, in your services; at most 200. Nothing filed is dropped: it stays here until read.
    async fn filed_correspondence(&self, ctx: &Context<'_>) -> ApiResult<Vec<Contact>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(contact::Entity::find()
            .filter(contact::Column::Outcome.eq(ContactOutcome::PlacedOnFile))
            .filter(contact::Column::FiledReviewedAt.is_null())
            .filter(service_condition(
                &request.principal,
                contact::Column::ServiceId,
            ))
            .order_by_asc(contact::Column::OccurredAt)
            .limit(200)
            .all(db)
            .await?
            .into_iter()
            .inspect(|c| crate::access::note(ctx, "Contact", c.case_id, Some(c.customer_id)))
            .map(Contact::from)
            .collect())
    }

    /// Everything due or overdue in your services within `withinDays` (default 14), soonest
    /// first: appeal windows closing, reviews due, temporary exclusions ending, breaches
    /// awaiting review, filed correspondence awaiting a manager, letters not yet sent.
    async fn deadlines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days ahead to look, 0 to 366 (default 14).")]
        within_days: Option<i32>,
    ) -> ApiResult<Vec<Deadline>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let within = within_days.unwrap_or(14);
        if !(0..=366).contains(&within) {
            return Err(ApiError::bad_input(
                "withinDays",
                "withinDays must be from 0 to 366",
            ));
        }
        deadlines(db, request, within).await
    }
}

/// Rows whose service column is one of the caller's services (all for Legal Services and the
/// Monitoring Officer).
fn service_condition(principal: &Principal, column: impl ColumnTrait) -> Condition {
    if principal.has_any_role(&[Role::LegalServices, Role::MonitoringOfficer]) {
        return Condition::all();
    }
    Condition::all().add(
        column.in_subquery(
            Query::select()
                .column(service::Column::Id)
                .from(service::Entity)
                .and_where(
                    Expr::col(service::Column::Code).is_in(principal.services.iter().cloned()),
                )
                .to_owned(),
        ),
    )
}

fn visible_case_ids(principal: &Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(upc_case::Column::Id)
        .from(upc_case::Entity)
        .cond_where(case_scope(principal).condition())
        .to_owned()
}

async fn deadlines(
    db: &DatabaseConnection,
    request: &RequestContext,
    within: i32,
) -> ApiResult<Vec<Deadline>> {
    let principal = &request.principal;
    let today = today();
    let horizon = today + Duration::days(i64::from(within));
    let mut out = Vec::new();
    let cases: HashMap<i64, String> = upc_case::Entity::find()
        .filter(case_scope(principal).condition())
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            if c.stage == CaseStage::Stage1Warning
                && let Some(deadline) = c.appeal_deadline
                && deadline >= today
                && deadline <= horizon
            {
                out.push((
                    c.id,
                    "appeal_window_closing",
                    deadline,
                    c.id,
                    format!("appeal window for the Stage 1 warning closes on {deadline}"),
                ));
            }
            if let Some(due) = c.review_due_on
                && due <= horizon
            {
                out.push((
                    c.id,
                    "review_due",
                    due,
                    c.id,
                    format!("review of the restrictions due by {due} (7.1)"),
                ));
            }
            (c.id, c.reference)
        })
        .collect();
    let appealed: BTreeSet<i64> = appeal::Entity::find()
        .select_only()
        .column(appeal::Column::CaseId)
        .filter(appeal::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    out.retain(|(case, kind, ..)| !(*kind == "appeal_window_closing" && appealed.contains(case)));
    for e in exclusion::Entity::find()
        .filter(exclusion::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .filter(exclusion::Column::Kind.eq(ExclusionKind::Temporary))
        .filter(exclusion::Column::LiftedOn.is_null())
        .filter(exclusion::Column::EndsOn.gte(today))
        .filter(exclusion::Column::EndsOn.lte(horizon))
        .all(db)
        .await?
    {
        if let Some(ends) = e.ends_on {
            out.push((e.case_id, "temporary_exclusion_ending", ends, e.id, format!("temporary exclusion ends on {ends}: lift, extend or seek agreement to make it long-term (3.2)")));
        }
    }
    for b in breach::Entity::find()
        .filter(breach::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .filter(breach::Column::Outcome.eq(BreachOutcome::Pending))
        .filter(breach::Column::FlaggedForReview.eq(true))
        .all(db)
        .await?
    {
        let day = b.occurred_at.date_naive();
        out.push((
            b.case_id,
            "breach_awaiting_review",
            day,
            b.id,
            format!("exclusion ignored on {day}: review at once, extend or make permanent (5.6)"),
        ));
    }
    for c in contact::Entity::find()
        .filter(contact::Column::Outcome.eq(ContactOutcome::PlacedOnFile))
        .filter(contact::Column::FiledReviewedAt.is_null())
        .filter(service_condition(principal, contact::Column::ServiceId))
        .all(db)
        .await?
    {
        let due = c.occurred_at.date_naive() + Duration::days(FILED_READ_WITHIN_DAYS);
        out.push((c.case_id.unwrap_or_default(), "filed_correspondence_awaiting_review", due, c.id, format!("{} correspondence placed on file on {}: a manager must read it for new issues and safeguarding concerns (5.2)", c.channel.as_str(), c.occurred_at.date_naive())));
    }
    for l in letter::Entity::find()
        .filter(letter::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .filter(letter::Column::SentAt.is_null())
        .all(db)
        .await?
    {
        let due = l.issued_at.date_naive() + Duration::days(LETTER_SEND_WITHIN_DAYS);
        out.push((
            l.case_id,
            "letter_not_sent",
            due,
            l.id,
            format!(
                "{} letter issued on {} not yet sent",
                l.kind.as_str().replace('_', " "),
                l.issued_at.date_naive()
            ),
        ));
    }
    let mut deadlines: Vec<Deadline> = out
        .into_iter()
        .filter(|(_, kind, due, ..)| *kind == "appeal_window_closing" || *due <= horizon)
        .map(|(case_id, kind, due_on, record, summary)| Deadline {
            kind: kind.to_string(),
            due_on,
            overdue: due_on < today,
            case_id: (case_id > 0).then(|| ID(case_id.to_string())),
            case_reference: cases.get(&case_id).cloned(),
            record_id: ID(record.to_string()),
            summary,
        })
        .collect();
    deadlines.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.kind.cmp(&b.kind)));
    deadlines.truncate(500);
    Ok(deadlines)
}

/// Correspondence placed on file is read by a manager within this many days (5.2).
const FILED_READ_WITHIN_DAYS: i64 = 5;
/// A letter issued is sent within this many days.
const LETTER_SEND_WITHIN_DAYS: i64 = 2;

/// Desk mutations.
#[derive(Default)]
pub struct DeskMutation;

/// Record the breaches a blocked contact makes (5.6), flagging the case for an ignored
/// exclusion. Returns the breach ids.
async fn record_breaches(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    verdict: &Verdict,
    contact: &contact::Model,
) -> ApiResult<Vec<i64>> {
    let mut ids = Vec::new();
    for finding in verdict.findings.iter().filter(|f| f.blocks) {
        let (case_id, restriction_id, exclusion_id, exclusion_like) = match finding.source {
            Source::Restriction(id) => {
                let r = restriction::Entity::find_by_id(id)
                    .one(txn)
                    .await?
                    .ok_or_else(|| ApiError::internal("restriction vanished"))?;
                let exclusion_like = r.kind == RestrictionKind::EstablishmentExclusion
                    || matches!(&r.parameters, RestrictionParameters::Termination(t) if t.permanent_exclusion_from_premises);
                (r.case_id, Some(id), None, exclusion_like)
            }
            Source::Exclusion(id) => {
                let e = exclusion::Entity::find_by_id(id)
                    .one(txn)
                    .await?
                    .ok_or_else(|| ApiError::internal("exclusion vanished"))?;
                (e.case_id, None, Some(id), true)
            }
        };
        let b = breach::ActiveModel {
            case_id: Set(case_id),
            restriction_id: Set(restriction_id),
            exclusion_id: Set(exclusion_id),
            contact_id: Set(Some(contact.id)),
            occurred_at: Set(contact.occurred_at),
            description: Set(format!(
                "Contact {} {}: {}",
                contact.direction.as_str(),
                contact.channel.as_str(),
                finding.instruction
            )),
            recorded_by: Set(request.principal.subject.clone()),
            flagged_for_review: Set(exclusion_like),
            outcome: Set(BreachOutcome::Pending),
            version: Set(1),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        ids.push(b.id);
        if exclusion_like && let Some(case) = upc_case::Entity::find_by_id(case_id).one(txn).await?
        {
            update_versioned::<upc_case::Entity>(
                txn,
                case.id,
                case.version,
                upc_case::ActiveModel {
                    flagged_for_review: Set(true),
                    flag_reason: Set(Some(format!(
                        "exclusion ignored on {}: review at once, extend or make permanent (5.6)",
                        contact.occurred_at.date_naive()
                    ))),
                    ..Default::default()
                },
                "case",
            )
            .await?;
        }
    }
    Ok(ids)
}

#[Object]
impl DeskMutation {
    /// Log a contact with a customer. Repeat correspondence on a matter already addressed is
    /// screened (5.2): without a new issue it is placed on file without reply and waits for a
    /// manager to read it. An inbound contact that a restriction or exclusion in force forbids
    /// records a breach linked to both (5.6); an ignored exclusion flags the case for review.
    async fn log_contact(
        &self,
        ctx: &Context<'_>,
        input: LogContactInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<LoggedContact> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let key = Idempotency::new(idempotency_key, "logContact", &input)?;
        let channel = parse_enum("channel", &input.channel, ContactChannel::ALL)?;
        let direction = parse_enum("direction", &input.direction, ContactDirection::ALL)?;
        let customer_id = parse_id("customerId", &input.customer_id)?;
        let summary = required("summary", &input.summary)?;
        let occurred_at = input.occurred_at.unwrap_or_else(Utc::now);
        if occurred_at > Utc::now() + Duration::minutes(5) {
            return Err(ApiError::bad_input(
                "occurredAt",
                "occurredAt is in the future",
            ));
        }
        let establishment_id = match &input.establishment_id {
            Some(id) => Some(parse_id("establishmentId", id)?),
            None => None,
        };
        let repeat = input.repeat_correspondence.unwrap_or(false);
        let outcome = match (repeat, input.raises_new_issue) {
            (true, None) => {
                return Err(ApiError::bad_input(
                    "raisesNewIssue",
                    "repeat correspondence must be read for a new issue: say whether it raises one (5.2)",
                ));
            }
            (true, Some(false)) => ContactOutcome::PlacedOnFile,
            _ => match optional("outcome", input.outcome.as_deref())? {
                None => ContactOutcome::Pending,
                Some(o) => {
                    let o = parse_enum("outcome", &o, ContactOutcome::ALL)?;
                    if o == ContactOutcome::PlacedOnFile {
                        return Err(ApiError::bad_input(
                            "outcome",
                            "only repeat correspondence raising no new issue is placed on file (5.2): set repeatCorrespondence and raisesNewIssue",
                        ));
                    }
                    o
                }
            },
        };
        let txn = db.begin().await?;
        if let Some(first) = replayed::<LoggedContact, _>(&txn, request, &key).await? {
            return Ok(first);
        }
        let service = service_by_code(&txn, &input.service_code).await?;
        if !acts_for(&request.principal, DESK_ROLES, &service.code) {
            return Err(ApiError::Forbidden(format!(
                "you do not work in {}: log contacts for your own services",
                service.code
            )));
        }
        if customer::Entity::find_by_id(customer_id)
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(ApiError::bad_input(
                "customerId",
                format!("no customer {customer_id}"),
            ));
        }
        let officer = officer_of(&txn, input.officer_staff_id.as_ref()).await?;
        let case = upc_case::Entity::find()
            .filter(upc_case::Column::CustomerId.eq(customer_id))
            .filter(upc_case::Column::ServiceId.eq(service.id))
            .filter(upc_case::Column::Status.eq(CaseStatus::Open))
            .one(&txn)
            .await?;
        let proposed = Proposed {
            channel,
            at: occurred_at,
            officer,
            establishment_id,
        };
        // The check sees the contacts logged before this one.
        let verdict = contact_check(&txn, service.id, customer_id, &proposed).await?;
        let now = Utc::now();
        let logged = contact::ActiveModel {
            customer_id: Set(customer_id),
            service_id: Set(service.id),
            case_id: Set(case.as_ref().map(|c| c.id)),
            channel: Set(channel),
            direction: Set(direction),
            occurred_at: Set(occurred_at),
            officer_staff_id: Set(officer.map(|(id, _)| id)),
            establishment_id: Set(establishment_id),
            recorded_by: Set(request.principal.subject.clone()),
            summary: Set(summary),
            outcome: Set(outcome),
            raises_new_issue: Set(if repeat { input.raises_new_issue } else { None }),
            filed_reviewed_at: Set(None),
            filed_reviewed_by: Set(None),
            safeguarding_concern: Set(input.safeguarding_concern.unwrap_or(false)),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let breach_ids = if direction == ContactDirection::Inbound {
            record_breaches(&txn, request, &verdict, &logged).await?
        } else {
            Vec::new()
        };
        audit::record(
            &txn,
            request,
            Change {
                action: "contact.log",
                entity_type: "contact",
                entity_id: logged.id.to_string(),
                case_id: logged.case_id,
                before: None,
                after: serde_json::to_value(serde_json::json!({"contact": logged, "allowed": verdict.allowed, "breaches": breach_ids})).ok(),
                reason: None,
            },
        )
        .await?;
        let result = LoggedContact {
            allowed: verdict.allowed,
            findings: check_view(verdict, service.code, occurred_at).findings,
            breach_ids: breach_ids.iter().map(|id| ID(id.to_string())).collect(),
            contact: logged.clone().into(),
        };
        remember(&txn, request, &key, "contact", logged.id, &result).await?;
        txn.commit().await?;
        Ok(result)
    }

    /// A manager reads correspondence placed on file (5.2) and records whether it raises a new
    /// issue or a safeguarding concern; it then leaves the queue.
    async fn review_filed_contact(
        &self,
        ctx: &Context<'_>,
        input: ReviewFiledContactInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Contact> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let key = Idempotency::new(idempotency_key, "reviewFiledContact", &input)?;
        let id = parse_id("contactId", &input.contact_id)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<contact::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        let found = contact::Entity::find_by_id(id)
            .filter(service_condition(
                &request.principal,
                contact::Column::ServiceId,
            ))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no contact {id} that you may see")))?;
        let code = crate::graphql::steps::service_code(&txn, found.service_id).await?;
        if !acts_for(&request.principal, FILE_REVIEWERS, &code) {
            return Err(ApiError::Forbidden(
                "a Service manager or Head of Service of the service reads filed correspondence"
                    .into(),
            ));
        }
        if found.outcome != ContactOutcome::PlacedOnFile || found.filed_reviewed_at.is_some() {
            return Err(ApiError::InvalidTransition {
                message: format!("contact {id} is not awaiting a manager's reading"),
                current: found.outcome.as_str().to_string(),
                allowed: Vec::new(),
            });
        }
        let after = update_versioned::<contact::Entity>(
            &txn,
            id,
            input.version,
            contact::ActiveModel {
                filed_reviewed_at: Set(Some(Utc::now())),
                filed_reviewed_by: Set(Some(request.principal.subject.clone())),
                raises_new_issue: Set(Some(input.raises_new_issue)),
                safeguarding_concern: Set(input.safeguarding_concern || found.safeguarding_concern),
                outcome: Set(if input.raises_new_issue {
                    ContactOutcome::Pending
                } else {
                    ContactOutcome::PlacedOnFile
                }),
                ..Default::default()
            },
            "contact",
        )
        .await?;
        audit::record(
            &txn,
            request,
            Change {
                case_id: after.case_id,
                ..Change::updated("contact.review_filed", "contact", id, &found, &after)
            },
        )
        .await?;
        remember(&txn, request, &key, "contact", after.id, &after).await?;
        txn.commit().await?;
        Ok(after.into())
    }
}
