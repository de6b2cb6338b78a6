//! The report job queue (issue 6, item 2): jobs live in `report_job`, their files in
//! `report_artifact`.
//!
//! # Why our own queue and not apalis
//!
//! apalis 1.0 was evaluated (`apalis-postgres` / `apalis-sqlite` 1.0) and does not fit:
//!
//! - **sqlx version.** apalis' SQL storages depend on sqlx 0.8; SeaORM 2.0.4 is built on sqlx
//!   0.9. The two cannot share a pool or a transaction, and on SQLite they cannot even be linked
//!   into one binary: each sqlx pulls its own `libsqlite3-sys`, and both declare
//!   `links = "sqlite3"`, which cargo refuses. The embedded default (one SQLite writer connection
//!   shared by the API and the in-process worker) is therefore out of reach.
//! - **Our tables.** apalis keeps jobs in its own schema (`apalis.jobs`, its own migrations and
//!   SQL functions on PostgreSQL) with a serialised payload. The report request is a typed row
//!   (`report_job`: year, services, edition, progress, request key for de-duplication, version)
//!   that the GraphQL API queries, de-duplicates and pushes on a subscription, and artifacts must
//!   be written in the same transaction that marks the job done. Mirroring state between two
//!   tables would lose exactly the atomicity the issue asks for.
//!
//! So the queue is this small module, tested on both databases (`worker/tests/queue.rs`).
//!
//! # How it works
//!
//! - **Claim** ([`claim`]): one `UPDATE … WHERE id = (SELECT id … ORDER BY id LIMIT 1) RETURNING
//!   *` takes the oldest job that is queued and due, or running with a lapsed lease (its worker
//!   died), sets `running`, a fresh lease owner token and expiry, and counts an attempt. On
//!   PostgreSQL the sub-select is `FOR UPDATE SKIP LOCKED`, so concurrent workers skip each
//!   other's candidates instead of queueing behind them; on SQLite the single statement runs under
//!   the database's one write lock, which makes it atomic (the embedded set-up also has one
//!   writer connection). The outer `WHERE` repeats the condition, so a row that changed between
//!   the sub-select and the update is left alone.
//! - A running job whose lease lapsed after its **last allowed attempt** is not run again: it
//!   becomes `failed` with a reason ([`reap_exhausted`], done before every claim).
//! - **Heartbeat** ([`renew`]): the lease is extended and progress written only while the lease
//!   owner is still us; zero rows updated means the lease was lost and the work must be dropped.
//! - **Complete** ([`complete`]): in one transaction, mark the job `done` (guarded by the lease
//!   owner; otherwise roll back and discard), delete the job's artifacts and insert the new set
//!   with SHA-256 and size. A job run twice therefore ends with exactly one artifact set.
//! - **Fail** ([`fail`]): requeue with exponential back-off (`worker_retry_base_seconds` ×
//!   2^(attempts − 1)), or `failed` with the reason after `max_attempts`.
//! - **Release** ([`release`]): on shutdown, hand the job back (queued, lease cleared, the
//!   attempt not counted).
//!
//! Every change bumps `version`. Times are the worker's clock (UTC), bound as parameters so both
//! databases compare them in their stored form; workers' clocks must agree to well within a lease.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entities::enums::ReportJobStatus;
use entities::{report_artifact, report_job};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};

use crate::output::Artifact;

/// The reason written on a job whose worker stopped renewing its lease after the last attempt.
pub const EXHAUSTED_REASON: &str = "the report could not be finished: the worker running its last \
allowed attempt stopped responding";

/// Timings of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// How long a claim or a heartbeat keeps the job ours.
    pub lease: Duration,
    /// Retry back-off base: the n-th failed attempt waits `retry_base × 2^(n − 1)`.
    pub retry_base: Duration,
}

