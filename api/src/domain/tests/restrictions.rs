//! Restrictions in force (5.3, 5.6): varied, lifted, breached.

use entities::enums::{BreachOutcome, CaseStage, RestrictionStatus};
use entities::notification::AlertEvent;

use super::fixtures::*;
use crate::domain::outcome::{New, Row};
use crate::domain::restrictions::{
    Directory, LiftRestriction, RecordBreach, RestrictionFacts, VaryRestriction, lift,
    record_breach, vary,
};
use crate::domain::values::Text;

fn on(id: i64) -> RestrictionFacts {
    let file = restricted();
    let restriction = file
        .restrictions
        .iter()
        .find(|r| r.id == id)
        .unwrap()
        .clone();
    RestrictionFacts { file, restriction }
}

#[test]
fn a_variation_keeps_the_kind_5_3() {
    let refused = vary(
        VaryRestriction {
            version: 1,
            parameters: excluded_from_office(),
            ends_on: None,
            reasons: Text::parse("reasons", "Change").unwrap(),
        },
        &on(41),
        &Directory {
            establishments: vec![housing_office()],
            ..Directory::default()
        },
        &group_director(),
        at(2026, 5, 1),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused.message().contains("keeps the kind"), "{refused:?}");
}

#[test]
fn lifting_one_restriction_keeps_the_case_lifting_the_last_closes_it() {
    let lift_it = |facts: &RestrictionFacts| {
        lift(
            LiftRestriction {
                version: 1,
                reasons: Text::parse("reasons", "No longer needed").unwrap(),
            },
            facts,
            &group_director(),
            at(2026, 9, 1),
        )
        .unwrap()
    };
    let out = lift_it(&on(41));
    assert!(
        matches!(&out.changed[0].after, Row::Restriction(r) if r.status == RestrictionStatus::Lifted)
    );
    assert_eq!(
        out.alerts[0].event,
        AlertEvent::Lifted,
        "5.5: the team is told"
    );
    assert_eq!(out.letters[0].content.lifted.len(), 1);
    assert_eq!(
        out.letters[0].content.restrictions.len(),
        1,
        "one still in force"
    );
    assert!(
        matches!(&out.changed[1].after, Row::Case(c) if c.stage == CaseStage::Stage2Restricted)
    );

    let mut last = on(42);
    last.file.restrictions.retain(|r| r.id == 42);
    let out = lift_it(&last);
    assert!(matches!(&out.changed[1].after, Row::Case(c) if c.stage == CaseStage::Closed));
}

#[test]
fn an_ignored_exclusion_flags_the_case_for_immediate_review_5_6() {
    let out = record_breach(
        RecordBreach {
            occurred_at: at(2026, 5, 4),
            description: Text::parse("description", "Came to the office").unwrap(),
        },
        &on(42),
        &officer(),
        at(2026, 5, 4),
    )
    .unwrap();
    let New::Breach { breach, .. } = &out.created[0] else {
        panic!("a breach: {out:?}");
    };
    assert!(breach.flagged_for_review);
    assert_eq!(breach.outcome, BreachOutcome::Pending);
    assert!(matches!(&out.changed[0].after, Row::Case(c) if c.flagged_for_review));

    let out = record_breach(
        RecordBreach {
            occurred_at: at(2026, 5, 4),
            description: Text::parse("description", "Telephoned").unwrap(),
        },
        &on(41),
        &officer(),
        at(2026, 5, 4),
    )
    .unwrap();
    assert!(matches!(&out.changed[0].after, Row::Case(c) if !c.flagged_for_review));
}

#[test]
fn nothing_before_a_restriction_started_breaches_it_5_6() {
    let refused = record_breach(
        RecordBreach {
            occurred_at: at(2026, 3, 30),
            description: Text::parse("description", "Telephoned").unwrap(),
        },
        &on(41),
        &officer(),
        at(2026, 5, 4),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
}
