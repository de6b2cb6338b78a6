//! Hardening (issue 8): GraphQL limits just under and just over each threshold, HTTP defences,
//! errors that never leak, rate limits reached and recovered, metrics, and a PostgreSQL server
//! that goes away mid-run and comes back.

use std::time::Duration;

use api::auth::Role;
use api::config::{Profile, Settings};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::{Backend, TestApp, db_tests};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Like `db_tests!`, with the server's settings adjusted first.
macro_rules! hardened_tests {
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

/// POST `body` to /graphql with the given content type and optional token.
async fn post_raw(
    app: &TestApp,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .body(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    request.send().await.expect("request sent")
}

/// POST a JSON value as a signed-in user: status, headers and JSON body.
async fn post_json(
    app: &TestApp,
    token: &str,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = post_raw(app, Some(token), Some("application/json"), body.to_string()).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// POST over a plain TCP connection: the headers, then `body` in pieces, stopping quietly when
/// the server stops reading; the whole answer as text.
async fn raw_post(app: &TestApp, token: &str, headers: &[(&str, String)], body: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut head = format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let body = body.to_vec();
    let sender = tokio::spawn(async move {
        for piece in body.chunks(16 * 1024) {
            if writer.write_all(piece).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let _ = reader.read_to_end(&mut answer).await;
    sender.abort();
    String::from_utf8_lossy(&answer).to_string()
}

fn legal(app: &TestApp) -> String {
    app.token(Role::LegalServices, &[])
}

fn code(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["code"]
}

/// `{ __schema { queryType { ofType { ... name } } } }` with `depth` fields in a chain.
fn introspection_chain(depth: usize) -> String {
    assert!(depth >= 3);
    let ofs = depth - 3;
    format!(
        "{{ __schema {{ queryType {{ {}name{} }} }} }}",
        "ofType { ".repeat(ofs),
        " }".repeat(ofs)
    )
}

/// `depth` fragments in a chain: the operation spreads F1, F1 spreads F2, ... Fdepth selects
/// `__typename`.
fn fragment_chain(depth: usize) -> String {
    let mut doc = String::from("query { ...F1 }");
    for i in 1..=depth {
        if i == depth {
            doc.push_str(&format!(" fragment F{i} on Query {{ __typename }}"));
        } else {
            doc.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
    }
    doc
}

fn aliases(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: me {{ subject }}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

/// The introspection query graphql-js 16 sends (GraphiQL; schemathesis sends the same shape).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name } } } } } } } } }
}
"#;

db_tests! {
    async fn limits_the_standard_introspection_query_fits_the_default_limits(app) {
        let (status, _, body) = post_json(&app, &legal(&app), &json!({"query": INTROSPECTION})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    }

    async fn limits_a_thousand_aliases_are_refused(app) {
        let (status, _, body) = post_json(&app, &legal(&app), &json!({"query": aliases(1000)})).await;
        assert_eq!(status, 200);
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["limit"], "aliases");
        assert!(body["data"].is_null(), "nothing executed: {body}");
        // Just under and just over the default (30).
        let (_, _, ok) = post_json(&app, &legal(&app), &json!({"query": aliases(30)})).await;
        assert!(ok["errors"].is_null(), "{ok}");
        assert_eq!(ok["data"]["a29"]["subject"], "user-legal_services");
        let (_, _, over) = post_json(&app, &legal(&app), &json!({"query": aliases(31)})).await;
        assert_eq!(over["errors"][0]["extensions"]["limit"], "aliases", "{over}");
        assert_eq!(over["errors"][0]["extensions"]["max"], 30);
    }

    async fn limits_a_deep_fragment_cycle_is_refused_and_the_server_lives_on(app) {
        let mut doc = String::from("query { ...F0 }");
        for i in 0..50 {
            doc.push_str(&format!(" fragment F{i} on Query {{ __typename ...F{} }}", (i + 1) % 50));
        }
        let (status, _, body) = post_json(&app, &legal(&app), &json!({"query": doc})).await;
        assert_eq!(status, 200);
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert!(body["data"].is_null(), "{body}");
        // A two-fragment cycle too.
        let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        let (_, _, body) = post_json(&app, &legal(&app), &json!({"query": cycle})).await;
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        let body = app.graphql("{ me { subject } }", json!({})).await;
        assert_eq!(body["data"]["me"]["subject"], "user-legal_services");
    }

    async fn limits_a_batch_of_100_is_refused_and_ten_are_served(app) {
        let token = legal(&app);
        let batch = |n: usize| Value::Array((0..n).map(|_| json!({"query": "{ me { subject } }"})).collect());
        let (status, _, body) = post_json(&app, &token, &batch(100)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(code(&body), "BAD_REQUEST");
        assert_eq!(body["errors"][0]["extensions"]["limit"], "batch");
        assert_eq!(body["errors"][0]["extensions"]["max"], 10);
        let (status, _, body) = post_json(&app, &token, &batch(11)).await;
        assert_eq!(status, 400, "{body}");
        let (status, _, body) = post_json(&app, &token, &batch(10)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.as_array().map(Vec::len), Some(10), "{body}");
        assert_eq!(body[9]["data"]["me"]["subject"], "user-legal_services");
    }

    async fn http_a_10_mb_body_is_refused_with_413(app) {
        let token = legal(&app);
        // Declared up front (Content-Length) and sent: refused without being read.
        let padding = " ".repeat(10 * 1024 * 1024);
        let body = format!("{{\"query\": \"{{ me {{ subject }} }}\"{padding}}}");
        let answer = raw_post(&app, &token, &[("Content-Length", body.len().to_string())], body.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{}", &answer[..answer.len().min(300)]);
        assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
        // Streamed without a length (chunked): refused once the limit is passed.
        let mut chunked = Vec::new();
        for piece in body.as_bytes().chunks(64 * 1024) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let answer = raw_post(&app, &token, &[("Transfer-Encoding", "chunked".into())], &chunked).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{}", &answer[..answer.len().min(300)]);
        // The server is unharmed.
        let body = app.graphql("{ me { subject } }", json!({})).await;
        assert_eq!(body["data"]["me"]["subject"], "user-legal_services");
    }

    async fn http_a_mutation_in_a_get_query_string_is_refused(app) {
        let admin = app.token(Role::Admin, &[]);
        let before = entities::service::Entity::find().count(&app.db).await.unwrap();
        let mutation = "mutation { createService(input: {code: \"GETX\", name: \"Via GET\"}) { code } }";
        let r = app
            .client
            .get(format!("{}/graphql", app.base_url))
            .query(&[("query", mutation)])
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "POST");
        let body: Value = r.json().await.unwrap();
        assert_eq!(code(&body), "METHOD_NOT_ALLOWED", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("mutations"), "{body}");
        let after = entities::service::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(before, after, "nothing was written");
        // The same mutation POSTed as JSON works, so the refusal above was about the method.
        let (_, _, ok) = post_json(&app, &admin, &json!({"query": mutation})).await;
        assert_eq!(ok["data"]["createService"]["code"], "GETX", "{ok}");
        // A query in a GET is not executed either.
        let r = app
            .client
            .get(format!("{}/graphql", app.base_url))
            .query(&[("query", "{ me { subject } }")])
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
    }

    async fn http_bodies_other_than_application_json_are_refused_with_415(app) {
        let token = legal(&app);
        let query = json!({"query": "{ me { subject } }"}).to_string();
        for content_type in [
            Some("text/plain"),
            Some("text/plain;charset=UTF-8"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/graphql"),
            None,
        ] {
            let r = post_raw(&app, Some(&token), content_type, query.clone()).await;
            assert_eq!(r.status(), 415, "{content_type:?}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(code(&body), "UNSUPPORTED_MEDIA_TYPE", "{content_type:?}: {body}");
        }
        let r = post_raw(&app, Some(&token), Some("application/json; charset=utf-8"), query).await;
        assert_eq!(r.status(), 200);
    }

    async fn http_graphql_response_json_when_the_client_accepts_it(app) {
        let token = legal(&app);
        let send = |query: &'static str, accept: &'static str| {
            app.client
                .post(format!("{}/graphql", app.base_url))
                .bearer_auth(&token)
                .header("accept", accept)
                .json(&json!({"query": query}))
                .send()
        };
        let r = send("{ me { subject } }", "application/graphql-response+json, application/json;q=0.9").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/graphql-response+json");
        // A document that never executes is a 400 in that media type ...
        let r = send("{ nosuchfield }", "application/graphql-response+json").await.unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        // ... and a 200 in plain application/json, as before the specification.
        let r = send("{ nosuchfield }", "application/json").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        let r = send("{ nosuchfield", "application/graphql-response+json").await.unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(code(&body), "GRAPHQL_PARSE_FAILED", "{body}");
    }

    async fn http_security_headers_and_a_request_id_on_every_answer(app) {
        for path in ["/healthz", "/graphql", "/nowhere"] {
            let r = app.get(path).await;
            let h = r.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
            assert!(h.contains_key("content-security-policy"), "{path}");
            assert_eq!(h["cache-control"], "no-store", "{path}");
            assert!(uuid::Uuid::parse_str(h["x-request-id"].to_str().unwrap()).is_ok(), "{path}");
        }
        let r = app.get("/nowhere").await;
        assert_eq!(r.status(), 404);
        // Without configured origins no browser may call from elsewhere.
        let r = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base_url))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(!r.headers().contains_key("access-control-allow-origin"));
    }

    async fn errors_a_database_failure_reaches_the_client_as_a_correlation_id_only(app) {
        // Force a real database error: the table the query reads is gone.
        app.db.execute_unprepared("ALTER TABLE upc_case RENAME TO upc_case_gone").await.unwrap();
        let r = post_raw(
            &app,
            Some(&legal(&app)),
            Some("application/json"),
            json!({"query": "{ cases(first: 5) { nodes { id reference stage } } }"}).to_string(),
        )
        .await;
        assert_eq!(r.status(), 200, "the database answers: not a 503");
        let text = r.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(code(&body), "INTERNAL_SERVER_ERROR", "{body}");
        let id = body["errors"][0]["extensions"]["correlationId"].as_str().expect("a correlation id");
        assert!(uuid::Uuid::parse_str(id).is_ok());
        let lower = text.to_lowercase();
        for leak in [
            "upc_case", "select", "from", "no such table", "does not exist", "sqlx",
            "sqlite", "postgres", "service_id", "opened_at", "database", "error returned",
        ] {
            assert!(!lower.contains(leak), "`{leak}` leaked: {text}");
        }
        app.db.execute_unprepared("ALTER TABLE upc_case_gone RENAME TO upc_case").await.unwrap();
        let body = app.graphql("{ cases(first: 5) { nodes { id } } }", json!({})).await;
        assert!(body["errors"].is_null(), "served again: {body}");
    }

    async fn errors_every_refusal_carries_a_stable_code(app) {
        let token = legal(&app);
        for (request, expected) in [
            (json!({"query": "query A { me { subject } }", "operationName": "B"}), "GRAPHQL_VALIDATION_FAILED"),
            (json!({"query": "query A { me { subject } } query B { me { subject } }"}), "GRAPHQL_VALIDATION_FAILED"),
            (json!({"query": "{ cases(first: \"x\") { nodes { id } } }"}), "GRAPHQL_VALIDATION_FAILED"),
            (json!({"query": "{ cases(first: 1000) { nodes { id } } }"}), "BAD_USER_INPUT"),
            (json!({"query": "{ me { subject "}), "GRAPHQL_PARSE_FAILED"),
        ] {
            let (_, _, body) = post_json(&app, &token, &request).await;
            assert_eq!(code(&body), expected, "{request}: {body}");
        }
    }

    async fn operations_metrics_count_operations_pool_and_job_queue(app) {
        use entities::enums::{ReportEdition, ReportJobStatus};
        use sea_orm::Set;
        let _ = app.graphql("{ me { subject } }", json!({})).await;
        let _ = app.graphql("{ nosuchfield }", json!({})).await;
        let now = chrono::Utc::now();
        for status in [ReportJobStatus::Queued, ReportJobStatus::Queued, ReportJobStatus::Running, ReportJobStatus::Done] {
            entities::report_job::ActiveModel {
                requested_by: Set("user-monitoring_officer".into()),
                reporting_year: Set(2025),
                services: Set(None),
                edition: Set(ReportEdition::Public),
                status: Set(status),
                progress: Set(0),
                attempts: Set(0),
                max_attempts: Set(3),
                run_after: Set(now),
                lease_owner: Set(None),
                lease_expires_at: Set(None),
                error: Set(None),
                started_at: Set(None),
                finished_at: Set(None),
                version: Set(1),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let r = app.metrics().await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let has = |line: &str| text.lines().any(|l| l.starts_with(line));
        assert!(has(r#"upc_graphql_operations_total{operation="me",outcome="ok",type="query"} 1"#), "{text}");
        assert!(has(r#"upc_graphql_operations_total{operation="invalid",outcome="refused",type="invalid"} 1"#), "{text}");
        assert!(has(r#"upc_graphql_operation_duration_seconds_count{operation="me",type="query"} 1"#), "{text}");
        assert!(has(r#"upc_http_responses_total{route="/graphql",status="200"}"#), "{text}");
        assert!(has(r#"upc_report_jobs{status="queued"} 2"#), "{text}");
        assert!(has(r#"upc_report_jobs{status="running"} 1"#), "{text}");
        assert!(has(r#"upc_db_pool_connections{state="idle"}"#), "{text}");
        assert!(has("upc_db_pool_max_connections"), "{text}");
        assert!(has("upc_db_up 1"), "{text}");
        assert!(!text.contains("nosuchfield"), "client-made names never become labels");
    }
}

hardened_tests! {
    async fn limits_depth_just_under_and_just_over(app) with |s| { s.graphql.max_depth = 5; } {
        let token = legal(&app);
        let (_, _, ok) = post_json(&app, &token, &json!({"query": introspection_chain(5)})).await;
        assert!(ok["errors"].is_null(), "{ok}");
        let (_, _, over) = post_json(&app, &token, &json!({"query": introspection_chain(6)})).await;
        assert_eq!(code(&over), "GRAPHQL_VALIDATION_FAILED", "{over}");
        assert_eq!(over["errors"][0]["extensions"]["limit"], "depth");
        assert_eq!(over["errors"][0]["extensions"]["max"], 5);
        assert!(over["data"].is_null());
    }

    async fn limits_complexity_prices_the_page_size(app) with |s| { s.graphql.max_complexity = 200; } {
        let token = legal(&app);
        let page = |n: i32| json!({
            "query": "query Page($n: Int) { cases(first: $n) { nodes { id } } }",
            "variables": {"n": n}
        });
        // 1 + 99 rows x (nodes 1 + id 1) = 199: just under.
        let (_, _, ok) = post_json(&app, &token, &page(99)).await;
        assert!(ok["errors"].is_null(), "{ok}");
        // 1 + 100 x 2 = 201: just over. The same fields, only a wider page.
        let (_, _, over) = post_json(&app, &token, &page(100)).await;
        assert_eq!(code(&over), "GRAPHQL_VALIDATION_FAILED", "{over}");
        assert_eq!(over["errors"][0]["extensions"]["limit"], "complexity");
        assert_eq!(over["errors"][0]["extensions"]["max"], 200);
        // Without `first` a page is 50 rows.
        let (_, _, default) = post_json(&app, &token, &json!({"query": "{ cases { nodes { id } } }"})).await;
        assert!(default["errors"].is_null(), "{default}");
    }

    async fn limits_complexity_prices_the_notifications_page(app) with |s| { s.graphql.max_complexity = 200; } {
        let token = legal(&app);
        let page = |n: i32| json!({
            "query": "query Page($n: Int) { notifications(first: $n) { id event } }",
            "variables": {"n": n}
        });
        // 1 + 99 rows x (id 1 + event 1) = 199: just under.
        let (_, _, ok) = post_json(&app, &token, &page(99)).await;
        assert!(ok["errors"].is_null(), "{ok}");
        // 1 + 100 x 2 = 201: just over.
        let (_, _, over) = post_json(&app, &token, &page(100)).await;
        assert_eq!(code(&over), "GRAPHQL_VALIDATION_FAILED", "{over}");
        assert_eq!(over["errors"][0]["extensions"]["limit"], "complexity");
    }

    async fn limits_aliases_just_under_and_just_over(app) with |s| { s.graphql.max_aliases = 3; } {
        let token = legal(&app);
        let (_, _, ok) = post_json(&app, &token, &json!({"query": aliases(3)})).await;
        assert!(ok["errors"].is_null(), "{ok}");
        let (_, _, over) = post_json(&app, &token, &json!({"query": aliases(4)})).await;
        assert_eq!(over["errors"][0]["extensions"]["limit"], "aliases", "{over}");
    }

    async fn limits_recursion_just_under_and_just_over(app) with |s| { s.graphql.max_recursive_depth = 8; } {
        let token = legal(&app);
        let (_, _, ok) = post_json(&app, &token, &json!({"query": fragment_chain(8)})).await;
        assert!(ok["errors"].is_null(), "{ok}");
        assert_eq!(ok["data"]["__typename"], "Query");
        let (_, _, over) = post_json(&app, &token, &json!({"query": fragment_chain(9)})).await;
        assert_eq!(over["errors"][0]["extensions"]["limit"], "recursiveDepth", "{over}");
    }

    async fn limits_batch_just_under_and_just_over(app) with |s| { s.graphql.max_batch = 2; } {
        let token = legal(&app);
        let batch = |n: usize| Value::Array((0..n).map(|_| json!({"query": "{ me { subject } }"})).collect());
        let (status, _, _) = post_json(&app, &token, &batch(2)).await;
        assert_eq!(status, 200);
        let (status, _, body) = post_json(&app, &token, &batch(3)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["max"], 2);
    }

    async fn limits_batches_can_be_refused_outright(app) with |s| { s.graphql.max_batch = 0; } {
        let (status, _, body) = post_json(&app, &legal(&app), &json!([{"query": "{ me { subject } }"}])).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["limit"], "batch");
        let (status, _, _) = post_json(&app, &legal(&app), &json!({"query": "{ me { subject } }"})).await;
        assert_eq!(status, 200);
    }

    async fn http_body_limit_just_under_and_just_over(app) with |s| { s.http.max_body_bytes = 4096; } {
        let token = legal(&app);
        let sized = |n: usize| {
            let core = "{\"query\": \"{ me { subject } }\"}";
            format!("{}{}", &core[..core.len() - 1], " ".repeat(n - core.len())) + "}"
        };
        assert_eq!(sized(4096).len(), 4096);
        let r = post_raw(&app, Some(&token), Some("application/json"), sized(4096)).await;
        assert_eq!(r.status(), 200);
        let r = post_raw(&app, Some(&token), Some("application/json"), sized(4097)).await;
        assert_eq!(r.status(), 413);
        let body: Value = r.json().await.unwrap();
        assert_eq!(code(&body), "PAYLOAD_TOO_LARGE");
    }

    async fn http_production_profile_hides_the_schema(app) with |s| {
        s.profile = Profile::Production;
        s.graphql.introspection = false;
        s.graphql.suggestions = false;
        s.graphql.graphiql = false;
    } {
        let token = legal(&app);
        let (_, _, body) = post_json(&app, &token, &json!({"query": "{ __schema { queryType { name } } }"})).await;
        assert!(body["data"]["__schema"].is_null(), "introspection is off: {body}");
        let (_, _, body) = post_json(
            &app,
            &token,
            &json!({"query": "{ __type(name: \"Query\") { fields { name } } }"}),
        )
        .await;
        assert!(body["data"]["__type"].is_null(), "introspection is off: {body}");
        let (_, _, body) = post_json(&app, &token, &json!({"query": "{ servics { code } }"})).await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains("Did you mean"), "no suggestions: {message}");
        let r = app.get("/graphql").await;
        assert_eq!(r.status(), 405, "no GraphiQL");
        // Ordinary queries still work.
        let (_, _, body) = post_json(&app, &token, &json!({"query": "{ me { subject } }"})).await;
        assert_eq!(body["data"]["me"]["subject"], "user-legal_services");
    }

    async fn http_embedded_profile_shows_the_schema(app) with |_s| {} {
        let token = legal(&app);
        let (_, _, body) = post_json(&app, &token, &json!({"query": "{ __schema { queryType { name } } }"})).await;
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query", "{body}");
        let (_, _, body) = post_json(&app, &token, &json!({"query": "{ servics { code } }"})).await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("Did you mean"), "suggestions: {message}");
        let r = app.get("/graphql").await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().to_lowercase().contains("graphiql"));
    }

    async fn http_cors_only_for_configured_origins(app) with |s| {
        s.http.cors_origins = vec!["https://intranet.example".into()];
    } {
        let preflight = |origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base_url))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization, content-type")
                .send()
        };
        let r = preflight("https://intranet.example").await.unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "https://intranet.example");
        let r = preflight("https://evil.example").await.unwrap();
        assert!(!r.headers().contains_key("access-control-allow-origin"));
    }

    async fn http_request_timeout_just_under_and_just_over(app) with |s| { s.http.request_timeout_seconds = 1; } {
        let token = legal(&app);
        // A client that sends half its body and then pauses.
        async fn slow(app: &TestApp, token: &str, pause: Duration) -> String {
            let body = json!({"query": "{ me { subject } }"}).to_string();
            let (first, rest) = body.split_at(body.len() / 2);
            let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
            let head = format!(
                "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
                body.len()
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            tokio::time::sleep(pause).await;
            let _ = stream.write_all(rest.as_bytes()).await;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            String::from_utf8_lossy(&answer).to_string()
        }
        let answer = slow(&app, &token, Duration::from_millis(100)).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let answer = slow(&app, &token, Duration::from_millis(2500)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    }

    async fn rate_limit_per_user_reached_and_recovered(app) with |s| {
        s.rate_limit.per_minute = 600;
        s.rate_limit.burst = 3;
        s.graphql.max_batch = 3;
    } {
        let alice = app.token_for("alice", &[Role::LegalServices], &[]);
        let bob = app.token_for("bob", &[Role::LegalServices], &[]);
        let me = json!({"query": "{ me { subject } }"});
        for _ in 0..3 {
            let (status, _, body) = post_json(&app, &alice, &me).await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, headers, body) = post_json(&app, &alice, &me).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(code(&body), "RATE_LIMITED");
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry >= 1);
        assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], retry);
        // Another user is not held back by Alice.
        let (status, _, _) = post_json(&app, &bob, &me).await;
        assert_eq!(status, 200);
        // Recovered after the time given.
        tokio::time::sleep(Duration::from_secs(retry)).await;
        let (status, _, body) = post_json(&app, &alice, &me).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["me"]["subject"], "alice");
        // A batch counts each of its operations.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (status, _, _) = post_json(&app, &bob, &json!([me, me, me])).await;
        assert_eq!(status, 200);
        let (status, _, _) = post_json(&app, &bob, &me).await;
        assert_eq!(status, 429);
    }

    async fn rate_limit_per_address_before_sign_in(app) with |s| {
        s.rate_limit.per_minute = 600;
        s.rate_limit.anonymous_per_minute = 60;
        s.rate_limit.anonymous_burst = 2;
    } {
        let me = json!({"query": "{ me { subject } }"}).to_string();
        for _ in 0..2 {
            let r = post_raw(&app, Some("not-a-token"), Some("application/json"), me.clone()).await;
            assert_eq!(r.status(), 401);
        }
        let r = post_raw(&app, None, Some("application/json"), me.clone()).await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
        // A signed-in user from the same address is counted as themself.
        let r = post_raw(&app, Some(&legal(&app)), Some("application/json"), me).await;
        assert_eq!(r.status(), 200);
    }
}

/// PostgreSQL stopped mid-run and started again, in a cluster of this test's own: meanwhile
/// `/readyz` is 503 and GraphQL answers 503 with nothing half-written; afterwards the same
/// server (no restart) serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_postgres_stopped_mid_run_and_restarted() {
    let cluster = match tokio::task::spawn_blocking(tests::postgres::OwnCluster::start)
        .await
        .unwrap()
    {
        Ok(c) => std::sync::Arc::new(c),
        Err(why) => {
            assert!(
                !tests::postgres::required(),
                "PostgreSQL is required but unavailable: {why}"
            );
            eprintln!("\n!!!!!!!!!! PostgreSQL NOT TESTED: {why}\n");
            return;
        }
    };
    let url = cluster.migrated_database("upc_outage").await.unwrap();
    let app = TestApp::spawn_postgres_at(url, |s| {
        s.db_acquire_timeout_seconds = 2;
        s.db_connect_timeout_seconds = 2;
    })
    .await;
    let admin = app.token(Role::Admin, &[]);
    let create = |code: &str| json!({"query": format!("mutation {{ createService(input: {{code: \"{code}\", name: \"Service {code}\"}}) {{ code }} }}")});
    let (_, _, body) = post_json(&app, &admin, &create("OUA")).await;
    assert_eq!(body["data"]["createService"]["code"], "OUA", "{body}");
    assert_eq!(app.get("/readyz").await.status(), 200);

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .unwrap()
        .unwrap();

    assert_eq!(app.get("/readyz").await.status(), 503);
    let (status, headers, body) = post_json(&app, &admin, &create("OUB")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "SERVICE_UNAVAILABLE");
    assert!(headers.contains_key("retry-after"));
    let (status, _, body) =
        post_json(&app, &admin, &json!({"query": "{ services { code } }"})).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        !body.to_string().to_lowercase().contains("postgres"),
        "{body}"
    );

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.restart())
        .await
        .unwrap()
        .unwrap();

    // The same server, not restarted, serves again once the database answers.
    let mut ready = false;
    for _ in 0..40 {
        if app.get("/readyz").await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "readyz recovers by itself");
    let (status, _, body) =
        post_json(&app, &admin, &json!({"query": "{ services { code } }"})).await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<&str> = body["data"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert!(codes.contains(&"OUA"), "{body}");
    assert!(
        !codes.contains(&"OUB"),
        "the refused mutation wrote nothing: {body}"
    );
    // Nothing half-written: no audit event without its record.
    let events = entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let about_oub = events
        .iter()
        .filter(|e| format!("{e:?}").contains("OUB"))
        .count();
    assert_eq!(about_oub, 0, "no audit event for the refused mutation");
    let (_, _, body) = post_json(&app, &admin, &create("OUC")).await;
    assert_eq!(body["data"]["createService"]["code"], "OUC", "{body}");
}
