//! The report queue (issue 6): a job's request key, so that asking again for the same report
//! while one is queued or running returns that one, enforced by a partial unique index (the same
//! SQL on SQLite and PostgreSQL), and the lease's last heartbeat.

use sea_orm_migration::prelude::*;

const INDEX: &str = "uq_report_job_active_request";

/// Adds `report_job.request_key` and `report_job.heartbeat_at`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("report_job")
                    .add_column(ColumnDef::new("request_key").string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("report_job")
                    .add_column(
                        ColumnDef::new("heartbeat_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // A partial index has no sea-query form on both backends; this statement is portable.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {INDEX} ON report_job (request_key) \
                 WHERE status IN ('queued', 'running')"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("report_job").to_owned())
            .await?;
        for column in ["heartbeat_at", "request_key"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("report_job")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
