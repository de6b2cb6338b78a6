//! Black-box tests of the API: one test binary, so the throwaway PostgreSQL cluster is started
//! once per run and every test gets its own fresh database.

mod authorisation;
mod compose;
mod demo;
mod docs;
mod foundation;
mod lifecycle;
mod lifecycle_props;
mod queries;
mod readme;
mod schema;
