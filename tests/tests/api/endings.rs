//! How a case ends (issue 19, item 4), on both databases: a Stage 1 warning whose period has
//! passed with no further behaviour is closed by the endings run, with its reason, a letter to
//! the customer and an audit event; nothing more can be done on it (`logAppeal` is refused);
//! running again, or twice at once, closes nothing more; a case with behaviour reported since
//! its warning stays open; and a Stage 2 case whose restrictions all ended after review closes
//! the same way. A closed case falls due under the retention schedule. The cases are driven through HTTP; the run is the library call a scheduler
//! makes, at a moment past the period.

use api::auth::Role;
use api::config::Settings;
use api::domain::lifecycle::LifecycleSettings;
use api::store::commands::endings::{EndingsRun, close_ended_cases};
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use entities::audit_event;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::db_tests;
use worker::retention::{Schedule, plan};

use super::lifecycle::drive::*;

/// The fields of a case these tests look at.
const CLOSED_CASE: &str = "query($id: ID!) { case(id: $id) { id reference stage status closedAt \
    closureReason allowedSteps version restrictions { id kind status endsOn } \
    letters { kind subject bodyText bodyHtml } } }";

/// A connection of the run's own, as a worker opens it (one connection on SQLite).
async fn worker_db(app: &tests::TestApp) -> DatabaseConnection {
    let mut settings = Settings::embedded(&app.data_dir);
    settings.database_url = app.database_url.clone();
    api::db::connect(&settings)
        .await
        .expect("the worker connects")
}

/// `months` months from now.
fn later(months: u32) -> DateTime<Utc> {
    Utc::now() + Months::new(months)
}

async fn endings_run(db: &DatabaseConnection, at: DateTime<Utc>) -> EndingsRun {
    close_ended_cases(db, &LifecycleSettings::default(), at)
        .await
        .unwrap_or_else(|e| panic!("the endings run failed: {e:?}"))
}

fn references(run: &EndingsRun) -> Vec<&str> {
    run.closed.iter().map(|c| c.reference.as_str()).collect()
}

