//! The signed-in user.

use async_graphql::{Context, Object, SimpleObject};

use crate::authz::caller;
use crate::error::ApiResult;

/// The signed-in user as the API sees them: useful to the front end to decide what to show.
#[derive(SimpleObject)]
pub struct Me {
    /// The identity provider's subject id.
    pub subject: String,
    /// Display name, when the token carries one.
    pub name: Option<String>,
    /// Roles held (token names, e.g. `legal_services`).
    pub roles: Vec<String>,
    /// Codes of the services the user belongs to (their cases are visible, policy 5.4).
    pub services: Vec<String>,
}

/// Queries about the caller.
#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// Who the API thinks you are: subject, roles and services.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Me> {
        let p = &caller(ctx)?.principal;
        Ok(Me {
            subject: p.subject.clone(),
            name: p.name.clone(),
            roles: p.roles.iter().map(|r| r.as_str().to_string()).collect(),
            services: p.services.iter().cloned().collect(),
        })
    }
}
