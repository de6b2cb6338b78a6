//! Time in the policy: when restrictions and exclusions are in force, and what falls due — the
//! 15-working-day appeal window (6.1, computed by [`crate::calendar`]), the review no later than
//! the review period after the decision to restrict (7.1, [`super::lifecycle::LifecycleSettings`]),
//! temporary exclusions ending (3.2), ignored exclusions awaiting review (5.6), correspondence
//! placed on file awaiting a manager's reading (5.2), Stage 1 warning periods ending (5.1, see
//! [`super::endings`]) and letters not yet sent.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use entities::enums::{CaseStage, ExclusionKind, RestrictionStatus};
use entities::{breach, contact, exclusion, letter, restriction, upc_case};

/// Is restriction `r` in force on `day`? (Judged from its dates, so a past day sees a
/// restriction lifted since.)
pub fn restriction_in_force(r: &restriction::Model, day: NaiveDate) -> bool {
    let started = r.starts_on <= day;
    let not_ended = r.ends_on.is_none_or(|end| day <= end);
    let not_lifted = match r.status {
        RestrictionStatus::Active => true,
        RestrictionStatus::Lifted => r.lifted_on.is_some_and(|lifted| day < lifted),
        RestrictionStatus::Expired => false,
    };
    started && not_ended && not_lifted
}

/// Is exclusion `e` in force on `day`? From its first day, until its last (a permanent one has
/// none), unless lifted (the day it was lifted no longer counts).
pub fn exclusion_in_force(e: &exclusion::Model, day: NaiveDate) -> bool {
    let ends = if e.kind == ExclusionKind::Permanent {
        None
    } else {
        e.ends_on
    };
    e.starts_on <= day
        && ends.is_none_or(|end| day <= end)
        && e.lifted_on.is_none_or(|lifted| day < lifted)
}

/// Correspondence placed on file is read by a manager within this many days (5.2).
pub const FILED_READ_WITHIN_DAYS: i64 = 5;
/// A letter issued is sent within this many days.
pub const LETTER_SEND_WITHIN_DAYS: i64 = 2;
/// The most deadlines one list holds.
pub const MOST_DEADLINES: usize = 500;

/// The records a deadlines list is drawn from, in the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct DeadlineFacts {
    /// Open cases.
    pub open_cases: Vec<upc_case::Model>,
    /// The standing warning of each open case at Stage 1, with the last day of its period.
    pub warning_periods: Vec<WarningPeriod>,
    /// Cases with an appeal logged (their appeal window no longer matters).
    pub appealed_cases: BTreeSet<i64>,
    /// Temporary exclusions not lifted that end between today and the horizon.
    pub temporary_exclusions: Vec<exclusion::Model>,
    /// Breaches flagged for review with no outcome yet.
    pub flagged_breaches: Vec<breach::Model>,
    /// Correspondence placed on file that no manager has read.
    pub filed_contacts: Vec<contact::Model>,
    /// Letters issued but not sent.
    pub unsent_letters: Vec<letter::Model>,
}

/// The warning period of the standing Stage 1 warning of an open case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningPeriod {
    /// The case.
    pub case_id: i64,
    /// The warning.
    pub warning_id: i64,
    /// The last day of its period.
    pub ends_on: NaiveDate,
}

/// Something due or overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// `appeal_window_closing`, `review_due`, `warning_period_ending`,
    /// `temporary_exclusion_ending`, `breach_awaiting_review`,
    /// `filed_correspondence_awaiting_review` or `letter_not_sent`.
    pub kind: &'static str,
    /// The date it is due by.
    pub due_on: NaiveDate,
    /// Past its date.
    pub overdue: bool,
    /// The case, when it belongs to an open one in scope: its id and reference.
    pub case: Option<(i64, String)>,
    /// The case id it belongs to, if any (even when not open).
    pub case_id: Option<i64>,
    /// The record concerned.
    pub record_id: i64,
    /// What is due, without names or free text.
    pub summary: String,
}

