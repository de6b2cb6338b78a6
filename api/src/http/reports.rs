//! The annual report's files and the live fact feeds over plain HTTP (issue 6), for browsers
//! and for Power BI's scheduled refresh, with the same bearer token as `/graphql`:
//!
//! - `GET /reports/{id}/{file}`: a finished report job's file, with its media type, an `ETag`
//!   (the file's SHA-256; `If-None-Match` answers `304 Not Modified`), `Cache-Control: private`
//!   and `Content-Disposition: attachment`. Each download is written to the audit trail
//!   (`report.download`).
//! - `GET /feeds/decisions` and `GET /feeds/restrictions` with `from`, `to` (`YYYY-MM-DD`) and
//!   `format` (`csv` or `parquet`): see [`crate::reports::feeds`]. Each pull is written to the
//!   audit trail (`feed.download`), and each customer's name it carried is access-recorded.
//!
//! Refusals use the API's JSON error shape (`{"errors": [{"message", "extensions": {"code"}}]}`):
//! 401 `UNAUTHENTICATED`, 403 `FORBIDDEN`, 404 `NOT_FOUND`, 400 `BAD_USER_INPUT` (with
//! `extensions.field` naming the parameter), 429 `RATE_LIMITED`, 500 `INTERNAL_SERVER_ERROR`
//! (with a correlation id), 503 `SERVICE_UNAVAILABLE`.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entities::report_job;
use sea_orm::{EntityTrait, TransactionTrait};

use super::graphql::{rate_limited, with_retry_after};
use super::middleware::{ClientAddr, RequestId};
use super::state::{AppState, AuthFailure, authenticate_checked, request_error, unauthenticated};
use crate::access::{AccessLog, Category};
use crate::audit::{self, Change};
use crate::authz::RequestContext;
use crate::authz::policy::{Verdict, http_allowed, verdict};
use crate::authz::scope::case_scope;
use crate::error::{ApiError, code};
use crate::reports::feeds::{self, Feed, FeedParams, Format};
use crate::reports::jobs::{self, DownloadRefusal, ReportSettings};

/// `Cache-Control` of a report's file: private to the caller, and a file never changes under
/// its `ETag`, so an hour before asking again (and then `If-None-Match`).
pub const ARTIFACT_CACHE_CONTROL: &str = "private, max-age=3600";

/// `Cache-Control` of a feed: live data, never stored.
pub const FEED_CACHE_CONTROL: &str = "private, no-store";

/// Code while the database is unreachable (as on `/graphql`).
const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

/// A refusal in the API's error shape, with the parameter at fault.
fn bad_param(param: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": message,
            "extensions": { "code": code::BAD_USER_INPUT, "field": param }
        }]
    });
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn database_unavailable() -> Response {
    with_retry_after(
        request_error(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVICE_UNAVAILABLE,
            "the database is unreachable; try again shortly",
        ),
        5,
    )
}

/// A 500 for `err` (already logged with its correlation id when internal).
fn failed(err: &ApiError) -> Response {
    let status = match err {
        ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    request_error(status, err.code(), &err.message())
}

fn forbidden(message: &str) -> Response {
    request_error(StatusCode::FORBIDDEN, code::FORBIDDEN, message)
}

fn not_found(message: &str) -> Response {
    request_error(StatusCode::NOT_FOUND, code::NOT_FOUND, message)
}

/// Identify the caller as `/graphql` does (the `Authorization` header only), apply the rate
/// limits, and refuse roles that may not call `endpoint`.
async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    request_id: String,
    client: Option<std::net::IpAddr>,
    endpoint: &str,
) -> Result<RequestContext, Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match authenticate_checked(state, authorization).await {
        Ok(p) => p,
        Err(AuthFailure::Database) => {
            state.db_health.check(&state.db).await;
            return Err(database_unavailable());
        }
        Err(AuthFailure::Auth(e)) => {
            if let Some(addr) = client
                && let Err(wait) = state.rate_limits.check_address(addr)
            {
                state.metrics.rate_limited("address");
                return Err(rate_limited(wait.seconds()));
            }
            tracing::info!(reason = e.reason(), "download refused: not authenticated");
            return Err(unauthenticated(&e));
        }
    };
    tracing::Span::current().record("user", principal.subject.as_str());
    if let Err(wait) = state.rate_limits.check_user(&principal.subject, 1) {
        state.metrics.rate_limited("user");
        return Err(rate_limited(wait.seconds()));
    }
    if state.db_health.is_down() && !state.db_health.check(&state.db).await {
        return Err(database_unavailable());
    }
    if !http_allowed(endpoint, &principal.roles) {
        tracing::warn!(user = %principal.subject, endpoint, "authorisation refused");
        return Err(forbidden(&format!("your roles may not call {endpoint}")));
    }
    Ok(RequestContext {
        principal,
        request_id,
        client_address: client,
    })
}

