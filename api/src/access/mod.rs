//! Who looked (issue 7): every time a request shows a member of staff a sensitive part of a
//! customer's record, an access record says who, when, in which request and operation, which case
//! or customer, and what kind of information it was.
//!
//! Sensitive means the fields in [`SENSITIVE_FIELDS`]: a customer's identity and contact details,
//! descriptions of behaviour and of incidents, police references, letters, what the customer said
//! or wrote, and the before/after of audit events. A read counts when the operation *selected* one
//! of those fields (aliases and fragments included) on a record it returned, and the caller's roles
//! may read that field (a field the policy refuses is not a read).
//!
//! Recording is batched per HTTP request: the handler puts one [`AccessLog`] in the request data,
//! resolvers note `(case, customer, category)` in it (deduplicated), and after the operations have
//! run the handler hands everything to the [`AccessWriter`] ([`AccessLog::flush`]) and waits. The
//! records are stored one row per operation and category (`access_read`, listing the cases and
//! customers), so a page of 50 cases costs one row, not 50.
//!
//! The writer commits the records of many requests together (group commit, see [`writer`]): one
//! background task takes a request's rows, then every other request's already waiting (up to
//! [`writer::MAX_BATCH_ROWS`] rows), writes them all in one statement — on PostgreSQL a single
//! prepared `INSERT … SELECT FROM UNNEST(arrays)` whatever the row count, on SQLite multi-row
//! `INSERT`s in one transaction — and only then answers each request. So every record is
//! committed, durably (no `synchronous_commit = off`), before the response that revealed the data
//! is sent, yet under load one commit carries many requests. If the combined write fails, each
//! request's rows are written again on their own, so one bad request fails only itself; if the
//! writer has stopped, the write fails like any other.
//!
//! If that write fails, the read is not allowed to succeed silently: every operation of the
//! request that read something sensitive is answered with `INTERNAL_SERVER_ERROR` (and a
//! correlation id) instead of its data. A mutation among them has already committed its change;
//! the error says so, and the change stands.

pub mod writer;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::{Context, Pos};
use chrono::Utc;
use entities::upc_case;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub use entities::access_read::AccessCategory as Category;
pub use writer::AccessWriter;

use crate::auth::Principal;
use crate::authz::caller;
use crate::authz::policy::{Verdict, verdict};
use crate::error::ApiError;

/// The sensitive fields of the API: `(GraphQL type, field, what reading it reveals)`.
pub const SENSITIVE_FIELDS: &[(&str, &str, Category)] = &[
    ("Customer", "displayName", Category::CustomerIdentity),
    ("Customer", "address", Category::ContactDetails),
    ("Customer", "email", Category::ContactDetails),
    ("Customer", "phone", Category::ContactDetails),
    (
        "BehaviourReport",
        "description",
        Category::BehaviourDescription,
    ),
    ("Breach", "description", Category::BehaviourDescription),
    ("HsIncident", "reasons", Category::IncidentDescription),
    ("HsIncident", "hsV1Reference", Category::IncidentDescription),
    ("Exclusion", "reasons", Category::IncidentDescription),
    (
        "Exclusion",
        "agreementReasons",
        Category::IncidentDescription,
    ),
    ("CallTermination", "reason", Category::IncidentDescription),
    (
        "CallTermination",
        "warningGiven",
        Category::IncidentDescription,
    ),
    (
        "HarassmentReferral",
        "reasons",
        Category::IncidentDescription,
    ),
    ("RecordingRequest", "context", Category::IncidentDescription),
    (
        "PoliceReferral",
        "policeReference",
        Category::PoliceReference,
    ),
    ("PoliceReferral", "notes", Category::PoliceReference),
    ("Letter", "subject", Category::Letter),
    ("Letter", "bodyText", Category::Letter),
    ("Letter", "bodyHtml", Category::Letter),
    ("Contact", "summary", Category::Correspondence),
    (
        "NewIssueConsideration",
        "description",
        Category::Correspondence,
    ),
    ("AuditEvent", "before", Category::AuditTrail),
    ("AuditEvent", "after", Category::AuditTrail),
    ("AuditEvent", "reason", Category::AuditTrail),
];

/// The `Case` fields that list a case's records: `(table, Case field, GraphQL type)`.
const CASE_LISTS: &[(&str, &str, &str)] = &[
    ("behaviour_report", "reports", "BehaviourReport"),
    ("breach", "breaches", "Breach"),
    (
        "new_issue_consideration",
        "newIssueConsiderations",
        "NewIssueConsideration",
    ),
    ("contact", "contacts", "Contact"),
    ("letter", "letters", "Letter"),
    ("hs_incident", "hsIncidents", "HsIncident"),
    ("exclusion", "exclusions", "Exclusion"),
    ("police_referral", "policeReferrals", "PoliceReferral"),
    ("call_termination", "callTerminations", "CallTermination"),
    (
        "harassment_referral",
        "harassmentReferrals",
        "HarassmentReferral",
    ),
    ("recording_request", "recordingRequests", "RecordingRequest"),
];

