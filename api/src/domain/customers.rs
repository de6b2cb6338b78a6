//! Customers (2.3: a person, several people or a group) and where what is reported about them
//! is filed: on their open case in the service concerned, or on a new case at stage
//! `reported` (5.4: decisions are service based, so a customer has a case per service).

use chrono::{DateTime, Utc};
use entities::enums::{CaseStage, CaseStatus, CustomerKind, Language};
use entities::{customer, service, upc_case};

use super::error::{DomainError, DomainResult};
use super::outcome::{New, Outcome, Ref};
use super::roles::{Principal, Role, role_list};
use super::values::{CaseId, CustomerId, Text};

/// A customer not yet on the system, recorded with the first thing reported about them.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// Name used in the record and in letters.
    pub display_name: Text,
    /// A person, several people or a group (2.3).
    pub kind: CustomerKind,
    /// Postal address for letters.
    pub address: Option<Text>,
    /// Email.
    pub email: Option<Text>,
    /// Telephone.
    pub phone: Option<Text>,
    /// Letters are written in it (Welsh Language Standards).
    pub preferred_language: Language,
}

impl NewCustomer {
    /// The customer's row; the store gives it the next reference.
    pub fn row(self, now: DateTime<Utc>) -> customer::Model {
        customer::Model {
            id: 0,
            reference: String::new(),
            kind: self.kind,
            display_name: self.display_name.into_string(),
            address: self.address.map(Text::into_string),
            email: self.email.map(Text::into_string),
            phone: self.phone.map(Text::into_string),
            preferred_language: self.preferred_language,
            disability_or_unmet_need_noted: None,
            service_id: None,
            merged_into_id: None,
            merged_at: None,
            version: 1,
            created_at: now,
        }
    }
}

/// Who a report is about: a customer on the system, or a new one.
#[derive(Debug, Clone)]
pub enum CustomerChoice {
    /// On the system already.
    Existing(CustomerId),
    /// Not yet on the system.
    New(NewCustomer),
}

/// Where a record about a customer goes: a named open case, or the customer's open case in a
/// service (opened now if there is none).
#[derive(Debug, Clone)]
pub enum CaseTarget {
    /// A named case, which must be open.
    Case(CaseId),
    /// The customer's case in the service with this code.
    Customer {
        /// The customer.
        customer: CustomerChoice,
        /// The service's code.
        service_code: String,
    },
}

/// What choosing the case needs to know, read through the caller's row scope.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "read once per command and never kept: boxing would only add an allocation"
)]
pub enum TargetFacts {
    /// The named case and its service's code.
    Case(upc_case::Model, String),
    /// The customer's side.
    Customer {
        /// The service named.
        service: service::Model,
        /// The customer, when one on the system was named.
        customer: Option<customer::Model>,
        /// Their open case in the service, if any.
        open_case: Option<upc_case::Model>,
    },
}

/// The case a record is filed on.
#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    /// The case.
    pub case: Ref,
    /// The case as read, when it was stored already.
    pub existing: Option<upc_case::Model>,
    /// The service's code.
    pub service_code: String,
}

/// A new case of `customer` in `service_id`, at stage `reported`.
pub fn new_case(customer_id: i64, service_id: i64, now: DateTime<Utc>) -> upc_case::Model {
    upc_case::Model {
        id: 0,
        reference: String::new(),
        customer_id,
        service_id,
        stage: CaseStage::Reported,
        status: CaseStatus::Open,
        opened_at: now,
        closed_at: None,
        closure_reason: None,
        appeal_deadline: None,
        review_due_on: None,
        flagged_for_review: false,
        flag_reason: None,
        version: 1,
        created_at: now,
    }
}

/// Choose the case for `what` (a mutation) by `actor`, who must hold one of `roles` in its
/// service (5.4): the named open case, the customer's open case in the service, or a new one
/// (with the customer, when new too) added to `out`.
pub fn file_on(
    target: CaseTarget,
    facts: TargetFacts,
    roles: &[Role],
    what: &str,
    actor: &Principal,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> DomainResult<Filed> {
    match (target, facts) {
        (CaseTarget::Case(_), TargetFacts::Case(case, code)) => {
            if !actor.may_act(roles, &code) {
                return Err(DomainError::Forbidden(format!(
                    "{what} needs the role {} in the case's service ({code})",
                    role_list(roles)
                )));
            }
            if case.status != CaseStatus::Open {
                return Err(DomainError::bad_input(
                    "caseId",
                    format!(
                        "case {} is closed: name the customer and serviceCode to open a new case",
                        case.reference
                    ),
                ));
            }
            Ok(Filed {
                case: Ref::Stored(case.id),
                existing: Some(case),
                service_code: code,
            })
        }
        (
            CaseTarget::Customer { customer, .. },
            TargetFacts::Customer {
                service,
                customer: found,
                open_case,
            },
        ) => {
            if !actor.may_act(roles, &service.code) {
                return Err(DomainError::Forbidden(format!(
                    "{what} needs the role {} in {}",
                    role_list(roles),
                    service.code
                )));
            }
            open_for(customer, found, open_case, &service, now, out)
        }
        _ => Err(DomainError::bad_input(
            "caseId",
            "give either caseId, or the customer and serviceCode",
        )),
    }
}

/// The customer's open case in `service`, or a new one (and the customer, when new) in `out`.
pub fn open_for(
    customer: CustomerChoice,
    found: Option<customer::Model>,
    open_case: Option<upc_case::Model>,
    service: &service::Model,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> DomainResult<Filed> {
    let customer = match (customer, found) {
        (CustomerChoice::Existing(_), Some(c)) => {
            if let Some(into) = c.merged_into_id {
                return Err(DomainError::bad_input(
                    "customerId",
                    format!(
                        "customer {} was merged into customer {into}: name that record",
                        c.reference
                    ),
                ));
            }
            if let Some(open) = open_case {
                return Ok(Filed {
                    case: Ref::Stored(open.id),
                    existing: Some(open),
                    service_code: service.code.clone(),
                });
            }
            Ref::Stored(c.id)
        }
        (CustomerChoice::Existing(id), None) => {
            return Err(DomainError::bad_input(
                "customerId",
                format!("no customer {id}"),
            ));
        }
        (CustomerChoice::New(new), _) => out.create(New::Customer(new.row(now))),
    };
    let case = out.create(New::Case {
        case: new_case(0, service.id, now),
        customer,
    });
    Ok(Filed {
        case,
        existing: None,
        service_code: service.code.clone(),
    })
}
