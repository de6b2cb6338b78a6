//! The GraphQL schema the intranet front end talks to. Types here are API types mapped from the
//! entities, never the entities themselves, so a column can change without breaking clients.

mod system;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};

pub use system::ServerInfo;

/// Every query the API serves.
#[derive(MergedObject, Default)]
pub struct Query(system::SystemQuery);

/// The API's schema type.
pub type ApiSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Build the schema. Per-request data (the caller, the request id) is added per request.
pub fn build_schema(db: sea_orm::DatabaseConnection) -> ApiSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .data(db)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .finish()
        .sdl()
}
