//! Reasonable adjustments (Equality Act 2010): recorded, updated, ended; which a decision may
//! link as considered.

use entities::enums::{AdjustmentStatus, CustomerKind, Language};
use entities::{customer, reasonable_adjustment};

use super::fixtures::*;
use crate::domain::adjustments::{
    AdjustmentId, EndAdjustment, RecordAdjustment, UpdateAdjustment, considered, end, in_place_on,
    record, update,
};
use crate::domain::outcome::{New, Row};
use crate::domain::roles::Role;
use crate::domain::values::{RecordId, Text};

fn text(s: &str) -> Text {
    Text::parse("t", s).unwrap()
}

fn the_customer() -> customer::Model {
    customer::Model {
        id: 7,
        reference: "C-000007".into(),
        kind: CustomerKind::Person,
        display_name: "A Customer".into(),
        address: None,
        email: None,
        phone: None,
        preferred_language: Language::En,
        version: 1,
        created_at: at(2026, 1, 1),
        disability_or_unmet_need_noted: None,
        service_id: None,
        merged_into_id: None,
        merged_at: None,
    }
}

fn adjustment(
    id: i64,
    customer_id: i64,
    agreed: Option<(i32, u32, u32)>,
    ended: Option<(i32, u32, u32)>,
) -> reasonable_adjustment::Model {
    reasonable_adjustment::Model {
        id,
        customer_id,
        description: "Large print".into(),
        need: Some("Sight loss".into()),
        agreed_by: Some("Manager".into()),
        agreed_on: agreed.map(|(y, m, d)| day(y, m, d)),
        review_on: None,
        status: if ended.is_some() {
            AdjustmentStatus::Ended
        } else {
            AdjustmentStatus::Active
        },
        ended_on: ended.map(|(y, m, d)| day(y, m, d)),
        end_reasons: None,
        recorded_by: "officer".into(),
        recorded_at: at(2026, 1, 1),
        version: 1,
        created_at: at(2026, 1, 1),
    }
}

fn recorded() -> RecordAdjustment {
    RecordAdjustment {
        need: text("Sight loss"),
        adjustment: text("Large print letters"),
        agreed_by: text("Housing service manager"),
        agreed_on: day(2026, 3, 1),
        review_on: Some(day(2026, 9, 1)),
    }
}

#[test]
fn staff_record_an_adjustment_with_its_need_and_who_agreed_it_and_its_audit() {
    let out = record(recorded(), &the_customer(), &officer(), at(2026, 3, 2)).unwrap();
    let Some(New::Row(Row::Adjustment(a))) = out.created.first() else {
        panic!("{out:?}")
    };
    assert_eq!(a.customer_id, 7);
    assert_eq!(a.need.as_deref(), Some("Sight loss"));
    assert_eq!(a.description, "Large print letters");
    assert_eq!(a.status, AdjustmentStatus::Active);
    assert_eq!(
        out.audit.unwrap().action,
        "customer.record_reasonable_adjustment"
    );
    for role in [Role::StandardsCommittee, Role::ElectedMember, Role::Admin] {
        let refused = record(
            recorded(),
            &the_customer(),
            &person(&[role], &[HOUSING]),
            at(2026, 3, 2),
        )
        .unwrap_err();
        assert_eq!(code(&refused), "FORBIDDEN");
    }
}

#[test]
fn dates_are_checked() {
    let future = record(recorded(), &the_customer(), &officer(), at(2026, 2, 27)).unwrap_err();
    assert_eq!(code(&future), "BAD_USER_INPUT");
    let early_review = RecordAdjustment {
        review_on: Some(day(2026, 3, 1)),
        ..recorded()
    };
    assert!(record(early_review, &the_customer(), &officer(), at(2026, 3, 2)).is_err());
}

#[test]
fn an_update_needs_the_version_read_and_an_adjustment_still_in_place() {
    let stored = adjustment(3, 7, Some((2026, 1, 5)), None);
    let cmd = |version| UpdateAdjustment {
        version,
        need: None,
        adjustment: Some(text("Email only")),
        agreed_by: None,
        agreed_on: None,
        review_on: None,
    };
    let stale = update(cmd(2), &stored, &officer(), at(2026, 3, 2)).unwrap_err();
    assert_eq!(code(&stale), "CONFLICT");
    let out = update(cmd(1), &stored, &officer(), at(2026, 3, 2)).unwrap();
    let Row::Adjustment(after) = &out.changed[0].after else {
        panic!()
    };
    assert_eq!(after.description, "Email only");
    assert_eq!(after.need.as_deref(), Some("Sight loss"));
    let ended = adjustment(4, 7, Some((2026, 1, 5)), Some((2026, 2, 1)));
    let refused = update(cmd(1), &ended, &officer(), at(2026, 3, 2)).unwrap_err();
    assert_eq!(code(&refused), "INVALID_TRANSITION");
}

#[test]
fn ending_an_adjustment_keeps_the_day_and_why() {
    let stored = adjustment(3, 7, Some((2026, 1, 5)), None);
    let cmd = |ended_on| EndAdjustment {
        version: 1,
        ended_on,
        reasons: text("No longer needed"),
    };
    let out = end(cmd(None), &stored, &officer(), at(2026, 3, 2)).unwrap();
    let Row::Adjustment(after) = &out.changed[0].after else {
        panic!()
    };
    assert_eq!(after.status, AdjustmentStatus::Ended);
    assert_eq!(after.ended_on, Some(day(2026, 3, 2)));
    assert_eq!(after.end_reasons.as_deref(), Some("No longer needed"));
    assert!(
        end(
            cmd(Some(day(2026, 1, 4))),
            &stored,
            &officer(),
            at(2026, 3, 2)
        )
        .is_err()
    );
    assert!(
        end(
            cmd(Some(day(2026, 3, 3))),
            &stored,
            &officer(),
            at(2026, 3, 2)
        )
        .is_err()
    );
}

#[test]
fn in_place_from_the_day_agreed_until_the_day_ended() {
    let a = adjustment(1, 7, Some((2026, 1, 5)), Some((2026, 2, 1)));
    assert!(!in_place_on(&a, day(2026, 1, 4)));
    assert!(in_place_on(&a, day(2026, 1, 5)));
    assert!(in_place_on(&a, day(2026, 1, 31)));
    assert!(!in_place_on(&a, day(2026, 2, 1)));
    let legacy = adjustment(2, 7, None, None);
    assert!(
        in_place_on(&legacy, day(2000, 1, 1)),
        "recorded before issue 19"
    );
}

#[test]
fn a_decision_may_link_only_the_customers_adjustments_in_place_on_its_day() {
    let mine = adjustment(1, 7, Some((2026, 1, 5)), None);
    let later = adjustment(2, 7, Some((2026, 3, 1)), None);
    let theirs = adjustment(3, 8, Some((2026, 1, 5)), None);
    let all = [mine, later, theirs];
    let ids = |ns: &[i64]| {
        ns.iter()
            .map(|n| AdjustmentId::from_key(*n))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        considered(&ids(&[1, 1]), &all[..2], day(2026, 2, 1)).unwrap(),
        vec![1]
    );
    for (sent, on) in [
        (vec![2], day(2026, 2, 1)),
        (vec![3], day(2026, 2, 1)),
        (vec![9], day(2026, 2, 1)),
    ] {
        let refused = considered(&ids(&sent), &all[..2], on).unwrap_err();
        assert_eq!(code(&refused), "BAD_USER_INPUT");
    }
    assert!(
        considered(&[], &all[..2], day(2026, 2, 1))
            .unwrap()
            .is_empty()
    );
}
