//! The `reasonable_adjustment` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::AdjustmentStatus;

/// A reasonable adjustment made for a customer (Equality Act 2010): the need, the adjustment
/// agreed, who agreed it and when, when it is reviewed, and whether it is still in place.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reasonable_adjustment")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The adjustment agreed.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The need it meets (disability or unmet need); empty on rows recorded before issue 19.
    #[sea_orm(column_type = "Text", nullable)]
    pub need: Option<String>,
    /// Who agreed the adjustment (name and role, as given).
    pub agreed_by: Option<String>,
    /// When it was agreed; empty on rows recorded before issue 19 (in place since before any
    /// decision).
    pub agreed_on: Option<Date>,
    /// When it is next reviewed.
    pub review_on: Option<Date>,
    /// In place or ended.
    pub status: AdjustmentStatus,
    /// The day it ended (no longer in place from that day).
    pub ended_on: Option<Date>,
    /// Why it ended.
    #[sea_orm(column_type = "Text", nullable)]
    pub end_reasons: Option<String>,
    /// Identity-provider subject of who recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_at: DateTimeUtc,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The customer. (`customer_id`)
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_delete = "Cascade"
    )]
    Customer,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
