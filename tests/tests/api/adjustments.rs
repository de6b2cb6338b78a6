//! Reasonable adjustments as records (issue 19, item 2), through HTTP, on both databases:
//! recorded, updated (with the version read) and ended by staff of the customer's services, each
//! with its audit event; linked by the Stage 1 warning, the Stage 2 decision and the review that
//! considered them, and refused when they are another customer's or not in place.

use api::auth::Role;
use chrono::Duration;
use entities::{
    audit_event, review_adjustment, stage_1_warning_adjustment, stage_2_decision_adjustment,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::db_tests;

use crate::lifecycle::drive::*;

/// The fields of an adjustment the tests look at.
const FIELDS: &str = "id customerId need adjustment agreedBy agreedOn reviewOn status endedOn \
    endReasons version";

fn document(op: &str) -> String {
    let ty = format!("{}{}Input", op[..1].to_uppercase(), &op[1..]);
    format!("mutation($input: {ty}!) {{ {op}(input: $input) {{ {FIELDS} }} }}")
}

/// `recordReasonableAdjustment` input for the customer of `case`, agreed `ago` days ago.
fn record(case: &Value, ago: i64) -> Value {
    json!({
        "customerId": case["customer"]["id"],
        "need": "Dyslexia: long letters are hard to follow.",
        "adjustment": "Short letters in plain English, and a named officer to telephone.",
        "agreedBy": "Housing service manager",
        "agreedOn": today() - Duration::days(ago),
        "reviewOn": today() + Duration::days(180),
    })
}

/// Send `op` as the holder of `token`.
async fn send(w: &World<'_>, token: &str, op: &str, input: Value) -> Value {
    w.app
        .graphql_as(token, &document(op), json!({"input": input}))
        .await
}

/// Take `op` as the holder of `token`: it succeeds and writes one audit event, `action`.
async fn ok(w: &World<'_>, token: &str, op: &str, input: Value, action: &str) -> Value {
    let before = w.audit_count().await;
    let body = send(w, token, op, input).await;
    assert!(body["errors"].is_null(), "{op} failed: {body}");
    assert_eq!(
        w.audit_count().await,
        before + 1,
        "{op} writes one audit event"
    );
    let last = audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Id)
        .one(&w.app.db)
        .await
        .expect("read audit")
        .expect("an audit event");
    assert_eq!(last.action, action);
    body["data"][op].clone()
}

/// Send `op` as the holder of `token`: refused with `code` (and `field`), writing nothing.
async fn refused(
    w: &World<'_>,
    token: &str,
    op: &str,
    input: Value,
    code: &str,
    field: Option<&str>,
) {
    let before = w.audit_count().await;
    let body = send(w, token, op, input).await;
    assert!(
        body["data"].is_null() || body["data"][op].is_null(),
        "{op} was not refused: {body}"
    );
    expect(&body["errors"][0], code, field);
    assert_eq!(
        w.audit_count().await,
        before,
        "a refused {op} writes nothing"
    );
}

