//! The `scheduled_run` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ScheduledJob, ScheduledRunStatus};

/// One run of a recurring job for one scheduled slot (issue 20). `(job, slot)` is unique: the
/// worker whose insert creates the row runs the slot, every other worker skips it, so a slot
/// runs once however many workers are up. While it runs, its worker renews `lease_until`; a row
/// still `running` after its lease lapsed (the worker died) may be taken over by another worker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "scheduled_run")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Which job.
    pub job: ScheduledJob,
    /// The fire time of the schedule this run is for (UTC, whole seconds).
    pub slot: DateTimeUtc,
    /// Running, succeeded or failed.
    pub status: ScheduledRunStatus,
    /// The lease owner token of the worker running it (`host:pid/random`).
    pub worker: String,
    /// Until when the worker's lease holds; cleared when the run ends.
    pub lease_until: Option<DateTimeUtc>,
    /// How many workers have started it (more than 1 after a takeover).
    pub attempts: i32,
    /// When the current attempt started.
    pub started_at: DateTimeUtc,
    /// When it ended.
    pub finished_at: Option<DateTimeUtc>,
    /// Rows the job changed or wrote (cases anonymised, notifications written, ...).
    pub rows_touched: Option<i64>,
    /// Why it failed.
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
