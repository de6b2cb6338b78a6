//! How a case ends (5.1, 7). Two endings close a case without anyone taking a step, once the
//! time for them has come; the worker looks for them on a schedule (`upc-worker endings`):
//!
//! - **The warning period ended** (5.1): a Stage 1 warning runs for the warning period (a
//!   setting, 12 months by default) from the date on its letter — the date the letter itself
//!   states, which is also day 0 of the appeal window (6.1), so the letter can tell the customer
//!   the last day of the period. When that day has passed with no further behaviour reported
//!   since the letter (behaviour that the Group Director could determine as continuing, leading
//!   to Stage 2), the case closes with the reason *warning period ended*.
//! - **The restrictions ended** (7): a Stage 2 case whose restrictions have all been lifted or
//!   have reached their last day, and whose review has been held (a recommendation endorsed or
//!   not, none waiting), closes with the reason *restrictions ended*. A restriction ending
//!   before the first review keeps the case open until the review (7.1), which the deadlines
//!   list shows as due.
//!
//! Neither ending closes a case with an appeal awaiting its decision (6.2), an appeal window
//! still open (6.1), behaviour reported since the warning (awaiting the Group Director, 5.1), a
//! restriction or exclusion in force or not yet begun (3.2, 5.3), a permanent restriction (5.6),
//! a breach awaiting its outcome or a flag for early review (5.6), or a review recommendation
//! awaiting endorsement (7.4). Closing writes the case closed with its reason, marks the
//! restrictions that reached their last day `expired`, writes to the customer (`case_closed`)
//! and records the audit entry `case.close_ended`.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{
    AppealOutcome, BreachOutcome, CaseStage, CaseStatus, LetterKind, RestrictionStatus,
};
use entities::{exclusion, restriction, stage_1_warning};

use super::deadlines::exclusion_in_force;
use super::letters::{LetterContent, line};
use super::lifecycle::{CaseFile, LifecycleSettings};
use super::outcome::{AuditEntry, LetterOrder, Outcome};
use crate::letters::Closure;

/// The reason a case closed when its warning period ended.
pub const WARNING_PERIOD_ENDED: &str = "warning period ended";
/// The reason a case closed when its restrictions ended after review.
pub const RESTRICTIONS_ENDED: &str = "restrictions ended";
/// The audit action of a case closed by an ending.
pub const AUDIT_ACTION: &str = "case.close_ended";

/// What deciding whether a case has ended needs: the case file and the case's exclusions from
/// premises (3.2).
#[derive(Debug, Clone, PartialEq)]
pub struct EndingFacts {
    /// The case file, as read in the closing transaction.
    pub file: CaseFile,
    /// The case's exclusions, in force or not.
    pub exclusions: Vec<exclusion::Model>,
}

/// How a case ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The Stage 1 warning's period ended (5.1) with no further behaviour reported.
    WarningPeriodEnded {
        /// The standing warning.
        warning_id: i64,
        /// The last day of its period.
        ended_on: NaiveDate,
    },
    /// Every restriction was lifted or reached its last day, and the review was held (7).
    RestrictionsEnded {
        /// The restrictions that reached their last day but are still marked in force: they
        /// are marked `expired`.
        expired: Vec<i64>,
    },
}

impl Ending {
    /// The closure reason's opening words: [`WARNING_PERIOD_ENDED`] or [`RESTRICTIONS_ENDED`].
    pub fn reason(&self) -> &'static str {
        match self {
            Ending::WarningPeriodEnded { .. } => WARNING_PERIOD_ENDED,
            Ending::RestrictionsEnded { .. } => RESTRICTIONS_ENDED,
        }
    }
}

/// Why a case does not end now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaysOpen {
    /// It is already closed.
    Closed,
    /// It is at a stage no ending applies to (reported, determined unreasonable).
    Stage(CaseStage),
    /// At Stage 1 with no warning standing.
    NoStandingWarning,
    /// The warning period has not ended: its last day.
    WarningPeriodRuns(NaiveDate),
    /// The appeal window is still open: its last day (6.1).
    AppealWindowOpen(NaiveDate),
    /// An appeal awaits the Group Director's decision (6.2).
    AppealPending,
    /// Behaviour was reported after the warning's letter: it awaits the Group Director (5.1).
    BehaviourReportedSinceWarning,
    /// A restriction is in force, not yet begun, or permanent (5.3, 5.6).
    RestrictionInForce(i64),
    /// A Stage 2 case with no restriction at all.
    NoRestrictions,
    /// An exclusion from premises is in force or not yet begun (3.2).
    ExclusionInForce(i64),
    /// A breach awaits its outcome, or the case is flagged for early review (5.6).
    BreachPending,
    /// No review has been held since the restrictions were decided (7.1).
    ReviewNotHeld,
    /// A review recommendation awaits the Group Director's endorsement (7.4).
    ReviewPending,
}

