//! GraphQL over HTTP (issue 8): `POST /graphql` with an `application/json` body only (one
//! request, or a batch of at most `graphql_max_batch`), answered in
//! `application/graphql-response+json` when the client accepts it, as the GraphQL-over-HTTP
//! specification describes, else `application/json`. `GET /graphql` serves GraphiQL (embedded
//! profile) and never executes anything: a query string holding a document — above all a
//! mutation — is refused with 405, so a link or an image tag can never change data.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::GraphiQLSource;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::limits::{OperationFacts, OperationInfo};
use super::middleware::{CSP_GRAPHIQL, ClientAddr, RequestId};
use super::state::{AppState, AuthFailure, authenticate_checked, request_error, unauthenticated};
use crate::authz::RequestContext;
use crate::error::code;
use crate::graphql::plan::Cached;
use crate::metrics::Outcome;

/// Code of a request the HTTP layer refuses as malformed (not JSON, empty batch, batch too big).
pub const BAD_REQUEST: &str = "BAD_REQUEST";
/// Code of a body over `http_max_body_bytes`.
pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// Code of a body that is not `application/json`.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
/// Code of a method `/graphql` does not serve that way (a GET with a document).
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
/// Code while the database is unreachable (HTTP 503, `Retry-After`).
pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

/// The GraphQL-over-HTTP media type.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Seconds a client is told to wait while the database is away.
const RETRY_AFTER_DB: u64 = 5;

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// True when the client's `Accept` names `application/graphql-response+json` (not with q=0).
fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            media.eq_ignore_ascii_case(GRAPHQL_RESPONSE_JSON)
                && !parts.any(|p| {
                    p.strip_prefix("q=")
                        .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0))
                })
        })
}

/// `response` with a `Retry-After` of `seconds`.
pub(crate) fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// HTTP 429 with the `RATE_LIMITED` error and when to try again.
pub(crate) fn rate_limited(seconds: u64) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": format!("too many requests: try again in {seconds} s"),
            "extensions": { "code": code::RATE_LIMITED, "retryAfterSeconds": seconds }
        }]
    });
    let response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    with_retry_after(response, seconds)
}

fn database_unavailable() -> Response {
    with_retry_after(
        request_error(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVICE_UNAVAILABLE,
            "the database is unreachable; nothing was done, try again shortly",
        ),
        RETRY_AFTER_DB,
    )
}

