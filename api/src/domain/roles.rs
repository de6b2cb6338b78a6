//! Who is who: the roles the policy names, the person acting, and which roles may take which
//! step. Service roles act only in their own services (5.4: decisions are service based); Legal
//! Services acts in every service; an elected Member reports behaviour aimed at them wherever
//! it happens (1.2, 1.3).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role in the case system, as named in tokens (`snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A case officer.
    Officer,
    /// An elected member (councillor).
    ElectedMember,
    /// A service manager.
    ServiceManager,
    /// A head of service.
    HeadOfService,
    /// A service director.
    ServiceDirector,
    /// A feedback (complaints) officer.
    FeedbackOfficer,
    /// A group director.
    GroupDirector,
    /// Legal services.
    LegalServices,
    /// The monitoring officer.
    MonitoringOfficer,
    /// A member of the standards committee.
    StandardsCommittee,
    /// A system administrator.
    Admin,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 11] = [
        Role::Officer,
        Role::ElectedMember,
        Role::ServiceManager,
        Role::HeadOfService,
        Role::ServiceDirector,
        Role::FeedbackOfficer,
        Role::GroupDirector,
        Role::LegalServices,
        Role::MonitoringOfficer,
        Role::StandardsCommittee,
        Role::Admin,
    ];

    /// The role's token name, e.g. `"legal_services"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::ElectedMember => "elected_member",
            Role::ServiceManager => "service_manager",
            Role::HeadOfService => "head_of_service",
            Role::ServiceDirector => "service_director",
            Role::FeedbackOfficer => "feedback_officer",
            Role::GroupDirector => "group_director",
            Role::LegalServices => "legal_services",
            Role::MonitoringOfficer => "monitoring_officer",
            Role::StandardsCommittee => "standards_committee",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a string is not a role's token name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The person acting, as the identity provider's token describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub` claim: a stable identifier of the user at the issuer.
    pub subject: String,
    /// The user's display name, if the token carries one.
    pub name: Option<String>,
    /// The roles the user holds in the case system.
    pub roles: BTreeSet<Role>,
    /// The service codes the user works in.
    pub services: BTreeSet<String>,
    /// True when the token had no services claim: `services` is then empty and
    /// the caller should look the user up in the staff directory instead.
    pub services_from_directory: bool,
}

impl Principal {
    /// Whether the principal holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the principal holds at least one of `roles`.
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.roles.contains(role))
    }

    /// Whether the principal works in the service with code `service`.
    pub fn in_service(&self, service: &str) -> bool {
        self.services.contains(service)
    }

    /// How the record names them: their display name, or their sign-in subject.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.subject.clone())
    }

    /// May they act with one of `roles` in service `code`? A service role counts only in the
    /// principal's own services (5.4); Legal Services in every service; an elected Member
    /// wherever they may see the case (the row scope has already decided that).
    pub fn may_act(&self, roles: &[Role], code: &str) -> bool {
        roles.iter().any(|role| {
            self.has_role(*role)
                && (matches!(role, Role::LegalServices | Role::ElectedMember)
                    || self.in_service(code))
        })
    }
}

/// The roles in words, e.g. `service_manager or head_of_service`.
pub fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

use Role::*;

/// Who reports behaviour: officers and elected Members (2.3, 1.2).
pub const REPORTERS: &[Role] = &[Officer, ElectedMember];
/// Who decides whether behaviour was unreasonable: the Service manager or Head of Service (5.1).
pub const DETERMINERS: &[Role] = &[ServiceManager, HeadOfService];
/// Who records a breach of a restriction: staff at the point of contact (5.6).
pub const BREACH_RECORDERS: &[Role] = &[Officer, ServiceManager, HeadOfService];
/// The staff of a service, who report a threat (3.1), note a terminated call (3.4) and work at
/// the point of contact.
pub const SERVICE_STAFF: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
];
/// Who excludes a customer from premises at once, temporarily, on imminent risk (3.2).
pub const TEMPORARY_EXCLUDERS: &[Role] = &[ServiceManager];
/// Who agrees a long-term exclusion (3.2): their call records the agreement.
pub const LONG_TERM_AGREERS: &[Role] = &[HeadOfService, ServiceDirector];
/// Who lifts an exclusion early: the Service manager a temporary one; the Head of Service or
/// Service Director any.
pub const EXCLUSION_LIFTERS: &[Role] = &[ServiceManager, HeadOfService, ServiceDirector];
/// Who formally records the incident with its HS V1 form reference (3.3).
pub const HS_V1_RECORDERS: &[Role] = &[ServiceManager];
/// Who records a report to the police (3.3 ii, 3.5).
pub const POLICE_REFERRERS: &[Role] = &[ServiceManager, HeadOfService, ServiceDirector];
/// Who refers repeated abusive calls to the Head of Service as harassment (3.5).
pub const HARASSMENT_REFERRERS: &[Role] = &[ServiceManager];
/// Who reports a harassment referral to the police (3.5).
pub const HARASSMENT_REPORTERS: &[Role] = &[HeadOfService];
/// Who logs appeals: Legal Services (6.1).
pub const APPEAL_LOGGERS: &[Role] = &[LegalServices];
/// Who records a customer's request to record a conversation (4.1, 4.2): staff, and elected
/// Members on the cases they reported.
pub const RECORDING_RECORDERS: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    ElectedMember,
];
/// Who sees every service's contacts and acts for every service at the point of contact: the
/// central record (Legal Services, 5.1) and the Monitoring Officer (8.1).
pub const EVERY_SERVICE: &[Role] = &[LegalServices, MonitoringOfficer];
/// Managers who read correspondence placed on file without reply (5.2).
pub const FILE_READERS: &[Role] = &[ServiceManager, HeadOfService];

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[Role], services: &[&str]) -> Principal {
        Principal {
            subject: "s".into(),
            name: None,
            roles: roles.iter().copied().collect(),
            services: services.iter().map(|s| s.to_string()).collect(),
            services_from_directory: false,
        }
    }

    #[test]
    fn a_service_role_counts_only_in_its_own_service_5_4() {
        let manager = principal(&[ServiceManager], &["HOU"]);
        assert!(manager.may_act(DETERMINERS, "HOU"));
        assert!(!manager.may_act(DETERMINERS, "LEI"));
    }

    #[test]
    fn legal_services_acts_in_every_service_and_members_report_anywhere() {
        let legal = principal(&[LegalServices], &[]);
        assert!(legal.may_act(APPEAL_LOGGERS, "HOU"));
        assert!(!legal.may_act(DETERMINERS, "HOU"));
        let member = principal(&[ElectedMember], &[]);
        assert!(member.may_act(REPORTERS, "HOU"));
    }
}
