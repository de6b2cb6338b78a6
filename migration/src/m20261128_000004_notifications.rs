//! Live alerts (issue 5, policy 5.5): the service team is told when a restriction is imposed,
//! varied, extended, made permanent or lifted in their service. Each alert is stored as a
//! `notification` (written in the same transaction as the restriction change), and each user
//! marks the ones they have read in `notification_read`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::{NewTable, one_of};

/// Adds `notification` and `notification_read`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["notification", "notification_read"];

/// What happened to a restriction (the stored spelling of `entities::notification::AlertEvent`),
/// as of this migration (`m20261206_000012_scheduler` adds `review_due`).
pub(crate) const EVENTS: &[&str] = &["imposed", "varied", "extended", "made_permanent", "lifted"];

/// The restriction kinds of 5.3 (the stored spelling of `RestrictionKind`).
const KINDS: &[&str] = &[
    "time_limits",
    "named_contact",
    "telephone_times",
    "establishment_exclusion",
    "contact_form",
    "contact_agreement",
    "termination",
];

/// One alert to a service team about one restriction. It holds no customer name and no free
/// text: the case reference, the restriction's kind and dates, and what happened. Rows are never
/// updated; they go with their case. `events`: the values `event` may take.
pub(crate) fn notification(events: &[&str]) -> NewTable {
    NewTable::append_only("notification")
        .reference("service_id", "service")
        .reference_cascade("case_id", "upc_case")
        .reference_cascade("restriction_id", "restriction")
        .col(one_of("event", events))
        .col(one_of("restriction_kind", KINDS))
        .col(string("case_reference"))
        .col(date("starts_on"))
        .col(date_null("ends_on"))
        .col(text("summary"))
        .col(string("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .index(&["service_id", "id"])
}

/// A user has read a notification: at most one row per notification and user.
pub(crate) fn notification_read() -> NewTable {
    NewTable::append_only("notification_read")
        .reference_cascade("notification_id", "notification")
        .col(string("user_sub"))
        .col(timestamp_with_time_zone("read_at"))
        .unique(&["notification_id", "user_sub"])
        .index(&["user_sub", "notification_id"])
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [notification(EVENTS), notification_read()] {
            let (create, indexes) = table.finish();
            manager.create_table(create).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
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
