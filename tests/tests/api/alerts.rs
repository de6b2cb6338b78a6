//! Live alerts to the service team (policy 5.5), through HTTP and WebSocket, on both databases:
//! the `restrictionAlerts` subscription (graphql-transport-ws at `/graphql/ws`, the token in
//! `connection_init`) reaches the restricted service's team and nobody else's, a connection
//! without a valid token is refused, the stored notifications list and mark read per user, and
//! on PostgreSQL an alert raised through one API instance reaches a subscriber of another.
//!
//! "Nothing arrives" is only ever checked by watching for a short while and then sending a
//! positive control on the same socket: an alert that must arrive, and must be the first thing
//! that does, so a test cannot pass because the socket was simply silent.

use std::time::Duration;

use api::auth::Role;
use chrono::{Duration as Days, Utc};
use entities::{audit_event, notification};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::{Backend, TestApp, db_tests};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

/// Longest a test waits for a message it expects: a guard against hanging, not a timing
/// assertion.
const EXPECTED: Duration = Duration::from_secs(20);
/// How long a socket is watched for something that must not arrive (always followed by a
/// positive control).
const QUIET: Duration = Duration::from_millis(400);

/// Every field of an alert.
const ALERT: &str = "id event serviceCode caseId caseReference restrictionId restrictionKind \
    startsOn endsOn summary createdAt readAt";

/// The subscription, with every field.
fn alerts_subscription() -> String {
    format!("subscription {{ restrictionAlerts {{ {ALERT} }} }}")
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client.
pub(crate) struct Client {
    ws: Socket,
}

/// What came of opening a connection.
pub(crate) enum Opened {
    /// `connection_ack` received.
    Acknowledged(Box<Client>),
    /// The server closed the socket with this code and reason.
    Closed(u16, String),
}

/// Open `/graphql/ws` offering graphql-transport-ws and send `connection_init` with `payload`.
async fn open(app: &TestApp, payload: Value) -> Opened {
    let mut request = format!("ws://{}/graphql/ws", app.addr)
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket handshake");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    let mut client = Client { ws };
    client
        .send(json!({"type": "connection_init", "payload": payload}))
        .await;
    let first = client
        .recv(EXPECTED)
        .await
        .expect("an answer to connection_init");
    match first["type"].as_str() {
        Some("connection_ack") => Opened::Acknowledged(Box::new(client)),
        Some("close") => Opened::Closed(
            first["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(0),
            first["reason"].as_str().unwrap_or_default().to_string(),
        ),
        _ => panic!("unexpected answer to connection_init: {first}"),
    }
}

/// A signed-in connection for the holder of `token`.
pub(crate) async fn connect(app: &TestApp, token: &str) -> Client {
    match open(app, json!({"Authorization": format!("Bearer {token}")})).await {
        Opened::Acknowledged(client) => *client,
        Opened::Closed(code, reason) => panic!("connection refused: {code} {reason}"),
    }
}

impl Client {
    async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .expect("send");
    }

    /// Start subscription `id` running `query`.
    pub(crate) async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query}}))
            .await;
    }

    /// The next protocol message within `within`, as JSON; a close is `{"type": "close",
    /// "code", "reason"}`. None when nothing arrived in time.
    async fn recv(&mut self, within: Duration) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(within, self.ws.next()).await.ok()?;
            return Some(match next {
                Some(Ok(Message::Text(text))) => {
                    serde_json::from_str(text.as_str()).expect("a JSON message")
                }
                Some(Ok(Message::Close(frame))) => json!({
                    "type": "close",
                    "code": frame.as_ref().map(|f| u16::from(f.code)),
                    "reason": frame.as_ref().map(|f| f.reason.as_str().to_string()),
                }),
                Some(Ok(_)) => continue,
                Some(Err(e)) => json!({"type": "close", "code": null, "reason": e.to_string()}),
                None => json!({"type": "close", "code": null, "reason": "ended"}),
            });
        }
    }

    /// The payload of the next `next` message (a GraphQL response).
    pub(crate) async fn next_payload(&mut self) -> Value {
        let message = self
            .recv(EXPECTED)
            .await
            .expect("a message within the time limit");
        assert_eq!(message["type"], "next", "{message}");
        message["payload"].clone()
    }

    /// The next alert.
    async fn next_alert(&mut self) -> Value {
        let payload = self.next_payload().await;
        assert!(payload["errors"].is_null(), "{payload}");
        payload["data"]["restrictionAlerts"].clone()
    }

    /// Assert nothing arrives for a little while (always follow with a positive control).
    async fn quiet(&mut self) {
        if let Some(message) = self.recv(QUIET).await {
            panic!("nothing should have arrived, got {message}");
        }
    }
}

