//! Subject access (UK GDPR, issue 7), through HTTP, on both databases: Legal Services exports
//! everything held about one customer — every record of every kind, compared id by id with the
//! database — and nothing of any other customer; staff names are redacted unless the setting
//! shows them; the export itself is audited and access-recorded.

use api::auth::Role;
use api::subject_access::StaffNames;
use chrono::Utc;
use entities::access_read::AccessCategory;
use entities::{audit_event, contact, customer_member, reasonable_adjustment, representative};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement,
};
use serde_json::{Value, json};
use tests::{Backend, TestApp, db_tests};

use crate::access_records::council::*;

const EXPORT: &str = "mutation($id: ID!, $reason: String) { subjectAccessBundle(customerId: $id, reason: $reason) { \
    customerId generatedAt staffNames json html counts { kind count } } }";

/// The table behind each kind of the bundle, and how its rows belong to the customer (`{c}` is
/// the customer's id), in plain SQL.
fn expected_sql(kind: &str) -> String {
    let cases = "(SELECT id FROM upc_case WHERE customer_id = {c})";
    let table = match kind {
        "customer" => return "SELECT id FROM customer WHERE id = {c}".into(),
        "customer_members" => {
            return "SELECT id FROM customer_member WHERE customer_id = {c}".into();
        }
        "representatives" => return "SELECT id FROM representative WHERE customer_id = {c}".into(),
        "reasonable_adjustments" => {
            return "SELECT id FROM reasonable_adjustment WHERE customer_id = {c}".into();
        }
        "cases" => return "SELECT id FROM upc_case WHERE customer_id = {c}".into(),
        "contacts" => return "SELECT id FROM contact WHERE customer_id = {c}".into(),
        "recording_requests" => {
            return "SELECT id FROM recording_request WHERE customer_id = {c}".into();
        }
        "access_records" => unreachable!("access records are counted by `expected_ids`"),
        "audit_events" => {
            return format!(
                "SELECT id FROM audit_event WHERE case_id IN {cases} \
             OR (entity_type = 'customer' AND entity_id = CAST({{c}} AS TEXT)) \
             OR (entity_type = 'contact' AND entity_id IN (SELECT CAST(id AS TEXT) FROM contact WHERE customer_id = {{c}})) \
             OR (entity_type = 'recording_request' AND entity_id IN (SELECT CAST(id AS TEXT) FROM recording_request WHERE customer_id = {{c}}))"
            );
        }
        "behaviour_reports" => "behaviour_report",
        "determinations" => "determination",
        "stage_1_warnings" => "stage_1_warning",
        "appeals" => "appeal",
        "stage_2_decisions" => "stage_2_decision",
        "restrictions" => "restriction",
        "breaches" => "breach",
        "new_issue_considerations" => "new_issue_consideration",
        "reviews" => "review",
        "letters" => "letter",
        "hs_incidents" => "hs_incident",
        "exclusions" => "exclusion",
        "police_referrals" => "police_referral",
        "call_terminations" => "call_termination",
        "harassment_referrals" => "harassment_referral",
        "notifications" => "notification",
        other => panic!("no SQL for {other}"),
    };
    format!("SELECT id FROM {table} WHERE case_id IN {cases}")
}

/// The ids of the records of `kind` that belong to `customer`: by [`expected_sql`], or for
/// access records (one row lists many), every stored record naming the customer or one of their
/// cases.
async fn expected_ids(app: &TestApp, kind: &str, customer: i64) -> Vec<i64> {
    if kind != "access_records" {
        return sql_ids(app, &expected_sql(kind), customer).await;
    }
    let cases = sql_ids(
        app,
        "SELECT id FROM upc_case WHERE customer_id = {c}",
        customer,
    )
    .await;
    let mut ids: Vec<i64> = tests::access_records(&app.db)
        .await
        .iter()
        .filter(|r| {
            r.customer_id == Some(customer) || r.case_id.is_some_and(|c| cases.contains(&c))
        })
        .map(|r| r.id)
        .collect();
    ids.sort_unstable();
    ids
}

