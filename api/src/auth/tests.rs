//! Tests of the authentication module (both modes, end to end over loopback HTTP).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::testing::{self, JwksServer, TestKey};
use super::{
    AuthError, AuthSettings, AuthSetupError, Authenticator, MintError, MintRequest, Principal,
    Role, SECRET_FILE_NAME, bearer_from_header,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ISSUER: &str = "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0";
const AUDIENCE: &str = "api://upc-api";

fn jwks_settings(jwks: &str) -> AuthSettings {
    AuthSettings {
        jwks: Some(jwks.to_owned()),
        issuer: Some(ISSUER.to_owned()),
        audience: Some(AUDIENCE.to_owned()),
        ..AuthSettings::default()
    }
}

/// Claims of a valid token from the identity provider.
fn good_claims() -> Value {
    let mut claims = testing::claims(ISSUER, AUDIENCE, "user-1", 300);
    claims["name"] = json!("Ada Officer");
    claims["roles"] = json!(["officer"]);
    claims["services"] = json!(["HOUS", "ENV"]);
    claims
}

/// A JWKS server holding `key` and an authenticator using it.
async fn jwks_setup(
    key: &TestKey,
) -> Result<(JwksServer, Authenticator), Box<dyn std::error::Error>> {
    jwks_setup_with(key, AuthSettings::default()).await
}

async fn jwks_setup_with(
    key: &TestKey,
    overrides: AuthSettings,
) -> Result<(JwksServer, Authenticator), Box<dyn std::error::Error>> {
    let server = JwksServer::start(&testing::jwks_json(&[key])?).await?;
    let settings = AuthSettings {
        jwks: Some(server.url()),
        issuer: Some(ISSUER.to_owned()),
        audience: Some(AUDIENCE.to_owned()),
        ..overrides
    };
    let auth = Authenticator::new(settings, Path::new("/nonexistent-unused")).await?;
    Ok((server, auth))
}

/// Authenticates a token signed by `key` with `claims` against a JWKS holding `key`.
async fn verify_with_rs256(
    claims: &Value,
) -> Result<Result<Principal, AuthError>, Box<dyn std::error::Error>> {
    let key = TestKey::rs256("rsa-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    Ok(auth.authenticate(&key.mint(claims)?).await)
}

fn without(mut claims: Value, claim: &str) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.remove(claim);
    }
    claims
}

#[tokio::test]
async fn no_token_is_missing() -> TestResult {
    assert_eq!(bearer_from_header(None), Err(AuthError::Missing));
    assert_eq!(bearer_from_header(Some("  ")), Err(AuthError::Missing));
    let key = TestKey::es256("ec-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    assert_eq!(auth.authenticate("").await, Err(AuthError::Missing));
    Ok(())
}

#[test]
fn bearer_header_parsing() {
    assert_eq!(
        bearer_from_header(Some("Bearer abc.def.ghi")),
        Ok("abc.def.ghi")
    );
    assert_eq!(bearer_from_header(Some("bearer  abc")), Ok("abc"));
    assert_eq!(bearer_from_header(Some("BEARER abc")), Ok("abc"));
    assert_eq!(
        bearer_from_header(Some("Basic dXNlcjpwdw==")),
        Err(AuthError::Malformed)
    );
    assert_eq!(
        bearer_from_header(Some("Bearer")),
        Err(AuthError::Malformed)
    );
    assert_eq!(
        bearer_from_header(Some("Bearer a b")),
        Err(AuthError::Malformed)
    );
    assert_eq!(
        bearer_from_header(Some("abc.def.ghi")),
        Err(AuthError::Malformed)
    );
}

#[tokio::test]
async fn malformed_tokens_are_refused() -> TestResult {
    let key = TestKey::es256("ec-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    for token in [
        "not-a-jwt",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "!!!.e30.sig",
        "e30.e30.sig",
    ] {
        assert_eq!(
            auth.authenticate(token).await,
            Err(AuthError::Malformed),
            "{token}"
        );
    }
    // A valid header and signature over a payload that is not a JSON object.
    let token = key.mint(&json!(["not", "an", "object"]))?;
    assert_eq!(auth.authenticate(&token).await, Err(AuthError::Malformed));
    Ok(())
}

#[tokio::test]
async fn alg_none_is_refused() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    for alg in ["none", "None", "NONE"] {
        let token = testing::unsigned_token(
            &json!({"alg": alg, "typ": "JWT", "kid": "rsa-1"}),
            &good_claims(),
        );
        assert_eq!(
            auth.authenticate(&token).await,
            Err(AuthError::UnsupportedAlgorithm)
        );
    }
    Ok(())
}

