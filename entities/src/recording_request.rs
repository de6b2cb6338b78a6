//! The `recording_request` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A customer's request to record a conversation or meeting (section 4).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "recording_request")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case, if there is one.
    pub case_id: Option<i64>,
    /// The customer.
    pub customer_id: i64,
    /// When the request was made.
    pub requested_at: DateTimeUtc,
    /// The conversation or meeting to be recorded.
    #[sea_orm(column_type = "Text")]
    pub context: String,
    /// The member of staff or elected Member asked.
    #[sea_orm(column_type = "Text")]
    pub staff_member: String,
    /// Whether they agreed (4.2: there is no obligation to).
    pub agreed: bool,
    /// Why they refused, if they said.
    #[sea_orm(column_type = "Text")]
    pub refusal_reason: Option<String>,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The case, if there is one. (`case_id`)
    #[sea_orm(
        belongs_to = "super::upc_case::Entity",
        from = "Column::CaseId",
        to = "super::upc_case::Column::Id"
    )]
    Case,
    /// The customer. (`customer_id`)
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
