//! The `harassment_referral_call` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A terminated call (3.4) a harassment referral rests on (3.5).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "harassment_referral_call")]
pub struct Model {
    /// The harassment referral.
    #[sea_orm(primary_key, auto_increment = false)]
    pub harassment_referral_id: i64,
    /// A terminated call it rests on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub call_termination_id: i64,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The harassment referral. (`harassment_referral_id`)
    #[sea_orm(
        belongs_to = "super::harassment_referral::Entity",
        from = "Column::HarassmentReferralId",
        to = "super::harassment_referral::Column::Id",
        on_delete = "Cascade"
    )]
    HarassmentReferral,
    /// The terminated call. (`call_termination_id`)
    #[sea_orm(
        belongs_to = "super::call_termination::Entity",
        from = "Column::CallTerminationId",
        to = "super::call_termination::Column::Id"
    )]
    CallTermination,
}

impl Related<super::harassment_referral::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::HarassmentReferral.def()
    }
}

impl Related<super::call_termination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallTermination.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
