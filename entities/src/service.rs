//! The `service` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A council service area. Decisions to restrict contact are service based (5.4).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "service")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Short unique code, e.g. `HOUSING`.
    #[sea_orm(unique)]
    pub code: String,
    /// Name shown to staff.
    pub name: String,
    /// False once the service no longer takes new cases.
    pub active: bool,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
