//! The `stage_2_decision_adjustment` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A reasonable adjustment a Stage 2 decision considered (Equality Act 2010).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "stage_2_decision_adjustment")]
pub struct Model {
    /// The decision.
    #[sea_orm(primary_key, auto_increment = false)]
    pub decision_id: i64,
    /// An adjustment it considered.
    #[sea_orm(primary_key, auto_increment = false)]
    pub adjustment_id: i64,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The decision. (`decision_id`)
    #[sea_orm(
        belongs_to = "super::stage_2_decision::Entity",
        from = "Column::DecisionId",
        to = "super::stage_2_decision::Column::Id",
        on_delete = "Cascade"
    )]
    Stage2Decision,
    /// The adjustment. (`adjustment_id`)
    #[sea_orm(
        belongs_to = "super::reasonable_adjustment::Entity",
        from = "Column::AdjustmentId",
        to = "super::reasonable_adjustment::Column::Id"
    )]
    ReasonableAdjustment,
}

impl Related<super::stage_2_decision::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stage2Decision.def()
    }
}

impl Related<super::reasonable_adjustment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReasonableAdjustment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
