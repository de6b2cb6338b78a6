//! The `stage_1_warning` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::WarningStatus;

/// A Stage 1 warning letter issued by the Head of Service (5.1).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "stage_1_warning")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The determination it follows (added, for the Standards Committee's process record, 8.2).
    pub determination_id: Option<i64>,
    /// Identity-provider subject of the Head of Service.
    pub issued_by: String,
    /// Date of the letter: day 0 of the appeal window (6.1).
    pub letter_date: Date,
    /// The Service Director consulted before issuing (5.1).
    #[sea_orm(column_type = "Text")]
    pub service_director_consulted: String,
    /// When the Service Director was consulted.
    pub consulted_on: Date,
    /// How disability, unmet need and reasonable adjustments were considered.
    #[sea_orm(column_type = "Text")]
    pub adjustments_considered: String,
    /// Why this is the least restrictive option that works.
    #[sea_orm(column_type = "Text")]
    pub proportionality: String,
    /// Whether the Service Feedback Officer was copied (5.1).
    pub feedback_officer_copied: bool,
    /// When Legal Services was notified for the central record (5.1).
    pub legal_services_notified_at: Option<DateTimeUtc>,
    /// Last day to appeal: 15 working days after the letter (6.1).
    pub appeal_deadline: Date,
    /// Last day of the warning period, as the letter told the customer: with no further
    /// behaviour reported by then, the case closes. Empty for warnings issued before it was
    /// kept (then the period is counted from `letter_date` with the current setting).
    pub period_ends_on: Option<Date>,
    /// Whether the warning stands.
    pub status: WarningStatus,
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
    /// The determination it follows (added, for the Standards Committee's process record, 8.2). (`determination_id`)
    #[sea_orm(
        belongs_to = "super::determination::Entity",
        from = "Column::DeterminationId",
        to = "super::determination::Column::Id"
    )]
    Determination,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::determination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Determination.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
