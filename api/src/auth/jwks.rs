//! Verification against an identity provider's JSON Web Key Set (e.g. Microsoft Entra ID).
//!
//! Only RS256 and ES256 are accepted. Keys are chosen by `kid`; an unknown `kid`
//! triggers one refresh of the key set, at most once per the configured interval.
//! A failed refresh keeps the keys already cached.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::error::{AuthError, AuthSetupError};
use super::token::{self, PeekedHeader};

/// The largest key-set document accepted.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Time allowed for the whole key-set fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed to connect to the key-set host.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the key set comes from.
#[derive(Debug, Clone)]
enum JwksSource {
    Url(reqwest::Url),
    File(PathBuf),
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksSource::Url(url) => write!(f, "{url}"),
            JwksSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// One verification key and the one algorithm it may be used with.
struct VerificationKey {
    alg: Algorithm,
    key: DecodingKey,
}

/// The cached key set.
#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<VerificationKey>>,
    /// How many times `keys` has been replaced: a token verified with one generation is
    /// verified again under another (`super::verified`).
    generation: u64,
    /// When a refresh on an unknown key id was last attempted (successful or not);
    /// `None` before the first. The start-up load does not count, so a key rotated
    /// just after start is picked up at once.
    last_attempt: Option<Instant>,
}

/// Why loading the key set failed (logged, never shown to clients).
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP status {0}")]
    Status(reqwest::StatusCode),
    #[error("key set larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(&'static str),
}

/// Verifies tokens with keys from a JWKS, refreshing it on unknown key ids.
pub(crate) struct JwksVerifier {
    source: JwksSource,
    client: reqwest::Client,
    min_refresh_interval: Duration,
    cache: RwLock<KeyCache>,
    /// Serialises refreshes so that a burst of unknown key ids causes one fetch.
    refresh_lock: tokio::sync::Mutex<()>,
    rs256: Validation,
    es256: Validation,
}

impl std::fmt::Debug for JwksVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksVerifier")
            .field("source", &self.source.to_string())
            .field("min_refresh_interval", &self.min_refresh_interval)
            .finish_non_exhaustive()
    }
}

impl JwksVerifier {
    /// Builds the verifier and loads the key set once.
    ///
    /// A URL that cannot be fetched now only logs a warning (the identity
    /// provider may be briefly down); a file that cannot be read or holds no
    /// usable key is a set-up error.
    pub(crate) async fn new(
        jwks: &str,
        issuer: &str,
        audience: &str,
        leeway_seconds: u64,
        min_refresh_interval: Duration,
    ) -> Result<Self, AuthSetupError> {
        let source = parse_source(jwks)?;
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(AuthSetupError::HttpClient)?;
        let verifier = JwksVerifier {
            source,
            client,
            min_refresh_interval,
            cache: RwLock::new(KeyCache::default()),
            refresh_lock: tokio::sync::Mutex::new(()),
            rs256: token::validation(Algorithm::RS256, issuer, audience, leeway_seconds),
            es256: token::validation(Algorithm::ES256, issuer, audience, leeway_seconds),
        };
        match verifier.load().await {
            Ok(keys) => {
                tracing::info!(source = %verifier.source, keys = keys.len(), "loaded the signing key set");
                verifier
                    .cache
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .keys = keys;
            }
            Err(err) => match &verifier.source {
                JwksSource::File(path) => {
                    return Err(match err {
                        FetchError::Io(source) => AuthSetupError::JwksFile {
                            path: path.clone(),
                            source,
                        },
                        other => AuthSetupError::InvalidJwks {
                            path: path.clone(),
                            detail: other.to_string(),
                        },
                    });
                }
                JwksSource::Url(_) => {
                    tracing::warn!(source = %verifier.source, error = %err,
                        "cannot load the signing key set at start; starting with none and retrying on demand");
                }
            },
        }
        Ok(verifier)
    }

    /// Verifies a token whose header has been peeked.
    pub(crate) async fn verify(
        &self,
        token: &str,
        header: &PeekedHeader,
    ) -> Result<Map<String, Value>, AuthError> {
        let (alg, validation) = match header.alg.as_str() {
            "RS256" => (Algorithm::RS256, &self.rs256),
            "ES256" => (Algorithm::ES256, &self.es256),
            _ => return Err(AuthError::UnsupportedAlgorithm),
        };
        let kid = header.kid.as_deref().ok_or(AuthError::UnknownKey)?;
        let key = self.key_for(kid).await?;
        if key.alg != alg {
            return Err(AuthError::BadSignature);
        }
        token::verify(token, &key.key, validation)
    }

