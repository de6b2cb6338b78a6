//! The access record writer: one background task that writes the access records of many
//! requests in one commit (group commit), so that under load the commit, not the request, is what
//! costs a round trip to the database's log.
//!
//! A request hands the task its rows and waits for the answer ([`AccessWriter::write`]); the
//! answer comes only once the rows are committed, so nothing that depends on them (the response
//! that revealed the data) goes out before. The task takes one job, then every job already
//! waiting (up to about [`MAX_BATCH_ROWS`] rows), writes them all in one statement (PostgreSQL)
//! or one transaction (SQLite), and answers each. While it writes, new jobs queue for the next
//! batch. If the combined write fails, each job is written again on its own, so one bad job fails
//! only its own request.

use std::panic::AssertUnwindSafe;

use chrono::{DateTime, Utc};
use entities::access_read::{self, Ids};
use futures_util::FutureExt;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    Statement, TransactionTrait, Value,
};
use tokio::sync::{mpsc, oneshot};

use super::Category;
use crate::metrics::Metrics;

/// A batch stops taking more jobs once it holds this many access records (a job is never split,
/// so one large request can carry a batch past it).
pub const MAX_BATCH_ROWS: usize = 5000;

/// Most rows one SQLite `INSERT` carries (10 values each: well under SQLite's limit on bound
/// values). A batch with more is written in several inserts in one transaction.
const ROWS_PER_INSERT: usize = 1000;

/// Jobs that may wait for the task before a request waits to hand its own over.
const QUEUE: usize = 4096;

/// PostgreSQL: a whole batch in one statement whose text does not depend on the number of rows,
/// so each connection prepares it once. The driver cannot bind an array holding `NULL`s, so each
/// nullable column comes with an array saying which of its values are present.
const INSERT_UNNEST: &str = "INSERT INTO access_read (occurred_at, actor_sub, actor_name, \
    actor_roles, request_id, client_address, operation, category, case_ids, customer_ids) \
    SELECT r.occurred_at, r.actor_sub, CASE WHEN r.has_actor_name THEN r.actor_name END, \
    r.actor_roles, r.request_id, CASE WHEN r.has_client_address THEN r.client_address END, \
    r.operation, r.category, r.case_ids::jsonb, r.customer_ids::jsonb \
    FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::text[], \
    $7::text[], $8::bool[], $9::text[], $10::text[], $11::text[], $12::text[]) \
    AS r(occurred_at, actor_sub, actor_name, has_actor_name, actor_roles, request_id, \
    client_address, has_client_address, operation, category, case_ids, customer_ids)";

/// One row to write: the access records of one operation of a request for one kind of
/// information (at most [`access_read::RECORDS_PER_ROW`] of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// When the request that read it was answered.
    pub occurred_at: DateTime<Utc>,
    /// Identity-provider subject of the reader.
    pub actor_sub: String,
    /// Reader's name at the time.
    pub actor_name: Option<String>,
    /// Reader's roles, comma separated.
    pub actor_roles: String,
    /// Correlation id of the request.
    pub request_id: String,
    /// The client's address.
    pub client_address: Option<String>,
    /// The operation, `type:name`.
    pub operation: String,
    /// What was read.
    pub category: Category,
    /// One `(case, customer)` per record.
    pub records: Vec<Subject>,
}

/// What one access record is about: the case read, if any, and the customer read about, if
/// known.
pub type Subject = (Option<i64>, Option<i64>);

impl Row {
    /// The case ids and the customer ids, as stored.
    fn ids(&self) -> (Ids, Ids) {
        let (cases, customers) = self.records.iter().copied().unzip();
        (Ids(cases), Ids(customers))
    }
}

/// One request's rows and where to send the outcome.
struct Job {
    rows: Vec<Row>,
    done: oneshot::Sender<Result<(), DbErr>>,
}

