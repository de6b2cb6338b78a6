//! The `scheduled_run` ledger: claiming a slot (insert, unique per job and slot), taking over a
//! slot whose worker's lease lapsed, renewing the lease, and recording the end of a run with its
//! audit event, all guarded by the claim's owner token.

use std::collections::BTreeSet;
use std::time::Duration;

use api::audit::{self, Change};
use api::auth::Principal;
use api::authz::RequestContext;
use chrono::{DateTime, Utc};
use entities::enums::{ScheduledJob, ScheduledRunStatus};
use entities::scheduled_run;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, TransactionTrait, Value,
};
use serde_json::json;

/// The audit trail's actor for every scheduled run.
pub const ACTOR: &str = "system:scheduler";

/// A slot this worker holds: the row as claimed and the owner token the lease is held under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The run as claimed (status running).
    pub run: scheduled_run::Model,
    /// The owner token written on the row; unique to this claim.
    pub owner: String,
}

/// The time now, to the microsecond (what both databases store).
fn now_micros() -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(Utc::now(), 6)
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Placeholders `?1…` on SQLite, `$1…` on PostgreSQL.
fn params(backend: DbBackend, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => format!("?{i}"),
        })
        .collect()
}

/// Claim `job`'s `slot`: insert its run, or, when another worker's run of it is still marked
/// running but its lease lapsed, take it over. `Ok(None)`: the slot is (or was) someone else's
/// and is not to be run here.
pub async fn claim(
    db: &DatabaseConnection,
    job: ScheduledJob,
    slot: DateTime<Utc>,
    worker: &str,
    lease: Duration,
) -> Result<Option<Claim>, DbErr> {
    let now = now_micros();
    let owner = crate::queue::owner_token(worker);
    let backend = db.get_database_backend();
    let p = params(backend, 5);
    // ?1 job, ?2 slot, ?3 owner, ?4 lease until, ?5 now.
    let sql = format!(
        "INSERT INTO scheduled_run (job, slot, status, worker, lease_until, attempts, started_at, version, created_at) \
         VALUES ({}, {}, 'running', {}, {}, 1, {}, 1, {}) \
         ON CONFLICT (job, slot) DO NOTHING RETURNING *",
        p[0], p[1], p[2], p[3], p[4], p[4]
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(job.as_str()),
            Value::from(slot),
            Value::from(owner.clone()),
            Value::from(now + chrono_duration(lease)),
            Value::from(now),
        ],
    );
    let inserted = scheduled_run::Entity::find()
        .from_raw_sql(statement)
        .one(db)
        .await?;
    match inserted {
        Some(run) => Ok(Some(Claim { run, owner })),
        None => take_over(db, job, slot, worker, lease).await,
    }
}

/// Take over `job`'s `slot` if its run is still marked running and its worker's lease lapsed
/// (that worker died or lost the database). `Ok(None)` otherwise.
pub async fn take_over(
    db: &DatabaseConnection,
    job: ScheduledJob,
    slot: DateTime<Utc>,
    worker: &str,
    lease: Duration,
) -> Result<Option<Claim>, DbErr> {
    let now = now_micros();
    let owner = crate::queue::owner_token(worker);
    let backend = db.get_database_backend();
    let p = params(backend, 5);
    // ?1 owner, ?2 lease until, ?3 now, ?4 job, ?5 slot.
    let sql = format!(
        "UPDATE scheduled_run SET worker = {}, lease_until = {}, started_at = {}, \
         attempts = attempts + 1, version = version + 1 \
         WHERE job = {} AND slot = {} AND status = 'running' AND lease_until < {} \
         RETURNING *",
        p[0], p[1], p[2], p[3], p[4], p[2]
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(owner.clone()),
            Value::from(now + chrono_duration(lease)),
            Value::from(now),
            Value::from(job.as_str()),
            Value::from(slot),
        ],
    );
    let run = scheduled_run::Entity::find()
        .from_raw_sql(statement)
        .one(db)
        .await?;
    if let Some(run) = &run {
        tracing::warn!(
            job = job.as_str(),
            %slot,
            attempt = run.attempts,
            "scheduled run taken over: its worker's lease lapsed"
        );
    }
    Ok(run.map(|run| Claim { run, owner }))
}

