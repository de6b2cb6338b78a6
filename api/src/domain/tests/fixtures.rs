//! Case files at each stage of the policy, the people who act on them, and moments in time.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entities::enums::{
    CaseStage, CaseStatus, ConsultedRole, DeciderRole, ReportChannel, ReporterRole,
    RestrictionStatus, WarningStatus,
};
use entities::restriction_parameters::{
    ContactForm, EstablishmentExclusion, RestrictionParameters,
};
use entities::{
    behaviour_report, determination, establishment, restriction, stage_1_warning, stage_2_decision,
    upc_case,
};

use crate::domain::DomainError;
use crate::domain::lifecycle::{CaseFile, LifecycleSettings};
use crate::domain::roles::{Principal, Role};

/// The service the cases are in.
pub const HOUSING: &str = "HOU";
/// Its id.
pub const HOUSING_ID: i64 = 1;

/// 10:00 UTC on a day.
pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).single().unwrap()
}

/// A day.
pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Someone holding `roles` in `services`.
pub fn person(roles: &[Role], services: &[&str]) -> Principal {
    Principal {
        subject: format!("{roles:?}").to_lowercase(),
        name: Some("A Person".into()),
        roles: roles.iter().copied().collect(),
        services: services.iter().map(|s| s.to_string()).collect(),
        services_from_directory: false,
    }
}

/// A Housing officer.
pub fn officer() -> Principal {
    person(&[Role::Officer], &[HOUSING])
}
/// The Housing Service manager.
pub fn service_manager() -> Principal {
    person(&[Role::ServiceManager], &[HOUSING])
}
/// The Housing Head of Service.
pub fn head_of_service() -> Principal {
    person(&[Role::HeadOfService], &[HOUSING])
}
/// The Group Director over Housing.
pub fn group_director() -> Principal {
    person(&[Role::GroupDirector], &[HOUSING])
}
/// Legal Services (every service).
pub fn legal_services() -> Principal {
    person(&[Role::LegalServices], &[])
}

/// The default settings: a review within 12 months.
pub fn settings() -> LifecycleSettings {
    LifecycleSettings::default()
}

/// The refusal's code, as the client sees it.
pub fn code(err: &DomainError) -> &'static str {
    crate::error::ApiError::from(err.clone()).code()
}

/// An open case in Housing at `stage`.
fn case(stage: CaseStage, opened: DateTime<Utc>) -> upc_case::Model {
    upc_case::Model {
        id: 7,
        reference: "UPC-2026-0007".into(),
        customer_id: 3,
        service_id: HOUSING_ID,
        stage,
        status: CaseStatus::Open,
        opened_at: opened,
        closed_at: None,
        closure_reason: None,
        appeal_deadline: None,
        review_due_on: None,
        flagged_for_review: false,
        flag_reason: None,
        version: 4,
        created_at: opened,
    }
}

/// A report of behaviour on case 7 at `when`.
pub fn report(id: i64, when: DateTime<Utc>) -> behaviour_report::Model {
    behaviour_report::Model {
        id,
        case_id: 7,
        reported_by: "officer".into(),
        reporter_name: "An Officer".into(),
        reporter_role: ReporterRole::Officer,
        channel: ReportChannel::Telephone,
        occurred_at: when,
        description: "Eleven calls in a morning".into(),
        version: 1,
        created_at: when,
    }
}

/// A case just reported on 2 March 2026.
pub fn reported() -> CaseFile {
    let when = at(2026, 3, 2);
    CaseFile {
        case: case(CaseStage::Reported, when),
        service_code: HOUSING.into(),
        reports: vec![report(1, when)],
        determinations: Vec::new(),
        warnings: Vec::new(),
        appeals: Vec::new(),
        decisions: Vec::new(),
        restrictions: Vec::new(),
        breaches: Vec::new(),
        reviews: Vec::new(),
        adjustments: Vec::new(),
    }
}

