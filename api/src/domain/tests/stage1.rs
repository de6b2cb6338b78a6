//! Stage 1 (5.1, 6.1): determination and the warning.

use chrono::Datelike;
use entities::enums::{CaseStage, CaseStatus, LetterKind};

use super::fixtures::*;
use crate::calendar::Calendar;
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::outcome::{New, Row};
use crate::domain::roles::Role;
use crate::domain::stage1::{DetermineBehaviour, IssueWarning, determine, issue_warning};
use crate::domain::values::Text;

fn determination(unreasonable: bool) -> DetermineBehaviour {
    DetermineBehaviour {
        version: 4,
        unreasonable,
        reasons: Text::parse("reasons", "Eleven calls in a morning").unwrap(),
        report: None,
    }
}

fn warning(letter_date: chrono::NaiveDate, consulted_on: chrono::NaiveDate) -> IssueWarning {
    IssueWarning {
        adjustment_ids: Vec::new(),
        version: 4,
        letter_date: Some(letter_date),
        reasons: Text::parse("reasons", "The calls disrupt the service").unwrap(),
        service_director_consulted: Text::parse("c", "The Service Director").unwrap(),
        consulted_on,
        adjustments_considered: Text::parse("a", "No unmet need known").unwrap(),
        proportionality: Text::parse("p", "A warning is the least step").unwrap(),
    }
}

#[test]
fn only_the_service_manager_or_head_of_service_of_the_service_determines_5_1() {
    let file = reported();
    let now = at(2026, 3, 4);
    let refused = determine(determination(true), &file, &officer(), now).unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
    let elsewhere = person(&[Role::ServiceManager], &["LEI"]);
    let refused = determine(determination(true), &file, &elsewhere, now).unwrap_err();
    assert_eq!(
        code(&refused),
        "FORBIDDEN",
        "5.4: another service's manager"
    );
    assert!(determine(determination(true), &file, &service_manager(), now).is_ok());
    assert!(determine(determination(true), &file, &head_of_service(), now).is_ok());
}

#[test]
fn behaviour_determined_not_unreasonable_closes_the_case_with_the_reasons_5_1() {
    let out = determine(
        determination(false),
        &reported(),
        &service_manager(),
        at(2026, 3, 4),
    )
    .unwrap();
    let Row::Case(after) = &out.changed[0].after else {
        panic!("the case changes: {out:?}");
    };
    assert_eq!(after.stage, CaseStage::Closed);
    assert_eq!(after.status, CaseStatus::Closed);
    assert!(
        after
            .closure_reason
            .as_deref()
            .is_some_and(|r| r.contains("Eleven calls")),
        "{after:?}"
    );
    assert!(out.letters.is_empty());
    assert_eq!(out.audit.unwrap().action, "case.determine_behaviour");
}

#[test]
fn a_stale_version_is_a_conflict() {
    let mut cmd = determination(true);
    cmd.version = 3;
    let refused = determine(cmd, &reported(), &service_manager(), at(2026, 3, 4)).unwrap_err();
    assert_eq!(code(&refused), "CONFLICT");
}

#[test]
fn a_warning_comes_after_the_determination_not_before_5_1() {
    let refused = issue_warning(
        warning(day(2026, 3, 6), day(2026, 3, 5)),
        &reported(),
        &Calendar::new([]),
        &LifecycleSettings::default(),
        &head_of_service(),
        at(2026, 3, 6),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "INVALID_TRANSITION");
}

#[test]
fn the_service_director_is_consulted_before_the_warning_5_1() {
    let cmd = warning(day(2026, 3, 6), day(2026, 3, 9));
    let refused = cmd.validate(day(2026, 3, 6)).unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(
        refused.message().contains("Service Director"),
        "{refused:?}"
    );
}

#[test]
fn only_the_head_of_service_issues_the_warning_5_1() {
    let refused = issue_warning(
        warning(day(2026, 3, 6), day(2026, 3, 5)),
        &determined(),
        &Calendar::new([]),
        &LifecycleSettings::default(),
        &service_manager(),
        at(2026, 3, 6),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
}

#[test]
fn the_appeal_window_is_fifteen_working_days_after_the_letter_skipping_christmas_6_1() {
    // Letter of Friday 18 December 2026: Christmas Day, Boxing Day (moved to Monday 28th)
    // and New Year's Day do not count, nor do weekends.
    let out = issue_warning(
        warning(day(2026, 12, 18), day(2026, 12, 17)),
        &determined(),
        &Calendar::new([]),
        &LifecycleSettings::default(),
        &head_of_service(),
        at(2026, 12, 18),
    )
    .unwrap();
    let New::Row(Row::Warning(w)) = &out.created[0] else {
        panic!("a warning is created: {out:?}");
    };
    assert_eq!(w.appeal_deadline, day(2027, 1, 13));
    assert!(
        w.feedback_officer_copied,
        "the Service Feedback Officer is copied"
    );
    assert!(w.legal_services_notified_at.is_some(), "the central record");
    let letter = &out.letters[0];
    assert_eq!(letter.kind, LetterKind::Stage1Warning);
    assert_eq!(letter.content.appeal_deadline, Some(day(2027, 1, 13)));
    let Row::Case(case) = &out.changed[0].after else {
        panic!("the case changes");
    };
    assert_eq!(case.stage, CaseStage::Stage1Warning);
    assert_eq!(case.appeal_deadline.map(|d| d.year()), Some(2027));
}

#[test]
fn the_warning_keeps_and_its_letter_gives_the_end_of_the_warning_period_5_1() {
    let settings = LifecycleSettings {
        warning_period_months: 6,
        ..LifecycleSettings::default()
    };
    let out = issue_warning(
        warning(day(2026, 8, 31), day(2026, 8, 28)),
        &determined(),
        &Calendar::new([]),
        &settings,
        &head_of_service(),
        at(2026, 8, 31),
    )
    .unwrap();
    let New::Row(Row::Warning(w)) = &out.created[0] else {
        panic!("a warning is created: {out:?}");
    };
    // Six months from 31 August is the last day of February.
    assert_eq!(w.period_ends_on, Some(day(2027, 2, 28)));
    assert_eq!(
        out.letters[0].content.warning_period_ends_on,
        Some(day(2027, 2, 28))
    );
}
