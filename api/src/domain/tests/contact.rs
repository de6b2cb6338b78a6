//! At the point of contact (5.2, 5.6).

use entities::enums::{ContactChannel, ContactDirection, ContactOutcome};
use entities::service;

use super::fixtures::*;
use crate::domain::contact::{CheckFacts, ContactFacts, LogContact, log_contact};
use crate::domain::outcome::{New, Row};
use crate::domain::values::{CustomerId, RecordId, Text};

#[test]
fn repeat_correspondence_without_a_new_issue_is_placed_on_file_5_2() {
    assert_eq!(
        LogContact::screen(true, Some(false), None).unwrap(),
        (ContactOutcome::PlacedOnFile, Some(false))
    );
    let unread = LogContact::screen(true, None, None).unwrap_err();
    assert_eq!(
        code(&unread),
        "BAD_USER_INPUT",
        "it must be read for a new issue"
    );
    let filed_by_hand = LogContact::screen(false, None, Some(ContactOutcome::PlacedOnFile));
    assert!(
        filed_by_hand.is_err(),
        "only repeat correspondence is placed on file"
    );
}

#[test]
fn an_inbound_contact_a_restriction_forbids_is_a_breach_and_an_ignored_exclusion_flags_the_case_5_6()
 {
    let file = restricted();
    let facts = ContactFacts {
        service: service::Model {
            id: HOUSING_ID,
            code: HOUSING.into(),
            name: "Housing".into(),
            active: true,
            version: 1,
            created_at: at(2026, 1, 1),
        },
        customer_exists: true,
        officer: None,
        open_case: Some(file.case.clone()),
        check: CheckFacts {
            cases: vec![file.case.clone()],
            restrictions: file.restrictions.clone(),
            ..CheckFacts::default()
        },
    };
    let visit = LogContact {
        customer: CustomerId::from_key(3),
        service_code: HOUSING.into(),
        channel: ContactChannel::InPerson,
        occurred_at: at(2026, 5, 4),
        officer: None,
        establishment: Some(crate::domain::values::EstablishmentId::from_key(5)),
        direction: ContactDirection::Inbound,
        summary: Text::parse("summary", "Came to the counter").unwrap(),
        outcome: ContactOutcome::Pending,
        raises_new_issue: None,
        safeguarding_concern: false,
    };
    let (out, verdict) = log_contact(visit, &facts, &officer(), at(2026, 5, 4)).unwrap();
    assert!(!verdict.allowed);
    let breaches: Vec<_> = out
        .created
        .iter()
        .filter_map(|n| match n {
            New::Breach { breach, contact } => Some((breach, contact)),
            _ => None,
        })
        .collect();
    assert_eq!(breaches.len(), 2, "letters only, and the excluded office");
    assert!(breaches.iter().all(|(_, contact)| contact.is_some()));
    let flagged: Vec<_> = out
        .changed
        .iter()
        .filter(|c| matches!(&c.after, Row::Case(c) if c.flagged_for_review))
        .collect();
    assert_eq!(flagged.len(), 1, "the case is flagged once");
}
