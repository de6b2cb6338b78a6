//! The `upc_case` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CaseStage, CaseStatus};

/// A case: one customer in one service (5.4). Named `upc_case` because `case` is reserved in SQL.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "upc_case")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique reference, e.g. `UPC-2026-0001`.
    #[sea_orm(unique)]
    pub reference: String,
    /// The customer.
    pub customer_id: i64,
    /// The service the case belongs to.
    pub service_id: i64,
    /// Where the case stands in the process.
    pub stage: CaseStage,
    /// Open or closed.
    pub status: CaseStatus,
    /// When the case was opened.
    pub opened_at: DateTimeUtc,
    /// When the case was closed.
    pub closed_at: Option<DateTimeUtc>,
    /// Why the case was closed.
    #[sea_orm(column_type = "Text")]
    pub closure_reason: Option<String>,
    /// Last day to appeal the current Stage 1 warning (15 working days, 6.1).
    pub appeal_deadline: Option<Date>,
    /// Date by which the restrictions must be reviewed (no later than 12 months, 7.1).
    pub review_due_on: Option<Date>,
    /// Flagged for early review, e.g. after an ignored exclusion (5.6).
    pub flagged_for_review: bool,
    /// Why the case was flagged.
    #[sea_orm(column_type = "Text")]
    pub flag_reason: Option<String>,
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
        to = "super::customer::Column::Id"
    )]
    Customer,
    /// The service the case belongs to. (`service_id`)
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id"
    )]
    Service,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
