//! Idempotency keys: a client may send a key with any mutation, and a retry with the same key
//! and input returns the first call's result (as it was returned then) without repeating the
//! change; the same key with a different input is refused.

use chrono::Utc;
use entities::idempotency_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, SqlErr,
};
use sha2::{Digest, Sha256};

use crate::authz::RequestContext;
use crate::error::{ApiError, ApiResult};

/// A client's idempotency key for one mutation call.
pub struct Idempotency {
    key: String,
    operation: &'static str,
    request_hash: String,
}

/// What the first call with a key produced.
pub struct Replay {
    /// Kind of record, e.g. `upc_case`.
    pub result_type: String,
    /// Its id.
    pub result_id: i64,
    snapshot: Option<String>,
}

impl Replay {
    /// The first call's result, as it was returned then.
    pub fn result<M: serde::de::DeserializeOwned>(&self) -> ApiResult<M> {
        self.snapshot
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "idempotency snapshot of {} {} is missing or unreadable",
                    self.result_type, self.result_id
                ))
            })
    }
}

impl Idempotency {
    /// The key for `operation` with `input`, or `None` when the client sent no key.
    pub fn new<T: serde::Serialize>(
        key: Option<String>,
        operation: &'static str,
        input: &T,
    ) -> ApiResult<Option<Self>> {
        let Some(key) = key else { return Ok(None) };
        let key = key.trim().to_string();
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::bad_input(
                "idempotencyKey",
                "an idempotency key is 1 to 200 characters",
            ));
        }
        let json = serde_json::to_string(input).map_err(ApiError::internal)?;
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update([0]);
        hasher.update(json.as_bytes());
        Ok(Some(Self {
            key,
            operation,
            request_hash: format!("{:x}", hasher.finalize()),
        }))
    }

    /// The first call's result if this key was used before by this caller with the same input;
    /// `BAD_USER_INPUT` if it was used with a different input or operation.
    pub async fn replay<C: ConnectionTrait>(
        &self,
        db: &C,
        request: &RequestContext,
    ) -> ApiResult<Option<Replay>> {
        let Some(found) = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::ActorSub.eq(request.principal.subject.as_str()))
            .filter(idempotency_key::Column::IdempotencyKey.eq(self.key.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if found.operation != self.operation || found.request_hash != self.request_hash {
            return Err(ApiError::bad_input(
                "idempotencyKey",
                format!(
                    "this idempotency key was already used for a different request ({}); use a new key",
                    found.operation
                ),
            ));
        }
        Ok(Some(Replay {
            result_type: found.result_type,
            result_id: found.result_id,
            snapshot: found.result_snapshot,
        }))
    }

    /// Remember the result of this call (`result`, the record returned), in the mutation's
    /// transaction.
    pub async fn remember<T: serde::Serialize>(
        &self,
        txn: &DatabaseTransaction,
        request: &RequestContext,
        result_type: &str,
        result_id: i64,
        result: &T,
    ) -> ApiResult<()> {
        let row = idempotency_key::ActiveModel {
            actor_sub: Set(request.principal.subject.clone()),
            idempotency_key: Set(self.key.clone()),
            operation: Set(self.operation.to_string()),
            request_hash: Set(self.request_hash.clone()),
            result_type: Set(result_type.to_string()),
            result_id: Set(result_id),
            result_snapshot: Set(Some(
                serde_json::to_string(result).map_err(ApiError::internal)?,
            )),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        match row.insert(txn).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(ApiError::Conflict(
                    "another request with this idempotency key is in progress; retry it to get its result".into(),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The first result of a replayed call with `key`, if this is a replay.
pub async fn replayed<M, C>(
    db: &C,
    request: &RequestContext,
    key: &Option<Idempotency>,
) -> ApiResult<Option<M>>
where
    M: serde::de::DeserializeOwned,
    C: ConnectionTrait,
{
    match key {
        None => Ok(None),
        Some(key) => match key.replay(db, request).await? {
            None => Ok(None),
            Some(replay) => replay.result().map(Some),
        },
    }
}

/// Remember the result of a call made with `key`, if it had one.
pub async fn remember<T: serde::Serialize>(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    key: &Option<Idempotency>,
    result_type: &str,
    result_id: i64,
    result: &T,
) -> ApiResult<()> {
    match key {
        None => Ok(()),
        Some(key) => {
            key.remember(txn, request, result_type, result_id, result)
                .await
        }
    }
}
