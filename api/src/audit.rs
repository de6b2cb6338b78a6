//! Writing audit events. Every mutation writes its event inside its own transaction, so a change
//! and its record stand or fall together. (The tamper-evident chain is kept simple here: each
//! event's hash covers the previous event's hash and its own content.)

use chrono::Utc;
use entities::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};

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
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    request: &RequestContext,
    change: Change<'_>,
) -> ApiResult<()> {
    let prev = audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Id)
        .limit(1)
        .one(txn)
        .await?
        .map(|e| e.hash);
    let roles: Vec<&str> = request.principal.roles.iter().map(|r| r.as_str()).collect();
    let occurred_at = Utc::now();
    let content = serde_json::json!({
        "occurred_at": occurred_at.to_rfc3339(),
        "actor_sub": request.principal.subject,
        "actor_roles": roles,
        "action": change.action,
        "entity_type": change.entity_type,
        "entity_id": change.entity_id,
        "case_id": change.case_id,
        "before": change.before,
        "after": change.after,
        "reason": change.reason,
        "request_id": request.request_id,
    });
    let mut hasher = Sha256::new();
    hasher.update(prev.as_deref().unwrap_or("").as_bytes());
    hasher.update(content.to_string().as_bytes());
    let hash = format!("{:x}", hasher.finalize());
    audit_event::ActiveModel {
        occurred_at: Set(occurred_at),
        actor_sub: Set(request.principal.subject.clone()),
        actor_name: Set(request.principal.name.clone()),
        actor_roles: Set(roles.join(",")),
        action: Set(change.action.to_string()),
        entity_type: Set(change.entity_type.to_string()),
        entity_id: Set(Some(change.entity_id)),
        case_id: Set(change.case_id),
        before: Set(change.before),
        after: Set(change.after),
        reason: Set(change.reason),
        request_id: Set(Some(request.request_id.clone())),
        prev_hash: Set(prev),
        hash: Set(hash),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
