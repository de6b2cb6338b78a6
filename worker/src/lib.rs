//! The reporting worker: turns the case record into the Monitoring Officer's annual report to
//! the Standards Committee (policy section 8); and runs the recurring jobs on their schedules
//! (retention, case endings, review reminders: [`scheduler`]).

pub mod cli;
pub mod endings;
pub mod output;
pub mod queue;
pub mod report;
pub mod retention;
pub mod runner;
pub mod scheduler;
pub mod startup;
