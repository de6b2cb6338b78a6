//! The roles a user of the case system can hold.

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
