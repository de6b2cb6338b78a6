//! Keeping a customer's record: details, members, representatives, merging and undoing a merge.
//! Each command returns the customer as it stands after it.

use std::collections::BTreeMap;

use entities::{
    audit_event, contact, customer, customer_member, reasonable_adjustment, recording_request,
    representative, service, upc_case,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Opened, ready};
use crate::domain::Outcome;
use crate::domain::customer_records::{
    self, CustomerFacts, MergeCustomers, MergeFacts, NewMember, RepresentativeDetails,
    UnmergeCustomers, UnmergeFacts, UpdateCustomer,
};
use crate::domain::customers::NewCustomer;
use crate::domain::outcome::Row;
use crate::domain::values::{CustomerId, CustomerMemberId, RecordId, RepresentativeId};
use crate::error::{ApiError, ApiResult};
use crate::store::{Database, Idempotency, Session, UnitOfWork, facts, reads};

/// The customer `id` with what deciding about their record needs, if `principal`'s scope shows
/// them (5.4): `NOT_FOUND` otherwise.
async fn customer_facts<C: ConnectionTrait>(
    db: &C,
    principal: &crate::domain::roles::Principal,
    id: i64,
) -> ApiResult<CustomerFacts> {
    let customer = reads::visible_customer(db, principal, id).await?;
    let mut service_ids: Vec<i64> = upc_case::Entity::find()
        .filter(upc_case::Column::CustomerId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.service_id)
        .collect();
    service_ids.extend(customer.service_id);
    let mut service_codes: Vec<String> = service::Entity::find()
        .filter(service::Column::Id.is_in(service_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    service_codes.sort();
    service_codes.dedup();
    let members = customer_member::Entity::find()
        .filter(customer_member::Column::CustomerId.eq(id))
        .all(db)
        .await?
        .len();
    let representatives = representative::Entity::find()
        .filter(representative::Column::CustomerId.eq(id))
        .order_by_asc(representative::Column::Id)
        .all(db)
        .await?;
    Ok(CustomerFacts {
        customer,
        service_codes,
        members,
        representatives,
    })
}

/// Every row naming customer `id` that a merge moves, as read.
async fn rows_naming<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
    rows.extend(
        upc_case::Entity::find()
            .filter(upc_case::Column::CustomerId.eq(id))
            .order_by_asc(upc_case::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from),
    );
    rows.extend(
        contact::Entity::find()
            .filter(contact::Column::CustomerId.eq(id))
            .order_by_asc(contact::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from),
    );
    rows.extend(
        customer_member::Entity::find()
            .filter(customer_member::Column::CustomerId.eq(id))
            .order_by_asc(customer_member::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from),
    );
    rows.extend(
        representative::Entity::find()
            .filter(representative::Column::CustomerId.eq(id))
            .order_by_asc(representative::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from),
    );
    rows.extend(
        reasonable_adjustment::Entity::find()
            .filter(reasonable_adjustment::Column::CustomerId.eq(id))
            .order_by_asc(reasonable_adjustment::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from),
    );
    rows.extend(
        recording_request::Entity::find()
            .filter(recording_request::Column::CustomerId.eq(id))
            .order_by_asc(recording_request::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from),
    );
    Ok(rows)
}

/// The rows with `ids` in `table` (one the merge moves), as they stand now.
async fn rows_by_id<C: ConnectionTrait>(db: &C, table: &str, ids: Vec<i64>) -> ApiResult<Vec<Row>> {
    macro_rules! load {
        ($module:ident) => {
            $module::Entity::find()
                .filter($module::Column::Id.is_in(ids))
                .order_by_asc($module::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(Row::from)
                .collect()
        };
    }
    Ok(match table {
        "upc_case" => load!(upc_case),
        "contact" => load!(contact),
        "customer_member" => load!(customer_member),
        "representative" => load!(representative),
        "reasonable_adjustment" => load!(reasonable_adjustment),
        "recording_request" => load!(recording_request),
        other => {
            return Err(ApiError::internal(format!(
                "a merge recorded rows of {other}, which merges do not move"
            )));
        }
    })
}

/// Customer `id`, whoever may see them (undoing a merge is the administrator's, who reads no
/// case content but names the record by id).
async fn any_customer<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<customer::Model> {
    customer::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no customer {id}")))
}

impl<'a, C: Database> Session<'a, C> {
    /// Apply `outcome`, then commit with customer `id` as it now stands as the result.
    async fn finish_customer(
        &self,
        mut uow: UnitOfWork<'a, C>,
        outcome: Outcome,
        id: Option<i64>,
    ) -> ApiResult<customer::Model> {
        let applied = uow.apply(outcome).await?;
        let id = match id {
            Some(id) => id,
            None => applied.created::<customer::Model>(0)?.id,
        };
        let now = any_customer(uow.txn(), id).await?;
        uow.commit("customer", now.id, &now).await?;
        Ok(now)
    }

    /// Record a customer on their own, for the service with `service_code` (2.3).
    pub async fn create_customer(
        &self,
        details: NewCustomer,
        service_code: &str,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let service = facts::service_by_code(uow.txn(), service_code).await?;
        let outcome = customer_records::create(details, &service, self.actor(), self.now)?;
        self.finish_customer(uow, outcome, None).await
    }

    /// Change a customer's details.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        cmd: UpdateCustomer,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let found = customer_facts(uow.txn(), self.actor(), id.get()).await?;
        let outcome = customer_records::update(cmd, &found, self.actor())?;
        self.finish_customer(uow, outcome, Some(id.get())).await
    }

    /// Add a member to a customer that is several people or a group.
    pub async fn add_customer_member(
        &self,
        id: CustomerId,
        cmd: NewMember,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let found = customer_facts(uow.txn(), self.actor(), id.get()).await?;
        let outcome = customer_records::add_member(cmd, &found, self.actor(), self.now)?;
        self.finish_customer(uow, outcome, Some(id.get())).await
    }

    /// Remove a member of a customer.
    pub async fn remove_customer_member(
        &self,
        id: CustomerMemberId,
        version: i64,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let member = customer_member::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no customer member {id}")))?;
        let found = customer_facts(uow.txn(), self.actor(), member.customer_id).await?;
        let customer_id = member.customer_id;
        let outcome = customer_records::remove_member(member, version, &found, self.actor())?;
        self.finish_customer(uow, outcome, Some(customer_id)).await
    }

    /// Record a representative of a customer.
    pub async fn add_representative(
        &self,
        id: CustomerId,
        cmd: RepresentativeDetails,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let found = customer_facts(uow.txn(), self.actor(), id.get()).await?;
        let outcome = customer_records::add_representative(cmd, &found, self.actor(), self.now)?;
        self.finish_customer(uow, outcome, Some(id.get())).await
    }

    /// The customer a representative acts for, through the caller's scope.
    async fn representative_facts(
        &self,
        uow: &UnitOfWork<'a, C>,
        id: RepresentativeId,
    ) -> ApiResult<CustomerFacts> {
        let found = representative::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no representative {id}")))?;
        customer_facts(uow.txn(), self.actor(), found.customer_id).await
    }

    /// Change a representative's details.
    pub async fn update_representative(
        &self,
        id: RepresentativeId,
        version: i64,
        cmd: RepresentativeDetails,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let found = self.representative_facts(&uow, id).await?;
        let customer_id = found.customer.id;
        let outcome =
            customer_records::update_representative(id.get(), version, cmd, &found, self.actor())?;
        self.finish_customer(uow, outcome, Some(customer_id)).await
    }

    /// Remove a representative.
    pub async fn remove_representative(
        &self,
        id: RepresentativeId,
        version: i64,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let found = self.representative_facts(&uow, id).await?;
        let customer_id = found.customer.id;
        let outcome =
            customer_records::remove_representative(id.get(), version, &found, self.actor())?;
        self.finish_customer(uow, outcome, Some(customer_id)).await
    }

    /// Merge customer `merge` into `keep` (two records of the same person); the kept record is
    /// the result.
    pub async fn merge_customers(
        &self,
        keep: CustomerId,
        merge: CustomerId,
        cmd: MergeCustomers,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let txn = uow.txn();
        let keep_row = reads::visible_customer(txn, self.actor(), keep.get()).await?;
        let merge_row = reads::visible_customer(txn, self.actor(), merge.get()).await?;
        let keep_cases = upc_case::Entity::find()
            .filter(upc_case::Column::CustomerId.eq(keep.get()))
            .all(txn)
            .await?;
        let rows = if keep == merge {
            Vec::new()
        } else {
            rows_naming(txn, merge.get()).await?
        };
        let service_codes: BTreeMap<i64, String> =
            reads::service_codes(txn).await?.into_iter().collect();
        let outcome = customer_records::merge(
            cmd,
            MergeFacts {
                keep: keep_row,
                merge: merge_row,
                keep_cases,
                rows,
                service_codes,
            },
            self.actor(),
            self.now,
        )?;
        self.finish_customer(uow, outcome, Some(keep.get())).await
    }

    /// Undo the merge of customer `id` into another, from what the merge recorded; the restored
    /// record is the result.
    pub async fn unmerge_customers(
        &self,
        id: CustomerId,
        cmd: UnmergeCustomers,
        key: Option<Idempotency>,
    ) -> ApiResult<customer::Model> {
        let uow = ready!(self.open::<customer::Model>(key, |_| None).await?);
        let txn = uow.txn();
        let merged = any_customer(txn, id.get()).await?;
        let Some(kept_id) = merged.merged_into_id else {
            return Err(crate::domain::DomainError::bad_input(
                "customerId",
                format!("customer {} is not merged into another", merged.reference),
            )
            .into());
        };
        let kept = any_customer(txn, kept_id).await?;
        let event = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("customer.merge"))
            .filter(audit_event::Column::EntityType.eq("customer"))
            .filter(audit_event::Column::EntityId.eq(id.get().to_string()))
            .order_by_desc(audit_event::Column::Id)
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no record of customer {id}'s merge")))?;
        let recorded = customer_records::recorded_moves(event.after.as_ref())?;
        let mut moved = Vec::new();
        for (table, ids) in recorded {
            moved.extend(rows_by_id(txn, &table, ids).await?);
        }
        let outcome = customer_records::unmerge(
            cmd,
            UnmergeFacts {
                merged,
                kept,
                moved,
            },
            self.actor(),
        )?;
        self.finish_customer(uow, outcome, Some(id.get())).await
    }
}
