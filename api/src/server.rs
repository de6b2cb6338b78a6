//! The HTTP server: routes, shared state, start-up and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::db::{self, DbSetupError};
use crate::graphql::build_schema;
use crate::http::DbHealth;
pub use crate::http::state::AppState;
use crate::http::state::request_error;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Database connection or migration failed.
    #[error(transparent)]
    Database(#[from] DbSetupError),
    /// Authentication could not be set up (bad JWKS file, unreadable secret, ...).
    #[error("authentication: {0}")]
    Auth(#[from] crate::auth::AuthSetupError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A prepared server: database open and migrated, routes built, not yet listening.
pub struct App {
    state: AppState,
    /// Live alerts: the PostgreSQL listener (issue 5, 5.5); stops when the app is dropped.
    alerts: Option<crate::alerts::listener::Listener>,
}

impl App {
    /// Open the database, apply migrations (unless disabled) and build the schema.
    pub async fn prepare(settings: Settings) -> Result<Self, StartupError> {
        let db = db::connect(&settings).await?;
        if settings.run_migrations {
            db::migrate(&db, &settings).await?;
        }
        let auth = Authenticator::new(settings.auth_settings(), &settings.data_dir).await?;
        let mut app = Self::with_parts(settings, db, auth);
        if let Some(hub) = app.state.schema.data::<crate::alerts::AlertHub>() {
            let url = &app.state.settings.database_url;
            app.alerts = crate::alerts::listener::start(&app.state.db, url, hub.clone()).await;
        }
        Ok(app)
    }

    /// Build the app over an already opened database and authenticator.
    pub fn with_parts(settings: Settings, mut db: DatabaseConnection, auth: Authenticator) -> Self {
        let metrics = Metrics::new();
        metrics.count_statements(&mut db);
        let schema = build_schema(
            db.clone(),
            settings.lifecycle(),
            &settings.graphql,
            crate::reports::jobs::ReportSettings {
                year_start_month: settings.reporting_year_start_month,
            },
        );
        Self {
            state: AppState {
                db,
                rate_limits: Arc::new(RateLimits::new(&settings.rate_limit)),
                settings: Arc::new(settings),
                schema,
                auth,
                metrics,
                db_health: Arc::new(DbHealth::default()),
            },
            alerts: None,
        }
    }

    /// The shared state (for tests and CLI commands).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The routes.
    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// Serve on `listener` until `shutdown` completes, then drain in-flight requests for at most
    /// `shutdown_grace_seconds` (new connections are refused meanwhile) and return.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let grace = std::time::Duration::from_secs(self.state.settings.shutdown_grace_seconds);
        let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = signalled_tx.send(());
        });
        let deadline = async move {
            if signalled_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!(
                    grace_seconds = grace.as_secs(),
                    "shutdown grace period over; abandoning requests still in flight"
                );
                Ok(())
            }
        }
    }

    /// Bind the configured address.
    pub async fn bind(&self) -> Result<TcpListener, StartupError> {
        let addr = self.state.settings.bind;
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })
    }
}

/// The API's routes over the given state, inside the middleware every request goes through
/// (issue 8): from the outside in, request id / time limit / security headers / access log /
/// metrics, CORS, a JSON 500 for a panic, and the body limit.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let mut routes = Router::new()
        .route(
            "/graphql",
            get(crate::http::graphql::get).post(crate::http::graphql::post),
        )
        .route("/graphql/ws", get(crate::http::ws::graphql_ws))
        .route("/reports/{id}/{file}", get(crate::http::reports::download))
        .route("/feeds/decisions", get(crate::http::reports::decisions))
        .route(
            "/feeds/restrictions",
            get(crate::http::reports::restrictions),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if settings.metrics_enabled {
        routes = routes.route("/metrics", get(metrics));
    }
    let mut routes = routes
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(settings.http.max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::http::middleware::panic_response,
        ));
    if let Some(cors) = crate::http::middleware::cors(&settings.http.cors_origins) {
        routes = routes.layer(cors);
    }
    routes
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::middleware::observe,
        ))
        .with_state(state)
}

/// Any other path: 404 in the API's error shape.
async fn not_found() -> Response {
    request_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such route")
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics(State(state): State<AppState>) -> Response {
    let text = state
        .metrics
        .render(&state.db, state.settings.db_max_connections)
        .await;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// `GET /healthz`: the process is alive.
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// `GET /readyz`: the database answers (a bounded ping; also clears or sets the API's view of
/// the database's health).
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db_health.check(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
