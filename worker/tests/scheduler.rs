//! The worker's scheduler (issue 20), on SQLite and PostgreSQL: a slot runs once and is audited;
//! two workers racing for one slot (tasks on their own connections, and two `upc-worker run`
//! processes) run it once; a slot whose worker died is taken over once its lease lapses; review
//! reminders are written once per restriction and review date; `/metrics` shows the runs; a bad
//! cron setting stops start-up; `upc-worker schedule` lists the next fire times.
//!
//! The `case_endings` job is not built on this branch, so no test runs it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test reports a failed step by panicking"
)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use api::config::{JobSchedule, Settings};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entities::enums::{CaseStatus, RestrictionStatus, ScheduledJob, ScheduledRunStatus};
use entities::{notification, restriction, scheduled_run, upc_case};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    Statement,
};
use tests::app::TestApp;
use tests::db_tests;
use tokio::sync::watch;
use worker::retention::{Schedule, plan};
use worker::scheduler::{self, RunOutcome, SchedulerSettings, ledger};

const WORKER: &str = env!("CARGO_BIN_EXE_upc-worker");
const AS_OF: &str = "2032-01-01";

// ---------------------------------------------------------------- helpers

/// A connection of the worker's own, opened the way the worker opens it.
async fn connect(app: &TestApp) -> DatabaseConnection {
    let mut settings = Settings::embedded(&app.data_dir);
    settings.database_url = app.database_url.clone();
    api::db::connect(&settings)
        .await
        .expect("worker connection")
}

fn as_of() -> NaiveDate {
    AS_OF.parse().expect("a date")
}

/// Scheduler settings for worker `id`, running jobs as of [`AS_OF`].
fn settings(id: &str) -> SchedulerSettings {
    SchedulerSettings {
        worker_id: id.into(),
        jobs: vec![
            (
                ScheduledJob::Retention,
                JobSchedule::parse("0 2 * * *").unwrap(),
            ),
            (
                ScheduledJob::ReviewReminders,
                JobSchedule::parse("0 6 * * *").unwrap(),
            ),
        ],
        lease: Duration::from_secs(30),
        shutdown_grace: Duration::from_secs(5),
        retention: Schedule {
            years_after_restriction: 6,
            years_after_closure: 2,
        },
        review_reminder_days: 14,
        lifecycle: api::domain::lifecycle::LifecycleSettings::default(),
        as_of: Some(as_of()),
    }
}

fn slot(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2032, 1, 1, hour, 0, 0).unwrap()
}

/// A stop receiver that never fires.
fn never_stop() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    std::mem::forget(tx);
    rx
}

async fn seed(app: &TestApp) {
    api::seed::seed(&app.db, api::seed::Scale::new(0.01).expect("scale"), 5)
        .await
        .expect("seeded");
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

async fn runs(db: &DatabaseConnection, job: ScheduledJob) -> Vec<scheduled_run::Model> {
    scheduled_run::Entity::find()
        .filter(scheduled_run::Column::Job.eq(job))
        .order_by_asc(scheduled_run::Column::Id)
        .all(db)
        .await
        .expect("read runs")
}

async fn audited_runs(db: &DatabaseConnection) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM audit_event WHERE action = 'scheduler.run' AND actor_sub = 'system:scheduler'",
    )
    .await
}

async fn case_disposals(db: &DatabaseConnection) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM disposal WHERE entity_type = 'upc_case'",
    )
    .await
}

/// Cases the retention schedule makes due as of [`AS_OF`].
async fn planned(db: &DatabaseConnection) -> usize {
    plan(db, &settings("p").retention, as_of())
        .await
        .expect("plan")
        .len()
}

/// Restrictions in force on open cases whose review is due by `today + days`.
async fn reviews_due(db: &DatabaseConnection, today: NaiveDate, days: i64) -> Vec<i64> {
    let horizon = today + chrono::Duration::days(days);
    restriction::Entity::find()
        .filter(restriction::Column::Status.eq(RestrictionStatus::Active))
        .filter(restriction::Column::ReviewDueOn.lte(horizon))
        .find_also_related(upc_case::Entity)
        .all(db)
        .await
        .expect("restrictions")
        .into_iter()
        .filter(|(r, c)| {
            c.as_ref().is_some_and(|c| c.status == CaseStatus::Open)
                && r.ends_on.is_none_or(|end| end >= today)
        })
        .map(|(r, _)| r.id)
        .collect()
}

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

