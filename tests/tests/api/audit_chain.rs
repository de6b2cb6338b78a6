//! The tamper-evident audit trail (issue 7, item 1), on both databases: an event per mutation,
//! hash-chained and serialised; the real `upc-api audit verify` and `audit head` commands run
//! against the test's database; an event changed or removed behind the API's back (as a
//! superuser, triggers bypassed) is pinpointed; the database itself refuses UPDATE and DELETE.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use api::audit::chain::{self, EventFields, GENESIS};
use api::auth::Role;
use entities::audit_event;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};
use tests::{TestApp, db_tests, postgres};

/// The exit code of `audit verify` for a broken chain.
const EXIT_BROKEN: i32 = api::audit::command::EXIT_BROKEN as i32;
/// The exit code of `audit verify --expect-head` when the head is gone.
const EXIT_HEAD_MISSING: i32 = api::audit::command::EXIT_HEAD_MISSING as i32;

/// The `upc-api` binary, built (once per run) from this checkout by cargo itself, so the test
/// never runs a stale one.
fn upc_api() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace");
        // The test profile and `-p tests` too, so profile and features are those of this test
        // build and its compiled crates are reused: only the binary is linked.
        let mut cargo = std::process::Command::new(env!("CARGO"));
        // Without the variables cargo sets for a running test: build scripts that watch them
        // (`rerun-if-env-changed=CARGO_MANIFEST_DIR`, ...) would otherwise see them change and
        // rebuild, here and again in the next `cargo test`.
        for (name, _) in std::env::vars() {
            let set_by_cargo = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CFG_",
                "CARGO_FEATURE_",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "OUT_DIR",
                ]
                .contains(&name.as_str());
            if set_by_cargo {
                cargo.env_remove(name);
            }
        }
        let out = cargo
            .args([
                "build",
                "--profile",
                "test",
                "-p",
                "api",
                "-p",
                "tests",
                "--bin",
                "upc-api",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(workspace)
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "building upc-api failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "upc-api")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the upc-api executable")
    })
}

