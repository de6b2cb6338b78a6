//! The `review_adjustment` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A reasonable adjustment a review considered (Equality Act 2010).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "review_adjustment")]
pub struct Model {
    /// The decision.
    #[sea_orm(primary_key, auto_increment = false)]
    pub review_id: i64,
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
    /// The decision. (`review_id`)
    #[sea_orm(
        belongs_to = "super::review::Entity",
        from = "Column::ReviewId",
        to = "super::review::Column::Id",
        on_delete = "Cascade"
    )]
    Review,
    /// The adjustment. (`adjustment_id`)
    #[sea_orm(
        belongs_to = "super::reasonable_adjustment::Entity",
        from = "Column::AdjustmentId",
        to = "super::reasonable_adjustment::Column::Id"
    )]
    ReasonableAdjustment,
}

impl Related<super::review::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Review.def()
    }
}

impl Related<super::reasonable_adjustment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReasonableAdjustment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
