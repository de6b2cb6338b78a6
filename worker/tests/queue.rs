//! The report job queue (issue 6, item 2) and the worker's command line (item 6), on SQLite and
//! PostgreSQL: claim, lease, heartbeat, complete; a lapsed lease reclaimed; retries with back-off
//! then failure; one artifact set however often a job completes; concurrent workers (tasks, and
//! processes) never running the same job; a worker process killed mid-job recovered by another;
//! SIGTERM handing the job back or finishing it.
//!
//! The queue tests run a job of their own (the `Job` seam); the process tests run the real
//! `upc-worker` binary and so the real report.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test reports a failed step by panicking"
)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::config::Settings;
use chrono::Utc;
use entities::enums::{ReportEdition, ReportJobStatus};
use entities::{report_artifact, report_job};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Statement,
};
use sha2::Digest;
use tests::app::{Backend, TestApp};
use tests::db_tests;
use tokio::sync::watch;
use worker::output::Artifact;
use worker::queue::{self, Completion, Failure, QueueSettings};
use worker::runner::{self, Job, JobFuture, Outcome, RunnerSettings};

const WORKER: &str = env!("CARGO_BIN_EXE_upc-worker");

// ---------------------------------------------------------------- helpers

/// A connection of the worker's own, opened the way the worker opens it (on SQLite: one writer
/// connection, WAL, busy timeout), so several of them contend like separate workers.
async fn connect(app: &TestApp) -> DatabaseConnection {
    let mut settings = Settings::embedded(&app.data_dir);
    settings.database_url = app.database_url.clone();
    api::db::connect(&settings)
        .await
        .expect("worker connection")
}

/// Queue a job directly (as the API's request mutation does); its id.
async fn enqueue(db: &DatabaseConnection, year: i32, max_attempts: i32) -> i64 {
    let now = Utc::now();
    let row = report_job::ActiveModel {
        requested_by: Set("test-mo".into()),
        reporting_year: Set(year),
        edition: Set(ReportEdition::Public),
        status: Set(ReportJobStatus::Queued),
        progress: Set(0),
        attempts: Set(0),
        max_attempts: Set(max_attempts),
        run_after: Set(now),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("queue a job");
    row.id
}

async fn job(db: &DatabaseConnection, id: i64) -> report_job::Model {
    report_job::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("read job")
        .expect("job exists")
}

async fn artifacts(db: &DatabaseConnection, id: i64) -> Vec<report_artifact::Model> {
    report_artifact::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(
            &report_artifact::Column::JobId,
            id,
        ))
        .order_by_asc(report_artifact::Column::Name)
        .all(db)
        .await
        .expect("read artifacts")
}

/// `(rows, distinct names)` of a job's artifacts, counted in SQL.
async fn artifact_counts(db: &DatabaseConnection, id: i64) -> (i64, i64) {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n, COUNT(DISTINCT name) AS d FROM report_artifact WHERE job_id = {id}"
            ),
        ))
        .await
        .expect("count artifacts")
        .expect("a row");
    (
        row.try_get::<i64>("", "n").expect("n"),
        row.try_get::<i64>("", "d").expect("d"),
    )
}

fn hex_sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn files(tag: &str, names: &[&str]) -> Vec<Artifact> {
    names
        .iter()
        .map(|name| Artifact {
            name: (*name).to_string(),
            content_type: "text/plain",
            bytes: format!("{tag}:{name}").into_bytes(),
        })
        .collect()
}

/// The stored artifacts are exactly `expected`: names, content types, bytes, digests, sizes.
async fn assert_artifacts(db: &DatabaseConnection, id: i64, expected: &[Artifact]) {
    let stored = artifacts(db, id).await;
    let count = expected.len() as i64;
    let mut expected: Vec<&Artifact> = expected.iter().collect();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        stored.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        expected.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        "artifact names of job {id}"
    );
    for (s, e) in stored.iter().zip(expected) {
        assert_eq!(s.content, e.bytes, "{}", s.name);
        assert_eq!(s.content_type, e.content_type, "{}", s.name);
        assert_eq!(s.sha256, hex_sha256(&e.bytes), "{}", s.name);
        assert_eq!(s.size_bytes, e.bytes.len() as i64, "{}", s.name);
    }
    let (rows, distinct) = artifact_counts(db, id).await;
    assert_eq!(
        (rows, distinct),
        (count, count),
        "one row per file of job {id}"
    );
}

fn queue_settings(lease_ms: u64, retry_ms: u64) -> QueueSettings {
    QueueSettings {
        lease: Duration::from_millis(lease_ms),
        retry_base: Duration::from_millis(retry_ms),
    }
}

