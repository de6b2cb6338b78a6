//! Threats to health and safety (3): exclusions from premises.

use entities::enums::ExclusionKind;
use entities::hs_incident;

use super::fixtures::*;
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::outcome::New;
use crate::domain::safety::{
    ExcludeTemporarily, LongTermBasis, NewLongTerm, OnCase, exclude_temporarily, new_long_term,
};
use crate::domain::values::{EstablishmentId, RecordId, Text};

fn threat(imminent_risk: bool) -> OnCase<hs_incident::Model> {
    OnCase {
        record: hs_incident::Model {
            id: 71,
            case_id: 7,
            reported_by: "officer".into(),
            reported_at: at(2026, 3, 2),
            reasons: "Said he would wait for me after work".into(),
            imminent_risk,
            hs_v1_reference: None,
            version: 1,
            created_at: at(2026, 3, 2),
        },
        case: reported().case,
        service_code: HOUSING.into(),
    }
}

fn at_once(ends_on: Option<chrono::NaiveDate>) -> ExcludeTemporarily {
    ExcludeTemporarily {
        establishments: vec![EstablishmentId::from_key(5)],
        starts_on: None,
        ends_on,
        reasons: Text::parse("reasons", "Imminent risk to staff").unwrap(),
    }
}

#[test]
fn a_temporary_exclusion_at_once_is_only_for_an_imminent_risk_of_harm_3_2() {
    let refused = exclude_temporarily(
        at_once(Some(day(2026, 3, 16))),
        &threat(false),
        &[housing_office()],
        &service_manager(),
        &settings(),
        at(2026, 3, 2),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused.message().contains("imminent risk"), "{refused:?}");
    let out = exclude_temporarily(
        at_once(Some(day(2026, 3, 16))),
        &threat(true),
        &[housing_office()],
        &service_manager(),
        &settings(),
        at(2026, 3, 2),
    )
    .unwrap();
    let New::Exclusion {
        exclusion,
        establishments,
    } = &out.created[0]
    else {
        panic!("an exclusion: {out:?}");
    };
    assert_eq!(exclusion.kind, ExclusionKind::Temporary);
    assert!(exclusion.health_and_safety, "3.6: no appeal");
    assert_eq!(establishments, &[5]);
}

#[test]
fn a_temporary_exclusion_has_an_end_date_3_2() {
    let refused = at_once(None)
        .period(day(2026, 3, 2), &settings())
        .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused.message().contains("excludeLongTerm"), "{refused:?}");
}

#[test]
fn a_temporary_exclusion_lasts_at_most_the_set_number_of_days_3_2() {
    // 2 to 16 March, a fortnight: the longest by default.
    let longest = at_once(Some(day(2026, 3, 16)));
    assert!(longest.period(day(2026, 3, 2), &settings()).is_ok());
    let refused = at_once(Some(day(2026, 3, 17)))
        .period(day(2026, 3, 2), &settings())
        .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused.message().contains("at most 14 days"), "{refused:?}");
    assert!(refused.message().contains("excludeLongTerm"), "{refused:?}");
    assert!(refused.message().contains("Head of Service"), "{refused:?}");
    // A council that allows 28 days.
    let longer = LifecycleSettings {
        exclusion_temporary_max_days: 28,
        ..settings()
    };
    assert!(
        at_once(Some(day(2026, 3, 30)))
            .period(day(2026, 3, 2), &longer)
            .is_ok()
    );
    // Started earlier (at once, recorded a day late), the fortnight counts from the start.
    let mut late = at_once(Some(day(2026, 3, 16)));
    late.starts_on = Some(day(2026, 3, 1));
    assert!(late.period(day(2026, 3, 2), &settings()).is_err());
    // The whole step refuses it too, before anything is written.
    let refused = exclude_temporarily(
        at_once(Some(day(2026, 4, 30))),
        &threat(true),
        &[housing_office()],
        &service_manager(),
        &settings(),
        at(2026, 3, 2),
    )
    .unwrap_err();
    assert!(refused.message().contains("at most 14 days"), "{refused:?}");
}

#[test]
fn a_service_manager_alone_cannot_exclude_long_term_3_2() {
    let basis = LongTermBasis {
        incident: Some(threat(true).record),
        case: reported().case,
        service_code: HOUSING.into(),
    };
    let cmd = || NewLongTerm {
        health_and_safety: true,
        establishments: vec![EstablishmentId::from_key(5)],
        starts_on: None,
        ends_on: None,
        reasons: Text::parse("reasons", "Repeated threats").unwrap(),
    };
    let refused = new_long_term(
        cmd(),
        &basis,
        &[housing_office()],
        &service_manager(),
        at(2026, 3, 2),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
    let out = new_long_term(
        cmd(),
        &basis,
        &[housing_office()],
        &head_of_service(),
        at(2026, 3, 2),
    )
    .unwrap();
    let New::Exclusion { exclusion, .. } = &out.created[0] else {
        panic!("an exclusion");
    };
    assert_eq!(exclusion.kind, ExclusionKind::LongTerm);
    assert!(
        exclusion.agreed_by_role.is_some(),
        "the agreement is recorded"
    );
}

#[test]
fn premises_of_another_service_are_not_the_cases_to_exclude_from_5_4() {
    let leisure_centre = entities::establishment::Model {
        service_id: Some(99),
        ..housing_office()
    };
    let refused = exclude_temporarily(
        at_once(Some(day(2026, 3, 16))),
        &threat(true),
        &[leisure_centre],
        &service_manager(),
        &settings(),
        at(2026, 3, 2),
    )
    .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused.message().contains("5.4"), "{refused:?}");
}
