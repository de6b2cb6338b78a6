//! The authenticated caller.

use std::collections::BTreeSet;

use super::role::Role;

/// The authenticated caller of the API, built from a verified token.
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
}
