//! The black-box test harness: the real server, over HTTP, against SQLite and PostgreSQL.

pub mod app;
pub mod postgres;

pub use app::{Backend, TestApp};
