//! Prometheus metrics served at `/metrics`: requests and their latency by GraphQL operation,
//! HTTP answers by status, rate-limit refusals, the database pool, the report job queue and the
//! worker's scheduled jobs (read from `scheduled_run` at each scrape).
//!
//! Labels only ever hold values from a closed set (route names, status codes, root field names
//! of the schema that passed validation), never anything a client can invent, so a hostile client
//! cannot grow the metrics without bound.

use std::time::Duration;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{DatabaseConnection, DbBackend};

/// The process's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    http_responses: IntCounterVec,
    graphql_operations: IntCounterVec,
    graphql_duration: HistogramVec,
    graphql_plans: IntCounterVec,
    rate_limited: IntCounterVec,
    db_pool: IntGaugeVec,
    db_pool_max: IntGauge,
    db_up: IntGauge,
    report_jobs: IntGaugeVec,
    db_statements: IntCounterVec,
    scheduled_last_run: IntGaugeVec,
    scheduled_last_success: IntGaugeVec,
    scheduled_rows: IntGaugeVec,
    scheduled_status: IntGaugeVec,
    access_batches: IntCounter,
    access_records: IntCounter,
    access_batch_requests: Histogram,
}

/// What one GraphQL operation did, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Data and no errors.
    Ok,
    /// Executed, with errors at some paths.
    Errors,
    /// Refused before execution (parse, validation, limits).
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Errors => "errors",
            Outcome::Refused => "refused",
        }
    }
}