/// The case as Legal Services reads it.
async fn read(w: &World<'_>, case: &Value) -> Value {
    let body = w.app.graphql(CLOSED_CASE, json!({"id": case["id"]})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["case"].clone()
}

/// The `case.close_ended` audit events of the case.
async fn closing_events(w: &World<'_>, case: &Value) -> Vec<audit_event::Model> {
    let id: i64 = case["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("case.close_ended"))
        .filter(audit_event::Column::CaseId.eq(id))
        .all(&w.app.db)
        .await
        .expect("read the audit trail")
}

/// Whether the retention schedule (the defaults) makes case `reference` due on `day`.
async fn due_for_retention(db: &DatabaseConnection, reference: &str, day: NaiveDate) -> bool {
    let schedule = Schedule {
        years_after_restriction: 6,
        years_after_closure: 2,
    };
    plan(db, &schedule, day)
        .await
        .expect("the retention plan")
        .iter()
        .any(|d| d.case_reference == reference)
}

fn kinds(case: &Value) -> Vec<&str> {
    list(case, "letters")
        .iter()
        .map(|l| l["kind"].as_str().unwrap_or_default())
        .collect()
}

db_tests! {
    async fn a_warning_whose_period_passed_closes_once(app) {
        let w = World::new(&app, "HOU").await;
        let db = worker_db(&app).await;
        let ends_on = months(12);

        // The warning letter says when the warning period ends, and so does `deadlines`.
        let quiet = w.warned("Ms Quiet Customer", "en").await;
        mentions(
            last_letter(&quiet),
            &[&format!("This warning lasts until {}.", written(ends_on, "en"))],
        );
        let body = w
            .app
            .graphql_as(
                &w.token(Role::HeadOfService),
                "{ deadlines(withinDays: 366) { kind dueOn caseReference recordId } }",
                json!({}),
            )
            .await;
        let due: Vec<&Value> = body["data"]["deadlines"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .filter(|d| d["kind"] == "warning_period_ending" && d["caseReference"] == quiet["reference"])
            .collect();
        assert_eq!(due.len(), 1, "{body}");
        assert_eq!(date(&due[0]["dueOn"]), ends_on);

        // Behaviour reported after the warning (dated a month back, reported today) awaits the
        // Group Director: that case is not closed.
        let persistent = w.warned("Mr Persistent Customer", "en").await;
        w.backdate_warning(&persistent, days(-30)).await;
        let persistent = w.case(&persistent).await;
        w.act("reportBehaviour", &persistent, w.further_report(&persistent, Duration::hours(1)))
            .await;

        // Nothing has ended yet.
        assert!(endings_run(&db, Utc::now()).await.closed.is_empty());

        // Past the period: the quiet case closes, the other does not.
        let first = endings_run(&db, later(13)).await;
        assert_eq!(references(&first), vec![quiet["reference"].as_str().unwrap_or_default()]);
        assert!(first.checked >= 2, "both warned cases were looked at: {first:?}");

        let closed = read(&w, &quiet).await;
        assert_eq!(closed["status"], "closed", "{closed}");
        assert_eq!(closed["stage"], "closed");
        assert!(closed["closedAt"].is_string(), "{closed}");
        let reason = closed["closureReason"].as_str().unwrap_or_default();
        assert!(reason.starts_with("warning period ended"), "{reason}");
        assert!(reason.contains(&ends_on.to_string()), "{reason}");
        assert_eq!(steps(&closed), Vec::<&str>::new(), "no step is offered on a closed case");
        assert_eq!(kinds(&closed), vec!["stage_1_warning", "case_closed"]);
        let letter = last_letter(&closed);
        mentions(
            letter,
            &[
                "Dear Ms Quiet Customer,",
                "is now closed",
                &format!("The warning lasted until {}.", written(ends_on, "en")),
            ],
        );
        assert!(
            letter["bodyHtml"].as_str().unwrap_or_default().contains("1 Test Street"),
            "the letter is addressed to the customer"
        );
        let events = closing_events(&w, &quiet).await;
        assert_eq!(events.len(), 1, "one audit event");
        assert_eq!(events[0].actor_sub, "system:endings");
        assert_eq!(events[0].reason.as_deref(), Some(reason));

        // Nothing more can be done on it: an appeal is refused with a stable code.
        let error = w.fail("logAppeal", appeal(&closed, today())).await;
        expect(&error, "INVALID_TRANSITION", None);

        // Idempotent: a second run closes nothing, writes no second letter or event.
        let second = endings_run(&db, later(13)).await;
        assert!(second.closed.is_empty(), "{second:?}");
        assert_eq!(kinds(&read(&w, &quiet).await).len(), 2);
        assert_eq!(closing_events(&w, &quiet).await.len(), 1);

        // Closed, the case falls due under the retention schedule: two years after closing.
        let closed_on = later(13).date_naive();
        let reference = quiet["reference"].as_str().unwrap_or_default();
        assert!(!due_for_retention(&w.app.db, reference, closed_on + Months::new(12)).await);
        assert!(due_for_retention(&w.app.db, reference, closed_on + Months::new(25)).await);

        let still = read(&w, &persistent).await;
        assert_eq!(still["status"], "open", "{still}");
        assert!(steps(&still).contains(&"decideStage2"));
        assert!(closing_events(&w, &persistent).await.is_empty());
    }

    async fn two_runs_at_once_close_a_case_exactly_once(app) {
        let w = World::new(&app, "HOU").await;
        let db_a = worker_db(&app).await;
        let db_b = worker_db(&app).await;
        let case = w.warned("Ms Twice Customer", "cy").await;
        let at = later(13);
        let (a, b) = tokio::join!(endings_run(&db_a, at), endings_run(&db_b, at));
        let mut closed: Vec<&str> = references(&a);
        closed.extend(references(&b));
        assert_eq!(closed, vec![case["reference"].as_str().unwrap_or_default()], "{a:?} {b:?}");
        let after = read(&w, &case).await;
        assert_eq!(after["status"], "closed");
        assert_eq!(kinds(&after), vec!["stage_1_warning", "case_closed"]);
        mentions(last_letter(&after), &["wedi'i gau"]);
        assert_eq!(closing_events(&w, &case).await.len(), 1);
    }

    async fn a_stage_2_case_closes_when_its_restrictions_ended_after_review(app) {
        let w = World::new(&app, "HOU").await;
        let db = worker_db(&app).await;
        // An exclusion ending in three months and letter-only contact.
        let case = w.restricted("Mr Restricted Customer").await;
        let letters = list(&case, "restrictions")
            .iter()
            .find(|r| r["kind"] == "contact_form")
            .cloned()
            .expect("letter-only contact");
        // Not before the review, even once the exclusion has run its course.
        let case = w
            .act("recommendReview", &case, recommend(&case, "partially_remove", &[&letters]))
            .await;
        assert!(endings_run(&db, later(4)).await.closed.is_empty(), "the review awaits endorsement");
        let case = w.act("endorseReview", &case, endorse(&case, true)).await;
        let after_review = read(&w, &case).await;
        assert_eq!(after_review["status"], "open");

        // While the exclusion runs, the case stays open.
        assert!(endings_run(&db, Utc::now()).await.closed.is_empty());
        let ended = endings_run(&db, later(4)).await;
        assert_eq!(references(&ended), vec![case["reference"].as_str().unwrap_or_default()]);

        let closed = read(&w, &case).await;
        assert_eq!(closed["status"], "closed", "{closed}");
        let reason = closed["closureReason"].as_str().unwrap_or_default();
        assert!(reason.starts_with("restrictions ended"), "{reason}");
        let statuses: Vec<&str> = list(&closed, "restrictions")
            .iter()
            .map(|r| r["status"].as_str().unwrap_or_default())
            .collect();
        assert!(statuses.contains(&"expired") && statuses.contains(&"lifted"), "{statuses:?}");
        assert_eq!(kinds(&closed).last(), Some(&"case_closed"));
        mentions(last_letter(&closed), &["have all now ended", "Dear Mr Restricted Customer,"]);
        assert_eq!(closing_events(&w, &case).await.len(), 1);
        assert!(endings_run(&db, later(4)).await.closed.is_empty());
    }
}

/// Run `sql` on `db`.
async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(sql).await.map(|_| ())
}

/// The endings migration on PostgreSQL with letters already stored: their kinds are kept, the
/// new kind is accepted afterwards, other values are still refused, and the templates' unique
/// index is back. (The same on SQLite is a unit test of the migration crate.)
#[tokio::test]
async fn letters_keep_their_kind_through_the_endings_migration_on_postgres() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Database, Statement};
    use tests::postgres;

    let url = match postgres::empty_database().await {
        Ok(url) => url,
        Err(why) => {
            assert!(
                !postgres::required(),
                "PostgreSQL required but unavailable: {why}"
            );
            eprintln!("\n!!!!!!!!!! PostgreSQL NOT TESTED: {why}\n");
            return;
        }
    };
    let db = Database::connect(url.as_str()).await.expect("connect");
    // Up to just before the endings migration, found by name: migrations added after it do
    // not move the test.
    let before = Migrator::migrations()
        .iter()
        .position(|m| migration::MigrationName::name(m.as_ref()) == "m20261206_000012_endings")
        .and_then(|n| u32::try_from(n).ok())
        .expect("the endings migration");
    Migrator::up(&db, Some(before))
        .await
        .expect("up to retention");
    for sql in [
        "INSERT INTO service (code, name) VALUES ('HOUSING', 'Housing')",
        "INSERT INTO customer (reference, kind, display_name) VALUES ('C-000001', 'person', 'A Customer')",
        "INSERT INTO upc_case (reference, customer_id, service_id, stage, status, opened_at) \
         VALUES ('UPC-2026-0001', 1, 1, 'stage_1_warning', 'open', '2026-01-05T09:00:00+00:00')",
        "INSERT INTO letter_template (kind, language, template_version, subject, body, created_by) \
         VALUES ('review_outcome', 'en', 1, 'S', 'B', 'admin')",
        "INSERT INTO letter (case_id, kind, language, subject, body_text, body_html, issued_at, issued_by) \
         VALUES (1, 'appeal_outcome', 'en', 'S', 'B', '<p>B</p>', '2026-01-06T09:00:00+00:00', 'head')",
    ] {
        exec(&db, sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let letter = |kind: &str| {
        format!(
            "INSERT INTO letter (case_id, kind, language, subject, body_text, body_html, issued_at, issued_by) \
             VALUES (1, '{kind}', 'en', 'S', 'B', '<p>B</p>', '2026-01-07T09:00:00+00:00', 'head')"
        )
    };
    assert!(exec(&db, &letter("case_closed")).await.is_err());

    Migrator::up(&db, None)
        .await
        .expect("the endings migration");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind FROM letter UNION ALL SELECT kind FROM letter_template",
        ))
        .await
        .expect("read kinds");
    let kinds: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a kind"))
        .collect();
    assert_eq!(kinds, vec!["appeal_outcome", "review_outcome"]);
    exec(&db, &letter("case_closed"))
        .await
        .expect("the new kind is accepted");
    assert!(exec(&db, &letter("postcard")).await.is_err());
    assert!(
        exec(
            &db,
            "INSERT INTO letter_template (kind, language, template_version, subject, body, created_by) \
             VALUES ('review_outcome', 'en', 1, 'S', 'B', 'admin')"
        )
        .await
        .is_err(),
        "the unique index on kind, language and version is back"
    );
    exec(
        &db,
        "ALTER TABLE stage_1_warning DROP COLUMN period_ends_on",
    )
    .await
    .expect("the warning period column exists");
}
