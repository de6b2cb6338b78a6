//! The `behaviour_report_type` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::Behaviour;

/// A type of behaviour named in a report (2.3, 4.4); a report names one or more.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "behaviour_report_type")]
pub struct Model {
    /// The report.
    #[sea_orm(primary_key, auto_increment = false)]
    pub report_id: i64,
    /// The behaviour type.
    #[sea_orm(primary_key, auto_increment = false)]
    pub behaviour: Behaviour,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The report. (`report_id`)
    #[sea_orm(
        belongs_to = "super::behaviour_report::Entity",
        from = "Column::ReportId",
        to = "super::behaviour_report::Column::Id",
        on_delete = "Cascade"
    )]
    Report,
}

impl Related<super::behaviour_report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
