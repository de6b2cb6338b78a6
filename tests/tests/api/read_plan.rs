//! Issue 18: the planned read path (`api::graphql::plan`) answers the case list byte for byte
//! as the schema does, for every role, selection, argument and page, on both databases; it
//! records who looked exactly as the schema path does; it costs the same statements for 5 cases
//! as for 50; and `graphql_planned_reads = false` switches it off.
//!
//! The first request with a document is always answered by the schema (which validates it); the
//! same document sent again is answered from its plan when a plan covers it. The tests send each
//! document twice and compare the two bodies, and read `upc_graphql_read_path_total` to know
//! which path answered.

use api::auth::Role;
use serde_json::{Value, json};
use tests::{Backend, TestApp, db_tests};

/// 100 customers, 150 cases in 3 services.
pub(crate) fn small() -> api::seed::Scale {
    api::seed::Scale::new(0.005).expect("a valid scale")
}

/// POST a document; the raw response body.
pub(crate) async fn raw(app: &TestApp, token: &str, query: &str, variables: &Value) -> Vec<u8> {
    let response = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body").to_vec()
}

/// How many operations each path has answered so far.
pub(crate) async fn paths(app: &TestApp) -> (u64, u64) {
    let text = app.metrics().await.text().await.expect("metrics text");
    let read = |path: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("upc_graphql_read_path_total{{path=\"{path}\"}}")))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (read("planned"), read("schema"))
}

/// Send `query` twice as a document text never sent before (a numbered comment is added), so
/// the schema answers the first; assert both bodies are identical and say whether the second
/// was planned.
pub(crate) async fn twice(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> (Value, bool) {
    static SENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let query = &format!("{query}\n# sent {n}");
    let (_, schema_before) = paths(app).await;
    let first = raw(app, token, query, &variables).await;
    let (_, schema_after) = paths(app).await;
    assert_eq!(
        schema_after - schema_before,
        1,
        "the schema answers a new document"
    );
    let (planned_before, _) = paths(app).await;
    let second = raw(app, token, query, &variables).await;
    let (planned_after, _) = paths(app).await;
    assert_eq!(
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second),
        "the plan answered differently from the schema: {query} {variables}"
    );
    let body: Value = serde_json::from_slice(&second).expect("JSON");
    (body, planned_after > planned_before)
}

const ALL_FIELDS: &str = "query All($n: Int, $after: String) { cases(first: $n, after: $after) { \
    __typename pageInfo { __typename hasPreviousPage hasNextPage startCursor endCursor } \
    edges { __typename cursor node { __typename id reference serviceCode serviceName stage status \
    openedAt closedAt closureReason appealDeadline reviewDueOn flaggedForReview flagReason version \
    customer { __typename id reference kind preferredLanguage displayName address email phone version mergedIntoId mergedAt } \
    restrictions { __typename id kind startsOn endsOn reviewDueOn status permanent liftedOn version parameters liftedReason } } } \
    nodes { id } } }";

const INTRANET: &str = "{ cases(first: 50) { nodes { reference serviceName customer { displayName } restrictions { kind startsOn reviewDueOn } } } }";

const FRAGMENTS: &str = "query F($f: CaseFilter) { __typename list: cases(first: 20, filter: $f) { ...Page } } \
    fragment Page on CaseConnection { nodes { ...Row ... on Case { ref: reference id } who: customer { id } } \
    pageInfo { endCursor hasNextPage } } \
    fragment Row on Case { id stage who: customer { displayName email } restrictions { kind } restrictions { status } }";

