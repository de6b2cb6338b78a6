//! The worker's scheduler (issue 20): the `scheduled_run` ledger, one row per recurring job and
//! scheduled slot (unique), which is how several workers agree that a slot runs once; and review
//! reminders as notifications: `notification.event` may be `review_due`, and
//! `notification.review_due_on` says which review date a reminder is about, unique with the
//! restriction and the event so a reminder is written once per restriction and review date.
//!
//! Widening the `CHECK` on `notification.event` has no portable form: PostgreSQL drops and adds
//! the constraint; SQLite, which cannot alter a constraint, rebuilds `notification` (and
//! `notification_read`, which refers to it) with the same ids, columns and indexes.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261128_000004_notifications::{self as notifications, notification_read};
use crate::new_table::{NewTable, one_of};

/// Adds `scheduled_run`, the `review_due` event and `notification.review_due_on`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["scheduled_run"];

/// The recurring jobs (the stored spelling of `entities::enums::ScheduledJob`).
const JOBS: &[&str] = &["retention", "case_endings", "review_reminders"];

/// How a run stands (`entities::enums::ScheduledRunStatus`).
const STATUSES: &[&str] = &["running", "succeeded", "failed"];

/// `notification.event` from this migration on.
const EVENTS: &[&str] = &[
    "imposed",
    "varied",
    "extended",
    "made_permanent",
    "lifted",
    "review_due",
];

/// The unique index that makes a review reminder once per restriction and review date (other
/// events leave `review_due_on` empty, and empty values never collide).
const REMINDER_INDEX: &str = "uq_notification_review_reminder";

/// Columns of `notification` before this migration, in order.
const NOTIFICATION_COLUMNS: &str = "id, service_id, case_id, restriction_id, event, \
     restriction_kind, case_reference, starts_on, ends_on, summary, created_by, created_at";

/// One run of a recurring job for one slot.
fn scheduled_run() -> NewTable {
    NewTable::new("scheduled_run")
        .col(one_of("job", JOBS))
        .col(timestamp_with_time_zone("slot"))
        .col(one_of("status", STATUSES))
        .col(string("worker"))
        .col(timestamp_with_time_zone_null("lease_until"))
        .col(integer("attempts").default(1))
        .col(timestamp_with_time_zone("started_at"))
        .col(timestamp_with_time_zone_null("finished_at"))
        .col(big_integer_null("rows_touched"))
        .col(text_null("error"))
        .unique(&["job", "slot"])
}

/// `event IN (...)` as PostgreSQL's constraint.
fn event_check(events: &[&str]) -> String {
    let quoted: Vec<String> = events.iter().map(|e| format!("'{e}'")).collect();
    format!(
        "ALTER TABLE notification ADD CONSTRAINT notification_event_check CHECK (event IN ({}))",
        quoted.join(", ")
    )
}