fn runner_settings(name: &str, lease_ms: u64, grace_ms: u64) -> RunnerSettings {
    RunnerSettings {
        worker_id: name.into(),
        poll: Duration::from_millis(20),
        queue: queue_settings(lease_ms, 100),
        shutdown_grace: Duration::from_millis(grace_ms),
        year_start_month: 4,
        pause_in_job: None,
    }
}

/// Poll `check` every 50 ms until it is true; panics after `timeout` with `what`.
async fn wait_for<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A job of the tests' own: records who ran what and whether two runs of one job overlapped.
#[derive(Default)]
struct FakeJob {
    /// How long each run takes.
    work: Duration,
    /// Fail every run with this message.
    fail_with: Option<String>,
    inflight: Mutex<HashSet<i64>>,
    runs: Mutex<Vec<i64>>,
    overlaps: AtomicUsize,
}

impl FakeJob {
    fn taking(work: Duration) -> Self {
        Self {
            work,
            ..Self::default()
        }
    }

    fn runs(&self) -> Vec<i64> {
        self.runs.lock().unwrap().clone()
    }
}

fn fake_files(job_id: i64) -> Vec<Artifact> {
    files(&format!("job{job_id}"), &["report.json", "summary.csv"])
}

impl Job for FakeJob {
    fn run<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        job: &'a report_job::Model,
        progress: &'a (dyn Fn(u8) + Sync),
    ) -> JobFuture<'a> {
        Box::pin(async move {
            if !self.inflight.lock().unwrap().insert(job.id) {
                self.overlaps.fetch_add(1, Ordering::SeqCst);
            }
            self.runs.lock().unwrap().push(job.id);
            progress(50);
            tokio::time::sleep(self.work).await;
            self.inflight.lock().unwrap().remove(&job.id);
            match &self.fail_with {
                Some(message) => Err(anyhow::anyhow!("{message}")),
                None => Ok(fake_files(job.id)),
            }
        })
    }
}

// ---------------------------------------------------------------- processes

/// `upc-worker <args>` against the test's database, with `env` added; stdout and stderr piped.
/// The scheduled jobs are off: these tests are about the report queue (`tests/scheduler.rs`
/// covers the scheduler).
fn worker_process(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(WORKER);
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("UPC_") {
            command.env_remove(name);
        }
    }
    command
        .env("UPC_DATABASE_URL", &app.database_url)
        .env("UPC_DATA_DIR", &app.data_dir)
        .env("UPC_RUN_MIGRATIONS", "false")
        .env("UPC_LOG", "info,sqlx=warn,sea_orm=warn")
        .env("UPC_WORKER_POLL_MS", "100")
        .env("UPC_SCHEDULE_RETENTION", "off")
        .env("UPC_SCHEDULE_CASE_ENDINGS", "off")
        .env("UPC_SCHEDULE_REVIEW_REMINDERS", "off");
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("upc-worker starts")
}

/// Wait for a child to exit (polling, so the runtime is not blocked); its exit code and output.
async fn finish(mut child: Child, timeout: Duration) -> (Option<i32>, String, String) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut out = String::new();
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut s) = child.stdout.take() {
                let _ = s.read_to_string(&mut out);
            }
            if let Some(mut s) = child.stderr.take() {
                let _ = s.read_to_string(&mut err);
            }
            return (status.code(), out, err);
        }
        if tokio::time::Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "upc-worker did not exit within {timeout:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -TERM failed");
}

/// Wait until job `id` is running under a lease held by the process `pid`.
async fn wait_running_under(db: &DatabaseConnection, id: i64, pid: u32) {
    let marker = format!(":{pid}/");
    wait_for(
        Duration::from_secs(30),
        "the worker to claim the job",
        || async {
            let j = job(db, id).await;
            j.status == ReportJobStatus::Running
                && j.lease_owner
                    .as_deref()
                    .is_some_and(|o| o.contains(&marker))
        },
    )
    .await;
}

// ---------------------------------------------------------------- tests