/// The condition "this run is running under our claim".
fn owned(claim: &Claim) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(scheduled_run::Column::Id.eq(claim.run.id))
        .add(scheduled_run::Column::Status.eq(ScheduledRunStatus::Running))
        .add(scheduled_run::Column::Worker.eq(claim.owner.as_str()))
}

/// Renew the lease for another `lease` while it is still ours; `Ok(false)`: it is not.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    claim: &Claim,
    lease: Duration,
) -> Result<bool, DbErr> {
    let result = scheduled_run::Entity::update_many()
        .col_expr(
            scheduled_run::Column::LeaseUntil,
            Expr::value(now_micros() + chrono_duration(lease)),
        )
        .col_expr(
            scheduled_run::Column::Version,
            Expr::col(scheduled_run::Column::Version).add(1),
        )
        .filter(owned(claim))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Give the slot up at once (shutdown before the run finished): the lease is made to lapse now,
/// so another worker takes the slot over at its next look.
pub async fn abandon<C: ConnectionTrait>(db: &C, claim: &Claim) -> Result<bool, DbErr> {
    let result = scheduled_run::Entity::update_many()
        .col_expr(
            scheduled_run::Column::LeaseUntil,
            Expr::value(now_micros() - chrono::Duration::seconds(1)),
        )
        .col_expr(
            scheduled_run::Column::Version,
            Expr::col(scheduled_run::Column::Version).add(1),
        )
        .filter(owned(claim))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The principal scheduled runs are audited under.
fn scheduler_context(claim: &Claim) -> RequestContext {
    RequestContext {
        client_address: None,
        principal: Principal {
            subject: ACTOR.into(),
            name: Some("Scheduler".into()),
            roles: BTreeSet::new(),
            services: BTreeSet::new(),
            services_from_directory: false,
        }
        .into(),
        request_id: format!("scheduled-run-{}", claim.run.id),
    }
}

/// Record how the run ended — succeeded with the rows it touched, or failed with the error —
/// and its audit event `scheduler.run`, in one transaction guarded by the claim. `Ok(false)`:
/// the claim was no longer ours (another worker took the slot over) and nothing was written.
pub async fn finish(
    db: &DatabaseConnection,
    claim: &Claim,
    result: &Result<u64, String>,
) -> anyhow::Result<bool> {
    let now = now_micros();
    let (status, rows, error) = match result {
        Ok(rows) => (
            ScheduledRunStatus::Succeeded,
            Some(i64::try_from(*rows).unwrap_or(i64::MAX)),
            None,
        ),
        Err(e) => (
            ScheduledRunStatus::Failed,
            None,
            Some(e.chars().take(2000).collect::<String>()),
        ),
    };
    let txn = db.begin().await?;
    let marked = scheduled_run::Entity::update_many()
        .col_expr(scheduled_run::Column::Status, Expr::value(status.as_str()))
        .col_expr(scheduled_run::Column::FinishedAt, Expr::value(now))
        .col_expr(scheduled_run::Column::RowsTouched, Expr::value(rows))
        .col_expr(scheduled_run::Column::Error, Expr::value(error.clone()))
        .col_expr(
            scheduled_run::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            scheduled_run::Column::Version,
            Expr::col(scheduled_run::Column::Version).add(1),
        )
        .filter(owned(claim))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    audit::record(
        &txn,
        &scheduler_context(claim),
        Change {
            action: "scheduler.run",
            entity_type: "scheduled_run",
            entity_id: claim.run.id.to_string(),
            case_id: None,
            before: None,
            after: Some(json!({
                "job": claim.run.job.as_str(),
                "slot": claim.run.slot,
                "status": status.as_str(),
                "rows_touched": rows,
                "error": error,
                "worker": claim.owner,
                "attempt": claim.run.attempts,
                "started_at": claim.run.started_at,
                "finished_at": now,
            })),
            reason: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("recording the scheduled run: {}", e.message()))?;
    txn.commit().await?;
    Ok(true)
}
