//! The `stage_2_decision` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ConsultedRole;

/// The Group Director's Stage 2 decision on restricted contact (5.1, 5.3, 6.3).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "stage_2_decision")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The Stage 1 warning it follows; none only when immediate.
    pub warning_id: Option<i64>,
    /// Applied at once without a Stage 1 warning, in exceptional circumstances (note under 5.1).
    pub immediate: bool,
    /// Why immediate action was appropriate; required when immediate, and given to the customer.
    #[sea_orm(column_type = "Text")]
    pub exceptional_reasons: Option<String>,
    /// Identity-provider subject of the Group Director.
    pub decided_by: String,
    /// Date of the decision to restrict: the review clock starts here (7.1).
    pub decided_on: Date,
    /// Who was consulted (5.3).
    pub consulted_role: ConsultedRole,
    /// Name of the person consulted.
    pub consulted_name: String,
    /// How disability, unmet need and reasonable adjustments were considered.
    #[sea_orm(column_type = "Text")]
    pub adjustments_considered: String,
    /// Why these restrictions are the least restrictive that work.
    #[sea_orm(column_type = "Text")]
    pub proportionality: String,
    /// Reasons for the decision.
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    /// Date by which it must be reviewed: no later than 12 months (7.1).
    pub review_due_on: Date,
    /// When the service team was told of the decision (5.5; added).
    pub service_team_notified_at: Option<DateTimeUtc>,
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
    /// The Stage 1 warning it follows; none only when immediate. (`warning_id`)
    #[sea_orm(
        belongs_to = "super::stage_1_warning::Entity",
        from = "Column::WarningId",
        to = "super::stage_1_warning::Column::Id"
    )]
    Warning,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::stage_1_warning::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Warning.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
