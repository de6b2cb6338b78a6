//! The staff directory (issue 19, item 3) through HTTP, on both databases: the administrator
//! keeps members of staff, teams and the roles they hold per service (audited, versioned);
//! council staff read who holds which role in a service; sign-in with an identity provider's
//! token fills the directory (once per change of claims); and a deactivated member of staff
//! cannot be named in a new Stage 2 named-contact restriction.

use api::auth::Role;
use api::auth::testing::{JwksServer, TestKey, claims, jwks_json};
use entities::{audit_event, staff_member, staff_role};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{TestApp, db_tests};

use crate::lifecycle::drive::{World, expect, immediate_stage2};

const MEMBER: &str =
    "id displayName jobTitle email serviceCodes teamId active version roles { role serviceCode }";
const TEAM: &str = "id name serviceCode active version";

/// How many audit events record `action`.
async fn audited(app: &TestApp, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.db)
        .await
        .unwrap()
}

/// Send mutation `op` with `input` as `token`; the whole body.
async fn send(app: &TestApp, token: &str, op: &str, input: Value, fields: &str) -> Value {
    let ty = match op {
        "deactivateStaffMember"
        | "reactivateStaffMember"
        | "deactivateStaffTeam"
        | "reactivateStaffTeam" => "VersionedIdInput".to_string(),
        "assignStaffRole" | "removeStaffRole" => "StaffRoleInput".to_string(),
        _ => format!("{}{}Input", op[..1].to_uppercase(), &op[1..]),
    };
    let doc = format!("mutation($input: {ty}!) {{ {op}(input: $input) {{ {fields} }} }}");
    app.graphql_as(token, &doc, json!({"input": input})).await
}

/// Send `op` as the administrator: it must succeed; its result.
async fn ok(app: &TestApp, op: &str, input: Value, fields: &str) -> Value {
    let body = send(app, &app.token(Role::Admin, &[]), op, input, fields).await;
    assert!(body["errors"].is_null(), "{op} failed: {body}");
    body["data"][op].clone()
}

/// Send `op` as the administrator: it must be refused; the first error.
async fn refused(app: &TestApp, op: &str, input: Value) -> Value {
    let body = send(app, &app.token(Role::Admin, &[]), op, input, "__typename").await;
    assert!(
        body["data"].is_null() || body["data"][op].is_null(),
        "{op} was not refused: {body}"
    );
    body["errors"][0].clone()
}

