//! What every request goes through: a request id, the client's address, a time limit, security
//! headers, CORS, a JSON 500 instead of a dropped connection when something panics, one
//! structured access-log line (request id, user, operation; never a token, a body or personal
//! data) and the HTTP metrics.

use std::any::Any;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use super::state::{AppState, request_error};

/// The id of the request, in logs, the `x-request-id` response header and `RequestContext`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The client's address, when the server knows it: the TCP peer, or the address a trusted
/// reverse proxy forwarded (see [`crate::proxies`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

/// Code of a request that took longer than `http_request_timeout_seconds`.
pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";

/// The `Content-Security-Policy` of everything but the GraphiQL page: nothing may load.
const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The route label for metrics and logs: the known routes, else `other` (a client cannot add
/// label values by inventing paths).
fn route_label(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        p if p.starts_with("/graphql/") => "/graphql/*",
        p if p.starts_with("/reports/") => "/reports/*",
        p if p.starts_with("/feeds/") => "/feeds/*",
        _ => "other",
    }
}

/// The outermost layer: request id, span, timeout, headers, access log and metrics.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    let route = route_label(request.uri().path());
    // The TCP peer, or behind a trusted reverse proxy the address it forwards (issue 20).
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| {
            state
                .settings
                .operations
                .trusted_proxies
                .client(c.0.ip(), request.headers())
        });
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    request.extensions_mut().insert(ClientAddr(client));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        user = tracing::field::Empty,
        operation = tracing::field::Empty,
    );
    let limit = Duration::from_secs(state.settings.http.request_timeout_seconds);
    let outcome = tokio::time::timeout(limit, next.run(request))
        .instrument(span.clone())
        .await;
    let mut response = match outcome {
        Ok(response) => response,
        // The handler's future is dropped here: an open transaction is rolled back with it.
        Err(_) => request_error(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
            &format!(
                "the request was not received and answered within {} s",
                limit.as_secs()
            ),
        ),
    };
    security_headers(response.headers_mut());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    let status = response.status().as_u16();
    state.metrics.http_response(route, status);
    let elapsed_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| {
        if matches!(route, "/healthz" | "/readyz" | "/metrics") && status < 500 {
            tracing::debug!(method = %method, route, status, elapsed_ms, "request");
        } else if status >= 500 {
            tracing::warn!(method = %method, route, status, elapsed_ms, "request");
        } else {
            tracing::info!(method = %method, route, status, elapsed_ms, "request");
        }
    });
    response
}

/// Headers on every answer; a handler may set its own `Content-Security-Policy` (GraphiQL).
fn security_headers(headers: &mut HeaderMap) {
    let defaults: [(HeaderName, &'static str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, CSP_API),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

/// The `Content-Security-Policy` of the GraphiQL page, which loads its scripts from a CDN.
pub const CSP_GRAPHIQL: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' https://unpkg.com; style-src 'self' 'unsafe-inline' https://unpkg.com; font-src 'self' data: https://unpkg.com; img-src 'self' data: https://graphql.org; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'";

/// CORS for the configured origins only; none configured: no CORS headers at all, so browsers
/// keep the API to its own origin.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
            .max_age(Duration::from_secs(600)),
    )
}

/// A panic in a handler: logged with a correlation id, answered with a JSON 500 that carries
/// only that id (never the panic's message).
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    let err = crate::error::ApiError::internal(format!("panic: {detail}"));
    let correlation_id = match &err {
        crate::error::ApiError::Internal { correlation_id } => correlation_id.clone(),
        _ => String::new(),
    };
    let body = serde_json::json!({
        "errors": [{
            "message": err.message(),
            "extensions": {
                "code": crate::error::code::INTERNAL_SERVER_ERROR,
                "correlationId": correlation_id,
            }
        }]
    });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_json_500_with_a_correlation_id_only() {
        let response = panic_response(Box::new("secret detail: SELECT * FROM upc_case"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "INTERNAL_SERVER_ERROR"
        );
        assert!(body["errors"][0]["extensions"]["correlationId"].is_string());
        assert!(!String::from_utf8_lossy(&bytes).contains("SELECT"));
    }

    #[test]
    fn routes_are_a_closed_set() {
        assert_eq!(route_label("/graphql"), "/graphql");
        assert_eq!(route_label("/anything/else"), "other");
        assert_eq!(route_label("/graphql/ws"), "/graphql/*");
    }

    #[test]
    fn handlers_may_keep_their_own_csp() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_GRAPHIQL),
        );
        security_headers(&mut h);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP_GRAPHIQL);
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