async fn sql_ids(app: &TestApp, sql: &str, customer: i64) -> Vec<i64> {
    let sql = sql.replace("{c}", &customer.to_string());
    let mut ids: Vec<i64> = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("query")
        .into_iter()
        .map(|row| row.try_get_by_index::<i64>(0).expect("an id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn bundle_ids(bundle: &Value, kind: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = match &bundle[kind] {
        Value::Array(rows) => rows
            .iter()
            .map(|r| r["id"].as_i64().expect("an id"))
            .collect(),
        Value::Object(row) => vec![row["id"].as_i64().expect("an id")],
        other => panic!("{kind} is {other}"),
    };
    ids.sort_unstable();
    ids
}

fn id(v: &str) -> i64 {
    v.parse().expect("an id")
}

/// What the test set up for one customer, with the people who made it.
struct Seeded {
    customer: i64,
    name: &'static str,
    marker: &'static str,
}

/// Two customers with records of every kind: Alice and Robert. Members, representatives and
/// reasonable adjustments have no API yet, so they are written behind the API's back; and so is
/// a contact of Robert's filed on Alice's case, which her bundle must not show.
async fn seed(app: &TestApp) -> (Seeded, Seeded) {
    let c = Council::new(app).await;
    let alice = c.everything_about("Alice Example", "ALICE-MARKER").await;
    let robert = c
        .everything_about("Robert Otherperson", "ROBERT-MARKER")
        .await;
    let now = Utc::now();
    for (made, who) in [(&alice, "Alice"), (&robert, "Robert")] {
        let customer_id = id(&made.customer_id);
        customer_member::ActiveModel {
            customer_id: Set(customer_id),
            name: Set(format!("{who}'s partner")),
            relationship: Set(Some("partner".into())),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        representative::ActiveModel {
            customer_id: Set(customer_id),
            name: Set(format!("{who}'s advocate")),
            organisation: Set(Some("Advocacy Cymru".into())),
            relationship: Set(None),
            contact_details: Set(Some("01234 567890".into())),
            authority_confirmed: Set(true),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        reasonable_adjustment::ActiveModel {
            customer_id: Set(customer_id),
            description: Set(format!("Large print letters for {who}")),
            recorded_by: Set("officer-HOU".into()),
            recorded_at: Set(now),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let stray: contact::Model = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(id(&robert.customer_id)))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut misfiled: contact::ActiveModel = stray.into();
    misfiled.id = sea_orm::ActiveValue::NotSet;
    misfiled.case_id = Set(Some(id(&alice.restricted_case)));
    misfiled.summary = Set("Robert's letter filed on the wrong case (ROBERT-MARKER).".into());
    misfiled.insert(&app.db).await.unwrap();
    // Who read them: Legal Services and a Service manager read each one's records.
    let reader = app.token_for("reader-1", &[Role::LegalServices], &[]);
    let manager = c.token(Role::ServiceManager, HOU);
    for made in [&alice, &robert] {
        for token in [&reader, &manager] {
            let body = app.graphql_as(token, "query($id: ID!) { case(id: $id) { customer { displayName phone } reports { description } letters { bodyText } policeReferrals { policeReference } contacts { summary } } }", json!({"id": made.restricted_case})).await;
            assert!(body["errors"].is_null(), "{body}");
        }
    }
    (
        Seeded {
            customer: id(&alice.customer_id),
            name: "Alice Example",
            marker: "ALICE-MARKER",
        },
        Seeded {
            customer: id(&robert.customer_id),
            name: "Robert Otherperson",
            marker: "ROBERT-MARKER",
        },
    )
}

/// Every member of staff who made or read a record in [`seed`], by sign-in id and by name.
fn staff() -> Vec<String> {
    let mut out = vec!["reader-1".to_string(), "Test reader-1".to_string()];
    for role in Role::ALL {
        for service in [HOU, OTH, LEI] {
            let subject = format!("{}-{service}", role.as_str());
            out.push(format!("Test {subject}"));
            out.push(subject);
        }
    }
    out
}

async fn export(app: &TestApp, customer: i64) -> Value {
    let legal = app.token_for("sar-lawyer", &[Role::LegalServices], &[]);
    let body = app
        .graphql_as(
            &legal,
            EXPORT,
            json!({"id": customer.to_string(), "reason": "SAR-2026-017"}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["subjectAccessBundle"].clone()
}

db_tests! {
    async fn a_bundle_holds_every_record_of_the_customer_and_nothing_of_another(app) {
        let (alice, robert) = seed(&app).await;
        let audit_before = sql_ids(&app, "SELECT id FROM audit_event", 0).await;
        let reads_before: Vec<i64> = tests::access_records(&app.db).await.iter().map(|r| r.id).collect();
        let out = export(&app, alice.customer).await;
        let bundle = &out["json"];
        assert_eq!(out["customerId"], alice.customer.to_string());
        assert_eq!(bundle["format"], "upc-subject-access/1");
        let counts = out["counts"].as_array().unwrap();
        assert_eq!(counts.len(), 25, "{counts:?}");
        for count in counts {
            let kind = count["kind"].as_str().unwrap();
            let got = bundle_ids(bundle, kind);
            let mut expected = expected_ids(&app, kind, alice.customer).await;
            if kind == "audit_events" {
                // The bundle shows the record as it stood: the export's own event came after.
                expected.retain(|id| audit_before.contains(id));
            }
            if kind == "access_records" {
                expected.retain(|id| reads_before.contains(id));
            }
            assert!(!got.is_empty(), "the seed made no {kind}");
            assert_eq!(got, expected, "{kind}");
            assert_eq!(count["count"].as_u64(), Some(got.len() as u64), "{kind}");
            assert_eq!(bundle["counts"][kind], count["count"], "{kind}");
            // None of Robert's.
            let his = expected_ids(&app, kind, robert.customer).await;
            assert!(got.iter().all(|id| !his.contains(id)), "{kind} holds Robert's {got:?} / {his:?}");
        }
        // Every column of a record, and the content itself.
        assert_eq!(bundle["customer"]["display_name"], alice.name);
        assert_eq!(bundle["customer"]["address"], "1 Test Street\nTonypandy");
        assert_eq!(bundle["police_referrals"][0]["police_reference"], format!("SWP-{}", alice.marker));
        assert_eq!(bundle["behaviour_reports"][0]["behaviours"], json!(["numerous_repeat_calls"]));
        assert!(bundle["letters"][0]["body_text"].as_str().unwrap().contains(alice.name));
        let text = bundle.to_string();
        assert!(text.contains(alice.marker));
        assert!(!text.contains(robert.marker), "Robert's records leaked into Alice's bundle");
        assert!(!text.contains(robert.name) && !text.contains("Robert's"));
        let html = out["html"].as_str().unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        assert!(html.contains(alice.name) && html.contains(alice.marker));
        assert!(html.contains("Stage 1 warnings") && html.contains("Reports to the police") && html.contains("Who has read your records"));
        assert!(!html.contains(robert.marker) && !html.contains(robert.name));

        // The export is audited in its own transaction (the counts, never the content), and it
        // is an access record of its own.
        let event = audit_event::Entity::find().filter(audit_event::Column::Action.eq("subject_access.export")).one(&app.db).await.unwrap().expect("an export event");
        assert_eq!((event.entity_type.as_str(), event.entity_id.as_deref()), ("customer", Some(alice.customer.to_string().as_str())));
        assert_eq!(event.actor_sub, "sar-lawyer");
        assert_eq!(event.reason.as_deref(), Some("SAR-2026-017"));
        let after = event.after.clone().unwrap();
        assert_eq!(after["counts"]["letters"], bundle["counts"]["letters"]);
        assert!(!after.to_string().contains(alice.marker) && !after.to_string().contains(alice.name));
        let mut export_read = tests::access_records(&app.db).await;
        export_read.retain(|r| r.category == AccessCategory::SubjectAccessExport);
        assert_eq!(export_read.len(), 1);
        assert_eq!((export_read[0].customer_id, export_read[0].actor_sub.as_str()), (Some(alice.customer), "sar-lawyer"));

        // A second export shows the first.
        let again = export(&app, alice.customer).await;
        let actions: Vec<&str> = again["json"]["audit_events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"subject_access.export"), "{actions:?}");
        let reads: Vec<&str> = again["json"]["access_records"].as_array().unwrap().iter().map(|r| r["category"].as_str().unwrap()).collect();
        assert!(reads.contains(&"subject_access_export"), "{reads:?}");
    }

    async fn staff_names_are_redacted_by_default(app) {
        let (alice, _) = seed(&app).await;
        let out = export(&app, alice.customer).await;
        assert_eq!(out["staffNames"], "redacted");
        let bundle = &out["json"];
        assert_eq!(bundle["staff_names"], "redacted");
        assert_eq!(bundle["behaviour_reports"][0]["reporter_name"], "[redacted]");
        assert_eq!(bundle["behaviour_reports"][0]["reported_by"], "[redacted]");
        assert_eq!(bundle["recording_requests"][0]["staff_member"], "[redacted]");
        assert_eq!(bundle["harassment_referrals"][0]["referred_to"], "[redacted]");
        assert!(bundle["audit_events"].as_array().unwrap().iter().all(|e| e["actor_sub"] == "[redacted]" && e["actor_name"] == "[redacted]"));
        assert!(bundle["access_records"].as_array().unwrap().iter().all(|r| r["actor_sub"] == "[redacted]"));
        // Their roles stay.
        assert!(bundle["access_records"].as_array().unwrap().iter().any(|r| r["actor_roles"] == "service_manager"));
        // No name or sign-in id of anyone on the staff, anywhere, in either edition.
        let text = bundle.to_string();
        let html = out["html"].as_str().unwrap();
        for who in staff() {
            assert!(!text.contains(&who), "{who} in the JSON bundle");
            assert!(!html.contains(&who), "{who} in the HTML bundle");
        }
        assert!(html.contains("[redacted]"));
        // The customer's own people are not staff.
        assert_eq!(bundle["customer_members"][0]["name"], "Alice's partner");
        assert_eq!(bundle["representatives"][0]["name"], "Alice's advocate");
    }

    async fn only_legal_services_exports(app) {
        let (alice, _) = seed(&app).await;
        for role in Role::ALL {
            if role == Role::LegalServices {
                continue;
            }
            let token = app.token(role, &[HOU]);
            let body = app.graphql_as(&token, EXPORT, json!({"id": alice.customer.to_string()})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{}: {body}", role.as_str());
            assert!(body["data"].is_null() || body["data"]["subjectAccessBundle"].is_null());
        }
        let exported = audit_event::Entity::find().filter(audit_event::Column::Action.eq("subject_access.export")).all(&app.db).await.unwrap();
        assert!(exported.is_empty(), "a refused export writes nothing");
        let legal = app.token(Role::LegalServices, &[]);
        let body = app.graphql_as(&legal, EXPORT, json!({"id": "999999"})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{body}");
        let body = app.graphql_as(&legal, EXPORT, json!({"id": "x"})).await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "customerId", "{body}");
    }
}

/// With `subject_access_staff_names = shown`, names and sign-in ids are as recorded.
async fn staff_names_shown_with_the_setting(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.subject_access_staff_names = StaffNames::Shown;
    })
    .await
    else {
        return;
    };
    let (alice, _) = seed(&app).await;
    let out = export(&app, alice.customer).await;
    assert_eq!(out["staffNames"], "shown");
    let bundle = &out["json"];
    assert_eq!(
        bundle["behaviour_reports"][0]["reporter_name"],
        "Test officer-HOU"
    );
    assert_eq!(bundle["behaviour_reports"][0]["reported_by"], "officer-HOU");
    assert_eq!(
        bundle["recording_requests"][0]["staff_member"],
        "Test officer-HOU"
    );
    let readers: Vec<&str> = bundle["access_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["actor_sub"].as_str().unwrap())
        .collect();
    assert!(
        readers.contains(&"reader-1") && readers.contains(&"service_manager-HOU"),
        "{readers:?}"
    );
    let html = out["html"].as_str().unwrap();
    assert!(html.contains("Test officer-HOU") && html.contains("reader-1"));
    assert!(!html.contains("[redacted]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_names_shown_with_the_setting_sqlite() {
    staff_names_shown_with_the_setting(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_names_shown_with_the_setting_postgres() {
    staff_names_shown_with_the_setting(Backend::Postgres).await;
}
