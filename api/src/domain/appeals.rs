//! Appeals (6): a customer unhappy with a Stage 1 warning has 15 working days to appeal in
//! writing, with reasons, to Legal Services (6.1), who notify the Group Director; the Group
//! Director decides "upheld" or "not upheld", and Legal Services tell the customer (6.2). An
//! upheld appeal withdraws the warning. There is no right of appeal against an exclusion made
//! for Health & Safety reasons (3.6), and the policy gives none against any other exclusion or
//! Stage 2 restriction: those are reconsidered at review (7).

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{AppealOutcome, LetterKind, WarningStatus};
use entities::{appeal, exclusion, stage_1_warning, upc_case};

use super::error::{DomainError, DomainResult};
use super::letters::LetterContent;
use super::lifecycle::{CaseFile, Step};
use super::outcome::{AuditEntry, LetterOrder, Outcome, Ref};
use super::roles::{APPEAL_LOGGERS, Principal, role_list};
use super::values::{Text, not_future};

/// A customer's written appeal against a Stage 1 warning, logged by Legal Services
/// (`logAppeal`).
#[derive(Debug, Clone)]
pub struct LogAppeal {
    /// The case version the caller read.
    pub version: i64,
    /// The day Legal Services received it.
    pub received_on: NaiveDate,
    /// The customer's reasons for disagreeing.
    pub grounds: Text,
    /// Received after the deadline: why Legal Services accepts it anyway.
    pub late_reason: Option<Text>,
}

impl LogAppeal {
    /// Rules about the appeal alone: it has been received.
    pub fn validate(&self, today: NaiveDate) -> DomainResult<()> {
        not_future("receivedOn", self.received_on, today).map(|_| ())
    }
}

/// Log the appeal (6.1) and notify the Group Director (6.2). One received after the deadline is
/// `APPEAL_OUT_OF_TIME` unless Legal Services records why they accept it late.
pub fn log_appeal(
    cmd: LogAppeal,
    file: &CaseFile,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::LogAppeal, actor)?;
    file.expect_version(cmd.version)?;
    // The state machine offers logAppeal only while a warning stands.
    let warning = file
        .standing_warning()
        .ok_or_else(|| DomainError::InvalidTransition {
            message: "logAppeal refused: there is no standing Stage 1 warning (6.1)".into(),
            current: file.case.stage.as_str().to_string(),
            allowed: Vec::new(),
        })?;
    let received_on = cmd.received_on;
    if received_on < warning.letter_date {
        return Err(DomainError::bad_input(
            "receivedOn",
            format!(
                "an appeal cannot be received ({received_on}) before the warning letter ({})",
                warning.letter_date
            ),
        ));
    }
    let late = received_on > warning.appeal_deadline;
    if !late && cmd.late_reason.is_some() {
        return Err(DomainError::bad_input(
            "lateReason",
            format!(
                "the appeal is in time (the deadline is {}): a late reason is only for appeals received after it",
                warning.appeal_deadline
            ),
        ));
    }
    if late && cmd.late_reason.is_none() {
        return Err(DomainError::AppealOutOfTime(format!(
            "the appeal was received on {received_on}, after the deadline of {} (15 working days after the letter of {}, 6.1); Legal Services may accept it late by giving lateReason",
            warning.appeal_deadline, warning.letter_date
        )));
    }
    let late_reason = cmd.late_reason.map(Text::into_string);
    let mut out = Outcome::new();
    let a = out.create_row(appeal::Model {
        id: 0,
        case_id: file.case.id,
        warning_id: warning.id,
        received_on,
        grounds: cmd.grounds.into_string(),
        logged_by: actor.subject.clone(),
        accepted_late: late,
        late_reason: late_reason.clone(),
        group_director_notified_at: Some(now),
        outcome: AppealOutcome::Pending,
        decided_by: None,
        decided_at: None,
        decision_reasons: None,
        customer_told_at: None,
        version: 1,
        created_at: now,
    });
    out.change(file.case.clone(), file.case.clone());
    Ok(out.audited(
        AuditEntry::new("case.log_appeal", "appeal", a)
            .on_case(Ref::Stored(file.case.id))
            .because_maybe(late_reason),
    ))
}

