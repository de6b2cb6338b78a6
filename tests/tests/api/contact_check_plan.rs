//! Issue 18: the planned contact check (`contactCheck(input)`, `api::graphql::plan`) answers byte
//! for byte as the schema does — for a restricted customer with restrictions and exclusions,
//! every channel, times before and after the decision, at the excluded premises or not — and
//! leaves everything the resolver refuses (another service's officer, a channel that is not
//! one, an unknown customer id or service) and every role the policy refuses to the schema,
//! which answers with its own error.

use api::auth::Role;
use chrono::{Duration, Utc};
use serde_json::json;
use tests::db_tests;

use crate::access_records::council::*;
use crate::read_plan::twice;

/// The desk's check, every field, with `__typename`s and an alias.
const CHECK: &str = "query($input: ContactCheckInput!) { __typename check: contactCheck(input: $input) { \
    __typename allowed serviceCode at findings { __typename restrictionId exclusionId kind blocks instruction } } }";

/// The side-by-side benchmark's check.
const BENCH: &str = "query($input: ContactCheckInput!) { contactCheck(input: $input) { allowed findings { kind blocks instruction } } }";

db_tests! {
    async fn planned_contact_checks_are_the_schemas_byte_for_byte(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Checked Customer", "CHECK").await;
        let free = c.new_case("Free Customer", HOU, "FREE").await;
        let free_id = free["customer"]["id"].as_str().expect("an id").to_string();
        let officer = c.token(Role::Officer, HOU);
        let mut blocked = 0;
        let mut findings = 0;
        for customer in [&made.customer_id, &free_id] {
            for channel in ["in_person", "telephone", "letter", "email", "fax", "web"] {
                for at in [Utc::now() - Duration::days(30), Utc::now() + Duration::hours(1)] {
                    for premises in [None, Some(c.premises.clone())] {
                        let mut input = json!({"customerId": customer, "serviceCode": HOU, "channel": channel, "at": at.to_rfc3339()});
                        if let Some(p) = &premises {
                            input["establishmentId"] = json!(p);
                        }
                        let (body, planned) = twice(&app, &officer, CHECK, json!({"input": input})).await;
                        assert!(planned, "{body}");
                        let check = &body["data"]["check"];
                        blocked += usize::from(check["allowed"] == json!(false));
                        findings += check["findings"].as_array().map_or(0, Vec::len);
                    }
                }
            }
        }
        assert!(blocked > 0 && findings > 0, "restrictions and exclusions were found: {blocked} blocked, {findings} findings");
        let (body, planned) = twice(&app, &officer, BENCH, json!({"input": {"customerId": made.customer_id, "serviceCode": HOU, "channel": "telephone"}})).await;
        assert!(planned && body["errors"].is_null(), "{body}");
    }

    async fn what_the_resolver_refuses_is_the_schemas_error(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Refused Customer", "REFUSED").await;
        let input = |extra: serde_json::Value| {
            let mut input = json!({"customerId": made.customer_id, "serviceCode": HOU, "channel": "telephone"});
            input.as_object_mut().expect("object").extend(extra.as_object().cloned().unwrap_or_default());
            json!({"input": input})
        };
        let officer = c.token(Role::Officer, HOU);
        for (vars, code) in [
            (input(json!({"channel": "pigeon"})), "BAD_USER_INPUT"),
            (input(json!({"customerId": "x"})), "BAD_USER_INPUT"),
            (input(json!({"serviceCode": "NOPE"})), "BAD_USER_INPUT"),
            (input(json!({"establishmentId": "-3"})), "BAD_USER_INPUT"),
        ] {
            let (body, planned) = twice(&app, &officer, BENCH, vars.clone()).await;
            assert!(!planned, "{vars}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], json!(code), "{vars}: {body}");
        }
        // Another service's officer may not check HOU's customers; a Member may not check at all.
        for (token, code) in [
            (c.token(Role::Officer, OTH), "FORBIDDEN"),
            (app.token_for("member-z", &[Role::ElectedMember], &[]), "FORBIDDEN"),
        ] {
            let (body, planned) = twice(&app, &token, BENCH, input(json!({}))).await;
            assert!(!planned, "{body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], json!(code), "{body}");
        }
        // And the same document with good input is planned for the officer of the service.
        let (body, planned) = twice(&app, &officer, BENCH, input(json!({}))).await;
        assert!(planned && body["errors"].is_null(), "{body}");
    }
}
