//! Accountability (issue 7), for Legal Services and the Monitoring Officer: the audit trail and
//! the record of who looked, listed by case, customer, user and date range as Relay connections;
//! and, for Legal Services, the subject access bundle of one customer (UK GDPR).
//!
//! Reading an audit event's before, after or reason is itself a sensitive read (they hold the
//! records' content) and is access-recorded; exporting a subject access bundle writes an audit
//! event in its own transaction and an access record.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{access_read, audit_event};
use sea_orm::DatabaseConnection;

use crate::access::Category;
use crate::authz::caller;
use crate::domain::values::{CaseId, CustomerId, RecordId};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{cursor, page_size, parse_id};
use crate::graphql::steps::session;
use crate::store::reads::{self, TrailFilter};
use crate::subject_access::StaffNames;

/// Largest page of audit events or access records.
pub const MAX_PAGE: u64 = 100;

/// An event in the audit trail: one change, written in the same transaction as the change.
#[derive(SimpleObject, Clone)]
pub struct AuditEvent {
    /// Opaque id; also the event's place in the chain (ascending).
    pub id: ID,
    /// When the change was made.
    pub occurred_at: DateTime<Utc>,
    /// Who made it: the identity provider's subject.
    pub actor_sub: String,
    /// Their name at the time, if the token carried one.
    pub actor_name: Option<String>,
    /// Their roles at the time.
    pub actor_roles: Vec<String>,
    /// What was done, e.g. `case.issue_stage_1_warning` or `subject_access.export`.
    pub action: String,
    /// The kind of record changed, e.g. `restriction`.
    pub entity_type: String,
    /// The record's id.
    pub entity_id: Option<String>,
    /// The case the record belongs to, if any.
    pub case_id: Option<ID>,
    /// The record before the change (null for a creation). Reading it is access-recorded.
    pub before: Option<Json<serde_json::Value>>,
    /// The record after the change (null for a deletion). Reading it is access-recorded.
    pub after: Option<Json<serde_json::Value>>,
    /// The reason given. Reading it is access-recorded.
    pub reason: Option<String>,
    /// The request that made the change (also in the logs).
    pub request_id: Option<String>,
    /// The event's hash in the tamper-evident chain.
    pub hash: Option<String>,
    /// The previous event's hash (64 zeros for the first event).
    pub prev_hash: Option<String>,
    /// SHA-256 of the event's payload (before, after, reason), which `hash` covers: the chain
    /// stays verifiable after retention erases the payload.
    pub payload_hash: Option<String>,
    /// The hash the event had under the first hashing scheme, for events written before the
    /// chain was re-hashed.
    pub legacy_hash: Option<String>,
    /// When retention erased the payload (before, after and reason are then null).
    pub redacted_at: Option<DateTime<Utc>>,
}

