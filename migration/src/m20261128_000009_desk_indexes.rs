//! An index for the desk's contact check (issues 5 and 9): a customer's recent inbound contacts
//! in one service are found through `(customer_id, service_id, occurred_at)` instead of scanning
//! a service's whole contact log by date.

use sea_orm_migration::prelude::*;

const INDEX: &str = "idx_contact_customer_service_occurred";

/// Adds the contact-log index the contact check's time-limit count uses.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("contact")
                    .col("customer_id")
                    .col("service_id")
                    .col("occurred_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("contact").to_owned())
            .await
    }
}
