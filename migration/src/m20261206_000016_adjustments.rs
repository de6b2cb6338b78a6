//! Reasonable adjustments as records (issue 19, item 2): a reasonable adjustment keeps the need
//! it meets, the adjustment agreed (`description`), who agreed it and when, when it is next
//! reviewed, and whether it is still in place (`active` or `ended`, with the day it ended and
//! why). The Stage 1 warning, the Stage 2 decision and the review link the adjustments they
//! considered (`stage_1_warning_adjustment`, `stage_2_decision_adjustment`,
//! `review_adjustment`); the 8.2 check reads those links.
//!
//! Rows written before this migration keep only their description: `need`, `agreed_by` and
//! `agreed_on` are empty, and an adjustment with no `agreed_on` counts as in place since before
//! any decision.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::{NewTable, one_of};

/// Adds the columns of `reasonable_adjustment` and the three link tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &[
    "stage_1_warning_adjustment",
    "stage_2_decision_adjustment",
    "review_adjustment",
];

/// Whether an adjustment is still in place (`entities::enums::AdjustmentStatus`).
const STATUSES: &[&str] = &["active", "ended"];

/// The columns added to `reasonable_adjustment`.
fn added_columns() -> Vec<ColumnDef> {
    vec![
        text_null("need"),
        string_null("agreed_by"),
        date_null("agreed_on"),
        date_null("review_on"),
        one_of("status", STATUSES).default("active").take(),
        date_null("ended_on"),
        text_null("end_reasons"),
    ]
}

/// The adjustments a decision (`table`, by `column`) considered.
fn link(name: &'static str, column: &'static str, table: &'static str) -> NewTable {
    NewTable::keyed_by_pair(name, column, "adjustment_id")
        .reference_cascade(column, table)
        .reference("adjustment_id", "reasonable_adjustment")
}

fn links() -> Vec<NewTable> {
    vec![
        link(
            "stage_1_warning_adjustment",
            "warning_id",
            "stage_1_warning",
        ),
        link(
            "stage_2_decision_adjustment",
            "decision_id",
            "stage_2_decision",
        ),
        link("review_adjustment", "review_id", "review"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in added_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table("reasonable_adjustment")
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        for table in links() {
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
        for column in added_columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table("reasonable_adjustment")
                        .drop_column(Alias::new(column.get_column_name()))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
