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

use crate::auth::{AuthError, Authenticator, Principal, bearer_from_header};
use crate::config::Settings;
use crate::db::{self, DbSetupError};
use crate::graphql::{ApiSchema, build_schema};
use crate::http::DbHealth;
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

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// The GraphQL schema.
    pub schema: ApiSchema,
    /// Verifies bearer tokens.
    pub auth: Authenticator,
    /// Prometheus metrics (`/metrics`).
    pub metrics: Metrics,
    /// Per-user and per-address rate limits.
    pub rate_limits: Arc<RateLimits>,
    /// Whether the database answered last time.
    pub db_health: Arc<DbHealth>,
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
            crate::lifecycle::LifecycleSettings {
                review_period_months: settings.review_period_months,
                legal_services_address: settings.legal_services_address.clone(),
            },
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
        .route("/graphql/ws", get(crate::alerts::socket::graphql_ws))
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

/// Verify the bearer token; when the token names no services, take them from the staff
/// directory.
pub async fn authenticate(state: &AppState, header: Option<&str>) -> Result<Principal, AuthError> {
    authenticate_checked(state, header)
        .await
        .map_err(|e| match e {
            AuthFailure::Auth(e) => e,
            AuthFailure::Database => AuthError::KeySetUnavailable,
        })
}

/// Why a caller could not be identified.
#[derive(Debug)]
pub enum AuthFailure {
    /// The token is missing or not valid.
    Auth(AuthError),
    /// The staff directory could not be read (already logged with a correlation id).
    Database,
}

/// As [`authenticate`], telling a bad token from an unreachable database.
pub async fn authenticate_checked(
    state: &AppState,
    header: Option<&str>,
) -> Result<Principal, AuthFailure> {
    let token = bearer_from_header(header).map_err(AuthFailure::Auth)?;
    let mut principal = state
        .auth
        .authenticate(token)
        .await
        .map_err(AuthFailure::Auth)?;
    if principal.services_from_directory {
        match directory_services(&state.db, &principal.subject).await {
            Ok(services) => principal.services = services,
            Err(e) => {
                crate::error::ApiError::internal(format!("staff directory look-up: {e}"));
                return Err(AuthFailure::Database);
            }
        }
    }
    Ok(principal)
}

async fn directory_services(
    db: &DatabaseConnection,
    subject: &str,
) -> Result<std::collections::BTreeSet<String>, sea_orm::DbErr> {
    use entities::{service, staff_member, staff_member_service};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some(member) = staff_member::Entity::find()
        .filter(staff_member::Column::Subject.eq(subject))
        .one(db)
        .await?
    else {
        return Ok(Default::default());
    };
    let ids: Vec<i64> = staff_member_service::Entity::find()
        .filter(staff_member_service::Column::StaffMemberId.eq(member.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.service_id)
        .collect();
    Ok(service::Entity::find()
        .filter(service::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect())
}

/// HTTP 401 with `WWW-Authenticate: Bearer` and the reason in the body (never the token).
pub fn unauthenticated(e: &AuthError) -> Response {
    let mut response = request_error(
        StatusCode::UNAUTHORIZED,
        crate::error::code::UNAUTHENTICATED,
        &format!("authentication required: {}", e.reason()),
    );
    let challenge = if matches!(e, AuthError::Missing) {
        "Bearer".to_string()
    } else {
        format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            e.reason()
        )
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => {
            let err = crate::error::ApiError::internal(format!("serialising response: {e}"));
            (StatusCode::INTERNAL_SERVER_ERROR, err.message()).into_response()
        }
    }
}

/// A request-level error (the request could not be executed at all) in GraphQL's error shape.
pub fn request_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    json_response(status, &body)
}