/// `upc-worker` with only the given settings (the test's own environment's `UPC_*` removed).
fn worker(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(WORKER);
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("UPC_") {
            command.env_remove(name);
        }
    }
    command.env("UPC_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn finish(mut child: Child, timeout: Duration) -> (Option<i32>, String) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut s) = child.stderr.take() {
                let _ = s.read_to_string(&mut err);
            }
            return (status.code(), err);
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

// ---------------------------------------------------------------- tests

db_tests! {
    /// The case endings job closes what `upc-worker endings` would, once: each case with its
    /// letter and audit event; the next day's slot finds nothing left to close.
    async fn the_case_endings_job_closes_ended_cases_once(app) {
        seed(&app).await;
        let midday = as_of().and_hms_opt(12, 0, 0).unwrap().and_utc();
        let expected = api::store::commands::endings::ended_cases(
            &app.db,
            &api::domain::lifecycle::LifecycleSettings::default(),
            midday,
        )
        .await
        .expect("the dry run")
        .closed
        .len() as i64;
        assert!(expected > 0, "the seed has cases that have ended by {AS_OF}");
        let db = connect(&app).await;
        let s = settings("w1");
        let mut stop = never_stop();
        let first = scheduler::run_slot(&db, &s, ScheduledJob::CaseEndings, slot(1), &mut stop)
            .await
            .expect("claim");
        assert_eq!(first, Some(RunOutcome::Recorded(Ok(expected as u64))));
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM letter WHERE kind = 'case_closed'").await,
            expected,
            "one letter per case closed"
        );
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM audit_event WHERE action = 'case.close_ended'").await,
            expected
        );
        let next = slot(1) + chrono::Duration::days(1);
        let second = scheduler::run_slot(&db, &s, ScheduledJob::CaseEndings, next, &mut stop)
            .await
            .expect("claim");
        assert_eq!(second, Some(RunOutcome::Recorded(Ok(0))));
        let recorded = runs(&app.db, ScheduledJob::CaseEndings).await;
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0].rows_touched, Some(expected));
        assert_eq!(audited_runs(&app.db).await, 2);
    }

    /// A slot runs once: the run is recorded with the rows it touched and audited once; claiming
    /// the same slot again does nothing; the next slot finds nothing left to do.
    async fn a_slot_runs_once_and_is_audited(app) {
        seed(&app).await;
        let due = planned(&app.db).await;
        assert!(due > 0, "the seed has cases due by {AS_OF}");
        let db = connect(&app).await;
        let s = settings("w1");
        let mut stop = never_stop();

        let first = scheduler::run_slot(&db, &s, ScheduledJob::Retention, slot(2), &mut stop)
            .await
            .expect("claim");
        let Some(RunOutcome::Recorded(Ok(rows))) = first else {
            panic!("the slot ran: {first:?}");
        };
        assert!(rows >= due as u64, "{rows} rows for {due} cases");
        assert_eq!(case_disposals(&app.db).await, due as i64);

        let again = scheduler::run_slot(&db, &s, ScheduledJob::Retention, slot(2), &mut stop)
            .await
            .expect("claim");
        assert_eq!(again, None, "a slot is claimed once");

        let recorded = runs(&app.db, ScheduledJob::Retention).await;
        assert_eq!(recorded.len(), 1);
        let run = &recorded[0];
        assert_eq!(run.status, ScheduledRunStatus::Succeeded);
        assert_eq!(run.slot, slot(2));
        assert_eq!(run.rows_touched, Some(rows as i64));
        assert_eq!(run.attempts, 1);
        assert!(run.lease_until.is_none() && run.finished_at.is_some());
        assert!(run.worker.starts_with("w1/"), "{}", run.worker);
        assert_eq!(audited_runs(&app.db).await, 1);

        // The next day's slot: retention is idempotent, nothing is left to anonymise.
        let next = slot(2) + chrono::Duration::days(1);
        let second = scheduler::run_slot(&db, &s, ScheduledJob::Retention, next, &mut stop)
            .await
            .expect("claim");
        assert_eq!(second, Some(RunOutcome::Recorded(Ok(0))));
        assert_eq!(case_disposals(&app.db).await, due as i64);
        assert_eq!(audited_runs(&app.db).await, 2);
        let chain = api::audit::verify::verify(&app.db, 500, None).await.expect("verify");
        assert!(
            matches!(chain, api::audit::verify::Outcome::Intact(_)),
            "the audit chain verifies"
        );
    }

    /// Two workers, each on its own connection, claim and run the same slot at the same moment:
    /// one runs it, the other skips it; one row, one audit event, retention applied once.
    async fn two_workers_racing_for_one_slot_run_it_once(app) {
        seed(&app).await;
        let due = planned(&app.db).await;
        let (db1, db2) = (connect(&app).await, connect(&app).await);
        let (s1, s2) = (settings("w1"), settings("w2"));
        let (mut stop1, mut stop2) = (never_stop(), never_stop());
        let (a, b) = tokio::join!(
            scheduler::run_slot(&db1, &s1, ScheduledJob::Retention, slot(2), &mut stop1),
            scheduler::run_slot(&db2, &s2, ScheduledJob::Retention, slot(2), &mut stop2),
        );
        let outcomes = [a.expect("claim 1"), b.expect("claim 2")];
        let ran: Vec<_> = outcomes.iter().flatten().collect();
        assert_eq!(ran.len(), 1, "exactly one worker ran the slot: {outcomes:?}");
        assert!(matches!(ran[0], RunOutcome::Recorded(Ok(_))), "{outcomes:?}");
        let recorded = runs(&app.db, ScheduledJob::Retention).await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].status, ScheduledRunStatus::Succeeded);
        assert_eq!(audited_runs(&app.db).await, 1);
        assert_eq!(case_disposals(&app.db).await, due as i64, "retention applied once");
    }

    /// A worker that claimed a slot and died leaves it running under a lease; while the lease
    /// holds nobody else runs it; once it lapses the next worker takes it over (attempt 2) and
    /// the dead worker's late result is refused.
    async fn a_lapsed_lease_is_taken_over(app) {
        let db = connect(&app).await;
        let dead = ledger::claim(
            &db,
            ScheduledJob::ReviewReminders,
            slot(6),
            "dead",
            Duration::from_millis(300),
        )
        .await
        .expect("claim")
        .expect("a fresh slot");
        let s = settings("w2");
        let mut stop = never_stop();
        let early = scheduler::run_slot(&db, &s, ScheduledJob::ReviewReminders, slot(6), &mut stop)
            .await
            .expect("claim");
        assert_eq!(early, None, "the lease still holds");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let late = scheduler::run_slot(&db, &s, ScheduledJob::ReviewReminders, slot(6), &mut stop)
            .await
            .expect("claim");
        assert!(matches!(late, Some(RunOutcome::Recorded(Ok(_)))), "{late:?}");
        let recorded = runs(&app.db, ScheduledJob::ReviewReminders).await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].attempts, 2);
        assert_eq!(recorded[0].status, ScheduledRunStatus::Succeeded);
        assert!(recorded[0].worker.starts_with("w2/"));
        assert!(
            !ledger::finish(&db, &dead, &Ok(0)).await.expect("finish"),
            "the dead worker's claim is no longer its own"
        );
        assert_eq!(audited_runs(&app.db).await, 1);
    }

    /// Review reminders: one `review_due` notification per restriction due, for its service
    /// team, however often the job runs; `/metrics` then shows the job's last run and success.
    async fn review_reminders_are_written_once_and_show_in_metrics(app) {
        seed(&app).await;
        // A day on which some reviews of restrictions in force are due within 14 days.
        let dates: Vec<NaiveDate> = restriction::Entity::find()
            .filter(restriction::Column::Status.eq(RestrictionStatus::Active))
            .all(&app.db)
            .await
            .expect("restrictions")
            .into_iter()
            .map(|r| r.review_due_on)
            .collect();
        let mut today = None;
        for date in dates {
            let candidate = date - chrono::Duration::days(3);
            if !reviews_due(&app.db, candidate, 14).await.is_empty() {
                today = Some(candidate);
                break;
            }
        }
        let today = today.expect("the seed has restrictions in force on open cases");
        let expected = reviews_due(&app.db, today, 14).await;

        let db = connect(&app).await;
        let mut s = settings("w1");
        s.as_of = Some(today);
        let mut stop = never_stop();
        let first = scheduler::run_slot(&db, &s, ScheduledJob::ReviewReminders, slot(6), &mut stop)
            .await
            .expect("claim");
        assert_eq!(first, Some(RunOutcome::Recorded(Ok(expected.len() as u64))));
        let second = scheduler::run_slot(
            &db,
            &s,
            ScheduledJob::ReviewReminders,
            slot(6) + chrono::Duration::days(1),
            &mut stop,
        )
        .await
        .expect("claim");
        assert_eq!(second, Some(RunOutcome::Recorded(Ok(0))), "idempotent across runs");

        let reminders = notification::Entity::find()
            .filter(notification::Column::Event.eq(notification::AlertEvent::ReviewDue))
            .all(&app.db)
            .await
            .expect("notifications");
        let mut reminded: Vec<i64> = reminders.iter().map(|n| n.restriction_id).collect();
        reminded.sort_unstable();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort_unstable();
        assert_eq!(reminded, expected_sorted, "one reminder per restriction due");
        for n in &reminders {
            assert_eq!(n.created_by, "system:scheduler");
            assert!(n.review_due_on.is_some());
            assert!(n.summary.contains("review due on"), "{}", n.summary);
        }

        // The service team sees it in GraphQL.
        let token = app.token(api::auth::Role::LegalServices, &[]);
        let body = app
            .graphql_as(&token, "{ notifications(first: 200) { event reviewDueOn } }", serde_json::json!({}))
            .await;
        let listed = body["data"]["notifications"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .filter(|n| n["event"] == "review_due" && n["reviewDueOn"].is_string())
            .count();
        assert_eq!(listed, expected.len(), "{}", body["errors"]);

        let metrics = app.metrics().await.text().await.expect("text");
        for line in [
            "upc_scheduled_job_last_run_timestamp_seconds{job=\"review_reminders\"}".to_string(),
            "upc_scheduled_job_last_success_timestamp_seconds{job=\"review_reminders\"}".to_string(),
            "upc_scheduled_job_rows_touched{job=\"review_reminders\"} 0".to_string(),
            "upc_scheduled_job_last_status{job=\"review_reminders\",status=\"succeeded\"} 1".to_string(),
            "upc_scheduled_job_last_status{job=\"review_reminders\",status=\"failed\"} 0".to_string(),
        ] {
            assert!(metrics.contains(&line), "no `{line}` in:\n{metrics}");
        }
        assert!(
            !metrics.contains("upc_scheduled_job_last_run_timestamp_seconds{job=\"retention\"}"),
            "a job that never ran has no series"
        );
    }

    /// A failed run is recorded with its error and audited, and `/metrics` shows it failed with
    /// no success yet; the next slot is claimed as usual.
    async fn a_failed_run_is_recorded_audited_and_shown(app) {
        let db = connect(&app).await;
        let claim = ledger::claim(&db, ScheduledJob::Retention, slot(2), "w1", Duration::from_secs(30))
            .await
            .expect("claim")
            .expect("a fresh slot");
        assert!(ledger::finish(&db, &claim, &Err("the database went away".into())).await.expect("finish"));
        let recorded = runs(&app.db, ScheduledJob::Retention).await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].status, ScheduledRunStatus::Failed);
        assert_eq!(recorded[0].error.as_deref(), Some("the database went away"));
        assert_eq!(recorded[0].rows_touched, None);
        let event = entities::audit_event::Entity::find()
            .filter(entities::audit_event::Column::Action.eq("scheduler.run"))
            .one(&app.db)
            .await
            .expect("read audit")
            .expect("audited");
        let after = event.after.expect("a payload");
        assert_eq!(after["status"], "failed");
        assert_eq!(after["error"], "the database went away");
        assert_eq!(after["job"], "retention");

        let metrics = app.metrics().await.text().await.expect("text");
        for line in [
            "upc_scheduled_job_last_status{job=\"retention\",status=\"failed\"} 1",
            "upc_scheduled_job_last_status{job=\"retention\",status=\"succeeded\"} 0",
        ] {
            assert!(metrics.contains(line), "no `{line}` in:\n{metrics}");
        }
        assert!(
            !metrics.contains("upc_scheduled_job_last_success_timestamp_seconds{job=\"retention\"}"),
            "no success yet"
        );
        let next = ledger::claim(
            &db,
            ScheduledJob::Retention,
            slot(2) + chrono::Duration::days(1),
            "w1",
            Duration::from_secs(30),
        )
        .await
        .expect("claim");
        assert!(next.is_some(), "the next slot is claimed as usual");
    }

    /// Two `upc-worker run` processes start at once with the same schedule: the latest missed
    /// slot is run on start-up, by one of them only.
    async fn two_worker_processes_run_the_missed_slot_once(app) {
        let env = [
            ("UPC_DATABASE_URL", app.database_url.as_str()),
            ("UPC_DATA_DIR", app.data_dir.to_str().expect("a path")),
            ("UPC_RUN_MIGRATIONS", "false"),
            ("UPC_SCHEDULE_RETENTION", "off"),
            ("UPC_SCHEDULE_CASE_ENDINGS", "off"),
            ("UPC_SCHEDULE_REVIEW_REMINDERS", "0 0 1 1 *"),
            ("UPC_WORKER_POLL_MS", "200"),
        ];
        let a = worker(&["run"], &env).spawn().expect("worker a");
        let b = worker(&["run"], &env).spawn().expect("worker b");
        wait_for(Duration::from_secs(60), "a scheduled run to finish", || async {
            runs(&app.db, ScheduledJob::ReviewReminders)
                .await
                .iter()
                .any(|r| r.status == ScheduledRunStatus::Succeeded)
        })
        .await;
        // Give the other worker every chance to (wrongly) run it too.
        tokio::time::sleep(Duration::from_millis(500)).await;
        sigterm(&a);
        sigterm(&b);
        let (code_a, err_a) = finish(a, Duration::from_secs(30)).await;
        let (code_b, err_b) = finish(b, Duration::from_secs(30)).await;
        assert_eq!((code_a, code_b), (Some(0), Some(0)), "{err_a}\n{err_b}");
        let recorded = runs(&app.db, ScheduledJob::ReviewReminders).await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        let year = Utc::now().format("%Y").to_string();
        assert_eq!(
            recorded[0].slot.to_rfc3339(),
            format!("{year}-01-01T00:00:00+00:00"),
            "the latest slot at or before now"
        );
        assert_eq!(audited_runs(&app.db).await, 1);
    }
}