db_tests! {
    /// Claim takes the job under a lease (attempt counted, version bumped), nobody else can take
    /// it meanwhile, a heartbeat extends it and records progress, and completion stores exactly
    /// the artifacts with their digests, in one step that a second completion cannot repeat.
    async fn claim_renew_complete(app) {
        let db = connect(&app).await;
        let settings = queue_settings(5_000, 100);
        let id = enqueue(&db, 2024, 3).await;
        let before = Utc::now();
        let lease = queue::claim(&db, "w1", &settings).await.unwrap().expect("a job");
        assert_eq!(lease.job.id, id);
        let row = job(&db, id).await;
        assert_eq!(row.status, ReportJobStatus::Running);
        assert_eq!(row.attempts, 1);
        assert_eq!(row.version, 2);
        assert_eq!(row.lease_owner.as_deref(), Some(lease.owner.as_str()));
        assert!(lease.owner.starts_with("w1/"));
        let expires = row.lease_expires_at.expect("lease expiry");
        assert!(expires >= before + chrono::Duration::milliseconds(4_900), "{expires} vs {before}");
        assert!(expires <= Utc::now() + chrono::Duration::milliseconds(5_100));
        assert!(row.started_at.is_some() && row.heartbeat_at.is_some());

        // Leased: nobody else gets it, and there is nothing else.
        assert!(queue::claim(&db, "w2", &settings).await.unwrap().is_none());

        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(queue::renew(&db, &lease, settings.lease, 40).await.unwrap());
        let renewed = job(&db, id).await;
        assert_eq!(renewed.progress, 40);
        assert_eq!(renewed.version, 3);
        assert!(renewed.lease_expires_at.unwrap() > expires);

        let set = files("first", &["report.json", "summary.csv", "committee-paper.html"]);
        assert_eq!(queue::complete(&db, &lease, &set).await.unwrap(), Completion::Done);
        let done = job(&db, id).await;
        assert_eq!(done.status, ReportJobStatus::Done);
        assert_eq!(done.progress, 100);
        assert_eq!(done.version, 4);
        assert!(done.finished_at.is_some());
        assert_eq!(done.lease_owner, None);
        assert_eq!(done.lease_expires_at, None);
        assert_artifacts(&db, id, &set).await;
        let ids: Vec<i64> = artifacts(&db, id).await.iter().map(|a| a.id).collect();

        // The same lease cannot renew or complete again: nothing changes.
        assert!(!queue::renew(&db, &lease, settings.lease, 10).await.unwrap());
        let other = files("second", &["report.json"]);
        assert_eq!(queue::complete(&db, &lease, &other).await.unwrap(), Completion::LeaseLost);
        assert_eq!(queue::fail(&db, &lease, "late", &settings).await.unwrap(), Failure::LeaseLost);
        assert!(!queue::release(&db, &lease).await.unwrap());
        assert_artifacts(&db, id, &set).await;
        assert_eq!(artifacts(&db, id).await.iter().map(|a| a.id).collect::<Vec<_>>(), ids);
        assert_eq!(job(&db, id).await, done);
        // A done job is never claimed again.
        assert!(queue::claim(&db, "w2", &settings).await.unwrap().is_none());
    }

    /// A job whose worker stopped renewing is claimed again once the lease lapses (a second
    /// attempt); the first worker can then neither renew nor store its result; the second's
    /// result is the one set. Run again later (an administrator requeues it), the new set
    /// replaces the old one entirely.
    async fn expired_lease_is_reclaimed_and_one_set_survives(app) {
        let db_a = connect(&app).await;
        let db_b = connect(&app).await;
        let settings = queue_settings(300, 100);
        let id = enqueue(&db_a, 2024, 3).await;
        let a = queue::claim(&db_a, "a", &settings).await.unwrap().expect("a claims");
        assert!(queue::claim(&db_b, "b", &settings).await.unwrap().is_none(), "still leased");
        tokio::time::sleep(Duration::from_millis(450)).await;
        let b = queue::claim(&db_b, "b", &settings).await.unwrap().expect("b reclaims");
        assert_eq!(b.job.id, id);
        assert_eq!(b.job.attempts, 2);
        assert_ne!(a.owner, b.owner);
        assert!(!queue::renew(&db_a, &a, settings.lease, 90).await.unwrap());
        let set_b = files("b", &["report.json", "summary.csv"]);
        assert_eq!(queue::complete(&db_b, &b, &set_b).await.unwrap(), Completion::Done);
        let set_a = files("a", &["report.json", "summary.parquet"]);
        assert_eq!(queue::complete(&db_a, &a, &set_a).await.unwrap(), Completion::LeaseLost);
        assert_artifacts(&db_a, id, &set_b).await;
        assert_eq!(job(&db_a, id).await.attempts, 2);

        // Requeued by hand and run again: one set, the new one.
        db_a.execute_raw(Statement::from_string(
            db_a.get_database_backend(),
            format!("UPDATE report_job SET status = 'queued', version = version + 1 WHERE id = {id}"),
        ))
        .await
        .unwrap();
        let c = queue::claim(&db_a, "c", &settings).await.unwrap().expect("c claims");
        let set_c = files("c", &["report.json", "monthly.csv", "cases.csv"]);
        assert_eq!(queue::complete(&db_a, &c, &set_c).await.unwrap(), Completion::Done);
        assert_artifacts(&db_a, id, &set_c).await;
    }

    /// A failed attempt is queued again after `base × 2^(attempts − 1)`, not claimable before,
    /// and the last allowed attempt leaves the job failed with the reason; a job whose worker
    /// died on its last attempt is failed rather than run again.
    async fn retries_back_off_then_fail(app) {
        let db = connect(&app).await;
        let settings = queue_settings(5_000, 300);
        let id = enqueue(&db, 2024, 3).await;
        let mut previous_version = job(&db, id).await.version;
        for attempt in 1..=3 {
            let lease = wait_claim(&db, &settings, Duration::from_secs(10)).await;
            assert_eq!(lease.job.id, id);
            assert_eq!(lease.job.attempts, attempt);
            let before = Utc::now();
            let outcome = queue::fail(&db, &lease, "the data could not be read", &settings).await.unwrap();
            let row = job(&db, id).await;
            assert_eq!(row.error.as_deref(), Some("the data could not be read"));
            assert_eq!(row.lease_owner, None);
            assert_eq!(row.version, previous_version + 2, "claim and fail each bump the version");
            previous_version = row.version;
            if attempt < 3 {
                let Failure::Retrying { run_after } = outcome else { panic!("{outcome:?}") };
                assert_eq!(row.status, ReportJobStatus::Queued);
                assert_eq!(row.run_after, run_after);
                let backoff = 300 * (1i64 << (attempt - 1));
                let waited = (run_after - before).num_milliseconds();
                assert!(waited >= backoff - 5 && waited <= backoff + 500, "attempt {attempt}: {waited} ms");
                // Not due yet.
                assert!(queue::claim(&db, "w", &settings).await.unwrap().is_none());
            } else {
                assert_eq!(outcome, Failure::Failed);
                assert_eq!(row.status, ReportJobStatus::Failed);
                assert!(row.finished_at.is_some());
            }
        }
        tokio::time::sleep(Duration::from_millis(1_300)).await;
        assert!(queue::claim(&db, "w", &settings).await.unwrap().is_none(), "failed for good");

        // The last attempt's worker dies: the lapsed job is failed, not run a fourth time.
        let short = queue_settings(200, 100);
        let last = enqueue(&db, 2023, 1).await;
        let lease = queue::claim(&db, "dies", &short).await.unwrap().expect("claimed");
        assert_eq!((lease.job.id, lease.job.attempts), (last, 1));
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(queue::claim(&db, "w", &short).await.unwrap().is_none());
        let row = job(&db, last).await;
        assert_eq!(row.status, ReportJobStatus::Failed);
        assert_eq!(row.error.as_deref(), Some(queue::EXHAUSTED_REASON));
        assert_eq!(row.attempts, 1);
        assert_eq!(row.lease_owner, None);
    }

    /// Through the runner: a job that keeps failing is retried with back-off and ends failed
    /// with its reason, never exposing a database error's text.
    async fn runner_retries_then_fails(app) {
        let db = connect(&app).await;
        let id = enqueue(&db, 2024, 2).await;
        let failing = FakeJob {
            fail_with: Some("no cases could be read for 2024".into()),
            ..FakeJob::default()
        };
        let settings = runner_settings("r", 5_000, 1_000);
        let (_tx, rx) = watch::channel(false);
        let first = runner::run_once(&db, &settings, &failing, rx.clone()).await.unwrap();
        assert_eq!(first, Some(Outcome::Retrying { job_id: id, reason: "no cases could be read for 2024".into() }));
        assert_eq!(runner::run_once(&db, &settings, &failing, rx.clone()).await.unwrap(), None, "backing off");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let second = runner::run_once(&db, &settings, &failing, rx.clone()).await.unwrap();
        assert_eq!(second, Some(Outcome::Failed { job_id: id, reason: "no cases could be read for 2024".into() }));
        let row = job(&db, id).await;
        assert_eq!((row.status, row.attempts), (ReportJobStatus::Failed, 2));
        assert_eq!(failing.runs(), vec![id, id]);
        assert_eq!(artifact_counts(&db, id).await, (0, 0));
    }

    /// The heartbeat keeps a job that runs longer than its lease: a second worker polling all
    /// the while never gets it, and progress reaches the row while it runs.
    async fn heartbeat_keeps_a_long_job(app) {
        let db = connect(&app).await;
        let other = connect(&app).await;
        let id = enqueue(&db, 2024, 3).await;
        let slow = FakeJob::taking(Duration::from_millis(1_500));
        let settings = runner_settings("slow", 400, 1_000);
        let (_tx, rx) = watch::channel(false);
        let run = runner::run_once(&db, &settings, &slow, rx);
        let poach = async {
            let mut seen_progress = false;
            tokio::time::sleep(Duration::from_millis(100)).await;
            for _ in 0..25 {
                assert!(queue::claim(&other, "poacher", &settings.queue).await.unwrap().is_none());
                let row = job(&other, id).await;
                if row.status == ReportJobStatus::Running && row.progress == 50 {
                    seen_progress = true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            seen_progress
        };
        let (outcome, seen_progress) = tokio::join!(run, poach);
        assert_eq!(outcome.unwrap(), Some(Outcome::Done { job_id: id, artifacts: 2 }));
        assert!(seen_progress, "progress 50 was written while the job ran");
        let row = job(&db, id).await;
        assert_eq!((row.status, row.attempts, row.progress), (ReportJobStatus::Done, 1, 100));
        assert_artifacts(&db, id, &fake_files(id)).await;
    }

    /// 20 jobs, 4 workers (each with its own connection), run concurrently: every job runs
    /// exactly once, no two runs of one job overlap, every job ends done with one attempt and
    /// one artifact set.
    async fn concurrent_workers_run_each_job_once(app) {
        let seed = connect(&app).await;
        let mut ids = Vec::new();
        for n in 0..20 {
            ids.push(enqueue(&seed, 2000 + n, 3).await);
        }
        let fake = Arc::new(FakeJob::taking(Duration::from_millis(30)));
        let (tx, rx) = watch::channel(false);
        let mut workers = Vec::new();
        for w in 0..4 {
            let db = connect(&app).await;
            let fake = fake.clone();
            let rx = rx.clone();
            workers.push(tokio::spawn(async move {
                let settings = runner_settings(&format!("w{w}"), 10_000, 1_000);
                runner::run(&db, &settings, &*fake, rx).await;
            }));
        }
        wait_for(Duration::from_secs(60), "all 20 jobs done", || async {
            report_job::Entity::find()
                .all(&seed)
                .await
                .unwrap()
                .iter()
                .all(|j| j.status == ReportJobStatus::Done)
        })
        .await;
        tx.send(true).unwrap();
        for w in workers {
            tokio::time::timeout(Duration::from_secs(10), w).await.expect("worker stops").unwrap();
        }
        let mut runs = fake.runs();
        runs.sort_unstable();
        assert_eq!(runs, ids, "each job ran exactly once");
        assert_eq!(fake.overlaps.load(Ordering::SeqCst), 0);
        for id in ids {
            let row = job(&seed, id).await;
            assert_eq!((row.status, row.attempts), (ReportJobStatus::Done, 1), "job {id}");
            assert_artifacts(&seed, id, &fake_files(id)).await;
        }
    }

    /// Stop while a job runs: one that finishes within the grace period is stored; one that
    /// does not is handed back (queued, lease cleared, attempt not counted) and the loop ends.
    async fn stop_finishes_or_releases(app) {
        let db = connect(&app).await;
        // Finishes within the grace period.
        let quick = enqueue(&db, 2024, 3).await;
        let job_quick = FakeJob::taking(Duration::from_millis(600));
        let (tx, rx) = watch::channel(false);
        let settings = runner_settings("graceful", 5_000, 5_000);
        let loop_ = runner::run(&db, &settings, &job_quick, rx);
        let stopper = async {
            wait_for(Duration::from_secs(10), "job running", || async {
                job(&db, quick).await.status == ReportJobStatus::Running
            })
            .await;
            tx.send(true).unwrap();
        };
        tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(loop_, stopper) })
            .await
            .expect("the loop ends after the job");
        let row = job(&db, quick).await;
        assert_eq!((row.status, row.attempts), (ReportJobStatus::Done, 1));
        assert_artifacts(&db, quick, &fake_files(quick)).await;

        // Does not finish within the grace period: released.
        let slow = enqueue(&db, 2023, 3).await;
        let version_before = job(&db, slow).await.version;
        let job_slow = FakeJob::taking(Duration::from_secs(30));
        let (tx, rx) = watch::channel(false);
        let settings = runner_settings("graceful", 5_000, 300);
        let started = std::time::Instant::now();
        let loop_ = runner::run(&db, &settings, &job_slow, rx);
        let stopper = async {
            wait_for(Duration::from_secs(10), "job running", || async {
                job(&db, slow).await.status == ReportJobStatus::Running
            })
            .await;
            tx.send(true).unwrap();
        };
        tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(loop_, stopper) })
            .await
            .expect("the loop ends after the grace period");
        assert!(started.elapsed() < Duration::from_secs(10));
        let row = job(&db, slow).await;
        assert_eq!(row.status, ReportJobStatus::Queued);
        assert_eq!(row.attempts, 0, "the interrupted attempt is not counted");
        assert_eq!(row.lease_owner, None);
        assert_eq!(row.lease_expires_at, None);
        assert_eq!(row.progress, 0);
        assert!(row.version > version_before + 1);
        assert_eq!(artifact_counts(&db, slow).await, (0, 0));
        assert_eq!(job_slow.runs(), vec![slow]);
        // It is due again at once.
        let again = queue::claim(&db, "next", &settings.queue).await.unwrap().expect("claimable");
        assert_eq!((again.job.id, again.job.attempts), (slow, 1));
    }

    /// `upc-worker once` on an empty queue says so and exits 0; `check` passes.
    async fn once_on_an_empty_queue(app) {
        let (code, _, err) = finish(worker_process(&app, &["once"], &[]), Duration::from_secs(30)).await;
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("the queue is empty"), "{err}");
        let (code, _, err) = finish(worker_process(&app, &["check"], &[]), Duration::from_secs(30)).await;
        assert_eq!(code, Some(0), "{err}");
    }

    /// SIGTERM while a job is mid-way and will not finish within the grace period: the process
    /// hands the job back (queued, attempt not counted) and exits 0.
    async fn sigterm_releases_the_job(app) {
        let db = connect(&app).await;
        let id = enqueue(&db, 2024, 3).await;
        let child = worker_process(
            &app,
            &["run", "--test-pause-in-job-ms", "60000"],
            &[("UPC_WORKER_SHUTDOWN_GRACE_SECONDS", "1")],
        );
        wait_running_under(&db, id, child.id()).await;
        sigterm(&child);
        let (code, _, err) = finish(child, Duration::from_secs(20)).await;
        assert_eq!(code, Some(0), "{err}");
        let row = job(&db, id).await;
        assert_eq!(row.status, ReportJobStatus::Queued, "{err}");
        assert_eq!(row.attempts, 0);
        assert_eq!(row.lease_owner, None);
        assert_eq!(artifact_counts(&db, id).await, (0, 0));
    }

    /// SIGTERM while a job is mid-way and finishes within the grace period: the report is
    /// stored, then the process exits 0. (Runs the real report.)
    async fn sigterm_lets_the_job_finish(app) {
        let db = connect(&app).await;
        let id = enqueue_real(&db).await;
        let child = worker_process(
            &app,
            &["run", "--test-pause-in-job-ms", "1500"],
            &[("UPC_WORKER_SHUTDOWN_GRACE_SECONDS", "60")],
        );
        wait_running_under(&db, id, child.id()).await;
        sigterm(&child);
        let (code, _, err) = finish(child, Duration::from_secs(90)).await;
        assert_eq!(code, Some(0), "{err}");
        let row = job(&db, id).await;
        assert_eq!(row.status, ReportJobStatus::Done, "error: {:?}\n{err}", row.error);
        assert_eq!(row.attempts, 1);
        assert_one_real_set(&app, &db, id).await;
    }

    /// A worker process killed (SIGKILL) mid-job is recovered by a second worker process once
    /// the lease lapses: the job ends done on its second attempt with exactly one artifact set,
    /// the same files the offline `upc-worker report` writes. (Runs the real report.)
    async fn killed_worker_is_recovered_by_another(app) {
        let db = connect(&app).await;
        let id = enqueue_real(&db).await;
        let lease = [("UPC_WORKER_LEASE_SECONDS", "2")];
        let mut first = worker_process(&app, &["run", "--test-pause-in-job-ms", "120000"], &lease);
        wait_running_under(&db, id, first.id()).await;
        first.kill().expect("SIGKILL");
        let status = first.wait().expect("reaped");
        assert_eq!(status.code(), None, "killed by a signal");
        let dead = job(&db, id).await;
        assert_eq!((dead.status, dead.attempts), (ReportJobStatus::Running, 1));

        let second = worker_process(&app, &["run"], &lease);
        wait_for(Duration::from_secs(90), "the second worker to finish the job", || async {
            let j = job(&db, id).await;
            j.status == ReportJobStatus::Done || j.status == ReportJobStatus::Failed
                || (j.status == ReportJobStatus::Queued && j.error.is_some())
        })
        .await;
        sigterm(&second);
        let (code, _, err) = finish(second, Duration::from_secs(30)).await;
        assert_eq!(code, Some(0), "{err}");
        let row = job(&db, id).await;
        assert_eq!(row.status, ReportJobStatus::Done, "error: {:?}\n{err}", row.error);
        assert_eq!(row.attempts, 2, "claimed by the killed worker, then by the second");
        assert!(err.contains("report job done"), "{err}");
        assert_one_real_set(&app, &db, id).await;
    }
}

