//! How a case ends (issue 19, item 4): each Stage 1 warning keeps the last day of its warning
//! period, as its letter told the customer, and the letter that tells a customer their case is
//! closed (`case_closed`) becomes a kind of letter and of letter template.
//!
//! A `CHECK` on a column cannot be changed in place on SQLite, so the `kind` column of `letter`
//! and `letter_template` is replaced: a new column with the new list is added, filled from the
//! old one, the old one dropped and the new one renamed (SQLite 3.35 or later; the unique index
//! of `letter_template` that names `kind` is dropped and made again around it). All of it is
//! sea-query, so it runs the same on PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `stage_1_warning.period_ends_on` and the letter kind `case_closed`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The values of `LetterKind` before this migration.
const LETTER_KIND_BEFORE: &[&str] = &[
    "stage_1_warning",
    "appeal_outcome",
    "stage_2_decision",
    "restriction_variation",
    "review_outcome",
    "determination_outcome",
];

/// The values of `LetterKind` from this migration on.
const LETTER_KIND: &[&str] = &[
    "stage_1_warning",
    "appeal_outcome",
    "stage_2_decision",
    "restriction_variation",
    "review_outcome",
    "determination_outcome",
    "case_closed",
];

/// The unique index on `letter_template` that names `kind` (made by the foundation migration).
const TEMPLATE_INDEX: &str = "uq_letter_template_kind_language_template_version";

/// The column being filled while the old `kind` still exists.
const SWAP: &str = "kind_next";

/// Replace `table.kind` with a column allowing exactly `values`.
async fn replace_kind(
    manager: &SchemaManager<'_>,
    table: &'static str,
    values: &[&str],
) -> Result<(), DbErr> {
    let column = string(SWAP)
        .default("stage_1_warning")
        .check(Expr::col(SWAP).is_in(values.iter().copied()))
        .take();
    manager
        .alter_table(Table::alter().table(table).add_column(column).take())
        .await?;
    manager
        .exec_stmt(
            Query::update()
                .table(table)
                .value(Alias::new(SWAP), Expr::col(Alias::new("kind")))
                .take(),
        )
        .await?;
    manager
        .alter_table(Table::alter().table(table).drop_column("kind").take())
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .rename_column(Alias::new(SWAP), Alias::new("kind"))
                .take(),
        )
        .await
}

/// Replace the `kind` of both letter tables with `values`.
async fn letter_kinds(manager: &SchemaManager<'_>, values: &[&str]) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(TEMPLATE_INDEX)
                .table("letter_template")
                .to_owned(),
        )
        .await?;
    replace_kind(manager, "letter_template", values).await?;
    manager
        .create_index(
            Index::create()
                .name(TEMPLATE_INDEX)
                .table("letter_template")
                .col("kind")
                .col("language")
                .col("template_version")
                .unique()
                .take(),
        )
        .await?;
    replace_kind(manager, "letter", values).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("stage_1_warning")
                    .add_column(date_null("period_ends_on"))
                    .take(),
            )
            .await?;
        letter_kinds(manager, LETTER_KIND).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Letters of the new kind cannot stay under the old list.
        for table in ["letter", "letter_template"] {
            manager
                .exec_stmt(
                    Query::delete()
                        .from_table(table)
                        .and_where(Expr::col(Alias::new("kind")).eq("case_closed"))
                        .take(),
                )
                .await?;
        }
        letter_kinds(manager, LETTER_KIND_BEFORE).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("stage_1_warning")
                    .drop_column("period_ends_on")
                    .take(),
            )
            .await
    }
}