impl fmt::Display for StaysOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaysOpen::Closed => write!(f, "the case is closed"),
            StaysOpen::Stage(stage) => write!(f, "no ending applies at stage {stage}"),
            StaysOpen::NoStandingWarning => write!(f, "no Stage 1 warning stands"),
            StaysOpen::WarningPeriodRuns(day) => {
                write!(f, "the warning period runs until {day}")
            }
            StaysOpen::AppealWindowOpen(day) => {
                write!(f, "the appeal window is open until {day} (6.1)")
            }
            StaysOpen::AppealPending => write!(f, "an appeal awaits its decision (6.2)"),
            StaysOpen::BehaviourReportedSinceWarning => write!(
                f,
                "behaviour reported since the warning awaits the Group Director (5.1)"
            ),
            StaysOpen::RestrictionInForce(id) => {
                write!(
                    f,
                    "restriction {id} is in force, not yet begun or permanent"
                )
            }
            StaysOpen::NoRestrictions => write!(f, "a Stage 2 case with no restriction"),
            StaysOpen::ExclusionInForce(id) => {
                write!(f, "exclusion {id} is in force or not yet begun (3.2)")
            }
            StaysOpen::BreachPending => write!(
                f,
                "a breach awaits its outcome or the case is flagged for review (5.6)"
            ),
            StaysOpen::ReviewNotHeld => write!(f, "the review has not been held (7.1)"),
            StaysOpen::ReviewPending => {
                write!(f, "a review recommendation awaits endorsement (7.4)")
            }
        }
    }
}

/// The last day of warning `w`'s period: as kept when it was issued (and told to the
/// customer), or, for a warning issued before that was kept, the warning period from its
/// letter's date.
pub fn warning_period_end(w: &stage_1_warning::Model, settings: &LifecycleSettings) -> NaiveDate {
    w.period_ends_on
        .unwrap_or_else(|| settings.warning_period_end(w.letter_date))
}

/// Has restriction `r` ended by `today`: lifted, marked expired, or past its last day (and not
/// permanent)?
pub fn restriction_ended(r: &restriction::Model, today: NaiveDate) -> bool {
    match r.status {
        RestrictionStatus::Lifted | RestrictionStatus::Expired => true,
        RestrictionStatus::Active => !r.permanent && r.ends_on.is_some_and(|end| end < today),
    }
}

/// Does the case end on `today`, and how? Or why does it stay open?
pub fn ending(
    facts: &EndingFacts,
    settings: &LifecycleSettings,
    today: NaiveDate,
) -> Result<Ending, StaysOpen> {
    let file = &facts.file;
    let case = &file.case;
    if case.status != CaseStatus::Open {
        return Err(StaysOpen::Closed);
    }
    // Whatever the stage: nothing awaiting a decision, nothing in force.
    if file
        .appeals
        .iter()
        .any(|a| a.outcome == AppealOutcome::Pending)
    {
        return Err(StaysOpen::AppealPending);
    }
    if case.flagged_for_review
        || file
            .breaches
            .iter()
            .any(|b| b.outcome == BreachOutcome::Pending)
    {
        return Err(StaysOpen::BreachPending);
    }
    if let Some(e) = facts
        .exclusions
        .iter()
        .find(|e| exclusion_in_force(e, today) || (e.starts_on > today && e.lifted_on.is_none()))
    {
        return Err(StaysOpen::ExclusionInForce(e.id));
    }
    if let Some(r) = file
        .restrictions
        .iter()
        .find(|r| !restriction_ended(r, today))
    {
        return Err(StaysOpen::RestrictionInForce(r.id));
    }
    match case.stage {
        CaseStage::Stage1Warning => warning_ending(file, settings, today),
        CaseStage::Stage2Restricted => restrictions_ending(file),
        CaseStage::Closed => Err(StaysOpen::Closed),
        other => Err(StaysOpen::Stage(other)),
    }
}

