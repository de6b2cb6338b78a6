//! The case lifecycle (issue 4): idempotency keys for mutations, and a link from each letter to
//! the decision it tells the customer about, and the restrictions a partial-removal review
//! recommendation names.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::NewTable;

/// Adds `idempotency_key`, `letter.regarding_type` / `letter.regarding_id` and
/// `review.remove_restriction_ids`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["idempotency_key"];

/// A mutation's idempotency key: a replay by the same caller with the same key returns the first
/// result; the same key with a different input is refused.
fn idempotency_key() -> NewTable {
    NewTable::append_only("idempotency_key")
        .col(string("actor_sub"))
        .col(string("idempotency_key"))
        .col(string("operation"))
        .col(string("request_hash"))
        .col(string("result_type"))
        .col(big_integer("result_id"))
        .col(timestamp_with_time_zone("created_at"))
        .unique(&["actor_sub", "idempotency_key"])
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (create, indexes) = idempotency_key().finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table("letter")
                    .add_column(string_null("regarding_type"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("letter")
                    .add_column(big_integer_null("regarding_id"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("review")
                    .add_column(text_null("remove_restriction_ids"))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("review")
                    .drop_column("remove_restriction_ids")
                    .take(),
            )
            .await?;
        for column in ["regarding_id", "regarding_type"] {
            manager
                .alter_table(Table::alter().table("letter").drop_column(column).take())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("idempotency_key").if_exists().take())
            .await
    }
}
