//! Reasonable adjustments (Equality Act 2010): `Customer.reasonableAdjustments`, the
//! adjustments each decision considered, and the mutations that record, update and end them.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::reasonable_adjustment;
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::domain::adjustments::{AdjustmentId, EndAdjustment, RecordAdjustment, UpdateAdjustment};
use crate::domain::values::{CustomerId, Text};
use crate::error::{ApiError, ApiResult};
use crate::graphql::cases::Customer;
use crate::graphql::ids::{id, parse_id};
use crate::graphql::records::{Review, Stage1Warning, Stage2Decision};
use crate::graphql::steps::{key, session};
use crate::store::reads::{self, ConsideredBy};

/// A reasonable adjustment for a customer (Equality Act 2010): the need, the adjustment agreed,
/// who agreed it and when, when it is reviewed, and whether it is still in place.
#[derive(SimpleObject, Clone)]
pub struct ReasonableAdjustment {
    /// Opaque id.
    pub id: ID,
    /// The customer.
    pub customer_id: ID,
    /// The need it meets (restricted; empty on adjustments recorded before needs were kept).
    pub need: Option<String>,
    /// The adjustment agreed (restricted).
    pub adjustment: Option<String>,
    /// Who agreed it (restricted).
    pub agreed_by: Option<String>,
    /// When it was agreed (empty on adjustments recorded before: in place since before any
    /// decision).
    pub agreed_on: Option<NaiveDate>,
    /// When it is next reviewed.
    pub review_on: Option<NaiveDate>,
    /// `active` or `ended`.
    pub status: String,
    /// The day it ended.
    pub ended_on: Option<NaiveDate>,
    /// Why it ended (restricted).
    pub end_reasons: Option<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Row version.
    pub version: i64,
}

impl From<reasonable_adjustment::Model> for ReasonableAdjustment {
    fn from(m: reasonable_adjustment::Model) -> Self {
        ReasonableAdjustment {
            id: id(m.id),
            customer_id: id(m.customer_id),
            need: m.need,
            adjustment: Some(m.description),
            agreed_by: m.agreed_by,
            agreed_on: m.agreed_on,
            review_on: m.review_on,
            status: m.status.as_str().to_string(),
            ended_on: m.ended_on,
            end_reasons: m.end_reasons,
            recorded_at: m.recorded_at,
            version: m.version,
        }
    }
}

fn row_id(id: &ID) -> ApiResult<i64> {
    id.parse::<i64>()
        .map_err(|_| ApiError::internal(format!("a record id `{}` not ours", id.as_str())))
}

async fn considered(
    ctx: &Context<'_>,
    by: ConsideredBy,
) -> ApiResult<Option<Vec<ReasonableAdjustment>>> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    Ok(Some(
        reads::adjustments_considered(db, by)
            .await?
            .into_iter()
            .map(ReasonableAdjustment::from)
            .collect(),
    ))
}

/// `Customer.reasonableAdjustments` (resolved in `graphql/customers.rs`, the one complex-object
/// impl of `Customer`): the customer's adjustments, in place or ended, oldest first.
pub(crate) async fn of_customer(
    ctx: &Context<'_>,
    customer: &Customer,
) -> ApiResult<Option<Vec<ReasonableAdjustment>>> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    Ok(Some(
        reads::adjustments_of_customer(db, row_id(&customer.id)?)
            .await?
            .into_iter()
            .map(ReasonableAdjustment::from)
            .collect(),
    ))
}