/// A Stage 1 case: the standing warning's period is over, its appeal window closed, and no
/// behaviour has been reported since its letter.
fn warning_ending(
    file: &CaseFile,
    settings: &LifecycleSettings,
    today: NaiveDate,
) -> Result<Ending, StaysOpen> {
    let warning = file
        .standing_warning()
        .ok_or(StaysOpen::NoStandingWarning)?;
    let ended_on = warning_period_end(warning, settings);
    if today <= ended_on {
        return Err(StaysOpen::WarningPeriodRuns(ended_on));
    }
    if today <= warning.appeal_deadline {
        return Err(StaysOpen::AppealWindowOpen(warning.appeal_deadline));
    }
    if file.facts().reports_since_warning {
        return Err(StaysOpen::BehaviourReportedSinceWarning);
    }
    Ok(Ending::WarningPeriodEnded {
        warning_id: warning.id,
        ended_on,
    })
}

/// A Stage 2 case: every restriction ended (checked by the caller), and the review held.
fn restrictions_ending(file: &CaseFile) -> Result<Ending, StaysOpen> {
    if file.restrictions.is_empty() {
        return Err(StaysOpen::NoRestrictions);
    }
    if file
        .reviews
        .iter()
        .any(|r| r.recommendation.is_some() && r.endorsed.is_none())
    {
        return Err(StaysOpen::ReviewPending);
    }
    if !file.reviews.iter().any(|r| r.endorsed.is_some()) {
        return Err(StaysOpen::ReviewNotHeld);
    }
    Ok(Ending::RestrictionsEnded {
        expired: file
            .restrictions
            .iter()
            .filter(|r| r.status == RestrictionStatus::Active)
            .map(|r| r.id)
            .collect(),
    })
}

/// Close the case if it has ended at `now`: the case closed with the reason, restrictions past
/// their last day marked expired, the `case_closed` letter to the customer, and the audit entry.
/// `None` (with why) when it stays open. The outcome changes the case as read, so a second
/// closing of the same case (another worker) is refused by its version (`CONFLICT`).
pub fn close(
    facts: &EndingFacts,
    settings: &LifecycleSettings,
    now: DateTime<Utc>,
) -> Result<Outcome, StaysOpen> {
    let today = now.date_naive();
    let ending = ending(facts, settings, today)?;
    let file = &facts.file;
    let (detail, content) = match &ending {
        Ending::WarningPeriodEnded { ended_on, .. } => (
            format!("the Stage 1 warning ran until {ended_on} with no further behaviour reported"),
            LetterContent {
                reasons: "The warning period ended with no further behaviour reported.".into(),
                closure: Some(Closure::WarningPeriodEnded),
                warning_period_ends_on: Some(*ended_on),
                ..LetterContent::default()
            },
        ),
        Ending::RestrictionsEnded { .. } => (
            "every restriction was lifted or reached its last day, and the review was held"
                .to_string(),
            LetterContent {
                reasons: "Every restriction was lifted or reached its last day, and the review \
                          of your case was held."
                    .into(),
                closure: Some(Closure::RestrictionsEnded),
                lifted: file.restrictions.iter().map(line).collect(),
                ..LetterContent::default()
            },
        ),
    };
    let reason = format!("{}: {detail}", ending.reason());
    let mut out = Outcome::new();
    // The case first: a stale version refuses the whole outcome before anything else is written.
    let case = out.change(file.case.clone(), file.closed(reason.clone(), now));
    if let Ending::RestrictionsEnded { expired } = &ending {
        for r in file.restrictions.iter().filter(|r| expired.contains(&r.id)) {
            out.change(
                r.clone(),
                restriction::Model {
                    status: RestrictionStatus::Expired,
                    ..r.clone()
                },
            );
        }
    }
    out.letter(LetterOrder {
        case_id: file.case.id,
        kind: LetterKind::CaseClosed,
        regarding: ("upc_case", case),
        letter_date: today,
        content,
    });
    Ok(out.audited(
        AuditEntry::new(AUDIT_ACTION, "upc_case", case)
            .on_case(case)
            .because(reason),
    ))
}
