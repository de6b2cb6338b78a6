//! Case list filters and paging, through HTTP, on both databases.

use api::auth::Role;
use chrono::Utc;
use serde_json::{Value, json};
use tests::{TestApp, db_tests};

const REPORT: &str =
    r#"mutation($input: ReportBehaviourInput!) { reportBehaviour(input: $input) { id } }"#;

/// Services HOU and LEI; three customers reported in HOU, one in LEI.
async fn seed(app: &TestApp) {
    let admin = app.token(Role::Admin, &[]);
    for (code, name) in [("HOU", "Housing"), ("LEI", "Leisure")] {
        let body = app
            .graphql_as(
                &admin,
                "mutation($c: String!, $n: String!) { createService(input: {code: $c, name: $n}) { id } }",
                json!({"c": code, "n": name}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let officer = app.token_for("officer-1", &[Role::Officer], &["HOU", "LEI"]);
    for (i, code) in ["HOU", "HOU", "HOU", "LEI"].iter().enumerate() {
        let input = json!({
            "newCustomer": {"displayName": format!("Customer {i}")},
            "serviceCode": code,
            "behaviours": ["numerous_repeat_calls"],
            "channel": "telephone",
            "occurredAt": Utc::now().to_rfc3339(),
            "description": "Repeated calls (fictional)",
        });
        let body = app
            .graphql_as(&officer, REPORT, json!({"input": input}))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
}

async fn references(app: &TestApp, filter: Value) -> Vec<String> {
    let legal = app.token(Role::LegalServices, &[]);
    let body = app
        .graphql_as(
            &legal,
            "query($f: CaseFilter) { cases(filter: $f) { nodes { reference } } }",
            json!({"f": filter}),
        )
        .await;
    body["data"]["cases"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|n| n["reference"].as_str().unwrap().to_string())
        .collect()
}

db_tests! {
    async fn case_list_filters_combine(app) {
        seed(&app).await;
        let today = Utc::now().date_naive();
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(references(&app, json!(null)).await.len(), 4);
        assert_eq!(references(&app, json!({"serviceCode": "HOU"})).await.len(), 3);
        assert_eq!(references(&app, json!({"serviceCode": "LEI", "stage": "reported", "status": "open"})).await.len(), 1);
        assert_eq!(references(&app, json!({"stage": "closed"})).await.len(), 0);
        assert_eq!(references(&app, json!({"openedFrom": today.to_string(), "openedTo": today.to_string()})).await.len(), 4);
        assert_eq!(references(&app, json!({"openedFrom": tomorrow.to_string()})).await.len(), 0);
        assert_eq!(references(&app, json!({"flaggedForReview": false})).await.len(), 4);
        assert_eq!(references(&app, json!({"reviewDueBy": tomorrow.to_string()})).await.len(), 0);
    }

    async fn bad_filters_name_the_field(app) {
        seed(&app).await;
        let legal = app.token(Role::LegalServices, &[]);
        for (filter, field) in [
            (json!({"stage": "nowhere"}), "filter.stage"),
            (json!({"status": "ajar"}), "filter.status"),
            (json!({"openedFrom": "2026-02-01", "openedTo": "2026-01-01"}), "filter.openedTo"),
        ] {
            let body = app.graphql_as(&legal, "query($f: CaseFilter) { cases(filter: $f) { nodes { id } } }", json!({"f": filter})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
    }

    async fn pages_follow_cursors_without_overlap(app) {
        seed(&app).await;
        let legal = app.token(Role::LegalServices, &[]);
        let q = "query($after: String) { cases(first: 3, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }";
        let first = app.graphql_as(&legal, q, json!({})).await;
        assert_eq!(first["data"]["cases"]["nodes"].as_array().unwrap().len(), 3, "{first}");
        assert_eq!(first["data"]["cases"]["pageInfo"]["hasNextPage"], true);
        let cursor = first["data"]["cases"]["pageInfo"]["endCursor"].clone();
        let second = app.graphql_as(&legal, q, json!({"after": cursor})).await;
        assert_eq!(second["data"]["cases"]["nodes"], json!([{"id": "4"}]), "{second}");
        assert_eq!(second["data"]["cases"]["pageInfo"]["hasNextPage"], false);
    }
}