impl Job {
    /// How many access records the job's rows hold.
    fn records(&self) -> usize {
        self.rows.iter().map(|r| r.records.len()).sum()
    }
}

/// Hands rows to the writer task. Cheap to clone; the task ends once every clone is gone (after
/// writing what was already handed over).
#[derive(Clone)]
pub struct AccessWriter {
    jobs: mpsc::Sender<Job>,
    db: DatabaseConnection,
}

impl std::fmt::Debug for AccessWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessWriter")
            .field("stopped", &self.jobs.is_closed())
            .finish_non_exhaustive()
    }
}

/// The writer's side of the queue: [`Runner::run`] is the task.
pub struct Runner {
    jobs: mpsc::Receiver<Job>,
    db: DatabaseConnection,
    metrics: Metrics,
}

impl AccessWriter {
    /// A writer over `db` and its task, started on the current Tokio runtime (so call this from
    /// within one). Batches are counted in `metrics`.
    ///
    /// On PostgreSQL the task writes on a connection of its own, outside `db`'s pool
    /// ([`own_connection`]).
    pub fn start(db: DatabaseConnection, metrics: Metrics) -> Self {
        let (writer, mut runner) = Self::new(db, metrics);
        runner.db = own_connection(&runner.db, &runner.metrics);
        tokio::spawn(runner.run());
        writer
    }

    /// A writer whose task is not running yet: jobs queue until [`Runner::run`] is polled (and
    /// fail if the runner is dropped instead).
    pub fn new(db: DatabaseConnection, metrics: Metrics) -> (Self, Runner) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (
            Self {
                jobs: tx,
                db: db.clone(),
            },
            Runner {
                jobs: rx,
                db,
                metrics,
            },
        )
    }

    /// The database the records go to (for the look-ups that prepare them).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Write `rows` and wait until they are committed. An error when the write failed or the
    /// task has stopped; never `Ok` unless the rows are in the database.
    pub async fn write(&self, rows: Vec<Row>) -> Result<(), DbErr> {
        if rows.is_empty() {
            return Ok(());
        }
        self.enqueue(rows).await?.await.unwrap_or_else(|_| {
            Err(DbErr::Custom(
                "the access record writer stopped before answering".into(),
            ))
        })
    }

    /// Hand `rows` to the task; the receiver gets the outcome.
    async fn enqueue(&self, rows: Vec<Row>) -> Result<oneshot::Receiver<Result<(), DbErr>>, DbErr> {
        let (done, outcome) = oneshot::channel();
        self.jobs
            .send(Job { rows, done })
            .await
            .map_err(|_| DbErr::Custom("the access record writer has stopped".into()))?;
        Ok(outcome)
    }
}