async fn service(app: &TestApp, code: &str) {
    let body = app
        .graphql_as(
            &app.token(Role::Admin, &[]),
            "mutation($c: String!) { createService(input: {code: $c, name: $c}) { id } }",
            json!({"c": code}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

db_tests! {
    async fn the_administrator_keeps_staff_and_teams_audited_and_versioned(app) {
        service(&app, "HOU").await;
        let team = ok(&app, "createStaffTeam", json!({"serviceCode": "HOU", "name": "Tenancy"}), TEAM).await;
        assert_eq!(team["serviceCode"], "HOU");
        assert_eq!(team["active"], true);
        let dup = refused(&app, "createStaffTeam", json!({"serviceCode": "HOU", "name": "Tenancy"})).await;
        expect(&dup, "CONFLICT", None);
        let member = ok(&app, "createStaffMember", json!({"displayName": "Alex Jones", "email": "alex@council.example", "jobTitle": "Housing officer", "teamId": team["id"]}), MEMBER).await;
        assert_eq!(member["teamId"], team["id"], "{member}");
        assert_eq!(member["version"], 1);
        let bad = refused(&app, "createStaffMember", json!({"displayName": "X", "email": "not an address"})).await;
        expect(&bad, "BAD_USER_INPUT", Some("email"));
        let blank = refused(&app, "createStaffMember", json!({"displayName": "  "})).await;
        expect(&blank, "BAD_USER_INPUT", Some("displayName"));

        let renamed = ok(&app, "updateStaffMember", json!({"id": member["id"], "version": 1, "displayName": "Alex Morgan", "clearTeam": true}), MEMBER).await;
        assert_eq!(renamed["displayName"], "Alex Morgan");
        assert_eq!(renamed["teamId"], Value::Null);
        assert_eq!(renamed["version"], 2);
        let stale = refused(&app, "updateStaffMember", json!({"id": member["id"], "version": 1, "displayName": "Late"})).await;
        expect(&stale, "CONFLICT", None);

        let gone = ok(&app, "deactivateStaffMember", json!({"id": member["id"], "version": 2}), MEMBER).await;
        assert_eq!(gone["active"], false);
        let twice = refused(&app, "deactivateStaffMember", json!({"id": member["id"], "version": 3})).await;
        expect(&twice, "CONFLICT", None);
        let back = ok(&app, "reactivateStaffMember", json!({"id": member["id"], "version": 3}), MEMBER).await;
        assert_eq!(back["active"], true);

        let team2 = ok(&app, "updateStaffTeam", json!({"id": team["id"], "version": 1, "name": "Tenancy Services"}), TEAM).await;
        assert_eq!(team2["name"], "Tenancy Services");
        let closed = ok(&app, "deactivateStaffTeam", json!({"id": team["id"], "version": 2}), TEAM).await;
        assert_eq!(closed["active"], false);
        let into_closed = refused(&app, "updateStaffMember", json!({"id": member["id"], "version": 4, "teamId": team["id"]})).await;
        expect(&into_closed, "BAD_USER_INPUT", Some("teamId"));

        for (action, n) in [("staff_team.create", 1), ("staff_team.update", 1), ("staff_team.deactivate", 1),
            ("staff_member.create", 1), ("staff_member.update", 1), ("staff_member.deactivate", 1), ("staff_member.reactivate", 1)] {
            assert_eq!(audited(&app, action).await, n, "{action}");
        }
        let teams = app.graphql_as(&app.token(Role::Officer, &["HOU"]), "{ active: staffTeams(active: true) { name } all: staffTeams(serviceCode: \"HOU\") { name active } }", json!({})).await;
        assert_eq!(teams["data"]["active"], json!([]), "{teams}");
        assert_eq!(teams["data"]["all"], json!([{"name": "Tenancy Services", "active": false}]), "{teams}");
        // Only the administrator writes the directory.
        let officer = send(&app, &app.token(Role::Officer, &["HOU"]), "createStaffMember", json!({"displayName": "No"}), "id").await;
        assert_eq!(officer["errors"][0]["extensions"]["code"], "FORBIDDEN", "{officer}");
    }

    async fn roles_per_service_show_who_is_head_of_service(app) {
        service(&app, "HOU").await;
        service(&app, "LEI").await;
        let head = ok(&app, "createStaffMember", json!({"displayName": "Hana Head"}), MEMBER).await;
        let other = ok(&app, "createStaffMember", json!({"displayName": "Omar Officer"}), MEMBER).await;
        let assigned = ok(&app, "assignStaffRole", json!({"staffMemberId": head["id"], "serviceCode": "HOU", "role": "head_of_service"}), MEMBER).await;
        assert_eq!(assigned["roles"], json!([{"role": "head_of_service", "serviceCode": "HOU"}]), "{assigned}");
        assert_eq!(assigned["serviceCodes"], json!(["HOU"]));
        ok(&app, "assignStaffRole", json!({"staffMemberId": other["id"], "serviceCode": "LEI", "role": "officer"}), "id").await;
        let again = refused(&app, "assignStaffRole", json!({"staffMemberId": head["id"], "serviceCode": "HOU", "role": "head_of_service"})).await;
        expect(&again, "CONFLICT", None);
        let not_per_service = refused(&app, "assignStaffRole", json!({"staffMemberId": head["id"], "serviceCode": "HOU", "role": "legal_services"})).await;
        expect(&not_per_service, "BAD_USER_INPUT", Some("role"));
        let unknown = refused(&app, "assignStaffRole", json!({"staffMemberId": head["id"], "serviceCode": "HOU", "role": "boss"})).await;
        expect(&unknown, "BAD_USER_INPUT", Some("role"));
        assert_eq!(audited(&app, "staff_role.assign").await, 2);

        let q = "{ services { code staff(role: \"head_of_service\") { displayName } } staffMembers(role: \"head_of_service\", serviceCode: \"HOU\") { displayName } }";
        let officer = app.graphql_as(&app.token(Role::Officer, &["HOU"]), q, json!({})).await;
        assert_eq!(officer["data"]["services"], json!([{"code": "HOU", "staff": [{"displayName": "Hana Head"}]}, {"code": "LEI", "staff": []}]), "{officer}");
        assert_eq!(officer["data"]["staffMembers"], json!([{"displayName": "Hana Head"}]), "{officer}");
        let lei = app.graphql_as(&app.token(Role::Officer, &["LEI"]), "{ staffMembers(serviceCode: \"LEI\") { displayName } }", json!({})).await;
        assert_eq!(lei["data"]["staffMembers"], json!([{"displayName": "Omar Officer"}]), "{lei}");
        // Not the Standards Committee, nor elected members.
        for role in [Role::StandardsCommittee, Role::ElectedMember] {
            let body = app.graphql_as(&app.token(role, &["HOU"]), "{ services { code staff(role: \"head_of_service\") { displayName } } }", json!({})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        }

        let removed = ok(&app, "removeStaffRole", json!({"staffMemberId": head["id"], "serviceCode": "HOU", "role": "head_of_service"}), MEMBER).await;
        assert_eq!(removed["roles"], json!([]));
        let missing = refused(&app, "removeStaffRole", json!({"staffMemberId": head["id"], "serviceCode": "HOU", "role": "head_of_service"})).await;
        expect(&missing, "NOT_FOUND", None);
        assert_eq!(audited(&app, "staff_role.remove").await, 1);
        let after = app.graphql_as(&app.token(Role::Officer, &["HOU"]), q, json!({})).await;
        assert_eq!(after["data"]["staffMembers"], json!([]), "{after}");
    }

    async fn sign_in_fills_the_directory_once_per_change(app) {
        service(&app, "HOU").await;
        let key = TestKey::rs256("k1").unwrap();
        let server = JwksServer::start(&jwks_json(&[&key]).unwrap()).await.unwrap();
        let url = server.url();
        let idp = TestApp::spawn_with(app.backend, |s| {
            s.database_url = app.database_url.clone();
            s.auth_jwks = Some(url.clone());
            s.auth_issuer = Some("https://login.example/tenant/v2.0".into());
            s.auth_audience = Some("api://upc".into());
        }).await.unwrap();
        let token = |name: &str| {
            let mut c = claims("https://login.example/tenant/v2.0", "api://upc", "pairwise-sub-1", 600);
            c["oid"] = json!("00000000-0000-0000-0000-0000000000a1");
            c["name"] = json!(name);
            c["preferred_username"] = json!("sam.manager@council.example");
            c["roles"] = json!(["service_manager"]);
            c["services"] = json!(["HOU", "NOPE"]);
            key.mint(&c).unwrap()
        };
        let me = "{ me { subject } }";
        let body = idp.graphql_as(&token("Sam Manager"), me, json!({})).await;
        assert_eq!(body["data"]["me"]["subject"], "pairwise-sub-1", "{body}");
        let rows = staff_member::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].display_name, "Sam Manager");
        assert_eq!(rows[0].object_id.as_deref(), Some("00000000-0000-0000-0000-0000000000a1"));
        assert_eq!(rows[0].email.as_deref(), Some("sam.manager@council.example"));
        assert_eq!(staff_role::Entity::find().count(&app.db).await.unwrap(), 1, "service manager of HOU");
        assert_eq!(audited(&app, "staff_member.sign_in").await, 1);
        assert_eq!(audited(&app, "staff_role.sign_in").await, 1);
        let audit = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("staff_member.sign_in"))
            .one(&app.db).await.unwrap().unwrap();
        assert_eq!(audit.actor_sub, "system:sign-in");

        // The same claims again: nothing is written.
        let before = audit_event::Entity::find().count(&app.db).await.unwrap();
        for _ in 0..3 {
            idp.graphql_as(&token("Sam Manager"), me, json!({})).await;
        }
        assert_eq!(audit_event::Entity::find().count(&app.db).await.unwrap(), before);
        // A changed name updates the row, once.
        idp.graphql_as(&token("Sam Manager-Jones"), me, json!({})).await;
        idp.graphql_as(&token("Sam Manager-Jones"), me, json!({})).await;
        let rows = staff_member::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].display_name, "Sam Manager-Jones");
        assert_eq!(rows[0].version, 2);
        assert_eq!(audited(&app, "staff_member.sign_in").await, 2);
        let holders = app.graphql_as(&app.token(Role::Officer, &["HOU"]), "{ services { staff(role: \"service_manager\") { displayName email } } }", json!({})).await;
        assert_eq!(holders["data"]["services"], json!([{"staff": [{"displayName": "Sam Manager-Jones", "email": "sam.manager@council.example"}]}]), "{holders}");
    }

    async fn a_deactivated_member_of_staff_cannot_be_named_in_a_new_stage_2(app) {
        let w = World::new(&app, "HOU").await;
        let gone = ok(&app, "createStaffMember", json!({"displayName": "Lee Left"}), MEMBER).await;
        let here = ok(&app, "createStaffMember", json!({"displayName": "Cara Contact"}), MEMBER).await;
        ok(&app, "deactivateStaffMember", json!({"id": gone["id"], "version": 1}), "id").await;
        let named = |id: &Value| json!([{"parameters": {"namedContact": {"staffMemberId": id}}}]);
        let case = w.determined("Named Contact Customer", "en").await;
        let error = w.fail("decideStage2", immediate_stage2(&case, named(&gone["id"]))).await;
        expect(&error, "BAD_USER_INPUT", None);
        let field = error["extensions"]["field"].as_str().unwrap_or_default();
        assert!(field.ends_with("staffMemberId"), "{error}");
        assert!(error["message"].as_str().unwrap_or_default().contains("deactivated"), "{error}");
        let decided = w.act("decideStage2", &case, immediate_stage2(&case, named(&here["id"]))).await;
        assert_eq!(decided["stage"], "stage_2_restricted", "{decided}");
        // Deactivating the named officer later keeps the restriction as it was.
        let version = here["version"].as_i64().unwrap();
        ok(&app, "deactivateStaffMember", json!({"id": here["id"], "version": version}), "id").await;
        let restriction = entities::restriction::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert!(serde_json::to_string(&restriction.parameters).unwrap().contains("staff_member_id"));
    }
}
