//! Keeping a customer's record (2.3, 5.4): who may, members only for several people or a group,
//! letters to a representative only with authority and an address, merging moves every row and
//! undoing it moves exactly those back.

use entities::enums::{CaseStage, CaseStatus, CustomerKind, Language};
use entities::{customer, customer_member, representative, service, upc_case};

use super::fixtures::{HOUSING, HOUSING_ID, at, code, legal_services, officer, person};
use crate::domain::customer_records::{
    self, CustomerFacts, MergeCustomers, MergeFacts, NewMember, RepresentativeDetails,
    UnmergeCustomers, UnmergeFacts, UpdateCustomer,
};
use crate::domain::customers::NewCustomer;
use crate::domain::outcome::{New, Row};
use crate::domain::roles::Role;
use crate::domain::values::Text;

fn text(s: &str) -> Text {
    Text::parse("x", s).unwrap()
}

fn a_customer(id: i64, kind: CustomerKind) -> customer::Model {
    customer::Model {
        id,
        reference: format!("C-{id:06}"),
        kind,
        display_name: "A Customer (fictional)".into(),
        address: Some("1 Street".into()),
        email: None,
        phone: None,
        preferred_language: Language::En,
        disability_or_unmet_need_noted: None,
        service_id: Some(HOUSING_ID),
        merged_into_id: None,
        merged_at: None,
        version: 3,
        created_at: at(2026, 1, 5),
    }
}

fn facts(kind: CustomerKind) -> CustomerFacts {
    CustomerFacts {
        customer: a_customer(3, kind),
        service_codes: vec![HOUSING.into()],
        members: 0,
        representatives: Vec::new(),
    }
}

fn housing() -> service::Model {
    service::Model {
        id: HOUSING_ID,
        code: HOUSING.into(),
        name: "Housing".into(),
        active: true,
        version: 1,
        created_at: at(2026, 1, 1),
    }
}

fn rep(id: i64, letters: bool) -> representative::Model {
    representative::Model {
        id,
        customer_id: 3,
        name: format!("Rep {id}"),
        organisation: None,
        relationship: None,
        contact_details: Some("2 Street".into()),
        authority_confirmed: true,
        letters_to_representative: letters,
        version: 1,
        created_at: at(2026, 1, 5),
    }
}

fn details(authority: bool, letters: bool, contact: Option<&str>) -> RepresentativeDetails {
    RepresentativeDetails {
        name: text("Rhian Advocate"),
        organisation: None,
        relationship: None,
        contact_details: contact.map(text),
        authority_confirmed: authority,
        letters_to_representative: letters,
    }
}

fn new_customer() -> NewCustomer {
    NewCustomer {
        display_name: text("New Person"),
        kind: CustomerKind::Person,
        address: None,
        email: None,
        phone: None,
        preferred_language: Language::Cy,
    }
}

