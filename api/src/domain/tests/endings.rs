//! How a case ends (5.1, 7): the warning period, restrictions ended after review.

use entities::enums::{
    AppealOutcome, BreachOutcome, CaseStage, CaseStatus, ExclusionKind, LetterKind,
    RestrictionStatus, ReviewRecommendation,
};
use entities::{appeal, breach, exclusion, review};

use super::fixtures::*;
use crate::domain::endings::{
    AUDIT_ACTION, Ending, EndingFacts, RESTRICTIONS_ENDED, StaysOpen, WARNING_PERIOD_ENDED, close,
    ending,
};
use crate::domain::lifecycle::{LifecycleSettings, Step};
use crate::domain::outcome::Row;
use crate::letters::Closure;

/// A case warned by a letter of 6 March 2026 (appeal window to 27 March): its period ends
/// on 6 March 2027.
fn warned_case() -> EndingFacts {
    EndingFacts {
        file: warned(day(2026, 3, 6), day(2026, 3, 27)),
        exclusions: Vec::new(),
    }
}

/// [`restricted`] with both restrictions ended (one lifted, one past its last day) and the
/// review of 1 March 2027 endorsed.
fn restrictions_over() -> EndingFacts {
    let mut file = restricted();
    file.restrictions[0].status = RestrictionStatus::Lifted;
    file.restrictions[0].lifted_on = Some(day(2027, 3, 1));
    file.restrictions[1].ends_on = Some(day(2027, 5, 31));
    file.reviews.push(endorsed_review());
    EndingFacts {
        file,
        exclusions: Vec::new(),
    }
}

fn endorsed_review() -> review::Model {
    review::Model {
        id: 81,
        case_id: 7,
        due_on: day(2027, 4, 1),
        conducted_by: Some("legal".into()),
        recommendation: Some(ReviewRecommendation::PartiallyRemove),
        recommendation_reasons: Some("The exclusion may run its course".into()),
        recommended_on: Some(day(2027, 2, 20)),
        endorsed: Some(true),
        endorsed_by: Some("director".into()),
        endorsed_on: Some(day(2027, 3, 1)),
        endorsement_reasons: Some("Agreed".into()),
        customer_told_at: None,
        remove_restriction_ids: Some("[41]".into()),
        version: 2,
        created_at: at(2027, 2, 20),
    }
}

fn exclusion_until(ends_on: chrono::NaiveDate) -> exclusion::Model {
    exclusion::Model {
        id: 61,
        case_id: 7,
        kind: ExclusionKind::Temporary,
        health_and_safety: true,
        starts_on: day(2027, 2, 1),
        ends_on: Some(ends_on),
        reasons: "Threatened staff".into(),
        authorised_by: "manager".into(),
        agreed_by: None,
        agreed_by_role: None,
        agreed_at: None,
        agreement_reasons: None,
        hs_incident_id: None,
        lifted_on: None,
        lifted_reason: None,
        version: 1,
        created_at: at(2027, 2, 1),
    }
}

#[test]
fn a_warning_runs_for_the_warning_period_from_its_letter_5_1() {
    let facts = warned_case();
    assert_eq!(
        ending(&facts, &settings(), day(2027, 3, 6)),
        Err(StaysOpen::WarningPeriodRuns(day(2027, 3, 6))),
        "the last day of the period is still in it"
    );
    assert_eq!(
        ending(&facts, &settings(), day(2027, 3, 7)),
        Ok(Ending::WarningPeriodEnded {
            warning_id: 21,
            ended_on: day(2027, 3, 6)
        })
    );
}

#[test]
fn the_period_kept_with_the_warning_wins_over_the_setting_5_1() {
    // The letter told the customer 6 March 2027; a shorter setting later does not end it early.
    let six_months = LifecycleSettings {
        warning_period_months: 6,
        ..settings()
    };
    let facts = warned_case();
    assert!(ending(&facts, &six_months, day(2026, 10, 1)).is_err());
    // A warning issued before the period was kept is counted from its letter with the setting.
    let mut old = warned_case();
    old.file.warnings[0].period_ends_on = None;
    assert_eq!(
        ending(&old, &six_months, day(2026, 9, 7)),
        Ok(Ending::WarningPeriodEnded {
            warning_id: 21,
            ended_on: day(2026, 9, 6)
        })
    );
}

