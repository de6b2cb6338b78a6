//! The worker's loop (issue 6): poll, claim, build and render the report while renewing the
//! lease, store the artifacts, repeat; and stop gracefully when asked (SIGTERM, Ctrl-C, or the
//! API server stopping in the `upc` binary).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use api::reports::model::Edition;
use entities::enums::ReportEdition;
use entities::report_job;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::output::Artifact;
use crate::queue::{self, Completion, Failure, Lease, QueueSettings};
use crate::report::ReportRequest;

/// How a worker runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunnerSettings {
    /// Names this worker in lease owner tokens and logs (host and process id by default).
    pub worker_id: String,
    /// How long to wait before looking again when the queue is empty (or the database away).
    pub poll: Duration,
    /// Lease length and retry back-off.
    pub queue: QueueSettings,
    /// On shutdown, how long the running job may take to finish before it is handed back.
    pub shutdown_grace: Duration,
    /// First month of the reporting year (setting `reporting_year_start_month`).
    pub year_start_month: u32,
    /// Test only: wait this long inside each job before building it, so a test can stop or kill
    /// the worker while it is mid-job (hidden option `--test-pause-in-job-ms`).
    pub pause_in_job: Option<Duration>,
}

impl RunnerSettings {
    /// From the settings (`worker_*`, `reporting_year_start_month`).
    pub fn from_settings(settings: &api::config::Settings) -> Self {
        Self {
            worker_id: default_worker_id(),
            poll: Duration::from_millis(settings.worker.poll_ms),
            queue: QueueSettings::from_settings(&settings.worker),
            shutdown_grace: Duration::from_secs(settings.worker.shutdown_grace_seconds),
            year_start_month: settings.reporting_year_start_month,
            pause_in_job: None,
        }
    }

    /// How often the lease is renewed: a third of its length (so two heartbeats may be missed).
    pub fn heartbeat_every(&self) -> Duration {
        (self.queue.lease / 3).max(Duration::from_millis(50))
    }
}

/// `host:pid`: who holds a lease, for people reading the table.
pub fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    format!("{host}:{}", std::process::id())
}

/// A boxed future borrowing for `'a`.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Vec<Artifact>>> + Send + 'a>>;

/// What a claimed job does: the annual report in production ([`AnnualReportJob`]); tests put a
/// job of their own here to exercise the queue independently of the report.
pub trait Job: Send + Sync {
    /// Produce the job's files. `progress` takes the percentage done (0–100).
    fn run<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        job: &'a report_job::Model,
        progress: &'a (dyn Fn(u8) + Sync),
    ) -> JobFuture<'a>;
}

/// The annual report: [`crate::report::build`], then [`crate::output::render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnualReportJob {
    /// First month of the reporting year.
    pub year_start_month: u32,
}

impl Job for AnnualReportJob {
    fn run<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        job: &'a report_job::Model,
        progress: &'a (dyn Fn(u8) + Sync),
    ) -> JobFuture<'a> {
        Box::pin(async move {
            let request = request_of(job, self.year_start_month)?;
            let report = crate::report::build(db, &request, progress).await?;
            // Rendering (Parquet, CSV, HTML) is CPU work: off the async threads.
            tokio::task::spawn_blocking(move || crate::output::render(&report))
                .await
                .map_err(|e| anyhow::anyhow!("rendering the report stopped: {e}"))?
        })
    }
}

/// The report a job asks for.
pub fn request_of(job: &report_job::Model, year_start_month: u32) -> anyhow::Result<ReportRequest> {
    let services = match &job.services {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(
            serde_json::from_value::<Vec<i64>>(value.clone())
                .map_err(|_| anyhow::anyhow!("the job's list of services is not a list of ids"))?,
        ),
    };
    Ok(ReportRequest {
        reporting_year: job.reporting_year,
        year_start_month,
        services,
        edition: match job.edition {
            ReportEdition::Public => Edition::Public,
            ReportEdition::Internal => Edition::Internal,
        },
    })
}

