//! Stage 1 (5.1): the Service manager or Head of Service determines whether reported behaviour
//! was unreasonable; if it was, the Head of Service, having consulted the Service Director,
//! issues a warning that restricted contact may follow if it continues, with how to appeal (15
//! working days, 6.1). The Service Feedback Officer is copied and Legal Services told for the
//! central record.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::enums::{CaseStage, DeciderRole, LetterKind, WarningStatus};
use entities::{determination, stage_1_warning, upc_case};

use super::adjustments::{self, AdjustmentId};
use super::error::{DomainError, DomainResult};
use super::letters::LetterContent;
use super::lifecycle::{CaseFile, LifecycleSettings, Step};
use super::outcome::{AuditEntry, LetterOrder, Outcome, Ref};
use super::roles::{Principal, Role};
use super::values::{RecordId, ReportId, Text};
use crate::calendar::Calendar;

/// The decision whether reported behaviour was unreasonable (`determineBehaviour`).
#[derive(Debug, Clone)]
pub struct DetermineBehaviour {
    /// The case version the caller read.
    pub version: i64,
    /// Whether the behaviour was unreasonable under the policy.
    pub unreasonable: bool,
    /// The reasons.
    pub reasons: Text,
    /// The report decided on; default the latest.
    pub report: Option<ReportId>,
}

/// Determine the behaviour (5.1). Not unreasonable: the case closes with the reasons.
pub fn determine(
    cmd: DetermineBehaviour,
    file: &CaseFile,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::DetermineBehaviour, actor)?;
    file.expect_version(cmd.version)?;
    let report_id = match cmd.report {
        Some(id) => Some(
            file.reports
                .iter()
                .find(|r| r.id == id.get())
                .ok_or_else(|| {
                    DomainError::bad_input("reportId", format!("no report {id} on this case"))
                })?
                .id,
        ),
        None => file
            .reports
            .iter()
            .max_by_key(|r| r.occurred_at)
            .map(|r| r.id),
    };
    let decider_role = if actor.has_role(Role::HeadOfService) {
        DeciderRole::HeadOfService
    } else {
        DeciderRole::ServiceManager
    };
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let d = out.create_row(determination::Model {
        id: 0,
        case_id: file.case.id,
        report_id,
        decided_by: actor.subject.clone(),
        decider_role,
        unreasonable: cmd.unreasonable,
        reasons: reasons.clone(),
        decided_at: now,
        version: 1,
        created_at: now,
    });
    let after = if cmd.unreasonable {
        upc_case::Model {
            stage: CaseStage::DeterminedUnreasonable,
            ..file.case.clone()
        }
    } else {
        file.closed(
            format!("behaviour determined not unreasonable: {reasons}"),
            now,
        )
    };
    out.change(file.case.clone(), after);
    Ok(out.audited(
        AuditEntry::new("case.determine_behaviour", "determination", d)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons),
    ))
}

/// The Stage 1 warning (`issueStage1Warning`). The decider records that reasonable
/// adjustments were considered and why a warning is proportionate.
#[derive(Debug, Clone)]
pub struct IssueWarning {
    /// The case version the caller read.
    pub version: i64,
    /// Date of the letter (default today): day 0 of the appeal window (6.1).
    pub letter_date: Option<NaiveDate>,
    /// The behaviour and why it is unreasonable, as the letter tells the customer.
    pub reasons: Text,
    /// The Service Director consulted (5.1).
    pub service_director_consulted: Text,
    /// When they were consulted.
    pub consulted_on: NaiveDate,
    /// How disability, unmet need and reasonable adjustments were considered (Equality Act 2010).
    pub adjustments_considered: Text,
    /// The customer's reasonable adjustments considered (`adjustmentIdsConsidered`): each the
    /// customer's and in place on the day of the decision.
    pub adjustment_ids: Vec<AdjustmentId>,
    /// Why a warning is the proportionate response.
    pub proportionality: Text,
}

/// How far ahead a warning letter may be dated.
const LETTER_DATED_AHEAD_DAYS: i64 = 14;

impl IssueWarning {
    /// The letter's date: the one given, or today.
    pub fn letter_date(&self, today: NaiveDate) -> NaiveDate {
        self.letter_date.unwrap_or(today)
    }

    /// Rules about the warning alone: the letter is dated at most two weeks ahead, and the
    /// Service Director is consulted before it is issued (5.1).
    pub fn validate(&self, today: NaiveDate) -> DomainResult<()> {
        let letter_date = self.letter_date(today);
        if letter_date > today + Duration::days(LETTER_DATED_AHEAD_DAYS) {
            return Err(DomainError::bad_input(
                "letterDate",
                "the letter date may be at most 14 days ahead",
            ));
        }
        if self.consulted_on > letter_date {
            return Err(DomainError::bad_input(
                "consultedOn",
                "the Service Director must be consulted before the warning is issued (5.1)",
            ));
        }
        Ok(())
    }
}

/// Issue the warning (5.1): the appeal deadline is the 15th working day after the letter date
/// (6.1); the warning period ends the warning period later (a setting; with no further
/// behaviour reported by then the case closes, [`super::endings`]); the Service Feedback Officer
/// is copied and Legal Services notified for the central record; the warning letter, giving both
/// dates, goes to the customer.
pub fn issue_warning(
    cmd: IssueWarning,
    file: &CaseFile,
    calendar: &Calendar,
    settings: &LifecycleSettings,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::IssueStage1Warning, actor)?;
    file.expect_version(cmd.version)?;
    let letter_date = cmd.letter_date(now.date_naive());
    let determination = file
        .determinations
        .iter()
        .filter(|d| d.unreasonable)
        .max_by_key(|d| d.id);
    if let Some(d) = determination
        && letter_date < d.decided_at.date_naive()
    {
        return Err(DomainError::bad_input(
            "letterDate",
            format!(
                "the letter cannot be dated before the determination ({})",
                d.decided_at.date_naive()
            ),
        ));
    }
    let deadline = calendar.appeal_deadline(letter_date);
    let period_ends_on = settings.warning_period_end(letter_date);
    let noted = adjustments::considered(&cmd.adjustment_ids, &file.adjustments, letter_date)?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let warning = adjustments::with_considered(
        &mut out,
        stage_1_warning::Model {
            id: 0,
            case_id: file.case.id,
            determination_id: determination.map(|d| d.id),
            issued_by: actor.subject.clone(),
            letter_date,
            service_director_consulted: cmd.service_director_consulted.into_string(),
            consulted_on: cmd.consulted_on,
            adjustments_considered: cmd.adjustments_considered.into_string(),
            proportionality: cmd.proportionality.into_string(),
            feedback_officer_copied: true,
            legal_services_notified_at: Some(now),
            appeal_deadline: deadline,
            period_ends_on: Some(period_ends_on),
            status: WarningStatus::Active,
            version: 1,
            created_at: now,
        },
        noted.clone(),
    );
    out.letter(LetterOrder {
        case_id: file.case.id,
        kind: LetterKind::Stage1Warning,
        regarding: ("stage_1_warning", warning),
        letter_date,
        content: LetterContent {
            reasons: reasons.clone(),
            appeal_deadline: Some(deadline),
            warning_period_ends_on: Some(period_ends_on),
            ..LetterContent::default()
        },
    });
    out.change(
        file.case.clone(),
        upc_case::Model {
            stage: CaseStage::Stage1Warning,
            appeal_deadline: Some(deadline),
            ..file.case.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("case.issue_stage_1_warning", "stage_1_warning", warning)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons)
            .considering(&noted),
    ))
}
