//! The `harassment_referral` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Repeated abusive calls referred by the Service manager to the Head of Service as harassment,
/// to be reported to the police (3.5).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "harassment_referral")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Identity-provider subject of the Service manager who referred it.
    pub referred_by: String,
    /// The Head of Service it was referred to.
    #[sea_orm(column_type = "Text")]
    pub referred_to: String,
    /// When it was referred.
    pub referred_at: DateTimeUtc,
    /// Why the calls are deemed harassment.
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    /// The report to the police the Head of Service made, once made.
    pub police_referral_id: Option<i64>,
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
    /// The report to the police, once made. (`police_referral_id`)
    #[sea_orm(
        belongs_to = "super::police_referral::Entity",
        from = "Column::PoliceReferralId",
        to = "super::police_referral::Column::Id"
    )]
    PoliceReferral,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::police_referral::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PoliceReferral.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
