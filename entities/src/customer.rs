//! The `customer` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CustomerKind, Language};

/// A customer: a person, several people, or a group (2.3).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique reference, e.g. `C-000001`.
    #[sea_orm(unique)]
    pub reference: String,
    /// Person, several people, or a group.
    pub kind: CustomerKind,
    /// Name used in the record and in letters.
    pub display_name: String,
    /// Postal address for letters.
    #[sea_orm(column_type = "Text")]
    pub address: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Language for letters (Welsh Language Standards).
    pub preferred_language: Language,
    /// Any disability or unmet need known to the council, to be considered before restricting (Equality Act 2010).
    #[sea_orm(column_type = "Text")]
    pub disability_or_unmet_need_noted: Option<String>,
    /// The service that recorded the customer on their own (`createCustomer`), before any case:
    /// its staff may find them (5.4). Null for customers first recorded with a case.
    pub service_id: Option<i64>,
    /// When this record was merged into another (a duplicate of the same person): that one.
    pub merged_into_id: Option<i64>,
    /// When it was merged.
    pub merged_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