/// How one claimed job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done: this many artifacts stored.
    Done {
        /// The job.
        job_id: i64,
        /// Files stored.
        artifacts: usize,
    },
    /// Failed; queued again for later.
    Retrying {
        /// The job.
        job_id: i64,
        /// The reason stored on the job.
        reason: String,
    },
    /// Failed on its last attempt.
    Failed {
        /// The job.
        job_id: i64,
        /// The reason stored on the job.
        reason: String,
    },
    /// Another worker took the job over (our lease lapsed): our work was discarded.
    LeaseLost {
        /// The job.
        job_id: i64,
    },
    /// Shutdown came and the job did not finish within the grace period: handed back.
    Released {
        /// The job.
        job_id: i64,
    },
    /// The database failed while recording the result; the lease will lapse and another
    /// attempt will run.
    Unrecorded {
        /// The job.
        job_id: i64,
    },
}

impl Outcome {
    /// The job concerned.
    pub fn job_id(&self) -> i64 {
        match self {
            Outcome::Done { job_id, .. }
            | Outcome::Retrying { job_id, .. }
            | Outcome::Failed { job_id, .. }
            | Outcome::LeaseLost { job_id }
            | Outcome::Released { job_id }
            | Outcome::Unrecorded { job_id } => *job_id,
        }
    }
}

/// True once a stop was asked for (or the sender went away, which means the same).
fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

