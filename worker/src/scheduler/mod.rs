//! The worker's scheduler (issue 20): recurring jobs — retention, case endings, review
//! reminders — each at the fire times of its cron setting (`schedule_*`, UTC), inside
//! `upc-worker run` and the `upc` binary, beside the report job loop and stopping with it.
//!
//! **Once per slot, however many workers.** A slot is one fire time of one job. The worker that
//! inserts the slot's `scheduled_run` row (unique per job and slot) runs it; the others see the
//! row and skip it. The runner renews a lease on the row while it works; if it dies, the row
//! stays `running` with a lapsing lease and the next worker to look takes it over (every job is
//! idempotent, so running the rest of a half-done slot again is safe).
//!
//! **Missed slots.** Slots that passed while no worker was up are not replayed one by one: on
//! start-up (and after a long run) a worker runs only the latest slot at or before now, once.
//!
//! **Record.** Each run ends with its row `succeeded` (with the rows it touched) or `failed`
//! (with the error) and an audit event `scheduler.run` by `system:scheduler`, in one
//! transaction. A failed run does not stop the worker; the next slot runs as usual.
//! `/metrics` reads the rows (`upc_scheduled_job_*`).

pub mod jobs;
pub mod ledger;

use std::collections::HashMap;
use std::time::Duration;

use api::config::{JobSchedule, Settings};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;
use entities::enums::ScheduledJob;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use self::ledger::Claim;

/// How the scheduler runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// Names this worker in lease owner tokens and logs.
    pub worker_id: String,
    /// Each job and when it runs (`Off`: never).
    pub jobs: Vec<(ScheduledJob, JobSchedule)>,
    /// The lease on a running slot (`worker_lease_seconds`), renewed every third of it; also the
    /// longest the scheduler sleeps before looking again for a slot to take over.
    pub lease: Duration,
    /// On shutdown, how long a running job may take to finish before its slot is given up.
    pub shutdown_grace: Duration,
    /// The retention schedule (`retention_years_*`).
    pub retention: crate::retention::Schedule,
    /// Remind of reviews due within this many days (`review_reminder_days`).
    pub review_reminder_days: u32,
    /// The policy's settings the case endings job closes cases by (`warning_period_months`, …).
    pub lifecycle: api::domain::lifecycle::LifecycleSettings,
    /// Test only: the date jobs run as of, instead of today in London.
    pub as_of: Option<NaiveDate>,
}

impl SchedulerSettings {
    /// From the settings.
    pub fn from_settings(settings: &Settings) -> Self {
        let w = &settings.worker;
        Self {
            worker_id: crate::runner::default_worker_id(),
            jobs: vec![
                (ScheduledJob::CaseEndings, w.schedule_case_endings.clone()),
                (ScheduledJob::Retention, w.schedule_retention.clone()),
                (
                    ScheduledJob::ReviewReminders,
                    w.schedule_review_reminders.clone(),
                ),
            ],
            lease: Duration::from_secs(w.lease_seconds),
            shutdown_grace: Duration::from_secs(w.shutdown_grace_seconds),
            retention: crate::retention::Schedule::from_settings(settings),
            review_reminder_days: w.review_reminder_days,
            lifecycle: settings.lifecycle(),
            as_of: None,
        }
    }

    /// The date jobs run as of: `as_of`, or today in London.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.as_of
            .unwrap_or_else(|| now.with_timezone(&London).date_naive())
    }

    fn enabled(&self) -> impl Iterator<Item = &(ScheduledJob, JobSchedule)> {
        self.jobs
            .iter()
            .filter(|(_, s)| !matches!(s, JobSchedule::Off))
    }

    fn heartbeat_every(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(50))
    }
}

/// How one claimed slot ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The job ran and its end is recorded: `Ok(rows touched)` or `Err(error)`.
    Recorded(Result<u64, String>),
    /// Another worker took the slot over (our lease lapsed): nothing recorded by us.
    LeaseLost,
    /// Shutdown came first; the slot was given up for another worker to take over.
    Abandoned,
    /// The job ran but its end could not be recorded; the lease will lapse and it runs again.
    Unrecorded,
}

