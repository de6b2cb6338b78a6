//! The `exclusion_establishment` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An establishment an exclusion applies to (3.2: one or more council buildings).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "exclusion_establishment")]
pub struct Model {
    /// The exclusion.
    #[sea_orm(primary_key, auto_increment = false)]
    pub exclusion_id: i64,
    /// An establishment the customer is excluded from.
    #[sea_orm(primary_key, auto_increment = false)]
    pub establishment_id: i64,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The exclusion. (`exclusion_id`)
    #[sea_orm(
        belongs_to = "super::exclusion::Entity",
        from = "Column::ExclusionId",
        to = "super::exclusion::Column::Id",
        on_delete = "Cascade"
    )]
    Exclusion,
    /// An establishment the customer is excluded from. (`establishment_id`)
    #[sea_orm(
        belongs_to = "super::establishment::Entity",
        from = "Column::EstablishmentId",
        to = "super::establishment::Column::Id"
    )]
    Establishment,
}

impl Related<super::exclusion::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exclusion.def()
    }
}

impl Related<super::establishment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Establishment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
