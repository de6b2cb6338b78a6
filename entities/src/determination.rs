//! The `determination` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::DeciderRole;

/// The decision whether reported behaviour was unreasonable (5.1, Stage 1).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "determination")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The report decided on, if one.
    pub report_id: Option<i64>,
    /// Identity-provider subject of the decider.
    pub decided_by: String,
    /// Service manager or Head of Service.
    pub decider_role: DeciderRole,
    /// Whether the behaviour was unreasonable under the policy.
    pub unreasonable: bool,
    /// Reasons for the decision.
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    /// When it was decided.
    pub decided_at: DateTimeUtc,
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
    /// The report decided on, if one. (`report_id`)
    #[sea_orm(
        belongs_to = "super::behaviour_report::Entity",
        from = "Column::ReportId",
        to = "super::behaviour_report::Column::Id"
    )]
    Report,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::behaviour_report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