impl QueueSettings {
    /// From the `worker_*` settings.
    pub fn from_settings(settings: &api::config::WorkerSettings) -> Self {
        Self {
            lease: Duration::from_secs(settings.lease_seconds),
            retry_base: Duration::from_secs(settings.retry_base_seconds),
        }
    }

    /// The back-off after the `attempts`-th attempt failed (1 → base, 2 → 2 × base, …), capped
    /// at one day.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 20);
        self.retry_base
            .saturating_mul(1u32 << exponent)
            .min(Duration::from_secs(86_400))
    }
}

/// A job this worker holds: the row as claimed and the owner token the lease is held under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The job as it was right after the claim (status running, attempts counted).
    pub job: report_job::Model,
    /// The lease owner token written on the row; unique to this claim.
    pub owner: String,
}

/// What [`complete`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// The job is done and its artifacts stored.
    Done,
    /// The lease was no longer ours: nothing was written.
    LeaseLost,
}

/// What [`fail`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Queued again, not before this time.
    Retrying {
        /// When it may run again.
        run_after: DateTime<Utc>,
    },
    /// That was the last attempt: the job is failed.
    Failed,
    /// The lease was no longer ours: nothing was written.
    LeaseLost,
}

/// The time now, to the microsecond: what both databases store, so a time this module returns
/// equals the one read back.
fn now_micros() -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(Utc::now(), 6)
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A new lease owner token: `worker` (who, for people) and a random part (which claim).
pub fn owner_token(worker: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let worker: String = worker.chars().take(80).collect();
    format!("{worker}/{}", &random[..12])
}

/// Fail the running jobs whose lease lapsed after their last allowed attempt (their worker died
/// on every try). Returns how many.
pub async fn reap_exhausted<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = report_job::Entity::update_many()
        .col_expr(
            report_job::Column::Status,
            Expr::value(ReportJobStatus::Failed.as_str()),
        )
        .col_expr(report_job::Column::Error, Expr::value(EXHAUSTED_REASON))
        .col_expr(report_job::Column::FinishedAt, Expr::value(now))
        .col_expr(
            report_job::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            report_job::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            report_job::Column::Version,
            Expr::col(report_job::Column::Version).add(1),
        )
        .filter(report_job::Column::Status.eq(ReportJobStatus::Running.as_str()))
        .filter(report_job::Column::LeaseExpiresAt.lt(now))
        .filter(
            Expr::col(report_job::Column::Attempts).gte(Expr::col(report_job::Column::MaxAttempts)),
        )
        .exec(db)
        .await?;
    if result.rows_affected > 0 {
        tracing::warn!(
            jobs = result.rows_affected,
            "report jobs failed: their worker stopped responding on the last attempt"
        );
    }
    Ok(result.rows_affected)
}

/// Claim the next job, if any: see the module documentation. `worker` names this worker in the
/// lease owner token.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    settings: &QueueSettings,
) -> Result<Option<Lease>, DbErr> {
    let now = now_micros();
    reap_exhausted(db, now).await?;
    let owner = owner_token(worker);
    let expires = now + chrono_duration(settings.lease);
    let backend = db.get_database_backend();
    // ?1 owner, ?2 lease expiry, ?3 now.
    let (p1, p2, p3, lock) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3", " FOR UPDATE SKIP LOCKED"),
        _ => ("?1", "?2", "?3", ""),
    };
    let due = format!(
        "(status = 'queued' AND run_after <= {p3}) \
         OR (status = 'running' AND lease_expires_at < {p3} AND attempts < max_attempts)"
    );
    let sql = format!(
        "UPDATE report_job SET status = 'running', attempts = attempts + 1, \
         lease_owner = {p1}, lease_expires_at = {p2}, heartbeat_at = {p3}, started_at = {p3}, \
         finished_at = NULL, progress = 0, version = version + 1 \
         WHERE id = (SELECT id FROM report_job WHERE {due} ORDER BY id LIMIT 1{lock}) \
         AND ({due}) \
         RETURNING *"
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(owner.clone()),
            Value::from(expires),
            Value::from(now),
        ],
    );
    let job = report_job::Entity::find()
        .from_raw_sql(statement)
        .one(db)
        .await?;
    Ok(job.map(|job| Lease { job, owner }))
}