#[tokio::test]
async fn hs256_signed_with_rsa_public_key_is_refused() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    let jwk = key.jwk()?;
    let secrets = [
        key.public_key_pem().as_bytes().to_vec(),
        jwk["n"].as_str().unwrap_or_default().as_bytes().to_vec(),
    ];
    for secret in secrets {
        let token = testing::hs256_token(&secret, Some("rsa-1"), &good_claims())?;
        assert_eq!(
            auth.authenticate(&token).await,
            Err(AuthError::UnsupportedAlgorithm)
        );
    }
    Ok(())
}

#[tokio::test]
async fn other_asymmetric_algorithms_are_refused() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    for alg in ["RS384", "RS512", "PS256", "ES384", "EdDSA", "HS512"] {
        let token = testing::unsigned_token(&json!({"alg": alg, "kid": "rsa-1"}), &good_claims());
        let token = format!("{token}c2ln");
        assert_eq!(
            auth.authenticate(&token).await,
            Err(AuthError::UnsupportedAlgorithm),
            "{alg}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn token_signed_by_wrong_key_is_refused() -> TestResult {
    let served = TestKey::rs256("rsa-1")?;
    let attacker = TestKey::rs256_unique("rsa-1")?;
    let (_server, auth) = jwks_setup(&served).await?;
    let token = attacker.mint(&good_claims())?;
    assert_eq!(
        auth.authenticate(&token).await,
        Err(AuthError::BadSignature)
    );
    Ok(())
}

#[tokio::test]
async fn tampered_payload_is_refused() -> TestResult {
    let key = TestKey::es256("ec-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    let token = key.mint(&good_claims())?;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut admin = good_claims();
    admin["roles"] = json!(["admin"]);
    if let Some(payload) = parts.get_mut(1) {
        *payload = testing::unsigned_token(&json!({}), &admin)
            .split('.')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
    }
    assert_eq!(
        auth.authenticate(&parts.join(".")).await,
        Err(AuthError::BadSignature)
    );
    Ok(())
}

#[tokio::test]
async fn es256_token_with_kid_of_rsa_key_is_refused() -> TestResult {
    let rsa = TestKey::rs256("shared-kid")?;
    let ec = TestKey::es256("shared-kid")?;
    let (_server, auth) = jwks_setup(&rsa).await?;
    assert_eq!(
        auth.authenticate(&ec.mint(&good_claims())?).await,
        Err(AuthError::BadSignature)
    );
    Ok(())
}

#[tokio::test]
async fn expired_beyond_leeway_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["exp"] = json!(testing::now() - 120);
    claims["nbf"] = json!(testing::now() - 600);
    assert_eq!(verify_with_rs256(&claims).await?, Err(AuthError::Expired));
    Ok(())
}

#[tokio::test]
async fn expired_within_leeway_is_accepted() -> TestResult {
    let mut claims = good_claims();
    claims["exp"] = json!(testing::now() - 10);
    claims["nbf"] = json!(testing::now() - 600);
    assert!(verify_with_rs256(&claims).await?.is_ok());
    Ok(())
}

#[tokio::test]
async fn nbf_in_the_future_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["nbf"] = json!(testing::now() + 300);
    claims["exp"] = json!(testing::now() + 900);
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::NotYetValid)
    );
    Ok(())
}

#[tokio::test]
async fn missing_iss_is_refused() -> TestResult {
    let claims = without(good_claims(), "iss");
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::MissingClaim("iss"))
    );
    Ok(())
}

#[tokio::test]
async fn wrong_iss_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["iss"] = json!("https://login.microsoftonline.com/other-tenant/v2.0");
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::WrongIssuer)
    );
    Ok(())
}

#[tokio::test]
async fn missing_aud_is_refused() -> TestResult {
    let claims = without(good_claims(), "aud");
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::MissingClaim("aud"))
    );
    Ok(())
}

