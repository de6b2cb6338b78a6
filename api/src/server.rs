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

use crate::auth::{AuthError, Authenticator, Principal, bearer_from_header};
use crate::authz::RequestContext;
use crate::config::Settings;
use crate::db::{self, DbSetupError};
use crate::graphql::{ApiSchema, build_schema};

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
        let auth = Authenticator::new(settings.auth_settings(), &settings.data_dir).await?;
        Ok(Self::with_parts(settings, db, auth))
    }

    /// Build the app over an already opened database and authenticator.
    pub fn with_parts(settings: Settings, db: DatabaseConnection, auth: Authenticator) -> Self {
        let schema = build_schema(
            db.clone(),
            crate::lifecycle::LifecycleSettings {
                review_period_months: settings.review_period_months,
                legal_services_address: settings.legal_services_address.clone(),
            },
        );
        Self {
            state: AppState {
                db,
                settings: Arc::new(settings),
                schema,
                auth,
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
async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    // Only the Authorization header is read: a token in the query string is ignored.
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match authenticate(&state, header).await {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(request_id = %request_id, reason = e.reason(), "request refused: not authenticated");
            return unauthenticated(&e);
        }
    };
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
    let report_author = crate::authz::scope::case_scope(&principal).report_author(&principal);
    let request = request
        .data(async_graphql::dataloader::DataLoader::new(
            crate::graphql::loaders::CaseLoader::new(state.db.clone(), report_author),
            tokio::spawn,
        ))
        .data(RequestContext {
            principal,
            request_id,
        });
    let response = state.schema.execute(request).await;
    json_response(StatusCode::OK, &response)
}

/// Verify the bearer token; when the token names no services, take them from the staff
/// directory.
async fn authenticate(state: &AppState, header: Option<&str>) -> Result<Principal, AuthError> {
    let token = bearer_from_header(header)?;
    let mut principal = state.auth.authenticate(token).await?;
    if principal.services_from_directory {
        match directory_services(&state.db, &principal.subject).await {
            Ok(services) => principal.services = services,
            Err(e) => {
                crate::error::ApiError::internal(format!("staff directory look-up: {e}"));
                return Err(AuthError::KeySetUnavailable);
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
fn unauthenticated(e: &AuthError) -> Response {
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
