//! The `behaviour_report` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ReportChannel, ReporterRole};

/// A report of behaviour by an officer or elected Member (2.3, 5.1).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "behaviour_report")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Identity-provider subject of the reporter.
    pub reported_by: String,
    /// Reporter's name at the time.
    pub reporter_name: String,
    /// Reporter's role.
    pub reporter_role: ReporterRole,
    /// How the behaviour was made (2.3).
    pub channel: ReportChannel,
    /// When the behaviour happened.
    pub occurred_at: DateTimeUtc,
    /// What happened.
    #[sea_orm(column_type = "Text")]
    pub description: String,
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
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