#[tokio::test]
async fn wrong_aud_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["aud"] = json!("api://another-app");
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::WrongAudience)
    );
    Ok(())
}

#[tokio::test]
async fn missing_sub_is_refused() -> TestResult {
    let claims = without(good_claims(), "sub");
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::MissingClaim("sub"))
    );
    Ok(())
}

#[tokio::test]
async fn missing_exp_is_refused() -> TestResult {
    let claims = without(good_claims(), "exp");
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::MissingClaim("exp"))
    );
    Ok(())
}

#[tokio::test]
async fn exp_as_string_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["exp"] = json!((testing::now() + 300).to_string());
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::InvalidClaim("exp"))
    );
    Ok(())
}

#[tokio::test]
async fn roles_claim_of_wrong_type_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["roles"] = json!({"officer": true});
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::InvalidClaim("roles"))
    );
    Ok(())
}

#[tokio::test]
async fn unknown_kid_refreshes_once_then_is_refused() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (server, auth) = jwks_setup(&key).await?;
    assert_eq!(server.requests(), 1, "key set loaded at start");
    let token = key.with_kid("rsa-unknown").mint(&good_claims())?;
    assert_eq!(auth.authenticate(&token).await, Err(AuthError::UnknownKey));
    assert_eq!(server.requests(), 2, "exactly one refresh");
    Ok(())
}

#[tokio::test]
async fn token_without_kid_is_refused() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    let token = key.mint_with_kid(None, &good_claims())?;
    assert_eq!(auth.authenticate(&token).await, Err(AuthError::UnknownKey));
    Ok(())
}

#[tokio::test]
async fn refresh_on_unknown_kid_is_rate_limited() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (server, auth) = jwks_setup(&key).await?;
    for n in 0..5 {
        let token = key.with_kid(&format!("unknown-{n}")).mint(&good_claims())?;
        assert_eq!(auth.authenticate(&token).await, Err(AuthError::UnknownKey));
    }
    assert_eq!(
        server.requests(),
        2,
        "start-up load plus one refresh in the interval"
    );
    // Known keys keep working meanwhile.
    assert!(auth.authenticate(&key.mint(&good_claims())?).await.is_ok());
    assert_eq!(server.requests(), 2);
    Ok(())
}

#[tokio::test]
async fn concurrent_unknown_kids_cause_one_refresh() -> TestResult {
    let key = TestKey::es256("ec-1")?;
    let (server, auth) = jwks_setup(&key).await?;
    let token = key.with_kid("rotated").mint(&good_claims())?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let auth = auth.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move { auth.authenticate(&token).await }));
    }
    for task in tasks {
        assert_eq!(task.await?, Err(AuthError::UnknownKey));
    }
    assert_eq!(server.requests(), 2);
    Ok(())
}

#[tokio::test]
async fn rotated_key_is_picked_up_by_refresh() -> TestResult {
    let old = TestKey::es256("ec-old")?;
    let new = TestKey::es256("ec-new")?;
    let (server, auth) = jwks_setup(&old).await?;
    server.set_jwks(&testing::jwks_json(&[&old, &new])?);
    let principal = auth.authenticate(&new.mint(&good_claims())?).await?;
    assert_eq!(principal.subject, "user-1");
    assert_eq!(server.requests(), 2);
    Ok(())
}

/// An address on loopback where nothing listens.
async fn dead_url() -> Result<String, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{addr}/jwks"))
}

#[tokio::test]
async fn unreachable_jwks_url_refuses_tokens_without_panicking() -> TestResult {
    let dir = tempfile::tempdir()?;
    let auth = Authenticator::new(jwks_settings(&dead_url().await?), dir.path()).await?;
    let key = TestKey::rs256("rsa-1")?;
    let token = key.mint(&good_claims())?;
    assert_eq!(
        auth.authenticate(&token).await,
        Err(AuthError::KeySetUnavailable)
    );
    // Rate limited now, still a clean refusal.
    assert_eq!(
        auth.authenticate(&token).await,
        Err(AuthError::KeySetUnavailable)
    );
    Ok(())
}

#[tokio::test]
async fn key_set_down_at_start_is_loaded_on_first_token() -> TestResult {
    let key = TestKey::es256("ec-1")?;
    let server = JwksServer::start(&testing::jwks_json(&[&key])?).await?;
    server.set_failing(true);
    let auth = Authenticator::new(jwks_settings(&server.url()), Path::new("/unused")).await?;
    server.set_failing(false);
    assert!(auth.authenticate(&key.mint(&good_claims())?).await.is_ok());
    assert_eq!(server.requests(), 2);
    Ok(())
}

