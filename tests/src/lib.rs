//! The black-box test harness: the real server, over HTTP, against SQLite and PostgreSQL.

pub mod access;
pub mod app;
pub mod postgres;

pub use access::{access_records, access_records_of};
pub use app::{Backend, TestApp};
