//! The `audit_event` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One entry in the append-only, hash-chained audit log.
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
    /// Hash of the previous event in the chain.
    pub prev_hash: Option<String>,
    /// Hash of this event, chained to `prev_hash`.
    pub hash: String,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
