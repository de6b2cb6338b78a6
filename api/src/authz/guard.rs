//! Enforces the policy on every field of every request. A refusal resolves the field to null
//! with a `FORBIDDEN` error at its path (siblings are still returned), writes nothing, and is
//! logged with the user and the operation.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{PathSegment, QueryPathSegment, ServerError, ServerResult, Value};

use super::RequestContext;
use super::policy::{Verdict, verdict};
use crate::error::ApiError;

/// The extension factory to register on the schema.
pub struct PolicyGuard;

impl ExtensionFactory for PolicyGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PolicyGuardExtension)
    }
}

struct PolicyGuardExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for PolicyGuardExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // A list's items are resolved with the list type as parent (`[Case!]`); the list field
        // itself was already checked.
        if info.is_for_introspection
            || info.name.starts_with("__")
            || info.parent_type.starts_with('[')
        {
            return next.run(ctx, info).await;
        }
        let Some(request) = ctx.data_opt::<RequestContext>() else {
            let err: async_graphql::Error = ApiError::Unauthenticated.into();
            return Err(err.into_server_error(info.field.name.pos));
        };
        match verdict(
            policy_type(info.parent_type),
            info.name,
            &request.principal.roles,
        ) {
            Verdict::Allow => next.run(ctx, info).await,
            outcome => {
                tracing::warn!(
                    user = %request.principal.subject,
                    request_id = %request.request_id,
                    field = %format!("{}.{}", info.parent_type, info.name),
                    unlisted = outcome == Verdict::Unlisted,
                    "authorisation refused"
                );
                let message = match outcome {
                    Verdict::Unlisted => format!(
                        "{}.{} has no authorisation policy entry, so it is refused",
                        info.parent_type, info.name
                    ),
                    _ => format!("your roles may not read {}.{}", info.parent_type, info.name),
                };
                let err: async_graphql::Error = ApiError::Forbidden(message).into();
                Err(forbidden_at(err, &info))
            }
        }
    }
}

/// Parts of the root `Subscription` type with their own object: their fields resolve with the
/// part's name as parent, and the policy lists them under `Subscription` (see
/// `graphql::reports::SubscriptionRoot`).
pub const SUBSCRIPTION_PARTS: &[&str] = &["ReportSubscription"];

/// The type name the policy lists a field under.
fn policy_type(parent_type: &str) -> &str {
    if SUBSCRIPTION_PARTS.contains(&parent_type) {
        "Subscription"
    } else {
        parent_type
    }
}

/// The error at the refused field's position and path, as the GraphQL spec places field errors.
fn forbidden_at(err: async_graphql::Error, info: &ResolveInfo<'_>) -> ServerError {
    let mut server_error = err.into_server_error(info.field.name.pos);
    let mut path = Vec::new();
    let mut node = Some(info.path_node);
    while let Some(n) = node {
        path.push(match n.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_string()),
            QueryPathSegment::Index(i) => PathSegment::Index(i),
        });
        node = n.parent;
    }
    path.reverse();
    server_error.path = path;
    server_error
}
