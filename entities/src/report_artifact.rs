//! The `report_artifact` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A file produced by a report job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "report_artifact")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The job.
    pub job_id: i64,
    /// File name, unique within the job.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// The file's bytes.
    #[sea_orm(column_type = "Blob")]
    pub content: Vec<u8>,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Size of the content in bytes.
    pub size_bytes: i64,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The job. (`job_id`)
    #[sea_orm(
        belongs_to = "super::report_job::Entity",
        from = "Column::JobId",
        to = "super::report_job::Column::Id",
        on_delete = "Cascade"
    )]
    Job,
}

impl Related<super::report_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Job.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
