//! Retention (issue 7, item 4): the register of disposals. One row for each case and each
//! customer the retention schedule has anonymised, saying under which rule, from which date it
//! fell due, and when it was done. The erased content itself is never recorded.
//!
//! Like the audit log, the register is append-only and `entity_id` is deliberately not a foreign
//! key: it records what was done to a row, not a dependency on it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::{NewTable, one_of};

/// Adds `disposal`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["disposal"];

/// What was anonymised, as of this migration.
const DISPOSAL_ENTITY: &[&str] = &["upc_case", "customer"];

/// The rules of the schedule, as of this migration.
const DISPOSAL_RULE: &[&str] = &[
    "restrictions_ended",
    "closed_without_restriction",
    "all_cases_disposed",
];

/// One anonymisation.
fn disposal() -> NewTable {
    NewTable::append_only("disposal")
        .col(timestamp_with_time_zone("disposed_at"))
        .col(one_of("entity_type", DISPOSAL_ENTITY))
        .col(big_integer("entity_id"))
        .col(string("reference"))
        .col(one_of("rule", DISPOSAL_RULE))
        .col(date("basis_on"))
        .col(date("due_on"))
        .col(string("run_id"))
        .unique(&["entity_type", "entity_id"])
        .index(&["disposed_at"])
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (create, indexes) = disposal().finish();
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
