//! The council as the record knows it, kept by the administrator: its services (decisions are
//! service based, 5.4), its establishments (premises a customer may be excluded from, 3.2 and
//! 5.3), and the days it is closed besides weekends and bank holidays (which the 15 working
//! days of an appeal skip, 6.1).

use chrono::{DateTime, NaiveDate, Utc};
use entities::{closure_day, establishment, service};

use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, Outcome};
use super::roles::Principal;
use super::values::Text;

/// A service's short code: 2 to 10 capital letters or digits, e.g. `HOU`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCode(String);

impl ServiceCode {
    /// `value` trimmed, refused in `code` unless 2 to 10 capital letters or digits.
    pub fn parse(value: &str) -> DomainResult<ServiceCode> {
        let code = value.trim();
        if !(2..=10).contains(&code.len())
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(DomainError::bad_input(
                "code",
                "code must be 2 to 10 capital letters or digits",
            ));
        }
        Ok(ServiceCode(code.to_string()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new council service (`createService`).
#[derive(Debug, Clone)]
pub struct NewService {
    /// Its code, unique.
    pub code: ServiceCode,
    /// Its name.
    pub name: Text,
}

/// Add the service; its code must be new (`existing`: a service with that code already).
pub fn create_service(
    cmd: NewService,
    existing: Option<&service::Model>,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if existing.is_some() {
        return Err(DomainError::Conflict(format!(
            "a service with code {} exists",
            cmd.code.as_str()
        )));
    }
    let mut out = Outcome::new();
    let created = out.create_row(service::Model {
        id: 0,
        code: cmd.code.0,
        name: cmd.name.into_string(),
        active: true,
        version: 1,
        created_at: now,
    });
    Ok(out.audited(AuditEntry::new("service.create", "service", created)))
}

/// A change to a service (`updateService`).
#[derive(Debug, Clone)]
pub struct UpdateService {
    /// The version the caller read.
    pub version: i64,
    /// A new name.
    pub name: Option<Text>,
    /// Whether it is in use.
    pub active: Option<bool>,
}

/// Rename the service or take it out of use.
pub fn update_service(cmd: UpdateService, found: &service::Model) -> DomainResult<Outcome> {
    if found.version != cmd.version {
        return Err(DomainError::stale("service", found.id, cmd.version));
    }
    let mut out = Outcome::new();
    let changed = out.change(
        found.clone(),
        service::Model {
            name: cmd
                .name
                .map_or_else(|| found.name.clone(), Text::into_string),
            active: cmd.active.unwrap_or(found.active),
            ..found.clone()
        },
    );
    Ok(out.audited(AuditEntry::new("service.update", "service", changed)))
}

/// A new council establishment (`createEstablishment`).
#[derive(Debug, Clone)]
pub struct NewEstablishment {
    /// Its name.
    pub name: Text,
    /// Its postal address.
    pub address: Text,
}

/// Add the establishment, run by `service` when one runs it.
pub fn create_establishment(
    cmd: NewEstablishment,
    service: Option<&service::Model>,
    now: DateTime<Utc>,
) -> Outcome {
    let mut out = Outcome::new();
    let created = out.create_row(establishment::Model {
        id: 0,
        service_id: service.map(|s| s.id),
        name: cmd.name.into_string(),
        address: cmd.address.into_string(),
        active: true,
        version: 1,
        created_at: now,
    });
    out.audited(AuditEntry::new(
        "establishment.create",
        "establishment",
        created,
    ))
}

/// A council closure day (`addClosureDay`).
#[derive(Debug, Clone)]
pub struct NewClosureDay {
    /// The day.
    pub day: NaiveDate,
    /// Why, e.g. `Extra day at Christmas`.
    pub description: Text,
}

/// Add the closure day: appeal deadlines computed from now on skip it; those already set are
/// not changed. `existing`: the closure day already on that date, if any.
pub fn add_closure_day(
    cmd: NewClosureDay,
    existing: Option<&closure_day::Model>,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if existing.is_some() {
        return Err(DomainError::Conflict(format!(
            "{} is already a closure day",
            cmd.day
        )));
    }
    let mut out = Outcome::new();
    let created = out.create_row(closure_day::Model {
        id: 0,
        day: cmd.day,
        description: cmd.description.into_string(),
        created_by: actor.subject.clone(),
        version: 1,
        created_at: now,
    });
    Ok(out.audited(AuditEntry::new("closure_day.add", "closure_day", created)))
}

/// Remove a closure day; deadlines already set are not changed.
pub fn remove_closure_day(found: closure_day::Model) -> Outcome {
    let mut out = Outcome::new();
    let removed = out.delete(found);
    out.audited(AuditEntry::new(
        "closure_day.remove",
        "closure_day",
        removed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_code_is_short_capitals_or_digits() {
        assert_eq!(ServiceCode::parse(" HOU ").unwrap().as_str(), "HOU");
        for bad in ["H", "hou", "HOUSINGSERVICES", "H-U"] {
            assert!(ServiceCode::parse(bad).is_err(), "{bad}");
        }
    }
}