/// Claim, retrying until the back-off allows it.
async fn wait_claim(
    db: &DatabaseConnection,
    settings: &QueueSettings,
    timeout: Duration,
) -> queue::Lease {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(lease) = queue::claim(db, "w", settings).await.unwrap() {
            return lease;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing claimable in {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The job's artifacts are one set (no name twice, digests and sizes true) and have the same
/// names and content types as the files `upc-worker report` writes offline for the same request.
async fn assert_one_real_set(app: &TestApp, db: &DatabaseConnection, id: i64) {
    let stored = artifacts(db, id).await;
    assert!(!stored.is_empty(), "the job stored its files");
    let (rows, distinct) = artifact_counts(db, id).await;
    assert_eq!(rows, distinct, "no file stored twice");
    for a in &stored {
        assert_eq!(a.sha256, hex_sha256(&a.content), "{}", a.name);
        assert_eq!(a.size_bytes, a.content.len() as i64, "{}", a.name);
    }
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap().to_string();
    let child = worker_process(
        app,
        &[
            "report",
            "--year",
            &this_reporting_year().to_string(),
            "--out",
            &out_dir,
            "--edition",
            "public",
        ],
        &[],
    );
    let (code, stdout, err) = finish(child, Duration::from_secs(90)).await;
    assert_eq!(code, Some(0), "{err}");
    let written: BTreeSet<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let names: BTreeSet<String> = stored.iter().map(|a| a.name.clone()).collect();
    assert_eq!(names, written, "the same files as the offline report");
    assert_eq!(
        stdout.lines().count(),
        written.len(),
        "one path printed per file"
    );
    // The same report as the offline one (nothing changed in between), but for the time it
    // was generated.
    let json = stored
        .iter()
        .find(|a| a.name == "report.json")
        .expect("report.json");
    let offline = std::fs::read(Path::new(&out_dir).join("report.json")).unwrap();
    let without_time = |bytes: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
        v.as_object_mut().expect("an object").remove("generated_at");
        v
    };
    let stored_json = without_time(&json.content);
    assert!(
        stored_json == without_time(&offline),
        "the job's report.json differs from the offline one"
    );
    let cases = stored_json["cases"].as_array().expect("cases").len();
    let in_year = stored_json["policy_checks"]
        .as_array()
        .expect("policy checks")
        .iter()
        .find(|r| r["check"] == "cases" && r["outcome"] == "in_year")
        .cloned()
        .expect("the number of cases");
    if stored_json["edition"] == "public" {
        // The public edition has no per-case rows; the demonstration cases are counted.
        assert_eq!(cases, 0, "no per-case rows in the public edition");
        assert!(
            in_year["count_suppressed"] == true || in_year["count"].as_i64() > Some(0),
            "the demonstration cases are counted: {in_year}"
        );
    } else {
        assert!(cases > 0, "the demonstration cases are in the report");
        assert_eq!(in_year["count"].as_i64(), Some(cases as i64));
    }
}

/// The reporting year containing today (April to March).
fn this_reporting_year() -> i32 {
    use chrono::Datelike;
    let today = Utc::now().date_naive();
    if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// Load the demonstration data set (cases at every stage, dated around today) and queue a
/// public report for this reporting year.
async fn enqueue_real(db: &DatabaseConnection) -> i64 {
    api::demo::load(db)
        .await
        .unwrap_or_else(|e| panic!("demo data: {}", e.message()));
    enqueue(db, this_reporting_year(), 3).await
}

/// Two `upc-worker run` processes share a PostgreSQL queue of 10 jobs: each job is claimed
/// exactly once (one attempt), done, with one artifact set; both processes took jobs, and
/// their logs together show each job done once. (Runs the real report.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_share_the_postgres_queue() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let db = connect(&app).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(enqueue(&db, 2015 + n, 3).await);
    }
    // A short pause in each job, so both processes are busy at once and both take jobs.
    let args = ["run", "--test-pause-in-job-ms", "300"];
    let a = worker_process(&app, &args, &[]);
    let b = worker_process(&app, &args, &[]);
    wait_for(Duration::from_secs(240), "all 10 jobs finished", || async {
        report_job::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .iter()
            .all(|j| j.status == ReportJobStatus::Done || j.status == ReportJobStatus::Failed)
    })
    .await;
    sigterm(&a);
    sigterm(&b);
    let (code_a, _, err_a) = finish(a, Duration::from_secs(30)).await;
    let (code_b, _, err_b) = finish(b, Duration::from_secs(30)).await;
    assert_eq!((code_a, code_b), (Some(0), Some(0)), "{err_a}\n{err_b}");
    let mut done_by: BTreeMap<i64, usize> = BTreeMap::new();
    for log in [&err_a, &err_b] {
        let done = log
            .lines()
            .filter(|l| l.contains("report job done"))
            .count();
        assert!(done > 0, "each process ran some of the jobs:\n{log}");
        for line in log.lines().filter(|l| l.contains("report job done")) {
            let id = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("job="))
                .and_then(|v| v.parse::<i64>().ok())
                .expect("job id in the log line");
            *done_by.entry(id).or_default() += 1;
        }
    }
    for id in &ids {
        let row = job(&db, *id).await;
        assert_eq!(
            (row.status, row.attempts),
            (ReportJobStatus::Done, 1),
            "job {id}: {:?}",
            row.error
        );
        let (rows, distinct) = artifact_counts(&db, *id).await;
        assert!(
            rows > 0 && rows == distinct,
            "job {id}: {rows} rows, {distinct} names"
        );
        assert_eq!(
            done_by.get(id),
            Some(&1),
            "job {id} done once across both logs"
        );
    }
    assert_eq!(done_by.len(), ids.len());
}

