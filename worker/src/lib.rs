//! The reporting worker: turns the case record into the Monitoring Officer's annual report to
//! the Standards Committee (policy section 8).

pub mod cli;
pub mod startup;
