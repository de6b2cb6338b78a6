//! A customer's reasonable adjustments (Equality Act 2010): recorded, updated and ended by staff
//! who may see the customer (a case of theirs in the caller's services, 5.4).

use entities::reasonable_adjustment;
use sea_orm::EntityTrait;

use super::{Opened, ready};
use crate::domain::adjustments::{
    self, AdjustmentId, EndAdjustment, RecordAdjustment, UpdateAdjustment,
};
use crate::domain::values::{CustomerId, RecordId};
use crate::error::{ApiError, ApiResult};
use crate::store::reads::visible_customer;
use crate::store::{Database, Idempotency, Session, UnitOfWork};

impl<'a, C: Database> Session<'a, C> {
    /// Adjustment `id`, if its customer is one the caller may see (`NOT_FOUND` otherwise).
    async fn visible_adjustment(
        &self,
        uow: &UnitOfWork<'a, C>,
        id: AdjustmentId,
    ) -> ApiResult<reasonable_adjustment::Model> {
        let found = reasonable_adjustment::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no reasonable adjustment {id}")))?;
        visible_customer(uow.txn(), self.actor(), found.customer_id)
            .await
            .map_err(|_| ApiError::NotFound(format!("no reasonable adjustment {id}")))?;
        Ok(found)
    }

    /// Record a reasonable adjustment for a customer the caller may see.
    pub async fn record_reasonable_adjustment(
        &self,
        customer: CustomerId,
        cmd: RecordAdjustment,
        key: Option<Idempotency>,
    ) -> ApiResult<reasonable_adjustment::Model> {
        let uow = ready!(
            self.open::<reasonable_adjustment::Model>(key, |_| None)
                .await?
        );
        let found = visible_customer(uow.txn(), self.actor(), customer.get()).await?;
        let outcome = adjustments::record(cmd, &found, self.actor(), self.now)?;
        self.finish_row(uow, outcome, "reasonable_adjustment").await
    }

    /// Update a reasonable adjustment still in place (`CONFLICT` on a stale version).
    pub async fn update_reasonable_adjustment(
        &self,
        id: AdjustmentId,
        cmd: UpdateAdjustment,
        key: Option<Idempotency>,
    ) -> ApiResult<reasonable_adjustment::Model> {
        let uow = ready!(
            self.open::<reasonable_adjustment::Model>(key, |_| None)
                .await?
        );
        let found = self.visible_adjustment(&uow, id).await?;
        let outcome = adjustments::update(cmd, &found, self.actor(), self.now)?;
        self.finish_row(uow, outcome, "reasonable_adjustment").await
    }

    /// End a reasonable adjustment (`CONFLICT` on a stale version).
    pub async fn end_reasonable_adjustment(
        &self,
        id: AdjustmentId,
        cmd: EndAdjustment,
        key: Option<Idempotency>,
    ) -> ApiResult<reasonable_adjustment::Model> {
        let uow = ready!(
            self.open::<reasonable_adjustment::Model>(key, |_| None)
                .await?
        );
        let found = self.visible_adjustment(&uow, id).await?;
        let outcome = adjustments::end(cmd, &found, self.actor(), self.now)?;
        self.finish_row(uow, outcome, "reasonable_adjustment").await
    }
}
