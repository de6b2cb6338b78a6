//! The GraphQL schema the intranet front end talks to. Types here are API types mapped from the
//! entities, never the entities themselves, so a column can change without breaking clients.

mod adjustments;
mod admin;
pub mod alerts;
pub mod audit;
pub mod cases;
pub mod customers;
pub mod desk;
mod directory;
mod ids;
pub mod loaders;
mod me;
pub mod plan;
pub mod records;
pub mod reports;
pub mod safety;
pub mod steps;
mod system;

use async_graphql::{MergedObject, Schema};

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
    alerts::AlertQuery,
    desk::DeskQuery,
    audit::AuditQuery,
    reports::ReportQuery,
);

/// Every mutation the API serves.
#[derive(MergedObject, Default)]
pub struct Mutation(
    directory::DirectoryMutation,
    directory::StaffMutation,
    steps::StepMutation,
    admin::AdminMutation,
    alerts::AlertMutation,
    safety::SafetyMutation,
    desk::DeskMutation,
    customers::CustomerMutation,
    audit::SubjectAccessMutation,
    reports::ReportMutation,
    adjustments::AdjustmentMutation,
);

/// Every subscription the API serves (over WebSocket at `/graphql/ws`). One type, named
/// `Subscription`: the live alerts' object with the report jobs' fields added (see
/// [`reports::SubscriptionRoot`]); the policy guard reads both parts' fields as `Subscription`'s.
pub type Subscription = reports::SubscriptionRoot;

/// The API's schema type.
pub type ApiSchema = Schema<Query, Mutation, Subscription>;

/// Build the schema. Per-request data (the caller, the request id) is added per request.
pub fn build_schema(
    db: sea_orm::DatabaseConnection,
    settings: crate::domain::lifecycle::LifecycleSettings,
    limits: &crate::config::GraphqlLimits,
    reports: crate::reports::jobs::ReportSettings,
    service_ids: std::sync::Arc<crate::store::service_ids::ServiceIds>,
) -> ApiSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .extension(PolicyGuard)
    .data(crate::alerts::AlertHub::new(
        sea_orm::ConnectionTrait::get_database_backend(&db),
    ))
    .data(db)
    .data(settings)
    .data(reports)
    .data(service_ids);
    crate::http::limits::apply(builder, limits).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}