/// The behaviour of [`reported`] determined unreasonable on 4 March 2026.
pub fn determined() -> CaseFile {
    let mut file = reported();
    file.case.stage = CaseStage::DeterminedUnreasonable;
    file.determinations.push(determination::Model {
        id: 11,
        case_id: 7,
        report_id: Some(1),
        decided_by: "manager".into(),
        decider_role: DeciderRole::ServiceManager,
        unreasonable: true,
        reasons: "Unreasonable under 2.3".into(),
        decided_at: at(2026, 3, 4),
        version: 1,
        created_at: at(2026, 3, 4),
    });
    file
}

/// [`determined`], then warned with a letter dated `letter_date`, appealable until `deadline`.
pub fn warned(letter_date: NaiveDate, deadline: NaiveDate) -> CaseFile {
    let mut file = determined();
    file.case.stage = CaseStage::Stage1Warning;
    file.case.appeal_deadline = Some(deadline);
    file.warnings.push(stage_1_warning::Model {
        id: 21,
        case_id: 7,
        determination_id: Some(11),
        issued_by: "head".into(),
        letter_date,
        service_director_consulted: "The Service Director".into(),
        consulted_on: letter_date,
        adjustments_considered: "Considered".into(),
        proportionality: "Least restrictive".into(),
        feedback_officer_copied: true,
        legal_services_notified_at: Some(at(2026, 3, 6)),
        appeal_deadline: deadline,
        period_ends_on: letter_date.checked_add_months(chrono::Months::new(12)),
        status: WarningStatus::Active,
        version: 1,
        created_at: at(2026, 3, 6),
    });
    file
}

/// A restriction on case 7 from `starts_on`, of `parameters`, in force.
pub fn restriction(
    id: i64,
    parameters: RestrictionParameters,
    starts_on: NaiveDate,
) -> restriction::Model {
    restriction::Model {
        id,
        case_id: 7,
        service_id: HOUSING_ID,
        decision_id: Some(31),
        kind: parameters.kind(),
        parameters,
        starts_on,
        ends_on: None,
        review_due_on: day(2027, 4, 1),
        status: RestrictionStatus::Active,
        permanent: false,
        lifted_on: None,
        lifted_reason: None,
        version: 1,
        created_at: at(2026, 4, 1),
    }
}

/// Letters only.
pub fn letters_only() -> RestrictionParameters {
    RestrictionParameters::ContactForm(ContactForm {
        permitted_channels: vec![entities::enums::ContactChannel::Letter],
    })
}

/// Excluded from establishment 5.
pub fn excluded_from_office() -> RestrictionParameters {
    RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
        establishment_ids: vec![5],
    })
}

/// The Housing office, establishment 5, run by Housing.
pub fn housing_office() -> establishment::Model {
    establishment::Model {
        id: 5,
        service_id: Some(HOUSING_ID),
        name: "Housing Office".into(),
        address: "1 High Street".into(),
        active: true,
        version: 1,
        created_at: at(2026, 1, 1),
    }
}

/// A case restricted on 1 April 2026 after a warning: letters only (restriction 41) and an
/// exclusion from the Housing office (restriction 42), to be reviewed by 1 April 2027.
pub fn restricted() -> CaseFile {
    let mut file = warned(day(2026, 3, 6), day(2026, 3, 27));
    file.case.stage = CaseStage::Stage2Restricted;
    file.case.appeal_deadline = None;
    file.case.review_due_on = Some(day(2027, 4, 1));
    file.reports.push(report(2, at(2026, 3, 20)));
    file.decisions.push(stage_2_decision::Model {
        id: 31,
        case_id: 7,
        warning_id: Some(21),
        immediate: false,
        exceptional_reasons: None,
        decided_by: "director".into(),
        decided_on: day(2026, 4, 1),
        consulted_role: ConsultedRole::LegalServices,
        consulted_name: "A Lawyer".into(),
        adjustments_considered: "Considered".into(),
        proportionality: "Least restrictive".into(),
        reasons: "Continued after the warning".into(),
        review_due_on: day(2027, 4, 1),
        service_team_notified_at: Some(at(2026, 4, 1)),
        version: 1,
        created_at: at(2026, 4, 1),
    });
    file.restrictions = vec![
        restriction(41, letters_only(), day(2026, 4, 1)),
        restriction(42, excluded_from_office(), day(2026, 4, 1)),
    ];
    file
}
