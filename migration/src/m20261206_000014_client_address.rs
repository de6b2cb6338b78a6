//! The client's address on audit events and access records (issue 20): the TCP peer, or behind a
//! trusted reverse proxy the address it forwarded. Null for rows written before this migration
//! and for work the system does itself (retention, the scheduler, demonstration data).

use sea_orm_migration::prelude::*;

/// Adds `client_address` to `audit_event` and `access_record`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_event", "access_record"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new("client_address").string_len(45).null())
                        .to_owned(),
                )
                .await?;
        }
        // SQLite's append-only trigger names the columns it keeps: keep this one too.
        // (PostgreSQL's compares whole rows, new columns included.)
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_event_no_update")
                .await?;
            db.execute_unprepared(&crate::m20261128_000007_audit_chain::sqlite_no_update(&[
                "client_address",
            ]))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_event_no_update")
                .await?;
            db.execute_unprepared(&crate::m20261128_000007_audit_chain::sqlite_no_update(&[]))
                .await?;
        }
        for table in ["audit_event", "access_record"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("client_address")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
