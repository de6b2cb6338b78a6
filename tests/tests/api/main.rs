//! Black-box tests of the API: one test binary, so the throwaway PostgreSQL cluster is started
//! once per run and every test gets its own fresh database.

mod compose;
mod foundation;
mod readme;
mod schema;
