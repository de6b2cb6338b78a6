//! Which audit events and access records are about one customer. Used by the audit queries'
//! `customerId` filter and by the subject access bundle, so both mean the same thing.

use entities::{
    access_record, audit_event, contact, customer_member, reasonable_adjustment, recording_request,
    representative, upc_case,
};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

/// `SELECT id FROM upc_case WHERE customer_id = ?`: the customer's cases.
pub fn cases_of(customer_id: i64) -> SelectStatement {
    Query::select()
        .column(upc_case::Column::Id)
        .from(upc_case::Entity)
        .and_where(upc_case::Column::CustomerId.eq(customer_id))
        .to_owned()
}

/// Audit events about customer `customer_id`: events on one of their cases, events whose record
/// is the customer, and events on the customer's own records that belong to no case (contacts,
/// requests to record, members of the customer, representatives, reasonable adjustments).
pub async fn audit_events_about<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
) -> Result<Condition, DbErr> {
    let mut any = Condition::any()
        .add(audit_event::Column::CaseId.in_subquery(cases_of(customer_id)))
        .add(record("customer", vec![customer_id.to_string()]));
    let owned = [
        (
            "contact",
            ids::<contact::Entity, _, _>(
                db,
                contact::Column::Id,
                contact::Column::CustomerId,
                customer_id,
            )
            .await?,
        ),
        (
            "recording_request",
            ids::<recording_request::Entity, _, _>(
                db,
                recording_request::Column::Id,
                recording_request::Column::CustomerId,
                customer_id,
            )
            .await?,
        ),
        (
            "customer_member",
            ids::<customer_member::Entity, _, _>(
                db,
                customer_member::Column::Id,
                customer_member::Column::CustomerId,
                customer_id,
            )
            .await?,
        ),
        (
            "representative",
            ids::<representative::Entity, _, _>(
                db,
                representative::Column::Id,
                representative::Column::CustomerId,
                customer_id,
            )
            .await?,
        ),
        (
            "reasonable_adjustment",
            ids::<reasonable_adjustment::Entity, _, _>(
                db,
                reasonable_adjustment::Column::Id,
                reasonable_adjustment::Column::CustomerId,
                customer_id,
            )
            .await?,
        ),
    ];
    for (entity_type, ids) in owned {
        if !ids.is_empty() {
            any = any.add(record(entity_type, ids));
        }
    }
    Ok(any)
}

/// Access records about customer `customer_id`: reads of the customer or of one of their cases.
pub fn access_records_about(customer_id: i64) -> Condition {
    Condition::any()
        .add(access_record::Column::CustomerId.eq(customer_id))
        .add(access_record::Column::CaseId.in_subquery(cases_of(customer_id)))
}

/// Events on records of `entity_type` with one of `ids` (audit ids are text).
fn record(entity_type: &str, ids: Vec<String>) -> Condition {
    Condition::all()
        .add(audit_event::Column::EntityType.eq(entity_type))
        .add(audit_event::Column::EntityId.is_in(ids))
}

/// The ids (as text) of the rows of `E` whose `owner` column is `customer_id`.
async fn ids<E, C, Db>(db: &Db, id: C, owner: C, customer_id: i64) -> Result<Vec<String>, DbErr>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
    Db: ConnectionTrait,
{
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(owner.eq(customer_id))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.to_string())
        .collect())
}
