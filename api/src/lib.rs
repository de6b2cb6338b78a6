//! The UPC case system's API: a GraphQL server over the case record of unreasonably persistent
//! customers, as the council's policy describes them.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod letters;
pub mod metrics;
pub mod proxies;
pub mod ratelimit;
pub mod reports;
pub mod seed;
pub mod server;
pub mod store;
pub mod subject_access;
pub mod telemetry;
