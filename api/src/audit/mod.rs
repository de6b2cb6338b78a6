//! Writing audit events. Every mutation writes its event inside its own transaction, so a change
//! and its record stand or fall together.
//!
//! The events form a tamper-evident chain: each event's hash covers the previous event's hash
//! and its own canonical content ([`chain`] documents the scheme), writers are serialised so the
//! chain cannot fork, and the database refuses to change or delete an event (migration
//! `m20261128_000007_audit_chain`). `upc-api audit verify` ([`verify`]) walks the chain.

pub mod chain;
pub mod command;
pub mod verify;

use chrono::Utc;
use entities::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::authz::RequestContext;
use crate::error::ApiResult;

/// One change to record.
pub struct Change<'a> {
    /// What was done, e.g. `service.create`.
    pub action: &'a str,
    /// The kind of record changed, e.g. `service`.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: String,
    /// The case it belongs to, if any.
    pub case_id: Option<i64>,
    /// The record before (None for a creation).
    pub before: Option<serde_json::Value>,
    /// The record after (None for a deletion).
    pub after: Option<serde_json::Value>,
    /// The reason given, if any.
    pub reason: Option<String>,
}

impl<'a> Change<'a> {
    /// A record created outside any case.
    pub fn created<T: serde::Serialize>(
        action: &'a str,
        entity_type: &'a str,
        id: i64,
        after: &T,
    ) -> Self {
        Change {
            action,
            entity_type,
            entity_id: id.to_string(),
            case_id: None,
            before: None,
            after: serde_json::to_value(after).ok(),
            reason: None,
        }
    }

    /// A record changed outside any case.
    pub fn updated<T: serde::Serialize>(
        action: &'a str,
        entity_type: &'a str,
        id: i64,
        before: &T,
        after: &T,
    ) -> Self {
        Change {
            before: serde_json::to_value(before).ok(),
            ..Change::created(action, entity_type, id, after)
        }
    }

    /// A record deleted outside any case.
    pub fn deleted<T: serde::Serialize>(
        action: &'a str,
        entity_type: &'a str,
        id: i64,
        before: &T,
    ) -> Self {
        Change {
            after: None,
            ..Change::updated(action, entity_type, id, before, before)
        }
    }
}

/// Append an audit event for `change` by the caller of `request`, on `txn`.
///
/// `txn` must be the mutation's transaction: the event commits or rolls back with the change,
/// and on PostgreSQL the lock that keeps audit writers to one at a time is held until it ends.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    request: &RequestContext,
    change: Change<'_>,
) -> ApiResult<()> {
    chain::serialise_writers(txn).await?;
    let prev_hash = chain::head(txn)
        .await?
        .map_or_else(|| chain::GENESIS.to_string(), |(_, hash)| hash);
    let roles: Vec<&str> = request.principal.roles.iter().map(|r| r.as_str()).collect();
    let actor_roles = roles.join(",");
    let occurred_at = chain::to_micros(Utc::now());
    let client_address = request.client_address.map(|a| a.to_string());
    // Hash the payload as it will read back from the database.
    let before = change.before.map(chain::normalise_json);
    let after = change.after.map(chain::normalise_json);
    let payload_hash =
        chain::payload_hash(before.as_ref(), after.as_ref(), change.reason.as_deref());
    let hash = chain::EventFields {
        occurred_at,
        actor_sub: &request.principal.subject,
        actor_name: request.principal.name.as_deref(),
        actor_roles: &actor_roles,
        action: change.action,
        entity_type: change.entity_type,
        entity_id: Some(&change.entity_id),
        case_id: change.case_id,
        request_id: Some(&request.request_id),
        client_address: client_address.as_deref(),
        prev_hash: Some(&prev_hash),
        payload_hash: Some(&payload_hash),
        legacy_hash: None,
    }
    .hash();
    audit_event::ActiveModel {
        occurred_at: Set(occurred_at),
        actor_sub: Set(request.principal.subject.clone()),
        actor_name: Set(request.principal.name.clone()),
        actor_roles: Set(actor_roles),
        action: Set(change.action.to_string()),
        entity_type: Set(change.entity_type.to_string()),
        entity_id: Set(Some(change.entity_id)),
        case_id: Set(change.case_id),
        before: Set(before),
        after: Set(after),
        reason: Set(change.reason),
        request_id: Set(Some(request.request_id.clone())),
        client_address: Set(client_address),
        prev_hash: Set(Some(prev_hash)),
        hash: Set(hash),
        payload_hash: Set(Some(payload_hash)),
        legacy_hash: Set(None),
        redacted_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
