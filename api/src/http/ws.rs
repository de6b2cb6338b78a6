//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket, in the `graphql-transport-ws`
//! protocol (the `graphql-ws` library's; the WebSocket must offer that subprotocol).
//!
//! The client's `connection_init` payload carries the bearer token, as
//! `{"Authorization": "Bearer <jwt>"}` (or `authorization`, or `{"token": "<jwt>"}`). It is
//! verified exactly as on `POST /graphql`, and the connection gets the same per-request data
//! as a query (the caller, a request id, the case loader), so the policy guard authorises
//! subscription fields exactly like query fields. A missing or bad token closes the socket with
//! `4403 Forbidden`; no `connection_init` within ten seconds closes it with `4408`; when the
//! token expires the socket is closed with `4403` (reconnect with a fresh token). Only
//! subscription operations are served here: queries and mutations go to `POST /graphql`.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::futures_util::{SinkExt, future};
use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, Executor, Pos, Request, Response};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use base64::Engine;

use tokio::time::Instant;

use super::state::{AppState, authenticate, request_error};
use crate::alerts::{AlertHub, ConnectionAlerts};
use crate::authz::RequestContext;
use crate::error::ApiError;
use crate::graphql::ApiSchema;

/// The one subprotocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Close code for a refused or expired token (the protocol's "Forbidden").
const FORBIDDEN: u16 = 4403;
/// Close code for a missing `connection_init` (the protocol's "Connection initialisation
/// timeout").
const INIT_TIMED_OUT: u16 = 4408;

/// What the connection's tasks share about its sign-in.
#[derive(Default)]
struct Session {
    /// `connection_init` carried no valid token.
    refused: AtomicBool,
    /// The token was accepted.
    acknowledged: AtomicBool,
    /// When the accepted token expires.
    expires_at: Mutex<Option<Instant>>,
    /// The client's address (behind a trusted proxy, the one it forwarded).
    client: Option<std::net::IpAddr>,
}

/// `GET /graphql/ws` with a WebSocket upgrade offering `graphql-transport-ws`.
pub async fn graphql_ws(
    State(state): State<AppState>,
    axum::Extension(super::middleware::ClientAddr(client)): axum::Extension<
        super::middleware::ClientAddr,
    >,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let offered = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|list| list.split(',').any(|p| p.trim() == PROTOCOL));
    if !offered {
        return request_error(
            StatusCode::BAD_REQUEST,
            crate::error::code::BAD_USER_INPUT,
            "the WebSocket must offer the graphql-transport-ws subprotocol",
        );
    }
    upgrade
        .protocols([PROTOCOL])
        .on_upgrade(move |socket| serve(socket, state, client))
        .into_response()
}

/// Run one connection until either side closes it.
async fn serve(socket: WebSocket, state: AppState, client: Option<std::net::IpAddr>) {
    let (mut sink, source) = socket.split();
    let input = source
        .take_while(|m| future::ready(m.is_ok()))
        .filter_map(|m| {
            future::ready(match m {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            })
        });
    let session = Arc::new(Session {
        client,
        ..Session::default()
    });
    let init = {
        let state = state.clone();
        let session = session.clone();
        move |payload: serde_json::Value| connection_init(state, session, payload)
    };
    let Ok(protocol) = WebSocketProtocols::from_str(PROTOCOL) else {
        return;
    };
    let connection = async_graphql::http::WebSocket::new(
        SubscriptionsOnly {
            schema: state.schema.clone(),
            limits: state.rate_limits.clone(),
        },
        input,
        protocol,
    )
    .on_connection_init(init);
    let mut connection = std::pin::pin!(connection);
    let init_deadline = Instant::now() + INIT_TIMEOUT;
    loop {
        let deadline = if session.acknowledged.load(Ordering::SeqCst) {
            session.expires_at.lock().ok().and_then(|e| *e)
        } else {
            Some(init_deadline)
        };
        let timeout = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => future::pending().await,
            }
        };
        let next = tokio::select! {
            next = connection.next() => next,
            () = timeout => {
                let (code, reason) = if session.acknowledged.load(Ordering::SeqCst) {
                    (FORBIDDEN, "the token has expired: reconnect with a new one")
                } else {
                    (INIT_TIMED_OUT, "Connection initialisation timeout")
                };
                let _ = sink.send(close(code, reason)).await;
                break;
            }
        };
        let Some(message) = next else { break };
        let message = match message {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(code, reason) => {
                // async-graphql closes a refused `connection_init` with 1002; the protocol's
                // code for it is 4403 Forbidden.
                let code = if code == 1002 && session.refused.load(Ordering::SeqCst) {
                    FORBIDDEN
                } else {
                    code
                };
                close(code, &reason)
            }
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
}

