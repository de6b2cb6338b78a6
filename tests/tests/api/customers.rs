//! Customers kept on their own (issue 19, item 1), through HTTP on both databases: creating and
//! correcting a customer, members of several people or a group, representatives (and letters
//! addressed to one where the customer asked), merging two records of the same person and
//! undoing it exactly; validation errors name their field, a stale version is `CONFLICT`, every
//! change writes its audit row, staff of another service see nothing (5.4) and the Standards
//! Committee nothing at all.

use api::auth::Role;
use chrono::Utc;
use entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::{TestApp, db_tests};

const CUSTOMER: &str = "id reference kind displayName address email phone preferredLanguage \
    version mergedIntoId mergedAt members { id name relationship version } \
    representatives { id name organisation relationship contactDetails authorityConfirmed \
    lettersToRepresentative version }";

/// Services `AAA` and `BBB`, created by the administrator.
async fn services(app: &TestApp) {
    let admin = app.token(Role::Admin, &[]);
    for code in ["AAA", "BBB"] {
        let body = app
            .graphql_as(
                &admin,
                "mutation($c: String!) { createService(input: {code: $c, name: $c}) { code } }",
                json!({"c": code}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
}

fn officer(app: &TestApp, service: &str) -> String {
    app.token_for(&format!("officer-{service}"), &[Role::Officer], &[service])
}

/// The first error's code and field.
fn error(body: &Value) -> (String, Option<String>) {
    let e = &body["errors"][0]["extensions"];
    (
        e["code"].as_str().unwrap_or_default().to_string(),
        e["field"].as_str().map(str::to_string),
    )
}

fn code(body: &Value) -> String {
    error(body).0
}

/// Run `mutation` as `token`, expecting success; its one field's value.
async fn ok(app: &TestApp, token: &str, doc: &str, vars: Value) -> Value {
    let body = app.graphql_as(token, doc, vars).await;
    assert!(body["errors"].is_null(), "{doc}: {body}");
    body["data"]
        .as_object()
        .and_then(|o| o.values().next().cloned())
        .unwrap_or_else(|| panic!("{body}"))
}

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    ok(
        app,
        token,
        &format!(
            "mutation($i: CreateCustomerInput!) {{ createCustomer(input: $i) {{ {CUSTOMER} }} }}"
        ),
        json!({"i": input}),
    )
    .await
}

/// The audit events with `action`, oldest first.
async fn events(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .expect("read the audit trail")
}

/// The customer as Legal Services reads it.
async fn read(app: &TestApp, id: &Value) -> Value {
    ok(
        app,
        &app.token(Role::LegalServices, &[]),
        &format!("query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER} }} }}"),
        json!({"id": id}),
    )
    .await
}

/// A case of customer `id` in `service`, reported by an officer there.
async fn report(app: &TestApp, id: &Value, service: &str) -> Value {
    ok(
        app,
        &officer(app, service),
        "mutation($i: ReportBehaviourInput!) { reportBehaviour(input: $i) { id reference version } }",
        json!({"i": {"customerId": id, "serviceCode": service, "behaviours": ["numerous_repeat_calls"],
            "channel": "telephone", "occurredAt": Utc::now().to_rfc3339(), "description": "Called 30 times (fictional)"}}),
    )
    .await
}

/// Log an inbound letter from customer `id` in `service`.
async fn contact(app: &TestApp, id: &Value, service: &str) {
    let body = app
        .graphql_as(
            &officer(app, service),
            "mutation($i: LogContactInput!) { logContact(input: $i) { allowed } }",
            json!({"i": {"customerId": id, "serviceCode": service, "channel": "letter", "direction": "inbound", "summary": "A letter (fictional)"}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

const UPDATE: &str = "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { id version displayName address kind preferredLanguage } }";
const ADD_MEMBER: &str = "mutation($i: AddCustomerMemberInput!) { addCustomerMember(input: $i) { id version members { id name relationship version } } }";
const REMOVE_MEMBER: &str =
    "mutation($i: RemoveInput!) { removeCustomerMember(input: $i) { id members { id } } }";
const ADD_REP: &str = "mutation($i: AddRepresentativeInput!) { addRepresentative(input: $i) { id representatives { id name organisation contactDetails authorityConfirmed lettersToRepresentative version } } }";
const UPDATE_REP: &str = "mutation($i: UpdateRepresentativeInput!) { updateRepresentative(input: $i) { id representatives { id name lettersToRepresentative version } } }";
const REMOVE_REP: &str =
    "mutation($i: RemoveInput!) { removeRepresentative(input: $i) { id representatives { id } } }";
const MERGE: &str =
    "mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { id version mergedIntoId } }";
const UNMERGE: &str = "mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) { id version mergedIntoId } }";

db_tests! {
    async fn create_and_update_a_customer_with_validation_conflict_and_audit(app) {
        services(&app).await;
        let aaa = officer(&app, "AAA");
        let created = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "  Ann Example (fictional) ",
            "kind": "several_people", "address": "1 Test Street", "preferredLanguage": "cy"})).await;
        assert_eq!(created["displayName"], "Ann Example (fictional)");
        assert_eq!(created["kind"], "several_people");
        assert_eq!(created["preferredLanguage"], "cy");
        assert_eq!(created["version"], 1);
        assert!(created["reference"].as_str().unwrap().starts_with("C-"), "{created}");
        assert!(created["mergedIntoId"].is_null());
        let audit = events(&app, "customer.create").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].entity_id.as_deref(), created["id"].as_str());
        assert_eq!(audit[0].actor_sub, "officer-AAA");
        assert!(audit[0].after.as_ref().unwrap().to_string().contains("Ann Example"), "{:?}", audit[0].after);

        // Validation names the field.
        for (input, field) in [
            (json!({"serviceCode": "AAA", "displayName": "   "}), "displayName"),
            (json!({"serviceCode": "AAA", "displayName": "A", "kind": "robot"}), "kind"),
            (json!({"serviceCode": "AAA", "displayName": "A", "preferredLanguage": "fr"}), "preferredLanguage"),
            (json!({"serviceCode": "ZZZ", "displayName": "A"}), "serviceCode"),
        ] {
            let body = app.graphql_as(&aaa, "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }", json!({"i": input})).await;
            assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some(field.into())), "{body}");
        }
        // Only staff of the service record a customer for it (5.4).
        let body = app.graphql_as(&officer(&app, "BBB"), "mutation { createCustomer(input: {serviceCode: \"AAA\", displayName: \"A\"}) { id } }", json!({})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");

        // Update: what is given changes, an empty text clears, the version goes up.
        let updated = ok(&app, &aaa, UPDATE, json!({"i": {"id": created["id"], "version": 1, "displayName": "Ann Example-Jones (fictional)", "address": "", "preferredLanguage": "en"}})).await;
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["displayName"], "Ann Example-Jones (fictional)");
        assert!(updated["address"].is_null());
        assert_eq!(updated["preferredLanguage"], "en");
        assert_eq!(updated["kind"], "several_people");
        let audit = events(&app, "customer.update").await;
        assert_eq!(audit.len(), 1);
        assert!(audit[0].before.as_ref().unwrap().to_string().contains("1 Test Street"));
        // A stale version is a conflict.
        let stale = app.graphql_as(&aaa, UPDATE, json!({"i": {"id": created["id"], "version": 1, "displayName": "X"}})).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        let bad = app.graphql_as(&aaa, UPDATE, json!({"i": {"id": created["id"], "version": 2, "kind": "crowd"}})).await;
        assert_eq!(error(&bad), ("BAD_USER_INPUT".into(), Some("kind".into())), "{bad}");
        let bad = app.graphql_as(&aaa, UPDATE, json!({"i": {"id": "abc", "version": 2}})).await;
        assert_eq!(error(&bad), ("BAD_USER_INPUT".into(), Some("id".into())), "{bad}");
        // Staff of another service do not see the customer at all (5.4).
        let other = app.graphql_as(&officer(&app, "BBB"), UPDATE, json!({"i": {"id": created["id"], "version": 2, "displayName": "X"}})).await;
        assert_eq!(code(&other), "NOT_FOUND", "{other}");
        // Legal Services keep the central record: they may correct it.
        let legal = app.token(Role::LegalServices, &[]);
        let by_legal = ok(&app, &legal, UPDATE, json!({"i": {"id": created["id"], "version": 2, "phone": "01000 000 000"}})).await;
        assert_eq!(by_legal["version"], 3);
    }

    async fn searching_stays_service_scoped_and_the_committee_sees_none(app) {
        services(&app).await;
        let aaa = officer(&app, "AAA");
        let created = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "Searchable Person (fictional)"})).await;
        let search = "query { customers(search: \"searchable\") { id reference } }";
        let found = ok(&app, &aaa, search, json!({})).await;
        assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
        let by_id = ok(&app, &aaa, "query($id: ID!) { customer(id: $id) { displayName } }", json!({"id": created["id"]})).await;
        assert_eq!(by_id["displayName"], "Searchable Person (fictional)");
        let none = ok(&app, &officer(&app, "BBB"), search, json!({})).await;
        assert_eq!(none, json!([]));
        let hidden = app.graphql_as(&officer(&app, "BBB"), "query($id: ID!) { customer(id: $id) { id } }", json!({"id": created["id"]})).await;
        assert_eq!(code(&hidden), "NOT_FOUND", "{hidden}");
        // Once a BBB case names the customer, BBB staff find them too.
        report(&app, &created["id"], "BBB").await;
        let now_found = ok(&app, &officer(&app, "BBB"), search, json!({})).await;
        assert_eq!(now_found.as_array().unwrap().len(), 1, "{now_found}");
        // The Standards Committee sees no customer, and changes none.
        let committee = app.token(Role::StandardsCommittee, &[]);
        for doc in [search, "query { customer(id: \"1\") { id } }"] {
            let body = app.graphql_as(&committee, doc, json!({})).await;
            assert_eq!(code(&body), "FORBIDDEN", "{body}");
        }
        let body = app.graphql_as(&committee, UPDATE, json!({"i": {"id": created["id"], "version": 1, "displayName": "X"}})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        // Elected Members: as before, no search, no changes.
        let member = app.token_for("member-1", &[Role::ElectedMember], &["AAA"]);
        let body = app.graphql_as(&member, search, json!({})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        let body = app.graphql_as(&member, "mutation { createCustomer(input: {serviceCode: \"AAA\", displayName: \"A\"}) { id } }", json!({})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
    }

    async fn members_only_for_several_people_or_a_group(app) {
        services(&app).await;
        let aaa = officer(&app, "AAA");
        let person = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "One Person (fictional)"})).await;
        let refused = app.graphql_as(&aaa, ADD_MEMBER, json!({"i": {"customerId": person["id"], "name": "Someone"}})).await;
        assert_eq!(error(&refused), ("BAD_USER_INPUT".into(), Some("customerId".into())), "{refused}");
        let group = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "The Example Group (fictional)", "kind": "group"})).await;
        let blank = app.graphql_as(&aaa, ADD_MEMBER, json!({"i": {"customerId": group["id"], "name": " "}})).await;
        assert_eq!(error(&blank), ("BAD_USER_INPUT".into(), Some("name".into())), "{blank}");
        let added = ok(&app, &aaa, ADD_MEMBER, json!({"i": {"customerId": group["id"], "name": "Bea Member (fictional)", "relationship": "chair"}})).await;
        let members = added["members"].as_array().unwrap().clone();
        assert_eq!(members.len(), 1);
        assert_eq!(members[0]["name"], "Bea Member (fictional)");
        assert_eq!(members[0]["relationship"], "chair");
        ok(&app, &aaa, ADD_MEMBER, json!({"i": {"customerId": group["id"], "name": "Cai Member (fictional)"}})).await;
        assert_eq!(events(&app, "customer.add_member").await.len(), 2);
        // A group with members cannot become a person.
        let body = app.graphql_as(&aaa, UPDATE, json!({"i": {"id": group["id"], "version": 1, "kind": "person"}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("kind".into())), "{body}");
        // Remove: a stale version is a conflict; then removed, audited.
        let stale = app.graphql_as(&aaa, REMOVE_MEMBER, json!({"i": {"id": members[0]["id"], "version": 7}})).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        let removed = ok(&app, &aaa, REMOVE_MEMBER, json!({"i": {"id": members[0]["id"], "version": 1}})).await;
        assert_eq!(removed["members"].as_array().unwrap().len(), 1);
        let audit = events(&app, "customer.remove_member").await;
        assert_eq!(audit.len(), 1);
        assert!(audit[0].before.as_ref().unwrap().to_string().contains("Bea Member"));
        assert!(audit[0].after.is_none());
        // Another service's officer: not found; the Committee: forbidden.
        let body = app.graphql_as(&officer(&app, "BBB"), ADD_MEMBER, json!({"i": {"customerId": group["id"], "name": "X"}})).await;
        assert_eq!(code(&body), "NOT_FOUND", "{body}");
        let body = app.graphql_as(&app.token(Role::StandardsCommittee, &[]), ADD_MEMBER, json!({"i": {"customerId": group["id"], "name": "X"}})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
    }

    async fn representatives_and_letters_addressed_to_them(app) {
        services(&app).await;
        let aaa = officer(&app, "AAA");
        let customer = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "Dee Customer (fictional)", "address": "9 Customer Road"})).await;
        let id = customer["id"].clone();
        // Letters go to a representative only with the authority confirmed and an address.
        let body = app.graphql_as(&aaa, ADD_REP, json!({"i": {"customerId": id, "name": "Rhian Advocate", "authorityConfirmed": false, "lettersToRepresentative": true, "contactDetails": "1 Advocacy Street"}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("lettersToRepresentative".into())), "{body}");
        let body = app.graphql_as(&aaa, ADD_REP, json!({"i": {"customerId": id, "name": "Rhian Advocate", "authorityConfirmed": true, "lettersToRepresentative": true}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("contactDetails".into())), "{body}");
        let body = app.graphql_as(&aaa, ADD_REP, json!({"i": {"customerId": id, "name": "", "authorityConfirmed": true}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("name".into())), "{body}");
        let added = ok(&app, &aaa, ADD_REP, json!({"i": {"customerId": id, "name": "Rhian Advocate (fictional)",
            "organisation": "Example Advocacy Service", "relationship": "independent advocate",
            "contactDetails": "2 Advocacy Street\nPontypridd", "authorityConfirmed": true, "lettersToRepresentative": false}})).await;
        let rep = added["representatives"][0].clone();
        assert_eq!(rep["organisation"], "Example Advocacy Service");
        assert_eq!(rep["lettersToRepresentative"], false);
        assert_eq!(events(&app, "customer.add_representative").await.len(), 1);

        // The customer asks for letters to go to the representative.
        let stale = app.graphql_as(&aaa, UPDATE_REP, json!({"i": {"id": rep["id"], "version": 5, "name": "R", "authorityConfirmed": true}})).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        let updated = ok(&app, &aaa, UPDATE_REP, json!({"i": {"id": rep["id"], "version": 1, "name": "Rhian Advocate (fictional)",
            "organisation": "Example Advocacy Service", "contactDetails": "2 Advocacy Street\nPontypridd",
            "authorityConfirmed": true, "lettersToRepresentative": true}})).await;
        assert_eq!(updated["representatives"][0]["lettersToRepresentative"], true);
        assert_eq!(updated["representatives"][0]["version"], 2);
        assert_eq!(events(&app, "customer.update_representative").await.len(), 1);
        // One representative receives letters at a time.
        let body = app.graphql_as(&aaa, ADD_REP, json!({"i": {"customerId": id, "name": "Second Rep", "contactDetails": "3 Street", "authorityConfirmed": true, "lettersToRepresentative": true}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("lettersToRepresentative".into())), "{body}");

        // A Stage 1 warning letter is addressed to the representative, for the customer.
        let case = report(&app, &id, "AAA").await;
        let manager = app.token_for("manager-AAA", &[Role::ServiceManager], &["AAA"]);
        let determined = ok(&app, &manager, "mutation($i: DetermineBehaviourInput!) { determineBehaviour(input: $i) { id version } }",
            json!({"i": {"caseId": case["id"], "version": case["version"], "unreasonable": true, "reasons": "Repeated calls"}})).await;
        let head = app.token_for("head-AAA", &[Role::HeadOfService], &["AAA"]);
        let warned = ok(&app, &head, "mutation($i: IssueStage1WarningInput!) { issueStage1Warning(input: $i) { id letters { kind bodyHtml } } }",
            json!({"i": {"caseId": determined["id"], "version": determined["version"], "reasons": "You telephoned 30 times in one day.",
                "serviceDirectorConsulted": "SD", "consultedOn": Utc::now().date_naive().to_string(),
                "adjustmentsConsidered": "None needed", "proportionality": "A warning is the least step"}})).await;
        let html = warned["letters"][0]["bodyHtml"].as_str().unwrap_or_else(|| panic!("{warned}"));
        let address = html.split("<div class=\"address\">").nth(1).and_then(|s| s.split("</div>").next()).unwrap_or_default();
        assert!(address.contains("Rhian Advocate (fictional)"), "{address}");
        assert!(address.contains("on behalf of Dee Customer (fictional)"), "{address}");
        assert!(address.contains("2 Advocacy Street"), "{address}");
        assert!(!address.contains("9 Customer Road"), "{address}");

        // Removed: letters go to the customer again.
        let rep_now = read(&app, &id).await["representatives"][0].clone();
        let stale = app.graphql_as(&aaa, REMOVE_REP, json!({"i": {"id": rep_now["id"], "version": 1}})).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        let removed = ok(&app, &aaa, REMOVE_REP, json!({"i": {"id": rep_now["id"], "version": rep_now["version"]}})).await;
        assert_eq!(removed["representatives"], json!([]));
        assert_eq!(events(&app, "customer.remove_representative").await.len(), 1);
        // Another service's officer cannot touch them.
        let body = app.graphql_as(&officer(&app, "BBB"), ADD_REP, json!({"i": {"customerId": id, "name": "X", "authorityConfirmed": false}})).await;
        assert_eq!(code(&body), "NOT_FOUND", "{body}");
    }

    async fn merge_then_unmerge_restores_exactly(app) {
        services(&app).await;
        let aaa = officer(&app, "AAA");
        let bbb = officer(&app, "BBB");
        let kept = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "Eve Same (fictional)", "kind": "several_people"})).await;
        let dup = create(&app, &bbb, json!({"serviceCode": "BBB", "displayName": "Eve Same (fictional)", "kind": "several_people"})).await;
        let kept_case = report(&app, &kept["id"], "AAA").await;
        let dup_case = report(&app, &dup["id"], "BBB").await;
        contact(&app, &dup["id"], "BBB").await;
        ok(&app, &bbb, ADD_MEMBER, json!({"i": {"customerId": dup["id"], "name": "Fay Member (fictional)"}})).await;
        ok(&app, &bbb, ADD_REP, json!({"i": {"customerId": dup["id"], "name": "Gus Rep (fictional)", "authorityConfirmed": true}})).await;
        ok(&app, &aaa, ADD_MEMBER, json!({"i": {"customerId": kept["id"], "name": "Hal Member (fictional)"}})).await;
        let before_kept = read(&app, &kept["id"]).await;
        let before_dup = read(&app, &dup["id"]).await;
        let legal = app.token(Role::LegalServices, &[]);
        let admin = app.token(Role::Admin, &[]);

        // Who may: Legal Services merges; not an officer, not admin, not the Committee.
        let input = json!({"i": {"keepId": kept["id"], "keepVersion": before_kept["version"], "mergeId": dup["id"], "mergeVersion": before_dup["version"], "reason": "Same person, same date of birth"}});
        for token in [&aaa, &admin, &app.token(Role::StandardsCommittee, &[])] {
            let body = app.graphql_as(token, MERGE, input.clone()).await;
            assert_eq!(code(&body), "FORBIDDEN", "{body}");
        }
        let body = app.graphql_as(&legal, MERGE, json!({"i": {"keepId": kept["id"], "keepVersion": 1, "mergeId": kept["id"], "mergeVersion": 1, "reason": "r"}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("mergeId".into())), "{body}");
        let body = app.graphql_as(&legal, MERGE, json!({"i": {"keepId": kept["id"], "keepVersion": 99, "mergeId": dup["id"], "mergeVersion": before_dup["version"], "reason": "r"}})).await;
        assert_eq!(code(&body), "CONFLICT", "{body}");
        let body = app.graphql_as(&legal, MERGE, json!({"i": {"keepId": kept["id"], "keepVersion": 1, "mergeId": dup["id"], "mergeVersion": 1, "reason": " "}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("reason".into())), "{body}");

        let merged = ok(&app, &legal, MERGE, input).await;
        assert_eq!(merged["id"], kept["id"]);
        let after_kept = read(&app, &kept["id"]).await;
        let after_dup = read(&app, &dup["id"]).await;
        assert_eq!(after_dup["mergedIntoId"], kept["id"]);
        assert!(after_dup["mergedAt"].is_string());
        assert_eq!(after_dup["members"], json!([]));
        assert_eq!(after_dup["representatives"], json!([]));
        let names = |c: &Value, list: &str| -> Vec<String> {
            c[list].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(names(&after_kept, "members"), vec!["Fay Member (fictional)", "Hal Member (fictional)"]);
        assert_eq!(names(&after_kept, "representatives"), vec!["Gus Rep (fictional)"]);
        // The duplicate's case now belongs to the kept record; AAA staff see the BBB case's
        // customer only through their own case, BBB staff find the kept record through theirs.
        let case = ok(&app, &legal, "query($id: ID!) { case(id: $id) { customer { id } contacts { id } } }", json!({"id": dup_case["id"]})).await;
        assert_eq!(case["customer"]["id"], kept["id"]);
        assert_eq!(case["contacts"].as_array().unwrap().len(), 1);
        // The merged record is not found by search; the kept one is.
        let found = ok(&app, &legal, "query { customers(search: \"eve same\") { id } }", json!({})).await;
        assert_eq!(found, json!([{"id": kept["id"]}]));
        // Audited with before and after, and what moved.
        let audit = events(&app, "customer.merge").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].entity_id.as_deref(), dup["id"].as_str());
        assert_eq!(audit[0].reason.as_deref(), Some("Same person, same date of birth"));
        assert!(audit[0].before.as_ref().unwrap()["merged_into_id"].is_null());
        let moved = &audit[0].after.as_ref().unwrap()["moved"];
        assert_eq!(moved["upc_case"], json!([dup_case["id"].as_str().unwrap().parse::<i64>().unwrap()]), "{moved}");
        assert_eq!(moved["contact"].as_array().unwrap().len(), 1, "{moved}");
        assert_eq!(moved["customer_member"].as_array().unwrap().len(), 1, "{moved}");
        assert_eq!(moved["representative"].as_array().unwrap().len(), 1, "{moved}");
        // A merged record cannot be changed, nor merged again.
        let body = app.graphql_as(&legal, UPDATE, json!({"i": {"id": dup["id"], "version": after_dup["version"], "displayName": "X"}})).await;
        assert_eq!(code(&body), "CONFLICT", "{body}");

        // A member added to the kept record after the merge stays with it on unmerge.
        ok(&app, &aaa, ADD_MEMBER, json!({"i": {"customerId": kept["id"], "name": "Ivy Later (fictional)"}})).await;

        // Undo: the administrator only, with the merged record's version.
        let undo = json!({"i": {"customerId": dup["id"], "version": after_dup["version"], "reason": "Not the same person after all"}});
        for token in [&aaa, &legal, &app.token(Role::StandardsCommittee, &[])] {
            let body = app.graphql_as(token, UNMERGE, undo.clone()).await;
            assert_eq!(code(&body), "FORBIDDEN", "{body}");
        }
        let body = app.graphql_as(&admin, UNMERGE, json!({"i": {"customerId": dup["id"], "version": 1, "reason": "r"}})).await;
        assert_eq!(code(&body), "CONFLICT", "{body}");
        let body = app.graphql_as(&admin, UNMERGE, json!({"i": {"customerId": kept["id"], "version": 1, "reason": "r"}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("customerId".into())), "{body}");
        let restored = ok(&app, &admin, UNMERGE, undo).await;
        assert_eq!(restored["id"], dup["id"]);
        assert!(restored["mergedIntoId"].is_null());
        let back_kept = read(&app, &kept["id"]).await;
        let back_dup = read(&app, &dup["id"]).await;
        // Exactly as before, apart from versions and the member added since.
        let strip = |mut c: Value| {
            c["version"] = Value::Null;
            for list in ["members", "representatives"] {
                for m in c[list].as_array_mut().unwrap() {
                    m["version"] = Value::Null;
                }
            }
            c
        };
        assert_eq!(strip(back_dup.clone()), strip(before_dup.clone()));
        assert_eq!(names(&back_kept, "members"), vec!["Hal Member (fictional)", "Ivy Later (fictional)"]);
        let mut expected = strip(before_kept.clone());
        expected["members"].as_array_mut().unwrap().push(json!(null));
        let mut got = strip(back_kept.clone());
        got["members"][1] = json!(null);
        assert_eq!(got, expected);
        let case = ok(&app, &legal, "query($id: ID!) { case(id: $id) { customer { id } contacts { id } } }", json!({"id": dup_case["id"]})).await;
        assert_eq!(case["customer"]["id"], dup["id"]);
        assert_eq!(case["contacts"].as_array().unwrap().len(), 1);
        let case = ok(&app, &legal, "query($id: ID!) { case(id: $id) { customer { id } } }", json!({"id": kept_case["id"]})).await;
        assert_eq!(case["customer"]["id"], kept["id"]);
        let audit = events(&app, "customer.unmerge").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor_sub, "user-admin");
        assert_eq!(audit[0].before.as_ref().unwrap()["merged_into_id"], json!(kept["id"].as_str().unwrap().parse::<i64>().unwrap()));
        // Undone once: not again.
        let body = app.graphql_as(&admin, UNMERGE, json!({"i": {"customerId": dup["id"], "version": back_dup["version"], "reason": "r"}})).await;
        assert_eq!(error(&body), ("BAD_USER_INPUT".into(), Some("customerId".into())), "{body}");
    }

    async fn merging_two_open_cases_in_one_service_is_refused(app) {
        services(&app).await;
        let aaa = officer(&app, "AAA");
        let one = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "Jo Twice (fictional)"})).await;
        let two = create(&app, &aaa, json!({"serviceCode": "AAA", "displayName": "Jo Twice (fictional)"})).await;
        report(&app, &one["id"], "AAA").await;
        report(&app, &two["id"], "AAA").await;
        let body = app.graphql_as(&app.token(Role::LegalServices, &[]), MERGE, json!({"i": {"keepId": one["id"], "keepVersion": 1, "mergeId": two["id"], "mergeVersion": 1, "reason": "Same person"}})).await;
        assert_eq!(code(&body), "CONFLICT", "{body}");
        assert!(events(&app, "customer.merge").await.is_empty());
    }
}
