//! Black-box tests of the API: one test binary, so the throwaway PostgreSQL cluster is started
//! once per run and every test gets its own fresh database.

mod alerts;
mod authorisation;
mod compose;
mod demo;
mod desk;
mod docs;
mod foundation;
mod hardening;
mod lifecycle;
mod lifecycle_props;
mod queries;
mod readme;
mod safety;
mod schema;
