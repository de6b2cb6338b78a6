//! `TestApp`: the real API server on a random port over a fresh database, and one helper per
//! kind of request, so tests read like what the intranet does.

use std::net::SocketAddr;
use std::path::PathBuf;

use api::auth::{Authenticator, MintRequest, Role};
use api::config::Settings;
use api::server::App;
use sea_orm::{Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::{OnceCell, oneshot};

use crate::postgres;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite database.
    Sqlite,
    /// A throwaway PostgreSQL database.
    Postgres,
}

/// A running API server for one test.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://addr`.
    pub base_url: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// Which database it uses.
    pub backend: Backend,
    /// A direct connection to the same database, for assertions behind the API's back.
    pub db: DatabaseConnection,
    /// The database URL.
    pub database_url: String,
    /// The data directory (temporary).
    pub data_dir: PathBuf,
    /// Where the metrics listener listens (`metrics_bind`), if it does.
    pub metrics_addr: Option<SocketAddr>,
    /// Mints tokens with the server's embedded secret (None when the server uses a JWKS).
    pub minter: Option<Authenticator>,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();

async fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir = tempfile::Builder::new()
                .prefix("upc-sqlite-template-")
                .tempdir()
                .expect("temporary directory")
                .keep();
            let settings = Settings::embedded(&dir);
            let db = api::db::connect(&settings).await.expect("open template");
            api::db::migrate(&db, &settings)
                .await
                .expect("migrate template");
            db.close().await.expect("close template");
            dir.join("upc.sqlite")
        })
        .await
        .clone()
}

impl TestApp {
    /// Start a server over a fresh database of `backend`. `None` only for PostgreSQL when it is
    /// unavailable and not required (a loud message is printed); with `UPC_REQUIRE_POSTGRES=1`
    /// that case panics instead.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// As `spawn`, adjusting the settings first.
    ///
    /// Rate limiting is off unless `adjust` turns it on (`settings.rate_limit.per_minute`), so
    /// functional tests that send many requests never meet a 429; the hardening tests set it.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        Self::spawn_inner(backend, None, adjust).await
    }

    /// A server over an existing, migrated PostgreSQL database at `url` (e.g. in a cluster of
    /// the test's own, see [`postgres::OwnCluster`]).
    pub async fn spawn_postgres_at(url: String, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_inner(Backend::Postgres, Some(url), adjust)
            .await
            .expect("a server over the given database")
    }

    async fn spawn_inner(
        backend: Backend,
        url: Option<String>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let dir = tempfile::Builder::new()
            .prefix("upc-test-")
            .tempdir()
            .expect("temporary directory");
        let mut settings = Settings::embedded(dir.path());
        settings.bind = "127.0.0.1:0".parse().expect("address");
        settings.operations.metrics_bind = Some("127.0.0.1:0".parse().expect("address"));
        settings.log = "warn".into();
        settings.rate_limit.per_minute = 0;
        match (backend, url) {
            (Backend::Postgres, Some(url)) => settings.database_url = url,
            (Backend::Sqlite, _) => {
                let template = sqlite_template().await;
                std::fs::copy(&template, dir.path().join("upc.sqlite")).expect("copy template");
            }
            (Backend::Postgres, None) => match postgres::fresh_database().await {
                Ok(url) => settings.database_url = url,
                Err(why) => {
                    if postgres::required() {
                        panic!(
                            "PostgreSQL is required ({}=1) but unavailable: {why}",
                            postgres::REQUIRE_ENV
                        );
                    }
                    eprintln!(
                        "\n!!!!!!!!!! PostgreSQL NOT TESTED: {why}\n!!!!!!!!!! this test ran on SQLite only; set {}=1 to make this fail\n",
                        postgres::REQUIRE_ENV
                    );
                    return None;
                }
            },
        }
        adjust(&mut settings);
        let database_url = settings.database_url.clone();
        let data_dir = settings.data_dir.clone();
        let app = App::prepare(settings).await.expect("server prepares");
        let listeners = app.bind().await.expect("bind");
        let addr = listeners.api_addr().expect("address");
        let metrics_addr = listeners.metrics_addr();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = app
                .serve(listeners, async {
                    let _ = rx.await;
                })
                .await;
        });
        let minter = Authenticator::new(Settings::embedded(&data_dir).auth_settings(), &data_dir)
            .await
            .ok();
        let db = Database::connect(database_url.as_str())
            .await
            .expect("direct connection");
        Some(TestApp {
            addr,
            base_url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            backend,
            db,
            database_url,
            data_dir,
            metrics_addr,
            minter,
            _dir: dir,
            shutdown: Some(tx),
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("request sent")
    }

    /// `GET /metrics` from the metrics listener (which tests always start, on a port of its own).
    pub async fn metrics(&self) -> reqwest::Response {
        let addr = self.metrics_addr.expect("the metrics listener is on");
        self.client
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .expect("request sent")
    }

    /// A token for `subject` holding `roles` in `services`, signed with the server's secret.
    pub fn token_for(&self, subject: &str, roles: &[Role], services: &[&str]) -> String {
        self.minter
            .as_ref()
            .expect("embedded mode")
            .mint(MintRequest {
                subject: subject.to_string(),
                name: Some(format!("Test {subject}")),
                roles: roles.iter().copied().collect(),
                services: services.iter().map(|s| s.to_string()).collect(),
                ttl: std::time::Duration::from_secs(3600),
            })
            .expect("mint")
    }

    /// A token for one role in `services` (subject `user-<role>`).
    pub fn token(&self, role: Role, services: &[&str]) -> String {
        self.token_for(&format!("user-{}", role.as_str()), &[role], services)
    }

    /// POST a GraphQL document as the holder of `token`; the whole JSON response.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.base_url))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON response")
    }

    /// The SQL statements the server has sent so far, read from `upc_db_statements_total` in
    /// `/metrics` (the scrape's own statements included).
    pub async fn statements_sent(&self) -> u64 {
        let text = self.metrics().await.text().await.expect("metrics text");
        text.lines()
            .filter(|line| line.starts_with("upc_db_statements_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// POST a GraphQL document as the holder of `token` and count the SQL statements the server
    /// sent for it (the scrape's own statements, measured first, are taken off). The server must
    /// be otherwise idle.
    pub async fn graphql_counting(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (Value, u64) {
        let first = self.statements_sent().await;
        let second = self.statements_sent().await;
        let per_scrape = second - first;
        let response = self.graphql_as(token, query, variables).await;
        let third = self.statements_sent().await;
        (response, third - second - per_scrape)
    }

    /// POST a GraphQL document as Legal Services (sees every service).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let token = self.token(Role::LegalServices, &[]);
        self.graphql_as(&token, query, variables).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Define black-box tests that each run twice: once on SQLite, once on PostgreSQL.
///
/// ```ignore
/// db_tests! {
///     async fn healthz_answers(app) {
///         assert_eq!(app.get("/healthz").await.status(), 200);
///     }
/// }
/// ```
#[macro_export]
macro_rules! db_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::app::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::app::TestApp::spawn($crate::app::Backend::Sqlite)
                        .await
                        .expect("SQLite always available");
                    run(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::app::TestApp::spawn($crate::app::Backend::Postgres).await {
                        run(app).await;
                    }
                }
            }
        )*
    };
}
