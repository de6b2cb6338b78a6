//! Who looked, one row per request and kind of information (issue 18): `access_read` replaces
//! `access_record`. A row says who was shown one kind of sensitive information in one operation
//! of one request, when, and lists the cases and customers it was about (`case_ids[i]` with
//! `customer_ids[i]` is one access record, as one `access_record` row was).
//!
//! Why: a page of fifty cases wrote fifty rows, each with five index entries, before its answer
//! could go; that write was the largest cost of the case list. Now it is one row. PostgreSQL
//! finds the rows naming a case or customer by GIN (`jsonb_path_ops`) indexes on the two lists;
//! SQLite, the embedded development database, looks through them with `json_each`.
//!
//! Every existing record is carried over, in order, grouped by the request, operation and
//! category it was written for (at most [`RECORDS_PER_ROW`] to a row), and `access_record` is
//! dropped. Going down does the reverse (record ids are renumbered either way).

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261128_000008_access_record::access_record;
use crate::new_table::{NewTable, one_of};

/// Replaces `access_record` with `access_read`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["access_read"];

/// Most records one row holds (the entities' `access_read::RECORDS_PER_ROW`, spelled out: a
/// migration records what the schema was).
pub(crate) const RECORDS_PER_ROW: i64 = 4096;

/// What was read, as of this migration.
const ACCESS_CATEGORY: &[&str] = &[
    "customer_identity",
    "contact_details",
    "behaviour_description",
    "incident_description",
    "police_reference",
    "letter",
    "correspondence",
    "audit_trail",
    "subject_access_export",
];

/// One request's reads of one kind of information in one operation.
fn access_read() -> NewTable {
    NewTable::append_only("access_read")
        .col(timestamp_with_time_zone("occurred_at"))
        .col(string("actor_sub"))
        .col(string_null("actor_name"))
        .col(text("actor_roles"))
        .col(string("request_id"))
        .col(ColumnDef::new("client_address").string_len(45).null())
        .col(string("operation"))
        .col(one_of("category", ACCESS_CATEGORY))
        .col(json_binary("case_ids"))
        .col(json_binary("customer_ids"))
        .index(&["actor_sub"])
        .index(&["occurred_at"])
}

/// The columns that say who read, when and in which request: what groups records into a row.
const HEADER: &str = "occurred_at, actor_sub, actor_name, actor_roles, request_id, \
    client_address, operation, category";

/// Every `access_record` row into `access_read` rows, in the records' order.
fn carry_over(backend: DatabaseBackend) -> String {
    let (agg_case, agg_customer) = match backend {
        DatabaseBackend::Postgres => (
            "jsonb_agg(case_id ORDER BY id)",
            "jsonb_agg(customer_id ORDER BY id)",
        ),
        _ => (
            "json_group_array(case_id ORDER BY id)",
            "json_group_array(customer_id ORDER BY id)",
        ),
    };
    format!(
        "INSERT INTO access_read ({HEADER}, case_ids, customer_ids) \
         SELECT {HEADER}, {agg_case}, {agg_customer} FROM ( \
           SELECT r.*, (row_number() OVER (PARTITION BY {HEADER} ORDER BY id) - 1) \
             / {RECORDS_PER_ROW} AS chunk FROM access_record r) AS numbered \
         GROUP BY {HEADER}, chunk ORDER BY min(id)"
    )
}

/// Every `access_read` row back into one `access_record` row per record, in order.
fn carry_back(backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "INSERT INTO access_record ({HEADER}, case_id, customer_id) \
             SELECT {HEADER}, (e.case_id #>> '{{}}')::bigint, (e.customer_id #>> '{{}}')::bigint \
             FROM access_read r, ROWS FROM (jsonb_array_elements(r.case_ids), \
               jsonb_array_elements(r.customer_ids)) WITH ORDINALITY AS e(case_id, customer_id, n) \
             ORDER BY r.id, e.n"
        ),
        _ => format!(
            "INSERT INTO access_record ({HEADER}, case_id, customer_id) \
             SELECT {HEADER}, c.value, u.value \
             FROM access_read r JOIN json_each(r.case_ids) c \
               JOIN json_each(r.customer_ids) u ON u.key = c.key \
             ORDER BY r.id, c.key"
        ),
    }
}

/// PostgreSQL's indexes on the id lists (SQLite has no index that could serve them).
const GIN_INDEXES: &[&str] = &[
    "CREATE INDEX idx_access_read_case_ids ON access_read USING gin (case_ids jsonb_path_ops)",
    "CREATE INDEX idx_access_read_customer_ids ON access_read USING gin \
     (customer_ids jsonb_path_ops)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (PostgreSQL's migrations always are): records are moved.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        let (create, indexes) = access_read().finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        if backend == DatabaseBackend::Postgres {
            for index in GIN_INDEXES {
                db.execute_unprepared(index).await?;
            }
        }
        db.execute_unprepared(&carry_over(backend)).await?;
        manager
            .drop_table(Table::drop().table("access_record").take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (create, indexes) = access_record()
            .col(ColumnDef::new("client_address").string_len(45).null())
            .finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        manager
            .get_connection()
            .execute_unprepared(&carry_back(backend))
            .await?;
        manager
            .drop_table(Table::drop().table("access_read").take())
            .await
    }
}