/// The Group Director's decision on an appeal (`decideAppeal`).
#[derive(Debug, Clone)]
pub struct DecideAppeal {
    /// The case version the caller read.
    pub version: i64,
    /// Upheld (the warning is withdrawn and the case closed) or not (the warning stands).
    pub upheld: bool,
    /// The reasons, given to the customer.
    pub reasons: Text,
}

/// Decide the appeal (6.2), and write to the customer either way.
pub fn decide_appeal(
    cmd: DecideAppeal,
    file: &CaseFile,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::DecideAppeal, actor)?;
    file.expect_version(cmd.version)?;
    let pending = file
        .appeals
        .iter()
        .find(|a| a.outcome == AppealOutcome::Pending)
        .ok_or_else(|| DomainError::InvalidTransition {
            message: "decideAppeal refused: no appeal awaits a decision (6.2)".into(),
            current: file.case.stage.as_str().to_string(),
            allowed: Vec::new(),
        })?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let decided = out.change(
        pending.clone(),
        appeal::Model {
            outcome: if cmd.upheld {
                AppealOutcome::Upheld
            } else {
                AppealOutcome::NotUpheld
            },
            decided_by: Some(actor.subject.clone()),
            decided_at: Some(now),
            decision_reasons: Some(reasons.clone()),
            ..pending.clone()
        },
    );
    let case_after = if cmd.upheld {
        let warning = file
            .warnings
            .iter()
            .find(|w| w.id == pending.warning_id)
            .ok_or_else(|| DomainError::NotFound("the warning appealed against".into()))?;
        out.change(
            warning.clone(),
            stage_1_warning::Model {
                status: WarningStatus::Withdrawn,
                ..warning.clone()
            },
        );
        upc_case::Model {
            appeal_deadline: None,
            ..file.closed(
                format!("appeal upheld: the Stage 1 warning is withdrawn ({reasons})"),
                now,
            )
        }
    } else {
        file.case.clone()
    };
    out.letter(LetterOrder {
        case_id: file.case.id,
        kind: LetterKind::AppealOutcome,
        regarding: ("appeal", decided),
        letter_date: now.date_naive(),
        content: LetterContent {
            reasons: reasons.clone(),
            appeal_upheld: Some(cmd.upheld),
            ..LetterContent::default()
        },
    });
    out.change(file.case.clone(), case_after);
    Ok(out.audited(
        AuditEntry::new("case.decide_appeal", "appeal", decided)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons),
    ))
}

/// Legal Services logs an appeal against an exclusion (`logExclusionAppeal`): always refused
/// with `NO_RIGHT_OF_APPEAL`, and nothing is written.
pub fn refuse_exclusion_appeal(
    found: &exclusion::Model,
    service_code: &str,
    actor: &Principal,
) -> DomainError {
    if !actor.may_act(APPEAL_LOGGERS, service_code) {
        return DomainError::Forbidden(format!(
            "logExclusionAppeal needs the role {} in the case's service ({service_code})",
            role_list(APPEAL_LOGGERS)
        ));
    }
    if found.health_and_safety {
        DomainError::NoRightOfAppeal(format!(
            "there is no right of appeal against a decision to exclude a person or group from council buildings made for Health & Safety reasons (policy 3.6); exclusion {} was made for Health & Safety",
            found.id
        ))
    } else {
        DomainError::NoRightOfAppeal(format!(
            "the policy gives a right of appeal only against the Stage 1 warning (6.1), logged with logAppeal; there is none against exclusion {}, which is reconsidered at its review (5.6, 7)",
            found.id
        ))
    }
}
