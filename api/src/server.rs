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
use crate::http::state::request_error;
pub use crate::http::state::{AppState, Shared};
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

    /// Build the app over an already opened database and authenticator. Call it within a Tokio
    /// runtime: it starts the access record writer's task there (which ends once the app and
    /// every copy of its state are gone).
    pub fn with_parts(settings: Settings, mut db: DatabaseConnection, auth: Authenticator) -> Self {
        let metrics = Metrics::new();
        metrics.count_statements(&mut db);
        let service_ids = Arc::new(crate::store::service_ids::ServiceIds::new());
        let schema = build_schema(
            db.clone(),
            settings.lifecycle(),
            &settings.graphql,
            crate::reports::jobs::ReportSettings {
                year_start_month: settings.reporting_year_start_month,
            },
            service_ids.clone(),
        );
        let access = crate::access::AccessWriter::start(db.clone(), metrics.clone());
        Self {
            state: AppState::new(Shared {
                access,
                db,
                rate_limits: Arc::new(RateLimits::new(&settings.rate_limit)),
                lifecycle: Arc::new(settings.lifecycle()),
                service_ids,
                settings: Arc::new(settings),
                schema,
                auth,
                metrics,
                db_health: Arc::new(DbHealth::default()),
                sign_ins: Arc::default(),
                plans: Arc::default(),
            }),
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

    /// Serve on `listeners` until `shutdown` completes, then drain in-flight requests for at most
    /// `shutdown_grace_seconds` (new connections are refused meanwhile) and return. The metrics
    /// listener, when there is one, stops with the API.
    pub async fn serve(
        self,
        listeners: Listeners,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Listeners {
            api: listener,
            metrics: metrics_listener,
        } = listeners;
        let (metrics_stop, metrics_stopped) = tokio::sync::watch::channel(false);
        if let Some(metrics_listener) = metrics_listener {
            let routes = metrics_router(self.state.clone());
            let mut stopped = metrics_stopped.clone();
            tokio::spawn(async move {
                let served = axum::serve(metrics_listener, routes)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            });
        }
        // Whichever way serving ends, the metrics listener goes with it.
        let _stop_metrics = StopOnDrop(metrics_stop);
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

    /// Bind the configured addresses: the API's, and the metrics listener's unless it is `off`
    /// or metrics are disabled.
    pub async fn bind(&self) -> Result<Listeners, StartupError> {
        let settings = &self.state.settings;
        let listen = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartupError::Bind { addr, source })
        };
        let api = listen(settings.bind).await?;
        let metrics = match settings.operations.metrics_bind {
            Some(addr) if settings.metrics_enabled => Some(listen(addr).await?),
            _ => None,
        };
        Ok(Listeners { api, metrics })
    }
}

/// The sockets a server listens on.
#[derive(Debug)]
pub struct Listeners {
    /// The API (`/graphql`, feeds, reports, health).
    pub api: TcpListener,
    /// `/metrics` alone (`metrics_bind`), if configured.
    pub metrics: Option<TcpListener>,
}

impl Listeners {
    /// Where the API listens.
    pub fn api_addr(&self) -> std::io::Result<SocketAddr> {
        self.api.local_addr()
    }

    /// Where the metrics listener listens, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// Tells the metrics listener to stop when dropped.
struct StopOnDrop(tokio::sync::watch::Sender<bool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// The metrics listener's routes: `/metrics` and nothing else, no token (it is meant for a
/// private address that only the scraper reaches).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
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
    // On the public port `/metrics` needs the metrics token; without one configured it is not
    // served there at all (the metrics listener serves it on its own address).
    if settings.metrics_enabled && settings.operations.metrics_token.is_some() {
        routes = routes.route("/metrics", get(metrics_with_token));
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

/// `GET /metrics` on the public port: only with `Authorization: Bearer <metrics_token>`.
async fn metrics_with_token(State(state): State<AppState>, headers: header::HeaderMap) -> Response {
    let Some(expected) = state.settings.operations.metrics_token.as_deref() else {
        return not_found().await;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_secret(given.as_bytes(), expected.as_bytes()) {
        let mut response = request_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "/metrics needs the metrics token: Authorization: Bearer <metrics_token>",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    metrics(State(state)).await
}

/// Compare two secrets in time that depends only on their lengths (SHA-256 both, then compare
/// every byte of the digests), so the answer time gives nothing away about the token.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
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