/// SQLite: rebuild `notification` allowing `events` (with `review_due_on` when `reminders`) and
/// `notification_read`, keeping every row and id. `notification_read` goes first so that
/// dropping `notification` never cascades into it.
async fn rebuild_sqlite(
    manager: &SchemaManager<'_>,
    events: &[&str],
    reminders: bool,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in [
        "CREATE TABLE notification_keep AS SELECT * FROM notification",
        "CREATE TABLE notification_read_keep AS SELECT * FROM notification_read",
        "DROP TABLE notification_read",
        "DROP TABLE notification",
    ] {
        db.execute_unprepared(sql).await?;
    }
    let mut table = notifications::notification(events);
    if reminders {
        table = table.col(date_null("review_due_on"));
    }
    for table in [table, notification_read()] {
        let (create, indexes) = table.finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
    }
    let columns = if reminders {
        format!("{NOTIFICATION_COLUMNS}, review_due_on")
    } else {
        NOTIFICATION_COLUMNS.to_string()
    };
    let copy = if reminders {
        // Rows from before this migration have no review date.
        format!(
            "INSERT INTO notification ({columns}) SELECT {NOTIFICATION_COLUMNS}, NULL FROM notification_keep"
        )
    } else {
        format!("INSERT INTO notification ({columns}) SELECT {columns} FROM notification_keep")
    };
    for sql in [
        copy.as_str(),
        "INSERT INTO notification_read (id, notification_id, user_sub, read_at) \
         SELECT id, notification_id, user_sub, read_at FROM notification_read_keep",
        "DROP TABLE notification_read_keep",
        "DROP TABLE notification_keep",
    ] {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

fn reminder_index() -> IndexCreateStatement {
    Index::create()
        .name(REMINDER_INDEX)
        .table("notification")
        .col("restriction_id")
        .col("event")
        .col("review_due_on")
        .unique()
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (create, indexes) = scheduled_run().finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE notification DROP CONSTRAINT notification_event_check",
                )
                .await?;
                db.execute_unprepared(&event_check(EVENTS)).await?;
                manager
                    .alter_table(
                        Table::alter()
                            .table("notification")
                            .add_column(ColumnDef::new("review_due_on").date().null())
                            .to_owned(),
                    )
                    .await?;
            }
            _ => rebuild_sqlite(manager, EVENTS, true).await?,
        }
        manager.create_index(reminder_index()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM notification WHERE event = 'review_due'")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(REMINDER_INDEX)
                    .table("notification")
                    .to_owned(),
            )
            .await?;
        match db.get_database_backend() {
            DbBackend::Postgres => {
                manager
                    .alter_table(
                        Table::alter()
                            .table("notification")
                            .drop_column("review_due_on")
                            .to_owned(),
                    )
                    .await?;
                db.execute_unprepared(
                    "ALTER TABLE notification DROP CONSTRAINT notification_event_check",
                )
                .await?;
                db.execute_unprepared(&event_check(notifications::EVENTS))
                    .await?;
            }
            _ => rebuild_sqlite(manager, notifications::EVENTS, false).await?,
        }
        for name in TABLE_NAMES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*name).if_exists().take())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

    use crate::{Migrator, MigratorTrait};

    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        let row = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a count")
    }

    /// SQLite rebuilds `notification`: the rows and read marks from before survive with their
    /// ids, `review_due` is then accepted once per restriction and review date, and going down
    /// again keeps the other rows.
    #[tokio::test]
    async fn the_sqlite_rebuild_keeps_notifications_and_read_marks() {
        let db = Database::connect("sqlite::memory:").await.expect("opens");
        let before = crate::migrations_before("m20261206_000012_scheduler");
        Migrator::up(&db, Some(before))
            .await
            .expect("up to the previous");
        for sql in [
            "INSERT INTO service (code, name) VALUES ('HOUSING', 'Housing')",
            "INSERT INTO customer (reference, kind, display_name) VALUES ('C-1', 'person', 'A')",
            "INSERT INTO upc_case (reference, customer_id, service_id, stage, status, opened_at) \
             VALUES ('UPC-1', 1, 1, 'stage_2_restricted', 'open', '2026-01-05T09:00:00+00:00')",
            "INSERT INTO restriction (case_id, service_id, kind, parameters, starts_on, review_due_on) \
             VALUES (1, 1, 'contact_form', '{}', '2026-01-05', '2026-12-20')",
            "INSERT INTO notification (id, service_id, case_id, restriction_id, event, restriction_kind, \
             case_reference, starts_on, summary, created_by, created_at) VALUES (7, 1, 1, 1, 'imposed', \
             'contact_form', 'UPC-1', '2026-01-05', 's', 'gd', '2026-01-05T09:00:00+00:00')",
            "INSERT INTO notification_read (notification_id, user_sub, read_at) \
             VALUES (7, 'u1', '2026-01-06T09:00:00+00:00')",
        ] {
            db.execute_unprepared(sql).await.expect(sql);
        }
        Migrator::up(&db, None).await.expect("this migration");
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM notification WHERE id = 7 AND event = 'imposed'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM notification_read WHERE notification_id = 7"
            )
            .await,
            1
        );
        let reminder = "INSERT INTO notification (service_id, case_id, restriction_id, event, \
             restriction_kind, case_reference, starts_on, summary, created_by, created_at, review_due_on) \
             VALUES (1, 1, 1, 'review_due', 'contact_form', 'UPC-1', '2026-01-05', 's', \
             'system:scheduler', '2026-12-06T06:00:00+00:00', '2026-12-20')";
        db.execute_unprepared(reminder).await.expect("a reminder");
        assert!(
            db.execute_unprepared(reminder).await.is_err(),
            "one reminder per restriction and review date"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM notification WHERE id > 7").await,
            1,
            "new ids follow the kept ones"
        );
        // Deleting a notification still cascades to its read marks.
        let from_this_one = Migrator::migrations().len() as u32 - before;
        Migrator::down(&db, Some(from_this_one))
            .await
            .expect("down");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM notification").await, 1);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM notification_read").await,
            1
        );
        db.execute_unprepared("DELETE FROM notification WHERE id = 7")
            .await
            .expect("delete");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM notification_read").await,
            0
        );
    }
}