/// `POST /graphql`. The body is read only after the media type, the declared length and the
/// token have been checked, and never beyond `http_max_body_bytes`.
pub async fn post(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if !is_json(headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            UNSUPPORTED_MEDIA_TYPE,
            "POST a GraphQL request as Content-Type: application/json",
        );
    }
    let limit = state.settings.http.max_body_bytes;
    let too_large = || {
        request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let graphql_response = wants_graphql_response(headers);
    // Only the Authorization header is read: a token in the query string is ignored.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let principal = match authenticate_checked(&state, authorization.as_deref()).await {
        Ok(p) => p,
        Err(AuthFailure::Database) => {
            state.db_health.check(&state.db).await;
            return database_unavailable();
        }
        Err(AuthFailure::Auth(e)) => {
            // Before sign-in, requests count against the client's address.
            if let Some(addr) = client
                && let Err(wait) = state.rate_limits.check_address(addr)
            {
                state.metrics.rate_limited("address");
                tracing::info!("request refused: rate limited (no valid token)");
                return rate_limited(wait.seconds());
            }
            tracing::info!(reason = e.reason(), "request refused: not authenticated");
            return unauthenticated(&e);
        }
    };
    tracing::Span::current().record("user", principal.subject.as_str());
    // Counted before the body is read, so a user over their limit costs no more than this; a
    // batch's further operations are counted once it is parsed.
    if let Err(wait) = state.rate_limits.check_user(&principal.subject, 1) {
        state.metrics.rate_limited("user");
        tracing::info!("request refused: rate limited");
        return rate_limited(wait.seconds());
    }
    let body =
        match Bytes::from_request(axum::extract::Request::from_parts(parts, body), &state).await {
            Ok(body) => body,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return too_large();
            }
            Err(_) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    BAD_REQUEST,
                    "the request body could not be read",
                );
            }
        };

    let requests = match parse_body(&body, state.settings.graphql.max_batch) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let further = u32::try_from(requests.len().saturating_sub(1)).unwrap_or(u32::MAX);
    if further > 0
        && let Err(wait) = state.rate_limits.check_user(&principal.subject, further)
    {
        state.metrics.rate_limited("user");
        tracing::info!("request refused: rate limited");
        return rate_limited(wait.seconds());
    }
    if state.db_health.is_down() && !state.db_health.check(&state.db).await {
        return database_unavailable();
    }

    let batched = matches!(requests, Body::Batch(_));
    let mut responses = Vec::new();
    let mut all_refused = true;
    let mut internal = false;
    let mut labels = Vec::new();
    // Who read what sensitive data, written once every operation has run, with other requests'
    // records in one commit (issue 7, `crate::access::writer`).
    let access = crate::access::AccessLog::default();
    let planning = state.settings.graphql.planned_reads;
    let caller = RequestContext {
        principal: principal.clone(),
        request_id: request_id.clone(),
        client_address: client,
    };
    for request in requests.into_vec() {
        let started = Instant::now();
        // A case list whose document has a plan is answered from it (`graphql::plan`).
        let cached = planning
            .then(|| {
                state
                    .plans
                    .get(&request.query, request.operation_name.as_deref())
            })
            .flatten();
        let planned = match cached.as_deref() {
            Some(Cached::Plan {
                plan,
                validated_first,
            }) => match plan
                .execute(
                    crate::graphql::plan::Reading {
                        db: &state.db,
                        settings: &state.lifecycle,
                        service_ids: &state.service_ids,
                    },
                    &caller,
                    &request.variables,
                    *validated_first,
                    &access,
                )
                .await
            {
                Ok(body) => Some((plan, body)),
                Err(why) => {
                    tracing::debug!(reason = why.0, "not answered from its plan");
                    None
                }
            },
            _ => None,
        };
        if let Some((plan, body)) = planned {
            let facts = OperationFacts {
                kind: Some("query"),
                name: request
                    .operation_name
                    .clone()
                    .filter(|n| super::limits::is_name(n)),
                root_fields: plan.root_fields.clone(),
                validated: true,
                ..OperationFacts::default()
            };
            state.metrics.graphql_read_path("planned");
            state.metrics.graphql_operation(
                facts.metric_kind(),
                facts.metric_operation(),
                Outcome::Ok,
                started.elapsed(),
            );
            all_refused = false;
            labels.push(describe(&facts));
            access.operation_done(describe(&facts));
            responses.push(Answer::Planned(body));
            continue;
        }
        // Not known yet, or known with a smaller page than this one asks for: once the schema
        // has validated it, learn whether a plan can answer it next time.
        let learn = (planning && !matches!(cached.as_deref(), Some(Cached::Schema))).then(|| {
            (
                request.query.clone(),
                request.operation_name.clone(),
                request.variables.clone(),
            )
        });
        let info = Arc::new(OperationInfo::default());
        let report_author = crate::authz::scope::case_scope(&principal).report_author(&principal);
        let request = request
            .data(crate::graphql::loaders::case_data_loader(
                state.db.clone(),
                report_author,
                true,
            ))
            .data(caller.clone())
            .data(info.clone())
            .data(access.clone())
            .data(state.settings.subject_access_staff_names);
        let response = state.schema.execute(request).await;
        let facts = info.facts();
        let outcome = if !facts.validated {
            Outcome::Refused
        } else if response.errors.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Errors
        };
        if let Some((query, operation, variables)) = learn
            && facts.validated
        {
            state.plans.learn(&query, operation.as_deref(), &variables);
        }
        state.metrics.graphql_read_path("schema");
        all_refused &= outcome == Outcome::Refused;
        internal |= response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| *c == async_graphql::Value::from(code::INTERNAL_SERVER_ERROR))
        });
        state.metrics.graphql_operation(
            facts.metric_kind(),
            facts.metric_operation(),
            outcome,
            started.elapsed(),
        );
        labels.push(describe(&facts));
        access.operation_done(describe(&facts));
        responses.push(Answer::Executed(Box::new(response)));
    }
    // A sensitive read whose reader cannot be recorded is not answered (see `crate::access`).
    if let Err(failed) = access
        .flush(&state.access, &principal, &request_id, client)
        .await
    {
        internal = true;
        for i in &failed.operations {
            if let Some(response) = responses.get_mut(*i) {
                *response = Answer::Executed(Box::new(failed.response()));
            }
        }
    }
    tracing::Span::current().record("operation", labels.join(",").as_str());

    // An internal failure while the database does not answer is the database's absence, not a
    // bug: say so with 503 so clients and load balancers retry.
    if internal && !state.db_health.check(&state.db).await {
        return database_unavailable();
    }

    let (content_type, status) = if graphql_response {
        // GraphQL-over-HTTP: a request that never executed (parse, validation, limits) is 400.
        let status = if all_refused && !batched {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        (GRAPHQL_RESPONSE_JSON, status)
    } else {
        ("application/json", StatusCode::OK)
    };
    let bytes = if batched {
        answers_to_json(responses, true)
    } else {
        answers_to_json(responses, false)
    };
    match bytes {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Err(e) => {
            let err = crate::error::ApiError::internal(format!("serialising response: {e}"));
            request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                code::INTERNAL_SERVER_ERROR,
                &err.message(),
            )
        }
    }
}

/// One operation's answer: executed by the schema, or written from a read plan.
enum Answer {
    Executed(Box<async_graphql::Response>),
    Planned(Vec<u8>),
}

