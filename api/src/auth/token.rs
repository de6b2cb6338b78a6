//! Token handling shared by both modes: reading the header, validation rules,
//! mapping library errors, and turning verified claims into a [`Principal`].

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::error::AuthError;
use super::settings::AuthSettings;
use crate::domain::roles::Principal;
use crate::domain::roles::Role;
use crate::domain::staff::SignIn;

/// Tokens longer than this are refused unread (Entra tokens are a few KiB).
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The fields of a token header this module looks at, read before any verification.
#[derive(Debug)]
pub(crate) struct PeekedHeader {
    /// The `alg` value exactly as written.
    pub alg: String,
    /// The `kid` value, if any.
    pub kid: Option<String>,
}

/// Checks the token's shape and reads its header, without trusting it.
pub(crate) fn peek_header(token: &str) -> Result<PeekedHeader, AuthError> {
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed)?;
    let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(AuthError::Malformed);
    };
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        _ => return Err(AuthError::Malformed),
    };
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(AuthError::Malformed),
    };
    Ok(PeekedHeader { alg, kid })
}

/// The validation rules for one pinned algorithm: `exp`, `iss`, `aud` and `sub`
/// required, `nbf` checked, issuer and audience pinned.
pub(crate) fn validation(
    alg: Algorithm,
    issuer: &str,
    audience: &str,
    leeway_seconds: u64,
) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = leeway_seconds;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation
}

/// Verifies the signature and the registered claims, returning all claims.
pub(crate) fn verify(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<Map<String, Value>, AuthError> {
    jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|err| match err.kind() {
            // The library reports a required claim of the wrong type (e.g. `exp` as a
            // string) as missing. Claims are checked only after the signature has
            // verified, so the payload can be read to tell the two apart.
            ErrorKind::MissingRequiredClaim(claim) if claim_present(token, claim) => {
                AuthError::InvalidClaim(static_claim(claim))
            }
            kind => map_jwt_error(kind),
        })
}

/// Whether the token's payload has a non-null `claim`.
fn claim_present(token: &str, claim: &str) -> bool {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice::<Map<String, Value>>(&bytes).ok())
        .is_some_and(|claims| claims.get(claim).is_some_and(|value| !value.is_null()))
}

/// Maps a library error to the log-safe [`AuthError`].
fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => AuthError::Malformed,
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm => AuthError::UnsupportedAlgorithm,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidSubject => AuthError::InvalidClaim("sub"),
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(static_claim(claim)),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::InvalidClaim(static_claim(claim)),
        other => {
            tracing::warn!(error = ?other, "token verification failed in the crypto layer");
            AuthError::BadSignature
        }
    }
}

/// The registered claim names the library reports, as `'static` strings.
fn static_claim(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        _ => "unknown",
    }
}

/// Which claims carry the application's data, and how role values map to roles.
#[derive(Debug, Clone)]
pub(crate) struct ClaimMapping {
    pub roles_claim: String,
    pub role_map: BTreeMap<String, Role>,
    pub services_claim: String,
    pub name_claim: String,
    pub object_id_claim: String,
}

impl ClaimMapping {
    pub(crate) fn from_settings(settings: &AuthSettings) -> Self {
        ClaimMapping {
            roles_claim: settings.roles_claim.clone(),
            role_map: settings.role_map.clone(),
            services_claim: settings.services_claim.clone(),
            name_claim: settings.name_claim.clone(),
            object_id_claim: settings.object_id_claim.clone(),
        }
    }

    /// What verified `claims` say about the member of staff presenting them, for the staff
    /// directory: the object id (the configured claim, Entra ID `oid`), the email (`email`, else
    /// `preferred_username` when it is an address), and the principal's name, roles and services.
    pub(crate) fn sign_in(&self, claims: &Map<String, Value>, principal: &Principal) -> SignIn {
        let text = |claim: &str| {
            claims
                .get(claim)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let email =
            text("email").or_else(|| text("preferred_username").filter(|u| u.contains('@')));
        SignIn {
            subject: principal.subject.clone(),
            object_id: text(&self.object_id_claim),
            name: principal.name.clone(),
            email,
            roles: principal.roles.clone(),
            services: principal.services.clone(),
        }
    }

    /// The role a claim value stands for: the role map first, then the role's own name.
    fn role_for(&self, value: &str) -> Option<Role> {
        self.role_map
            .get(value)
            .copied()
            .or_else(|| Role::from_str(value).ok())
    }

    /// Builds the principal from verified claims.
    pub(crate) fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, AuthError> {
        let subject = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.trim().is_empty() => sub.clone(),
            None | Some(Value::Null) => return Err(AuthError::MissingClaim("sub")),
            Some(_) => return Err(AuthError::InvalidClaim("sub")),
        };
        let name = match claims.get(&self.name_claim) {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(AuthError::InvalidClaim("name")),
        };
        let mut roles = BTreeSet::new();
        let mut ignored_roles = 0usize;
        for value in string_array(claims.get(&self.roles_claim), "roles")?.unwrap_or_default() {
            match self.role_for(value) {
                Some(role) => {
                    roles.insert(role);
                }
                None => ignored_roles += 1,
            }
        }
        if ignored_roles > 0 {
            tracing::debug!(
                ignored_roles,
                "token role values with no mapping were ignored"
            );
        }
        let services_claim = string_array(claims.get(&self.services_claim), "services")?;
        let services_from_directory = services_claim.is_none();
        let services = services_claim
            .unwrap_or_default()
            .into_iter()
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Principal {
            subject,
            name,
            roles,
            services,
            services_from_directory,
        })
    }
}

/// Reads an optional array-of-strings claim; `None` when absent or null.
fn string_array<'a>(
    value: Option<&'a Value>,
    claim: &'static str,
) -> Result<Option<Vec<&'a str>>, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().ok_or(AuthError::InvalidClaim(claim)))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(AuthError::InvalidClaim(claim)),
    }
}
