//! Authentication settings, filled by the caller from the environment or a file.

use std::collections::BTreeMap;

use crate::domain::roles::Role;

/// How tokens are verified. Build with [`AuthSettings::default`] and override fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// `UPC_AUTH_JWKS`: an `https://` or `http://` URL of the identity provider's key
    /// set, or a path to a JWKS file. `None` (or blank) selects embedded HS256 mode.
    pub jwks: Option<String>,
    /// `UPC_AUTH_ISSUER`: the expected `iss`; required when `jwks` is set.
    pub issuer: Option<String>,
    /// `UPC_AUTH_AUDIENCE`: the expected `aud`; required when `jwks` is set.
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds (default 30).
    pub leeway_seconds: u64,
    /// The claim holding the user's roles, an array of strings (default `"roles"`).
    pub roles_claim: String,
    /// Maps identity-provider role values (e.g. Entra app roles such as
    /// `"UPC.LegalServices"`) to roles. Values that are already a role's token
    /// name map to that role; other values are ignored.
    pub role_map: BTreeMap<String, Role>,
    /// The claim holding the user's service codes, an array of strings (default `"services"`).
    pub services_claim: String,
    /// The claim holding the user's display name (default `"name"`).
    pub name_claim: String,
    /// The claim holding the identity provider's stable object id, recorded in the staff
    /// directory at sign-in (default `"oid"`, Entra ID's).
    pub object_id_claim: String,
    /// The least time between two key-set refreshes triggered by unknown key
    /// ids, in seconds (default 60).
    pub jwks_min_refresh_interval_seconds: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            jwks: None,
            issuer: None,
            audience: None,
            leeway_seconds: 30,
            roles_claim: "roles".to_owned(),
            role_map: BTreeMap::new(),
            services_claim: "services".to_owned(),
            name_claim: "name".to_owned(),
            object_id_claim: "oid".to_owned(),
            jwks_min_refresh_interval_seconds: 60,
        }
    }
}
