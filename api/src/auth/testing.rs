//! TEST SUPPORT ONLY — never use in production code.
//!
//! Generates RS256 (RSA 2048) and ES256 (P-256) key pairs, builds JWKS documents,
//! mints tokens with arbitrary claims and `kid`, and serves a JWKS on 127.0.0.1 so
//! integration tests can run the JWKS mode end to end. Compiled only for this
//! crate's tests or with the `testing` feature.
//!
//! RSA key generation is slow in debug builds, so [`TestKey::rs256`] generates one
//! key per process and reuses it (with any `kid`); [`TestKey::rs256_unique`] makes
//! a fresh one when a test needs a second, different RSA key.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// An error in the test support code (key generation, encoding, serving).
#[derive(Debug, Clone, thiserror::Error)]
#[error("test support: {0}")]
pub struct TestingError(String);

fn testing_error(err: impl std::fmt::Display) -> TestingError {
    TestingError(err.to_string())
}

/// A TEST-ONLY signing key pair with its key id.
#[derive(Clone)]
pub struct TestKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Jwk,
    public_key_pem: String,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The per-process RSA key (PKCS#1 DER of the private key, public key PEM).
static SHARED_RSA: OnceLock<Result<(Vec<u8>, String), TestingError>> = OnceLock::new();

fn generate_rsa() -> Result<(Vec<u8>, String), TestingError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let private =
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(testing_error)?;
    let der = private.to_pkcs1_der().map_err(testing_error)?;
    let pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(testing_error)?;
    Ok((der.as_bytes().to_vec(), pem))
}

impl TestKey {
    /// An RS256 key with id `kid`. The RSA key itself is generated once per process
    /// and shared by every call, so two calls give the same key under different ids.
    pub fn rs256(kid: &str) -> Result<Self, TestingError> {
        let (der, pem) = SHARED_RSA.get_or_init(generate_rsa).clone()?;
        Self::from_rsa_der(kid, &der, pem)
    }

    /// An RS256 key with id `kid` from a freshly generated RSA 2048 key (slow in debug builds).
    pub fn rs256_unique(kid: &str) -> Result<Self, TestingError> {
        let (der, pem) = generate_rsa()?;
        Self::from_rsa_der(kid, &der, pem)
    }

    fn from_rsa_der(kid: &str, der: &[u8], public_key_pem: String) -> Result<Self, TestingError> {
        Self::build(
            kid,
            Algorithm::RS256,
            EncodingKey::from_rsa_der(der),
            public_key_pem,
        )
    }

    /// An ES256 key with id `kid`, freshly generated (fast).
    pub fn es256(kid: &str) -> Result<Self, TestingError> {
        use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let secret = p256::SecretKey::random(&mut rsa::rand_core::OsRng);
        let der = secret.to_pkcs8_der().map_err(testing_error)?;
        let pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(testing_error)?;
        Self::build(
            kid,
            Algorithm::ES256,
            EncodingKey::from_ec_der(der.as_bytes()),
            pem,
        )
    }

    fn build(
        kid: &str,
        alg: Algorithm,
        encoding: EncodingKey,
        public_key_pem: String,
    ) -> Result<Self, TestingError> {
        let mut jwk = Jwk::from_encoding_key(&encoding, alg).map_err(testing_error)?;
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(TestKey {
            kid: kid.to_owned(),
            alg,
            encoding,
            jwk,
            public_key_pem,
        })
    }