/// The payload of the first answer to `document` (a subscription) over a fresh connection, for
/// the role-matrix test.
pub(crate) async fn first_payload(app: &TestApp, token: &str, document: &str) -> Value {
    let mut client = connect(app, token).await;
    client.subscribe("1", document).await;
    client.next_payload().await
}

/// A stored notification about a letter-only restriction on the first case of service
/// `service_code`, written behind the API's back (for the role-matrix test's `since` replay).
pub(crate) async fn seed_notification(app: &TestApp, service_code: &str) {
    use entities::enums::{RestrictionKind, RestrictionStatus};
    use entities::notification::AlertEvent;
    use entities::{restriction, service, upc_case};
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
    let service = service::Entity::find()
        .filter(service::Column::Code.eq(service_code))
        .one(&app.db)
        .await
        .expect("read service")
        .expect("the service");
    let case = upc_case::Entity::find()
        .filter(upc_case::Column::ServiceId.eq(service.id))
        .one(&app.db)
        .await
        .expect("read case")
        .expect("a case in the service");
    let today = Utc::now().date_naive();
    let parameters =
        serde_json::from_value(json!({"kind": "contact_form", "permitted_channels": ["letter"]}))
            .expect("parameters");
    let r = restriction::ActiveModel {
        case_id: Set(case.id),
        service_id: Set(service.id),
        kind: Set(RestrictionKind::ContactForm),
        parameters: Set(parameters),
        starts_on: Set(today),
        review_due_on: Set(today + Days::days(180)),
        status: Set(RestrictionStatus::Active),
        permanent: Set(false),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("a restriction");
    notification::ActiveModel {
        service_id: Set(service.id),
        case_id: Set(case.id),
        restriction_id: Set(r.id),
        event: Set(AlertEvent::Imposed),
        restriction_kind: Set(RestrictionKind::ContactForm),
        case_reference: Set(case.reference.clone()),
        starts_on: Set(today),
        summary: Set(format!("{}: restriction imposed", case.reference)),
        created_by: Set("seed".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("a notification");
}

/// One service, its staff, and cases driven through the lifecycle over GraphQL.
struct Service<'a> {
    app: &'a TestApp,
    code: &'static str,
}

/// The fields of a case the tests read.
const CASE: &str = "id reference version stage \
    restrictions { id version kind status endsOn } stage2Decisions { serviceTeamNotifiedAt }";

impl<'a> Service<'a> {
    /// Create the service (as an administrator).
    async fn new(app: &'a TestApp, code: &'static str) -> Service<'a> {
        let admin = app.token(Role::Admin, &[]);
        let body = app
            .graphql_as(
                &admin,
                "mutation($code: String!) { createService(input: {code: $code, name: $code}) { code } }",
                json!({"code": code}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        Service { app, code }
    }

    /// A token for `role` in this service (subject `<role>-<code>`).
    fn token(&self, role: Role) -> String {
        self.token_as(&format!("{}-{}", role.as_str(), self.code), role)
    }

    /// A token for `subject` holding `role` in this service.
    fn token_as(&self, subject: &str, role: Role) -> String {
        self.app.token_for(subject, &[role], &[self.code])
    }

    /// Run `op` with `input` as `role`; it must succeed. The case it returns.
    async fn step(&self, role: Role, op: &str, input: Value) -> Value {
        let ty = format!("{}{}Input", op[..1].to_uppercase(), &op[1..]);
        let doc = format!("mutation($input: {ty}!) {{ {op}(input: $input) {{ {CASE} }} }}");
        let body = self
            .app
            .graphql_as(&self.token(role), &doc, json!({"input": input}))
            .await;
        assert!(body["errors"].is_null(), "{op} failed: {body}");
        body["data"][op].clone()
    }

    /// A new case about `name`, restricted at once (exceptionally: 5.1) to letter-only contact
    /// by the Group Director.
    async fn restricted(&self, name: &str) -> Value {
        let case = self
            .step(
                Role::Officer,
                "reportBehaviour",
                json!({
                    "newCustomer": {"displayName": name, "address": "1 Test Street", "preferredLanguage": "en"},
                    "serviceCode": self.code,
                    "behaviours": ["aggressive_intimidating_threatening"],
                    "channel": "in_person",
                    "occurredAt": (Utc::now() - Days::days(3)).to_rfc3339(),
                    "description": "Threatened reception staff (fictional).",
                }),
            )
            .await;
        let case = self
            .step(
                Role::ServiceManager,
                "determineBehaviour",
                json!({"caseId": case["id"], "version": case["version"], "unreasonable": true,
                       "reasons": "Threats to staff are unreasonable (2.3)."}),
            )
            .await;
        self.step(
            Role::GroupDirector,
            "decideStage2",
            json!({
                "caseId": case["id"],
                "version": case["version"],
                "consultedRole": "legal_services",
                "consultedName": "Service Director - Legal Services",
                "adjustmentsConsidered": "No disability or unmet need is known.",
                "proportionality": "Letter-only contact still lets the customer raise new issues.",
                "reasons": "Staff were threatened.",
                "exceptionalReasons": "Staff were threatened with violence.",
                "restrictions": [{"parameters": {"contactForm": {"permittedChannels": ["letter"]}}}],
            }),
        )
        .await
    }

    /// Lift the case's first restriction (Group Director).
    async fn lift(&self, case: &Value) -> Value {
        let r = &case["restrictions"][0];
        self.step(
            Role::GroupDirector,
            "liftRestriction",
            json!({"restrictionId": r["id"], "version": r["version"], "reasons": "No longer needed."}),
        )
        .await
    }
}

/// Assert `alert` tells of `event` on `case`'s first restriction in service `code`, without the
/// customer's name.
fn assert_alert(alert: &Value, event: &str, code: &str, case: &Value, name: &str) {
    assert_eq!(alert["event"], event, "{alert}");
    assert_eq!(alert["serviceCode"], code, "{alert}");
    assert_eq!(alert["caseId"], case["id"], "{alert}");
    assert_eq!(alert["caseReference"], case["reference"], "{alert}");
    assert_eq!(
        alert["restrictionId"], case["restrictions"][0]["id"],
        "{alert}"
    );
    assert_eq!(alert["restrictionKind"], "contact_form", "{alert}");
    let summary = alert["summary"].as_str().unwrap_or_default();
    let reference = case["reference"].as_str().unwrap_or_default();
    assert!(summary.contains(reference), "{summary}");
    assert!(
        !summary.contains(name),
        "a summary never names the customer: {summary}"
    );
    assert!(alert["readAt"].is_null(), "{alert}");
}

/// The number of audit events.
async fn audit_count(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .count(&app.db)
        .await
        .expect("count audit events")
}

const LIST: &str = "query($unread: Boolean, $first: Int) { notifications(unreadOnly: $unread, first: $first) { id event serviceCode caseReference summary readAt } }";
const MARK: &str =
    "mutation($id: ID!) { markNotificationRead(id: $id) { id event caseReference readAt } }";

/// The caller's notifications (`unread` only if asked).
async fn list(app: &TestApp, token: &str, unread: bool) -> Vec<Value> {
    let body = app.graphql_as(token, LIST, json!({"unread": unread})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{body}"))
}

db_tests! {
    async fn service_team_receives_the_alert_other_services_do_not_5_5(app) {
        let hou = Service::new(&app, "HOU").await;
        let oth = Service::new(&app, "OTH").await;
        let mut housing = connect(&app, &hou.token(Role::Officer)).await;
        let mut other = connect(&app, &oth.token(Role::Officer)).await;
        let mut legal = connect(&app, &app.token(Role::LegalServices, &[])).await;
        for client in [&mut housing, &mut other, &mut legal] {
            client.subscribe("alerts", &alerts_subscription()).await;
        }

        // The Group Director restricts a Housing customer: Housing's team is told at once, and
        // so is Legal Services, who sees every service.
        let case = hou.restricted("Alys Fictional").await;
        assert_eq!(case["stage"], "stage_2_restricted");
        assert!(case["stage2Decisions"][0]["serviceTeamNotifiedAt"].is_string(), "{case}");
        let alert = housing.next_alert().await;
        assert_alert(&alert, "imposed", "HOU", &case, "Alys Fictional");
        assert!(alert["endsOn"].is_null(), "{alert}");
        assert_eq!(legal.next_alert().await["id"], alert["id"]);

        // Another service's team is not told (5.4): nothing arrives, and when that service
        // restricts someone, theirs is the first alert they get.
        other.quiet().await;
        let theirs = oth.restricted("Bryn Fictional").await;
        let first = other.next_alert().await;
        assert_alert(&first, "imposed", "OTH", &theirs, "Bryn Fictional");
        assert_eq!(legal.next_alert().await["id"], first["id"]);

        // ... and Housing is not told of the other service's: lifting theirs is the next thing
        // Housing hears.
        housing.quiet().await;
        let lifted = hou.lift(&case).await;
        let next = housing.next_alert().await;
        assert_alert(&next, "lifted", "HOU", &case, "Alys Fictional");
        assert_eq!(lifted["stage"], "closed");
        assert_ne!(next["id"], alert["id"]);

        // Each alert is stored too, one per change.
        assert_eq!(notification::Entity::find().count(&app.db).await.unwrap(), 3);
    }

    async fn a_connection_without_a_valid_token_is_refused_5_5(app) {
        let hou = Service::new(&app, "HOU").await;
        let valid = hou.token(Role::Officer);
        let refused = [
            json!({}),
            json!({"Authorization": "Bearer not.a.jwt"}),
            json!({"Authorization": valid.clone()}),
            json!({"token": format!("{valid}x")}),
        ];
        for payload in refused {
            match open(&app, payload.clone()).await {
                Opened::Closed(code, reason) => {
                    assert_eq!(code, 4403, "{payload}: {reason}");
                    assert!(reason.contains("authentication required"), "{reason}");
                }
                Opened::Acknowledged(_) => panic!("{payload} was accepted"),
            }
        }
        // The accepted spellings of the token.
        for payload in [
            json!({"Authorization": format!("Bearer {valid}")}),
            json!({"authorization": format!("Bearer {valid}")}),
            json!({"token": valid}),
        ] {
            assert!(matches!(open(&app, payload.clone()).await, Opened::Acknowledged(_)), "{payload}");
        }
        // A WebSocket that does not offer graphql-transport-ws is refused at the handshake.
        let request = format!("ws://{}/graphql/ws", app.addr).into_client_request().unwrap();
        match tokio_tungstenite::connect_async(request).await {
            Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 400),
            other => panic!("expected HTTP 400, got {:?}", other.map(|(_, r)| r.status())),
        }
        // Queries and mutations are not served over the socket: they go to POST /graphql.
        let mut client = connect(&app, &hou.token(Role::Officer)).await;
        client.subscribe("q", "{ me { subject } }").await;
        let payload = client.next_payload().await;
        assert_eq!(payload["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{payload}");
        assert!(payload["data"].is_null(), "{payload}");
    }

    async fn only_the_service_team_legal_and_monitoring_are_alerted_5_5(app) {
        let hou = Service::new(&app, "HOU").await;
        for role in [Role::ElectedMember, Role::StandardsCommittee, Role::Admin] {
            let payload = first_payload(&app, &hou.token(role), &alerts_subscription()).await;
            assert_eq!(payload["errors"][0]["extensions"]["code"], "FORBIDDEN", "{}: {payload}", role.as_str());
            assert!(payload["data"].is_null(), "{payload}");
            let body = app.graphql_as(&hou.token(role), LIST, json!({})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        }
        // The Monitoring Officer sees every service, as Legal Services does.
        let mut monitoring = connect(&app, &app.token(Role::MonitoringOfficer, &[])).await;
        monitoring.subscribe("alerts", &alerts_subscription()).await;
        let case = hou.restricted("Alys Fictional").await;
        assert_alert(&monitoring.next_alert().await, "imposed", "HOU", &case, "Alys Fictional");
    }

    async fn stored_notifications_list_and_mark_read_per_user_5_5(app) {
        let hou = Service::new(&app, "HOU").await;
        let oth = Service::new(&app, "OTH").await;
        let case = hou.restricted("Alys Fictional").await;
        let ann = hou.token_as("ann", Role::Officer);
        let bob = hou.token_as("bob", Role::ServiceManager);
        let outsider = oth.token(Role::Officer);

        let mine = list(&app, &ann, false).await;
        assert_eq!(mine.len(), 1, "{mine:?}");
        let stored = &mine[0];
        assert_eq!(stored["event"], "imposed");
        assert_eq!(stored["serviceCode"], "HOU");
        assert_eq!(stored["caseReference"], case["reference"]);
        assert!(stored["readAt"].is_null());
        assert!(!stored["summary"].as_str().unwrap().contains("Alys"));
        assert_eq!(list(&app, &app.token(Role::LegalServices, &[]), false).await.len(), 1);
        assert!(list(&app, &outsider, false).await.is_empty(), "another service sees none (5.4)");

        // Ann marks it read: one audit event; marking it again changes nothing.
        let before = audit_count(&app).await;
        let body = app.graphql_as(&ann, MARK, json!({"id": stored["id"]})).await;
        assert!(body["errors"].is_null(), "{body}");
        let read_at = body["data"]["markNotificationRead"]["readAt"].clone();
        assert!(read_at.is_string(), "{body}");
        assert_eq!(audit_count(&app).await, before + 1);
        let again = app.graphql_as(&ann, MARK, json!({"id": stored["id"]})).await;
        assert_eq!(again["data"]["markNotificationRead"]["readAt"], read_at, "{again}");
        assert_eq!(audit_count(&app).await, before + 1, "a repeat writes nothing");

        // Read for Ann only.
        assert!(list(&app, &ann, true).await.is_empty());
        assert_eq!(list(&app, &ann, false).await[0]["readAt"], read_at);
        let bobs = list(&app, &bob, true).await;
        assert_eq!(bobs.len(), 1);
        assert!(bobs[0]["readAt"].is_null());

        // Another service's officer cannot see it, so cannot mark it.
        let refused = app.graphql_as(&outsider, MARK, json!({"id": stored["id"]})).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "NOT_FOUND", "{refused}");
        let bad = app.graphql_as(&ann, LIST, json!({"first": 0})).await;
        assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{bad}");
        assert_eq!(bad["errors"][0]["extensions"]["field"], "first", "{bad}");

        // Newest first; a reconnecting subscriber replays what it missed with `since`.
        hou.lift(&case).await;
        let events: Vec<_> = list(&app, &ann, false).await.iter().map(|n| n["event"].clone()).collect();
        assert_eq!(events, [json!("lifted"), json!("imposed")]);
        let mut client = connect(&app, &ann).await;
        client
            .subscribe("resume", &format!("subscription {{ restrictionAlerts(since: {}) {{ {ALERT} }} }}", stored["id"]))
            .await;
        let replayed = client.next_alert().await;
        assert_eq!(replayed["event"], "lifted");
        let live = hou.restricted("Carys Fictional").await;
        let alert = client.next_alert().await;
        assert_eq!(alert["caseReference"], live["reference"], "{alert}");
    }
}

/// PostgreSQL: two API instances on one database; an alert raised through one reaches the
/// subscribers of both, once each (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_fan_out_across_instances_on_postgres_5_5() {
    let Some(a) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let b = TestApp::spawn_with(Backend::Postgres, |s| {
        s.database_url = a.database_url.clone()
    })
    .await
    .expect("a second instance");
    let hou = Service::new(&a, "HOU").await;
    let mut on_b = connect(&b, &b.token_for("ann", &[Role::Officer], &["HOU"])).await;
    let mut on_a = connect(&a, &hou.token(Role::Officer)).await;
    on_b.subscribe("alerts", &alerts_subscription()).await;
    on_a.subscribe("alerts", &alerts_subscription()).await;

    let case = hou.restricted("Alys Fictional").await;
    let alert = on_b.next_alert().await;
    assert_alert(&alert, "imposed", "HOU", &case, "Alys Fictional");
    assert_eq!(on_a.next_alert().await["id"], alert["id"]);

    // Once each: the next alert on instance B is the next change, not the same one again.
    hou.lift(&case).await;
    assert_eq!(on_b.next_alert().await["event"], "lifted");
    assert_eq!(on_a.next_alert().await["event"], "lifted");
}

/// The process ids of this database's backends that last ran `LISTEN` (the API's alert
/// listener), terminating them first if `terminate`.
async fn listeners(app: &TestApp, terminate: bool) -> Vec<i32> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let sql = if terminate {
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND query LIKE 'LISTEN%' AND pg_terminate_backend(pid)"
    } else {
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND query LIKE 'LISTEN%'"
    };
    app.db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("pg_stat_activity")
        .iter()
        .map(|row| row.try_get::<i32>("", "pid").expect("pid"))
        .collect()
}

/// PostgreSQL: when the listener's connection is dropped it reconnects (with back-off) and
/// alerts keep arriving, including any raised while it was away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_survive_a_dropped_listener_connection_on_postgres_5_5() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let hou = Service::new(&app, "HOU").await;
    let mut client = connect(&app, &hou.token(Role::Officer)).await;
    client.subscribe("alerts", &alerts_subscription()).await;

    let dropped = listeners(&app, true).await;
    assert_eq!(dropped.len(), 1, "one listener per instance: {dropped:?}");
    let case = hou.restricted("Alys Fictional").await;
    assert_alert(
        &client.next_alert().await,
        "imposed",
        "HOU",
        &case,
        "Alys Fictional",
    );

    // It listens again, on a new connection, and the next change arrives too.
    let now = listeners(&app, false).await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, dropped);
    hou.lift(&case).await;
    assert_eq!(client.next_alert().await["event"], "lifted");
}

