//! The staff directory kept by the administrator and filled from sign-in (issue 19, item 3):
//! `staff_role`, one row per role a member of staff holds in a service (who is Service manager,
//! Head of Service or Group Director there); `staff_team.active`, so a team can be taken out of
//! use without losing the restrictions that name it; and `staff_member.object_id`, the identity
//! provider's stable object id (Entra ID `oid`) recorded at sign-in.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::{NewTable, one_of};

/// Adds `staff_role`, `staff_team.active` and `staff_member.object_id`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables this migration creates.
pub(crate) const TABLE_NAMES: &[&str] = &["staff_role"];

/// The roles held per service (the stored spelling of `Role::as_str` for service staff).
const SERVICE_ROLES: &[&str] = &[
    "officer",
    "service_manager",
    "head_of_service",
    "service_director",
    "feedback_officer",
    "group_director",
];

/// A role a member of staff holds in one service.
fn staff_role() -> NewTable {
    NewTable::new("staff_role")
        .reference_cascade("staff_member_id", "staff_member")
        .reference_cascade("service_id", "service")
        .col(one_of("role", SERVICE_ROLES))
        .unique(&["staff_member_id", "service_id", "role"])
        .index(&["service_id", "role"])
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (create, indexes) = staff_role().finish();
        manager.create_table(create).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("staff_team")
                    .add_column(boolean("active").default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("staff_member")
                    .add_column(string_null("object_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_staff_member_object_id")
                    .table("staff_member")
                    .col("object_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("uq_staff_member_object_id")
                    .table("staff_member")
                    .to_owned(),
            )
            .await?;
        for (table, column) in [("staff_member", "object_id"), ("staff_team", "active")] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("staff_role").to_owned())
            .await?;
        Ok(())
    }
}
