//! The staff directory (issue 19): the members of staff and teams a named-contact restriction
//! may name (5.3: "contact only with a named officer or team"), and who holds which role in
//! which service — who is the Service manager, the Head of Service or the Group Director of a
//! service (2, 3.2, 5.1, 6.2). Kept by the administrator, and filled from sign-in: the first
//! request with a valid token records the member of staff from its claims. A member of staff or
//! team taken out of use cannot be named in a new decision; restrictions that already name them
//! keep their names.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entities::{service, staff_member, staff_role, staff_team};

use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, Outcome};
use super::roles::{self, Role};
use super::values::Text;

/// The roles held per service, which the directory records (the rest — Legal Services, the
/// Monitoring Officer, the Standards Committee, elected members, the administrator — are not
/// held in a service).
pub const SERVICE_ROLES: &[Role] = roles::SERVICE_STAFF;

/// `role` if it is held per service; refused in `field` otherwise.
pub fn service_role(field: &str, role: Role) -> DomainResult<Role> {
    if SERVICE_ROLES.contains(&role) {
        Ok(role)
    } else {
        Err(DomainError::bad_input(
            field,
            format!(
                "{} is not held in a service; a service role is one of: {}",
                role.as_str(),
                SERVICE_ROLES
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

/// A work email address: trimmed, one `@` with text either side, no spaces, at most 254.
pub fn email(field: &str, value: &str) -> DomainResult<String> {
    let v = value.trim();
    let ok = v.len() <= 254
        && !v.chars().any(char::is_whitespace)
        && v.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && !host.is_empty() && !host.contains('@')
        });
    if ok {
        Ok(v.to_string())
    } else {
        Err(DomainError::bad_input(
            field,
            format!("`{v}` is not an email address"),
        ))
    }
}

/// A team a member of staff is put in must be in use.
fn team_in_use(field: &str, team: Option<&staff_team::Model>) -> DomainResult<Option<i64>> {
    match team {
        Some(t) if !t.active => Err(DomainError::bad_input(
            field,
            format!("team {} ({}) is out of use", t.id, t.name),
        )),
        other => Ok(other.map(|t| t.id)),
    }
}

/// A new member of staff (`createStaffMember`).
#[derive(Debug, Clone)]
pub struct NewStaffMember {
    /// Name as shown to colleagues and in letters.
    pub display_name: Text,
    /// Work email address (checked by [`email`]).
    pub email: Option<String>,
    /// Job title.
    pub job_title: Option<Text>,
}

/// Add the member of staff, in `team` if given (which must be in use).
pub fn create_staff_member(
    cmd: NewStaffMember,
    team: Option<&staff_team::Model>,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let team_id = team_in_use("teamId", team)?;
    let mut out = Outcome::new();
    let created = out.create_row(staff_member::Model {
        id: 0,
        subject: None,
        object_id: None,
        display_name: cmd.display_name.into_string(),
        email: cmd.email,
        job_title: cmd.job_title.map(Text::into_string),
        team_id,
        active: true,
        version: 1,
        created_at: now,
    });
    Ok(out.audited(AuditEntry::new(
        "staff_member.create",
        "staff_member",
        created,
    )))
}

/// A change to a member of staff (`updateStaffMember`); `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct UpdateStaffMember {
    /// The version the caller read.
    pub version: i64,
    /// A new name.
    pub display_name: Option<Text>,
    /// A new email address.
    pub email: Option<String>,
    /// A new job title.
    pub job_title: Option<Text>,
    /// Move to another team (`Some(None)`: in no team).
    pub team: Option<Option<staff_team::Model>>,
}

/// Change the member of staff's details.
pub fn update_staff_member(
    cmd: UpdateStaffMember,
    found: &staff_member::Model,
) -> DomainResult<Outcome> {
    if found.version != cmd.version {
        return Err(DomainError::stale("staff member", found.id, cmd.version));
    }
    let team_id = match &cmd.team {
        None => found.team_id,
        Some(team) => team_in_use("teamId", team.as_ref())?,
    };
    let mut out = Outcome::new();
    let changed = out.change(
        found.clone(),
        staff_member::Model {
            display_name: cmd
                .display_name
                .map_or_else(|| found.display_name.clone(), Text::into_string),
            email: cmd.email.or_else(|| found.email.clone()),
            job_title: cmd
                .job_title
                .map(Text::into_string)
                .or_else(|| found.job_title.clone()),
            team_id,
            ..found.clone()
        },
    );
    Ok(out.audited(AuditEntry::new(
        "staff_member.update",
        "staff_member",
        changed,
    )))
}

/// Take the member of staff out of use (`active` false: they have left) or back into use. They
/// can no longer be named in a new decision; restrictions already naming them keep the name.
pub fn set_staff_member_active(
    version: i64,
    active: bool,
    found: &staff_member::Model,
) -> DomainResult<Outcome> {
    if found.version != version {
        return Err(DomainError::stale("staff member", found.id, version));
    }
    if found.active == active {
        return Err(DomainError::Conflict(format!(
            "staff member {} is already {}",
            found.id,
            if active { "active" } else { "deactivated" }
        )));
    }
    let mut out = Outcome::new();
    let changed = out.change(
        found.clone(),
        staff_member::Model {
            active,
            ..found.clone()
        },
    );
    let action = if active {
        "staff_member.reactivate"
    } else {
        "staff_member.deactivate"
    };
    Ok(out.audited(AuditEntry::new(action, "staff_member", changed)))
}

/// A new team (`createStaffTeam`).
#[derive(Debug, Clone)]
pub struct NewStaffTeam {
    /// Its name, unique within the service.
    pub name: Text,
}

/// Add the team to `service` (in use); `existing`: a team of that name in the service already.
pub fn create_staff_team(
    cmd: NewStaffTeam,
    service: &service::Model,
    existing: Option<&staff_team::Model>,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if !service.active {
        return Err(DomainError::bad_input(
            "serviceCode",
            format!("service {} is out of use", service.code),
        ));
    }
    if existing.is_some() {
        return Err(DomainError::Conflict(format!(
            "{} already has a team called {}",
            service.code,
            cmd.name.as_str()
        )));
    }
    let mut out = Outcome::new();
    let created = out.create_row(staff_team::Model {
        id: 0,
        service_id: service.id,
        name: cmd.name.into_string(),
        active: true,
        version: 1,
        created_at: now,
    });
    Ok(out.audited(AuditEntry::new("staff_team.create", "staff_team", created)))
}

/// A change to a team (`updateStaffTeam`).
#[derive(Debug, Clone)]
pub struct UpdateStaffTeam {
    /// The version the caller read.
    pub version: i64,
    /// A new name.
    pub name: Option<Text>,
}

/// Rename the team; `clash`: another team of the service already has the new name.
pub fn update_staff_team(
    cmd: UpdateStaffTeam,
    found: &staff_team::Model,
    clash: Option<&staff_team::Model>,
) -> DomainResult<Outcome> {
    if found.version != cmd.version {
        return Err(DomainError::stale("team", found.id, cmd.version));
    }
    if let Some(other) = clash.filter(|c| c.id != found.id) {
        return Err(DomainError::Conflict(format!(
            "team {} of the service is already called {}",
            other.id, other.name
        )));
    }
    let mut out = Outcome::new();
    let changed = out.change(
        found.clone(),
        staff_team::Model {
            name: cmd
                .name
                .map_or_else(|| found.name.clone(), Text::into_string),
            ..found.clone()
        },
    );
    Ok(out.audited(AuditEntry::new("staff_team.update", "staff_team", changed)))
}

/// Take the team out of use or back into use: a team out of use cannot be named in a new
/// decision, nor can anyone be put in it; restrictions already naming it keep the name.
pub fn set_staff_team_active(
    version: i64,
    active: bool,
    found: &staff_team::Model,
) -> DomainResult<Outcome> {
    if found.version != version {
        return Err(DomainError::stale("team", found.id, version));
    }
    if found.active == active {
        return Err(DomainError::Conflict(format!(
            "team {} is already {}",
            found.id,
            if active { "active" } else { "deactivated" }
        )));
    }
    let mut out = Outcome::new();
    let changed = out.change(
        found.clone(),
        staff_team::Model {
            active,
            ..found.clone()
        },
    );
    let action = if active {
        "staff_team.reactivate"
    } else {
        "staff_team.deactivate"
    };
    Ok(out.audited(AuditEntry::new(action, "staff_team", changed)))
}

/// Record that `member` holds `role` in `service` (`assignStaffRole`). `existing`: the same
/// assignment already recorded.
pub fn assign_role(
    member: &staff_member::Model,
    service: &service::Model,
    role: Role,
    existing: Option<&staff_role::Model>,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let role = service_role("role", role)?;
    if !member.active {
        return Err(DomainError::bad_input(
            "staffMemberId",
            format!("staff member {} is deactivated", member.id),
        ));
    }
    if existing.is_some() {
        return Err(DomainError::Conflict(format!(
            "staff member {} is already {} of {}",
            member.id,
            role.as_str(),
            service.code
        )));
    }
    let mut out = Outcome::new();
    let created = out.create_row(staff_role::Model {
        id: 0,
        staff_member_id: member.id,
        service_id: service.id,
        role: role.as_str().to_string(),
        version: 1,
        created_at: now,
    });
    Ok(out.audited(AuditEntry::new("staff_role.assign", "staff_role", created)))
}

/// Remove the role held (`removeStaffRole`).
pub fn remove_role(found: staff_role::Model) -> Outcome {
    let mut out = Outcome::new();
    let removed = out.delete(found);
    out.audited(AuditEntry::new("staff_role.remove", "staff_role", removed))
}

/// What a valid token says about the member of staff presenting it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignIn {
    /// The token's subject (`sub`).
    pub subject: String,
    /// The identity provider's object id (Entra ID `oid`), when the token carries one.
    pub object_id: Option<String>,
    /// Their name, if the token carries one.
    pub name: Option<String>,
    /// Their email address (`email`, else `preferred_username` when it is one).
    pub email: Option<String>,
    /// Their roles held per service, with the codes of the services the token names.
    pub roles: BTreeSet<Role>,
    /// The service codes the token names.
    pub services: BTreeSet<String>,
}

/// What the directory holds about the member of staff signing in.
#[derive(Debug, Clone, Default)]
pub struct SignInFacts {
    /// Their row, found by subject or object id.
    pub member: Option<staff_member::Model>,
    /// The services the token names that exist.
    pub services: Vec<service::Model>,
    /// The roles they hold already (every service).
    pub roles: Vec<staff_role::Model>,
}

/// The member of staff's row as the token describes it: `None` when it already says so (no
/// write). A new row takes the name (or else the email, or else the subject); an existing row
/// takes the token's name and email where the token has them, and its subject and object id.
pub fn sign_in_member(
    cmd: &SignIn,
    found: Option<&staff_member::Model>,
    now: DateTime<Utc>,
) -> Option<Outcome> {
    let name = cmd.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let mut out = Outcome::new();
    let entity = match found {
        None => out.create_row(staff_member::Model {
            id: 0,
            subject: Some(cmd.subject.clone()),
            object_id: cmd.object_id.clone(),
            display_name: name
                .or(cmd.email.as_deref())
                .unwrap_or(&cmd.subject)
                .to_string(),
            email: cmd.email.clone(),
            job_title: None,
            team_id: None,
            active: true,
            version: 1,
            created_at: now,
        }),
        Some(row) => {
            let after = staff_member::Model {
                subject: Some(cmd.subject.clone()),
                object_id: cmd.object_id.clone().or_else(|| row.object_id.clone()),
                display_name: name.map_or_else(|| row.display_name.clone(), str::to_string),
                email: cmd.email.clone().or_else(|| row.email.clone()),
                ..row.clone()
            };
            if &after == row {
                return None;
            }
            out.change(row.clone(), after)
        }
    };
    Some(out.audited(AuditEntry::new(
        "staff_member.sign_in",
        "staff_member",
        entity,
    )))
}

/// The roles the token says `member` holds in the services it names that the directory does
/// not record yet: `None` when there are none. Sign-in only adds; the administrator removes.
pub fn sign_in_roles(
    cmd: &SignIn,
    member: &staff_member::Model,
    facts: &SignInFacts,
    now: DateTime<Utc>,
) -> Option<Outcome> {
    let mut out = Outcome::new();
    let mut first = None;
    for service in &facts.services {
        for role in cmd.roles.iter().filter(|r| SERVICE_ROLES.contains(r)) {
            let held = facts.roles.iter().any(|r| {
                r.staff_member_id == member.id
                    && r.service_id == service.id
                    && r.role == role.as_str()
            });
            if !held {
                let created = out.create_row(staff_role::Model {
                    id: 0,
                    staff_member_id: member.id,
                    service_id: service.id,
                    role: role.as_str().to_string(),
                    version: 1,
                    created_at: now,
                });
                first.get_or_insert(created);
            }
        }
    }
    first.map(|created| out.audited(AuditEntry::new("staff_role.sign_in", "staff_role", created)))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap()
    }

    fn member(active: bool) -> staff_member::Model {
        staff_member::Model {
            id: 4,
            subject: Some("sub-4".into()),
            object_id: Some("oid-4".into()),
            display_name: "Alex Jones".into(),
            email: Some("alex@example.gov.uk".into()),
            job_title: None,
            team_id: None,
            active,
            version: 3,
            created_at: now(),
        }
    }

    fn team(active: bool) -> staff_team::Model {
        staff_team::Model {
            id: 9,
            service_id: 1,
            name: "Tenancy".into(),
            active,
            version: 1,
            created_at: now(),
        }
    }

    fn housing() -> service::Model {
        service::Model {
            id: 1,
            code: "HOU".into(),
            name: "Housing".into(),
            active: true,
            version: 1,
            created_at: now(),
        }
    }

    fn sign_in(name: &str) -> SignIn {
        SignIn {
            subject: "sub-4".into(),
            object_id: Some("oid-4".into()),
            name: Some(name.into()),
            email: Some("alex@example.gov.uk".into()),
            roles: [Role::ServiceManager, Role::LegalServices].into(),
            services: ["HOU".to_string()].into(),
        }
    }

    #[test]
    fn only_roles_held_in_a_service_are_assigned() {
        assert!(service_role("role", Role::HeadOfService).is_ok());
        for role in [Role::LegalServices, Role::StandardsCommittee, Role::Admin] {
            let err = service_role("role", role).unwrap_err();
            assert!(matches!(err, DomainError::BadInput { ref field, .. } if field == "role"));
        }
        let err = assign_role(&member(true), &housing(), Role::Admin, None, now()).unwrap_err();
        assert!(matches!(err, DomainError::BadInput { .. }));
    }

    #[test]
    fn an_email_address_has_one_at_with_text_either_side() {
        assert_eq!(email("email", " a@b.gov.uk ").unwrap(), "a@b.gov.uk");
        for bad in ["", "ab", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stale_version_is_a_conflict_and_deactivating_twice_is_refused() {
        let err = set_staff_member_active(2, false, &member(true)).unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
        let err = set_staff_member_active(3, false, &member(false)).unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
        let out = set_staff_member_active(3, false, &member(true)).unwrap();
        assert_eq!(out.audit.unwrap().action, "staff_member.deactivate");
    }

    #[test]
    fn nobody_is_put_in_a_team_out_of_use_nor_given_a_role_once_deactivated() {
        let cmd = NewStaffMember {
            display_name: Text::parse("displayName", "Sam").unwrap(),
            email: None,
            job_title: None,
        };
        let err = create_staff_member(cmd.clone(), Some(&team(false)), now()).unwrap_err();
        assert!(matches!(err, DomainError::BadInput { ref field, .. } if field == "teamId"));
        assert!(create_staff_member(cmd, Some(&team(true)), now()).is_ok());
        let err = assign_role(
            &member(false),
            &housing(),
            Role::ServiceManager,
            None,
            now(),
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::BadInput { .. }));
    }

    #[test]
    fn sign_in_writes_only_what_changed() {
        let first = sign_in_member(&sign_in("Alex Jones"), None, now()).expect("a new row");
        assert_eq!(first.audit.unwrap().action, "staff_member.sign_in");
        assert!(sign_in_member(&sign_in("Alex Jones"), Some(&member(true)), now()).is_none());
        let renamed = sign_in_member(&sign_in("Alex Morgan"), Some(&member(true)), now());
        assert!(renamed.is_some(), "a changed name is written");
    }

    #[test]
    fn sign_in_adds_the_service_roles_the_directory_lacks() {
        let facts = SignInFacts {
            member: Some(member(true)),
            services: vec![housing()],
            roles: vec![],
        };
        let out = sign_in_roles(&sign_in("Alex Jones"), &member(true), &facts, now())
            .expect("the Service manager role is added");
        assert_eq!(out.created.len(), 1, "legal services is not a service role");
        let held = SignInFacts {
            roles: vec![staff_role::Model {
                id: 1,
                staff_member_id: 4,
                service_id: 1,
                role: "service_manager".into(),
                version: 1,
                created_at: now(),
            }],
            ..facts
        };
        assert!(sign_in_roles(&sign_in("Alex Jones"), &member(true), &held, now()).is_none());
    }
}
