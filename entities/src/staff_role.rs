//! The `staff_role` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A role a member of staff holds in one service, e.g. Head of Service of Housing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "staff_role")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The member of staff.
    pub staff_member_id: i64,
    /// The service.
    pub service_id: i64,
    /// The role's token name, e.g. `head_of_service` (a role held per service).
    pub role: String,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The member of staff. (`staff_member_id`)
    #[sea_orm(
        belongs_to = "super::staff_member::Entity",
        from = "Column::StaffMemberId",
        to = "super::staff_member::Column::Id",
        on_delete = "Cascade"
    )]
    StaffMember,
    /// The service. (`service_id`)
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id",
        on_delete = "Cascade"
    )]
    Service,
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StaffMember.def()
    }
}

impl Related<super::service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
