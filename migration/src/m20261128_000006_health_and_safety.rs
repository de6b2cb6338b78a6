//! Health & Safety and recording (issue 5, policy sections 3 and 4): harassment referrals from the
//! Service manager to the Head of Service with the terminated calls they rest on (3.5), notes on
//! a police referral made for "another reason", and the recorded agreement to a long-term
//! exclusion (3.2).

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::NewTable;

/// Adds `harassment_referral`, `harassment_referral_call`, `police_referral.notes`,
/// `exclusion.agreed_at` and `exclusion.agreement_reasons`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates, parents first.
pub(crate) const TABLE_NAMES: &[&str] = &["harassment_referral", "harassment_referral_call"];

/// Repeated abusive calls referred by the Service manager to the Head of Service as harassment,
/// to be reported to the police (3.5). `police_referral_id` is set when the Head of Service
/// reports it.
fn harassment_referral() -> NewTable {
    NewTable::new("harassment_referral")
        .reference("case_id", "upc_case")
        .col(string("referred_by"))
        .col(text("referred_to"))
        .col(timestamp_with_time_zone("referred_at"))
        .col(text("reasons"))
        .reference_null("police_referral_id", "police_referral")
}

/// A terminated call (3.4) a harassment referral rests on.
fn harassment_referral_call() -> NewTable {
    NewTable::keyed_by_pair(
        "harassment_referral_call",
        "harassment_referral_id",
        "call_termination_id",
    )
    .reference_cascade("harassment_referral_id", "harassment_referral")
    .reference("call_termination_id", "call_termination")
}

/// Columns added to existing tables, one `ALTER TABLE` each (SQLite adds one column at a time).
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        ("police_referral", text_null("notes")),
        ("exclusion", timestamp_with_time_zone_null("agreed_at")),
        ("exclusion", text_null("agreement_reasons")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [harassment_referral(), harassment_referral_call()] {
            let (create, indexes) = table.finish();
            manager.create_table(create).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        for (table, column) in added_columns() {
            manager
                .alter_table(Table::alter().table(table).add_column(column).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in added_columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Alias::new(column.get_column_name()))
                        .take(),
                )
                .await?;
        }
        for name in TABLE_NAMES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*name).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