    /// The key set's generation: it changes whenever the keys are replaced.
    pub(crate) fn generation(&self) -> u64 {
        self.cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .generation
    }

    fn cached(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        cache.keys.get(kid).cloned()
    }

    /// Finds the key for `kid`, refreshing the key set once if allowed.
    async fn key_for(&self, kid: &str) -> Result<Arc<VerificationKey>, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let _refreshing = self.refresh_lock.lock().await;
        // Another request may have refreshed while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if self.refresh_due() {
            self.refresh().await;
        } else {
            tracing::debug!("unknown key id; key-set refresh skipped (rate limited)");
        }
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        match cache.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None if cache.keys.is_empty() => Err(AuthError::KeySetUnavailable),
            None => Err(AuthError::UnknownKey),
        }
    }

    fn refresh_due(&self) -> bool {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        cache
            .last_attempt
            .is_none_or(|at| at.elapsed() >= self.min_refresh_interval)
    }

    /// Reloads the key set; on failure keeps the cached keys.
    async fn refresh(&self) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .last_attempt = Some(Instant::now());
        match self.load().await {
            Ok(keys) => {
                tracing::info!(source = %self.source, keys = keys.len(), "refreshed the signing key set");
                let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
                cache.keys = keys;
                cache.generation += 1;
            }
            Err(err) => {
                tracing::warn!(source = %self.source, error = %err,
                    "cannot refresh the signing key set; keeping the cached keys");
            }
        }
    }

    async fn load(&self) -> Result<HashMap<String, Arc<VerificationKey>>, FetchError> {
        let bytes = match &self.source {
            JwksSource::File(path) => tokio::fs::read(path).await?,
            JwksSource::Url(url) => self.fetch(url.clone()).await?,
        };
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(FetchError::TooLarge);
        }
        parse_key_set(&bytes)
    }

    async fn fetch(&self, url: reqwest::Url) -> Result<Vec<u8>, FetchError> {
        let mut response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Reads `UPC_AUTH_JWKS`: a URL (`https://`, `http://`), a `file://` URL, or a path.
fn parse_source(jwks: &str) -> Result<JwksSource, AuthSetupError> {
    let lower = jwks.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let url = reqwest::Url::parse(jwks).map_err(|err| AuthSetupError::InvalidSetting {
            setting: "UPC_AUTH_JWKS",
            detail: err.to_string(),
        })?;
        if url.scheme() == "http" && !is_loopback(&url) {
            tracing::warn!(%url, "UPC_AUTH_JWKS uses plain http; use https outside local testing");
        }
        Ok(JwksSource::Url(url))
    } else if let Some(path) = jwks.strip_prefix("file://") {
        Ok(JwksSource::File(PathBuf::from(path)))
    } else {
        Ok(JwksSource::File(PathBuf::from(jwks)))
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Parses a JWKS document, keeping the RS256 and ES256 signing keys that have a
/// `kid`. Keys it cannot use (other types, encryption keys, malformed entries)
/// are skipped; a set with no usable key is an error.
fn parse_key_set(bytes: &[u8]) -> Result<HashMap<String, Arc<VerificationKey>>, FetchError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|_| FetchError::Invalid("not JSON"))?;
    let Some(entries) = document.get("keys").and_then(Value::as_array) else {
        return Err(FetchError::Invalid("no \"keys\" array"));
    };
    let mut keys = HashMap::new();
    for entry in entries {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            tracing::debug!("skipping a key-set entry that is not a valid JWK");
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if let Some(usage) = &jwk.common.public_key_use
            && *usage != PublicKeyUse::Signature
        {
            continue;
        }
        let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            _ => {
                tracing::debug!(%kid, "skipping a key of an algorithm this server does not accept");
                continue;
            }
        };
        match DecodingKey::from_jwk(&jwk) {
            Ok(key) => {
                keys.insert(kid, Arc::new(VerificationKey { alg, key }));
            }
            Err(err) => tracing::debug!(%kid, error = %err, "skipping an unusable key"),
        }
    }
    if keys.is_empty() {
        return Err(FetchError::Invalid("no usable RS256 or ES256 signing key"));
    }
    Ok(keys)
}
