//! Who looked (issue 7): one row each time a member of staff is shown a sensitive part of a
//! customer's record — their identity or contact details, a description of their behaviour or of
//! an incident, a police reference, a letter — saying who, when, in which request and operation,
//! and which case or customer.
//!
//! Like the audit log, the table is append-only and its `case_id` and `customer_id` are
//! deliberately not foreign keys, so the record of who looked outlives anything it points at.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::{NewTable, one_of};

/// Adds `access_record`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["access_record"];

/// What was read, as of this migration (spelled out: a migration records what the schema was).
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

/// One sensitive read.
pub(crate) fn access_record() -> NewTable {
    NewTable::append_only("access_record")
        .col(timestamp_with_time_zone("occurred_at"))
        .col(string("actor_sub"))
        .col(string_null("actor_name"))
        .col(text("actor_roles"))
        .col(string("request_id"))
        .col(string("operation"))
        .col(big_integer_null("case_id"))
        .col(big_integer_null("customer_id"))
        .col(one_of("category", ACCESS_CATEGORY))
        .index(&["case_id"])
        .index(&["customer_id"])
        .index(&["actor_sub"])
        .index(&["occurred_at"])
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (create, indexes) = access_record().finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLE_NAMES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*name).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