/// True once a stop was asked for (or the sender went away, which means the same).
fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Run until `stop` turns true: at each job's fire time claim the slot and, if this worker got
/// it, run it. Database errors are logged and retried; they never end the loop.
pub async fn run(
    db: &DatabaseConnection,
    settings: &SchedulerSettings,
    mut stop: watch::Receiver<bool>,
) {
    if settings.enabled().next().is_none() {
        tracing::info!("scheduler: every job is off");
        return;
    }
    for (job, schedule) in settings.enabled() {
        tracing::info!(
            job = job.as_str(),
            schedule = %schedule.describe(),
            next = ?schedule.next_after(Utc::now()),
            "scheduler: job scheduled"
        );
    }
    // The latest slot of each job this worker has tried to claim.
    let mut considered: HashMap<ScheduledJob, DateTime<Utc>> = HashMap::new();
    while !stopping(&stop) {
        for (job, schedule) in settings.enabled() {
            if stopping(&stop) {
                break;
            }
            let Some(slot) = schedule.latest_at_or_before(Utc::now()) else {
                continue;
            };
            let fresh = considered.get(job) != Some(&slot);
            let claimed = if fresh {
                considered.insert(*job, slot);
                ledger::claim(db, *job, slot, &settings.worker_id, settings.lease).await
            } else {
                ledger::take_over(db, *job, slot, &settings.worker_id, settings.lease).await
            };
            match claimed {
                Ok(Some(claim)) => {
                    run_claimed(db, settings, &claim, &mut stop).await;
                }
                Ok(None) => {
                    if fresh {
                        tracing::debug!(job = job.as_str(), %slot, "slot already claimed elsewhere");
                    }
                }
                Err(e) => {
                    tracing::warn!(job = job.as_str(), %slot, error = %e, "cannot claim a scheduled slot; trying again");
                    considered.remove(job);
                }
            }
        }
        let now = Utc::now();
        let next = settings
            .enabled()
            .filter_map(|(_, s)| s.next_after(now))
            .min();
        let wait = next
            .and_then(|t| (t - now).to_std().ok())
            .unwrap_or(settings.lease)
            .min(settings.lease)
            // Land just after the fire time, never just before it.
            + Duration::from_millis(5);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stopped(&mut stop) => {}
        }
    }
    tracing::info!(worker = %settings.worker_id, "scheduler stopped");
}

/// Claim `job`'s `slot` and run it if this worker gets it (`None`: another worker has it). For
/// tests and one-off use; [`run`] is the loop.
pub async fn run_slot(
    db: &DatabaseConnection,
    settings: &SchedulerSettings,
    job: ScheduledJob,
    slot: DateTime<Utc>,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<RunOutcome>, sea_orm::DbErr> {
    match ledger::claim(db, job, slot, &settings.worker_id, settings.lease).await? {
        Some(claim) => Ok(Some(run_claimed(db, settings, &claim, stop).await)),
        None => Ok(None),
    }
}

/// Run a claimed slot to its end: renew the lease while the job works, then record the result
/// (or give the slot up when shutdown comes and the grace period runs out).
pub async fn run_claimed(
    db: &DatabaseConnection,
    settings: &SchedulerSettings,
    claim: &Claim,
    stop: &mut watch::Receiver<bool>,
) -> RunOutcome {
    let job = claim.run.job;
    tracing::info!(job = job.as_str(), slot = %claim.run.slot, attempt = claim.run.attempts, "scheduled run started");
    let now = Utc::now();
    let today = settings.today(now);
    let result = {
        let work = jobs::execute(db, settings, job, today, now);
        let heartbeat = heartbeat(db, settings, claim);
        let grace = tokio::time::sleep(Duration::from_secs(86_400 * 365));
        tokio::pin!(work, heartbeat, grace);
        let mut draining = false;
        loop {
            if !draining && stopping(stop) {
                draining = true;
                grace
                    .as_mut()
                    .reset(Instant::now() + settings.shutdown_grace);
            }
            tokio::select! {
                result = &mut work => break Some(result),
                () = &mut heartbeat => {
                    tracing::warn!(job = job.as_str(), "scheduled run's lease lost to another worker");
                    return RunOutcome::LeaseLost;
                }
                () = stopped(stop), if !draining => {}
                () = &mut grace, if draining => break None,
            }
        }
    };
    let Some(result) = result else {
        if let Err(e) = ledger::abandon(db, claim).await {
            tracing::warn!(job = job.as_str(), error = %e, "cannot give the slot up; its lease will lapse");
        }
        tracing::info!(
            job = job.as_str(),
            "stopped; scheduled run given up for another worker"
        );
        return RunOutcome::Abandoned;
    };
    let result = result.map_err(|e| format!("{e:#}"));
    match &result {
        Ok(rows) => {
            tracing::info!(
                job = job.as_str(),
                rows_touched = rows,
                "scheduled run succeeded"
            );
        }
        Err(e) => tracing::error!(job = job.as_str(), error = %e, "scheduled run failed"),
    }
    match ledger::finish(db, claim, &result).await {
        Ok(true) => RunOutcome::Recorded(result),
        Ok(false) => RunOutcome::LeaseLost,
        Err(e) => {
            tracing::error!(
                job = job.as_str(),
                error = format!("{e:#}"),
                "cannot record the scheduled run; its lease will lapse"
            );
            RunOutcome::Unrecorded
        }
    }
}

/// Renew the lease every third of its length; returns only when it turns out to be lost.
async fn heartbeat(db: &DatabaseConnection, settings: &SchedulerSettings, claim: &Claim) {
    loop {
        tokio::time::sleep(settings.heartbeat_every()).await;
        match ledger::renew(db, claim, settings.lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(error = %e, "cannot renew the scheduled run's lease"),
        }
    }
}

/// The next `count` fire times of each job after `after` (empty when off): for
/// `upc-worker schedule`.
pub fn upcoming(
    settings: &SchedulerSettings,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<(ScheduledJob, String, Vec<DateTime<Utc>>)> {
    settings
        .jobs
        .iter()
        .map(|(job, schedule)| {
            let mut times = Vec::with_capacity(count);
            let mut from = after;
            while times.len() < count {
                match schedule.next_after(from) {
                    Some(t) => {
                        times.push(t);
                        from = t;
                    }
                    None => break,
                }
            }
            (*job, schedule.describe().to_string(), times)
        })
        .collect()
}
