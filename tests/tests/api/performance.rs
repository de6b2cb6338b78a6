//! Issue 9: the synthetic data set (`upc-api seed`) and an N+1-free case list, on both
//! databases. (Speed itself is measured by the benchmark, `cargo bench -p api --bench load`,
//! never here.)

use api::auth::Role;
use api::seed::{Scale, SeedCounts, SeedError};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::{TestApp, db_tests};

/// 100 customers, 150 cases.
fn small() -> Scale {
    Scale::new(0.005).expect("a valid scale")
}

async fn count(db: &DatabaseConnection, sql: &str) -> u64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    let n: i64 = row.try_get_by_index(0).expect("a count");
    n as u64
}

/// Every figure the generator reports, counted independently in SQL.
async fn counted(db: &DatabaseConnection) -> SeedCounts {
    let mut c = SeedCounts::default();
    for (field, table) in [
        (&mut c.services, "service"),
        (&mut c.establishments, "establishment"),
        (&mut c.customers, "customer"),
        (&mut c.cases, "upc_case"),
        (&mut c.behaviour_reports, "behaviour_report"),
        (&mut c.determinations, "determination"),
        (&mut c.stage_1_warnings, "stage_1_warning"),
        (&mut c.appeals, "appeal"),
        (&mut c.stage_2_decisions, "stage_2_decision"),
        (&mut c.restrictions, "restriction"),
        (&mut c.reviews, "review"),
        (&mut c.breaches, "breach"),
        (&mut c.contacts, "contact"),
        (&mut c.letters, "letter"),
    ] {
        *field = count(db, &format!("SELECT COUNT(*) FROM {table}")).await;
    }
    c
}

const CASE_LIST: &str = "query($n: Int!) { cases(first: $n) { edges { node { id reference serviceName customer { displayName } restrictions { kind startsOn reviewDueOn } } } } }";

