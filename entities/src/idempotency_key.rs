//! The `idempotency_key` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A mutation's idempotency key: a replay by the same caller with the same key returns the first
/// result; the same key with a different input is refused. Rows are never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Identity-provider subject of the caller; keys are per caller.
    pub actor_sub: String,
    /// The key the client sent.
    pub idempotency_key: String,
    /// The mutation, e.g. `issueStage1Warning`.
    pub operation: String,
    /// SHA-256 of the mutation's input, to refuse the same key with a different input.
    pub request_hash: String,
    /// The kind of record the first call produced, e.g. `stage_1_warning`.
    pub result_type: String,
    /// Its id.
    pub result_id: i64,
    /// The first call's result as JSON, returned again on a replay.
    #[sea_orm(column_type = "Text")]
    pub result_snapshot: Option<String>,
    /// When the first call was made.
    pub created_at: DateTimeUtc,
}

/// No foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