/// PostgreSQL: a pool of one connection for the writer, with `db`'s connection settings (the
/// same database, user and statement timeout), tested before use only after lying idle as
/// `db`'s are ([`crate::db::PING_IF_IDLE_FOR`]); its statements are counted in `metrics` as
/// `db`'s are. Sharing `db`'s pool, each batch waited in line for a connection behind the
/// requests' reads — which are themselves waiting for the batch to commit their records — and
/// with four connections and a case list reading three statements at once the machine stood
/// partly idle. SQLite keeps `db`: it has one writer at a time anyway.
fn own_connection(db: &DatabaseConnection, metrics: &Metrics) -> DatabaseConnection {
    use sea_orm::sqlx::postgres::PgPoolOptions;
    if db.get_database_backend() != DbBackend::Postgres {
        return db.clone();
    }
    let shared = db.get_postgres_connection_pool();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(shared.options().get_acquire_timeout())
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= crate::db::PING_IF_IDLE_FOR {
                    sea_orm::sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with((*shared.connect_options()).clone());
    let mut own = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    metrics.count_statements(&mut own);
    own
}

impl Runner {
    /// Take jobs until every [`AccessWriter`] is gone and the queue is empty.
    pub async fn run(mut self) {
        let mut batch = Vec::new();
        while let Some(first) = self.jobs.recv().await {
            let mut records = first.records();
            batch.push(first);
            while records < MAX_BATCH_ROWS {
                let Ok(job) = self.jobs.try_recv() else {
                    break;
                };
                records += job.records();
                batch.push(job);
            }
            self.write_batch(std::mem::take(&mut batch)).await;
        }
    }

    /// Write the jobs together; if that fails, each on its own. Answer each.
    async fn write_batch(&self, jobs: Vec<Job>) {
        let rows: Vec<&Row> = jobs.iter().flat_map(|j| &j.rows).collect();
        let combined = guarded(write_rows(&self.db, &rows)).await;
        let written = jobs.iter().map(Job::records).sum();
        drop(rows);
        match combined {
            Ok(()) => {
                self.metrics.access_batch(jobs.len(), written);
                for job in jobs {
                    // The request may have gone (cancelled): its rows are written all the same.
                    let _ = job.done.send(Ok(()));
                }
            }
            Err(e) if jobs.len() == 1 => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.done.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    requests = jobs.len(),
                    rows = written,
                    "writing a batch of access records failed; writing each request's alone"
                );
                for job in jobs {
                    let rows: Vec<&Row> = job.rows.iter().collect();
                    let alone = guarded(write_rows(&self.db, &rows)).await;
                    if alone.is_ok() {
                        self.metrics.access_batch(1, job.records());
                    }
                    let _ = job.done.send(alone);
                }
            }
        }
    }
}

/// A panic while writing (a driver bug) fails the write instead of the task, so the writer
/// outlives it.
async fn guarded(write: impl Future<Output = Result<(), DbErr>>) -> Result<(), DbErr> {
    AssertUnwindSafe(write)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(DbErr::Custom("writing access records panicked".into())))
}

/// Write `rows` atomically: all of them or none.
async fn write_rows(db: &DatabaseConnection, rows: &[&Row]) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    match db.get_database_backend() {
        DbBackend::Postgres => write_unnest(db, rows).await,
        _ if rows.len() <= ROWS_PER_INSERT => insert(db, rows).await,
        _ => {
            let txn = db.begin().await?;
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                insert(&txn, chunk).await?;
            }
            txn.commit().await
        }
    }
}

/// One multi-row `INSERT` (SQLite).
async fn insert<C: ConnectionTrait>(db: &C, rows: &[&Row]) -> Result<(), DbErr> {
    let models = rows.iter().map(|r| {
        let (case_ids, customer_ids) = r.ids();
        access_read::ActiveModel {
            occurred_at: Set(r.occurred_at),
            actor_sub: Set(r.actor_sub.clone()),
            actor_name: Set(r.actor_name.clone()),
            actor_roles: Set(r.actor_roles.clone()),
            request_id: Set(r.request_id.clone()),
            client_address: Set(r.client_address.clone()),
            operation: Set(r.operation.clone()),
            category: Set(r.category),
            case_ids: Set(case_ids),
            customer_ids: Set(customer_ids),
            ..Default::default()
        }
    });
    access_read::Entity::insert_many(models)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The whole batch as one [`INSERT_UNNEST`] (PostgreSQL).
async fn write_unnest(db: &DatabaseConnection, rows: &[&Row]) -> Result<(), DbErr> {
    let n = rows.len();
    let mut occurred_at = Vec::with_capacity(n);
    let mut actor_sub = Vec::with_capacity(n);
    let mut actor_name = Vec::with_capacity(n);
    let mut has_actor_name = Vec::with_capacity(n);
    let mut actor_roles = Vec::with_capacity(n);
    let mut request_id = Vec::with_capacity(n);
    let mut client_address = Vec::with_capacity(n);
    let mut has_client_address = Vec::with_capacity(n);
    let mut operation = Vec::with_capacity(n);
    let mut category = Vec::with_capacity(n);
    let mut case_ids = Vec::with_capacity(n);
    let mut customer_ids = Vec::with_capacity(n);
    for r in rows {
        occurred_at.push(r.occurred_at);
        actor_sub.push(r.actor_sub.clone());
        actor_name.push(r.actor_name.clone().unwrap_or_default());
        has_actor_name.push(r.actor_name.is_some());
        actor_roles.push(r.actor_roles.clone());
        request_id.push(r.request_id.clone());
        client_address.push(r.client_address.clone().unwrap_or_default());
        has_client_address.push(r.client_address.is_some());
        operation.push(r.operation.clone());
        category.push(r.category.as_str().to_string());
        let (cases, customers) = r.ids();
        case_ids.push(json_list(&cases));
        customer_ids.push(json_list(&customers));
    }
    let values: Vec<Value> = vec![
        occurred_at.into(),
        actor_sub.into(),
        actor_name.into(),
        has_actor_name.into(),
        actor_roles.into(),
        request_id.into(),
        client_address.into(),
        has_client_address.into(),
        operation.into(),
        category.into(),
        case_ids.into(),
        customer_ids.into(),
    ];
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        INSERT_UNNEST,
        values,
    ))
    .await
    .map(|_| ())
}