/// Whether `If-None-Match` names `etag` (weak comparison, `*` matching anything).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// A file name safe in a `Content-Disposition` header: letters, digits, `.`, `-` and `_`.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// `GET /reports/{id}/{file}`.
pub async fn download(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let request = match sign_in(
        &state,
        &headers,
        request_id,
        client,
        "GET /reports/{id}/{file}",
    )
    .await
    {
        Ok(r) => r,
        Err(response) => return response,
    };
    let Some(id) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
        return not_found("no such report job");
    };
    let job = match report_job::Entity::find_by_id(id).one(&state.db).await {
        Ok(Some(job)) => job,
        Ok(None) => return not_found(&format!("no report job {id} that you may see")),
        Err(e) => return failed(&e.into()),
    };
    match jobs::may_download(&request.principal, &job) {
        Ok(()) => {}
        Err(DownloadRefusal::NotFound) => {
            return not_found(&format!("no report job {id} that you may see"));
        }
        Err(DownloadRefusal::Forbidden(why)) => return forbidden(&why),
    }
    let artifact = match jobs::artifact(&state.db, id, &file).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(&format!("report job {id} has no file {file}")),
        Err(e) => return failed(&e),
    };
    let etag = format!("\"{}\"", artifact.sha256);
    if not_modified(&headers, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        insert(response.headers_mut(), header::ETAG, &etag);
        insert(
            response.headers_mut(),
            header::CACHE_CONTROL,
            ARTIFACT_CACHE_CONTROL,
        );
        return response;
    }
    // Recorded before it is sent: a download that cannot be recorded is not served.
    let recorded = async {
        let txn = state.db.begin().await?;
        audit::record(
            &txn,
            &request,
            Change {
                action: "report.download",
                entity_type: "report_artifact",
                entity_id: artifact.id.to_string(),
                case_id: None,
                before: None,
                after: Some(serde_json::json!({
                    "job_id": job.id,
                    "name": artifact.name,
                    "sha256": artifact.sha256,
                    "size_bytes": artifact.size_bytes,
                    "reporting_year": job.reporting_year,
                    "edition": job.edition.as_str(),
                })),
                reason: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<(), ApiError>(())
    };
    if let Err(e) = recorded.await {
        return failed(&e);
    }
    let settings = ReportSettings {
        year_start_month: state.settings.reporting_year_start_month,
    };
    let file_name = safe_file_name(&format!(
        "upc-annual-report-{}-{}-{}",
        settings.label(job.reporting_year),
        job.edition.as_str(),
        artifact.name
    ));
    let mut response = (StatusCode::OK, artifact.content).into_response();
    let out = response.headers_mut();
    let content_type = HeaderValue::from_str(&artifact.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    out.insert(header::CONTENT_TYPE, content_type);
    insert(out, header::ETAG, &etag);
    insert(out, header::CACHE_CONTROL, ARTIFACT_CACHE_CONTROL);
    insert(
        out,
        header::CONTENT_DISPOSITION,
        &format!("attachment; filename=\"{file_name}\""),
    );
    response
}

/// `GET /feeds/decisions`.
pub async fn decisions(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    feed(Feed::Decisions, state, request_id, client, query, headers).await
}

/// `GET /feeds/restrictions`.
pub async fn restrictions(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    feed(
        Feed::Restrictions,
        state,
        request_id,
        client,
        query,
        headers,
    )
    .await
}

async fn feed(
    which: Feed,
    state: AppState,
    request_id: String,
    client: Option<std::net::IpAddr>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let endpoint = match which {
        Feed::Decisions => "GET /feeds/decisions",
        Feed::Restrictions => "GET /feeds/restrictions",
    };
    let request = match sign_in(&state, &headers, request_id, client, endpoint).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let Ok(Query(pairs)) = query else {
        return bad_param("query", "the query string could not be read");
    };
    let params = match FeedParams::parse(&pairs) {
        Ok(p) => p,
        Err(e) => return bad_param(&e.param, &e.message),
    };
    let principal = &request.principal;
    let scope = case_scope(principal);
    let names = verdict("Customer", "displayName", &principal.roles) == Verdict::Allow;
    let table = match which {
        Feed::Decisions => feeds::decisions(&state.db, &scope, &params, names).await,
        Feed::Restrictions => feeds::restrictions(&state.db, &scope, &params, names).await,
    };
    let table = match table {
        Ok(t) => t,
        Err(e) => return failed(&e.into()),
    };
    let body = match params.format {
        Format::Csv => match feeds::to_csv(&table) {
            Ok(bytes) => bytes,
            Err(e) => {
                return failed(&ApiError::internal(format!(
                    "writing the {} feed as CSV: {e}",
                    which.name()
                )));
            }
        },
        Format::Parquet => match feeds::to_parquet(which.name(), &table) {
            Ok(bytes) => bytes,
            Err(e) => {
                return failed(&ApiError::internal(format!(
                    "writing the {} feed as Parquet: {e}",
                    which.name()
                )));
            }
        },
    };
    // Who read which customer's name, then the pull itself: both before anything is sent.
    if !table.names_read.is_empty() {
        let log = AccessLog::default();
        for (case_id, customer_id) in &table.names_read {
            log.add(
                Some(*case_id),
                Some(*customer_id),
                Category::CustomerIdentity,
            );
        }
        log.operation_done(format!("http:{endpoint}"));
        if let Err(e) = log
            .flush(
                &state.access,
                principal,
                &request.request_id,
                request.client_address,
            )
            .await
        {
            return failed(&e.error);
        }
    }
    let recorded = async {
        let txn = state.db.begin().await?;
        audit::record(
            &txn,
            &request,
            Change {
                action: "feed.download",
                entity_type: "feed",
                entity_id: which.name().to_string(),
                case_id: None,
                before: None,
                after: Some(serde_json::json!({
                    "from": params.from,
                    "to": params.to,
                    "format": params.format.name(),
                    "rows": table.rows.len(),
                    "customer_names": names,
                })),
                reason: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<(), ApiError>(())
    };
    if let Err(e) = recorded.await {
        return failed(&e);
    }
    let file_name = format!(
        "{}-{}-{}.{}",
        which.name(),
        params.from,
        params.to,
        params.format.name()
    );
    let mut response = (StatusCode::OK, body).into_response();
    let out = response.headers_mut();
    insert(out, header::CONTENT_TYPE, params.format.content_type());
    insert(out, header::CACHE_CONTROL, FEED_CACHE_CONTROL);
    insert(
        out,
        header::CONTENT_DISPOSITION,
        &format!("attachment; filename=\"{file_name}\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(not_modified(&headers, "\"a\""));
        assert!(not_modified(&headers, "\"b\""));
        assert!(!not_modified(&headers, "\"c\""));
        assert!(!not_modified(&HeaderMap::new(), "\"a\""));
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(
            safe_file_name("upc-2024-25-public-summary.csv"),
            "upc-2024-25-public-summary.csv"
        );
        assert_eq!(safe_file_name("a\"b;\r\nc/d"), "a_b___c_d");
    }
}
