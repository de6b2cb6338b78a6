//! The `letter_template` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{Language, LetterKind};

/// A versioned letter template, in English or Welsh.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "letter_template")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Which letter it is for.
    pub kind: LetterKind,
    /// Language of the template.
    pub language: Language,
    /// Version number, increasing per kind and language.
    pub template_version: i32,
    /// Subject line template.
    pub subject: String,
    /// Body template.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Identity-provider subject of the administrator.
    pub created_by: String,
    /// Whether new letters use it.
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
