//! Customers managed on their own (issue 19, item 1): the service that recorded a customer
//! outside any case (so its staff can find them, 5.4), the record a duplicate was merged into
//! (kept, never deleted, so the merge can be undone), and whether letters go to a
//! representative rather than to the customer (at the customer's request).

use sea_orm_migration::prelude::*;

/// Adds `customer.service_id`, `customer.merged_into_id`, `customer.merged_at` and
/// `representative.letters_to_representative`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time.
        for column in [
            ColumnDef::new("service_id").big_integer().null().to_owned(),
            ColumnDef::new("merged_into_id")
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new("merged_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("customer")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("representative")
                    .add_column(
                        ColumnDef::new("letters_to_representative")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("representative")
                    .drop_column("letters_to_representative")
                    .to_owned(),
            )
            .await?;
        for column in ["merged_at", "merged_into_id", "service_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("customer")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