#[tokio::test]
async fn failed_refresh_keeps_cached_keys() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let overrides = AuthSettings {
        jwks_min_refresh_interval_seconds: 0,
        ..AuthSettings::default()
    };
    let (server, auth) = jwks_setup_with(&key, overrides).await?;
    server.set_failing(true);
    let unknown = key.with_kid("unknown").mint(&good_claims())?;
    assert_eq!(
        auth.authenticate(&unknown).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(server.requests(), 2, "a refresh was attempted and failed");
    let principal = auth.authenticate(&key.mint(&good_claims())?).await?;
    assert_eq!(principal.subject, "user-1");
    Ok(())
}

#[tokio::test]
async fn rs256_accepted_end_to_end() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    let header = format!("Bearer {}", key.mint(&good_claims())?);
    let principal = auth
        .authenticate(bearer_from_header(Some(&header))?)
        .await?;
    assert_eq!(principal.subject, "user-1");
    assert_eq!(principal.name.as_deref(), Some("Ada Officer"));
    assert_eq!(principal.roles, BTreeSet::from([Role::Officer]));
    assert_eq!(
        principal.services,
        BTreeSet::from(["ENV".to_owned(), "HOUS".to_owned()])
    );
    assert!(!principal.services_from_directory);
    assert!(principal.has_role(Role::Officer));
    assert!(principal.has_any_role(&[Role::Admin, Role::Officer]));
    assert!(!principal.has_any_role(&[Role::Admin, Role::LegalServices]));
    Ok(())
}

#[tokio::test]
async fn es256_accepted_end_to_end() -> TestResult {
    let key = TestKey::es256("ec-1")?;
    let (_server, auth) = jwks_setup(&key).await?;
    let principal = auth.authenticate(&key.mint(&good_claims())?).await?;
    assert_eq!(principal.subject, "user-1");
    assert_eq!(principal.roles, BTreeSet::from([Role::Officer]));
    Ok(())
}

#[tokio::test]
async fn entra_roles_are_mapped_and_missing_services_use_directory() -> TestResult {
    let key = TestKey::rs256("entra-kid")?;
    let overrides = AuthSettings {
        role_map: BTreeMap::from([
            ("UPC.LegalServices".to_owned(), Role::LegalServices),
            ("UPC.Officer".to_owned(), Role::Officer),
        ]),
        ..AuthSettings::default()
    };
    let (_server, auth) = jwks_setup_with(&key, overrides).await?;
    // Shaped like a Microsoft Entra ID v2 access token.
    let mut claims = testing::claims(
        ISSUER,
        AUDIENCE,
        "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        3600,
    );
    claims["ver"] = json!("2.0");
    claims["tid"] = json!("11111111-2222-3333-4444-555555555555");
    claims["oid"] = json!("00000000-0000-0000-66f3-3332eca7ea81");
    claims["azp"] = json!("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    claims["name"] = json!("Lee Lawyer");
    claims["preferred_username"] = json!("lee.lawyer@council.gov.uk");
    claims["roles"] = json!([
        "UPC.LegalServices",
        "monitoring_officer",
        "Some.Unmapped.Role"
    ]);
    let principal = auth.authenticate(&key.mint(&claims)?).await?;
    assert_eq!(
        principal.roles,
        BTreeSet::from([Role::LegalServices, Role::MonitoringOfficer])
    );
    assert!(principal.services.is_empty());
    assert!(principal.services_from_directory);
    assert_eq!(principal.name.as_deref(), Some("Lee Lawyer"));
    Ok(())
}

#[tokio::test]
async fn configurable_claim_names_are_used() -> TestResult {
    let key = TestKey::es256("ec-1")?;
    let overrides = AuthSettings {
        roles_claim: "app_roles".to_owned(),
        services_claim: "upc_services".to_owned(),
        name_claim: "display_name".to_owned(),
        ..AuthSettings::default()
    };
    let (_server, auth) = jwks_setup_with(&key, overrides).await?;
    let mut claims = testing::claims(ISSUER, AUDIENCE, "user-2", 300);
    claims["app_roles"] = json!(["head_of_service"]);
    claims["upc_services"] = json!(["SOC"]);
    claims["display_name"] = json!("Sam");
    claims["roles"] = json!(["admin"]);
    let principal = auth.authenticate(&key.mint(&claims)?).await?;
    assert_eq!(principal.roles, BTreeSet::from([Role::HeadOfService]));
    assert_eq!(principal.services, BTreeSet::from(["SOC".to_owned()]));
    assert_eq!(principal.name.as_deref(), Some("Sam"));
    Ok(())
}

#[tokio::test]
async fn jwks_file_is_used() -> TestResult {
    let dir = tempfile::tempdir()?;
    let key = TestKey::es256("ec-file")?;
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, testing::jwks_json(&[&key])?.to_string())?;
    let auth = Authenticator::new(jwks_settings(&path.to_string_lossy()), dir.path()).await?;
    assert!(auth.authenticate(&key.mint(&good_claims())?).await.is_ok());
    assert!(!auth.is_embedded());
    Ok(())
}

