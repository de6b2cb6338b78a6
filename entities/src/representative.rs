//! The `representative` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Someone acting for a customer, recorded separately from the customer (ombudsman guidance).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "representative")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The customer represented.
    pub customer_id: i64,
    /// Representative's name.
    pub name: String,
    /// Organisation, e.g. an advocacy service.
    pub organisation: Option<String>,
    /// Relationship to the customer.
    pub relationship: Option<String>,
    /// How to contact the representative.
    #[sea_orm(column_type = "Text")]
    pub contact_details: Option<String>,
    /// Whether the customer's authority for them to act has been confirmed.
    pub authority_confirmed: bool,
    /// Whether the customer asked for letters to go to the representative: letters are then
    /// addressed to them.
    pub letters_to_representative: bool,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The customer represented. (`customer_id`)
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_delete = "Cascade"
    )]
    Customer,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
