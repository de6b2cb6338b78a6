//! The annual report to the Standards Committee (policy section 8): the shape the worker writes
//! and the API serves.

pub mod feeds;
pub mod jobs;
pub mod model;
pub mod spreadsheet;
