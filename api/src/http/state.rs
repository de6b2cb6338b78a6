//! What every request handler shares: the application's state, identifying the caller from
//! their bearer token, and the API's error shape for requests that cannot be executed at all.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;

use super::DbHealth;
use crate::auth::{AuthError, Authenticator, Principal, bearer_from_header};
use crate::config::Settings;
use crate::graphql::ApiSchema;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;

/// What every request handler shares: one handle on [`Shared`], so that the clone each
/// request and middleware takes is one reference count, not one per part (measured: the
/// contact check spent about 1% of the API's time cloning and dropping the parts, each an
/// atomic count shared between the cores).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state made of `shared`.
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// The lifecycle settings drawn from them (as the schema has them), for planned reads.
    pub lifecycle: Arc<crate::domain::lifecycle::LifecycleSettings>,
    /// The services' ids by code found so far (as the schema has them), for planned checks.
    pub service_ids: Arc<crate::store::service_ids::ServiceIds>,
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
    /// What the staff directory was last brought up to from sign-in, per subject.
    pub sign_ins: Arc<super::sign_in::SignInCache>,
    /// The documents seen on `/graphql` and their read plans (`graphql::plan`).
    pub plans: Arc<crate::graphql::plan::PlanCache>,
    /// Writes access records, many requests' in one commit (see `crate::access`).
    pub access: crate::access::AccessWriter,
}

/// Verify the bearer token; when the token names no services, take them from the staff
/// directory.
pub async fn authenticate(
    state: &AppState,
    header: Option<&str>,
) -> Result<Arc<Principal>, AuthError> {
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
) -> Result<Arc<Principal>, AuthFailure> {
    let token = bearer_from_header(header).map_err(AuthFailure::Auth)?;
    let (mut principal, sign_in) = state
        .auth
        .authenticate_signing_in(token)
        .await
        .map_err(AuthFailure::Auth)?;
    if let Some(claims) = &sign_in {
        state.sign_ins.record(&state.db, claims).await;
    }
    if principal.services_from_directory {
        match directory_services(&state.db, &principal.subject).await {
            // The verified token's principal is shared: this request's gets its own copy.
            Ok(services) => Arc::make_mut(&mut principal).services = services,
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
    use entities::{service, staff_member, staff_member_service, staff_role};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some(member) = staff_member::Entity::find()
        .filter(staff_member::Column::Subject.eq(subject))
        .one(db)
        .await?
    else {
        return Ok(Default::default());
    };
    let mut ids: Vec<i64> = staff_member_service::Entity::find()
        .filter(staff_member_service::Column::StaffMemberId.eq(member.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.service_id)
        .collect();
    // A role held in a service (staff_role) makes them staff of it too.
    ids.extend(
        staff_role::Entity::find()
            .filter(staff_role::Column::StaffMemberId.eq(member.id))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.service_id),
    );
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
