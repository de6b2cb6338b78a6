//! Sign-in and per-role authorisation, through HTTP, on both databases.

use api::auth::Role;
use api::auth::testing::{JwksServer, TestKey, claims, jwks_json};
use api::authz::policy::{self, Verdict};
use chrono::Utc;
use entities::enums::{
    Behaviour, CaseStage, CaseStatus, CustomerKind, Language, ReportChannel, ReporterRole,
};
use entities::{behaviour_report, behaviour_report_type, customer, service, upc_case};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use tests::{Backend, TestApp, db_tests};

/// Two services, a case in each; the case in `AAA` has a report by elected Member `member-1`.
async fn seed(app: &TestApp) {
    let now = Utc::now();
    for (i, code) in ["AAA", "BBB"].iter().enumerate() {
        let svc = service::ActiveModel {
            code: Set(code.to_string()),
            name: Set(format!("Service {code}")),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let cust = customer::ActiveModel {
            reference: Set(format!("C-00000{i}")),
            kind: Set(CustomerKind::Person),
            display_name: Set(format!("Customer Name {code}")),
            address: Set(Some(format!("1 {code} Street"))),
            email: Set(None),
            phone: Set(None),
            preferred_language: Set(Language::En),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let case = upc_case::ActiveModel {
            reference: Set(format!("UPC-2026-000{i}")),
            customer_id: Set(cust.id),
            service_id: Set(svc.id),
            stage: Set(CaseStage::Reported),
            status: Set(CaseStatus::Open),
            opened_at: Set(now),
            flagged_for_review: Set(false),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let report = behaviour_report::ActiveModel {
            case_id: Set(case.id),
            reported_by: Set(if i == 0 {
                "member-1".into()
            } else {
                "user-officer".into()
            }),
            reporter_name: Set("Reporter".into()),
            reporter_role: Set(if i == 0 {
                ReporterRole::ElectedMember
            } else {
                ReporterRole::Officer
            }),
            channel: Set(ReportChannel::Telephone),
            occurred_at: Set(now),
            description: Set("Shouted at staff (fictional)".into()),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        behaviour_report_type::ActiveModel {
            report_id: Set(report.id),
            behaviour: Set(Behaviour::AggressiveIntimidatingThreatening),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
}

/// A token for `role` in service `AAA`; the elected Member is `member-1`.
fn token(app: &TestApp, role: Role) -> String {
    let subject = if role == Role::ElectedMember {
        "member-1".to_string()
    } else {
        format!("user-{}", role.as_str())
    };
    app.token_for(&subject, &[role], &["AAA"])
}

/// A document exercising each operation of the policy.
fn operation_document(op: &str, n: usize) -> (String, Value) {
    let doc = match op {
        "Query.serverInfo" => "{ serverInfo { version } }".to_string(),
        "Query.me" => "{ me { subject } }".to_string(),
        "Query.services" => "{ services { code } }".to_string(),
        "Query.establishments" => "{ establishments { name } }".to_string(),
        "Query.staffMembers" => "{ staffMembers { displayName } }".to_string(),
        "Query.customers" => r#"{ customers(search: "C-0") { reference } }"#.to_string(),
        "Query.staffTeams" => "{ staffTeams { name } }".to_string(),
        "Mutation.createStaffMember" => format!(
            "mutation {{ createStaffMember(input: {{displayName: \"Staff {n}\"}}) {{ id }} }}"
        ),
        "Mutation.updateStaffMember" => r#"mutation { updateStaffMember(input: {id: "999", version: 1, displayName: "x"}) { id } }"#.to_string(),
        "Mutation.deactivateStaffMember" => r#"mutation { deactivateStaffMember(input: {id: "999", version: 1}) { id } }"#.to_string(),
        "Mutation.reactivateStaffMember" => r#"mutation { reactivateStaffMember(input: {id: "999", version: 1}) { id } }"#.to_string(),
        "Mutation.createStaffTeam" => format!(
            "mutation {{ createStaffTeam(input: {{serviceCode: \"AAA\", name: \"Team {n}\"}}) {{ id }} }}"
        ),
        "Mutation.updateStaffTeam" => r#"mutation { updateStaffTeam(input: {id: "999", version: 1, name: "x"}) { id } }"#.to_string(),
        "Mutation.deactivateStaffTeam" => r#"mutation { deactivateStaffTeam(input: {id: "999", version: 1}) { id } }"#.to_string(),
        "Mutation.reactivateStaffTeam" => r#"mutation { reactivateStaffTeam(input: {id: "999", version: 1}) { id } }"#.to_string(),
        "Mutation.assignStaffRole" => r#"mutation { assignStaffRole(input: {staffMemberId: "999", serviceCode: "AAA", role: "head_of_service"}) { id } }"#.to_string(),
        "Mutation.removeStaffRole" => r#"mutation { removeStaffRole(input: {staffMemberId: "999", serviceCode: "AAA", role: "head_of_service"}) { id } }"#.to_string(),
        "Query.reportJob" => r#"{ reportJob(id: "1") { id } }"#.to_string(),
        "Query.reportJobs" => "{ reportJobs { nodes { id } } }".to_string(),
        "Mutation.requestAnnualReport" => "mutation { requestAnnualReport(input: {reportingYear: 2024}) { id } }".to_string(),
        "Subscription.reportJobUpdated" => r#"subscription { reportJobUpdated(id: "999999") { id } }"#.to_string(),
        "Query.customer" => "{ customer(id: \"1\") { reference } }".to_string(),
        "Query.cases" => "{ cases { nodes { reference } } }".to_string(),
        "Query.case" => "{ case(id: \"1\") { reference } }".to_string(),
        "Mutation.createService" => format!(
            "mutation {{ createService(input: {{code: \"S{n}\", name: \"Service {n}\"}}) {{ code }} }}"
        ),
        "Mutation.updateService" => {
            "mutation { updateService(input: {id: \"1\", version: 999, name: \"x\"}) { code } }"
                .to_string()
        }
        "Mutation.createEstablishment" => format!(
            "mutation {{ createEstablishment(input: {{name: \"E{n}\", address: \"1 Street\"}}) {{ name }} }}"
        ),
        "Query.letter" => "{ letter(id: \"1\") { id } }".to_string(),
        "Query.letterTemplates" => "{ letterTemplates { kind } }".to_string(),
        "Query.currentLetterTemplate" => {
            "{ currentLetterTemplate(kind: \"stage_1_warning\", language: \"en\") { body } }"
                .to_string()
        }
        "Query.closureDays" => "{ closureDays { day } }".to_string(),
        "Query.bankHolidays" => "{ bankHolidays(year: 2026) { day } }".to_string(),
        "Query.appealDeadline" => "{ appealDeadline(letterDate: \"2026-12-11\") }".to_string(),
        "Query.reviewsDue" => "{ reviewsDue { dueOn } }".to_string(),
        "Mutation.reportBehaviour" => r#"mutation { reportBehaviour(input: {customerId: "1", serviceCode: "AAA", behaviours: ["numerous_repeat_calls"], channel: "telephone", occurredAt: "2026-01-05T10:00:00Z", description: "Called 30 times"}) { id } }"#.to_string(),
        "Mutation.determineBehaviour" => r#"mutation { determineBehaviour(input: {caseId: "1", version: 999, unreasonable: true, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.issueStage1Warning" => r#"mutation { issueStage1Warning(input: {caseId: "1", version: 999, reasons: "r", serviceDirectorConsulted: "SD", consultedOn: "2026-01-05", adjustmentsConsidered: "a", proportionality: "p"}) { id } }"#.to_string(),
        "Mutation.logAppeal" => r#"mutation { logAppeal(input: {caseId: "1", version: 999, receivedOn: "2026-01-05", grounds: "g"}) { id } }"#.to_string(),
        "Mutation.decideAppeal" => r#"mutation { decideAppeal(input: {caseId: "1", version: 999, upheld: false, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.decideStage2" => r#"mutation { decideStage2(input: {caseId: "1", version: 999, consultedRole: "legal_services", consultedName: "L", adjustmentsConsidered: "a", proportionality: "p", reasons: "r", restrictions: [{parameters: {contactForm: {permittedChannels: ["letter"]}}}]}) { id } }"#.to_string(),
        "Mutation.imposeRestriction" => r#"mutation { imposeRestriction(input: {caseId: "1", version: 999, reasons: "r", proportionality: "p", restriction: {parameters: {termination: {permanentExclusionFromPremises: false}}}}) { id } }"#.to_string(),
        "Mutation.varyRestriction" => r#"mutation { varyRestriction(input: {restrictionId: "1", version: 999, reasons: "r", parameters: {contactForm: {permittedChannels: ["letter"]}}}) { id } }"#.to_string(),
        "Mutation.extendRestriction" => r#"mutation { extendRestriction(input: {restrictionId: "1", version: 999, reasons: "r", endsOn: "2027-01-01"}) { id } }"#.to_string(),
        "Mutation.makeRestrictionPermanent" => r#"mutation { makeRestrictionPermanent(input: {restrictionId: "1", version: 999, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.liftRestriction" => r#"mutation { liftRestriction(input: {restrictionId: "1", version: 999, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.recordBreach" => r#"mutation { recordBreach(input: {restrictionId: "1", occurredAt: "2026-01-05T10:00:00Z", description: "d"}) { id } }"#.to_string(),
        "Mutation.considerNewIssue" => r#"mutation { considerNewIssue(input: {caseId: "1", version: 999, description: "d", restrictionsRemainAppropriate: true, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.recommendReview" => r#"mutation { recommendReview(input: {caseId: "1", version: 999, recommendation: "continue", reasons: "r"}) { id } }"#.to_string(),
        "Mutation.endorseReview" => r#"mutation { endorseReview(input: {caseId: "1", version: 999, endorsed: true, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.markLetterSent" => r#"mutation { markLetterSent(input: {letterId: "1", version: 1}) { id } }"#.to_string(),
        "Mutation.createLetterTemplate" => r#"mutation { createLetterTemplate(input: {kind: "stage_1_warning", language: "en", subject: "s", body: "b"}) { id } }"#.to_string(),
        "Mutation.addClosureDay" => format!(
            "mutation {{ addClosureDay(input: {{day: \"2030-01-{:02}\", description: \"Closed\"}}) {{ id }} }}",
            n % 28 + 1
        ),
        "Mutation.removeClosureDay" => r#"mutation { removeClosureDay(id: "999") { id } }"#.to_string(),
        "Mutation.createCustomer" => format!(r#"mutation {{ createCustomer(input: {{serviceCode: "AAA", displayName: "New Person {n}"}}) {{ id }} }}"#),
        "Mutation.updateCustomer" => r#"mutation { updateCustomer(input: {id: "1", version: 999, displayName: "N"}) { id } }"#.to_string(),
        "Mutation.addCustomerMember" => r#"mutation { addCustomerMember(input: {customerId: "1", name: "M"}) { id } }"#.to_string(),
        "Mutation.removeCustomerMember" => r#"mutation { removeCustomerMember(input: {id: "999", version: 1}) { id } }"#.to_string(),
        "Mutation.addRepresentative" => r#"mutation { addRepresentative(input: {customerId: "1", name: "R", authorityConfirmed: false}) { id } }"#.to_string(),
        "Mutation.updateRepresentative" => r#"mutation { updateRepresentative(input: {id: "999", version: 1, name: "R", authorityConfirmed: false}) { id } }"#.to_string(),
        "Mutation.removeRepresentative" => r#"mutation { removeRepresentative(input: {id: "999", version: 1}) { id } }"#.to_string(),
        "Mutation.mergeCustomers" => r#"mutation { mergeCustomers(input: {keepId: "1", keepVersion: 999, mergeId: "2", mergeVersion: 999, reason: "r"}) { id } }"#.to_string(),
        "Mutation.unmergeCustomers" => r#"mutation { unmergeCustomers(input: {customerId: "1", version: 999, reason: "r"}) { id } }"#.to_string(),
        "Query.contactCheck" => r#"{ contactCheck(input: {customerId: "1", serviceCode: "AAA", channel: "letter"}) { allowed } }"#.to_string(),
        "Query.filedCorrespondence" => "{ filedCorrespondence { id } }".to_string(),
        "Query.deadlines" => "{ deadlines { kind } }".to_string(),
        "Mutation.logContact" => r#"mutation { logContact(input: {customerId: "1", serviceCode: "AAA", channel: "letter", direction: "inbound", summary: "A letter"}) { allowed } }"#.to_string(),
        "Mutation.reviewFiledContact" => r#"mutation { reviewFiledContact(input: {contactId: "999", version: 1, raisesNewIssue: false, safeguardingConcern: false}) { id } }"#.to_string(),
        "Query.notifications" => "{ notifications { id summary } }".to_string(),
        "Mutation.markNotificationRead" => r#"mutation { markNotificationRead(id: "999") { id } }"#.to_string(),
        // Over the WebSocket (see the matrix test); `since` replays the seeded notification.
        "Subscription.restrictionAlerts" => r#"subscription { restrictionAlerts(since: "0") { id summary } }"#.to_string(),
        "Mutation.reportThreat" => r#"mutation { reportThreat(input: {caseId: "999", reasons: "r", imminentRisk: false}) { id } }"#.to_string(),
        "Mutation.excludeTemporarily" => r#"mutation { excludeTemporarily(input: {hsIncidentId: "999", establishmentIds: ["1"], endsOn: "2099-01-01", reasons: "r"}) { id } }"#.to_string(),
        "Mutation.excludeLongTerm" => r#"mutation { excludeLongTerm(input: {exclusionId: "999", version: 1, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.liftExclusion" => r#"mutation { liftExclusion(input: {exclusionId: "999", version: 1, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.recordHsV1Reference" => r#"mutation { recordHsV1Reference(input: {hsIncidentId: "999", version: 1, hsV1Reference: "HSV1-1"}) { id } }"#.to_string(),
        "Mutation.recordPoliceReferral" => r#"mutation { recordPoliceReferral(input: {caseId: "999", referredOn: "2026-01-05", reason: "threat"}) { id } }"#.to_string(),
        "Mutation.recordCallTermination" => r#"mutation { recordCallTermination(input: {caseId: "999", terminatedAt: "2026-01-05T10:00:00Z", warningGiven: "w", reason: "r"}) { id } }"#.to_string(),
        "Mutation.referHarassment" => r#"mutation { referHarassment(input: {caseId: "999", callTerminationIds: ["1"], referredTo: "Head of Service", reasons: "r"}) { id } }"#.to_string(),
        "Mutation.reportHarassmentToPolice" => r#"mutation { reportHarassmentToPolice(input: {harassmentReferralId: "999", version: 1, referredOn: "2026-01-05"}) { id } }"#.to_string(),
        "Mutation.logExclusionAppeal" => r#"mutation { logExclusionAppeal(input: {exclusionId: "999", receivedOn: "2026-01-05", grounds: "g"}) { id } }"#.to_string(),
        "Mutation.recordRecordingRequest" => r#"mutation { recordRecordingRequest(input: {caseId: "999", requestedAt: "2026-01-05T10:00:00Z", context: "c", agreed: true}) { id } }"#.to_string(),
        "Query.auditEvents" => "{ auditEvents(first: 5) { nodes { id action } } }".to_string(),
        "Query.accessRecords" => "{ accessRecords(first: 5) { nodes { id category } } }".to_string(),
        "Mutation.recordReasonableAdjustment" => r#"mutation { recordReasonableAdjustment(input: {customerId: "1", need: "n", adjustment: "a", agreedBy: "b", agreedOn: "2026-01-05"}) { id } }"#.to_string(),
        "Mutation.updateReasonableAdjustment" => r#"mutation { updateReasonableAdjustment(input: {id: "999", version: 1, need: "n"}) { id } }"#.to_string(),
        "Mutation.endReasonableAdjustment" => r#"mutation { endReasonableAdjustment(input: {id: "999", version: 1, reasons: "r"}) { id } }"#.to_string(),
        "Mutation.subjectAccessBundle" => r#"mutation { subjectAccessBundle(customerId: "1") { generatedAt counts { kind count } } }"#.to_string(),
        other => panic!("the matrix test has no document for {other}: add one"),
    };
    (doc, json!({}))
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

const CASE_FIELDS: &str = "id reference serviceCode stage status openedAt closedAt closureReason \
    appealDeadline reviewDueOn flaggedForReview version \
    customer { id reference kind preferredLanguage displayName address email phone reasonableAdjustments { id } version mergedIntoId mergedAt members { id } representatives { id } } \
    reports { id behaviours channel occurredAt description reporterName } \
    serviceName allowedSteps flagReason determinations { id } stage1Warnings { id } \
    appeals { id } stage2Decisions { id } restrictions { id } breaches { id } reviews { id } \
    newIssueConsiderations { id } letters { id } timeline { kind summary } hsIncidents { id } exclusions { id } policeReferrals { id } callTerminations { id } harassmentReferrals { id } recordingRequests { id } contacts { id }";

db_tests! {
    async fn no_token_is_401_with_bearer_challenge(app) {
        let r = app.client.post(format!("{}/graphql", app.base_url))
            .json(&json!({"query": "{ me { subject } }"})).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }

    async fn malformed_token_is_401_invalid_token(app) {
        let r = app.client.post(format!("{}/graphql", app.base_url))
            .bearer_auth("not.a.jwt")
            .json(&json!({"query": "{ me { subject } }"})).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    }

    async fn token_in_query_string_is_ignored(app) {
        let token = app.token(Role::LegalServices, &[]);
        let r = app.client.post(format!("{}/graphql?access_token={token}", app.base_url))
            .json(&json!({"query": "{ me { subject } }"})).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }

    async fn me_reports_roles_and_services(app) {
        let t = app.token_for("u1", &[Role::Officer], &["HOU"]);
        let body = app.graphql_as(&t, "{ me { subject roles services } }", json!({})).await;
        assert_eq!(body["data"]["me"], json!({"subject": "u1", "roles": ["officer"], "services": ["HOU"]}));
    }

    async fn matrix_every_role_every_operation(app) {
        seed(&app).await;
        crate::alerts::seed_notification(&app, "AAA").await;
        let mut n = 0;
        for role in Role::ALL {
            let t = token(&app, role);
            for (op, _) in policy::OPERATIONS {
                n += 1;
                let (doc, vars) = operation_document(op, n);
                let body = if op.starts_with("Subscription.") {
                    // Subscriptions are served over WebSocket: the first answer.
                    crate::alerts::first_payload(&app, &t, &doc).await
                } else {
                    app.graphql_as(&t, &doc, vars).await
                };
                let field = op.split('.').nth(1).unwrap();
                let expected = policy::verdict(op.split('.').next().unwrap(), field, &[role]);
                let forbidden = codes(&body).iter().any(|c| c == "FORBIDDEN");
                match expected {
                    Verdict::Allow => assert!(!forbidden, "{} refused {op}: {body}", role.as_str()),
                    _ => {
                        assert!(forbidden, "{} allowed {op}: {body}", role.as_str());
                        assert!(body["data"].is_null() || body["data"][field].is_null(), "{body}");
                    }
                }
            }
        }
    }

    async fn matrix_every_case_field_for_every_case_reader(app) {
        seed(&app).await;
        let doc = format!("{{ cases {{ edges {{ cursor node {{ {CASE_FIELDS} }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} nodes {{ id }} }} }}");
        for role in Role::ALL {
            if policy::verdict("Query", "cases", &[role]) != Verdict::Allow {
                continue;
            }
            let body = app.graphql_as(&token(&app, role), &doc, json!({})).await;
            let edges = body["data"]["cases"]["edges"].as_array().unwrap_or_else(|| panic!("{body}"));
            assert!(!edges.is_empty(), "{} sees no case: {body}", role.as_str());
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            for (i, edge) in edges.iter().enumerate() {
                let node = &edge["node"];
                for (key, _) in policy::FIELDS {
                    let (ty, field) = key.split_once('.').unwrap();
                    let (value, path): (Option<&Value>, Vec<Value>) = match ty {
                        "Case" => (node.get(field), vec![json!("cases"), json!("edges"), json!(i), json!("node"), json!(field)]),
                        "Customer" if !node["customer"].is_null() => (node["customer"].get(field), vec![json!("cases"), json!("edges"), json!(i), json!("node"), json!("customer"), json!(field)]),
                        "BehaviourReport" if node["reports"].as_array().is_some_and(|r| !r.is_empty()) => (node["reports"][0].get(field), vec![json!("cases"), json!("edges"), json!(i), json!("node"), json!("reports"), json!(0), json!(field)]),
                        _ => continue,
                    };
                    let refused_here = errors.iter().any(|e| e["path"] == Value::Array(path.clone()) && e["extensions"]["code"] == "FORBIDDEN");
                    match policy::verdict(ty, field, &[role]) {
                        Verdict::Allow => assert!(!refused_here, "{} refused {key}: {body}", role.as_str()),
                        _ => {
                            assert!(refused_here, "{} was not refused {key}: {body}", role.as_str());
                            assert!(value.is_none_or(Value::is_null), "{} read {key}: {body}", role.as_str());
                        }
                    }
                }
                // Siblings of a refused field are still returned.
                assert!(node["reference"].is_string(), "{body}");
            }
        }
    }

    async fn staff_see_only_their_services_rows_5_4(app) {
        seed(&app).await;
        let body = app.graphql_as(&token(&app, Role::Officer), "{ cases { nodes { reference serviceCode } } }", json!({})).await;
        assert_eq!(body["data"]["cases"]["nodes"], json!([{"reference": "UPC-2026-0000", "serviceCode": "AAA"}]), "{body}");
        let other = app.graphql_as(&token(&app, Role::Officer), "{ case(id: \"2\") { reference } }", json!({})).await;
        assert_eq!(codes(&other), vec!["NOT_FOUND"], "{other}");
        let legal = app.graphql_as(&token(&app, Role::LegalServices), "{ cases { nodes { reference } } }", json!({})).await;
        assert_eq!(legal["data"]["cases"]["nodes"].as_array().unwrap().len(), 2);
        let found = app.graphql_as(&token(&app, Role::Officer), r#"{ customers(search: "customer name") { reference } }"#, json!({})).await;
        assert_eq!(found["data"]["customers"], json!([{"reference": "C-000000"}]), "{found}");
    }

    async fn elected_member_sees_only_what_they_reported(app) {
        seed(&app).await;
        let member = app.token_for("member-1", &[Role::ElectedMember], &[]);
        let body = app.graphql_as(&member, "{ cases { nodes { reference reports { reporterName } } } }", json!({})).await;
        assert_eq!(body["data"]["cases"]["nodes"].as_array().unwrap().len(), 1, "{body}");
        let stranger = app.token_for("member-2", &[Role::ElectedMember], &[]);
        let body = app.graphql_as(&stranger, "{ cases { nodes { reference } } }", json!({})).await;
        assert_eq!(body["data"]["cases"]["nodes"], json!([]), "{body}");
    }

    async fn standards_committee_never_sees_a_name_8_2(app) {
        seed(&app).await;
        let body = app.graphql_as(&token(&app, Role::StandardsCommittee), &format!("{{ cases {{ nodes {{ {CASE_FIELDS} }} }} }}"), json!({})).await;
        let text = body["data"].to_string();
        assert!(!text.contains("Customer Name"), "{text}");
        assert!(!text.contains("Street"), "{text}");
        assert!(!text.contains("Shouted"), "{text}");
        assert_eq!(body["data"]["cases"]["nodes"].as_array().unwrap().len(), 2);
    }

    async fn admin_manages_services_and_reads_no_case_content(app) {
        seed(&app).await;
        let admin = token(&app, Role::Admin);
        let body = app.graphql_as(&admin, "mutation { createService(input: {code: \"LEI\", name: \"Leisure\"}) { id code version } }", json!({})).await;
        assert_eq!(body["data"]["createService"]["code"], "LEI", "{body}");
        let id = body["data"]["createService"]["id"].as_str().unwrap().to_string();
        let upd = app.graphql_as(&admin, "mutation($id: ID!) { updateService(input: {id: $id, version: 1, name: \"Leisure Services\"}) { name version } }", json!({"id": id})).await;
        assert_eq!(upd["data"]["updateService"], json!({"name": "Leisure Services", "version": 2}), "{upd}");
        let stale = app.graphql_as(&admin, "mutation($id: ID!) { updateService(input: {id: $id, version: 1, name: \"Again\"}) { name } }", json!({"id": id})).await;
        assert_eq!(codes(&stale), vec!["CONFLICT"], "{stale}");
        let bad = app.graphql_as(&admin, "mutation { createService(input: {code: \"x\", name: \"\"}) { code } }", json!({})).await;
        assert_eq!(codes(&bad), vec!["BAD_USER_INPUT"]);
        assert_eq!(bad["errors"][0]["extensions"]["field"], "code");
        // One audit row per change, in the same transaction; refusals write nothing.
        use sea_orm::{EntityTrait, PaginatorTrait};
        assert_eq!(entities::audit_event::Entity::find().count(&app.db).await.unwrap(), 2);
        let cases = app.graphql_as(&admin, "{ cases { nodes { reference } } }", json!({})).await;
        assert_eq!(codes(&cases), vec!["FORBIDDEN"]);
        let officer = app.graphql_as(&token(&app, Role::Officer), "mutation { createService(input: {code: \"ZZZ\", name: \"No\"}) { code } }", json!({})).await;
        assert_eq!(codes(&officer), vec!["FORBIDDEN"]);
        assert_eq!(entities::audit_event::Entity::find().count(&app.db).await.unwrap(), 2);
    }

    async fn services_come_from_the_staff_directory_when_the_token_has_none(app) {
        seed(&app).await;
        use sea_orm::ConnectionTrait;
        app.db.execute_unprepared("INSERT INTO staff_member (subject, display_name, active, version, created_at) VALUES ('dir-user', 'Dir User', true, 1, CURRENT_TIMESTAMP)").await.unwrap();
        app.db.execute_unprepared("INSERT INTO staff_member_service (staff_member_id, service_id, version, created_at) SELECT s.id, v.id, 1, CURRENT_TIMESTAMP FROM staff_member s, service v WHERE s.subject = 'dir-user' AND v.code = 'BBB'").await.unwrap();
        // An RS256 identity provider whose tokens carry roles but no services claim.
        let key = TestKey::rs256("k1").unwrap();
        let server = JwksServer::start(&jwks_json(&[&key]).unwrap()).await.unwrap();
        let url = server.url();
        let idp = TestApp::spawn_with(app.backend, |s| {
            s.database_url = app.database_url.clone();
            s.auth_jwks = Some(url.clone());
            s.auth_issuer = Some("https://idp.test".into());
            s.auth_audience = Some("upc".into());
        }).await.unwrap();
        let mut c = claims("https://idp.test", "upc", "dir-user", 600);
        c["roles"] = json!(["officer"]);
        let t = key.mint(&c).unwrap();
        let body = idp.graphql_as(&t, "{ me { services } cases { nodes { serviceCode } } }", json!({})).await;
        assert_eq!(body["data"]["me"]["services"], json!(["BBB"]), "{body}");
        assert_eq!(body["data"]["cases"]["nodes"], json!([{"serviceCode": "BBB"}]), "{body}");
    }

    async fn rs256_and_es256_tokens_from_an_identity_provider_end_to_end(app) {
        let rsa = TestKey::rs256("rsa-1").unwrap();
        let ec = TestKey::es256("ec-1").unwrap();
        let server = JwksServer::start(&jwks_json(&[&rsa, &ec]).unwrap()).await.unwrap();
        let url = server.url();
        let idp = TestApp::spawn_with(app.backend, |s| {
            s.database_url = app.database_url.clone();
            s.auth_jwks = Some(url.clone());
            s.auth_issuer = Some("https://login.example/tenant/v2.0".into());
            s.auth_audience = Some("api://upc".into());
            s.auth_role_map.insert("UPC.LegalServices".into(), Role::LegalServices);
        }).await.unwrap();
        for key in [&rsa, &ec] {
            let mut c = claims("https://login.example/tenant/v2.0", "api://upc", "entra-user", 600);
            c["roles"] = json!(["UPC.LegalServices", "Something.Else"]);
            c["services"] = json!(["HOU"]);
            let t = key.mint(&c).unwrap();
            let body = idp.graphql_as(&t, "{ me { subject roles services } }", json!({})).await;
            assert_eq!(body["data"]["me"], json!({"subject": "entra-user", "roles": ["legal_services"], "services": ["HOU"]}), "{body}");
        }
        // Wrong audience and an embedded HS256 token are refused in JWKS mode.
        let t = rsa.mint(&claims("https://login.example/tenant/v2.0", "api://other", "x", 600)).unwrap();
        let r = idp.client.post(format!("{}/graphql", idp.base_url)).bearer_auth(t).json(&json!({"query": "{ me { subject } }"})).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let embedded = app.token(Role::Admin, &[]);
        let r = idp.client.post(format!("{}/graphql", idp.base_url)).bearer_auth(embedded).json(&json!({"query": "{ me { subject } }"})).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
}

/// Deny by default: every field the schema serves has a policy entry.
#[tokio::test]
async fn every_schema_field_has_a_policy_entry() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let body = app
        .graphql(
            "{ __schema { types { name kind fields { name } } } }",
            json!({}),
        )
        .await;
    let mut missing = vec![];
    for ty in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if ty["kind"] != "OBJECT" || name.starts_with("__") {
            continue;
        }
        for f in ty["fields"].as_array().unwrap() {
            let field = f["name"].as_str().unwrap();
            if policy::verdict(name, field, &Role::ALL) == Verdict::Unlisted {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields with no authorisation policy entry: {missing:?}"
    );
}

/// Restricted fields must be nullable, so a refusal nulls the field and not its parent.
#[test]
fn restricted_fields_are_nullable_in_the_schema() {
    let sdl = api::graphql::sdl();
    for (key, access) in policy::FIELDS {
        if let policy::Access::Roles(_) = access {
            let (ty, field) = key.split_once('.').unwrap();
            let block = sdl
                .split(&format!("type {ty} {{"))
                .nth(1)
                .unwrap_or_else(|| panic!("no type {ty}"));
            let block = block.split('}').next().unwrap();
            let line = block
                .lines()
                .find(|l| {
                    let l = l.trim_start();
                    l.starts_with(&format!("{field}:")) || l.starts_with(&format!("{field}("))
                })
                .unwrap_or_else(|| panic!("no field {key}"));
            assert!(
                !line.trim_end().ends_with('!'),
                "{key} must be nullable: {line}"
            );
        }
    }
}

#[test]
fn authorisation_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/authorisation.md");
    let current = policy::markdown();
    if std::env::var("UPC_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/authorisation.md is stale: run `UPC_UPDATE_DOCS=1 cargo test -p tests --test api authorisation_doc` and commit it"
    );
}