/// The adjustments each of the case's decisions considered, by id.
async fn considered(w: &World<'_>, case: &Value) -> Value {
    let body = w
        .app
        .graphql(
            "query($id: ID!) { case(id: $id) { \
               customer { reasonableAdjustments { id status } } \
               stage1Warnings { reasonableAdjustmentsConsidered { id } } \
               stage2Decisions { reasonableAdjustmentsConsidered { id } } \
               reviews { reasonableAdjustmentsConsidered { id } } } }",
            json!({"id": case["id"]}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["case"].clone()
}

db_tests! {
    async fn adjustments_are_recorded_updated_and_ended_with_their_audit(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.determined("Ann Adjusted", "en").await;
        let officer = w.token(Role::Officer);
        let a = ok(&w, &officer, "recordReasonableAdjustment", record(&case, 3),
            "customer.record_reasonable_adjustment").await;
        assert_eq!(a["status"], "active");
        assert_eq!(a["version"], 1);
        assert_eq!(a["customerId"], case["customer"]["id"]);
        assert_eq!(a["agreedBy"], "Housing service manager");

        let manager = w.token(Role::ServiceManager);
        let updated = ok(&w, &manager, "updateReasonableAdjustment",
            json!({"id": a["id"], "version": 1, "adjustment": "Letters only, in plain English."}),
            "customer.update_reasonable_adjustment").await;
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["adjustment"], "Letters only, in plain English.");
        assert_eq!(updated["need"], a["need"], "what is not given stays");
        refused(&w, &officer, "updateReasonableAdjustment",
            json!({"id": a["id"], "version": 1, "need": "Something else."}), "CONFLICT", None).await;
        refused(&w, &officer, "endReasonableAdjustment",
            json!({"id": a["id"], "version": 1, "reasons": "No longer needed."}), "CONFLICT", None).await;

        let ended = ok(&w, &officer, "endReasonableAdjustment",
            json!({"id": a["id"], "version": 2, "reasons": "The customer now has an advocate."}),
            "customer.end_reasonable_adjustment").await;
        assert_eq!(ended["status"], "ended");
        assert_eq!(ended["endedOn"], json!(today()));
        assert_eq!(ended["endReasons"], "The customer now has an advocate.");
        refused(&w, &officer, "updateReasonableAdjustment",
            json!({"id": a["id"], "version": 3, "need": "Again."}), "INVALID_TRANSITION", None).await;
        refused(&w, &officer, "endReasonableAdjustment",
            json!({"id": a["id"], "version": 3, "reasons": "Again."}), "INVALID_TRANSITION", None).await;

        let listed = considered(&w, &case).await;
        assert_eq!(listed["customer"]["reasonableAdjustments"], json!([{"id": a["id"], "status": "ended"}]));
    }

    async fn adjustment_input_is_validated(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.determined("Val Idate", "en").await;
        let officer = w.token(Role::Officer);
        let op = "recordReasonableAdjustment";
        for (field, value) in [
            ("need", json!("  ")),
            ("adjustment", json!("")),
            ("agreedBy", json!(" ")),
            ("agreedOn", json!(today() + Duration::days(1))),
            ("reviewOn", json!(today() - Duration::days(5))),
            ("customerId", json!("x")),
        ] {
            let input = with(record(&case, 3), &format!("/{field}"), value);
            refused(&w, &officer, op, input, "BAD_USER_INPUT", Some(field)).await;
        }
        let a = ok(&w, &officer, op, record(&case, 3), "customer.record_reasonable_adjustment").await;
        refused(&w, &officer, "endReasonableAdjustment",
            json!({"id": a["id"], "version": 1, "reasons": "r", "endedOn": today() + Duration::days(2)}),
            "BAD_USER_INPUT", Some("endedOn")).await;
        refused(&w, &officer, "endReasonableAdjustment",
            json!({"id": a["id"], "version": 1, "reasons": "r", "endedOn": today() - Duration::days(30)}),
            "BAD_USER_INPUT", Some("endedOn")).await;
        refused(&w, &officer, "updateReasonableAdjustment",
            json!({"id": a["id"], "version": 1, "reviewOn": today() - Duration::days(10)}),
            "BAD_USER_INPUT", Some("reviewOn")).await;
    }

    async fn only_staff_of_the_customers_services_record_adjustments(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.determined("Rho Les", "en").await;
        let allowed = [
            Role::Officer, Role::ServiceManager, Role::HeadOfService, Role::ServiceDirector,
            Role::FeedbackOfficer, Role::GroupDirector, Role::LegalServices, Role::MonitoringOfficer,
        ];
        let mut last: Option<Value> = None;
        for role in Role::ALL {
            let token = w.token(role);
            let op = "recordReasonableAdjustment";
            if allowed.contains(&role) {
                let a = ok(&w, &token, op, record(&case, 1), "customer.record_reasonable_adjustment").await;
                if !matches!(role, Role::LegalServices | Role::MonitoringOfficer) {
                    // The same role in another service does not see the customer.
                    let outsider = app.token_for(&format!("{}-elsewhere", role.as_str()), &[role], &[OTHER_SERVICE]);
                    refused(&w, &outsider, op, record(&case, 1), "NOT_FOUND", None).await;
                    refused(&w, &outsider, "endReasonableAdjustment",
                        json!({"id": a["id"], "version": 1, "reasons": "r"}), "NOT_FOUND", None).await;
                }
                last = Some(a);
            } else {
                refused(&w, &token, op, record(&case, 1), "FORBIDDEN", None).await;
                if let Some(a) = &last {
                    refused(&w, &token, "updateReasonableAdjustment",
                        json!({"id": a["id"], "version": 1, "need": "n"}), "FORBIDDEN", None).await;
                    refused(&w, &token, "endReasonableAdjustment",
                        json!({"id": a["id"], "version": 1, "reasons": "r"}), "FORBIDDEN", None).await;
                }
            }
        }
        // The Standards Committee reads no adjustments of a customer.
        let committee = w.token(Role::StandardsCommittee);
        let body = app
            .graphql_as(
                &committee,
                "query($id: ID!) { case(id: $id) { customer { reasonableAdjustments { id need } } } }",
                json!({"id": case["id"]}),
            )
            .await;
        assert!(!body.to_string().contains("Dyslexia"), "{body}");
        assert!(!body["errors"].is_null(), "{body}");
    }

    async fn each_decision_links_the_adjustments_it_considered(app) {
        let w = World::new(&app, "HOU").await;
        let officer = w.token(Role::Officer);
        let op = "recordReasonableAdjustment";
        // A warning.
        let case = w.determined("Link Warning", "en").await;
        let a = ok(&w, &officer, op, record(&case, 20), "customer.record_reasonable_adjustment").await;
        let later = ok(&w, &officer, op, with(record(&case, 0), "/reviewOn", Value::Null),
            "customer.record_reasonable_adjustment").await;
        let other = w.determined("Someone Else", "en").await;
        let theirs = ok(&w, &officer, op, record(&other, 20), "customer.record_reasonable_adjustment").await;
        let ended = ok(&w, &officer, op, record(&case, 20), "customer.record_reasonable_adjustment").await;
        ok(&w, &officer, "endReasonableAdjustment",
            json!({"id": ended["id"], "version": 1, "endedOn": today() - Duration::days(5), "reasons": "Moved."}),
            "customer.end_reasonable_adjustment").await;
        for (ids, field) in [
            (json!([theirs["id"]]), "adjustmentIdsConsidered"),
            (json!([ended["id"]]), "adjustmentIdsConsidered"),
            (json!(["nope"]), "adjustmentIdsConsidered"),
        ] {
            let error = w.fail("issueStage1Warning", with(warning(&case), "/adjustmentIdsConsidered", ids)).await;
            expect(&error, "BAD_USER_INPUT", Some(field));
        }
        let warned = w.act("issueStage1Warning", &case,
            with(warning(&case), "/adjustmentIdsConsidered", json!([a["id"], a["id"], later["id"]]))).await;
        let read = considered(&w, &warned).await;
        assert_eq!(read["stage1Warnings"][0]["reasonableAdjustmentsConsidered"],
            json!([{"id": a["id"]}, {"id": later["id"]}]));
        assert_eq!(stage_1_warning_adjustment::Entity::find().count(&app.db).await.unwrap(), 2);
        let audit = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("case.issue_stage_1_warning"))
            .one(&app.db).await.unwrap().unwrap();
        let after = audit.after.clone().expect("the audit keeps what was written");
        assert_eq!(after["adjustments_considered"], json!([a["id"].as_str().unwrap().parse::<i64>().unwrap(), later["id"].as_str().unwrap().parse::<i64>().unwrap()]), "{after}");

        // A Stage 2 decision, then a review.
        let case = w.determined("Link Decision", "en").await;
        let b = ok(&w, &officer, op, record(&case, 20), "customer.record_reasonable_adjustment").await;
        let restrictions = json!([letter_only()]);
        let error = w.fail("decideStage2", with(immediate_stage2(&case, restrictions.clone()),
            "/adjustmentIdsConsidered", json!([theirs["id"]]))).await;
        expect(&error, "BAD_USER_INPUT", Some("adjustmentIdsConsidered"));
        let restricted = w.act("decideStage2", &case, with(immediate_stage2(&case, restrictions),
            "/adjustmentIdsConsidered", json!([b["id"]]))).await;
        let error = w.fail("recommendReview", with(recommend(&restricted, "continue", &[]),
            "/adjustmentIdsConsidered", json!([a["id"]]))).await;
        expect(&error, "BAD_USER_INPUT", Some("adjustmentIdsConsidered"));
        let reviewed = w.act("recommendReview", &restricted, with(recommend(&restricted, "continue", &[]),
            "/adjustmentIdsConsidered", json!([b["id"]]))).await;
        let read = considered(&w, &reviewed).await;
        assert_eq!(read["stage2Decisions"][0]["reasonableAdjustmentsConsidered"], json!([{"id": b["id"]}]));
        assert_eq!(read["reviews"][0]["reasonableAdjustmentsConsidered"], json!([{"id": b["id"]}]));
        assert_eq!(stage_2_decision_adjustment::Entity::find().count(&app.db).await.unwrap(), 1);
        assert_eq!(review_adjustment::Entity::find().count(&app.db).await.unwrap(), 1);
        // Without the list the decision links nothing, as before.
        let plain = w.warned("No Links", "en").await;
        let read = considered(&w, &plain).await;
        assert_eq!(read["stage1Warnings"][0]["reasonableAdjustmentsConsidered"], json!([]));
    }
}
