//! New issues (9.1): a new issue raised by a restricted customer is dealt with on its merits,
//! and the Group Director considers whether the restrictions already applied remain
//! appropriate and necessary. Changing them is a separate step.

use chrono::{DateTime, Utc};
use entities::new_issue_consideration;

use super::error::DomainResult;
use super::lifecycle::{CaseFile, Step};
use super::outcome::{AuditEntry, Outcome, Ref};
use super::roles::Principal;
use super::values::Text;

/// The Group Director's consideration of a new issue (`considerNewIssue`).
#[derive(Debug, Clone)]
pub struct ConsiderNewIssue {
    /// The case version the caller read.
    pub version: i64,
    /// The new issue.
    pub description: Text,
    /// Whether the restrictions remain appropriate and necessary.
    pub restrictions_remain_appropriate: bool,
    /// Reasons.
    pub reasons: Text,
}

/// Record the consideration (9.1).
pub fn consider(
    cmd: ConsiderNewIssue,
    file: &CaseFile,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::ConsiderNewIssue, actor)?;
    file.expect_version(cmd.version)?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let n = out.create_row(new_issue_consideration::Model {
        id: 0,
        case_id: file.case.id,
        contact_id: None,
        description: cmd.description.into_string(),
        considered_by: actor.subject.clone(),
        restrictions_remain_appropriate: cmd.restrictions_remain_appropriate,
        reasons: reasons.clone(),
        considered_on: now.date_naive(),
        version: 1,
        created_at: now,
    });
    out.change(file.case.clone(), file.case.clone());
    Ok(out.audited(
        AuditEntry::new("case.consider_new_issue", "new_issue_consideration", n)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons),
    ))
}
