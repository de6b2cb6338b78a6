//! Operations as a council deploys them (issue 20), on both databases: `/metrics` on its own
//! listener or behind a token, never open on the public port; the client's address behind a
//! trusted reverse proxy (and never from a forged header) for rate limits, access records and
//! the audit trail; rate limits that hold per API instance.

use api::auth::Role;
use api::config::Settings;
use entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::{Backend, TestApp};

macro_rules! operations_tests {
    ($( async fn $name:ident($app:ident) with |$s:ident| $adjust:block $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                fn adjust($s: &mut Settings) $adjust

                async fn run($app: TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = TestApp::spawn_with(Backend::Sqlite, adjust)
                        .await
                        .expect("SQLite always available");
                    run(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = TestApp::spawn_with(Backend::Postgres, adjust).await {
                        run(app).await;
                    }
                }
            }
        )*
    };
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef-metrics";
const ME: &str = r#"{"query": "{ me { subject } }"}"#;

/// POST `{ me }` with `headers`, with or without a bearer token; the status.
async fn post_me(app: &TestApp, token: Option<&str>, headers: &[(&str, &str)]) -> u16 {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body(ME);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("sent").status().as_u16()
}

/// POST a GraphQL document with a token and extra headers; the response's request id and body.
async fn graphql_from(
    app: &TestApp,
    token: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> (String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(token)
        .json(&json!({ "query": query }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    (id, response.json().await.expect("JSON"))
}

/// Turn anonymous rate limiting on with a burst of two.
fn two_anonymous(s: &mut Settings) {
    s.rate_limit.per_minute = 600;
    s.rate_limit.burst = 10;
    s.rate_limit.anonymous_per_minute = 1;
    s.rate_limit.anonymous_burst = 2;
}

operations_tests! {
    async fn metrics_are_served_on_their_own_listener_not_the_public_port(app) with |_s| {} {
        let public = app.get("/metrics").await;
        assert_eq!(public.status(), 404, "no token configured: the public port has no /metrics");
        let private = app.metrics().await;
        assert_eq!(private.status(), 200);
        let text = private.text().await.unwrap();
        assert!(text.contains("upc_http_responses_total"), "{text}");
        // The metrics listener serves nothing else.
        let addr = app.metrics_addr.unwrap();
        let other = app.client.post(format!("http://{addr}/graphql")).body(ME).send().await.unwrap();
        assert_eq!(other.status(), 404);
    }

    async fn the_metrics_token_opens_metrics_on_the_public_port(app) with |s| {
        s.operations.metrics_token = Some(TOKEN.into());
    } {
        let url = format!("{}/metrics", app.base_url);
        let none = app.client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401);
        assert!(none.headers().contains_key("www-authenticate"));
        let body: Value = none.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
        let wrong = app.client.get(&url).bearer_auth(format!("{TOKEN}x")).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        // A user's API token is not the metrics token.
        let user = app.client.get(&url).bearer_auth(app.token(Role::Admin, &[])).send().await.unwrap();
        assert_eq!(user.status(), 401);
        let right = app.client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(right.status(), 200);
        assert!(right.text().await.unwrap().contains("upc_db_up 1"));
    }

    async fn behind_a_trusted_proxy_each_client_has_its_own_anonymous_limit(app) with |s| {
        two_anonymous(s);
        s.operations.trusted_proxies = api::proxies::TrustedProxies::parse("127.0.0.1/32").unwrap();
    } {
        // Client A uses up its burst: refused.
        for _ in 0..2 {
            assert_eq!(post_me(&app, Some("not-a-token"), &[("x-forwarded-for", "203.0.113.1")]).await, 401);
        }
        assert_eq!(post_me(&app, None, &[("x-forwarded-for", "203.0.113.1")]).await, 429);
        // Client B, behind the same proxy, is not locked out by A.
        assert_eq!(post_me(&app, None, &[("x-forwarded-for", "203.0.113.2")]).await, 401);
        // RFC 7239 `Forwarded` too, and it wins over X-Forwarded-For.
        assert_eq!(post_me(&app, None, &[("forwarded", "for=203.0.113.3"), ("x-forwarded-for", "203.0.113.1")]).await, 401);
        // A client cannot escape its limit by forging a hop before the proxy's.
        assert_eq!(post_me(&app, None, &[("x-forwarded-for", "198.51.100.9, 203.0.113.1")]).await, 429);
    }

    async fn from_an_untrusted_peer_forwarding_headers_are_ignored(app) with |s| {
        two_anonymous(s);
    } {
        // No proxy trusted (the default): every forged address is this one peer.
        assert_eq!(post_me(&app, None, &[("x-forwarded-for", "203.0.113.1")]).await, 401);
        assert_eq!(post_me(&app, None, &[("x-forwarded-for", "203.0.113.2")]).await, 401);
        assert_eq!(post_me(&app, None, &[("forwarded", "for=203.0.113.3")]).await, 429);
        assert_eq!(post_me(&app, None, &[]).await, 429);
    }

    async fn a_peer_outside_the_trusted_blocks_cannot_forge_its_address(app) with |s| {
        two_anonymous(s);
        s.operations.trusted_proxies = api::proxies::TrustedProxies::parse("10.0.0.0/8, 192.0.2.0/24").unwrap();
    } {
        for forged in ["203.0.113.1", "203.0.113.2"] {
            assert_eq!(post_me(&app, None, &[("x-forwarded-for", forged)]).await, 401);
        }
        assert_eq!(post_me(&app, None, &[("x-forwarded-for", "203.0.113.3")]).await, 429);
    }

    async fn audit_and_access_records_carry_the_forwarded_address(app) with |s| {
        s.operations.trusted_proxies = api::proxies::TrustedProxies::parse("127.0.0.1/32").unwrap();
    } {
        // Cases to read (the seed wants an empty database, so first).
        api::seed::seed(&app.db, api::seed::Scale::new(0.005).unwrap(), 3).await.expect("seeded");
        let admin = app.token(Role::Admin, &[]);
        let (_, body) = graphql_from(&app, &admin, r#"mutation { createService(input: {code: "OPS", name: "Operations"}) { code } }"#, &[("x-forwarded-for", "203.0.113.50")]).await;
        assert!(body["errors"].is_null(), "{body}");
        let (_, body) = graphql_from(&app, &admin, r#"mutation { createService(input: {code: "OPT", name: "Operations 2"}) { code } }"#, &[]).await;
        assert!(body["errors"].is_null(), "{body}");
        let events = audit_event::Entity::find().filter(audit_event::Column::Action.eq("service.create")).order_by_asc(audit_event::Column::Id).all(&app.db).await.unwrap();
        let addresses: Vec<Option<&str>> = events.iter().map(|e| e.client_address.as_deref()).collect();
        assert_eq!(addresses, [Some("203.0.113.50"), Some("127.0.0.1")]);
        // The address is part of the hash chain, which still verifies.
        match api::audit::verify::verify(&app.db, 100, None).await.unwrap() {
            api::audit::verify::Outcome::Intact(_) => {}
            other => panic!("the chain is broken: {other:?}"),
        }
        // Reads of personal data record the address too.
        let legal = app.token(Role::LegalServices, &[]);
        let (request_id, body) = graphql_from(&app, &legal, "{ cases(first: 3) { nodes { customer { displayName } } } }", &[("x-forwarded-for", "198.51.100.7, 127.0.0.1")]).await;
        assert!(body["errors"].is_null(), "{body}");
        let records = tests::access_records_of(&app.db, &request_id).await;
        assert!(!records.is_empty(), "names were read");
        assert!(records.iter().all(|r| r.client_address.as_deref() == Some("198.51.100.7")), "{records:?}");
    }
}

/// The rate limits are kept in each API process's memory (README, "Scaling out"): two
/// instances over one PostgreSQL database each allow a user the whole limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_per_instance() {
    let limited = |s: &mut Settings| {
        s.rate_limit.per_minute = 1;
        s.rate_limit.burst = 3;
        s.graphql.max_batch = 3;
    };
    let Some(first) = TestApp::spawn_with(Backend::Postgres, limited).await else {
        return;
    };
    let second = TestApp::spawn_postgres_at(first.database_url.clone(), limited).await;
    // Each test server signs with its own embedded secret: the same user, a token for each.
    let token = first.token_for("alice", &[Role::LegalServices], &[]);
    let token_two = second.token_for("alice", &[Role::LegalServices], &[]);
    for _ in 0..3 {
        assert_eq!(post_me(&first, Some(&token), &[]).await, 200);
    }
    assert_eq!(
        post_me(&first, Some(&token), &[]).await,
        429,
        "the first instance's limit holds"
    );
    // The second instance has its own count: the same user gets its whole burst there too.
    for _ in 0..3 {
        assert_eq!(post_me(&second, Some(&token_two), &[]).await, 200);
    }
    assert_eq!(
        post_me(&second, Some(&token_two), &[]).await,
        429,
        "and its limit holds"
    );
    assert_eq!(
        post_me(&first, Some(&token), &[]).await,
        429,
        "still limited on the first"
    );
}