/// Each `subscribe` counts against its user's rate limit, as a request to `POST /graphql` does
/// (issue 8), on both databases.
mod each_subscription_counts_against_the_users_rate_limit {
    use super::*;

    fn adjust(s: &mut api::config::Settings) {
        // Two at once, then one every ten seconds: none comes back during the test.
        s.rate_limit.per_minute = 6;
        s.rate_limit.burst = 2;
    }

    async fn run(app: TestApp) {
        let hou = Service::new(&app, "HOU").await;
        let mut client = connect(&app, &hou.token(Role::Officer)).await;
        // Two subscriptions use the burst (they run, waiting for alerts: nothing arrives).
        client.subscribe("1", &alerts_subscription()).await;
        client.subscribe("2", &alerts_subscription()).await;
        client.quiet().await;
        // The third is refused with the same code as an HTTP request over the limit.
        client.subscribe("3", &alerts_subscription()).await;
        let payload = client.next_payload().await;
        assert_eq!(
            payload["errors"][0]["extensions"]["code"], "RATE_LIMITED",
            "{payload}"
        );
        assert!(
            payload["errors"][0]["extensions"]["retryAfterSeconds"].as_u64() >= Some(1),
            "{payload}"
        );
        // Another user is not held back (positive control on a second connection).
        let mut other = connect(&app, &hou.token_as("someone-else", Role::Officer)).await;
        other.subscribe("1", &alerts_subscription()).await;
        other.quiet().await;
    }

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