// Registration of freshly built, uniquely named metrics cannot fail; a failure here is a bug
// caught by the first test that starts a server.
#[expect(
    clippy::expect_used,
    reason = "static metric definitions; failure is a programming error"
)]
impl Metrics {
    /// Fresh metrics in their own registry (one per server, so tests never share counters).
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_responses = IntCounterVec::new(
            Opts::new(
                "upc_http_responses_total",
                "HTTP responses by route and status code.",
            ),
            &["route", "status"],
        )
        .expect("metric");
        let graphql_operations = IntCounterVec::new(
            Opts::new(
                "upc_graphql_operations_total",
                "GraphQL operations by type, root field and outcome.",
            ),
            &["type", "operation", "outcome"],
        )
        .expect("metric");
        let graphql_duration = HistogramVec::new(
            HistogramOpts::new(
                "upc_graphql_operation_duration_seconds",
                "Time to execute a GraphQL operation, by type and root field.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["type", "operation"],
        )
        .expect("metric");
        let graphql_plans = IntCounterVec::new(
            Opts::new(
                "upc_graphql_read_path_total",
                "GraphQL operations by how they were answered: `planned` (from a read plan, \
                 graphql_planned_reads) or `schema` (field by field).",
            ),
            &["path"],
        )
        .expect("metric");
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "upc_rate_limited_total",
                "Requests refused with 429, by whom they were counted against.",
            ),
            &["by"],
        )
        .expect("metric");
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "upc_db_pool_connections",
                "Database pool connections by state (in_use, idle).",
            ),
            &["state"],
        )
        .expect("metric");
        let db_pool_max = IntGauge::new(
            "upc_db_pool_max_connections",
            "Largest size the database pool may grow to.",
        )
        .expect("metric");
        let db_up = IntGauge::new(
            "upc_db_up",
            "1 when the database answered the last scrape's ping, else 0.",
        )
        .expect("metric");
        let report_jobs = IntGaugeVec::new(
            Opts::new(
                "upc_report_jobs",
                "Report jobs waiting or running (the job queue depth), by status.",
            ),
            &["status"],
        )
        .expect("metric");
        let db_statements = IntCounterVec::new(
            Opts::new(
                "upc_db_statements_total",
                "SQL statements the server sent to the database, by outcome (ok, failed).",
            ),
            &["outcome"],
        )
        .expect("metric");
        let scheduled = |name: &str, help: &str, labels: &[&str]| {
            IntGaugeVec::new(Opts::new(name, help), labels).expect("metric")
        };
        let scheduled_last_run = scheduled(
            "upc_scheduled_job_last_run_timestamp_seconds",
            "When the latest run of a scheduled job started (Unix time), by job.",
            &["job"],
        );
        let scheduled_last_success = scheduled(
            "upc_scheduled_job_last_success_timestamp_seconds",
            "When the latest successful run of a scheduled job finished (Unix time), by job.",
            &["job"],
        );
        let scheduled_rows = scheduled(
            "upc_scheduled_job_rows_touched",
            "Rows the latest successful run of a scheduled job changed or wrote, by job.",
            &["job"],
        );
        let scheduled_status = scheduled(
            "upc_scheduled_job_last_status",
            "1 for the status of the latest run of a scheduled job (running, succeeded, failed), 0 for the others.",
            &["job", "status"],
        );
        let access_batches = IntCounter::new(
            "upc_access_record_batches_total",
            "Commits of access records (each carries the records of one or more requests).",
        )
        .expect("metric");
        let access_records = IntCounter::new(
            "upc_access_records_written_total",
            "Access records written and committed.",
        )
        .expect("metric");
        let access_batch_requests = Histogram::with_opts(
            HistogramOpts::new(
                "upc_access_record_batch_requests",
                "Requests whose access records one commit carried (group commit).",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
        )
        .expect("metric");
        for c in [
            Box::new(http_responses.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(access_batches.clone()),
            Box::new(access_records.clone()),
            Box::new(access_batch_requests.clone()),
            Box::new(scheduled_last_run.clone()),
            Box::new(scheduled_last_success.clone()),
            Box::new(scheduled_rows.clone()),
            Box::new(scheduled_status.clone()),
            Box::new(db_statements.clone()),
            Box::new(graphql_operations.clone()),
            Box::new(graphql_duration.clone()),
            Box::new(graphql_plans.clone()),
            Box::new(rate_limited.clone()),
            Box::new(db_pool.clone()),
            Box::new(db_pool_max.clone()),
            Box::new(db_up.clone()),
            Box::new(report_jobs.clone()),
        ] {
            registry.register(c).expect("unique metric");
        }
        Self {
            registry,
            http_responses,
            graphql_operations,
            graphql_duration,
            graphql_plans,
            rate_limited,
            db_pool,
            db_pool_max,
            db_up,
            report_jobs,
            db_statements,
            scheduled_last_run,
            scheduled_last_success,
            scheduled_rows,
            scheduled_status,
            access_batches,
            access_records,
            access_batch_requests,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Count one HTTP response.
    pub fn http_response(&self, route: &'static str, status: u16) {
        self.http_responses
            .with_label_values(&[route, &status.to_string()])
            .inc();
    }

    /// Count one GraphQL operation and observe how long it took.
    pub fn graphql_operation(
        &self,
        kind: &str,
        operation: &str,
        outcome: Outcome,
        elapsed: Duration,
    ) {
        self.graphql_operations
            .with_label_values(&[kind, operation, outcome.as_str()])
            .inc();
        self.graphql_duration
            .with_label_values(&[kind, operation])
            .observe(elapsed.as_secs_f64());
    }

    /// Count one GraphQL operation by the path that answered it (`planned` or `schema`).
    pub fn graphql_read_path(&self, path: &'static str) {
        self.graphql_plans.with_label_values(&[path]).inc();
    }

    /// Count every statement sent on `db` (its metric callback), so the statements a request
    /// costs can be measured from `/metrics` (the N+1 tests of issue 9).
    pub fn count_statements(&self, db: &mut DatabaseConnection) {
        let counter = self.db_statements.clone();
        db.set_metric_callback(move |info| {
            let outcome = if info.failed { "failed" } else { "ok" };
            counter.with_label_values(&[outcome]).inc();
        });
    }

    /// Count one commit of access records: `requests` requests' `rows` records.
    pub fn access_batch(&self, requests: usize, rows: usize) {
        self.access_batches.inc();
        self.access_records.inc_by(rows as u64);
        self.access_batch_requests.observe(requests as f64);
    }

    /// `(commits, records)` of access records so far.
    pub fn access_record_totals(&self) -> (u64, u64) {
        (self.access_batches.get(), self.access_records.get())
    }

    /// Count one rate-limit refusal (`by` is `user` or `address`).
    pub fn rate_limited(&self, by: &'static str) {
        self.rate_limited.with_label_values(&[by]).inc();
    }

    /// Refresh the gauges read from the database and render everything in Prometheus' text
    /// format. The database part is bounded in time; when the database does not answer,
    /// `upc_db_up` is 0 and the queue depth keeps its last value.
    pub async fn render(&self, db: &DatabaseConnection, pool_max: u32) -> String {
        self.refresh_pool(db, pool_max);
        let read =
            async { Ok::<_, sea_orm::DbErr>((queue_depth(db).await?, latest_runs(db).await?)) };
        match tokio::time::timeout(Duration::from_secs(2), read).await {
            Ok(Ok(((queued, running), runs))) => {
                self.db_up.set(1);
                self.report_jobs.with_label_values(&["queued"]).set(queued);
                self.report_jobs
                    .with_label_values(&["running"])
                    .set(running);
                self.set_scheduled(&runs);
            }
            _ => self.db_up.set(0),
        }
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }

    /// The scheduled-job gauges from each job's latest run and latest success. A job that never
    /// ran has no series.
    fn set_scheduled(&self, runs: &[LatestRuns]) {
        use entities::enums::ScheduledRunStatus;
        for latest in runs {
            let job = latest.job.as_str();
            if let Some(run) = &latest.last {
                self.scheduled_last_run
                    .with_label_values(&[job])
                    .set(run.started_at.timestamp());
                for status in ScheduledRunStatus::ALL {
                    self.scheduled_status
                        .with_label_values(&[job, status.as_str()])
                        .set(i64::from(run.status == *status));
                }
            }
            if let Some(run) = &latest.success {
                self.scheduled_last_success
                    .with_label_values(&[job])
                    .set(run.finished_at.unwrap_or(run.started_at).timestamp());
                self.scheduled_rows
                    .with_label_values(&[job])
                    .set(run.rows_touched.unwrap_or(0));
            }
        }
    }

    fn refresh_pool(&self, db: &DatabaseConnection, pool_max: u32) {
        let (size, idle, max) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle() as u32, pool_max)
            }
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle() as u32, 1)
            }
            _ => (0, 0, 0),
        };
        self.db_pool
            .with_label_values(&["in_use"])
            .set(i64::from(size.saturating_sub(idle)));
        self.db_pool
            .with_label_values(&["idle"])
            .set(i64::from(idle));
        self.db_pool_max.set(i64::from(max));
    }
}

