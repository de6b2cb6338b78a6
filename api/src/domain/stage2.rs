//! Stage 2 (5.1, 5.3, 6.3): if the behaviour continues after the warning, the Group Director,
//! in consultation with Legal Services or the Monitoring Officer, determines restricted contact
//! arrangements for the case's service (5.4); Legal Services writes to the customer (6.4) and
//! the service team is told (5.5). Exceptionally, Stage 2 can be applied at once, without a
//! Stage 1 warning: the reasons are recorded and given to the customer (note under 5.1).

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{CaseStage, ConsultedRole, LetterKind};
use entities::notification::AlertEvent;
use entities::{stage_2_decision, upc_case};

use super::adjustments::{self, AdjustmentId};
use super::error::{DomainError, DomainResult};
use super::letters::{LetterContent, line};
use super::lifecycle::{CaseFile, LifecycleSettings, Step};
use super::outcome::{AuditEntry, LetterOrder, New, Outcome, Ref};
use super::restrictions::{Directory, RestrictionTerms};
use super::roles::Principal;
use super::values::{Text, not_future};

/// The Group Director's decision on restricted contact (`decideStage2`).
#[derive(Debug, Clone)]
pub struct DecideStage2 {
    /// The case version the caller read.
    pub version: i64,
    /// Why immediate action without a Stage 1 warning is appropriate (then, and only then).
    pub exceptional_reasons: Option<Text>,
    /// Who was consulted (5.3).
    pub consulted_role: ConsultedRole,
    /// Their name.
    pub consulted_name: Text,
    /// How disability, unmet need and reasonable adjustments were considered.
    pub adjustments_considered: Text,
    /// The customer's reasonable adjustments considered (`adjustmentIdsConsidered`): each the
    /// customer's and in place on the day of the decision.
    pub adjustment_ids: Vec<AdjustmentId>,
    /// Why these restrictions are the least restrictive that work.
    pub proportionality: Text,
    /// The reasons, given to the customer.
    pub reasons: Text,
    /// Date of the decision (default today).
    pub decided_on: Option<NaiveDate>,
    /// Review date; default and latest: the review period after the decision (7.1).
    pub review_due_on: Option<NaiveDate>,
    /// At least one restriction.
    pub restrictions: Vec<RestrictionTerms>,
}

impl DecideStage2 {
    /// The decision's date: the one given, or today.
    pub fn decided_on(&self, today: NaiveDate) -> NaiveDate {
        self.decided_on.unwrap_or(today)
    }

    /// Rules about the decision alone: it has been made, and it imposes at least one
    /// restriction (5.3).
    pub fn validate(&self, today: NaiveDate) -> DomainResult<()> {
        not_future("decidedOn", self.decided_on(today), today)?;
        if self.restrictions.is_empty() {
            return Err(DomainError::bad_input(
                "restrictions",
                "a Stage 2 decision imposes at least one restriction (5.3)",
            ));
        }
        Ok(())
    }
}

/// Decide Stage 2: the decision, its restrictions (each told to the service team, 5.5), the
/// review date (no later than the review period after the decision, 7.1) and the decision
/// letter. After a warning the behaviour must have continued (the state machine sees to it);
/// straight after the determination it is exceptional and needs its reasons.
pub fn decide(
    cmd: DecideStage2,
    file: &CaseFile,
    directory: &Directory,
    settings: &LifecycleSettings,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::DecideStage2, actor)?;
    file.expect_version(cmd.version)?;
    let decided_on = cmd.decided_on(now.date_naive());
    let latest_review = settings.latest_review(decided_on);
    let review_due_on = cmd.review_due_on.unwrap_or(latest_review);
    if review_due_on > latest_review || review_due_on < decided_on {
        return Err(DomainError::bad_input(
            "reviewDueOn",
            format!(
                "the review must fall between the decision ({decided_on}) and {latest_review}: no later than {} months after it (7.1)",
                settings.review_period_months
            ),
        ));
    }
    if let Some(determined) = file.determinations.iter().max_by_key(|d| d.decided_at)
        && decided_on < determined.decided_at.date_naive()
    {
        return Err(DomainError::bad_input(
            "decidedOn",
            format!(
                "the decision cannot be dated before the behaviour was determined unreasonable ({})",
                determined.decided_at.date_naive()
            ),
        ));
    }
    let immediate = file.case.stage == CaseStage::DeterminedUnreasonable;
    let exceptional = cmd.exceptional_reasons.map(Text::into_string);
    let warning_id = if immediate {
        if exceptional.is_none() {
            return Err(DomainError::bad_input(
                "exceptionalReasons",
                "Stage 2 without a Stage 1 warning is only for exceptional circumstances: record the reasons, which the customer is given (note under 5.1)",
            ));
        }
        None
    } else {
        if exceptional.is_some() {
            return Err(DomainError::bad_input(
                "exceptionalReasons",
                "exceptional reasons are for Stage 2 without a warning; this case has one",
            ));
        }
        file.standing_warning().map(|w| w.id)
    };
    let mut rows = Vec::with_capacity(cmd.restrictions.len());
    for terms in cmd.restrictions {
        rows.push(terms.row(&file.case, decided_on, review_due_on, directory, now)?);
    }
    let noted = adjustments::considered(&cmd.adjustment_ids, &file.adjustments, decided_on)?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let decision = adjustments::with_considered(
        &mut out,
        stage_2_decision::Model {
            id: 0,
            case_id: file.case.id,
            warning_id,
            immediate,
            exceptional_reasons: exceptional.clone(),
            decided_by: actor.subject.clone(),
            decided_on,
            consulted_role: cmd.consulted_role,
            consulted_name: cmd.consulted_name.into_string(),
            adjustments_considered: cmd.adjustments_considered.into_string(),
            proportionality: cmd.proportionality.into_string(),
            reasons: reasons.clone(),
            review_due_on,
            service_team_notified_at: Some(now),
            version: 1,
            created_at: now,
        },
        noted.clone(),
    );
    let lines = rows.iter().map(line).collect();
    for row in rows {
        let imposed = out.create(New::Restriction {
            restriction: row,
            decision: Some(decision),
        });
        out.alert(AlertEvent::Imposed, imposed);
    }
    out.letter(LetterOrder {
        case_id: file.case.id,
        kind: LetterKind::Stage2Decision,
        regarding: ("stage_2_decision", decision),
        letter_date: now.date_naive(),
        content: LetterContent {
            reasons: reasons.clone(),
            exceptional_reasons: exceptional,
            consulted: Some(cmd.consulted_role),
            restrictions: lines,
            review_due_on: Some(review_due_on),
            ..LetterContent::default()
        },
    });
    out.change(
        file.case.clone(),
        upc_case::Model {
            stage: CaseStage::Stage2Restricted,
            review_due_on: Some(review_due_on),
            appeal_deadline: None,
            ..file.case.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("case.decide_stage_2", "stage_2_decision", decision)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons)
            .considering(&noted),
    ))
}