#[tokio::test]
async fn missing_jwks_file_is_a_setup_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("no-such-jwks.json");
    let result = Authenticator::new(jwks_settings(&path.to_string_lossy()), dir.path()).await;
    assert!(
        matches!(result, Err(AuthSetupError::JwksFile { .. })),
        "{result:?}"
    );
    Ok(())
}

#[tokio::test]
async fn jwks_mode_requires_issuer_and_audience() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut settings =
        jwks_settings("https://login.microsoftonline.com/common/discovery/v2.0/keys");
    settings.issuer = None;
    let result = Authenticator::new(settings.clone(), dir.path()).await;
    assert!(matches!(
        result,
        Err(AuthSetupError::MissingSetting("UPC_AUTH_ISSUER"))
    ));
    settings.issuer = Some(ISSUER.to_owned());
    settings.audience = Some(" ".to_owned());
    let result = Authenticator::new(settings, dir.path()).await;
    assert!(matches!(
        result,
        Err(AuthSetupError::MissingSetting("UPC_AUTH_AUDIENCE"))
    ));
    Ok(())
}

fn mint_request() -> MintRequest {
    MintRequest {
        subject: "local-admin".to_owned(),
        name: Some("Local Admin".to_owned()),
        roles: BTreeSet::from([Role::Admin, Role::ServiceManager]),
        services: BTreeSet::from(["HOUS".to_owned()]),
        ttl: Duration::from_secs(600),
    }
}

#[tokio::test]
async fn embedded_secret_is_persisted_with_mode_0600() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("data");
    let first = Authenticator::new(AuthSettings::default(), &data_dir).await?;
    let path = data_dir.join(SECRET_FILE_NAME);
    let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let secret_before = std::fs::read_to_string(&path)?;

    let token = first.mint(mint_request())?;
    let second = Authenticator::new(AuthSettings::default(), &data_dir).await?;
    assert_eq!(
        std::fs::read_to_string(&path)?,
        secret_before,
        "secret reused"
    );
    assert_eq!(second.authenticate(&token).await?.subject, "local-admin");

    // Another data directory gets another secret: nothing is built in.
    let other_dir = dir.path().join("other");
    let other = Authenticator::new(AuthSettings::default(), &other_dir).await?;
    assert_ne!(
        std::fs::read_to_string(other_dir.join(SECRET_FILE_NAME))?,
        secret_before
    );
    assert_eq!(
        other.authenticate(&token).await,
        Err(AuthError::BadSignature)
    );
    Ok(())
}

#[tokio::test]
async fn embedded_secret_with_loose_mode_is_tightened() -> TestResult {
    let dir = tempfile::tempdir()?;
    Authenticator::new(AuthSettings::default(), dir.path()).await?;
    let path = dir.path().join(SECRET_FILE_NAME);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    Authenticator::new(AuthSettings::default(), dir.path()).await?;
    assert_eq!(
        std::fs::metadata(&path)?.permissions().mode() & 0o777,
        0o600
    );
    Ok(())
}

#[tokio::test]
async fn corrupt_embedded_secret_is_a_setup_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join(SECRET_FILE_NAME), "c2hvcnQ=\n")?;
    let result = Authenticator::new(AuthSettings::default(), dir.path()).await;
    assert!(
        matches!(result, Err(AuthSetupError::InvalidSecret { .. })),
        "{result:?}"
    );
    Ok(())
}