/// Renew the lease for another `lease` and record `progress` (0–100), only while the lease is
/// still ours. `Ok(false)`: it is not (another worker took the job over, or it was finished or
/// failed meanwhile); stop working on it.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    lease: &Lease,
    length: Duration,
    progress: u8,
) -> Result<bool, DbErr> {
    let now = now_micros();
    let result = report_job::Entity::update_many()
        .col_expr(
            report_job::Column::LeaseExpiresAt,
            Expr::value(now + chrono_duration(length)),
        )
        .col_expr(report_job::Column::HeartbeatAt, Expr::value(now))
        .col_expr(
            report_job::Column::Progress,
            Expr::value(i32::from(std::cmp::min(progress, 100))),
        )
        .col_expr(
            report_job::Column::Version,
            Expr::col(report_job::Column::Version).add(1),
        )
        .filter(owned(lease))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The condition "this job is running under our lease".
fn owned(lease: &Lease) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(report_job::Column::Id.eq(lease.job.id))
        .add(report_job::Column::Status.eq(ReportJobStatus::Running.as_str()))
        .add(report_job::Column::LeaseOwner.eq(lease.owner.as_str()))
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Store `artifacts` as the job's files and mark it done, in one transaction guarded by the
/// lease: any earlier set is replaced, so the job has exactly one set afterwards. When the lease
/// is no longer ours nothing is written ([`Completion::LeaseLost`]).
pub async fn complete(
    db: &DatabaseConnection,
    lease: &Lease,
    artifacts: &[Artifact],
) -> Result<Completion, DbErr> {
    let now = now_micros();
    let txn = db.begin().await?;
    // The guarded update first: on PostgreSQL it locks the row against a competing claim; on
    // SQLite it makes this the write transaction at once.
    let marked = report_job::Entity::update_many()
        .col_expr(
            report_job::Column::Status,
            Expr::value(ReportJobStatus::Done.as_str()),
        )
        .col_expr(report_job::Column::Progress, Expr::value(100))
        .col_expr(report_job::Column::FinishedAt, Expr::value(now))
        .col_expr(report_job::Column::HeartbeatAt, Expr::value(now))
        .col_expr(
            report_job::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            report_job::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            report_job::Column::Error,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            report_job::Column::Version,
            Expr::col(report_job::Column::Version).add(1),
        )
        .filter(owned(lease))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(Completion::LeaseLost);
    }
    report_artifact::Entity::delete_many()
        .filter(report_artifact::Column::JobId.eq(lease.job.id))
        .exec(&txn)
        .await?;
    if !artifacts.is_empty() {
        let rows = artifacts.iter().map(|a| report_artifact::ActiveModel {
            job_id: Set(lease.job.id),
            name: Set(a.name.clone()),
            content_type: Set(a.content_type.to_string()),
            content: Set(a.bytes.clone()),
            sha256: Set(sha256_hex(&a.bytes)),
            size_bytes: Set(i64::try_from(a.bytes.len()).unwrap_or(i64::MAX)),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        });
        report_artifact::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Completion::Done)
}