#[test]
fn closing_at_the_end_of_the_warning_period_writes_the_case_the_letter_and_the_audit_5_1() {
    let facts = warned_case();
    let out = close(&facts, &settings(), at(2027, 3, 8)).unwrap();
    assert!(out.created.is_empty());
    assert_eq!(out.changed.len(), 1);
    let Row::Case(case) = &out.changed[0].after else {
        panic!("the case is changed: {out:?}");
    };
    assert_eq!(case.status, CaseStatus::Closed);
    assert_eq!(case.stage, CaseStage::Closed);
    assert_eq!(case.closed_at, Some(at(2027, 3, 8)));
    let reason = case.closure_reason.clone().unwrap();
    assert!(reason.starts_with(WARNING_PERIOD_ENDED), "{reason}");
    assert!(reason.contains("2027-03-06"), "{reason}");
    assert_eq!(out.changed[0].before, Row::Case(facts.file.case.clone()));
    assert_eq!(out.letters.len(), 1);
    let letter = &out.letters[0];
    assert_eq!(letter.kind, LetterKind::CaseClosed);
    assert_eq!(letter.letter_date, day(2027, 3, 8));
    assert_eq!(letter.content.closure, Some(Closure::WarningPeriodEnded));
    assert_eq!(letter.content.warning_period_ends_on, Some(day(2027, 3, 6)));
    let audit = out.audit.as_ref().unwrap();
    assert_eq!(audit.action, AUDIT_ACTION);
    assert_eq!(audit.entity.0, "upc_case");
    assert_eq!(audit.reason.as_deref(), Some(reason.as_str()));
}

#[test]
fn behaviour_reported_after_the_warning_keeps_the_case_open_5_1() {
    let mut facts = warned_case();
    facts.file.reports.push(report(2, at(2026, 9, 1)));
    assert_eq!(
        ending(&facts, &settings(), day(2027, 6, 1)),
        Err(StaysOpen::BehaviourReportedSinceWarning)
    );
    assert!(close(&facts, &settings(), at(2027, 6, 1)).is_err());
}

#[test]
fn an_appeal_awaiting_its_decision_keeps_the_case_open_6_2() {
    let mut facts = warned_case();
    facts.file.appeals.push(appeal::Model {
        id: 51,
        case_id: 7,
        warning_id: 21,
        received_on: day(2026, 3, 20),
        grounds: "I disagree".into(),
        logged_by: "legal".into(),
        accepted_late: false,
        late_reason: None,
        group_director_notified_at: None,
        outcome: AppealOutcome::Pending,
        decided_by: None,
        decided_at: None,
        decision_reasons: None,
        customer_told_at: None,
        version: 1,
        created_at: at(2026, 3, 20),
    });
    assert_eq!(
        ending(&facts, &settings(), day(2027, 6, 1)),
        Err(StaysOpen::AppealPending)
    );
    facts.file.appeals[0].outcome = AppealOutcome::NotUpheld;
    assert!(ending(&facts, &settings(), day(2027, 6, 1)).is_ok());
}

#[test]
fn an_open_appeal_window_keeps_the_case_open_6_1() {
    // A letter of 18 December 2026 may be appealed to 13 January 2027 (Christmas and New Year
    // do not count); a period ending before that does not cut the window short.
    let mut facts = EndingFacts {
        file: warned(day(2026, 12, 18), day(2027, 1, 13)),
        exclusions: Vec::new(),
    };
    facts.file.warnings[0].period_ends_on = Some(day(2027, 1, 8));
    assert_eq!(
        ending(&facts, &settings(), day(2027, 1, 12)),
        Err(StaysOpen::AppealWindowOpen(day(2027, 1, 13)))
    );
    assert!(ending(&facts, &settings(), day(2027, 1, 14)).is_ok());
}

#[test]
fn an_exclusion_in_force_or_to_come_keeps_the_case_open_3_2() {
    let mut facts = warned_case();
    facts.exclusions.push(exclusion_until(day(2027, 6, 30)));
    assert_eq!(
        ending(&facts, &settings(), day(2027, 4, 1)),
        Err(StaysOpen::ExclusionInForce(61))
    );
    assert!(ending(&facts, &settings(), day(2027, 7, 1)).is_ok());
    facts.exclusions[0].starts_on = day(2027, 8, 1);
    facts.exclusions[0].ends_on = Some(day(2027, 9, 1));
    assert_eq!(
        ending(&facts, &settings(), day(2027, 7, 1)),
        Err(StaysOpen::ExclusionInForce(61)),
        "an exclusion not yet begun is still to come"
    );
}