#[test]
fn staff_of_the_service_record_a_customer_for_it_5_4() {
    let out = customer_records::create(new_customer(), &housing(), &officer(), at(2026, 2, 1))
        .expect("an officer of the service");
    match &out.created[0] {
        New::Customer(c) => {
            assert_eq!(c.service_id, Some(HOUSING_ID));
            assert_eq!(c.preferred_language, Language::Cy);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.audit.unwrap().action, "customer.create");
    let elsewhere = person(&[Role::Officer], &["EDU"]);
    let err = customer_records::create(new_customer(), &housing(), &elsewhere, at(2026, 2, 1))
        .unwrap_err();
    assert_eq!(code(&err), "FORBIDDEN");
    for role in [Role::ElectedMember, Role::StandardsCommittee, Role::Admin] {
        let err = customer_records::create(
            new_customer(),
            &housing(),
            &person(&[role], &[HOUSING]),
            at(2026, 2, 1),
        )
        .unwrap_err();
        assert_eq!(code(&err), "FORBIDDEN", "{role:?}");
    }
    assert!(
        customer_records::create(
            new_customer(),
            &housing(),
            &legal_services(),
            at(2026, 2, 1)
        )
        .is_ok()
    );
}

#[test]
fn an_update_needs_the_version_read_and_a_person_has_no_members() {
    let stale = UpdateCustomer {
        version: 2,
        ..Default::default()
    };
    let err = customer_records::update(stale, &facts(CustomerKind::Group), &officer()).unwrap_err();
    assert_eq!(code(&err), "CONFLICT");
    let mut with_members = facts(CustomerKind::Group);
    with_members.members = 2;
    let to_person = UpdateCustomer {
        version: 3,
        kind: Some(CustomerKind::Person),
        ..Default::default()
    };
    let err = customer_records::update(to_person, &with_members, &officer()).unwrap_err();
    assert_eq!(
        err,
        crate::domain::DomainError::bad_input("kind", err.message())
    );
    let clear = UpdateCustomer {
        version: 3,
        address: Some(None),
        display_name: Some(text("Renamed")),
        ..Default::default()
    };
    let out = customer_records::update(clear, &facts(CustomerKind::Person), &officer()).unwrap();
    match &out.changed[0].after {
        Row::Customer(c) => {
            assert_eq!(c.address, None);
            assert_eq!(c.display_name, "Renamed");
            assert_eq!(c.kind, CustomerKind::Person);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn members_only_for_several_people_or_a_group_2_3() {
    let member = NewMember {
        name: text("Bea"),
        relationship: None,
    };
    let err = customer_records::add_member(
        member.clone(),
        &facts(CustomerKind::Person),
        &officer(),
        at(2026, 2, 1),
    )
    .unwrap_err();
    assert_eq!(code(&err), "BAD_USER_INPUT");
    for kind in [CustomerKind::SeveralPeople, CustomerKind::Group] {
        let out =
            customer_records::add_member(member.clone(), &facts(kind), &officer(), at(2026, 2, 1))
                .unwrap();
        assert!(matches!(&out.created[0], New::Row(Row::CustomerMember(m)) if m.customer_id == 3));
    }
    let row = customer_member::Model {
        id: 9,
        customer_id: 3,
        name: "Bea".into(),
        relationship: None,
        version: 1,
        created_at: at(2026, 2, 1),
    };
    let err =
        customer_records::remove_member(row.clone(), 2, &facts(CustomerKind::Group), &officer())
            .unwrap_err();
    assert_eq!(code(&err), "CONFLICT");
    let out =
        customer_records::remove_member(row, 1, &facts(CustomerKind::Group), &officer()).unwrap();
    assert_eq!(out.deleted.len(), 1);
}

#[test]
fn letters_go_to_a_representative_only_with_authority_and_an_address() {
    let f = facts(CustomerKind::Person);
    let err = customer_records::add_representative(
        details(false, true, Some("2 Street")),
        &f,
        &officer(),
        at(2026, 2, 1),
    )
    .unwrap_err();
    assert_eq!(
        err,
        crate::domain::DomainError::bad_input("lettersToRepresentative", err.message())
    );
    let err = customer_records::add_representative(
        details(true, true, None),
        &f,
        &officer(),
        at(2026, 2, 1),
    )
    .unwrap_err();
    assert_eq!(
        err,
        crate::domain::DomainError::bad_input("contactDetails", err.message())
    );
    let mut one = f.clone();
    one.representatives = vec![rep(5, true)];
    let err = customer_records::add_representative(
        details(true, true, Some("3 Street")),
        &one,
        &officer(),
        at(2026, 2, 1),
    )
    .unwrap_err();
    assert_eq!(code(&err), "BAD_USER_INPUT");
    // The one that receives letters may be changed itself.
    assert!(
        customer_records::update_representative(
            5,
            1,
            details(true, true, Some("3 Street")),
            &one,
            &officer()
        )
        .is_ok()
    );
    let err = customer_records::update_representative(
        5,
        4,
        details(true, true, Some("3 Street")),
        &one,
        &officer(),
    )
    .unwrap_err();
    assert_eq!(code(&err), "CONFLICT");
    // Who letters go to.
    assert_eq!(customer_records::letters_go_to(&[rep(5, false)]), None);
    let mut unconfirmed = rep(6, true);
    unconfirmed.authority_confirmed = false;
    assert_eq!(customer_records::letters_go_to(&[unconfirmed]), None);
    assert_eq!(
        customer_records::letters_go_to(&[rep(5, false), rep(7, true)]).map(|r| r.id),
        Some(7)
    );
}

fn case(id: i64, customer_id: i64, status: CaseStatus) -> upc_case::Model {
    upc_case::Model {
        id,
        reference: format!("UPC-2026-{id:04}"),
        customer_id,
        service_id: HOUSING_ID,
        stage: CaseStage::Reported,
        status,
        opened_at: at(2026, 1, 5),
        closed_at: None,
        closure_reason: None,
        appeal_deadline: None,
        review_due_on: None,
        flagged_for_review: false,
        flag_reason: None,
        version: 1,
        created_at: at(2026, 1, 5),
    }
}

fn merge_facts(keep_cases: Vec<upc_case::Model>, merged_case: CaseStatus) -> MergeFacts {
    let mut r = rep(8, false);
    r.customer_id = 4;
    MergeFacts {
        keep: a_customer(3, CustomerKind::Person),
        merge: a_customer(4, CustomerKind::Person),
        keep_cases,
        rows: vec![Row::Case(case(11, 4, merged_case)), Row::Representative(r)],
        service_codes: [(HOUSING_ID, HOUSING.to_string())].into_iter().collect(),
    }
}

fn merge_cmd() -> MergeCustomers {
    MergeCustomers {
        keep_version: 3,
        merge_version: 3,
        reason: text("Same person"),
    }
}

#[test]
fn a_merge_moves_every_row_and_marks_the_record_merged_never_deleting_it() {
    let err = customer_records::merge(
        merge_cmd(),
        merge_facts(vec![], CaseStatus::Open),
        &officer(),
        at(2026, 3, 1),
    )
    .unwrap_err();
    assert_eq!(code(&err), "FORBIDDEN");
    let out = customer_records::merge(
        merge_cmd(),
        merge_facts(vec![case(10, 3, CaseStatus::Closed)], CaseStatus::Open),
        &legal_services(),
        at(2026, 3, 1),
    )
    .unwrap();
    assert!(out.deleted.is_empty());
    let moved: Vec<i64> = out
        .changed
        .iter()
        .filter_map(|c| customer_records::customer_of(&c.after))
        .collect();
    assert_eq!(moved, vec![3, 3]);
    let merged = out.changed_row("customer", 4).unwrap();
    assert!(
        matches!(merged, Row::Customer(c) if c.merged_into_id == Some(3) && c.merged_at.is_some())
    );
    let audit = out.audit.unwrap();
    assert_eq!(audit.action, "customer.merge");
    assert_eq!(
        audit.note.unwrap()["moved"],
        serde_json::json!({"upc_case": [11], "representative": [8]})
    );
    // Two open cases in one service would be left on one record.
    let err = customer_records::merge(
        merge_cmd(),
        merge_facts(vec![case(10, 3, CaseStatus::Open)], CaseStatus::Open),
        &legal_services(),
        at(2026, 3, 1),
    )
    .unwrap_err();
    assert_eq!(code(&err), "CONFLICT");
    let stale = MergeCustomers {
        merge_version: 1,
        ..merge_cmd()
    };
    let err = customer_records::merge(
        stale,
        merge_facts(vec![], CaseStatus::Open),
        &legal_services(),
        at(2026, 3, 1),
    )
    .unwrap_err();
    assert_eq!(code(&err), "CONFLICT");
}

#[test]
fn undoing_a_merge_moves_back_exactly_what_it_recorded() {
    let recorded = customer_records::recorded_moves(Some(
        &serde_json::json!({"moved": {"upc_case": [11], "representative": [8]}}),
    ))
    .unwrap();
    assert_eq!(recorded["upc_case"], vec![11]);
    assert_eq!(
        code(&customer_records::recorded_moves(None).unwrap_err()),
        "NOT_FOUND"
    );
    let mut merged = a_customer(4, CustomerKind::Person);
    merged.merged_into_id = Some(3);
    merged.merged_at = Some(at(2026, 3, 1));
    let mut r = rep(8, false);
    r.customer_id = 3;
    let facts = UnmergeFacts {
        merged,
        kept: a_customer(3, CustomerKind::Person),
        moved: vec![
            Row::Case(case(11, 3, CaseStatus::Open)),
            Row::Representative(r),
        ],
    };
    let cmd = UnmergeCustomers {
        version: 3,
        reason: text("Not the same person"),
    };
    let err = customer_records::unmerge(cmd.clone(), facts.clone(), &legal_services()).unwrap_err();
    assert_eq!(code(&err), "FORBIDDEN");
    let admin = person(&[Role::Admin], &[]);
    let out = customer_records::unmerge(cmd.clone(), facts.clone(), &admin).unwrap();
    let back: Vec<i64> = out
        .changed
        .iter()
        .filter_map(|c| customer_records::customer_of(&c.after))
        .collect();
    assert_eq!(back, vec![4, 4]);
    assert!(matches!(
        out.changed_row("customer", 4),
        Some(Row::Customer(c)) if c.merged_into_id.is_none() && c.merged_at.is_none()
    ));
    let stale = UnmergeCustomers { version: 1, ..cmd };
    assert_eq!(
        code(&customer_records::unmerge(stale, facts, &admin).unwrap_err()),
        "CONFLICT"
    );
}