/// A bad cron expression stops the worker at start-up with one line naming the setting.
#[test]
fn a_bad_schedule_stops_start_up() {
    let dir = tempfile::tempdir().expect("dir");
    let out = worker(
        &["run"],
        &[
            ("UPC_DATA_DIR", dir.path().to_str().expect("a path")),
            ("UPC_SCHEDULE_RETENTION", "every night at two"),
        ],
    )
    .output()
    .expect("upc-worker runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("UPC_SCHEDULE_RETENTION (environment)") && err.contains("cron expression"),
        "{err}"
    );
}

/// `upc-worker schedule` prints each job's setting and next fire times, `never` when off.
#[test]
fn schedule_lists_the_next_fire_times() {
    let dir = tempfile::tempdir().expect("dir");
    let out = worker(
        &["schedule", "--count", "2"],
        &[
            ("UPC_DATA_DIR", dir.path().to_str().expect("a path")),
            ("UPC_SCHEDULE_CASE_ENDINGS", "off"),
        ],
    )
    .output()
    .expect("upc-worker runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    let line = |job: &str| {
        lines
            .iter()
            .find(|l| l[0] == job)
            .unwrap_or_else(|| panic!("no {job} in {text}"))
    };
    assert_eq!(line("case_endings")[1..], ["off", "never"]);
    let retention = line("retention");
    assert_eq!(retention[1], "0 2 * * *");
    let times: Vec<&str> = retention[2].split(' ').collect();
    assert_eq!(times.len(), 2);
    assert!(times.iter().all(|t| t.ends_with("T02:00:00Z")), "{text}");
    assert!(line("review_reminders")[2].contains("T06:00:00Z"), "{text}");
}