db_tests! {
    async fn planned_answers_are_the_schemas_byte_for_byte(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let legal = app.token(Role::LegalServices, &[]);
        let (body, planned) = twice(&app, &legal, INTRANET, json!({})).await;
        assert!(planned, "the intranet's case list is planned");
        assert_eq!(body["data"]["cases"]["nodes"].as_array().map(Vec::len), Some(50));

        // Every field a plan answers, page after page, with cursors.
        let (body, planned) = twice(&app, &legal, ALL_FIELDS, json!({"n": 40})).await;
        assert!(planned);
        let end = body["data"]["cases"]["pageInfo"]["endCursor"].as_str().expect("a cursor").to_string();
        let (body, planned) = twice(&app, &legal, ALL_FIELDS, json!({"n": 40, "after": end})).await;
        assert!(planned);
        assert_eq!(body["data"]["cases"]["pageInfo"]["hasPreviousPage"], json!(true));
        // Restrictions with their parameters and customers with their details are really there.
        let edges = body["data"]["cases"]["edges"].as_array().expect("edges").clone();
        assert!(edges.iter().any(|e| e["node"]["restrictions"].as_array().is_some_and(|r| !r.is_empty())), "{body}");
        // A smaller page than validated is planned; a larger one goes to the schema once, then
        // is planned too.
        let (_, planned) = twice(&app, &legal, ALL_FIELDS, json!({"n": 3})).await;
        assert!(planned);
        let first = raw(&app, &legal, ALL_FIELDS, &json!({"n": 60})).await;
        let (_, planned) = twice(&app, &legal, ALL_FIELDS, json!({"n": 60})).await;
        assert!(planned);
        assert_eq!(first, raw(&app, &legal, ALL_FIELDS, &json!({"n": 60})).await);

        // Fragments, aliases, repeated fields and filters in variables.
        for filter in [
            json!(null),
            json!({"stage": "stage_2_restricted"}),
            json!({"status": "closed"}),
            json!({"serviceCode": "CTX", "status": "open"}),
            json!({"openedFrom": "2024-01-01", "openedTo": "2025-06-30"}),
            json!({"reviewDueBy": "2026-01-01", "flaggedForReview": false}),
        ] {
            let (body, planned) = twice(&app, &legal, FRAGMENTS, json!({"f": filter})).await;
            assert!(planned, "{filter}");
            assert!(body["errors"].is_null(), "{body}");
        }
        // Bad arguments get the schema's own errors, never a plan's answer.
        for vars in [
            json!({"f": {"stage": "nowhere"}}),
            json!({"f": {"openedFrom": "2025-01-02", "openedTo": "2025-01-01"}}),
            json!({"f": {"stage": 7}}),
        ] {
            let (body, planned) = twice(&app, &legal, FRAGMENTS, vars.clone()).await;
            assert!(!planned, "{vars}");
            assert!(!body["errors"].is_null(), "{body}");
        }
        for (vars, code) in [(json!({"n": 0}), "BAD_USER_INPUT"), (json!({"n": 101}), "BAD_USER_INPUT"), (json!({"after": "-4"}), "BAD_USER_INPUT")] {
            let (body, planned) = twice(&app, &legal, ALL_FIELDS, vars.clone()).await;
            assert!(!planned, "{vars}");
            assert_eq!(body["errors"][0]["extensions"]["code"], json!(code), "{body}");
        }
    }

    async fn every_role_gets_the_schemas_answer(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let tokens = [
            ("legal", app.token(Role::LegalServices, &[]), true),
            ("monitoring", app.token(Role::MonitoringOfficer, &[]), true),
            ("officer HOU", app.token_for("officer-hou", &[Role::Officer], &["HOU"]), true),
            ("manager CTX+BEN", app.token_for("manager-2", &[Role::ServiceManager], &["CTX", "BEN"]), true),
            ("officer of no service", app.token_for("officer-none", &[Role::Officer], &["ZZZ"]), true),
            // A Member sees only cases they reported; the Committee may not read names.
            ("member", app.token_for("member-1", &[Role::ElectedMember], &[]), false),
            ("committee", app.token(Role::StandardsCommittee, &[]), false),
        ];
        let mut scoped = Vec::new();
        for (who, token, _) in &tokens {
            for query in [INTRANET, ALL_FIELDS, FRAGMENTS] {
                let (body, planned) = twice(&app, token, query, json!({})).await;
                let errors = !body["errors"].is_null();
                // A plan answers only what it answers without an error; everything else is the
                // schema's (the authorisation matrix is the schema's, field by field).
                assert!(!(planned && errors), "{who}: {body}");
                if query == INTRANET {
                    let nodes = body["data"]["cases"]["nodes"].as_array().cloned().unwrap_or_default();
                    let services: std::collections::BTreeSet<String> = nodes
                        .iter()
                        .filter_map(|n| n["serviceName"].as_str().map(str::to_string))
                        .collect();
                    scoped.push((who.to_string(), nodes.len(), planned, errors, services));
                }
            }
        }
        // Row scoping: the officer sees only HOU's cases, the manager only CTX's and BEN's.
        let row = |who: &str| scoped.iter().find(|s| s.0 == who).expect("row");
        assert_eq!(row("officer HOU").4, ["Housing".to_string()].into(), "{scoped:?}");
        assert!(row("officer HOU").1 > 0);
        assert!(row("manager CTX+BEN").4.iter().all(|s| s == "Council Tax" || s == "Housing Benefit"), "{scoped:?}");
        assert!(row("legal").4.len() > 1, "{scoped:?}");
        assert_eq!(row("officer of no service").1, 0, "{scoped:?}");
        for (who, _, planned, errors, _) in &scoped {
            let expected = tokens.iter().find(|t| t.0 == who).expect("token").2;
            if expected {
                assert!(*planned && !*errors, "{who} is planned: {scoped:?}");
            }
        }
        let committee = scoped.iter().find(|s| s.0 == "committee").expect("row");
        assert!(!committee.2 && committee.3, "the Committee's refusal comes from the schema: {scoped:?}");
    }

    async fn a_planned_read_records_who_looked_as_the_schema_does(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let reader = app.token_for("reader-9", &[Role::LegalServices], &[]);
        let query = "query { cases(first: 30) { nodes { id customer { displayName phone } } } }";
        let (_, planned) = twice(&app, &reader, query, json!({})).await;
        assert!(planned);
        let rows = tests::access_records(&app.db).await;
        let mut requests: Vec<&str> = rows.iter().map(|r| r.request_id.as_str()).collect();
        requests.dedup();
        assert_eq!(requests.len(), 2, "one batch of records per request");
        let of = |request: &str| {
            let mut out: Vec<_> = rows
                .iter()
                .filter(|r| r.request_id == request)
                .map(|r| (r.case_id, r.customer_id, r.category, r.operation.clone(), r.actor_sub.clone(), r.actor_roles.clone()))
                .collect();
            out.sort();
            out
        };
        let (schema, plan) = (of(requests[0]), of(requests[1]));
        assert_eq!(schema.len(), 30 * 2, "identity and contact details for each of 30 cases");
        assert_eq!(schema, plan);
        assert!(plan.iter().all(|r| r.3 == "query:cases" && r.4 == "reader-9"), "{plan:?}");
        // Nothing sensitive selected, nothing recorded, planned or not.
        let (_, planned) = twice(&app, &reader, "{ cases { nodes { id reference customer { id reference } } } }", json!({})).await;
        assert!(planned);
        let after = tests::access_records(&app.db).await;
        assert_eq!(after.len(), rows.len());
    }

    async fn a_planned_page_costs_the_same_statements_for_5_and_50_cases(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let legal = app.token(Role::LegalServices, &[]);
        let query = "query($n: Int!) { cases(first: $n) { nodes { id reference serviceName customer { displayName } restrictions { kind startsOn reviewDueOn } } } }";
        // Validated with the larger page first, so both are planned.
        let _ = app.graphql_as(&legal, query, json!({"n": 50})).await;
        let (before, _) = paths(&app).await;
        let (five, five_statements) = app.graphql_counting(&legal, query, json!({"n": 5})).await;
        let (fifty, fifty_statements) = app.graphql_counting(&legal, query, json!({"n": 50})).await;
        let (after, _) = paths(&app).await;
        assert_eq!(after - before, 2, "both pages were planned");
        assert_eq!(five["data"]["cases"]["nodes"].as_array().map(Vec::len), Some(5));
        assert_eq!(fifty["data"]["cases"]["nodes"].as_array().map(Vec::len), Some(50));
        // The page, its customers, its services, its restrictions, and the access records; on
        // PostgreSQL the customers, services and restrictions are one statement.
        assert_eq!(five_statements, fifty_statements);
        match app.backend {
            Backend::Postgres => assert_eq!(fifty_statements, 3),
            Backend::Sqlite => assert_eq!(fifty_statements, 5),
        }
    }

    async fn planned_reads_can_be_switched_off(app) {
        let off = TestApp::spawn_with(app.backend, |s| s.graphql.planned_reads = false)
            .await
            .expect("a server");
        api::seed::seed(&off.db, small(), 9).await.expect("seeded");
        let legal = off.token(Role::LegalServices, &[]);
        let (body, planned) = twice(&off, &legal, INTRANET, json!({})).await;
        assert!(!planned);
        assert_eq!(body["data"]["cases"]["nodes"].as_array().map(Vec::len), Some(50));
        assert_eq!(paths(&off).await.0, 0);
    }
}