/// One sensitive read, as noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Read {
    /// Which operation of the request (its index in a batch).
    operation: usize,
    case_id: Option<i64>,
    customer_id: Option<i64>,
    category: Category,
}

#[derive(Debug, Default)]
struct Pending {
    /// Index of the operation running now.
    operation: usize,
    /// Each finished operation's label (`type:name`).
    labels: Vec<String>,
    /// What was read, deduplicated.
    reads: BTreeSet<Read>,
}

/// The sensitive reads of one HTTP request, written when the request is answered.
#[derive(Debug, Clone, Default)]
pub struct AccessLog(Arc<Mutex<Pending>>);

/// Writing a request's access records failed: the operations that read something must not be
/// answered with what they read.
#[derive(Debug)]
pub struct FlushFailed {
    /// The client-safe error (already logged with its correlation id).
    pub error: ApiError,
    /// Indexes of the operations of the request whose answers are withheld.
    pub operations: BTreeSet<usize>,
}

impl FlushFailed {
    /// The answer that replaces a withheld operation's: no data, one `INTERNAL_SERVER_ERROR`.
    pub fn response(&self) -> async_graphql::Response {
        let mut err: async_graphql::Error = self.error.clone().into();
        let id = match &self.error {
            ApiError::Internal { correlation_id } => correlation_id.as_str(),
            _ => "",
        };
        err.message = format!(
            "who read this could not be recorded, so the answer is withheld; a change the \
             operation made, if any, was saved (correlation id {id})"
        );
        async_graphql::Response::from_errors(vec![err.into_server_error(Pos::default())])
    }
}

impl AccessLog {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Note one read in the operation running now.
    pub fn add(&self, case_id: Option<i64>, customer_id: Option<i64>, category: Category) {
        if case_id.is_none() && customer_id.is_none() {
            return;
        }
        let mut pending = self.pending();
        let operation = pending.operation;
        pending.reads.insert(Read {
            operation,
            case_id,
            customer_id,
            category,
        });
    }

    /// The operation running now has finished; `label` names it in the records (`type:name`).
    pub fn operation_done(&self, label: String) {
        let mut pending = self.pending();
        pending.labels.push(label);
        pending.operation += 1;
    }

    /// How many distinct reads are waiting to be written.
    pub fn len(&self) -> usize {
        self.pending().reads.len()
    }

    /// True when nothing sensitive was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Write every read noted so far as access records of `principal`'s request `request_id`,
    /// through `writer` (with other requests' records, in one commit), and wait until they are
    /// committed. Nothing to write costs nothing. Reads noted with a case but no customer get
    /// the case's customer (one `SELECT`, only when there are such reads).
    pub async fn flush(
        &self,
        writer: &AccessWriter,
        principal: &Principal,
        request_id: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<usize, FlushFailed> {
        let (reads, labels) = {
            let mut pending = self.pending();
            (std::mem::take(&mut pending.reads), pending.labels.clone())
        };
        if reads.is_empty() {
            return Ok(0);
        }
        let operations: BTreeSet<usize> = reads.iter().map(|r| r.operation).collect();
        let failed = |error: ApiError| FlushFailed {
            error,
            operations: operations.clone(),
        };
        let customers = customers_of_cases(writer.db(), &reads)
            .await
            .map_err(|e| failed(e.into()))?;
        let now = Utc::now();
        let roles: Vec<&str> = principal.roles.iter().map(|r| r.as_str()).collect();
        let roles = roles.join(",");
        let client_address = client.map(|a| a.to_string());
        // One row per operation and category, naming every case and customer read.
        let mut groups: BTreeMap<(usize, Category), Vec<writer::Subject>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for read in reads {
            let customer_id = read
                .customer_id
                .or_else(|| read.case_id.and_then(|c| customers.get(&c).copied()));
            // Filling in a customer can make two reads the same.
            if !seen.insert((read.operation, read.case_id, customer_id, read.category)) {
                continue;
            }
            groups
                .entry((read.operation, read.category))
                .or_default()
                .push((read.case_id, customer_id));
        }
        let written = seen.len();
        let mut rows: Vec<writer::Row> = Vec::with_capacity(groups.len());
        for ((operation, category), records) in groups {
            let operation = labels
                .get(operation)
                .cloned()
                .unwrap_or_else(|| "unknown".to_string());
            for chunk in records.chunks(entities::access_read::RECORDS_PER_ROW) {
                rows.push(writer::Row {
                    occurred_at: now,
                    actor_sub: principal.subject.clone(),
                    actor_name: principal.name.clone(),
                    actor_roles: roles.clone(),
                    request_id: request_id.to_string(),
                    client_address: client_address.clone(),
                    operation: operation.clone(),
                    category,
                    records: chunk.to_vec(),
                });
            }
        }
        match writer.write(rows).await {
            Ok(()) => Ok(written),
            Err(e) => Err(failed(ApiError::internal(format!(
                "writing {written} access records: {e}"
            )))),
        }
    }
}

/// The customer of each case read without a customer.
async fn customers_of_cases(
    db: &DatabaseConnection,
    reads: &BTreeSet<Read>,
) -> Result<BTreeMap<i64, i64>, sea_orm::DbErr> {
    let cases: BTreeSet<i64> = reads
        .iter()
        .filter(|r| r.customer_id.is_none())
        .filter_map(|r| r.case_id)
        .collect();
    if cases.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(upc_case::Entity::find()
        .filter(upc_case::Column::Id.is_in(cases))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.customer_id))
        .collect())
}

