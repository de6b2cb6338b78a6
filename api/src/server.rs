//! The HTTP server: routes, shared state, start-up and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::db::{self, DbSetupError};
use crate::graphql::{ApiSchema, build_schema};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Database connection or migration failed.
    #[error(transparent)]
    Database(#[from] DbSetupError),
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
}

/// A prepared server: database open and migrated, routes built, not yet listening.
pub struct App {
    state: AppState,
}

impl App {
    /// Open the database, apply migrations (unless disabled) and build the schema.
    pub async fn prepare(settings: Settings) -> Result<Self, StartupError> {
        let db = db::connect(&settings).await?;
        if settings.run_migrations {
            db::migrate(&db, &settings).await?;
        }
        Ok(Self::with_database(settings, db))
    }

    /// Build the app over an already opened database.
    pub fn with_database(settings: Settings, db: DatabaseConnection) -> Self {
        let schema = build_schema(db.clone());
        Self {
            state: AppState {
                db,
                settings: Arc::new(settings),
                schema,
            },
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

    /// Serve on `listener` until `shutdown` completes, then drain in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Bind the configured address.
    pub async fn bind(&self) -> Result<TcpListener, StartupError> {
        let addr = self.state.settings.bind;
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })
    }
}

/// The API's routes over the given state.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// `GET /healthz`: the process is alive.
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// `GET /readyz`: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if db::is_ready(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// `GET /graphql`: the GraphiQL explorer.
async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// `POST /graphql`: execute one GraphQL request given as JSON.
async fn graphql(State(state): State<AppState>, _headers: HeaderMap, body: Bytes) -> Response {
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request in JSON: {e}"),
            );
        }
    };
    let response = state.schema.execute(request).await;
    json_response(StatusCode::OK, &response)
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