/// Report jobs queued and running.
async fn queue_depth(db: &DatabaseConnection) -> Result<(i64, i64), sea_orm::DbErr> {
    use entities::enums::ReportJobStatus;
    use entities::report_job;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let queued = report_job::Entity::find()
        .filter(report_job::Column::Status.eq(ReportJobStatus::Queued))
        .count(db)
        .await?;
    let running = report_job::Entity::find()
        .filter(report_job::Column::Status.eq(ReportJobStatus::Running))
        .count(db)
        .await?;
    Ok((
        i64::try_from(queued).unwrap_or(i64::MAX),
        i64::try_from(running).unwrap_or(i64::MAX),
    ))
}

/// One scheduled job's latest run and latest successful run.
struct LatestRuns {
    job: entities::enums::ScheduledJob,
    last: Option<entities::scheduled_run::Model>,
    success: Option<entities::scheduled_run::Model>,
}

/// The latest run and latest success of every scheduled job (two indexed reads per job; the
/// label values come from the closed set of jobs, never from the table).
async fn latest_runs(db: &DatabaseConnection) -> Result<Vec<LatestRuns>, sea_orm::DbErr> {
    use entities::enums::{ScheduledJob, ScheduledRunStatus};
    use entities::scheduled_run;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut all = Vec::with_capacity(ScheduledJob::ALL.len());
    for job in ScheduledJob::ALL {
        let newest = || {
            scheduled_run::Entity::find()
                .filter(scheduled_run::Column::Job.eq(*job))
                .order_by_desc(scheduled_run::Column::Slot)
                .order_by_desc(scheduled_run::Column::Id)
        };
        let last = newest().one(db).await?;
        let success = newest()
            .filter(scheduled_run::Column::Status.eq(ScheduledRunStatus::Succeeded))
            .one(db)
            .await?;
        all.push(LatestRuns {
            job: *job,
            last,
            success,
        });
    }
    Ok(all)
}
