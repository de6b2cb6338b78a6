//! Retention (issue 7, item 4): the council's schedule for anonymising cases and customers.
//!
//! A **closed** case falls due for anonymisation a number of whole years (settings) after the
//! later of its closure and the end of its last restriction or exclusion
//! (`retention_years_after_restriction`), or, when it never had one, after its closure
//! (`retention_years_after_closure`). An open case, or one with a restriction or exclusion still in
//! force (open-ended, permanent and not lifted), is never due. A customer is anonymised once every
//! one of their cases has been.
//!
//! Anonymising removes names, contact details and free text, replacing required text with
//! [`REMOVED`] and clearing optional text, and erases the payload of the case's audit events
//! (the narrow redaction the audit chain allows: hashes stay verifiable). It keeps what the annual
//! report counts — every record's existence, kind, dates, outcomes and links, and the case and
//! customer references — so a report for a past year gives the same figures after a run. Each
//! disposal is one transaction: the changes, a row in the `disposal` register, and an audit event
//! saying what was done and why, never what was erased.

mod apply;
pub mod command;
mod plan;

pub use apply::{RunSummary, apply};
pub use plan::{Disposal, plan};

use api::config::Settings;

/// What required free text, names and contact details are replaced with.
pub const REMOVED: &str = "[removed under the retention schedule]";

/// The schedule: whole years after which a closed case is anonymised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Years after the later of the case's closure and its last restriction or exclusion ending.
    pub years_after_restriction: u32,
    /// Years after the closure of a case that never had a restriction or exclusion.
    pub years_after_closure: u32,
}

impl Schedule {
    /// The schedule the settings configure.
    pub fn from_settings(settings: &Settings) -> Self {
        Schedule {
            years_after_restriction: settings.retention_years_after_restriction,
            years_after_closure: settings.retention_years_after_closure,
        }
    }
}
