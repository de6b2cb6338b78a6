//! What each scheduled job does. Every job is idempotent: run twice for the same day, the
//! second run finds nothing left to do (and touches no row).

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{CaseStatus, RestrictionStatus, ScheduledJob};
use entities::{restriction, upc_case};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use super::SchedulerSettings;
use super::ledger::ACTOR;

/// Run `job` as of `today` (London) and `now`; the rows it touched.
pub async fn execute(
    db: &DatabaseConnection,
    settings: &SchedulerSettings,
    job: ScheduledJob,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    match job {
        ScheduledJob::Retention => retention(db, settings, today).await,
        ScheduledJob::ReviewReminders => {
            review_reminders(db, today, settings.review_reminder_days).await
        }
        ScheduledJob::CaseEndings => run_case_endings(db, settings, now).await,
    }
}

/// The retention schedule as `upc-worker retention` applies it: the plan leaves out what is
/// already disposed of, so a second run finds nothing. Rows touched: cases and customers
/// anonymised.
async fn retention(
    db: &DatabaseConnection,
    settings: &SchedulerSettings,
    today: NaiveDate,
) -> anyhow::Result<u64> {
    let due = crate::retention::plan(db, &settings.retention, today).await?;
    let summary = crate::retention::apply(db, &settings.retention, &due).await?;
    tracing::info!(
        cases = summary.cases,
        customers = summary.customers,
        run = %summary.run_id,
        "retention schedule applied"
    );
    Ok(summary.cases + summary.customers)
}

/// Review reminders (7.1): for each restriction in force on an open case whose review is due
/// by `today + days` (or overdue), a `review_due` notification to its service team, once per
/// restriction and review date (a later review date, after a review or a variation, gets its
/// own). Each reminder is its own transaction. Rows touched: reminders written.
pub async fn review_reminders(
    db: &DatabaseConnection,
    today: NaiveDate,
    days: u32,
) -> anyhow::Result<u64> {
    let horizon = today + chrono::Duration::days(i64::from(days));
    let due = restriction::Entity::find()
        .filter(restriction::Column::Status.eq(RestrictionStatus::Active))
        .filter(restriction::Column::ReviewDueOn.lte(horizon))
        .filter(
            Condition::any()
                .add(restriction::Column::EndsOn.is_null())
                .add(restriction::Column::EndsOn.gte(today)),
        )
        .find_also_related(upc_case::Entity)
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .order_by_asc(restriction::Column::ReviewDueOn)
        .order_by_asc(restriction::Column::Id)
        .all(db)
        .await?;
    let mut written = 0;
    for (r, case) in due {
        let Some(case) = case else { continue };
        let txn = db.begin().await?;
        let alert = api::alerts::record_review_due(&txn, ACTOR, &case, &r)
            .await
            .map_err(|e| anyhow::anyhow!("writing a review reminder: {}", e.message()))?;
        txn.commit().await?;
        if alert.is_some() {
            written += 1;
        }
    }
    Ok(written)
}

/// The `case_endings` job: close every case that has ended (a Stage 1 warning whose period is
/// over with no further behaviour, a Stage 2 case whose restrictions all ended after review),
/// each in its own transaction with its letter and audit event
/// ([`api::store::commands::endings::close_ended_cases`]); rows touched = cases closed. Safe with
/// several workers: a case another worker closed first is skipped.
pub async fn run_case_endings(
    db: &DatabaseConnection,
    settings: &SchedulerSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    // Tests run the jobs as of a fixed day: midday then.
    let now = settings
        .as_of
        .and_then(|day| day.and_hms_opt(12, 0, 0))
        .map_or(now, |at| at.and_utc());
    let run = api::store::commands::endings::close_ended_cases(db, &settings.lifecycle, now)
        .await
        .map_err(|e| anyhow::anyhow!("closing the cases that have ended: {}", e.message()))?;
    Ok(run.closed.len() as u64)
}
