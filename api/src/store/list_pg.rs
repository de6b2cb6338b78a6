//! PostgreSQL: what the planned case list reads beside its page — the page's customers,
//! services and restrictions — by one statement whose text never changes (the ids go in as
//! arrays, `= ANY($1)`, not one placeholder each), with the columns named here in order and read
//! back by position. [`super::reads::case_list_rows`] uses them on PostgreSQL; SQLite, and every
//! other reader, keeps SeaORM's `IN (...)` statements and its rows decoded by column name.
//!
//! Why: the case list's profile spent a third of the API's time decoding rows (sqlx looking
//! each column up by name, SeaORM's per-column wrappers) and building the `IN` lists (fifty
//! values built, bound and dropped per statement, and one prepared statement per list length).
//! `tests/tests/api/list_rows_pg.rs` checks these rows equal SeaORM's for every page of the
//! seeded data set.

use chrono::{DateTime, Utc};
use entities::{customer, service, upc_case};
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Decode, Row};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};

use super::restriction_line::RestrictionLine;

/// The page's customers (`$1`), services (`$2`) and restrictions but their details (`$3`, the
/// cases' ids) in ONE statement: three branches of a `UNION ALL`, each the look-up it replaces,
/// tagged by the first column and laid out in typed slots that [`customer_at`], [`service_at`]
/// and [`restriction_line_at`] read by position (a slot a kind does not use is `NULL`).
/// An empty array reads nothing of its kind.
///
/// Why one: `pgbench` puts the one statement level with the three it replaces (6,342 and 6,784
/// pages a second against 6,396 and 6,501), and each statement saved is a round trip, a
/// connection lent and given back (with sqlx's test of it) and a task in the API. The page
/// itself stays a statement of its own: with it in this one as a common table expression the
/// whole was a fifth slower in `pgbench` (5,220 and 5,233).
///
/// Slots: 0 part, 1 id, 2-4 `bigint`, 5-12 text, 13 `boolean`, 14-17 `date`, 18-19
/// `timestamptz`.
const PARTS: &str = "\
    SELECT 0 AS part, id, service_id, merged_into_id, version, reference, kind, display_name, \
        address, email, phone, preferred_language, disability_or_unmet_need_noted, \
        NULL::boolean, NULL::date, NULL::date, NULL::date, NULL::date, merged_at, created_at \
    FROM customer WHERE id = ANY($1) \
    UNION ALL \
    SELECT 1, id, NULL, NULL, version, code, name, NULL, NULL, NULL, NULL, NULL, NULL, active, \
        NULL, NULL, NULL, NULL, NULL, created_at \
    FROM service WHERE id = ANY($2) \
    UNION ALL \
    SELECT 2, id, case_id, NULL, version, kind, status, lifted_reason, NULL, NULL, NULL, NULL, \
        NULL, permanent, starts_on, ends_on, review_due_on, lifted_on, NULL, created_at \
    FROM restriction WHERE case_id = ANY($3)";

/// What [`parts`] read.
#[derive(Debug, Default)]
pub struct Parts {
    /// In no particular order.
    pub customers: Vec<customer::Model>,
    /// In no particular order.
    pub services: Vec<service::Model>,
    /// Oldest first (by `created_at`, then id), as `reads::children_of` orders them.
    pub restriction_lines: Vec<RestrictionLine>,
}

/// The customers with ids `customer_ids`, the services with ids `service_ids` and the
/// restrictions of the cases `case_ids` without their details, in one statement ([`PARTS`]).
pub async fn parts<C: ConnectionTrait>(
    db: &C,
    customer_ids: &[i64],
    service_ids: &[i64],
    case_ids: &[i64],
) -> Result<Parts, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        PARTS,
        [
            customer_ids.to_vec().into(),
            service_ids.to_vec().into(),
            case_ids.to_vec().into(),
        ],
    );
    let mut out = Parts::default();
    let mut lines = Vec::new();
    for r in db.query_all_raw(statement).await? {
        let row = pg(&r)?;
        match at::<i32>(row, 0)? {
            0 => out.customers.push(customer_at(row)?),
            1 => out.services.push(service_at(row)?),
            2 => lines.push((at::<DateTime<Utc>>(row, 19)?, restriction_line_at(row)?)),
            other => {
                return Err(DbErr::Custom(format!(
                    "the case list's rows: no part {other}"
                )));
            }
        }
    }
    // A `UNION ALL` promises no order: the restrictions are put in theirs here.
    lines.sort_unstable_by_key(|(created_at, line)| (*created_at, line.id));
    out.restriction_lines = lines.into_iter().map(|(_, line)| line).collect();
    Ok(out)
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

fn customer_at(row: &PgRow) -> Result<customer::Model, DbErr> {
    Ok(customer::Model {
        id: at(row, 1)?,
        reference: at(row, 5)?,
        kind: enum_at(row, 6)?,
        display_name: at(row, 7)?,
        address: at(row, 8)?,
        email: at(row, 9)?,
        phone: at(row, 10)?,
        preferred_language: enum_at(row, 11)?,
        disability_or_unmet_need_noted: at(row, 12)?,
        service_id: at(row, 2)?,
        merged_into_id: at(row, 3)?,
        merged_at: at(row, 18)?,
        version: at(row, 4)?,
        created_at: at(row, 19)?,
    })
}

fn service_at(row: &PgRow) -> Result<service::Model, DbErr> {
    Ok(service::Model {
        id: at(row, 1)?,
        code: at(row, 5)?,
        name: at(row, 6)?,
        active: at(row, 13)?,
        version: at(row, 4)?,
        created_at: at(row, 19)?,
    })
}

fn restriction_line_at(row: &PgRow) -> Result<RestrictionLine, DbErr> {
    Ok(RestrictionLine {
        id: at(row, 1)?,
        case_id: at(row, 2)?,
        kind: enum_at(row, 5)?,
        starts_on: at(row, 14)?,
        ends_on: at(row, 15)?,
        review_due_on: at(row, 16)?,
        status: enum_at(row, 6)?,
        permanent: at(row, 13)?,
        lifted_on: at(row, 17)?,
        lifted_reason: at(row, 7)?,
        version: at(row, 4)?,
    })
}
