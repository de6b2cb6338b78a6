//! The `audit_event` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One entry in the append-only, hash-chained audit log.
///
/// The hashing scheme (what `payload_hash` and `hash` cover) is documented and implemented in
/// the API's `audit::chain` module; `upc-api audit verify` recomputes it from these columns.
/// The database refuses UPDATE and DELETE on this table, except the one redaction the retention
/// job may make: nulling `before`, `after` and `reason` and setting `redacted_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the action happened.
    pub occurred_at: DateTimeUtc,
    /// Identity-provider subject of the actor.
    pub actor_sub: String,
    /// Actor's name at the time.
    pub actor_name: Option<String>,
    /// Actor's roles at the time, comma separated.
    #[sea_orm(column_type = "Text")]
    pub actor_roles: String,
    /// What was done, e.g. `stage_1_warning.issue`.
    pub action: String,
    /// Table of the record acted on.
    pub entity_type: String,
    /// Id of the record acted on (text, to allow composite keys).
    pub entity_id: Option<String>,
    /// The case, if any; deliberately not a foreign key so the audit outlives anything.
    pub case_id: Option<i64>,
    /// The record before the action.
    #[sea_orm(column_type = "Json")]
    pub before: Option<Json>,
    /// The record after the action.
    #[sea_orm(column_type = "Json")]
    pub after: Option<Json>,
    /// Reason given by the actor.
    #[sea_orm(column_type = "Text")]
    pub reason: Option<String>,
    /// Correlation id of the request.
    pub request_id: Option<String>,
    /// The client's address (behind a trusted reverse proxy, the one it forwarded); hashed when
    /// present. Null before issue 20 and for the system's own work.
    pub client_address: Option<String>,
    /// Hash of the previous event in the chain (64 zeros for the first event); unique, so
    /// two events can never follow the same one.
    pub prev_hash: Option<String>,
    /// Hash of this event: covers its fields, `prev_hash` and `payload_hash`, not the payload.
    pub hash: String,
    /// SHA-256 of the canonical payload (`before`, `after`, `reason`), so the payload can be
    /// erased by retention while the chain stays verifiable.
    pub payload_hash: Option<String>,
    /// The hash the event had under the first, unverifiable scheme, for events written before
    /// the chain was re-hashed (migration `m20261128_000007_audit_chain`); covered by `hash`.
    pub legacy_hash: Option<String>,
    /// When retention erased the payload (`before`, `after`, `reason` are then null).
    pub redacted_at: Option<DateTimeUtc>,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