#[tokio::test]
async fn minted_embedded_token_round_trips() -> TestResult {
    let dir = tempfile::tempdir()?;
    let auth = Authenticator::new(AuthSettings::default(), dir.path()).await?;
    assert!(auth.is_embedded());
    let token = auth.mint(mint_request())?;
    let principal = auth.authenticate(&token).await?;
    assert_eq!(
        principal,
        Principal {
            subject: "local-admin".to_owned(),
            name: Some("Local Admin".to_owned()),
            roles: BTreeSet::from([Role::Admin, Role::ServiceManager]),
            services: BTreeSet::from(["HOUS".to_owned()]),
            services_from_directory: false,
        }
    );
    Ok(())
}

#[tokio::test]
async fn embedded_mode_refuses_other_algorithms_and_expired_tokens() -> TestResult {
    let dir = tempfile::tempdir()?;
    let auth = Authenticator::new(AuthSettings::default(), dir.path()).await?;
    let key = TestKey::rs256("rsa-1")?;
    let claims = testing::claims(super::EMBEDDED_ISSUER, super::EMBEDDED_AUDIENCE, "x", 300);
    assert_eq!(
        auth.authenticate(&key.mint(&claims)?).await,
        Err(AuthError::UnsupportedAlgorithm)
    );
    let none = testing::unsigned_token(&json!({"alg": "none"}), &claims);
    assert_eq!(
        auth.authenticate(&none).await,
        Err(AuthError::UnsupportedAlgorithm)
    );
    let forged = testing::hs256_token(b"guessed-secret", None, &claims)?;
    assert_eq!(
        auth.authenticate(&forged).await,
        Err(AuthError::BadSignature)
    );
    Ok(())
}

#[tokio::test]
async fn mint_rejects_bad_requests_and_jwks_mode() -> TestResult {
    let dir = tempfile::tempdir()?;
    let auth = Authenticator::new(AuthSettings::default(), dir.path()).await?;
    let mut request = mint_request();
    request.ttl = Duration::ZERO;
    assert!(matches!(
        auth.mint(request),
        Err(MintError::InvalidRequest(_))
    ));
    let mut request = mint_request();
    request.subject = " ".to_owned();
    assert!(matches!(
        auth.mint(request),
        Err(MintError::InvalidRequest(_))
    ));

    let key = TestKey::es256("ec-1")?;
    let (_server, jwks_auth) = jwks_setup(&key).await?;
    assert!(matches!(
        jwks_auth.mint(mint_request()),
        Err(MintError::NotEmbedded)
    ));
    Ok(())
}

#[test]
fn roles_round_trip_through_names_and_serde() -> TestResult {
    assert_eq!(Role::ALL.len(), 11);
    for role in Role::ALL {
        assert_eq!(role.to_string().parse::<Role>()?, role);
        assert_eq!(serde_json::to_value(role)?, json!(role.as_str()));
        assert_eq!(serde_json::from_value::<Role>(json!(role.as_str()))?, role);
    }
    assert_eq!("legal_services".parse::<Role>()?, Role::LegalServices);
    assert!("LegalServices".parse::<Role>().is_err());
    Ok(())
}