/// A close frame; the reason is cut to the 123 bytes a close frame can carry.
fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason[..end].into(),
    }))
}

/// Verify the token in the `connection_init` payload and build the connection's data.
async fn connection_init(
    state: AppState,
    session: Arc<Session>,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let header = bearer_in(&payload);
    let principal = match authenticate(&state, header.as_deref()).await {
        Ok(p) => p,
        Err(e) => {
            session.refused.store(true, Ordering::SeqCst);
            tracing::info!(request_id = %request_id, reason = e.reason(), "WebSocket refused: not authenticated");
            return Err(async_graphql::Error::new(format!(
                "authentication required: {}",
                e.reason()
            )));
        }
    };
    if let Some(expires) = header.as_deref().and_then(expiry)
        && let Ok(mut slot) = session.expires_at.lock()
    {
        *slot = Some(expires);
    }
    tracing::info!(request_id = %request_id, user = %principal.subject, "WebSocket signed in");
    let report_author = crate::authz::scope::case_scope(&principal).report_author(&principal);
    let mut data = Data::default();
    data.insert(crate::graphql::loaders::case_data_loader(
        state.db.clone(),
        report_author,
        false,
    ));
    data.insert(RequestContext {
        principal,
        request_id,
        client_address: session.client,
    });
    if let Some(hub) = state.schema.data::<AlertHub>() {
        data.insert(ConnectionAlerts(Mutex::new(Some(hub.subscribe()))));
    }
    session.acknowledged.store(true, Ordering::SeqCst);
    Ok(data)
}

/// The `Authorization` value the payload carries: `Authorization` or `authorization` as a
/// header value (`Bearer <jwt>`), or `token` as the bare token.
fn bearer_in(payload: &serde_json::Value) -> Option<String> {
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str());
    text("Authorization")
        .or_else(|| text("authorization"))
        .map(str::to_string)
        .or_else(|| text("token").map(|t| format!("Bearer {t}")))
}

/// When the (already verified) token in `header` expires, from its `exp` claim.
fn expiry(header: &str) -> Option<Instant> {
    let token = header.split_whitespace().nth(1)?;
    let claims = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims.trim_end_matches('='))
        .ok()?;
    let exp = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("exp")?
        .as_i64()?;
    let left = exp.saturating_sub(chrono::Utc::now().timestamp());
    Some(Instant::now() + Duration::from_secs(u64::try_from(left).unwrap_or(0)))
}

/// The schema, serving subscription operations only; each `subscribe` counts against its
/// user's rate limit like a request to `POST /graphql` (issue 8).
#[derive(Clone)]
struct SubscriptionsOnly {
    schema: ApiSchema,
    limits: Arc<crate::ratelimit::RateLimits>,
}

impl SubscriptionsOnly {
    fn refused() -> Response {
        let err: async_graphql::Error = ApiError::BadUserInput {
            message: "only subscriptions are served over the WebSocket: send queries and mutations to POST /graphql".into(),
            field: None,
        }
        .into();
        Response::from_errors(vec![err.into_server_error(Pos::default())])
    }
}

/// Whether `request` runs a subscription. A document that does not parse is let through, for
/// the schema to report the syntax error.
fn is_subscription(request: &Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return true;
    };
    let ty = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    ty.is_none_or(|ty| ty == OperationType::Subscription)
}

impl Executor for SubscriptionsOnly {
    async fn execute(&self, _request: Request) -> Response {
        Self::refused()
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if is_subscription(&request) {
            let subject = session_data
                .as_ref()
                .and_then(|data| data.get(&std::any::TypeId::of::<RequestContext>()))
                .and_then(|context| context.downcast_ref::<RequestContext>())
                .map(|context| context.principal.subject.clone());
            if let Some(subject) = subject
                && let Err(wait) = self.limits.check_user(&subject, 1)
            {
                tracing::info!(user = %subject, "subscription refused: rate limited");
                let err: async_graphql::Error = ApiError::RateLimited {
                    message: format!("too many requests: try again in {} s", wait.seconds()),
                    retry_after_seconds: wait.seconds(),
                }
                .into();
                return stream::once(future::ready(Response::from_errors(vec![
                    err.into_server_error(Pos::default()),
                ])))
                .boxed();
            }
            Executor::execute_stream(&self.schema, request, session_data)
        } else {
            stream::once(future::ready(Self::refused())).boxed()
        }
    }
}
