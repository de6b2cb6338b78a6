//! The GraphQL schema the intranet front end talks to. Types here are API types mapped from the
//! entities, never the entities themselves, so a column can change without breaking clients.

mod admin;
pub mod cases;
mod directory;
mod ids;
pub mod loaders;
mod me;
pub mod records;
pub mod steps;
mod system;

use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use system::ServerInfo;

use crate::authz::guard::PolicyGuard;

/// Every query the API serves.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    me::MeQuery,
    directory::DirectoryQuery,
    cases::CaseQuery,
    admin::AdminQuery,
);

/// Every mutation the API serves.
#[derive(MergedObject, Default)]
pub struct Mutation(
    directory::DirectoryMutation,
    steps::StepMutation,
    admin::AdminMutation,
);

/// The API's schema type.
pub type ApiSchema = Schema<Query, Mutation, EmptySubscription>;

/// Build the schema. Per-request data (the caller, the request id) is added per request.
pub fn build_schema(
    db: sea_orm::DatabaseConnection,
    settings: crate::lifecycle::LifecycleSettings,
) -> ApiSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .extension(PolicyGuard)
        .data(db)
        .data(settings)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