#[test]
fn error_reasons_are_stable_and_token_free() {
    let errors = [
        AuthError::Missing,
        AuthError::Malformed,
        AuthError::UnsupportedAlgorithm,
        AuthError::UnknownKey,
        AuthError::BadSignature,
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::WrongIssuer,
        AuthError::WrongAudience,
        AuthError::MissingClaim("sub"),
        AuthError::InvalidClaim("exp"),
        AuthError::KeySetUnavailable,
    ];
    for error in errors {
        assert!(
            error
                .reason()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
        );
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(
        AuthError::MissingClaim("sub").to_string(),
        "missing claim sub"
    );
    assert_eq!(AuthError::InvalidClaim("exp").claim(), Some("exp"));
}

#[tokio::test]
async fn sub_of_wrong_type_is_refused() -> TestResult {
    let mut claims = good_claims();
    claims["sub"] = json!(42);
    assert_eq!(
        verify_with_rs256(&claims).await?,
        Err(AuthError::InvalidClaim("sub"))
    );
    Ok(())
}

#[tokio::test]
async fn authenticator_and_its_futures_are_send_and_sync() -> TestResult {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    fn assert_send<T: Send>(_: T) {}
    let dir = tempfile::tempdir()?;
    let auth = Authenticator::new(AuthSettings::default(), dir.path()).await?;
    assert_send_sync(&auth);
    assert_send(auth.authenticate("x"));
    assert_send(Authenticator::new(AuthSettings::default(), dir.path()));
    Ok(())
}

// Tokens already verified (`super::verified`): a hit gives what verifying again would.

#[tokio::test]
async fn a_verified_token_is_not_verified_again_while_valid() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let (server, auth) = jwks_setup(&key).await?;
    let token = key.mint(&good_claims())?;
    let (first, sign_in) = auth.authenticate_signing_in(&token).await?;
    let (again, sign_in_again) = auth.authenticate_signing_in(&format!(" {token} ")).await?;
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "the kept principal, shared"
    );
    assert_eq!(sign_in, sign_in_again);
    assert!(
        sign_in.is_some(),
        "the identity provider's sign-in kept too"
    );
    assert_eq!(first.subject, "user-1");
    assert_eq!(server.requests(), 1);
    // Any other byte is another token: the signature no longer matches (a character inside
    // the signature, not its last, which also carries padding bits).
    let mut tampered = token.clone().into_bytes();
    let inside = tampered.len() - 10;
    tampered[inside] = if tampered[inside] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    assert_eq!(
        auth.authenticate(&tampered).await,
        Err(AuthError::BadSignature)
    );
    // Another token of the same user is verified on its own.
    let mut claims = good_claims();
    claims["services"] = json!(["HOUS"]);
    let other = auth.authenticate(&key.mint(&claims)?).await?;
    assert_eq!(other.services, BTreeSet::from(["HOUS".to_owned()]));
    Ok(())
}

#[tokio::test]
async fn a_kept_token_expires_as_a_fresh_one_would() -> TestResult {
    let key = TestKey::rs256("rsa-1")?;
    let overrides = AuthSettings {
        leeway_seconds: 0,
        ..AuthSettings::default()
    };
    let (_server, auth) = jwks_setup_with(&key, overrides).await?;
    let mut claims = good_claims();
    let exp = testing::now() + 1;
    claims["exp"] = json!(exp);
    let token = key.mint(&claims)?;
    assert!(auth.authenticate(&token).await.is_ok());
    assert!(auth.authenticate(&token).await.is_ok(), "kept");
    // `exp` is accepted up to and including its own second, as the verifier accepts it.
    while testing::now() <= exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(auth.authenticate(&token).await, Err(AuthError::Expired));
    Ok(())
}

#[tokio::test]
async fn a_key_set_refresh_makes_kept_tokens_verify_again() -> TestResult {
    let old = TestKey::es256("ec-old")?;
    let new = TestKey::es256("ec-new")?;
    let overrides = AuthSettings {
        jwks_min_refresh_interval_seconds: 0,
        ..AuthSettings::default()
    };
    let server = JwksServer::start(&testing::jwks_json(&[&old, &new])?).await?;
    let auth = Authenticator::new(
        AuthSettings {
            jwks: Some(server.url()),
            issuer: Some(ISSUER.to_owned()),
            audience: Some(AUDIENCE.to_owned()),
            ..overrides
        },
        Path::new("/nonexistent-unused"),
    )
    .await?;
    let token = old.mint(&good_claims())?;
    assert!(auth.authenticate(&token).await.is_ok());
    assert!(auth.authenticate(&token).await.is_ok(), "kept");
    // The old key is withdrawn; a token with a key id not yet known makes the server refresh.
    server.set_jwks(&testing::jwks_json(&[&new])?);
    let unknown = new.with_kid("ec-newer").mint(&good_claims())?;
    assert_eq!(
        auth.authenticate(&unknown).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(server.requests(), 2, "refreshed");
    assert_eq!(
        auth.authenticate(&token).await,
        Err(AuthError::UnknownKey),
        "a token of a withdrawn key is refused although it was kept"
    );
    assert!(auth.authenticate(&new.mint(&good_claims())?).await.is_ok());
    Ok(())
}
