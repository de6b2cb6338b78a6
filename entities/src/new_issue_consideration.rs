//! The `new_issue_consideration` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The Group Director's consideration of a new issue raised by a restricted customer (9.1).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "new_issue_consideration")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The contact that raised it, if logged.
    pub contact_id: Option<i64>,
    /// The new issue.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Identity-provider subject of the Group Director.
    pub considered_by: String,
    /// Whether the restrictions remain appropriate and necessary (9.1).
    pub restrictions_remain_appropriate: bool,
    /// Reasons.
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    /// Date considered.
    pub considered_on: Date,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The case. (`case_id`)
    #[sea_orm(
        belongs_to = "super::upc_case::Entity",
        from = "Column::CaseId",
        to = "super::upc_case::Column::Id"
    )]
    Case,
    /// The contact that raised it, if logged. (`contact_id`)
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "Column::ContactId",
        to = "super::contact::Column::Id"
    )]
    Contact,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
