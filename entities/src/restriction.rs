//! The `restriction` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{RestrictionKind, RestrictionStatus};
use crate::restriction_parameters::RestrictionParameters;

/// One restriction on contact, for one service (5.3, 5.4).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "restriction")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The service it applies to: never council wide (5.4).
    pub service_id: i64,
    /// The Stage 2 decision that imposed it.
    pub decision_id: Option<i64>,
    /// Which of the seven kinds of 5.3; must match `parameters`.
    pub kind: RestrictionKind,
    /// The details of the restriction, shaped by its kind.
    #[sea_orm(column_type = "JsonBinary")]
    pub parameters: RestrictionParameters,
    /// First day in force.
    pub starts_on: Date,
    /// Last day in force, if it has an end.
    pub ends_on: Option<Date>,
    /// Date by which it must be reviewed (7.1).
    pub review_due_on: Date,
    /// Whether it is in force.
    pub status: RestrictionStatus,
    /// Made permanent (5.6).
    pub permanent: bool,
    /// Date it was lifted.
    pub lifted_on: Option<Date>,
    /// Why it was lifted.
    #[sea_orm(column_type = "Text")]
    pub lifted_reason: Option<String>,
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
    /// The service it applies to: never council wide (5.4). (`service_id`)
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id"
    )]
    Service,
    /// The Stage 2 decision that imposed it. (`decision_id`)
    #[sea_orm(
        belongs_to = "super::stage_2_decision::Entity",
        from = "Column::DecisionId",
        to = "super::stage_2_decision::Column::Id"
    )]
    Decision,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl Related<super::stage_2_decision::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Decision.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