#[ComplexObject]
impl Stage1Warning {
    /// The customer's reasonable adjustments the warning considered (restricted).
    async fn reasonable_adjustments_considered(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<ReasonableAdjustment>>> {
        considered(ctx, ConsideredBy::Warning(row_id(&self.id)?)).await
    }
}

#[ComplexObject]
impl Stage2Decision {
    /// The customer's reasonable adjustments the decision considered (restricted).
    async fn reasonable_adjustments_considered(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<ReasonableAdjustment>>> {
        considered(ctx, ConsideredBy::Decision(row_id(&self.id)?)).await
    }
}

#[ComplexObject]
impl Review {
    /// The customer's reasonable adjustments the review considered (restricted).
    async fn reasonable_adjustments_considered(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<ReasonableAdjustment>>> {
        considered(ctx, ConsideredBy::Review(row_id(&self.id)?)).await
    }
}

/// A reasonable adjustment agreed for a customer.
#[derive(InputObject, Serialize)]
pub struct RecordReasonableAdjustmentInput {
    /// The customer (one with a case you may see).
    pub customer_id: ID,
    /// The need it meets (a disability or unmet need).
    pub need: String,
    /// The adjustment agreed.
    pub adjustment: String,
    /// Who agreed it (name and role).
    pub agreed_by: String,
    /// When it was agreed (not in the future).
    pub agreed_on: NaiveDate,
    /// When it is next reviewed (after the day it was agreed).
    pub review_on: Option<NaiveDate>,
}

/// A change to an adjustment still in place; what is not given stays.
#[derive(InputObject, Serialize)]
pub struct UpdateReasonableAdjustmentInput {
    /// The adjustment.
    pub id: ID,
    /// The version you read.
    pub version: i64,
    /// The need it meets.
    pub need: Option<String>,
    /// The adjustment agreed.
    pub adjustment: Option<String>,
    /// Who agreed it.
    pub agreed_by: Option<String>,
    /// When it was agreed.
    pub agreed_on: Option<NaiveDate>,
    /// When it is next reviewed.
    pub review_on: Option<NaiveDate>,
}

/// The end of an adjustment: no longer in place from `endedOn`.
#[derive(InputObject, Serialize)]
pub struct EndReasonableAdjustmentInput {
    /// The adjustment.
    pub id: ID,
    /// The version you read.
    pub version: i64,
    /// The day it ends (default today; not in the future).
    pub ended_on: Option<NaiveDate>,
    /// Why.
    pub reasons: String,
}

fn optional(field: &str, value: Option<&str>) -> ApiResult<Option<Text>> {
    Ok(Text::optional(field, value)?)
}

/// Reasonable adjustment mutations.
#[derive(Default)]
pub struct AdjustmentMutation;

#[Object]
impl AdjustmentMutation {
    /// Record a reasonable adjustment agreed for a customer with a case you may see (council
    /// staff of the customer's services; Legal Services and the Monitoring Officer in any).
    async fn record_reasonable_adjustment(
        &self,
        ctx: &Context<'_>,
        input: RecordReasonableAdjustmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<ReasonableAdjustment> {
        let key = key(idempotency_key, "recordReasonableAdjustment", &input)?;
        let customer = parse_id::<CustomerId>("customerId", &input.customer_id)?;
        let cmd = RecordAdjustment {
            need: Text::parse("need", &input.need)?,
            adjustment: Text::parse("adjustment", &input.adjustment)?,
            agreed_by: Text::parse("agreedBy", &input.agreed_by)?,
            agreed_on: input.agreed_on,
            review_on: input.review_on,
        };
        Ok(session(ctx)?
            .record_reasonable_adjustment(customer, cmd, key)
            .await?
            .into())
    }

    /// Change an adjustment still in place, with the version you read (`CONFLICT` when stale).
    async fn update_reasonable_adjustment(
        &self,
        ctx: &Context<'_>,
        input: UpdateReasonableAdjustmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<ReasonableAdjustment> {
        let key = key(idempotency_key, "updateReasonableAdjustment", &input)?;
        let adjustment = parse_id::<AdjustmentId>("id", &input.id)?;
        let cmd = UpdateAdjustment {
            version: input.version,
            need: optional("need", input.need.as_deref())?,
            adjustment: optional("adjustment", input.adjustment.as_deref())?,
            agreed_by: optional("agreedBy", input.agreed_by.as_deref())?,
            agreed_on: input.agreed_on,
            review_on: input.review_on,
        };
        Ok(session(ctx)?
            .update_reasonable_adjustment(adjustment, cmd, key)
            .await?
            .into())
    }

    /// End an adjustment still in place, with the version you read (`CONFLICT` when stale).
    async fn end_reasonable_adjustment(
        &self,
        ctx: &Context<'_>,
        input: EndReasonableAdjustmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<ReasonableAdjustment> {
        let key = key(idempotency_key, "endReasonableAdjustment", &input)?;
        let adjustment = parse_id::<AdjustmentId>("id", &input.id)?;
        let cmd = EndAdjustment {
            version: input.version,
            ended_on: input.ended_on,
            reasons: Text::parse("reasons", &input.reasons)?,
        };
        Ok(session(ctx)?
            .end_reasonable_adjustment(adjustment, cmd, key)
            .await?
            .into())
    }
}
