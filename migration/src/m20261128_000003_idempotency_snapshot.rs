//! Idempotency keys keep the first call's result, so a replay returns exactly that.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `idempotency_key.result_snapshot`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_key")
                    .add_column(text_null("result_snapshot"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_key")
                    .drop_column("result_snapshot")
                    .take(),
            )
            .await
    }
}
