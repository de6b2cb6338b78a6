//! At the point of contact: the contact check, the contact log (with the screening of repeat
//! correspondence, 5.2, and breaches, 5.6), the manager's queue of correspondence placed on
//! file, and the deadlines list. The rules are in [`crate::domain::contact`] and
//! [`crate::domain::deadlines`].

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::contact;
use entities::enums::{ContactChannel, ContactDirection, ContactOutcome};

use crate::domain::contact::{LogContact, ReviewFiledContact, Source, Verdict};
use crate::domain::values::{ContactId, CustomerId, EstablishmentId, StaffMemberId, Text, choice};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{id, parse_id, parse_opt_id};
use crate::graphql::steps::{key, session};
use crate::store::Session;

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

/// The contact check `input` asks for, by `session`'s caller: the resolver's, and the planned
/// read path's (`graphql::plan::contact`), so both take and refuse the same input the same way.
pub(crate) async fn contact_check(
    session: Session<'_>,
    input: ContactCheckInput,
) -> ApiResult<ContactCheck> {
    let channel = choice("channel", &input.channel, ContactChannel::ALL)?;
    let customer = parse_id::<CustomerId>("customerId", &input.customer_id)?;
    let establishment =
        parse_opt_id::<EstablishmentId>("establishmentId", input.establishment_id.as_ref())?;
    let officer = parse_opt_id::<StaffMemberId>("officerStaffId", input.officer_staff_id.as_ref())?;
    let (code, proposed, verdict) = session
        .contact_check(
            customer,
            &input.service_code,
            channel,
            input.at,
            officer,
            establishment,
        )
        .await?;
    Ok(check_view(verdict, code, proposed.at))
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
                    Source::Restriction(r) => (Some(id(r)), None),
                    Source::Exclusion(e) => (None, Some(id(e))),
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
            case_id: m.case_id.map(id),
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
    /// `appeal_window_closing`, `review_due`, `warning_period_ending`,
    /// `temporary_exclusion_ending`, `breach_awaiting_review`,
    /// `filed_correspondence_awaiting_review` or `letter_not_sent`.
    pub kind: String,
    /// The date it is due by.
    pub due_on: NaiveDate,
    /// Past its date.
    pub overdue: bool,
    /// The case, when it belongs to one.
    pub case_id: Option<ID>,
    /// The case reference.
    pub case_reference: Option<String>,
    /// The record concerned (case, Stage 1 warning, exclusion, breach, contact or letter).
    pub record_id: ID,
    /// What is due, without names or free text.
    pub summary: String,
}

/// Desk queries.
#[derive(Default)]
pub struct DeskQuery;

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
        contact_check(session(ctx)?, input).await
    }

    /// Correspondence placed on file without reply (5.2) that no manager has read yet, oldest
    /// first, in your services; at most 200. Nothing filed is dropped: it stays here until read.
    async fn filed_correspondence(&self, ctx: &Context<'_>) -> ApiResult<Vec<Contact>> {
        Ok(session(ctx)?
            .filed_correspondence()
            .await?
            .into_iter()
            .inspect(|c| crate::access::note(ctx, "Contact", c.case_id, Some(c.customer_id)))
            .map(Contact::from)
            .collect())
    }

    /// Everything due or overdue in your services within `withinDays` (default 14), soonest
    /// first: appeal windows closing, reviews due, Stage 1 warning periods ending (the case
    /// then closes unless further behaviour was reported), temporary exclusions ending,
    /// breaches awaiting review, filed correspondence awaiting a manager, letters not yet sent.
    async fn deadlines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days ahead to look, 0 to 366 (default 14).")]
        within_days: Option<i32>,
    ) -> ApiResult<Vec<Deadline>> {
        let within = within_days.unwrap_or(14);
        if !(0..=366).contains(&within) {
            return Err(ApiError::bad_input(
                "withinDays",
                "withinDays must be from 0 to 366",
            ));
        }
        Ok(session(ctx)?
            .deadlines(i64::from(within))
            .await?
            .into_iter()
            .map(|d| Deadline {
                kind: d.kind.to_string(),
                due_on: d.due_on,
                overdue: d.overdue,
                case_id: d.case_id.map(id),
                case_reference: d.case.map(|(_, reference)| reference),
                record_id: id(d.record_id),
                summary: d.summary,
            })
            .collect())
    }
}

/// Desk mutations.
#[derive(Default)]
pub struct DeskMutation;

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
        let key = key(idempotency_key, "logContact", &input)?;
        let s = session(ctx)?;
        let channel = choice("channel", &input.channel, ContactChannel::ALL)?;
        let direction = choice("direction", &input.direction, ContactDirection::ALL)?;
        let customer = parse_id::<CustomerId>("customerId", &input.customer_id)?;
        let summary = Text::parse("summary", &input.summary)?;
        let occurred_at = input.occurred_at.unwrap_or(s.now);
        let establishment =
            parse_opt_id::<EstablishmentId>("establishmentId", input.establishment_id.as_ref())?;
        let officer =
            parse_opt_id::<StaffMemberId>("officerStaffId", input.officer_staff_id.as_ref())?;
        let outcome = match Text::optional("outcome", input.outcome.as_deref())? {
            None => None,
            Some(o) => Some(choice("outcome", o.as_str(), ContactOutcome::ALL)?),
        };
        let (outcome, raises_new_issue) = LogContact::screen(
            input.repeat_correspondence.unwrap_or(false),
            input.raises_new_issue,
            outcome,
        )?;
        let cmd = LogContact {
            customer,
            service_code: input.service_code.clone(),
            channel,
            occurred_at,
            officer,
            establishment,
            direction,
            summary,
            outcome,
            raises_new_issue,
            safeguarding_concern: input.safeguarding_concern.unwrap_or(false),
        };
        let logged = s.log_contact(cmd, key).await?;
        let code = input.service_code.trim().to_string();
        Ok(LoggedContact {
            allowed: logged.verdict.allowed,
            findings: check_view(logged.verdict, code, logged.contact.occurred_at).findings,
            breach_ids: logged.breach_ids.into_iter().map(id).collect(),
            contact: logged.contact.into(),
        })
    }

    /// A manager reads correspondence placed on file (5.2) and records whether it raises a new
    /// issue or a safeguarding concern; it then leaves the queue.
    async fn review_filed_contact(
        &self,
        ctx: &Context<'_>,
        input: ReviewFiledContactInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Contact> {
        let key = key(idempotency_key, "reviewFiledContact", &input)?;
        let contact = parse_id::<ContactId>("contactId", &input.contact_id)?;
        let cmd = ReviewFiledContact {
            version: input.version,
            raises_new_issue: input.raises_new_issue,
            safeguarding_concern: input.safeguarding_concern,
        };
        let s = session(ctx)?;
        Ok(s.review_filed_contact(contact, cmd, key).await?.into())
    }
}
