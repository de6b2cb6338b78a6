//! Appeals (6, 3.6).

use entities::enums::{AppealOutcome, CaseStage, ExclusionKind, LetterKind, WarningStatus};
use entities::{appeal, exclusion};

use super::fixtures::*;
use crate::domain::appeals::{
    DecideAppeal, LogAppeal, decide_appeal, log_appeal, refuse_exclusion_appeal,
};
use crate::domain::outcome::{New, Row};
use crate::domain::values::Text;

fn appeal_received(received_on: chrono::NaiveDate, late_reason: Option<&str>) -> LogAppeal {
    LogAppeal {
        version: 4,
        received_on,
        grounds: Text::parse("grounds", "I was only asking about my repair").unwrap(),
        late_reason: late_reason.map(|r| Text::parse("lateReason", r).unwrap()),
    }
}

#[test]
fn an_appeal_after_the_fifteen_working_days_is_out_of_time_unless_accepted_late_6_1() {
    let file = warned(day(2026, 3, 6), day(2026, 3, 27));
    let now = at(2026, 3, 31);
    let refused = log_appeal(
        appeal_received(day(2026, 3, 30), None),
        &file,
        &legal_services(),
        now,
    )
    .unwrap_err();
    assert_eq!(code(&refused), "APPEAL_OUT_OF_TIME");
    let out = log_appeal(
        appeal_received(day(2026, 3, 30), Some("The customer was in hospital")),
        &file,
        &legal_services(),
        now,
    )
    .unwrap();
    let New::Row(Row::Appeal(a)) = &out.created[0] else {
        panic!("an appeal is logged: {out:?}");
    };
    assert!(a.accepted_late);
    assert!(
        a.group_director_notified_at.is_some(),
        "6.2: the Group Director is told"
    );
    assert_eq!(a.outcome, AppealOutcome::Pending);
}

#[test]
fn an_appeal_in_time_needs_no_late_reason_6_1() {
    let file = warned(day(2026, 3, 6), day(2026, 3, 27));
    let refused = log_appeal(
        appeal_received(day(2026, 3, 27), Some("not needed")),
        &file,
        &legal_services(),
        at(2026, 3, 27),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
}

#[test]
fn legal_services_log_appeals_not_the_service_6_1() {
    let file = warned(day(2026, 3, 6), day(2026, 3, 27));
    let refused = log_appeal(
        appeal_received(day(2026, 3, 10), None),
        &file,
        &head_of_service(),
        at(2026, 3, 10),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
}

fn pending_appeal() -> crate::domain::lifecycle::CaseFile {
    let mut file = warned(day(2026, 3, 6), day(2026, 3, 27));
    file.appeals.push(appeal::Model {
        id: 51,
        case_id: 7,
        warning_id: 21,
        received_on: day(2026, 3, 10),
        grounds: "I disagree".into(),
        logged_by: "legal".into(),
        accepted_late: false,
        late_reason: None,
        group_director_notified_at: Some(at(2026, 3, 10)),
        outcome: AppealOutcome::Pending,
        decided_by: None,
        decided_at: None,
        decision_reasons: None,
        customer_told_at: None,
        version: 1,
        created_at: at(2026, 3, 10),
    });
    file
}

#[test]
fn an_upheld_appeal_withdraws_the_warning_and_closes_the_case_6_2() {
    let out = decide_appeal(
        DecideAppeal {
            version: 4,
            upheld: true,
            reasons: Text::parse("reasons", "The calls were about a genuine leak").unwrap(),
        },
        &pending_appeal(),
        &group_director(),
        at(2026, 3, 16),
    )
    .unwrap();
    let afters: Vec<&Row> = out.changed.iter().map(|c| &c.after).collect();
    assert!(
        matches!(afters[0], Row::Appeal(a) if a.outcome == AppealOutcome::Upheld),
        "{afters:?}"
    );
    assert!(matches!(afters[1], Row::Warning(w) if w.status == WarningStatus::Withdrawn));
    assert!(
        matches!(afters[2], Row::Case(c) if c.stage == CaseStage::Closed && c.appeal_deadline.is_none())
    );
    assert_eq!(out.letters[0].kind, LetterKind::AppealOutcome);
    assert_eq!(out.letters[0].content.appeal_upheld, Some(true));
}

#[test]
fn an_appeal_not_upheld_leaves_the_warning_standing_6_2() {
    let out = decide_appeal(
        DecideAppeal {
            version: 4,
            upheld: false,
            reasons: Text::parse("reasons", "The warning was proportionate").unwrap(),
        },
        &pending_appeal(),
        &group_director(),
        at(2026, 3, 16),
    )
    .unwrap();
    assert!(
        !out.changed
            .iter()
            .any(|c| matches!(c.after, Row::Warning(_)))
    );
    assert!(
        matches!(&out.changed.last().unwrap().after, Row::Case(c) if c.stage == CaseStage::Stage1Warning)
    );
}

fn exclusion(health_and_safety: bool) -> exclusion::Model {
    exclusion::Model {
        id: 61,
        case_id: 7,
        kind: ExclusionKind::Temporary,
        health_and_safety,
        starts_on: day(2026, 3, 2),
        ends_on: Some(day(2026, 3, 16)),
        reasons: "Threatened staff".into(),
        authorised_by: "manager".into(),
        agreed_by: None,
        agreed_by_role: None,
        agreed_at: None,
        agreement_reasons: None,
        hs_incident_id: Some(71),
        lifted_on: None,
        lifted_reason: None,
        version: 1,
        created_at: at(2026, 3, 2),
    }
}

#[test]
fn there_is_no_right_of_appeal_against_a_health_and_safety_exclusion_3_6() {
    let refused = refuse_exclusion_appeal(&exclusion(true), HOUSING, &legal_services());
    assert_eq!(code(&refused), "NO_RIGHT_OF_APPEAL");
    assert!(refused.message().contains("3.6"), "{refused:?}");
    let other = refuse_exclusion_appeal(&exclusion(false), HOUSING, &legal_services());
    assert_eq!(code(&other), "NO_RIGHT_OF_APPEAL");
    assert!(other.message().contains("6.1"), "{other:?}");
}