#[test]
fn a_breach_awaiting_its_outcome_keeps_the_case_open_5_6() {
    let mut facts = warned_case();
    facts.file.breaches.push(breach::Model {
        id: 71,
        case_id: 7,
        restriction_id: None,
        exclusion_id: Some(61),
        contact_id: None,
        occurred_at: at(2026, 5, 1),
        description: "Came to the office".into(),
        recorded_by: "officer".into(),
        flagged_for_review: true,
        outcome: BreachOutcome::Pending,
        version: 1,
        created_at: at(2026, 5, 1),
    });
    assert_eq!(
        ending(&facts, &settings(), day(2027, 6, 1)),
        Err(StaysOpen::BreachPending)
    );
}

#[test]
fn only_stage_1_and_stage_2_cases_end_and_a_closed_case_never_again() {
    let facts = EndingFacts {
        file: determined(),
        exclusions: Vec::new(),
    };
    assert_eq!(
        ending(&facts, &settings(), day(2030, 1, 1)),
        Err(StaysOpen::Stage(CaseStage::DeterminedUnreasonable))
    );
    let mut facts = warned_case();
    let out = close(&facts, &settings(), at(2027, 3, 8)).unwrap();
    let Row::Case(closed) = out.changed[0].after.clone() else {
        panic!("the case is changed");
    };
    facts.file.case = closed;
    assert_eq!(
        ending(&facts, &settings(), day(2027, 3, 9)),
        Err(StaysOpen::Closed)
    );
    // And a closed case offers no step: no appeal, no Stage 2.
    assert!(crate::domain::lifecycle::allowed_steps(&facts.file.facts()).is_empty());
    assert_eq!(
        code(
            &facts
                .file
                .open_step(Step::LogAppeal, &legal_services())
                .unwrap_err()
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn stage_2_ends_when_every_restriction_ended_after_review_7() {
    let facts = restrictions_over();
    assert_eq!(
        ending(&facts, &settings(), day(2027, 5, 31)),
        Err(StaysOpen::RestrictionInForce(42)),
        "restriction 42 is in force to its last day"
    );
    assert_eq!(
        ending(&facts, &settings(), day(2027, 6, 1)),
        Ok(Ending::RestrictionsEnded { expired: vec![42] })
    );
    let out = close(&facts, &settings(), at(2027, 6, 1)).unwrap();
    let Row::Case(case) = &out.changed[0].after else {
        panic!("the case is changed first");
    };
    assert!(
        case.closure_reason
            .as_deref()
            .is_some_and(|r| r.starts_with(RESTRICTIONS_ENDED))
    );
    assert_eq!(case.review_due_on, None, "nothing further is due");
    let Row::Restriction(expired) = &out.changed[1].after else {
        panic!("the ended restriction is marked: {out:?}");
    };
    assert_eq!(
        (expired.id, expired.status),
        (42, RestrictionStatus::Expired)
    );
    assert_eq!(out.changed.len(), 2, "the lifted one is left as it is");
    assert_eq!(
        out.letters[0].content.closure,
        Some(Closure::RestrictionsEnded)
    );
    assert_eq!(out.letters[0].content.lifted.len(), 2);
}

#[test]
fn stage_2_waits_for_the_review_7_1_7_4() {
    let mut facts = restrictions_over();
    facts.file.reviews.clear();
    assert_eq!(
        ending(&facts, &settings(), day(2027, 6, 1)),
        Err(StaysOpen::ReviewNotHeld)
    );
    let mut pending = endorsed_review();
    pending.endorsed = None;
    facts.file.reviews.push(pending);
    assert_eq!(
        ending(&facts, &settings(), day(2027, 6, 1)),
        Err(StaysOpen::ReviewPending)
    );
}

#[test]
fn a_permanent_or_open_ended_restriction_never_ends_by_itself_5_6() {
    let mut facts = restrictions_over();
    facts.file.restrictions[1].permanent = true;
    assert_eq!(
        ending(&facts, &settings(), day(2030, 1, 1)),
        Err(StaysOpen::RestrictionInForce(42))
    );
    facts.file.restrictions[1].permanent = false;
    facts.file.restrictions[1].ends_on = None;
    assert_eq!(
        ending(&facts, &settings(), day(2030, 1, 1)),
        Err(StaysOpen::RestrictionInForce(42))
    );
}
