//! PostgreSQL: what the planned case list reads beside its page — the page's customers,
//! services and restrictions — by statements whose text never changes (the ids go in as ONE
//! array, `= ANY($1)`, not one placeholder each), with the columns named here in order and read
//! back by position. [`super::reads::case_list_rows`] uses them on PostgreSQL; SQLite, and every
//! other reader, keeps SeaORM's `IN (...)` statements and its rows decoded by column name.
//!
//! Why: the case list's profile spent a third of the API's time decoding rows (sqlx looking
//! each column up by name, SeaORM's per-column wrappers) and building the `IN` lists (fifty
//! values built, bound and dropped per statement, and one prepared statement per list length).
//! `tests/tests/api/list_rows_pg.rs` checks these rows equal SeaORM's for every page of the
//! seeded data set.

use entities::{customer, service, upc_case};
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Decode, Row};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};

use super::restriction_line::RestrictionLine;

/// The customer's columns, in the order [`customer_at`] reads them.
const CUSTOMERS: &str = "SELECT id, reference, kind, display_name, address, email, phone, \
    preferred_language, disability_or_unmet_need_noted, service_id, merged_into_id, merged_at, \
    version, created_at FROM customer WHERE id = ANY($1)";

/// The service's columns, in the order [`service_at`] reads them.
const SERVICES: &str =
    "SELECT id, code, name, active, version, created_at FROM service WHERE id = ANY($1)";

/// A restriction's columns but its details, in the order [`restriction_line_at`] reads them;
/// oldest first, as `reads::children_of` orders them.
const RESTRICTION_LINES: &str = "SELECT id, case_id, kind, starts_on, ends_on, review_due_on, \
    status, permanent, lifted_on, lifted_reason, version FROM restriction \
    WHERE case_id = ANY($1) ORDER BY created_at, id";

/// The customers with ids `ids`, in no particular order.
pub async fn customers<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<customer::Model>, DbErr> {
    rows(db, CUSTOMERS, ids, customer_at).await
}

/// The services with ids `ids`, in no particular order.
pub async fn services<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<service::Model>, DbErr> {
    rows(db, SERVICES, ids, service_at).await
}

/// The restrictions of the cases `case_ids` without their details, oldest first.
pub async fn restriction_lines<C: ConnectionTrait>(
    db: &C,
    case_ids: &[i64],
) -> Result<Vec<RestrictionLine>, DbErr> {
    rows(db, RESTRICTION_LINES, case_ids, restriction_line_at).await
}

async fn rows<C: ConnectionTrait, T>(
    db: &C,
    sql: &'static str,
    ids: &[i64],
    decode: fn(&QueryResult) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, [ids.to_vec().into()]);
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(decode)
        .collect()
}

/// The PostgreSQL row under SeaORM's.
fn pg(r: &QueryResult) -> Result<&PgRow, DbErr> {
    r.try_as_pg_row()
        .ok_or_else(|| DbErr::Custom("the case list's rows: not a PostgreSQL row".into()))
}

/// Column `i` of `row` as `T`. The statements above fix each column's type, so the type is not
/// checked against the row's description again (sqlx's `try_get` does, at a cost per value);
/// a value that does not decode is still an error, and `tests/tests/api/list_rows_pg.rs`
/// compares every row with SeaORM's.
fn at<'r, T: Decode<'r, Postgres>>(row: &'r PgRow, i: usize) -> Result<T, DbErr> {
    row.try_get_unchecked(i)
        .map_err(|e| DbErr::Custom(format!("the case list's rows, column {i}: {e}")))
}

/// Column `i` of `row` as one of the entities' enums (stored as its string).
fn enum_at<E: ActiveEnum<Value = String>>(row: &PgRow, i: usize) -> Result<E, DbErr> {
    E::try_from_value(&at::<String>(row, i)?)
}

/// The cases' columns as SeaORM selects a whole `upc_case` row: in the entity's order, which
/// [`case_at`] follows.
pub fn case_at(r: &QueryResult) -> Result<upc_case::Model, DbErr> {
    let row = pg(r)?;
    Ok(upc_case::Model {
        id: at(row, 0)?,
        reference: at(row, 1)?,
        customer_id: at(row, 2)?,
        service_id: at(row, 3)?,
        stage: enum_at(row, 4)?,
        status: enum_at(row, 5)?,
        opened_at: at(row, 6)?,
        closed_at: at(row, 7)?,
        closure_reason: at(row, 8)?,
        appeal_deadline: at(row, 9)?,
        review_due_on: at(row, 10)?,
        flagged_for_review: at(row, 11)?,
        flag_reason: at(row, 12)?,
        version: at(row, 13)?,
        created_at: at(row, 14)?,
    })
}

fn customer_at(r: &QueryResult) -> Result<customer::Model, DbErr> {
    let row = pg(r)?;
    Ok(customer::Model {
        id: at(row, 0)?,
        reference: at(row, 1)?,
        kind: enum_at(row, 2)?,
        display_name: at(row, 3)?,
        address: at(row, 4)?,
        email: at(row, 5)?,
        phone: at(row, 6)?,
        preferred_language: enum_at(row, 7)?,
        disability_or_unmet_need_noted: at(row, 8)?,
        service_id: at(row, 9)?,
        merged_into_id: at(row, 10)?,
        merged_at: at(row, 11)?,
        version: at(row, 12)?,
        created_at: at(row, 13)?,
    })
}

fn service_at(r: &QueryResult) -> Result<service::Model, DbErr> {
    let row = pg(r)?;
    Ok(service::Model {
        id: at(row, 0)?,
        code: at(row, 1)?,
        name: at(row, 2)?,
        active: at(row, 3)?,
        version: at(row, 4)?,
        created_at: at(row, 5)?,
    })
}

fn restriction_line_at(r: &QueryResult) -> Result<RestrictionLine, DbErr> {
    let row = pg(r)?;
    Ok(RestrictionLine {
        id: at(row, 0)?,
        case_id: at(row, 1)?,
        kind: enum_at(row, 2)?,
        starts_on: at(row, 3)?,
        ends_on: at(row, 4)?,
        review_due_on: at(row, 5)?,
        status: enum_at(row, 6)?,
        permanent: at(row, 7)?,
        lifted_on: at(row, 8)?,
        lifted_reason: at(row, 9)?,
        version: at(row, 10)?,
    })
}
