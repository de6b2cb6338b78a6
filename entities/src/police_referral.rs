//! The `police_referral` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::PoliceReferralReason;

/// A report of a matter to the police (3.3, 3.5).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "police_referral")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The incident it arises from, if any.
    pub hs_incident_id: Option<i64>,
    /// Date reported to the police.
    pub referred_on: Date,
    /// The police's reference.
    pub police_reference: Option<String>,
    /// Why it was reported.
    pub reason: PoliceReferralReason,
    /// Identity-provider subject of who reported it.
    pub referred_by: String,
    /// Details, e.g. what the reason is when it is `other` (added by issue 5).
    #[sea_orm(column_type = "Text")]
    pub notes: Option<String>,
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
    /// The incident it arises from, if any. (`hs_incident_id`)
    #[sea_orm(
        belongs_to = "super::hs_incident::Entity",
        from = "Column::HsIncidentId",
        to = "super::hs_incident::Column::Id"
    )]
    HsIncident,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::hs_incident::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::HsIncident.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