/// Wait until a stop is asked for.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Run until `stop` turns true (or its sender is dropped): claim and process jobs one at a time.
/// A job running when the stop comes is given `shutdown_grace` to finish, else handed back.
/// Database errors are logged and retried after `poll`; they never end the loop.
pub async fn run(
    db: &DatabaseConnection,
    settings: &RunnerSettings,
    job: &dyn Job,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(worker = %settings.worker_id, "reporting worker started");
    while !stopping(&stop) {
        match queue::claim(db, &settings.worker_id, &settings.queue).await {
            Ok(Some(lease)) => {
                process(db, settings, job, lease, &mut stop).await;
            }
            Ok(None) => {
                tokio::select! {
                    () = tokio::time::sleep(settings.poll) => {}
                    () = stopped(&mut stop) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim a report job; trying again");
                tokio::select! {
                    () = tokio::time::sleep(settings.poll.max(Duration::from_secs(1))) => {}
                    () = stopped(&mut stop) => {}
                }
            }
        }
    }
    tracing::info!(worker = %settings.worker_id, "reporting worker stopped");
}

/// Claim one job and process it; `Ok(None)` when the queue has nothing due.
pub async fn run_once(
    db: &DatabaseConnection,
    settings: &RunnerSettings,
    job: &dyn Job,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<Outcome>, sea_orm::DbErr> {
    match queue::claim(db, &settings.worker_id, &settings.queue).await? {
        Some(lease) => Ok(Some(process(db, settings, job, lease, &mut stop).await)),
        None => Ok(None),
    }
}

/// Run a claimed job to its end: heartbeat while it works, then complete, fail, discard (lease
/// lost) or hand it back (stop and grace period over).
pub async fn process(
    db: &DatabaseConnection,
    settings: &RunnerSettings,
    job: &dyn Job,
    lease: Lease,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let job_id = lease.job.id;
    tracing::info!(
        job = job_id,
        attempt = lease.job.attempts,
        year = lease.job.reporting_year,
        "report job claimed"
    );
    let (progress_tx, progress_rx) = watch::channel(0u8);
    let progress = move |p: u8| {
        let p = p.min(100);
        progress_tx.send_if_modified(|current| {
            let changed = *current != p;
            *current = p;
            changed
        });
    };
    let result = {
        let work = async {
            if let Some(pause) = settings.pause_in_job {
                progress(1);
                tokio::time::sleep(pause).await;
            }
            job.run(db, &lease.job, &progress).await
        };
        let heartbeat = heartbeat(db, settings, &lease, progress_rx);
        let grace = tokio::time::sleep(Duration::from_secs(86_400 * 365));
        tokio::pin!(work, heartbeat, grace);
        let mut draining = false;
        loop {
            if !draining && stopping(stop) {
                draining = true;
                grace
                    .as_mut()
                    .reset(Instant::now() + settings.shutdown_grace);
                tracing::info!(
                    job = job_id,
                    grace_seconds = settings.shutdown_grace.as_secs_f64(),
                    "stop requested; letting the running report job finish"
                );
            }
            tokio::select! {
                result = &mut work => break Some(result),
                () = &mut heartbeat => {
                    tracing::warn!(job = job_id, "lease lost to another worker; discarding this attempt");
                    return Outcome::LeaseLost { job_id };
                }
                () = stopped(stop), if !draining => {}
                () = &mut grace, if draining => break None,
            }
        }
    };
    match result {
        None => match queue::release(db, &lease).await {
            Ok(true) => {
                tracing::info!(job = job_id, "report job handed back to the queue");
                Outcome::Released { job_id }
            }
            Ok(false) => Outcome::LeaseLost { job_id },
            Err(e) => {
                tracing::error!(job = job_id, error = %e, "cannot hand the job back; its lease will lapse");
                Outcome::Unrecorded { job_id }
            }
        },
        Some(Ok(artifacts)) => match queue::complete(db, &lease, &artifacts).await {
            Ok(Completion::Done) => {
                tracing::info!(job = job_id, artifacts = artifacts.len(), "report job done");
                Outcome::Done {
                    job_id,
                    artifacts: artifacts.len(),
                }
            }
            Ok(Completion::LeaseLost) => {
                tracing::warn!(
                    job = job_id,
                    "lease lost before the report was stored; discarded"
                );
                Outcome::LeaseLost { job_id }
            }
            Err(e) => {
                tracing::error!(job = job_id, error = %e, "cannot store the report; its lease will lapse");
                Outcome::Unrecorded { job_id }
            }
        },
        Some(Err(error)) => {
            let reason = queue::public_reason(&error);
            tracing::warn!(
                job = job_id,
                attempt = lease.job.attempts,
                error = format!("{error:#}"),
                "report job failed"
            );
            match queue::fail(db, &lease, &reason, &settings.queue).await {
                Ok(Failure::Retrying { run_after }) => {
                    tracing::info!(job = job_id, %run_after, "report job will be retried");
                    Outcome::Retrying { job_id, reason }
                }
                Ok(Failure::Failed) => Outcome::Failed { job_id, reason },
                Ok(Failure::LeaseLost) => Outcome::LeaseLost { job_id },
                Err(e) => {
                    tracing::error!(job = job_id, error = %e, "cannot record the failure; its lease will lapse");
                    Outcome::Unrecorded { job_id }
                }
            }
        }
    }
}

/// Renew the lease every third of its length, and write progress soon after it changes (at most
/// twice a second). Returns only when the lease turns out to be lost.
async fn heartbeat(
    db: &DatabaseConnection,
    settings: &RunnerSettings,
    lease: &Lease,
    mut progress: watch::Receiver<u8>,
) {
    let every = settings.heartbeat_every();
    let mut next_renewal = Instant::now() + every;
    let mut last_write = Instant::now();
    let mut progress_open = true;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next_renewal) => {}
            changed = progress.changed(), if progress_open => {
                if changed.is_err() {
                    progress_open = false;
                    continue;
                }
                let earliest = last_write + Duration::from_millis(500);
                if earliest > Instant::now() {
                    tokio::time::sleep_until(earliest.min(next_renewal)).await;
                }
            }
        }
        let percent = *progress.borrow_and_update();
        match queue::renew(db, lease, settings.queue.lease, percent).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(job = lease.job.id, error = %e, "cannot renew the lease"),
        }
        last_write = Instant::now();
        next_renewal = last_write + every;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_is_a_third_of_the_lease() {
        let settings = RunnerSettings {
            worker_id: "w".into(),
            poll: Duration::from_secs(1),
            queue: QueueSettings {
                lease: Duration::from_secs(60),
                retry_base: Duration::from_secs(30),
            },
            shutdown_grace: Duration::from_secs(30),
            year_start_month: 4,
            pause_in_job: None,
        };
        assert_eq!(settings.heartbeat_every(), Duration::from_secs(20));
    }

    #[test]
    fn worker_id_names_the_process() {
        assert!(default_worker_id().ends_with(&format!(":{}", std::process::id())));
    }
}