/// Record a failed attempt: requeue with back-off, or fail the job after its last attempt.
/// `reason` is stored for the people who asked for the report, so it must be plain words with
/// no internal detail (see [`public_reason`]).
pub async fn fail<C: ConnectionTrait>(
    db: &C,
    lease: &Lease,
    reason: &str,
    settings: &QueueSettings,
) -> Result<Failure, DbErr> {
    let now = now_micros();
    let reason: String = reason.chars().take(1000).collect();
    let last = lease.job.attempts >= lease.job.max_attempts;
    let run_after = now + chrono_duration(settings.backoff(lease.job.attempts));
    let mut update = report_job::Entity::update_many()
        .col_expr(report_job::Column::Error, Expr::value(reason))
        .col_expr(
            report_job::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            report_job::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            report_job::Column::Version,
            Expr::col(report_job::Column::Version).add(1),
        );
    update = if last {
        update
            .col_expr(
                report_job::Column::Status,
                Expr::value(ReportJobStatus::Failed.as_str()),
            )
            .col_expr(report_job::Column::FinishedAt, Expr::value(now))
    } else {
        update
            .col_expr(
                report_job::Column::Status,
                Expr::value(ReportJobStatus::Queued.as_str()),
            )
            .col_expr(report_job::Column::RunAfter, Expr::value(run_after))
            .col_expr(report_job::Column::Progress, Expr::value(0))
    };
    let result = update.filter(owned(lease)).exec(db).await?;
    Ok(if result.rows_affected != 1 {
        Failure::LeaseLost
    } else if last {
        Failure::Failed
    } else {
        Failure::Retrying { run_after }
    })
}

/// Hand the job back to the queue (shutdown): queued and due at once, lease cleared, progress
/// reset, and this attempt not counted. `Ok(false)` when the lease was no longer ours.
pub async fn release<C: ConnectionTrait>(db: &C, lease: &Lease) -> Result<bool, DbErr> {
    let result = report_job::Entity::update_many()
        .col_expr(
            report_job::Column::Status,
            Expr::value(ReportJobStatus::Queued.as_str()),
        )
        .col_expr(
            report_job::Column::Attempts,
            Expr::cust("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"),
        )
        .col_expr(report_job::Column::RunAfter, Expr::value(now_micros()))
        .col_expr(report_job::Column::Progress, Expr::value(0))
        .col_expr(
            report_job::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            report_job::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            report_job::Column::Version,
            Expr::col(report_job::Column::Version).add(1),
        )
        .filter(owned(lease))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The words stored on a job for an error: the outermost message only (the report builder's own
/// wording, never its causes), a generic sentence for database errors (whose messages can carry
/// SQL, host names or values), any URL credentials masked, and at most 300 characters. The
/// whole chain goes to the worker's log instead.
pub fn public_reason(error: &anyhow::Error) -> String {
    if error
        .chain()
        .any(|cause| cause.downcast_ref::<DbErr>().is_some())
    {
        return "the database failed while the report was being built; the worker's log has the detail"
            .into();
    }
    let message = error.to_string();
    let masked = message
        .split(' ')
        .map(|word| match word.split_once("://") {
            Some((scheme, rest)) if rest.contains('@') => {
                let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or_default();
                format!("{scheme}://***@{host}")
            }
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut text: String = masked.chars().take(300).collect();
    if text.trim().is_empty() {
        text = "the report could not be built".into();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base() {
        let s = QueueSettings {
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(30),
        };
        assert_eq!(s.backoff(1), Duration::from_secs(30));
        assert_eq!(s.backoff(2), Duration::from_secs(60));
        assert_eq!(s.backoff(3), Duration::from_secs(120));
        assert_eq!(s.backoff(0), Duration::from_secs(30));
        assert_eq!(s.backoff(40), Duration::from_secs(86_400));
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn reasons_hide_internals() {
        let db = anyhow::Error::new(DbErr::Custom("relation \"x\" does not exist".into()))
            .context("loading cases");
        assert!(!public_reason(&db).contains("relation"));
        let url = anyhow::anyhow!("cannot reach postgres://upc:s3cret@db:5432/upc now");
        let text = public_reason(&url);
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("db:5432/upc"), "{text}");
        let chained =
            anyhow::anyhow!("inner secret detail").context("the report could not be built");
        assert_eq!(public_reason(&chained), "the report could not be built");
    }

    #[test]
    fn owner_tokens_differ_per_claim() {
        let a = owner_token("host:1");
        let b = owner_token("host:1");
        assert_ne!(a, b);
        assert!(a.starts_with("host:1/"));
    }
}