fn nodes(body: &Value) -> &Vec<Value> {
    body["data"]["cases"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
}

db_tests! {
    async fn seed_writes_what_it_reports_in_policy_order(app) {
        let counts = api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let mut found = counted(&app.db).await;
        found.elapsed_ms = counts.elapsed_ms;
        assert_eq!(found, counts);
        assert_eq!(counts.customers, 100);
        assert_eq!(counts.cases, 150);
        assert_eq!(counts.services, 3);
        // Every kind of decision and record is there.
        for (what, n) in [
            ("warnings", counts.stage_1_warnings),
            ("appeals", counts.appeals),
            ("stage 2 decisions", counts.stage_2_decisions),
            ("restrictions", counts.restrictions),
            ("reviews", counts.reviews),
            ("letters", counts.letters),
        ] {
            assert!(n > 0, "no {what}: {counts:?}");
        }
        // Policy order: no warning without a determination that the behaviour was unreasonable,
        // no restriction without a Stage 2 decision, no Stage 2 after a warning without one.
        let db = &app.db;
        assert_eq!(count(db, "SELECT COUNT(*) FROM stage_1_warning w WHERE NOT EXISTS (SELECT 1 FROM determination d WHERE d.case_id = w.case_id AND d.unreasonable)").await, 0);
        assert_eq!(count(db, "SELECT COUNT(*) FROM restriction r WHERE NOT EXISTS (SELECT 1 FROM stage_2_decision s WHERE s.id = r.decision_id AND s.case_id = r.case_id)").await, 0);
        assert_eq!(count(db, "SELECT COUNT(*) FROM stage_2_decision s WHERE s.warning_id IS NULL AND (NOT s.immediate OR s.exceptional_reasons IS NULL)").await, 0);
        assert_eq!(count(db, "SELECT COUNT(*) FROM appeal a JOIN stage_1_warning w ON w.id = a.warning_id WHERE a.received_on > w.appeal_deadline").await, 0);
        assert_eq!(count(db, "SELECT COUNT(*) FROM restriction r JOIN upc_case c ON c.id = r.case_id WHERE r.service_id <> c.service_id").await, 0);
        assert_eq!(count(db, "SELECT COUNT(*) FROM upc_case WHERE status = 'closed' AND closed_at IS NULL").await, 0);
        // A second seed is refused and changes nothing.
        let again = api::seed::seed(&app.db, small(), 9).await;
        assert!(matches!(again, Err(SeedError::NotEmpty(_))), "{again:?}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM upc_case").await, 150);
        // The API keeps numbering after the seeded rows: a new case is opened.
        let officer = app.token_for("officer-1", &[Role::Officer], &["HOU"]);
        let body = app.graphql_as(&officer,
            "mutation($input: ReportBehaviourInput!) { reportBehaviour(input: $input) { id reference } }",
            json!({"input": {
                "newCustomer": {"displayName": "Someone New (fictional)"},
                "serviceCode": "HOU",
                "behaviours": ["numerous_repeat_calls"],
                "channel": "telephone",
                "occurredAt": chrono::Utc::now().to_rfc3339(),
                "description": "Repeated calls (fictional)",
            }})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM upc_case").await, 151);
    }

    async fn seed_is_deterministic(app) {
        let other = TestApp::spawn(app.backend).await.expect("a second database");
        api::seed::seed(&app.db, small(), 7).await.expect("seeded");
        api::seed::seed(&other.db, small(), 7).await.expect("seeded");
        let dump = "SELECT c.reference, c.stage, c.status, cu.display_name, \
            (SELECT COUNT(*) FROM restriction r WHERE r.case_id = c.id) AS restrictions, \
            (SELECT COUNT(*) FROM contact k WHERE k.case_id = c.id) AS contacts \
            FROM upc_case c JOIN customer cu ON cu.id = c.customer_id ORDER BY c.id";
        let rows = |db: &DatabaseConnection| {
            let db = db.clone();
            async move {
                db.query_all_raw(Statement::from_string(db.get_database_backend(), dump))
                    .await
                    .expect("dump")
                    .iter()
                    .map(|r| {
                        (
                            r.try_get_by_index::<String>(0).expect("reference"),
                            r.try_get_by_index::<String>(1).expect("stage"),
                            r.try_get_by_index::<String>(3).expect("name"),
                            r.try_get_by_index::<i64>(4).expect("restrictions"),
                            r.try_get_by_index::<i64>(5).expect("contacts"),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        let (a, b) = (rows(&app.db).await, rows(&other.db).await);
        assert_eq!(a.len(), 150);
        assert_eq!(a, b);
    }

    async fn case_list_costs_the_same_statements_for_5_and_50_cases(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let legal = app.token(Role::LegalServices, &[]);
        let (five, five_statements) =
            app.graphql_counting(&legal, CASE_LIST, json!({"n": 5})).await;
        let (fifty, fifty_statements) =
            app.graphql_counting(&legal, CASE_LIST, json!({"n": 50})).await;
        assert!(five["errors"].is_null(), "{five}");
        assert!(fifty["errors"].is_null(), "{fifty}");
        assert_eq!(nodes(&five).len(), 5);
        assert_eq!(nodes(&fifty).len(), 50);
        // The page really carries nested data: names, services and restrictions.
        let restrictions: usize = nodes(&fifty)
            .iter()
            .map(|e| e["node"]["restrictions"].as_array().map_or(0, Vec::len))
            .sum();
        let in_db = count(&app.db, "SELECT COUNT(*) FROM restriction WHERE case_id IN (SELECT id FROM upc_case ORDER BY id LIMIT 50)").await;
        assert_eq!(restrictions as u64, in_db);
        assert!(in_db > 0, "the first 50 cases have restrictions");
        assert!(nodes(&fifty).iter().all(|e| e["node"]["customer"]["displayName"].is_string()
            && e["node"]["serviceName"].is_string()));
        assert!(five_statements > 0, "statements were counted");
        assert_eq!(
            five_statements, fifty_statements,
            "the case list's statements must not grow with the page (N+1)"
        );
    }
}
