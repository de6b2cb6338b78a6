//! Authentication for the UPC API: verifies bearer tokens and turns them into a [`Principal`].
//!
//! Two modes, chosen by [`AuthSettings::jwks`]:
//!
//! - **JWKS mode** (`UPC_AUTH_JWKS` set): tokens come from an identity provider such
//!   as Microsoft Entra ID and are verified with its published key set. Only RS256 and
//!   ES256 are accepted; `exp`, `iss`, `aud` and `sub` are required and `nbf` is checked.
//! - **Embedded mode** (no JWKS): this server mints and verifies HS256 tokens with a
//!   random secret kept in `<data_dir>/jwt-secret`.
//!
//! Typical use: build one [`Authenticator`] at start-up with [`Authenticator::new`],
//! then for each request call [`bearer_from_header`] on the `Authorization` header
//! and [`Authenticator::authenticate`] on the token.

mod embedded;
mod error;
mod jwks;
mod settings;
mod token;
mod verified;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use crate::domain::roles::{Principal, Role, UnknownRole};
pub use embedded::{EMBEDDED_AUDIENCE, EMBEDDED_ISSUER, MintRequest, SECRET_FILE_NAME};
pub use error::{AuthError, AuthSetupError, MintError};
pub use settings::AuthSettings;

use embedded::EmbeddedKeys;
use jwks::JwksVerifier;
use token::ClaimMapping;
use verified::{Verified, VerifiedTokens};

/// Verifies bearer tokens. Cheap to clone: the state is shared behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    mode: Mode,
    mapping: ClaimMapping,
    /// Tokens already verified (`verified`).
    verified: VerifiedTokens,
}

#[derive(Debug)]
enum Mode {
    Jwks(Box<JwksVerifier>),
    Embedded(Box<EmbeddedKeys>),
}

impl Authenticator {
    /// Builds the authenticator for `settings`.
    ///
    /// In JWKS mode, `issuer` and `audience` are required and the key set is loaded
    /// now: a URL that cannot be fetched only logs a warning (keys are fetched again
    /// on demand), but a missing or unusable JWKS file is an error. In embedded mode
    /// the secret is read from, or created in, `data_dir`.
    pub async fn new(settings: AuthSettings, data_dir: &Path) -> Result<Self, AuthSetupError> {
        let mapping = ClaimMapping::from_settings(&settings);
        let jwks = settings
            .jwks
            .as_deref()
            .map(str::trim)
            .filter(|jwks| !jwks.is_empty());
        let mode = match jwks {
            Some(jwks) => {
                let issuer = required(settings.issuer.as_deref(), "UPC_AUTH_ISSUER")?;
                let audience = required(settings.audience.as_deref(), "UPC_AUTH_AUDIENCE")?;
                Mode::Jwks(Box::new(
                    JwksVerifier::new(
                        jwks,
                        issuer,
                        audience,
                        settings.leeway_seconds,
                        Duration::from_secs(settings.jwks_min_refresh_interval_seconds),
                    )
                    .await?,
                ))
            }
            None => {
                let dir = data_dir.to_path_buf();
                let leeway = settings.leeway_seconds;
                let keys =
                    tokio::task::spawn_blocking(move || EmbeddedKeys::load_or_create(&dir, leeway))
                        .await
                        .map_err(|join| AuthSetupError::Secret {
                            path: data_dir.join(SECRET_FILE_NAME),
                            source: std::io::Error::other(join.to_string()),
                        })??;
                tracing::info!("authentication in embedded mode (HS256, locally minted tokens)");
                Mode::Embedded(Box::new(keys))
            }
        };
        Ok(Authenticator {
            inner: Arc::new(Inner {
                mode,
                mapping,
                verified: VerifiedTokens::new(settings.leeway_seconds),
            }),
        })
    }

    /// Whether tokens are minted and verified locally (no JWKS configured).
    pub fn is_embedded(&self) -> bool {
        matches!(self.inner.mode, Mode::Embedded(_))
    }

    /// Verifies `bearer_token` (the token alone, without `Bearer `) and returns its principal.
    pub async fn authenticate(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        let (principal, _) = self.authenticate_signing_in(bearer_token).await?;
        Ok(Arc::unwrap_or_clone(principal))
    }

    /// As [`Authenticator::authenticate`], with what an identity provider's token says about
    /// the member of staff for the staff directory (`None` for an embedded token, minted here).
    /// A token verified before and still valid is not verified again (`verified`): the
    /// principal is the one it gave then, shared.
    pub async fn authenticate_signing_in(
        &self,
        bearer_token: &str,
    ) -> Result<(Arc<Principal>, Option<crate::domain::staff::SignIn>), AuthError> {
        let bearer_token = bearer_token.trim();
        let digest = VerifiedTokens::digest(bearer_token);
        let now = jsonwebtoken::get_current_timestamp();
        // Read before verifying: keys replaced meanwhile make the entry verify again.
        let keys = match &self.inner.mode {
            Mode::Jwks(verifier) => verifier.generation(),
            Mode::Embedded(_) => 0,
        };
        if let Some(hit) = self.inner.verified.get(&digest, now, keys) {
            return Ok((hit.principal.clone(), hit.sign_in.clone()));
        }
        let header = token::peek_header(bearer_token)?;
        let (claims, from_provider) = match &self.inner.mode {
            Mode::Jwks(verifier) => (verifier.verify(bearer_token, &header).await?, true),
            Mode::Embedded(keys) => (keys.verify(bearer_token, &header)?, false),
        };
        let principal = self.inner.mapping.principal(&claims)?;
        let sign_in = from_provider.then(|| self.inner.mapping.sign_in(&claims, &principal));
        // `exp` is required and was checked as a whole number of seconds.
        let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_u64) else {
            return Ok((Arc::new(principal), sign_in));
        };
        let verified = Verified::new(principal, sign_in, exp, keys);
        self.inner.verified.put(digest, verified.clone(), now);
        Ok((verified.principal.clone(), verified.sign_in.clone()))
    }

    /// Mints an HS256 token for `request`. Works only in embedded mode.
    pub fn mint(&self, request: MintRequest) -> Result<String, MintError> {
        match &self.inner.mode {
            Mode::Embedded(keys) => keys.mint(&request, &self.inner.mapping),
            Mode::Jwks(_) => Err(MintError::NotEmbedded),
        }
    }
}

fn required<'a>(value: Option<&'a str>, setting: &'static str) -> Result<&'a str, AuthSetupError> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or(AuthSetupError::MissingSetting(setting))
}

/// Extracts the token from an `Authorization` header value of the form
/// `Bearer <token>` (the scheme is case-insensitive).
///
/// `None` or a blank value is [`AuthError::Missing`]; any other scheme, or a
/// missing token, is [`AuthError::Malformed`].
pub fn bearer_from_header(value: Option<&str>) -> Result<&str, AuthError> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(AuthError::Missing);
    }
    let (scheme, token) = value.split_once([' ', '\t']).ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed);
    }
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(AuthError::Malformed);
    }
    Ok(token)
}
