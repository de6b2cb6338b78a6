//! Audit queries (issue 7), through HTTP, on both databases: Legal Services and the Monitoring
//! Officer list audit events and access records by case, customer, user and date range, as Relay
//! connections that page without gaps or overlaps; nobody else may.

use api::auth::Role;
use chrono::{DateTime, Utc};
use entities::audit_event;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use serde_json::{Value, json};
use tests::{TestApp, db_tests};

use crate::access_records::council::*;

/// Every row of a list, following cursors `first` at a time: the nodes, in order.
async fn every_page(
    app: &TestApp,
    token: &str,
    list: &str,
    filter: Value,
    first: i64,
) -> Vec<Value> {
    let node = if list == "auditEvents" {
        "id occurredAt actorSub caseId action"
    } else {
        "id occurredAt actorSub caseId customerId category"
    };
    let doc = format!(
        "query($f: AuditFilter, $after: String, $first: Int) {{ {list}(first: $first, after: $after, filter: $f) {{ \
         nodes {{ {node} }} edges {{ cursor node {{ id }} }} pageInfo {{ hasNextPage hasPreviousPage endCursor }} }} }}"
    );
    let mut after: Option<String> = None;
    let mut out = Vec::new();
    loop {
        let body = app
            .graphql_as(
                token,
                &doc,
                json!({"f": filter, "after": after, "first": first}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        let page = &body["data"][list];
        let nodes = page["nodes"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert!(nodes.len() as i64 <= first, "{body}");
        assert_eq!(
            page["pageInfo"]["hasPreviousPage"],
            json!(after.is_some()),
            "{body}"
        );
        for (node, edge) in nodes.iter().zip(page["edges"].as_array().unwrap()) {
            assert_eq!(node["id"], edge["node"]["id"]);
            assert_eq!(edge["cursor"], node["id"], "the cursor is the row's place");
        }
        out.extend(nodes.iter().cloned());
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string(),
        );
    }
    out
}

fn node_ids(nodes: &[Value]) -> Vec<i64> {
    nodes
        .iter()
        .map(|n| {
            n["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("an id")
        })
        .collect()
}

/// Ids from a statement written here in plain SQL, independently of the API's query.
async fn sql_ids(app: &TestApp, sql: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("query")
        .into_iter()
        .map(|row| row.try_get_by_index::<i64>(0).expect("an id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn id_of(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an id: {v}"))
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

/// Two customers with cases, some records made by different people, a contact outside any case.
async fn two_customers(c: &Council<'_>) -> (Value, Value) {
    let ann = c.new_case("Ann Audit", HOU, "ann").await;
    c.warn(ann["id"].as_str().unwrap(), HOU, "ann").await;
    let ben = c.new_case("Ben Audit", HOU, "ben").await;
    c.determine(ben["id"].as_str().unwrap(), HOU, "ben").await;
    // Ann's contact with a service where she has no case: an event with no case.
    c.act(
        Role::Officer,
        LEI,
        "logContact",
        json!({"customerId": ann["customer"]["id"], "serviceCode": LEI,
        "channel": "telephone", "direction": "inbound", "summary": "Asked about the pool."}),
        "allowed",
    )
    .await;
    (ann, ben)
}

db_tests! {
    async fn audit_events_by_case_customer_user_and_date_range(app) {
        let c = Council::new(&app).await;
        let (ann, ben) = two_customers(&c).await;
        let ann_case = id_of(&ann["id"]);
        let ann_customer = id_of(&ann["customer"]["id"]);
        let legal = app.token(Role::LegalServices, &[]);

        let all = every_page(&app, &legal, "auditEvents", json!(null), 100).await;
        assert_eq!(node_ids(&all), sql_ids(&app, "SELECT id FROM audit_event").await);
        assert!(all.len() >= 9, "{all:?}");

        // By case.
        let by_case = every_page(&app, &legal, "auditEvents", json!({"caseId": ann["id"]}), 100).await;
        assert_eq!(node_ids(&by_case), sql_ids(&app, &format!("SELECT id FROM audit_event WHERE case_id = {ann_case}")).await);
        assert_eq!(by_case.iter().map(|e| e["action"].as_str().unwrap()).collect::<Vec<_>>().len(), 3, "{by_case:?}");

        // By customer: her cases' events and her contact outside any case; none of Ben's.
        let by_customer = every_page(&app, &legal, "auditEvents", json!({"customerId": ann["customer"]["id"]}), 100).await;
        let expected = sql_ids(&app, &format!(
            "SELECT id FROM audit_event WHERE case_id IN (SELECT id FROM upc_case WHERE customer_id = {ann_customer}) \
             OR (entity_type = 'contact' AND entity_id IN (SELECT CAST(id AS TEXT) FROM contact WHERE customer_id = {ann_customer}))"
        )).await;
        assert_eq!(node_ids(&by_customer), expected);
        assert!(by_customer.iter().any(|e| e["caseId"].is_null()), "the contact outside a case: {by_customer:?}");
        assert!(by_customer.iter().all(|e| e["caseId"] != ben["id"]));

        // By user.
        let by_user = every_page(&app, &legal, "auditEvents", json!({"actorSub": "service_manager-HOU"}), 100).await;
        assert_eq!(node_ids(&by_user), sql_ids(&app, "SELECT id FROM audit_event WHERE actor_sub = 'service_manager-HOU'").await);
        assert_eq!(by_user.len(), 2, "two determinations: {by_user:?}");

        // By date range (inclusive), against the stored times.
        let stored = audit_event::Entity::find().order_by_asc(audit_event::Column::Id).all(&app.db).await.unwrap();
        let from = at(&all[2]["occurredAt"]);
        let to = at(&all[all.len() - 3]["occurredAt"]);
        let expected: Vec<i64> = stored.iter().filter(|e| e.occurred_at >= from && e.occurred_at <= to).map(|e| e.id).collect();
        let in_range = every_page(&app, &legal, "auditEvents", json!({"from": from, "to": to}), 100).await;
        assert_eq!(node_ids(&in_range), expected);
        assert!(!expected.is_empty() && expected.len() < all.len());
        let since: Vec<i64> = stored.iter().filter(|e| e.occurred_at >= to).map(|e| e.id).collect();
        assert_eq!(node_ids(&every_page(&app, &legal, "auditEvents", json!({"from": to}), 100).await), since);

        // Combined: AND.
        let both = every_page(&app, &legal, "auditEvents", json!({"caseId": ann["id"], "actorSub": "head_of_service-HOU"}), 100).await;
        assert_eq!(both.len(), 1, "{both:?}");
        assert_eq!(both[0]["action"], "case.issue_stage_1_warning");

        // Bad filters name the field.
        for (filter, field) in [
            (json!({"from": to, "to": from}), "filter.to"),
            (json!({"caseId": "x"}), "filter.caseId"),
            (json!({"actorSub": " "}), "filter.actorSub"),
        ] {
            let body = app.graphql_as(&legal, "query($f: AuditFilter) { auditEvents(filter: $f) { nodes { id } } }", json!({"f": filter})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
        for first in [0, 101] {
            let body = app.graphql_as(&legal, "query($n: Int) { auditEvents(first: $n) { nodes { id } } }", json!({"n": first})).await;
            assert_eq!(body["errors"][0]["extensions"]["field"], "first", "{body}");
        }
    }

    async fn audit_events_page_without_gaps_or_overlaps(app) {
        let c = Council::new(&app).await;
        two_customers(&c).await;
        let legal = app.token(Role::LegalServices, &[]);
        let whole = node_ids(&every_page(&app, &legal, "auditEvents", json!(null), 100).await);
        for first in [1, 2, 4] {
            let paged = node_ids(&every_page(&app, &legal, "auditEvents", json!(null), first).await);
            assert_eq!(paged, whole, "pages of {first}");
        }
        let mut sorted = whole.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, whole, "oldest first, each once");
        let body = app.graphql_as(&legal, "{ auditEvents(after: \"nope\") { nodes { id } } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "after", "{body}");
    }

    async fn access_records_by_case_customer_user_and_date_range(app) {
        let c = Council::new(&app).await;
        let (ann, ben) = two_customers(&c).await;
        let ann_customer = id_of(&ann["customer"]["id"]);
        let reader = app.token_for("reader-1", &[Role::LegalServices], &[]);
        let manager = c.token(Role::ServiceManager, HOU);
        let case_doc = "query($id: ID!) { case(id: $id) { customer { displayName } reports { description } letters { subject } } }";
        app.graphql_as(&reader, case_doc, json!({"id": ann["id"]})).await;
        app.graphql_as(&manager, case_doc, json!({"id": ben["id"]})).await;
        app.graphql_as(&manager, case_doc, json!({"id": ann["id"]})).await;
        app.graphql_as(&reader, "{ customers(search: \"audit\") { displayName email } }", json!({})).await;
        let monitoring = app.token(Role::MonitoringOfficer, &[]);

        let stored = tests::access_records(&app.db).await;
        let stored_ids = |keep: &dyn Fn(&entities::access_read::Record) -> bool| -> Vec<i64> {
            stored.iter().filter(|r| keep(r)).map(|r| r.id).collect()
        };
        let all = every_page(&app, &monitoring, "accessRecords", json!(null), 100).await;
        assert_eq!(node_ids(&all), stored_ids(&|_| true));
        // Ann's case: identity, behaviour, letter, twice; Ben's: identity, behaviour (no letter
        // yet); the search found both: identity and contact details each.
        assert_eq!(all.len(), 3 + 2 + 3 + 4, "{all:?}");

        let by_case = every_page(&app, &monitoring, "accessRecords", json!({"caseId": ann["id"]}), 100).await;
        assert_eq!(node_ids(&by_case), stored_ids(&|r| r.case_id == Some(id_of(&ann["id"]))));
        assert_eq!(by_case.len(), 6);

        let by_customer = every_page(&app, &monitoring, "accessRecords", json!({"customerId": ann["customer"]["id"]}), 100).await;
        assert_eq!(node_ids(&by_customer), stored_ids(&|r| r.customer_id == Some(ann_customer)));
        assert_eq!(by_customer.len(), 6 + 2, "her case twice, and the search found her: {by_customer:?}");
        assert!(by_customer.iter().all(|r| r["customerId"] == ann["customer"]["id"]));

        let by_user = every_page(&app, &monitoring, "accessRecords", json!({"actorSub": "reader-1"}), 100).await;
        assert_eq!(node_ids(&by_user), stored_ids(&|r| r.actor_sub == "reader-1"));
        assert_eq!(by_user.len(), 3 + 4);
        let categories: Vec<&str> = by_user.iter().map(|r| r["category"].as_str().unwrap()).collect();
        assert!(categories.contains(&"letter") && categories.contains(&"contact_details"), "{categories:?}");

        let both = every_page(&app, &monitoring, "accessRecords", json!({"actorSub": "service_manager-HOU", "customerId": ann["customer"]["id"]}), 100).await;
        assert_eq!(both.len(), 3, "{both:?}");

        let from = at(&all[3]["occurredAt"]);
        let to = at(&all[7]["occurredAt"]);
        let expected: Vec<i64> = stored.iter().filter(|r| r.occurred_at >= from && r.occurred_at <= to).map(|r| r.id).collect();
        let in_range = every_page(&app, &monitoring, "accessRecords", json!({"from": from, "to": to}), 2).await;
        assert_eq!(node_ids(&in_range), expected);
        assert!(!expected.is_empty() && expected.len() < all.len());

        // Listing access records reads nothing sensitive: the list is the same afterwards.
        let again = every_page(&app, &monitoring, "accessRecords", json!(null), 3).await;
        assert_eq!(node_ids(&again), node_ids(&all));
    }

    async fn reading_an_events_before_and_after_is_itself_recorded(app) {
        let c = Council::new(&app).await;
        let (ann, _) = two_customers(&c).await;
        let legal = app.token_for("auditor-1", &[Role::LegalServices], &[]);
        let body = app.graphql_as(&legal, "query($f: AuditFilter) { auditEvents(filter: $f) { nodes { id action actorSub hash prevHash payloadHash } } }", json!({"f": {"caseId": ann["id"]}})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert!(body["data"]["auditEvents"]["nodes"][0]["hash"].is_string(), "{body}");
        assert_eq!(tests::access_records(&app.db).await.len(), 0, "who did what is not the record's content");
        let body = app.graphql_as(&legal, "query($f: AuditFilter) { auditEvents(filter: $f) { edges { node { after reason } } } }", json!({"f": {"caseId": ann["id"]}})).await;
        assert!(body["data"]["auditEvents"]["edges"][0]["node"]["after"].is_object(), "{body}");
        let stored = tests::access_records(&app.db).await;
        assert_eq!(stored.len(), 1, "one case, one category: {stored:?}");
        assert_eq!(stored[0].category, entities::access_read::AccessCategory::AuditTrail);
        assert_eq!(stored[0].case_id, Some(id_of(&ann["id"])));
        assert_eq!(stored[0].customer_id, Some(id_of(&ann["customer"]["id"])));
        assert_eq!(stored[0].actor_sub, "auditor-1");
    }

    async fn only_legal_services_and_the_monitoring_officer_may_query(app) {
        let c = Council::new(&app).await;
        two_customers(&c).await;
        for role in Role::ALL {
            let token = c.token(role, HOU);
            for list in ["auditEvents", "accessRecords"] {
                let body = app.graphql_as(&token, &format!("{{ {list} {{ nodes {{ id }} }} }}"), json!({})).await;
                if matches!(role, Role::LegalServices | Role::MonitoringOfficer) {
                    assert!(body["errors"].is_null(), "{} refused {list}: {body}", role.as_str());
                } else {
                    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{} {list}: {body}", role.as_str());
                    assert!(body["data"].is_null() || body["data"][list].is_null(), "{body}");
                }
            }
        }
    }
}