fn roles(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

impl From<audit_event::Model> for AuditEvent {
    fn from(m: audit_event::Model) -> Self {
        AuditEvent {
            id: ID(m.id.to_string()),
            occurred_at: m.occurred_at,
            actor_sub: m.actor_sub,
            actor_name: m.actor_name,
            actor_roles: roles(&m.actor_roles),
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            case_id: m.case_id.map(|id| ID(id.to_string())),
            before: m.before.map(Json),
            after: m.after.map(Json),
            reason: m.reason,
            request_id: m.request_id,
            hash: Some(m.hash).filter(|h| !h.is_empty()),
            prev_hash: m.prev_hash,
            payload_hash: m.payload_hash,
            legacy_hash: m.legacy_hash,
            redacted_at: m.redacted_at,
        }
    }
}

/// One sensitive read: who was shown which kind of sensitive information about which case or
/// customer, and when.
#[derive(SimpleObject, Clone)]
pub struct AccessRecord {
    /// Opaque id.
    pub id: ID,
    /// When the request that read it was answered.
    pub occurred_at: DateTime<Utc>,
    /// Who read it: the identity provider's subject.
    pub actor_sub: String,
    /// Their name at the time, if the token carried one.
    pub actor_name: Option<String>,
    /// Their roles at the time.
    pub actor_roles: Vec<String>,
    /// The request (also in the logs and in audit events).
    pub request_id: String,
    /// The GraphQL operation, `type:name` (or `type:rootField+rootField`).
    pub operation: String,
    /// The case read, if the information belongs to one.
    pub case_id: Option<ID>,
    /// The customer read about.
    pub customer_id: Option<ID>,
    /// What was read: `customer_identity`, `contact_details`, `behaviour_description`,
    /// `incident_description`, `police_reference`, `letter`, `correspondence`, `audit_trail` or
    /// `subject_access_export`.
    pub category: String,
}

impl From<access_read::Record> for AccessRecord {
    fn from(m: access_read::Record) -> Self {
        AccessRecord {
            id: ID(m.id.to_string()),
            occurred_at: m.occurred_at,
            actor_sub: m.actor_sub,
            actor_name: m.actor_name,
            actor_roles: roles(&m.actor_roles),
            request_id: m.request_id,
            operation: m.operation,
            case_id: m.case_id.map(|id| ID(id.to_string())),
            customer_id: m.customer_id.map(|id| ID(id.to_string())),
            category: m.category.as_str().to_string(),
        }
    }
}

/// What to narrow audit events or access records to; every field is optional and they combine
/// with AND.
#[derive(InputObject, Default)]
pub struct AuditFilter {
    /// One case.
    pub case_id: Option<ID>,
    /// One customer: for audit events, events on their cases, on their customer record, and on
    /// their own records outside a case (contacts, requests to record); for access records,
    /// reads of them or of their cases.
    pub customer_id: Option<ID>,
    /// One user: the identity provider's subject of whoever acted or read.
    pub actor_sub: Option<String>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// At or before this time.
    pub to: Option<DateTime<Utc>>,
}

fn parse_filter(filter: Option<AuditFilter>) -> ApiResult<TrailFilter> {
    let f = filter.unwrap_or_default();
    let case = f
        .case_id
        .as_ref()
        .map(|id| parse_id::<CaseId>("filter.caseId", id).map(RecordId::get))
        .transpose()?;
    let customer = f
        .customer_id
        .as_ref()
        .map(|id| parse_id::<CustomerId>("filter.customerId", id).map(RecordId::get))
        .transpose()?;
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from > to
    {
        return Err(ApiError::bad_input("filter.to", "to is before from"));
    }
    let actor = f.actor_sub.map(|s| s.trim().to_string());
    if actor.as_deref() == Some("") {
        return Err(ApiError::bad_input("filter.actorSub", "actorSub is empty"));
    }
    Ok(TrailFilter {
        case,
        customer,
        actor,
        from: f.from,
        to: f.to,
    })
}

/// Audit and access-record queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit events, oldest first (the order of the chain), as a Relay connection (`first` at
    /// most 100, default 50). Narrow them with `filter`. Legal Services and the Monitoring
    /// Officer only.
    #[graphql(
        complexity = "1 + (first.unwrap_or(50).clamp(1, MAX_PAGE as i32) as usize) * child_complexity"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "What to narrow the list to; omit for every event.")] filter: Option<
            AuditFilter,
        >,
    ) -> ApiResult<Connection<i64, AuditEvent>> {
        caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = page_size(first, 50, MAX_PAGE)?;
        let after_id = cursor(after)?.unwrap_or(0);
        let filter = parse_filter(filter)?;
        let (rows, has_next) = reads::audit_events(db, &filter, after_id, limit).await?;
        let mut connection = Connection::new(after_id > 0, has_next);
        for row in rows {
            for path in [&["nodes"][..], &["edges", "node"][..]] {
                crate::access::note_at(
                    ctx,
                    "AuditEvent",
                    path,
                    row.case_id,
                    reads::customer_of(&row),
                );
            }
            connection
                .edges
                .push(Edge::new(row.id, AuditEvent::from(row)));
        }
        Ok(connection)
    }

    /// Access records (who was shown which sensitive information), oldest first, as a Relay
    /// connection (`first` at most 100, default 50). Narrow them with `filter`. Legal Services
    /// and the Monitoring Officer only.
    #[graphql(
        complexity = "1 + (first.unwrap_or(50).clamp(1, MAX_PAGE as i32) as usize) * child_complexity"
    )]
    async fn access_records(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "What to narrow the list to; omit for every record.")] filter: Option<
            AuditFilter,
        >,
    ) -> ApiResult<Connection<i64, AccessRecord>> {
        caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = page_size(first, 50, MAX_PAGE)?;
        let after_id = cursor(after)?.unwrap_or(0);
        let filter = parse_filter(filter)?;
        let (rows, has_next) = reads::access_records(db, &filter, after_id, limit).await?;
        let mut connection = Connection::new(after_id > 0, has_next);
        for row in rows {
            connection
                .edges
                .push(Edge::new(row.id, AccessRecord::from(row)));
        }
        Ok(connection)
    }
}