/// The response body: one answer (`null` when there is none), or a batch's array.
fn answers_to_json(answers: Vec<Answer>, batched: bool) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    if batched {
        out.push(b'[');
    }
    for (i, answer) in answers.into_iter().enumerate() {
        if i > 0 {
            if !batched {
                break;
            }
            out.push(b',');
        }
        match answer {
            Answer::Executed(response) => serde_json::to_writer(&mut out, &response)?,
            Answer::Planned(body) => out.extend_from_slice(&body),
        }
    }
    if batched {
        out.push(b']');
    } else if out.is_empty() {
        out.extend_from_slice(b"null");
    }
    Ok(out)
}

/// `type:name` for the log line: the client's operation name when it gave a plain one, else
/// the root fields.
fn describe(facts: &OperationFacts) -> String {
    let kind = facts.kind.unwrap_or("unparsed");
    match &facts.name {
        Some(name) => format!("{kind}:{name}"),
        None => format!("{kind}:{}", facts.root_fields.join("+")),
    }
}

/// One request or a batch.
enum Body {
    One(Box<async_graphql::Request>),
    Batch(Vec<async_graphql::Request>),
}

impl Body {
    fn len(&self) -> usize {
        match self {
            Body::One(_) => 1,
            Body::Batch(b) => b.len(),
        }
    }

    fn into_vec(self) -> Vec<async_graphql::Request> {
        match self {
            Body::One(r) => vec![*r],
            Body::Batch(b) => b,
        }
    }
}

fn parse_body(body: &[u8], max_batch: usize) -> Result<Body, Box<Response>> {
    let bad = |message: String| {
        Box::new(request_error(
            StatusCode::BAD_REQUEST,
            BAD_REQUEST,
            &message,
        ))
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let one = |v: serde_json::Value| {
        serde_json::from_value::<async_graphql::Request>(v)
            .map_err(|e| bad(format!("the body is not a GraphQL request: {e}")))
    };
    match value {
        serde_json::Value::Array(items) => {
            if max_batch == 0 {
                return Err(Box::new(batch_refused(
                    "batched requests are not accepted: send one operation per request",
                    0,
                )));
            }
            if items.is_empty() {
                return Err(bad("the batch is empty".into()));
            }
            if items.len() > max_batch {
                return Err(Box::new(batch_refused(
                    &format!(
                        "the batch holds {} operations; at most {max_batch} are accepted",
                        items.len()
                    ),
                    max_batch,
                )));
            }
            let requests = items.into_iter().map(one).collect::<Result<Vec<_>, _>>()?;
            let body = Body::Batch(requests);
            debug_assert!(body.len() <= max_batch);
            Ok(body)
        }
        other => Ok(Body::One(Box::new(one(other)?))),
    }
}

fn batch_refused(message: &str, max: usize) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": message,
            "extensions": { "code": BAD_REQUEST, "limit": "batch", "max": max }
        }]
    });
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /graphql`: GraphiQL in the embedded profile; never executes a document.
pub async fn get(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let params = query.map(|q| q.0).unwrap_or_default();
    if let Some(document) = params.get("query") {
        let operation = params.get("operationName").map(String::as_str);
        let message = if super::limits::is_mutation(document, operation) {
            "mutations are accepted only in a POST with an application/json body"
        } else {
            "GraphQL over GET is not served: POST the request with an application/json body"
        };
        return method_not_allowed(message);
    }
    if state.settings.graphql.graphiql {
        let mut response = Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .finish(),
        )
        .into_response();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_GRAPHIQL),
        );
        return response;
    }
    method_not_allowed("POST GraphQL requests with an application/json body")
}

fn method_not_allowed(message: &str) -> Response {
    let mut response = request_error(StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED, message);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn only_application_json_bodies() {
        assert!(is_json(&headers(header::CONTENT_TYPE, "application/json")));
        assert!(is_json(&headers(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8"
        )));
        assert!(!is_json(&headers(header::CONTENT_TYPE, "text/plain")));
        assert!(!is_json(&headers(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded"
        )));
        assert!(!is_json(&headers(
            header::CONTENT_TYPE,
            "multipart/form-data"
        )));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn accept_negotiation() {
        assert!(wants_graphql_response(&headers(
            header::ACCEPT,
            "application/graphql-response+json, application/json;q=0.9"
        )));
        assert!(!wants_graphql_response(&headers(
            header::ACCEPT,
            "application/json"
        )));
        assert!(!wants_graphql_response(&headers(
            header::ACCEPT,
            "application/graphql-response+json;q=0"
        )));
    }

    #[test]
    fn batches_are_capped() {
        let one = br#"{"query":"{ me { subject } }"}"#;
        assert!(matches!(parse_body(one, 0), Ok(Body::One(_))));
        let three = br#"[{"query":"{a}"},{"query":"{b}"},{"query":"{c}"}]"#;
        assert!(parse_body(three, 3).is_ok());
        assert!(parse_body(three, 2).is_err());
        assert!(parse_body(three, 0).is_err());
        assert!(parse_body(b"[]", 3).is_err());
        assert!(parse_body(b"not json", 3).is_err());
    }
}
