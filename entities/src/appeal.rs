//! The `appeal` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::AppealOutcome;

/// A customer's appeal against a Stage 1 warning (6.1, 6.2).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "appeal")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The warning appealed against.
    pub warning_id: i64,
    /// Date Legal Services received the written appeal.
    pub received_on: Date,
    /// The customer's reasons for disagreeing (6.1).
    #[sea_orm(column_type = "Text")]
    pub grounds: String,
    /// Identity-provider subject of who logged it in Legal Services.
    pub logged_by: String,
    /// Accepted although received after the 15 working days.
    pub accepted_late: bool,
    /// Why a late appeal was accepted; required when accepted late.
    #[sea_orm(column_type = "Text")]
    pub late_reason: Option<String>,
    /// When the Group Director was notified of the appeal (6.2; added).
    pub group_director_notified_at: Option<DateTimeUtc>,
    /// The Group Director's decision.
    pub outcome: AppealOutcome,
    /// Identity-provider subject of the Group Director.
    pub decided_by: Option<String>,
    /// When it was decided.
    pub decided_at: Option<DateTimeUtc>,
    /// Reasons for the decision.
    #[sea_orm(column_type = "Text")]
    pub decision_reasons: Option<String>,
    /// When Legal Services told the customer (6.2).
    pub customer_told_at: Option<DateTimeUtc>,
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
    /// The warning appealed against. (`warning_id`)
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