/// A list of ids as JSON text: `[1,null,3]`.
fn json_list(ids: &Ids) -> String {
    let mut out = String::with_capacity(2 + ids.0.len() * 8);
    out.push('[');
    for (i, id) in ids.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match id {
            Some(id) => out.push_str(&id.to_string()),
            None => out.push_str("null"),
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use sea_orm::{PaginatorTrait, QueryOrder};
    use std::collections::BTreeSet;

    async fn database() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let settings = Settings::embedded(dir.path());
        let db = crate::db::connect(&settings).await.expect("open");
        crate::db::migrate(&db, &settings).await.expect("migrate");
        (dir, db)
    }

    /// A request's rows: `n` records of the case list, then one letter read.
    fn rows(request: &str, n: usize) -> Vec<Row> {
        let row = |category, records| Row {
            occurred_at: Utc::now(),
            actor_sub: format!("reader-{request}"),
            actor_name: n.is_multiple_of(2).then(|| "A Reader".to_string()),
            actor_roles: "legal_services".into(),
            request_id: request.into(),
            client_address: None,
            operation: "query:cases".into(),
            category,
            records,
        };
        let list: Vec<_> = (0..n.saturating_sub(1))
            .map(|i| (Some(i as i64 + 1), (i % 3 != 0).then_some(100 + i as i64)))
            .collect();
        let mut out = Vec::new();
        if !list.is_empty() {
            out.push(row(Category::CustomerIdentity, list));
        }
        out.push(row(Category::Letter, vec![(None, Some(7))]));
        out
    }

    async fn written(db: &DatabaseConnection) -> Vec<access_read::Record> {
        access_read::Entity::find()
            .order_by_asc(access_read::Column::Id)
            .all(db)
            .await
            .expect("read access records")
            .iter()
            .flat_map(access_read::Model::records)
            .collect()
    }

    #[tokio::test]
    async fn jobs_waiting_together_are_written_in_one_batch() {
        let (_dir, db) = database().await;
        let metrics = Metrics::new();
        let (writer, runner) = AccessWriter::new(db.clone(), metrics.clone());
        let mut waiting = Vec::new();
        for i in 0..5 {
            let outcome = writer.enqueue(rows(&format!("r{i}"), 7)).await;
            waiting.push(outcome.expect("queued"));
        }
        let task = tokio::spawn(runner.run());
        for outcome in waiting {
            outcome.await.expect("answered").expect("written");
        }
        assert_eq!(
            metrics.access_record_totals(),
            (1, 35),
            "one batch, 35 rows"
        );
        let all = written(&db).await;
        assert_eq!(all.len(), 35);
        let first: Vec<(Option<i64>, Option<i64>, Category)> = rows("r0", 7)
            .iter()
            .flat_map(|r| {
                r.records
                    .iter()
                    .map(|&(case, customer)| (case, customer, r.category))
            })
            .collect();
        assert_eq!(first.len(), 7);
        for (record, (case, customer, category)) in all.iter().zip(&first) {
            assert_eq!(record.request_id, "r0");
            assert_eq!(record.actor_name, None);
            assert_eq!(record.case_id, *case);
            assert_eq!(record.customer_id, *customer);
            assert_eq!(record.category, *category);
        }
        let ids: BTreeSet<i64> = all.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 35, "every record has its own id");
        // Alone, a job is a batch of its own.
        writer.write(rows("r5", 2)).await.expect("written");
        assert_eq!(metrics.access_record_totals(), (2, 37));
        // The task ends once the writers are gone.
        drop(writer);
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("the task ends")
            .expect("without panicking");
    }

    #[tokio::test]
    async fn a_failing_job_fails_alone() {
        let (_dir, db) = database().await;
        db.execute_unprepared(
            "CREATE TRIGGER poison BEFORE INSERT ON access_read \
             WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .await
        .expect("trigger");
        let metrics = Metrics::new();
        let (writer, runner) = AccessWriter::new(db.clone(), metrics.clone());
        let good = writer.enqueue(rows("good", 3)).await.expect("queued");
        let bad = writer.enqueue(rows("poison", 2)).await.expect("queued");
        let also_good = writer.enqueue(rows("also-good", 4)).await.expect("queued");
        tokio::spawn(runner.run());
        good.await.expect("answered").expect("written");
        let failed = bad.await.expect("answered");
        assert!(failed.is_err(), "{failed:?}");
        also_good.await.expect("answered").expect("written");
        let all = written(&db).await;
        assert_eq!(all.len(), 7);
        assert!(all.iter().all(|r| r.request_id != "poison"));
        // The combined write failed; the two good jobs were written alone.
        assert_eq!(metrics.access_record_totals(), (2, 7));
        // The writer carries on.
        writer.write(rows("later", 1)).await.expect("written");
    }

    #[tokio::test]
    async fn a_stopped_writer_fails_every_write() {
        let (_dir, db) = database().await;
        let (writer, runner) = AccessWriter::new(db.clone(), Metrics::new());
        let queued = writer.enqueue(rows("queued", 1)).await.expect("queued");
        drop(runner);
        assert!(queued.await.is_err(), "a queued job is not answered Ok");
        assert!(writer.write(rows("after", 1)).await.is_err());
        // Through the access log: the operations that read something are withheld.
        let log = super::super::AccessLog::default();
        log.add(Some(1), Some(2), Category::Letter);
        log.operation_done("query:case".into());
        let principal = crate::auth::Principal {
            subject: "reader".into(),
            name: None,
            roles: Default::default(),
            services: Default::default(),
            services_from_directory: false,
        };
        let failed = log
            .flush(&writer, &principal, "request", None)
            .await
            .expect_err("a stopped writer cannot succeed");
        assert_eq!(failed.operations.into_iter().collect::<Vec<_>>(), [0]);
        assert_eq!(access_read::Entity::find().count(&db).await.ok(), Some(0));
    }

    #[tokio::test]
    async fn a_request_that_gives_up_leaves_the_writer_working() {
        let (_dir, db) = database().await;
        let (writer, runner) = AccessWriter::new(db.clone(), Metrics::new());
        let abandoned = writer.enqueue(rows("abandoned", 2)).await.expect("queued");
        drop(abandoned);
        let task = tokio::spawn(runner.run());
        writer.write(rows("next", 1)).await.expect("written");
        // Handed over before it gave up: written all the same.
        assert_eq!(written(&db).await.len(), 3);
        drop(writer);
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("the task ends")
            .expect("without panicking");
    }
}
