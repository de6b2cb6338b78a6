//! The `hs_incident` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A member of staff's written report of feeling threatened (3.1), with the HS V1 form reference (3.3).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "hs_incident")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Identity-provider subject of the member of staff.
    pub reported_by: String,
    /// When it was reported to the Service manager.
    pub reported_at: DateTimeUtc,
    /// The written reasons why they felt threatened (3.1).
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    /// Whether there is an imminent risk of harm (3.2).
    pub imminent_risk: bool,
    /// Reference of the HS V1 incident report form (3.3).
    pub hs_v1_reference: Option<String>,
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
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
