//! Black-box tests of the API: one test binary, so the throwaway PostgreSQL cluster is started
//! once per run and every test gets its own fresh database.

mod access_migration;
mod access_records;
mod adjustments;
mod alerts;
mod audit_chain;
mod audit_queries;
mod authorisation;
mod case_detail;
mod case_page_plan;
mod compose;
mod contact_check_facts;
mod contact_check_plan;
mod customers;
mod demo;
mod desk;
mod docs;
mod domain;
mod endings;
mod foundation;
mod hardening;
mod lifecycle;
mod lifecycle_props;
mod list_rows_pg;
mod operations;
mod performance;
mod queries;
mod read_plan;
mod readme;
mod report_figures;
mod reports_api;
mod retention;
mod safety;
mod schema;
mod staff_directory;
mod subject_access;
