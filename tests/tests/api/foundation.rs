//! The foundation: health, readiness, the server on both databases, migrations both ways.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use tests::db_tests;
use tests::postgres;

db_tests! {
    async fn healthz_and_readyz_answer(app) {
        let r = app.get("/healthz").await;
        assert_eq!(r.status(), 200);
        let r = app.get("/readyz").await;
        assert_eq!(r.status(), 200);
    }

    async fn server_info_names_the_database(app) {
        let body = app.graphql("{ serverInfo { version databaseBackend } }", json!({})).await;
        let expected = match app.backend {
            tests::Backend::Sqlite => "sqlite",
            tests::Backend::Postgres => "postgres",
        };
        assert_eq!(body["data"]["serverInfo"]["databaseBackend"], expected, "{body}");
        assert_eq!(body["data"]["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    }

    async fn graphiql_is_served_on_get(app) {
        let r = app.get("/graphql").await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(text.to_lowercase().contains("graphiql"));
    }

    async fn a_body_that_is_not_json_is_a_clear_error(app) {
        let r = app
            .client
            .post(format!("{}/graphql", app.base_url))
            .header("content-type", "application/json")
            .bearer_auth(app.token(api::auth::Role::Officer, &[]))
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

async fn table_count(db: &DatabaseConnection) -> i64 {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'"
        }
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn up_down_up(db: &DatabaseConnection) {
    let tables = migration::table_names().len() as i64;
    Migrator::up(db, None).await.expect("first up");
    assert_eq!(table_count(db).await, tables);
    Migrator::down(db, None).await.expect("down");
    assert_eq!(table_count(db).await, 0);
    Migrator::up(db, None).await.expect("second up");
    assert_eq!(table_count(db).await, tables);
}

#[tokio::test]
async fn migrations_up_down_up_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/m.sqlite?mode=rwc", dir.path().display());
    let db = Database::connect(url.as_str()).await.unwrap();
    up_down_up(&db).await;
}

#[tokio::test]
async fn migrations_up_down_up_on_postgres() {
    match postgres::empty_database().await {
        Ok(url) => {
            let db = Database::connect(url.as_str()).await.unwrap();
            up_down_up(&db).await;
        }
        Err(why) => {
            assert!(
                !postgres::required(),
                "PostgreSQL required but unavailable: {why}"
            );
            eprintln!("\n!!!!!!!!!! PostgreSQL NOT TESTED: {why}\n");
        }
    }
}