/// The request's access log, if it has one (every `POST /graphql` does).
fn log<'a>(ctx: &Context<'a>) -> Option<&'a AccessLog> {
    let log = ctx.data_opt::<AccessLog>();
    if log.is_none() {
        tracing::error!(
            field = %ctx.field().name(),
            "a sensitive field was read outside a request with an access log: not recorded"
        );
    }
    log
}

/// The categories of the sensitive fields of `type_name` that the current field selects (under
/// `path` within it) and the caller may read.
fn selected(ctx: &Context<'_>, type_name: &str, path: &[&str]) -> BTreeSet<Category> {
    let Ok(request) = caller(ctx) else {
        return BTreeSet::new();
    };
    let roles: Vec<_> = request.principal.roles.iter().copied().collect();
    let mut selection = ctx.look_ahead();
    for step in path {
        selection = selection.field(step);
    }
    SENSITIVE_FIELDS
        .iter()
        .filter(|(ty, field, _)| {
            *ty == type_name
                && selection.field(field).exists()
                && verdict(ty, field, &roles) == Verdict::Allow
        })
        .map(|(_, _, category)| *category)
        .collect()
}

/// In a resolver returning `type_name` (or a list of it): note that the caller read the
/// sensitive fields they selected on a record of `case_id` / `customer_id`.
pub fn note(ctx: &Context<'_>, type_name: &str, case_id: Option<i64>, customer_id: Option<i64>) {
    note_at(ctx, type_name, &[], case_id, customer_id);
}

/// As [`note`], for records found under `path` within the current field (e.g. a connection's
/// nodes: `["nodes"]` and `["edges", "node"]`, call once for each).
pub fn note_at(
    ctx: &Context<'_>,
    type_name: &str,
    path: &[&str],
    case_id: Option<i64>,
    customer_id: Option<i64>,
) {
    let categories = selected(ctx, type_name, path);
    if categories.is_empty() {
        return;
    }
    if let Some(log) = log(ctx) {
        for category in categories {
            log.add(case_id, customer_id, category);
        }
    }
}

/// Note a read that is sensitive whatever was selected (a subject access export).
pub fn note_category(
    ctx: &Context<'_>,
    case_id: Option<i64>,
    customer_id: Option<i64>,
    category: Category,
) {
    if let Some(log) = log(ctx) {
        log.add(case_id, customer_id, category);
    }
}

/// In a `Case` field listing the case's records of table `table`: note the sensitive fields
/// selected on them, when there are any rows. Returns the rows unchanged, so the call wraps the
/// load.
pub fn case_list<T>(
    ctx: &Context<'_>,
    table: &str,
    case: &upc_case::Model,
    rows: Vec<T>,
) -> Vec<T> {
    if rows.is_empty() {
        return rows;
    }
    let field = ctx.field();
    let listed = CASE_LISTS
        .iter()
        .find(|(t, case_field, _)| *t == table && field.name() == *case_field);
    if let Some((_, _, type_name)) = listed {
        note(ctx, type_name, Some(case.id), Some(case.customer_id));
    }
    rows
}

/// [`case_list`] for the case's behaviour reports (`Case.reports`).
pub fn case_reports<T>(ctx: &Context<'_>, case: &upc_case::Model, rows: Vec<T>) -> Vec<T> {
    case_list(ctx, "behaviour_report", case, rows)
}

/// [`case_list`] for the case's records of entity `E`.
pub fn case_records<E: EntityTrait>(
    ctx: &Context<'_>,
    case: &upc_case::Model,
    rows: Vec<E::Model>,
) -> Vec<E::Model> {
    case_list(ctx, E::default().table_name(), case, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::policy::FIELDS;

    #[test]
    fn every_sensitive_field_is_in_the_policy() {
        for (ty, field, _) in SENSITIVE_FIELDS {
            let key = format!("{ty}.{field}");
            assert!(
                FIELDS.iter().any(|(k, _)| *k == key),
                "{key} is not a field of the policy table"
            );
        }
    }

    #[test]
    fn every_category_but_exports_has_a_field() {
        for category in Category::ALL {
            if *category == Category::SubjectAccessExport {
                continue;
            }
            assert!(
                SENSITIVE_FIELDS.iter().any(|(_, _, c)| c == category),
                "{category:?}"
            );
        }
    }

    #[test]
    fn reads_are_deduplicated_per_operation() {
        let log = AccessLog::default();
        log.add(Some(1), Some(2), Category::Letter);
        log.add(Some(1), Some(2), Category::Letter);
        log.add(None, None, Category::Letter);
        assert_eq!(log.len(), 1);
        log.operation_done("query:a".into());
        log.add(Some(1), Some(2), Category::Letter);
        assert_eq!(log.len(), 2);
    }
}
