//! Facts about the running server.

use async_graphql::{Context, Object, SimpleObject};
use sea_orm::DatabaseConnection;

/// The running server: useful to a front-end developer checking what they are talking to.
#[derive(SimpleObject)]
pub struct ServerInfo {
    /// The API's version (the crate version).
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database_backend: String,
}

/// Queries about the server itself.
#[derive(Default)]
pub struct SystemQuery;

#[Object]
impl SystemQuery {
    /// The API's version and which database it runs on.
    async fn server_info(&self, ctx: &Context<'_>) -> async_graphql::Result<ServerInfo> {
        let db = ctx.data::<DatabaseConnection>()?;
        Ok(ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database_backend: crate::db::backend_name(db).to_string(),
        })
    }
}
