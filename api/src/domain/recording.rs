//! Electronic recording of conversations (4): a customer must ask before recording a meeting or
//! call, and the member of staff or elected Member may refuse — there is no obligation to agree
//! (4.1, 4.2). An agreed recording is for the customer's personal use only and must not be
//! shared (4.3). Recording without asking is covert recording, reported as behaviour (4.4, see
//! [`super::behaviour`]).

use chrono::{DateTime, Utc};
use entities::{recording_request, upc_case};

use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, Outcome, Ref};
use super::roles::{Principal, RECORDING_RECORDERS};
use super::safety::authorise;
use super::values::{Text, not_future_time};

/// A customer's request to record, and the answer (`recordRecordingRequest`).
#[derive(Debug, Clone)]
pub struct RecordRecordingRequest {
    /// When the customer asked.
    pub requested_at: DateTime<Utc>,
    /// The meeting or call they wanted to record.
    pub context: Text,
    /// The member of staff or elected Member asked; default the caller.
    pub staff_member: Option<Text>,
    /// Whether they agreed.
    pub agreed: bool,
    /// Why they refused.
    pub refusal_reason: Option<Text>,
}

impl RecordRecordingRequest {
    /// Rules about the request alone: it has been made, and a refusal — only a refusal — says
    /// why (4.2).
    pub fn validate(&self, now: DateTime<Utc>) -> DomainResult<()> {
        not_future_time("requestedAt", self.requested_at, now)?;
        match (self.agreed, &self.refusal_reason) {
            (false, None) => Err(DomainError::bad_input(
                "refusalReason",
                "say why the recording was refused (4.2)",
            )),
            (true, Some(_)) => Err(DomainError::bad_input(
                "refusalReason",
                "a refusal reason goes only with a refusal",
            )),
            _ => Ok(()),
        }
    }
}

/// Staff of the case's service, or an elected Member on a case they reported, record the
/// request and the answer.
pub fn record_request(
    cmd: RecordRecordingRequest,
    case: &upc_case::Model,
    service_code: &str,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    authorise(
        actor,
        RECORDING_RECORDERS,
        service_code,
        "recordRecordingRequest",
    )?;
    let refusal_reason = cmd.refusal_reason.map(Text::into_string);
    let mut out = Outcome::new();
    let created = out.create_row(recording_request::Model {
        id: 0,
        case_id: Some(case.id),
        customer_id: case.customer_id,
        requested_at: cmd.requested_at,
        context: cmd.context.into_string(),
        staff_member: cmd
            .staff_member
            .map_or_else(|| actor.display_name(), Text::into_string),
        agreed: cmd.agreed,
        refusal_reason: refusal_reason.clone(),
        version: 1,
        created_at: now,
    });
    Ok(out.audited(
        AuditEntry::new("recording_request.record", "recording_request", created)
            .on_case(Ref::Stored(case.id))
            .because_maybe(refusal_reason),
    ))
}
