//! The `staff_member` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A member of staff known to the system.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "staff_member")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Identity-provider subject (`sub`) once they have signed in.
    #[sea_orm(unique)]
    pub subject: Option<String>,
    /// The identity provider's stable object id (Entra ID `oid`), recorded at sign-in.
    #[sea_orm(unique)]
    pub object_id: Option<String>,
    /// Name as shown to colleagues and in letters.
    pub display_name: String,
    /// Work email address.
    pub email: Option<String>,
    /// Job title, e.g. `Service manager`.
    pub job_title: Option<String>,
    /// Team they belong to.
    pub team_id: Option<i64>,
    /// False once they have left.
    pub active: bool,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Team they belong to. (`team_id`)
    #[sea_orm(
        belongs_to = "super::staff_team::Entity",
        from = "Column::TeamId",
        to = "super::staff_team::Column::Id"
    )]
    Team,
}

impl Related<super::staff_team::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Team.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
