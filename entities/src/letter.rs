//! The `letter` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{Language, LetterKind};

/// A letter issued to a customer, as rendered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "letter")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Which letter it is.
    pub kind: LetterKind,
    /// Language it was written in.
    pub language: Language,
    /// The template used, if any.
    pub template_id: Option<i64>,
    /// Subject line.
    pub subject: String,
    /// Plain text body.
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    /// HTML body.
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    /// When it was issued.
    pub issued_at: DateTimeUtc,
    /// Identity-provider subject of who issued it.
    pub issued_by: String,
    /// When it was sent.
    pub sent_at: Option<DateTimeUtc>,
    /// Identity-provider subject of who sent it.
    pub sent_by: Option<String>,
    /// The kind of record the letter tells the customer about, e.g. `appeal` or `review`.
    pub regarding_type: Option<String>,
    /// Its id.
    pub regarding_id: Option<i64>,
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
    /// The template used, if any. (`template_id`)
    #[sea_orm(
        belongs_to = "super::letter_template::Entity",
        from = "Column::TemplateId",
        to = "super::letter_template::Column::Id"
    )]
    Template,
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::letter_template::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Template.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
