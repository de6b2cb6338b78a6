//! The `review` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ReviewRecommendation;

/// A review of a case no later than 12 months after the decision to restrict (7.1 to 7.4).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "review")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Date by which the review must be held.
    pub due_on: Date,
    /// Identity-provider subject of the Legal Services reviewer (7.2).
    pub conducted_by: Option<String>,
    /// Legal Services' recommendation (7.3).
    pub recommendation: Option<ReviewRecommendation>,
    /// Reasons for the recommendation.
    #[sea_orm(column_type = "Text")]
    pub recommendation_reasons: Option<String>,
    /// Date of the recommendation.
    pub recommended_on: Option<Date>,
    /// Whether the Group Director endorsed it (7.4).
    pub endorsed: Option<bool>,
    /// Identity-provider subject of the Group Director.
    pub endorsed_by: Option<String>,
    /// Date of the endorsement decision.
    pub endorsed_on: Option<Date>,
    /// Reasons for endorsing or not.
    #[sea_orm(column_type = "Text")]
    pub endorsement_reasons: Option<String>,
    /// When Legal Services told the customer (7.4).
    pub customer_told_at: Option<DateTimeUtc>,
    /// For a partial removal: the restrictions to remove, as a JSON array of ids.
    #[sea_orm(column_type = "Text")]
    pub remove_restriction_ids: Option<String>,
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
