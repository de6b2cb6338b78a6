//! The `report_job` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ReportEdition, ReportJobStatus};

/// A request for the annual report (section 8), run by the worker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "report_job")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Identity-provider subject of who asked for it.
    pub requested_by: String,
    /// Reporting year, by the year it starts in (the council's year runs April to March).
    pub reporting_year: i32,
    /// Ids of the services to include; none for all.
    #[sea_orm(column_type = "JsonBinary")]
    pub services: Option<Json>,
    /// Public or internal edition.
    pub edition: ReportEdition,
    /// Progress in the queue.
    pub status: ReportJobStatus,
    /// Percentage done, 0 to 100.
    pub progress: i32,
    /// Attempts made so far.
    pub attempts: i32,
    /// Attempts allowed before giving up.
    pub max_attempts: i32,
    /// Not to be run before this time (retry back-off).
    pub run_after: DateTimeUtc,
    /// Worker holding the lease.
    pub lease_owner: Option<String>,
    /// When the lease lapses.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// Last error, for administrators.
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    /// When the current or last attempt started.
    pub started_at: Option<DateTimeUtc>,
    /// When it finished.
    pub finished_at: Option<DateTimeUtc>,
    /// The request's identity (year, edition, services): unique among queued and running jobs,
    /// so asking again for the same report returns the one already on its way.
    pub request_key: Option<String>,
    /// When the worker holding the lease last renewed it.
    pub heartbeat_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