/// Everything due by `today + within` days, or overdue, soonest first (at most
/// [`MOST_DEADLINES`]). An appeal window is listed only while it is open and unappealed.
pub fn deadlines(facts: &DeadlineFacts, today: NaiveDate, within: i64) -> Vec<Due> {
    let horizon = today + Duration::days(within);
    let mut out: Vec<(i64, &'static str, NaiveDate, i64, String)> = Vec::new();
    let references: HashMap<i64, &str> = facts
        .open_cases
        .iter()
        .map(|c| (c.id, c.reference.as_str()))
        .collect();
    for c in &facts.open_cases {
        if c.stage == CaseStage::Stage1Warning
            && let Some(deadline) = c.appeal_deadline
            && deadline >= today
            && deadline <= horizon
            && !facts.appealed_cases.contains(&c.id)
        {
            out.push((
                c.id,
                "appeal_window_closing",
                deadline,
                c.id,
                format!("appeal window for the Stage 1 warning closes on {deadline}"),
            ));
        }
        if let Some(due) = c.review_due_on
            && due <= horizon
        {
            out.push((
                c.id,
                "review_due",
                due,
                c.id,
                format!("review of the restrictions due by {due} (7.1)"),
            ));
        }
    }
    for w in &facts.warning_periods {
        if references.contains_key(&w.case_id) {
            out.push((
                w.case_id,
                "warning_period_ending",
                w.ends_on,
                w.warning_id,
                format!(
                    "the Stage 1 warning period ends on {}: with no further behaviour reported the case closes (5.1)",
                    w.ends_on
                ),
            ));
        }
    }
    for e in &facts.temporary_exclusions {
        if let Some(ends) = e.ends_on {
            out.push((
                e.case_id,
                "temporary_exclusion_ending",
                ends,
                e.id,
                format!("temporary exclusion ends on {ends}: lift, extend or seek agreement to make it long-term (3.2)"),
            ));
        }
    }
    for b in &facts.flagged_breaches {
        let day = b.occurred_at.date_naive();
        out.push((
            b.case_id,
            "breach_awaiting_review",
            day,
            b.id,
            format!("exclusion ignored on {day}: review at once, extend or make permanent (5.6)"),
        ));
    }
    for c in &facts.filed_contacts {
        let due = c.occurred_at.date_naive() + Duration::days(FILED_READ_WITHIN_DAYS);
        out.push((
            c.case_id.unwrap_or_default(),
            "filed_correspondence_awaiting_review",
            due,
            c.id,
            format!(
                "{} correspondence placed on file on {}: a manager must read it for new issues and safeguarding concerns (5.2)",
                c.channel.as_str(),
                c.occurred_at.date_naive()
            ),
        ));
    }
    for l in &facts.unsent_letters {
        let due = l.issued_at.date_naive() + Duration::days(LETTER_SEND_WITHIN_DAYS);
        out.push((
            l.case_id,
            "letter_not_sent",
            due,
            l.id,
            format!(
                "{} letter issued on {} not yet sent",
                l.kind.as_str().replace('_', " "),
                l.issued_at.date_naive()
            ),
        ));
    }
    let mut due: Vec<Due> = out
        .into_iter()
        .filter(|(_, kind, due, ..)| *kind == "appeal_window_closing" || *due <= horizon)
        .map(|(case_id, kind, due_on, record_id, summary)| Due {
            kind,
            due_on,
            overdue: due_on < today,
            case: references
                .get(&case_id)
                .map(|reference| (case_id, reference.to_string())),
            case_id: (case_id > 0).then_some(case_id),
            record_id,
            summary,
        })
        .collect();
    due.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.kind.cmp(b.kind)));
    due.truncate(MOST_DEADLINES);
    due
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn exclusion(kind: ExclusionKind, ends_on: Option<NaiveDate>) -> exclusion::Model {
        exclusion::Model {
            id: 1,
            case_id: 1,
            kind,
            health_and_safety: true,
            starts_on: day(2026, 3, 2),
            ends_on,
            reasons: "r".into(),
            authorised_by: "sm".into(),
            agreed_by: None,
            agreed_by_role: None,
            agreed_at: None,
            agreement_reasons: None,
            hs_incident_id: None,
            lifted_on: None,
            lifted_reason: None,
            version: 1,
            created_at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        }
    }

    #[test]
    fn an_exclusion_is_in_force_from_its_first_to_its_last_day_unless_lifted_3_2() {
        let e = exclusion(ExclusionKind::Temporary, Some(day(2026, 3, 9)));
        assert!(!exclusion_in_force(&e, day(2026, 3, 1)));
        assert!(exclusion_in_force(&e, day(2026, 3, 2)));
        assert!(exclusion_in_force(&e, day(2026, 3, 9)));
        assert!(!exclusion_in_force(&e, day(2026, 3, 10)));
        let lifted = exclusion::Model {
            lifted_on: Some(day(2026, 3, 5)),
            ..e
        };
        assert!(exclusion_in_force(&lifted, day(2026, 3, 4)));
        assert!(!exclusion_in_force(&lifted, day(2026, 3, 5)));
    }

    #[test]
    fn a_permanent_exclusion_has_no_last_day_5_6() {
        let e = exclusion(ExclusionKind::Permanent, Some(day(2026, 3, 9)));
        assert!(exclusion_in_force(&e, day(2030, 1, 1)));
    }

    #[test]
    fn an_ending_temporary_exclusion_is_due_and_the_list_is_soonest_first() {
        let facts = DeadlineFacts {
            temporary_exclusions: vec![
                exclusion::Model {
                    id: 2,
                    ..exclusion(ExclusionKind::Temporary, Some(day(2026, 3, 12)))
                },
                exclusion(ExclusionKind::Temporary, Some(day(2026, 3, 9))),
            ],
            ..DeadlineFacts::default()
        };
        let due = deadlines(&facts, day(2026, 3, 6), 14);
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].due_on, day(2026, 3, 9));
        assert_eq!(due[0].kind, "temporary_exclusion_ending");
        assert!(!due[0].overdue);
        assert_eq!(
            due[0].case, None,
            "the case is not among the open cases in scope"
        );
    }
}
