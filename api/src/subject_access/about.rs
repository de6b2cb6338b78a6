//! Which audit events and access records are about one customer. Used by the audit queries'
//! `customerId` filter and by the subject access bundle, so both mean the same thing.

use std::collections::BTreeSet;

use entities::access_read::{self, Record};
use entities::{
    audit_event, contact, customer_member, reasonable_adjustment, recording_request,
    representative, upc_case,
};
use sea_orm::sea_query::{Expr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
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

/// The id lists of an `access_read` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdList {
    /// `case_ids`.
    Cases,
    /// `customer_ids`.
    Customers,
}

/// `access_read` rows whose `list` names `id` (at least one of their records is about it).
/// PostgreSQL answers from the list's GIN index; SQLite looks through each row's list.
pub fn names(backend: DbBackend, list: IdList, id: i64) -> SimpleExpr {
    let column = match list {
        IdList::Cases => "access_read.case_ids",
        IdList::Customers => "access_read.customer_ids",
    };
    match backend {
        DbBackend::Postgres => {
            Expr::cust_with_values(format!("{column} @> $1::jsonb"), [format!("[{id}]")])
        }
        _ => Expr::cust_with_values(
            format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"),
            [id],
        ),
    }
}

/// Which access records are about one customer: reads of the customer, or of one of their
/// cases.
#[derive(Debug, Clone)]
pub struct AccessAbout {
    customer: i64,
    cases: BTreeSet<i64>,
}

impl AccessAbout {
    /// Customer `customer_id`'s (one look-up of their cases).
    pub async fn of<C: ConnectionTrait>(db: &C, customer_id: i64) -> Result<Self, DbErr> {
        let cases = upc_case::Entity::find()
            .select_only()
            .column(upc_case::Column::Id)
            .filter(upc_case::Column::CustomerId.eq(customer_id))
            .into_tuple::<i64>()
            .all(db)
            .await?;
        Ok(Self {
            customer: customer_id,
            cases: cases.into_iter().collect(),
        })
    }

    /// The `access_read` rows holding at least one such record.
    pub fn rows(&self, backend: DbBackend) -> Condition {
        self.cases.iter().fold(
            Condition::any().add(names(backend, IdList::Customers, self.customer)),
            |any, case| any.add(names(backend, IdList::Cases, *case)),
        )
    }

    /// Whether `record` is one.
    pub fn covers(&self, record: &Record) -> bool {
        record.customer_id == Some(self.customer)
            || record.case_id.is_some_and(|c| self.cases.contains(&c))
    }

    /// Every such record, in the order written.
    pub async fn records<C: ConnectionTrait>(&self, db: &C) -> Result<Vec<Record>, DbErr> {
        use sea_orm::QueryOrder;
        let rows = access_read::Entity::find()
            .filter(self.rows(db.get_database_backend()))
            .order_by_asc(access_read::Column::Id)
            .all(db)
            .await?;
        Ok(rows
            .iter()
            .flat_map(access_read::Model::records)
            .filter(|r| self.covers(r))
            .collect())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    #[test]
    fn a_list_condition_binds_the_id() {
        let q = |backend| {
            Query::select()
                .expr(Expr::val(1))
                .and_where(names(backend, IdList::Cases, 42))
                .to_owned()
        };
        let (sql, values) = q(DbBackend::Sqlite).build(SqliteQueryBuilder);
        assert!(sql.contains("json_each(access_read.case_ids)"), "{sql}");
        assert_eq!(values.0.len(), 2, "{sql} {values:?}");
        let (sql, values) = q(DbBackend::Postgres).build(PostgresQueryBuilder);
        assert!(sql.contains("access_read.case_ids @> $2::jsonb"), "{sql}");
        assert_eq!(values.0.len(), 2, "{sql} {values:?}");
    }
}