/// How many records of one kind a subject access bundle holds.
#[derive(SimpleObject, Clone)]
pub struct SubjectAccessCount {
    /// The kind, as the key in the JSON bundle: `customer`, `customer_members`,
    /// `representatives`, `reasonable_adjustments`, `cases`, `behaviour_reports`,
    /// `determinations`, `stage_1_warnings`, `appeals`, `stage_2_decisions`, `restrictions`,
    /// `breaches`, `new_issue_considerations`, `reviews`, `letters`, `hs_incidents`,
    /// `exclusions`, `police_referrals`, `call_terminations`, `harassment_referrals`, `contacts`,
    /// `recording_requests`, `notifications`, `access_records` or `audit_events`.
    pub kind: String,
    /// How many.
    pub count: i32,
}

/// Everything held about one customer, for a subject access request (UK GDPR).
#[derive(SimpleObject, Clone)]
pub struct SubjectAccessBundle {
    /// The customer.
    pub customer_id: ID,
    /// When the bundle was made.
    pub generated_at: DateTime<Utc>,
    /// `redacted` or `shown`: whether names and sign-in ids of council staff and elected
    /// Members are shown (setting `subject_access_staff_names`).
    pub staff_names: String,
    /// The bundle for machines: one key per kind of record (see `counts`), each record with
    /// every column the system holds.
    pub json: Json<serde_json::Value>,
    /// The bundle for people: a complete, printable HTML document.
    pub html: String,
    /// Records per kind.
    pub counts: Vec<SubjectAccessCount>,
}

/// The subject access export.
#[derive(Default)]
pub struct SubjectAccessMutation;

#[Object]
impl SubjectAccessMutation {
    /// Export everything held about one customer, as JSON and as a printable HTML document, for
    /// a subject access request. Legal Services only. The export is audited (action
    /// `subject_access.export`, with the counts, never the content) and access-recorded; the
    /// bundle shows the record as it stood just before.
    async fn subject_access_bundle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer whose records are requested.")] customer_id: ID,
        #[graphql(
            desc = "Why, e.g. the request's reference in the SAR log; kept in the audit event."
        )]
        reason: Option<String>,
    ) -> ApiResult<SubjectAccessBundle> {
        let customer = parse_id::<CustomerId>("customerId", &customer_id)?;
        let staff_names = ctx.data_opt::<StaffNames>().copied().unwrap_or_default();
        let bundle = session(ctx)?
            .export_subject_access(customer, staff_names, reason)
            .await?;
        let id = customer.get();
        crate::access::note_category(ctx, None, Some(id), Category::SubjectAccessExport);
        Ok(SubjectAccessBundle {
            customer_id: ID(id.to_string()),
            generated_at: bundle.generated_at,
            staff_names: staff_names.as_str().to_string(),
            counts: bundle
                .counts
                .iter()
                .map(|c| SubjectAccessCount {
                    kind: c.kind.to_string(),
                    count: i32::try_from(c.count).unwrap_or(i32::MAX),
                })
                .collect(),
            json: Json(bundle.json),
            html: bundle.html,
        })
    }
}
