//! Authorisation: who may call which operation, read which field, and see which rows.
//!
//! The table is in [`policy`]; [`guard`] enforces it on every field of every request (deny by
//! default: a field with no entry is refused); [`scope`] narrows rows to the caller's services
//! (policy 5.4), or to what an elected Member reported.

pub mod guard;
pub mod policy;
pub mod scope;

use async_graphql::Context;

use crate::auth::Principal;
use crate::error::ApiError;

/// What the server knows about the request being served.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The signed-in caller (shared with the verified token it came from: `auth::verified`).
    pub principal: std::sync::Arc<Principal>,
    /// The request id, also in the logs and audit rows.
    pub request_id: String,
    /// The client's address (behind a trusted proxy, the one it forwarded), for the audit
    /// trail and access records; `None` for work the system does itself.
    pub client_address: Option<std::net::IpAddr>,
}

/// The caller of the current GraphQL request.
pub fn caller<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext, ApiError> {
    ctx.data_opt::<RequestContext>()
        .ok_or(ApiError::Unauthenticated)
}
