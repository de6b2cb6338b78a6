//! Errors of authentication, set-up and token minting.

use std::path::PathBuf;

/// Why a bearer token was refused.
///
/// Neither the `Display` text nor [`AuthError::reason`] ever contains the token
/// or any secret, so both are safe to log and to return to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No bearer token was given.
    #[error("no bearer token")]
    Missing,
    /// The token is not a well-formed JWT (or the header is not `Bearer <token>`).
    #[error("malformed token")]
    Malformed,
    /// The token's header names an algorithm this server does not accept.
    #[error("unsupported token algorithm")]
    UnsupportedAlgorithm,
    /// The token's key id is not in the identity provider's key set.
    #[error("unknown signing key")]
    UnknownKey,
    /// The token's signature does not verify.
    #[error("bad token signature")]
    BadSignature,
    /// The token has expired.
    #[error("token expired")]
    Expired,
    /// The token is not valid yet (`nbf` in the future).
    #[error("token not yet valid")]
    NotYetValid,
    /// The token was issued by an issuer this server does not trust.
    #[error("wrong token issuer")]
    WrongIssuer,
    /// The token was issued for another audience.
    #[error("wrong token audience")]
    WrongAudience,
    /// A required claim is absent.
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or an unusable value.
    #[error("invalid claim {0}")]
    InvalidClaim(&'static str),
    /// The identity provider's key set could not be loaded, so no token can be checked.
    #[error("signing key set unavailable")]
    KeySetUnavailable,
}

impl AuthError {
    /// A short, stable, log-safe code for the failure, e.g. `"expired"`.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed",
            AuthError::UnsupportedAlgorithm => "unsupported_algorithm",
            AuthError::UnknownKey => "unknown_key",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::MissingClaim(_) => "missing_claim",
            AuthError::InvalidClaim(_) => "invalid_claim",
            AuthError::KeySetUnavailable => "key_set_unavailable",
        }
    }

    /// The claim concerned, for [`AuthError::MissingClaim`] and [`AuthError::InvalidClaim`].
    pub fn claim(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingClaim(claim) | AuthError::InvalidClaim(claim) => Some(claim),
            _ => None,
        }
    }
}

/// Why an [`Authenticator`](super::Authenticator) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// A setting required in this mode is not set; names the environment variable.
    #[error("{0} must be set when UPC_AUTH_JWKS is set")]
    MissingSetting(&'static str),
    /// A setting has an unusable value; names the environment variable.
    #[error("{setting} is invalid: {detail}")]
    InvalidSetting {
        /// The environment variable.
        setting: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The JWKS file could not be read.
    #[error("cannot read the JWKS file {path}: {source}")]
    JwksFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The JWKS file was read but holds no usable signing key.
    #[error("the JWKS file {path} is not usable: {detail}")]
    InvalidJwks {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The HTTP client for fetching the JWKS could not be built.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The embedded-mode secret could not be created, read or protected.
    #[error("cannot use the token secret {path}: {source}")]
    Secret {
        /// The secret file (or the data directory).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The embedded-mode secret file exists but does not hold a usable secret.
    #[error("the token secret {path} is not valid: {detail}")]
    InvalidSecret {
        /// The secret file.
        path: PathBuf,
        /// What is wrong with it (never the secret itself).
        detail: &'static str,
    },
}

/// Why [`Authenticator::mint`](super::Authenticator::mint) failed.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// Tokens can be minted only in embedded mode; with a JWKS the identity provider issues them.
    #[error("tokens can only be minted in embedded mode (UPC_AUTH_JWKS is set)")]
    NotEmbedded,
    /// The request cannot become a token.
    #[error("invalid mint request: {0}")]
    InvalidRequest(&'static str),
    /// Signing failed.
    #[error("cannot sign the token: {0}")]
    Signing(#[source] jsonwebtoken::errors::Error),
}