/// The embedded quick start (`cargo run --bin upc`): `upc` accepts `upc-api`'s commands
/// (`migrate`, `demo-data`), and under `serve` (the default) it serves the API and runs report
/// jobs and the scheduled jobs in-process on the same SQLite database, stopping cleanly with the
/// server on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upc_serves_and_runs_report_jobs_in_process() {
    const UPC: &str = env!("CARGO_BIN_EXE_upc");
    let dir = tempfile::tempdir().unwrap();
    let upc = |args: &[&str]| {
        let mut command = Command::new(UPC);
        command.args(args);
        for (name, _) in std::env::vars() {
            if name.starts_with("UPC_") {
                command.env_remove(name);
            }
        }
        command
            .env("UPC_DATA_DIR", dir.path())
            .env("UPC_BIND", "127.0.0.1:0")
            .env("UPC_METRICS_BIND", "127.0.0.1:0")
            .env("UPC_LOG", "info,sqlx=warn,sea_orm=warn")
            .env("UPC_WORKER_POLL_MS", "100")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    for args in [["migrate"], ["demo-data"]] {
        let out = upc(&args).output().expect("upc runs");
        assert!(
            out.status.success(),
            "upc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let server = upc(&[]).spawn().expect("upc serves");
    let mut settings = Settings::embedded(dir.path());
    settings.run_migrations = false;
    let db = api::db::connect(&settings)
        .await
        .expect("open the database");
    let id = enqueue(&db, this_reporting_year(), 3).await;
    wait_for(
        Duration::from_secs(90),
        "the in-process worker to run the job",
        || async {
            let j = job(&db, id).await;
            j.status == ReportJobStatus::Done || j.status == ReportJobStatus::Failed
        },
    )
    .await;
    // The in-process scheduler ran the latest review-reminder slot on start-up.
    wait_for(
        Duration::from_secs(60),
        "the in-process scheduler to run the review reminders",
        || async {
            entities::scheduled_run::Entity::find()
                .filter(sea_orm::ColumnTrait::eq(
                    &entities::scheduled_run::Column::Job,
                    entities::enums::ScheduledJob::ReviewReminders,
                ))
                .all(&db)
                .await
                .expect("read runs")
                .iter()
                .any(|r| r.status == entities::enums::ScheduledRunStatus::Succeeded)
        },
    )
    .await;
    sigterm(&server);
    let (code, _, err) = finish(server, Duration::from_secs(30)).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("upc-api listening"), "{err}");
    let row = job(&db, id).await;
    assert_eq!(
        (row.status, row.attempts),
        (ReportJobStatus::Done, 1),
        "{:?}\n{err}",
        row.error
    );
    let (rows, distinct) = artifact_counts(&db, id).await;
    assert!(
        rows > 0 && rows == distinct,
        "{rows} files, {distinct} names"
    );
}