/// What a run of `upc-api audit …` did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run `upc-api audit <args>` against the database at `url`.
async fn audit_at(url: &str, data_dir: &Path, args: &[&str]) -> Run {
    let binary = upc_api().to_path_buf();
    let mut command = tokio::process::Command::new(binary);
    command.arg("audit").args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("UPC_") {
            command.env_remove(name);
        }
    }
    command
        .env("UPC_DATABASE_URL", url)
        .env("UPC_DATA_DIR", data_dir)
        .env("UPC_LOG", "warn");
    let out = command.output().await.expect("upc-api runs");
    Run {
        code: out.status.code().expect("an exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `upc-api audit <args>` against the test's database.
async fn audit(app: &TestApp, args: &[&str]) -> Run {
    audit_at(&app.database_url, &app.data_dir, args).await
}

const CREATE_SERVICE: &str = "mutation($code: String!, $name: String!) { \
    createService(input: {code: $code, name: $name}) { id code name version } }";
const UPDATE_SERVICE: &str = "mutation($id: ID!, $version: Int!, $name: String) { \
    updateService(input: {id: $id, version: $version, name: $name}) { id version name } }";
const CREATE_ESTABLISHMENT: &str = "mutation($name: String!, $code: String) { \
    createEstablishment(input: {name: $name, address: \"1 High Street\", serviceCode: $code}) { id } }";

/// Create a service as an administrator; its JSON.
async fn create_service(app: &TestApp, code: &str, name: &str) -> Value {
    let admin = app.token(Role::Admin, &[]);
    let body = app
        .graphql_as(&admin, CREATE_SERVICE, json!({"code": code, "name": name}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["createService"].clone()
}

/// A few real mutations of different kinds, each checked to write exactly one event; how many.
async fn some_mutations(app: &TestApp) -> u64 {
    let admin = app.token(Role::Admin, &[]);
    let mut written = 0;
    let mut step = async |query: &str, variables: Value| {
        let before = events(&app.db).await.len();
        let body = app.graphql_as(&admin, query, variables).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(
            events(&app.db).await.len(),
            before + 1,
            "one event for {body}"
        );
        written += 1;
        body
    };
    // Quotes, a backslash, Welsh letters and a dash: the payload must hash the same once stored.
    let housing = step(
        CREATE_SERVICE,
        json!({"code": "HOU", "name": "Tai \"Housing\" \\ ŵ ŷ — 10%"}),
    )
    .await;
    let id = housing["data"]["createService"]["id"].clone();
    step(
        CREATE_SERVICE,
        json!({"code": "SOC", "name": "Social care"}),
    )
    .await;
    step(
        UPDATE_SERVICE,
        json!({"id": id, "version": 1, "name": "Gwasanaethau Tai"}),
    )
    .await;
    step(
        CREATE_ESTABLISHMENT,
        json!({"name": "One4All Centre", "code": "HOU"}),
    )
    .await;
    step(
        CREATE_ESTABLISHMENT,
        json!({"name": "Civic Centre", "code": null}),
    )
    .await;
    written
}

/// Every audit event, in id order.
async fn events(db: &DatabaseConnection) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await
        .expect("read audit events")
}

/// Check the chain from outside the binary too: every link, every hash, no shared predecessor.
fn assert_chained(events: &[audit_event::Model]) {
    let mut prev = GENESIS.to_string();
    let mut predecessors = HashSet::new();
    for event in events {
        assert_eq!(
            event.prev_hash.as_deref(),
            Some(prev.as_str()),
            "link of {}",
            event.id
        );
        assert!(
            predecessors.insert(event.prev_hash.clone()),
            "two events follow {:?}",
            event.prev_hash
        );
        assert_eq!(
            event.payload_hash.as_deref(),
            Some(
                chain::payload_hash(
                    event.before.as_ref(),
                    event.after.as_ref(),
                    event.reason.as_deref()
                )
                .as_str()
            )
        );
        assert_eq!(
            EventFields::of(event).hash(),
            event.hash,
            "hash of {}",
            event.id
        );
        prev = event.hash.clone();
    }
}

/// Run `sql` as a superuser with the audit triggers out of the way, as an attacker with the
/// database's keys would: on PostgreSQL with `session_replication_role = replica` (triggers do
/// not fire), on SQLite by dropping the triggers (this test's database is its own copy).
async fn behind_the_apis_back(app: &TestApp, sql: &str) {
    match app.backend {
        tests::Backend::Postgres => {
            let txn = app.db.begin().await.expect("begin");
            txn.execute_unprepared("SET LOCAL session_replication_role = replica")
                .await
                .expect("superuser bypasses triggers");
            txn.execute_unprepared(sql).await.expect("tampering works");
            txn.commit().await.expect("commit");
        }
        tests::Backend::Sqlite => {
            app.db
                .execute_unprepared(
                    "DROP TRIGGER IF EXISTS audit_event_no_update; \
                     DROP TRIGGER IF EXISTS audit_event_no_delete;",
                )
                .await
                .expect("drop triggers");
            app.db
                .execute_unprepared(sql)
                .await
                .expect("tampering works");
        }
    }
}

/// Assert `run` reports event `id` broken, with `expected` and `found` hashes of `hash_name`.
fn assert_broken(run: &Run, id: i64, hash_name: &str, expected: &str, found: &str) {
    assert_eq!(run.code, EXIT_BROKEN, "{run:?}");
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("broken: event {id}: ")),
        "{run:?}"
    );
    assert!(
        first.ends_with(&format!("; {hash_name} expected {expected}, found {found}")),
        "{run:?}\nwanted event {id}: {hash_name} expected {expected}, found {found}"
    );
}

db_tests! {
    async fn every_mutation_writes_one_chained_event_and_verify_says_intact(app) {
        let empty = audit(&app, &["verify"]).await;
        assert_eq!(empty.code, 0, "{empty:?}");
        assert_eq!(empty.stdout, "intact: 0 events, head none\n");

        let written = some_mutations(&app).await;
        let all = events(&app.db).await;
        assert_eq!(all.len() as u64, written);
        assert_chained(&all);
        for event in &all {
            assert_eq!(event.occurred_at.timestamp_subsec_nanos() % 1000, 0, "stored to the microsecond");
        }
        let head = all.last().expect("events");
        assert_eq!(all[0].prev_hash.as_deref(), Some(GENESIS));
        let update = all.iter().find(|e| e.action == "service.update").expect("the update");
        assert!(update.before.is_some() && update.after.is_some());

        let run = audit(&app, &["verify"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, format!("intact: {written} events, head {}\n", head.hash));
        // Paging through the chain two events at a time changes nothing.
        let paged = audit(&app, &["verify", "--page-size", "2"]).await;
        assert_eq!(paged.stdout, run.stdout, "{paged:?}");

        let exported = audit(&app, &["head"]).await;
        assert_eq!(exported.code, 0, "{exported:?}");
        assert_eq!(exported.stdout.lines().count(), 1, "one JSON line: {exported:?}");
        let line: Value = serde_json::from_str(&exported.stdout).expect("JSON");
        assert_eq!(line["head"], head.hash.as_str());
        assert_eq!(line["head_id"], head.id);
        assert_eq!(line["events"], written);
        assert_eq!(line["head_occurred_at"], chain::timestamp(head.occurred_at));

        let expecting = audit(&app, &["verify", "--expect-head", &head.hash]).await;
        assert_eq!(expecting.code, 0, "{expecting:?}");
        assert!(
            expecting.stdout.contains(&format!("expected head {} found: event {}", head.hash, head.id)),
            "{expecting:?}"
        );
        let nonsense = audit(&app, &["verify", "--expect-head", "not-a-hash"]).await;
        assert_eq!(nonsense.code, 1, "{nonsense:?}");
        assert!(nonsense.stderr.contains("--expect-head"), "{nonsense:?}");
    }

    async fn an_event_changed_behind_the_apis_back_is_pinpointed(app) {
        some_mutations(&app).await;
        let all = events(&app.db).await;
        let (second, third) = (&all[1], &all[2]);

        // A field of the second event changed: its own hash no longer matches.
        behind_the_apis_back(
            &app,
            &format!("UPDATE audit_event SET actor_sub = 'someone-else' WHERE id = {}", second.id),
        )
        .await;
        let changed = audit_event::Entity::find_by_id(second.id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(changed.actor_sub, "someone-else");
        let expected = EventFields::of(&changed).hash();
        assert_ne!(expected, second.hash);
        let run = audit(&app, &["verify"]).await;
        assert_broken(&run, second.id, "hash", &expected, &second.hash);
        assert!(run.stdout.contains("1 events before it verified"), "{run:?}");

        // Put it back; change the third event's payload instead: its payload hash no longer matches.
        behind_the_apis_back(
            &app,
            &format!(
                "UPDATE audit_event SET actor_sub = '{}' WHERE id = {}; \
                 UPDATE audit_event SET after = '{{\"name\":\"forged\"}}' WHERE id = {}",
                second.actor_sub, second.id, third.id
            ),
        )
        .await;
        let forged = audit_event::Entity::find_by_id(third.id).one(&app.db).await.unwrap().unwrap();
        let expected = chain::payload_hash(forged.before.as_ref(), forged.after.as_ref(), forged.reason.as_deref());
        let run = audit(&app, &["verify"]).await;
        assert_broken(
            &run,
            third.id,
            "payload_hash",
            &expected,
            third.payload_hash.as_deref().unwrap(),
        );

        // Forge the payload hash and the event hash too, as someone who knows the scheme would:
        // the event after it no longer links to it.
        let mut reforged = forged.clone();
        reforged.payload_hash = Some(expected.clone());
        let rehashed = EventFields::of(&reforged).hash();
        behind_the_apis_back(
            &app,
            &format!(
                "UPDATE audit_event SET payload_hash = '{expected}', hash = '{rehashed}' WHERE id = {}",
                third.id
            ),
        )
        .await;
        let fourth = &all[3];
        let run = audit(&app, &["verify"]).await;
        assert_broken(&run, fourth.id, "prev_hash", &rehashed, &third.hash);

        // An event removed from the middle: the one after it no longer links.
        behind_the_apis_back(
            &app,
            &format!(
                "UPDATE audit_event SET after = '{}', payload_hash = '{}', hash = '{}' WHERE id = {}; \
                 DELETE FROM audit_event WHERE id = {}",
                serde_json::to_string(third.after.as_ref().unwrap()).unwrap().replace('\'', "''"),
                third.payload_hash.as_deref().unwrap(),
                third.hash,
                third.id,
                second.id
            ),
        )
        .await;
        let run = audit(&app, &["verify"]).await;
        assert_broken(&run, third.id, "prev_hash", &all[0].hash, &second.hash);
    }

    async fn the_database_refuses_update_and_delete(app) {
        some_mutations(&app).await;
        let all = events(&app.db).await;
        let target = &all[1];
        let refused = |result: Result<sea_orm::ExecResult, sea_orm::DbErr>, what: &str| {
            let err = result.expect_err(what);
            assert!(err.to_string().contains("audit_event is append-only"), "{what}: {err}");
        };
        for sql in [
            format!("UPDATE audit_event SET action = 'service.delete' WHERE id = {}", target.id),
            format!("UPDATE audit_event SET hash = 'x' WHERE id = {}", target.id),
            format!("UPDATE audit_event SET reason = 'added later' WHERE id = {}", target.id),
            format!("DELETE FROM audit_event WHERE id = {}", target.id),
            "DELETE FROM audit_event".to_string(),
        ] {
            refused(app.db.execute_unprepared(&sql).await, &sql);
        }
        if app.backend == tests::Backend::Postgres {
            refused(app.db.execute_unprepared("TRUNCATE audit_event").await, "TRUNCATE");
        }
        // Nothing changed.
        assert_eq!(events(&app.db).await, all);

        // Retention's redaction is the one update allowed: payload erased, redacted_at set,
        // everything else as it was. Changing anything else with it is refused.
        let redact = |also: Option<(audit_event::Column, Expr)>| {
            let mut update = audit_event::Entity::update_many()
                .col_expr(audit_event::Column::Before, Expr::value(Option::<Value>::None))
                .col_expr(audit_event::Column::After, Expr::value(Option::<Value>::None))
                .col_expr(audit_event::Column::Reason, Expr::value(Option::<String>::None))
                .col_expr(audit_event::Column::RedactedAt, Expr::value(Some(chrono::Utc::now())))
                .filter(audit_event::Column::Id.eq(target.id));
            if let Some((column, value)) = also {
                update = update.col_expr(column, value);
            }
            update
        };
        let err = redact(Some((audit_event::Column::ActorSub, Expr::value("someone-else"))))
            .exec(&app.db)
            .await
            .expect_err("a redaction that changes the actor is refused");
        assert!(err.to_string().contains("append-only"), "{err}");
        redact(None).exec(&app.db).await.expect("redaction is allowed");
        let redacted = audit_event::Entity::find_by_id(target.id).one(&app.db).await.unwrap().unwrap();
        assert!(redacted.after.is_none() && redacted.before.is_none() && redacted.redacted_at.is_some());
        assert_eq!(redacted.hash, target.hash);
        // Once only: a second redaction (a new redacted_at) is refused.
        let err = redact(None).exec(&app.db).await.expect_err("redacting twice is refused");
        assert!(err.to_string().contains("append-only"), "{err}");

        let run = audit(&app, &["verify"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.stdout,
            format!(
                "intact: {} events, head {}\nredacted: 1 (payload erased by retention; hashes intact)\n",
                all.len(),
                all.last().unwrap().hash
            )
        );
    }

    async fn concurrent_mutations_leave_one_unbroken_chain(app) {
        create_service(&app, "BASE", "Base").await;
        let admin = app.token(Role::Admin, &[]);
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let client = app.client.clone();
                let url = format!("{}/graphql", app.base_url);
                let admin = admin.clone();
                tokio::spawn(async move {
                    let body: Value = client
                        .post(url)
                        .bearer_auth(admin)
                        .json(&json!({
                            "query": CREATE_SERVICE,
                            "variables": {"code": format!("C{i:02}"), "name": format!("Concurrent {i}")}
                        }))
                        .send()
                        .await
                        .expect("sent")
                        .json()
                        .await
                        .expect("JSON");
                    body
                })
            })
            .collect();
        for task in tasks {
            let body = task.await.expect("task");
            assert!(body["errors"].is_null(), "every concurrent mutation succeeds: {body}");
        }
        let all = events(&app.db).await;
        assert_eq!(all.len(), 21);
        let predecessors: HashSet<_> = all.iter().map(|e| e.prev_hash.clone()).collect();
        assert_eq!(predecessors.len(), all.len(), "no two events share a prev_hash");
        assert_chained(&all);
        let run = audit(&app, &["verify"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, format!("intact: 21 events, head {}\n", all[20].hash));
    }

    async fn expect_head_detects_a_deleted_tail(app) {
        some_mutations(&app).await;
        let exported = audit(&app, &["head"]).await;
        let line: Value = serde_json::from_str(&exported.stdout).expect("JSON line");
        let head = line["head"].as_str().expect("a head").to_string();
        let all = events(&app.db).await;
        assert_eq!(head, all.last().unwrap().hash);

        // The last two events removed by someone with the database's keys.
        let keep = all.len() - 2;
        behind_the_apis_back(
            &app,
            &format!("DELETE FROM audit_event WHERE id > {}", all[keep - 1].id),
        )
        .await;
        // Without the exported head, what is left is a shorter, intact chain...
        let run = audit(&app, &["verify"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, format!("intact: {keep} events, head {}\n", all[keep - 1].hash));
        // ...and new events chain on from it...
        create_service(&app, "NEW", "After the deletion").await;
        let run = audit(&app, &["verify"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        // ...but the exported head is not in it any more.
        let run = audit(&app, &["verify", "--expect-head", &head]).await;
        assert_eq!(run.code, EXIT_HEAD_MISSING, "{run:?}");
        assert!(
            run.stdout.contains(&format!("missing: expected head {head} is not in the chain")),
            "{run:?}"
        );
        // Upper-case hex is the same hash.
        let run = audit(&app, &["verify", "--expect-head", &all[0].hash.to_uppercase()]).await;
        assert_eq!(run.code, 0, "{run:?}");
    }
}

/// Events written before the chain was hardened are re-chained by the migration, keeping their
/// old hash; a fork among them (two events after the same one) is repaired, not carried over.
async fn legacy_events_are_rechained(url: &str) {
    let db = Database::connect(url).await.expect("connect");
    let before_chain = Migrator::migrations()
        .iter()
        .position(|m| m.name().contains("audit_chain"))
        .expect("the audit chain migration") as u32;
    Migrator::up(&db, Some(before_chain))
        .await
        .expect("migrate to just before");
    let legacy = [
        (
            "2026-01-05T09:00:00.123456789+00:00",
            None,
            "h1",
            "{\"name\":\"Housing\"}",
        ),
        (
            "2026-01-05T09:00:01.5+00:00",
            Some("h1"),
            "h2",
            "{\"b\":1,\"a\":[true,null]}",
        ),
        ("2026-01-05T09:00:01.6+00:00", Some("h1"), "h3", "null"),
    ];
    for (at, prev, hash, after) in legacy {
        let prev = prev.map_or("NULL".to_string(), |p| format!("'{p}'"));
        let (at, after) = match db.get_database_backend() {
            DbBackend::Postgres => (format!("'{at}'::timestamptz"), format!("'{after}'::json")),
            _ => (format!("'{at}'"), format!("'{after}'")),
        };
        db.execute_unprepared(&format!(
            "INSERT INTO audit_event (occurred_at, actor_sub, actor_roles, action, entity_type, \
             entity_id, after, reason, prev_hash, hash) VALUES ({at}, 'sub-1', 'admin', \
             'service.create', 'service', '1', {after}, 'because', {prev}, '{hash}')"
        ))
        .await
        .expect("a legacy event");
    }
    Migrator::up(&db, None)
        .await
        .expect("the rest of the migrations");
    let all = events(&db).await;
    assert_eq!(
        all.iter()
            .map(|e| e.legacy_hash.as_deref())
            .collect::<Vec<_>>(),
        [Some("h1"), Some("h2"), Some("h3")]
    );
    assert_chained(&all);
    let dir = tempfile::tempdir().expect("data dir");
    let run = audit_at(url, dir.path(), &["verify"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!("intact: 3 events, head {}\n", all[2].hash)
    );
    db.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_events_are_rechained_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/legacy.sqlite?mode=rwc", dir.path().display());
    legacy_events_are_rechained(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_events_are_rechained_on_postgres() {
    match postgres::empty_database().await {
        Ok(url) => legacy_events_are_rechained(&url).await,
        Err(why) => {
            assert!(
                !postgres::required(),
                "PostgreSQL required but unavailable: {why}"
            );
            eprintln!("\n!!!!!!!!!! PostgreSQL NOT TESTED: {why}\n");
        }
    }
}

#[tokio::test]
async fn verify_refuses_a_database_that_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.sqlite");
    let run = audit_at(
        &format!("sqlite://{}", missing.display()),
        dir.path(),
        &["verify"],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("no database at"), "{run:?}");
    assert!(!missing.exists(), "checking must not create a database");
}