    /// The same key pair under another key id.
    pub fn with_kid(&self, kid: &str) -> Self {
        let mut key = self.clone();
        key.kid = kid.to_owned();
        key.jwk.common.key_id = Some(kid.to_owned());
        key
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signing algorithm (RS256 or ES256).
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public key as a JWK (with `kid`, `alg` and `use`).
    pub fn jwk(&self) -> Result<Value, TestingError> {
        serde_json::to_value(&self.jwk).map_err(testing_error)
    }

    /// The public key as SPKI PEM, e.g. to forge an HS256 token keyed with it.
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// Signs `claims` with this key, with this key's `kid` in the header.
    pub fn mint(&self, claims: &Value) -> Result<String, TestingError> {
        self.mint_with_kid(Some(&self.kid), claims)
    }

    /// Signs `claims` with this key and the given `kid` (or none) in the header.
    pub fn mint_with_kid(&self, kid: Option<&str>, claims: &Value) -> Result<String, TestingError> {
        let mut header = Header::new(self.alg);
        header.typ = Some("JWT".to_owned());
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(testing_error)
    }
}

/// A JWKS document (`{"keys": [...]}`) holding the public halves of `keys`.
pub fn jwks_json(keys: &[&TestKey]) -> Result<Value, TestingError> {
    let keys = keys
        .iter()
        .map(|key| key.jwk())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "keys": keys }))
}

/// The current time in seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Registered claims `iss`, `aud`, `sub`, `iat`, `nbf` (now) and `exp` (now + `ttl_seconds`,
/// which may be negative for an expired token). Add or remove claims on the result.
pub fn claims(issuer: &str, audience: &str, subject: &str, ttl_seconds: i64) -> Value {
    let now = now();
    json!({
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
    })
}

/// An unsigned token (empty signature) with the given header, e.g. `{"alg": "none"}`.
pub fn unsigned_token(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// An HS256 token signed with `secret`, with the given `kid` (or none).
pub fn hs256_token(
    secret: &[u8],
    kid: Option<&str>,
    claims: &Value,
) -> Result<String, TestingError> {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).map_err(testing_error)
}

/// What the [`JwksServer`] serves and has seen.
struct ServerState {
    body: Mutex<String>,
    failing: AtomicBool,
    requests: AtomicUsize,
}

/// A TEST-ONLY HTTP server on 127.0.0.1 that answers every request with a JWKS
/// document (or with 503 while [`JwksServer::set_failing`] is on) and counts requests.
/// It stops when dropped.
pub struct JwksServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for JwksServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl JwksServer {
    /// Starts serving `jwks` on an ephemeral port of 127.0.0.1.
    pub async fn start(jwks: &Value) -> Result<Self, TestingError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(testing_error)?;
        let addr = listener.local_addr().map_err(testing_error)?;
        let state = Arc::new(ServerState {
            body: Mutex::new(jwks.to_string()),
            failing: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
        });
        let served = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&served);
                tokio::spawn(async move {
                    // A failed exchange only affects the client that caused it.
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), respond(stream, &state)).await;
                });
            }
        });
        Ok(JwksServer { addr, state, task })
    }

    /// The URL of the key set.
    pub fn url(&self) -> String {
        format!("http://{}/jwks", self.addr)
    }

    /// Replaces the served key set.
    pub fn set_jwks(&self, jwks: &Value) {
        *self
            .state
            .body
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = jwks.to_string();
    }

    /// While on, every request gets `503 Service Unavailable`.
    pub fn set_failing(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }

    /// How many requests have been answered so far.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers one request. Uses only tokio's `net` feature (no `io-util`).
async fn respond(stream: TcpStream, state: &ServerState) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        stream.readable().await?;
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(err) => return Err(err),
        }
    }
    state.requests.fetch_add(1, Ordering::SeqCst);
    let (status, body) = if state.failing.load(Ordering::SeqCst) {
        ("503 Service Unavailable", "{}".to_owned())
    } else {
        let body = state
            .body
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        ("200 OK", body)
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut remaining = response.as_bytes();
    while !remaining.is_empty() {
        stream.writable().await?;
        match stream.try_write(remaining) {
            Ok(n) => remaining = &remaining[n..],
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(err) => return Err(err),
        }
    }
    // Dropping the stream closes the connection, which `Connection: close` announced.
    Ok(())
}
