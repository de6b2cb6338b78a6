//! The `exclusion` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ExclusionAgreedByRole, ExclusionKind};

/// An exclusion of the customer from council premises (3.2, 5.6).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "exclusion")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Temporary, long-term or permanent.
    pub kind: ExclusionKind,
    /// Made for Health & Safety reasons: no right of appeal (3.6).
    pub health_and_safety: bool,
    /// First day of the exclusion.
    pub starts_on: Date,
    /// Last day; required for a temporary exclusion.
    pub ends_on: Option<Date>,
    /// Why the customer was excluded.
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    /// Identity-provider subject of the Service manager who authorised it.
    pub authorised_by: String,
    /// Identity-provider subject of the Head of Service or Service Director who agreed it; required unless temporary (3.2).
    pub agreed_by: Option<String>,
    /// Role of whoever agreed it.
    pub agreed_by_role: Option<ExclusionAgreedByRole>,
    /// When the Head of Service or Service Director agreed it (added by issue 5).
    pub agreed_at: Option<DateTimeUtc>,
    /// Why they agreed it should be long-term (added by issue 5).
    #[sea_orm(column_type = "Text")]
    pub agreement_reasons: Option<String>,
    /// The incident it arises from, if any.
    pub hs_incident_id: Option<i64>,
    /// Date it was lifted early, e.g. after a review (added: a long-term exclusion has no end date otherwise).
    pub lifted_on: Option<Date>,
    /// Why it was lifted early.
    #[sea_orm(column_type = "Text")]
    pub lifted_reason: Option<String>,
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
