//! Embedded mode: HS256 tokens minted and verified by this server, for
//! development, small installations and tests.
//!
//! The secret is 256 random bits generated on first start and kept in
//! `<data_dir>/jwt-secret` (base64, mode 0600); later starts reuse it.

use std::collections::BTreeSet;
use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde_json::{Map, Value};

use super::error::{AuthError, AuthSetupError, MintError};
use super::token::{self, ClaimMapping, PeekedHeader};
use crate::domain::roles::Role;

/// The issuer of embedded-mode tokens.
pub const EMBEDDED_ISSUER: &str = "upc-api-embedded";
/// The audience of embedded-mode tokens.
pub const EMBEDDED_AUDIENCE: &str = "upc-api";
/// The name of the secret file inside the data directory.
pub const SECRET_FILE_NAME: &str = "jwt-secret";

/// Secret length in bytes (256 bits).
const SECRET_LEN: usize = 32;
/// The longest lifetime a minted token may have.
const MAX_TTL: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// What to put in a token minted by [`Authenticator::mint`](super::Authenticator::mint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    /// The `sub` claim; must not be blank.
    pub subject: String,
    /// The display name, if any.
    pub name: Option<String>,
    /// The roles to grant.
    pub roles: BTreeSet<Role>,
    /// The service codes; always written, so the principal never needs a directory look-up.
    pub services: BTreeSet<String>,
    /// How long the token is valid; more than zero and at most 366 days.
    pub ttl: Duration,
}

/// The embedded HS256 keys.
pub(crate) struct EmbeddedKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for EmbeddedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmbeddedKeys { .. }")
    }
}

impl EmbeddedKeys {
    /// Loads the secret from `data_dir`, creating it on first start.
    pub(crate) fn load_or_create(
        data_dir: &Path,
        leeway_seconds: u64,
    ) -> Result<Self, AuthSetupError> {
        let secret = load_or_create_secret(data_dir)?;
        Ok(EmbeddedKeys {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation: token::validation(
                Algorithm::HS256,
                EMBEDDED_ISSUER,
                EMBEDDED_AUDIENCE,
                leeway_seconds,
            ),
        })
    }

    /// Verifies an embedded token; only HS256 is accepted.
    pub(crate) fn verify(
        &self,
        token: &str,
        header: &PeekedHeader,
    ) -> Result<Map<String, Value>, AuthError> {
        if header.alg != "HS256" {
            return Err(AuthError::UnsupportedAlgorithm);
        }
        token::verify(token, &self.decoding, &self.validation)
    }

    /// Signs a token for `request`, writing roles, services and name under the configured claims.
    pub(crate) fn mint(
        &self,
        request: &MintRequest,
        mapping: &ClaimMapping,
    ) -> Result<String, MintError> {
        if request.subject.trim().is_empty() {
            return Err(MintError::InvalidRequest("subject is blank"));
        }
        if request.ttl.is_zero() || request.ttl > MAX_TTL {
            return Err(MintError::InvalidRequest(
                "ttl must be more than zero and at most 366 days",
            ));
        }
        let now = chrono::Utc::now().timestamp();
        // MAX_TTL bounds the value, so the cast cannot overflow.
        let exp = now.saturating_add(i64::try_from(request.ttl.as_secs()).unwrap_or(i64::MAX));
        let mut claims = Map::new();
        claims.insert("iss".into(), EMBEDDED_ISSUER.into());
        claims.insert("aud".into(), EMBEDDED_AUDIENCE.into());
        claims.insert("sub".into(), request.subject.clone().into());
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), exp.into());
        if let Some(name) = &request.name {
            claims.insert(mapping.name_claim.clone(), name.clone().into());
        }
        claims.insert(
            mapping.roles_claim.clone(),
            request
                .roles
                .iter()
                .map(|role| Value::from(role.as_str()))
                .collect(),
        );
        claims.insert(
            mapping.services_claim.clone(),
            request.services.iter().cloned().map(Value::from).collect(),
        );
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("JWT".to_owned());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(MintError::Signing)
    }
}

/// Reads `<data_dir>/jwt-secret`, or creates it with a fresh random secret.
fn load_or_create_secret(data_dir: &Path) -> Result<Vec<u8>, AuthSetupError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|source| AuthSetupError::Secret {
            path: data_dir.to_path_buf(),
            source,
        })?;
    let path = data_dir.join(SECRET_FILE_NAME);
    let io_error = |source| AuthSetupError::Secret {
        path: path.clone(),
        source,
    };

    let mut secret = vec![0u8; SECRET_LEN];
    rand::rng().fill_bytes(&mut secret);
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            let written = file
                .write_all(format!("{}\n", STANDARD.encode(&secret)).as_bytes())
                .and_then(|()| file.sync_all());
            if let Err(source) = written {
                // Do not leave a half-written secret for the next start to trip on.
                let _ = std::fs::remove_file(&path);
                return Err(io_error(source));
            }
            tracing::info!(path = %path.display(), "created a new embedded token secret");
            Ok(secret)
        }
        Err(err) if err.kind() == ErrorKind::AlreadyExists => read_secret(&path),
        Err(source) => Err(io_error(source)),
    }
}

/// Reads an existing secret file, tightening its permissions to 0600 if needed.
fn read_secret(path: &PathBuf) -> Result<Vec<u8>, AuthSetupError> {
    let io_error = |source| AuthSetupError::Secret {
        path: path.clone(),
        source,
    };
    let mode = std::fs::metadata(path)
        .map_err(io_error)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777),
            "the token secret was readable by others; setting mode 0600");
        std::fs::set_permissions(path, Permissions::from_mode(0o600)).map_err(io_error)?;
    }
    // Another process may be writing the file this instant: retry an empty read briefly.
    let mut text = String::new();
    for _ in 0..10 {
        text = std::fs::read_to_string(path).map_err(io_error)?;
        if !text.trim().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let invalid = |detail| AuthSetupError::InvalidSecret {
        path: path.clone(),
        detail,
    };
    let secret = STANDARD
        .decode(text.trim())
        .map_err(|_| invalid("not base64"))?;
    if secret.len() < SECRET_LEN {
        return Err(invalid("shorter than 256 bits"));
    }
    Ok(secret)
}
