//! The `breach` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::BreachOutcome;

/// A breach of a restriction or an ignored exclusion (5.6).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "breach")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The restriction breached.
    pub restriction_id: Option<i64>,
    /// The exclusion ignored.
    pub exclusion_id: Option<i64>,
    /// The contact that breached it, if logged.
    pub contact_id: Option<i64>,
    /// When it happened.
    pub occurred_at: DateTimeUtc,
    /// What happened.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Identity-provider subject of who recorded it.
    pub recorded_by: String,
    /// Flagged for immediate review (5.6).
    pub flagged_for_review: bool,
    /// What was done about it.
    pub outcome: BreachOutcome,
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
    /// The restriction breached. (`restriction_id`)
    #[sea_orm(
        belongs_to = "super::restriction::Entity",
        from = "Column::RestrictionId",
        to = "super::restriction::Column::Id"
    )]
    Restriction,
    /// The exclusion ignored. (`exclusion_id`)
    #[sea_orm(
        belongs_to = "super::exclusion::Entity",
        from = "Column::ExclusionId",
        to = "super::exclusion::Column::Id"
    )]
    Exclusion,
    /// The contact that breached it, if logged. (`contact_id`)
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "Column::ContactId",
        to = "super::contact::Column::Id"
    )]
    Contact,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::restriction::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Restriction.def()
    }
}

impl Related<super::exclusion::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exclusion.def()
    }
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
