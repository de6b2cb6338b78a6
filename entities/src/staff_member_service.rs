//! The `staff_member_service` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Which services a member of staff works in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "staff_member_service")]
pub struct Model {
    /// The member of staff.
    #[sea_orm(primary_key, auto_increment = false)]
    pub staff_member_id: i64,
    /// A service they work in.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: i64,
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
    /// A service they work in. (`service_id`)
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
