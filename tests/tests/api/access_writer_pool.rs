//! Issue 18: on PostgreSQL the access record writer commits on a connection of its own, so a
//! batch never waits in line for one of the pool's connections behind the very requests that
//! wait for it. Seen from outside: with every connection of the API's pool taken, access records
//! are still written and committed, and their statements are still counted.

use std::time::Duration;

use api::access::AccessWriter;
use api::access::Category;
use api::access::writer::Row;
use api::config::Settings;
use api::metrics::Metrics;
use chrono::Utc;
use entities::access_read;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use tests::app::{Backend, TestApp};

fn statements_counted(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("upc_db_statements_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_access_records_commit_while_the_pool_is_taken() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let mut settings = Settings::embedded(&app.data_dir);
    settings.database_url = app.database_url.clone();
    settings.db_max_connections = 1;
    settings.db_acquire_timeout_seconds = 2;
    let db = api::db::connect(&settings).await.expect("the pool");
    let metrics = Metrics::new();
    let writer = AccessWriter::start(db.clone(), metrics.clone());

    // The pool's only connection, held for the whole write.
    let held = db.begin().await.expect("the pool's connection");
    let rows = vec![Row {
        occurred_at: Utc::now(),
        actor_sub: "pool-test".into(),
        actor_name: None,
        actor_roles: "legal_services".into(),
        request_id: "pool-test-1".into(),
        client_address: None,
        operation: "query:cases".into(),
        category: Category::CustomerIdentity,
        records: vec![(Some(1), Some(2)), (Some(3), None)],
    }];
    tokio::time::timeout(Duration::from_secs(20), writer.write(rows))
        .await
        .expect("answered within 20 s")
        .expect("committed although the pool's connection is taken");
    held.rollback().await.expect("released");

    // Committed: another connection sees the row.
    let written = access_read::Entity::find()
        .filter(access_read::Column::RequestId.eq("pool-test-1"))
        .all(&app.db)
        .await
        .expect("read back");
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].records().count(), 2);
    let rendered = metrics.render(&db, 1).await;
    assert!(
        statements_counted(&rendered) >= 1.0,
        "the writer's statement is counted: {rendered}"
    );
}
