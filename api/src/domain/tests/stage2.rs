//! Stage 2 restricted contact (5.1, 5.3, 5.4, 5.5, 7.1), and what a decision writes.

use entities::enums::{CaseStage, ConsultedRole, LetterKind};
use entities::notification::AlertEvent;

use super::fixtures::*;
use crate::domain::outcome::{New, Ref, Row};
use crate::domain::restrictions::{Directory, RestrictionTerms};
use crate::domain::stage2::{DecideStage2, decide};
use crate::domain::values::Text;

fn decision(exceptional: Option<&str>, restrictions: Vec<RestrictionTerms>) -> DecideStage2 {
    let text = |t: &str| Text::parse("f", t).unwrap();
    DecideStage2 {
        adjustment_ids: Vec::new(),
        version: 4,
        exceptional_reasons: exceptional.map(text),
        consulted_role: ConsultedRole::LegalServices,
        consulted_name: text("A Lawyer"),
        adjustments_considered: text("No unmet need is known"),
        proportionality: text("Letters only is the least restrictive that works"),
        reasons: text("The calls continued after the warning"),
        decided_on: None,
        review_due_on: None,
        restrictions,
    }
}

fn terms(parameters: entities::restriction_parameters::RestrictionParameters) -> RestrictionTerms {
    RestrictionTerms {
        field: "restrictions[0]".into(),
        parameters,
        starts_on: None,
        ends_on: None,
    }
}

/// A warned case whose behaviour continued after the letter.
fn continued() -> crate::domain::lifecycle::CaseFile {
    let mut file = warned(day(2026, 3, 6), day(2026, 3, 27));
    file.reports.push(report(2, at(2026, 3, 20)));
    file
}

#[test]
fn stage_2_after_a_warning_needs_the_behaviour_to_continue_5_1() {
    let quiet = warned(day(2026, 3, 6), day(2026, 3, 27));
    let refused = decide(
        decision(None, vec![terms(letters_only())]),
        &quiet,
        &Directory::default(),
        &settings(),
        &group_director(),
        at(2026, 4, 1),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "INVALID_TRANSITION");
    assert!(refused.message().contains("continues"), "{refused:?}");
}

#[test]
fn stage_2_without_a_warning_is_exceptional_and_says_why_note_to_5_1() {
    let refused = decide(
        decision(None, vec![terms(letters_only())]),
        &determined(),
        &Directory::default(),
        &settings(),
        &group_director(),
        at(2026, 3, 5),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    let out = decide(
        decision(Some("Threats of violence"), vec![terms(letters_only())]),
        &determined(),
        &Directory::default(),
        &settings(),
        &group_director(),
        at(2026, 3, 5),
    )
    .unwrap();
    let New::Row(Row::Decision(d)) = &out.created[0] else {
        panic!("a decision: {out:?}");
    };
    assert!(d.immediate);
    assert_eq!(
        out.letters[0].content.exceptional_reasons.as_deref(),
        Some("Threats of violence"),
        "the customer is given the reasons"
    );
}

#[test]
fn only_the_group_director_decides_stage_2_5_3() {
    let refused = decide(
        decision(None, vec![terms(letters_only())]),
        &continued(),
        &Directory::default(),
        &settings(),
        &head_of_service(),
        at(2026, 4, 1),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
}

#[test]
fn the_review_falls_no_later_than_the_review_period_after_the_decision_7_1() {
    let mut late = decision(None, vec![terms(letters_only())]);
    late.review_due_on = Some(day(2027, 4, 2));
    let refused = decide(
        late,
        &continued(),
        &Directory::default(),
        &settings(),
        &group_director(),
        at(2026, 4, 1),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    let six_months = crate::domain::lifecycle::LifecycleSettings {
        review_period_months: 6,
        ..settings()
    };
    let out = decide(
        decision(None, vec![terms(letters_only())]),
        &continued(),
        &Directory::default(),
        &six_months,
        &group_director(),
        at(2026, 4, 1),
    )
    .unwrap();
    let New::Row(Row::Decision(d)) = &out.created[0] else {
        panic!("a decision");
    };
    assert_eq!(
        d.review_due_on,
        day(2026, 10, 1),
        "Welsh practice: six months"
    );
}

#[test]
fn a_restriction_is_the_case_services_alone_5_4() {
    let leisure_centre = entities::establishment::Model {
        service_id: Some(99),
        name: "Leisure Centre".into(),
        ..housing_office()
    };
    let refused = decide(
        decision(None, vec![terms(excluded_from_office())]),
        &continued(),
        &Directory {
            establishments: vec![leisure_centre],
            ..Directory::default()
        },
        &settings(),
        &group_director(),
        at(2026, 4, 1),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused.message().contains("5.4"), "{refused:?}");
}

/// What a Stage 2 decision writes: the decision; each restriction, linked to it, for the
/// case's service, reviewed by the decision's review date; the service team told of each
/// (5.5); the decision letter; the case restricted with its review date; one audit entry.
#[test]
fn a_stage_2_decision_writes_its_decision_restrictions_alerts_letter_and_audit() {
    let out = decide(
        decision(
            None,
            vec![terms(letters_only()), terms(excluded_from_office())],
        ),
        &continued(),
        &Directory {
            establishments: vec![housing_office()],
            ..Directory::default()
        },
        &settings(),
        &group_director(),
        at(2026, 4, 1),
    )
    .unwrap();
    assert_eq!(out.created.len(), 3);
    assert!(
        matches!(&out.created[0], New::Row(Row::Decision(d)) if d.review_due_on == day(2027, 4, 1))
    );
    for new in &out.created[1..] {
        let New::Restriction {
            restriction,
            decision,
        } = new
        else {
            panic!("a restriction: {new:?}");
        };
        assert_eq!(*decision, Some(Ref::Created(0)));
        assert_eq!(restriction.service_id, HOUSING_ID);
        assert_eq!(restriction.review_due_on, day(2027, 4, 1));
        assert_eq!(restriction.starts_on, day(2026, 4, 1));
    }
    assert_eq!(out.alerts.len(), 2);
    assert!(out.alerts.iter().all(|a| a.event == AlertEvent::Imposed));
    assert_eq!(out.letters.len(), 1);
    assert_eq!(out.letters[0].kind, LetterKind::Stage2Decision);
    assert_eq!(
        out.letters[0].regarding,
        ("stage_2_decision", Ref::Created(0))
    );
    assert_eq!(out.letters[0].content.restrictions.len(), 2);
    let Row::Case(case) = &out.changed[0].after else {
        panic!("the case changes");
    };
    assert_eq!(case.stage, CaseStage::Stage2Restricted);
    assert_eq!(case.review_due_on, Some(day(2027, 4, 1)));
    let audit = out.audit.unwrap();
    assert_eq!(audit.action, "case.decide_stage_2");
    assert_eq!(audit.entity, ("stage_2_decision", Ref::Created(0)));
}
