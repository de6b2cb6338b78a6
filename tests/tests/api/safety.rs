//! Health & Safety (policy section 3) and recording (section 4) through HTTP, on both databases:
//! threats reported in writing, exclusions from premises and who may make them, the HS V1
//! reference and police referrals, terminated calls, harassment referrals, no appeal against an
//! H&S exclusion, recording requests and covert recording; who may do each (5.4: only in their
//! own service) and who may read what.

use api::auth::Role;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tests::db_tests;

use self::drive::*;

mod drive {
    use api::auth::Role;
    use chrono::{NaiveDate, Utc};
    use entities::audit_event;
    use sea_orm::{EntityTrait, PaginatorTrait};
    use serde_json::{Value, json};
    use tests::TestApp;

    /// The service the tests work in.
    pub const HOU: &str = "HOU";
    /// Another service, with its own staff and premises.
    pub const OTH: &str = "OTH";

    pub const INCIDENT: &str =
        "id caseId reportedAt imminentRisk hsV1Recorded version reasons reportedBy hsV1Reference";
    pub const EXCLUSION: &str = "id caseId kind healthAndSafety startsOn endsOn liftedOn inForce \
        establishmentIds hsIncidentId agreedByRole agreedAt version reasons authorisedBy agreedBy \
        agreementReasons liftedReason";
    pub const POLICE: &str =
        "id caseId hsIncidentId referredOn version reason policeReference notes referredBy";
    pub const CALL: &str =
        "id caseId contactId terminatedAt version warningGiven reason terminatedBy";
    pub const HARASSMENT: &str = "id caseId referredAt callTerminationIds policeReferralId \
        reportedToPolice version reasons referredTo referredBy";
    pub const RECORDING: &str =
        "id caseId requestedAt agreed version context staffMember refusalReason";

    /// Every Health & Safety and recording field of a case.
    pub fn case_fields() -> String {
        format!(
            "id reference stage status version serviceCode \
             hsIncidents {{ {INCIDENT} }} exclusions {{ {EXCLUSION} }} \
             policeReferrals {{ {POLICE} }} callTerminations {{ {CALL} }} \
             harassmentReferrals {{ {HARASSMENT} }} recordingRequests {{ {RECORDING} }} \
             reports {{ behaviours }}"
        )
    }

    /// The fields each mutation returns.
    pub fn returns(op: &str) -> &'static str {
        match op {
            "reportThreat" | "recordHsV1Reference" => INCIDENT,
            "excludeTemporarily" | "excludeLongTerm" | "liftExclusion" | "logExclusionAppeal" => {
                EXCLUSION
            }
            "recordPoliceReferral" => POLICE,
            "recordCallTermination" => CALL,
            "referHarassment" | "reportHarassmentToPolice" => HARASSMENT,
            "recordRecordingRequest" => RECORDING,
            "reportBehaviour" => "id reference stage version reports { behaviours }",
            other => panic!("no fields for {other}"),
        }
    }

    /// The roles the policy names for each mutation; the first takes it in these tests.
    pub fn named(op: &str) -> &'static [Role] {
        use Role::*;
        match op {
            "reportThreat" | "recordCallTermination" => &[
                Officer,
                ServiceManager,
                HeadOfService,
                ServiceDirector,
                FeedbackOfficer,
                GroupDirector,
            ],
            "excludeTemporarily" | "recordHsV1Reference" | "referHarassment" => &[ServiceManager],
            "excludeLongTerm" => &[HeadOfService, ServiceDirector],
            "liftExclusion" => &[ServiceManager, HeadOfService, ServiceDirector],
            "recordPoliceReferral" => &[ServiceManager, HeadOfService, ServiceDirector],
            "reportHarassmentToPolice" => &[HeadOfService],
            "logExclusionAppeal" => &[LegalServices],
            "recordRecordingRequest" => &[
                Officer,
                ServiceManager,
                HeadOfService,
                ServiceDirector,
                FeedbackOfficer,
                GroupDirector,
                ElectedMember,
            ],
            "reportBehaviour" => &[Officer, ElectedMember],
            other => panic!("no roles for {other}"),
        }
    }

    pub fn today() -> NaiveDate {
        Utc::now().date_naive()
    }

    pub fn days(n: i64) -> NaiveDate {
        today() + chrono::Duration::days(n)
    }

    /// Two services with premises each, and a shared building.
    pub struct World<'a> {
        pub app: &'a TestApp,
        /// HOU's premises.
        pub premises: String,
        /// OTH's premises.
        pub other_premises: String,
        /// A building no one service runs.
        pub shared: String,
    }

    impl<'a> World<'a> {
        pub async fn new(app: &'a TestApp) -> World<'a> {
            let admin = app.token(Role::Admin, &[]);
            let mut ids = Vec::new();
            for (code, premises) in [
                (Some(HOU), "Housing Office"),
                (Some(OTH), "Leisure Centre"),
                (None, "Civic Centre"),
            ] {
                if let Some(code) = code {
                    let body = app
                        .graphql_as(
                            &admin,
                            "mutation($c: String!) { createService(input: {code: $c, name: $c}) { code } }",
                            json!({"c": code}),
                        )
                        .await;
                    assert!(body["errors"].is_null(), "{body}");
                }
                let body = app
                    .graphql_as(
                        &admin,
                        "mutation($n: String!, $c: String) { createEstablishment(input: {name: $n, address: \"1 High Street\", serviceCode: $c}) { id } }",
                        json!({"n": premises, "c": code}),
                    )
                    .await;
                ids.push(
                    body["data"]["createEstablishment"]["id"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{body}"))
                        .to_string(),
                );
            }
            World {
                app,
                premises: ids[0].clone(),
                other_premises: ids[1].clone(),
                shared: ids[2].clone(),
            }
        }

        /// A token for `role` in HOU.
        pub fn token(&self, role: Role) -> String {
            self.app
                .token_for(&format!("{}-HOU", role.as_str()), &[role], &[HOU])
        }

        /// A token for `role` in OTH.
        pub fn outsider(&self, role: Role) -> String {
            self.app
                .token_for(&format!("{}-OTH", role.as_str()), &[role], &[OTH])
        }

        pub async fn audit_count(&self) -> u64 {
            audit_event::Entity::find()
                .count(&self.app.db)
                .await
                .expect("count audit events")
        }

        pub async fn send(&self, token: &str, op: &str, input: Value, key: Option<&str>) -> Value {
            let ty = format!("{}{}Input", op[..1].to_uppercase(), &op[1..]);
            let doc = format!(
                "mutation($input: {ty}!, $key: String) {{ {op}(input: $input, idempotencyKey: $key) {{ {} }} }}",
                returns(op)
            );
            self.app
                .graphql_as(token, &doc, json!({"input": input, "key": key}))
                .await
        }

        /// `op` as the holder of `token` must succeed and write exactly one audit event.
        pub async fn act_as(&self, token: &str, op: &str, input: Value) -> Value {
            let before = self.audit_count().await;
            let body = self.send(token, op, input, None).await;
            assert!(body["errors"].is_null(), "{op} failed: {body}");
            assert_eq!(
                self.audit_count().await,
                before + 1,
                "{op} writes one audit event"
            );
            body["data"][op].clone()
        }

        /// `op` as the first role the policy names for it.
        pub async fn act(&self, op: &str, input: Value) -> Value {
            self.act_as(&self.token(named(op)[0]), op, input).await
        }

        /// `op` as the holder of `token` must be refused, writing nothing; the first error.
        pub async fn fail_as(&self, token: &str, op: &str, input: Value) -> Value {
            let before = self.audit_count().await;
            let body = self.send(token, op, input, None).await;
            assert!(
                body["data"].is_null() || body["data"][op].is_null(),
                "{op} was not refused: {body}"
            );
            assert_eq!(
                self.audit_count().await,
                before,
                "a refused {op} writes no audit event"
            );
            body["errors"][0].clone()
        }

        /// `op` as the first role named must be refused with `code` (naming `field`).
        pub async fn fail(&self, op: &str, input: Value, code: &str, field: Option<&str>) -> Value {
            let error = self.fail_as(&self.token(named(op)[0]), op, input).await;
            expect(&error, code, field);
            error
        }

        /// Every role the policy does not name for `op` is refused (`FORBIDDEN`), and so is each
        /// named service role of another service (`FORBIDDEN` or `NOT_FOUND`, 5.4); then the
        /// first named role takes it.
        pub async fn only(&self, op: &str, input: Value) -> Value {
            let named = named(op);
            for role in Role::ALL {
                let (token, codes) = if !named.contains(&role) {
                    (self.token(role), &["FORBIDDEN"][..])
                } else if matches!(role, Role::LegalServices | Role::ElectedMember) {
                    continue;
                } else {
                    (self.outsider(role), &["FORBIDDEN", "NOT_FOUND"][..])
                };
                let error = self.fail_as(&token, op, input.clone()).await;
                let code = error["extensions"]["code"].as_str().unwrap_or_default();
                assert!(
                    codes.contains(&code),
                    "{} got {code} for {op}: {error}",
                    role.as_str()
                );
            }
            self.act(op, input).await
        }

        /// The case `id` as the holder of `token` reads it: the whole response.
        pub async fn read_as(&self, token: &str, id: &Value) -> Value {
            self.app
                .graphql_as(
                    token,
                    &format!(
                        "query($id: ID!) {{ case(id: $id) {{ {} }} }}",
                        case_fields()
                    ),
                    json!({"id": id}),
                )
                .await
        }

        /// The case `id` as a Service manager of HOU reads it.
        pub async fn case(&self, id: &Value) -> Value {
            let body = self.read_as(&self.token(Role::ServiceManager), id).await;
            assert!(body["errors"].is_null(), "{body}");
            body["data"]["case"].clone()
        }

        /// An officer's written report of a threat about a new customer (opening a case).
        pub async fn threat(&self, name: &str, imminent: bool) -> Value {
            self.act(
                "reportThreat",
                json!({
                    "newCustomer": {"displayName": name},
                    "serviceCode": HOU,
                    "reasons": "He said he would wait for me after work (fictional).",
                    "imminentRisk": imminent,
                }),
            )
            .await
        }

        /// A temporary exclusion from HOU's premises for a fortnight, on `incident`.
        pub async fn excluded(&self, incident: &Value) -> Value {
            self.act(
                "excludeTemporarily",
                self.temporary(incident, Some(days(14))),
            )
            .await
        }

        /// `excludeTemporarily` input.
        pub fn temporary(&self, incident: &Value, ends_on: Option<NaiveDate>) -> Value {
            json!({
                "hsIncidentId": incident["id"],
                "establishmentIds": [self.premises],
                "endsOn": ends_on,
                "reasons": "Threatened a housing officer at the front desk (fictional).",
            })
        }

        /// An officer's note of a terminated call on `case_id`.
        pub async fn call(&self, case_id: &Value) -> Value {
            self.act(
                "recordCallTermination",
                json!({
                    "caseId": case_id,
                    "terminatedAt": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                    "warningGiven": "I told him the call would end if he kept swearing.",
                    "reason": "He kept swearing at me after the warning (fictional).",
                }),
            )
            .await
        }
    }

    /// The error has `code` (and names `field`).
    pub fn expect(error: &Value, code: &str, field: Option<&str>) {
        assert_eq!(error["extensions"]["code"], code, "{error}");
        if let Some(field) = field {
            assert_eq!(error["extensions"]["field"], field, "{error}");
        }
    }
}

db_tests! {
    async fn threat_reported_in_writing_3_1(app) {
        let w = World::new(&app).await;
        // An officer reports a threat about a customer not yet on the system: a case opens.
        let incident = w.threat("Threat Customer", false).await;
        assert_eq!(incident["imminentRisk"], false);
        assert_eq!(incident["hsV1Recorded"], false);
        assert_eq!(incident["reportedBy"], "officer-HOU");
        assert!(incident["reasons"].as_str().unwrap().contains("wait for me"));
        let case = w.case(&incident["caseId"]).await;
        assert_eq!(case["stage"], "reported", "{case}");
        assert_eq!(case["serviceCode"], HOU);
        assert_eq!(case["hsIncidents"].as_array().unwrap().len(), 1, "{case}");
        assert_eq!(case["hsIncidents"][0]["id"], incident["id"]);
        // A second threat about the same customer is filed on the same open case, whoever of
        // the service's staff reports it.
        let customer = app.graphql("query($id: ID!) { case(id: $id) { customer { id } } }", json!({"id": incident["caseId"]})).await;
        let customer_id = customer["data"]["case"]["customer"]["id"].clone();
        let second = w.act_as(&w.token(Role::FeedbackOfficer), "reportThreat", json!({
            "customerId": customer_id, "serviceCode": HOU, "reasons": "Followed me to the car park.", "imminentRisk": true,
        })).await;
        assert_eq!(second["caseId"], incident["caseId"]);
        let third = w.act("reportThreat", json!({"caseId": incident["caseId"], "reasons": "Raised his fist.", "imminentRisk": true})).await;
        assert_eq!(third["caseId"], incident["caseId"]);
        assert_eq!(w.case(&incident["caseId"]).await["hsIncidents"].as_array().unwrap().len(), 3);
        // In writing, with reasons (3.1); a case or a customer and service.
        w.fail("reportThreat", json!({"caseId": incident["caseId"], "reasons": "  ", "imminentRisk": false}), "BAD_USER_INPUT", Some("reasons")).await;
        w.fail("reportThreat", json!({"customerId": customer_id, "reasons": "r", "imminentRisk": false}), "BAD_USER_INPUT", Some("serviceCode")).await;
        w.fail("reportThreat", json!({"caseId": incident["caseId"], "serviceCode": HOU, "reasons": "r", "imminentRisk": false}), "BAD_USER_INPUT", Some("caseId")).await;
        // Not for another service's staff (5.4), nor for elected Members (3.1 is staff).
        let error = w.fail_as(&w.outsider(Role::Officer), "reportThreat", json!({"customerId": customer_id, "serviceCode": HOU, "reasons": "r", "imminentRisk": false})).await;
        expect(&error, "FORBIDDEN", None);
        let error = w.fail_as(&w.outsider(Role::Officer), "reportThreat", json!({"caseId": incident["caseId"], "reasons": "r", "imminentRisk": false})).await;
        expect(&error, "NOT_FOUND", None);
        let error = w.fail_as(&w.token(Role::ElectedMember), "reportThreat", json!({"caseId": incident["caseId"], "reasons": "r", "imminentRisk": false})).await;
        expect(&error, "FORBIDDEN", None);
    }

    async fn temporary_exclusion_by_service_manager_needs_an_end_date_3_2(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Imminent Customer", true).await;
        // Refused without an end date, or with one in the past or before the first day.
        w.fail("excludeTemporarily", w.temporary(&incident, None), "BAD_USER_INPUT", Some("endsOn")).await;
        w.fail("excludeTemporarily", w.temporary(&incident, Some(days(-1))), "BAD_USER_INPUT", Some("endsOn")).await;
        let mut later = w.temporary(&incident, Some(days(14)));
        later["startsOn"] = json!(days(1));
        w.fail("excludeTemporarily", later, "BAD_USER_INPUT", Some("startsOn")).await;
        // Not from another service's premises (5.4), nor none, nor an unknown building.
        let mut other = w.temporary(&incident, Some(days(14)));
        other["establishmentIds"] = json!([w.premises, w.other_premises]);
        w.fail("excludeTemporarily", other, "BAD_USER_INPUT", Some("establishmentIds")).await;
        let mut none = w.temporary(&incident, Some(days(14)));
        none["establishmentIds"] = json!([]);
        w.fail("excludeTemporarily", none, "BAD_USER_INPUT", Some("establishmentIds")).await;
        let mut unknown = w.temporary(&incident, Some(days(14)));
        unknown["establishmentIds"] = json!(["999"]);
        w.fail("excludeTemporarily", unknown, "BAD_USER_INPUT", Some("establishmentIds")).await;
        // Only on imminent risk of harm.
        let calm = w.threat("Calm Customer", false).await;
        w.fail("excludeTemporarily", w.temporary(&calm, Some(days(14))), "BAD_USER_INPUT", Some("hsIncidentId")).await;
        // No longer than `exclusion_temporary_max_days` (14 by default, issue 20): a longer
        // exclusion needs the Head of Service's or Service Director's agreement.
        let error = w.fail("excludeTemporarily", w.temporary(&incident, Some(days(15))), "BAD_USER_INPUT", Some("endsOn")).await;
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("at most 14 days") && message.contains("excludeLongTerm") && message.contains("Head of Service"), "{error}");
        // The Service manager may exclude at once, temporarily, with an end date; the service's
        // own premises and shared buildings.
        let mut input = w.temporary(&incident, Some(days(14)));
        input["establishmentIds"] = json!([w.shared, w.premises]);
        let exclusion = w.only("excludeTemporarily", input).await;
        assert_eq!(exclusion["kind"], "temporary", "{exclusion}");
        assert_eq!(exclusion["healthAndSafety"], true);
        assert_eq!(exclusion["inForce"], true);
        assert_eq!(exclusion["startsOn"], json!(today()));
        assert_eq!(exclusion["endsOn"], json!(days(14)));
        assert_eq!(exclusion["hsIncidentId"], incident["id"]);
        assert_eq!(exclusion["authorisedBy"], "service_manager-HOU");
        assert!(exclusion["agreedBy"].is_null());
        let mut premises = vec![w.premises.clone(), w.shared.clone()];
        premises.sort_by_key(|p| p.parse::<i64>().unwrap());
        assert_eq!(exclusion["establishmentIds"], json!(premises));
        let case = w.case(&incident["caseId"]).await;
        assert_eq!(case["exclusions"][0]["id"], exclusion["id"], "{case}");
        assert_eq!(case["exclusions"][0]["establishmentIds"], exclusion["establishmentIds"]);
        // Lifted early with reasons, by the Service manager.
        let lift = json!({"exclusionId": exclusion["id"], "version": exclusion["version"], "reasons": "He apologised in writing."});
        let stale = json!({"exclusionId": exclusion["id"], "version": 9, "reasons": "r"});
        w.fail("liftExclusion", stale, "CONFLICT", None).await;
        let lifted = w.only("liftExclusion", lift.clone()).await;
        assert_eq!(lifted["inForce"], false, "{lifted}");
        assert_eq!(lifted["liftedOn"], json!(today()));
        assert_eq!(lifted["liftedReason"], "He apologised in writing.");
        assert_eq!(lifted["version"], 2);
        let again = json!({"exclusionId": exclusion["id"], "version": 2, "reasons": "again"});
        w.fail("liftExclusion", again, "BAD_USER_INPUT", Some("exclusionId")).await;
    }

    async fn long_term_exclusion_needs_head_of_service_or_service_director_3_2(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Long Customer", true).await;
        let temporary = w.excluded(&incident).await;
        let make_long = json!({"exclusionId": temporary["id"], "version": temporary["version"],
            "reasons": "The threats continue; a fortnight is not enough."});
        // A Service manager alone may not make it long-term (3.2): refused, nothing written.
        let error = w.fail_as(&w.token(Role::ServiceManager), "excludeLongTerm", make_long.clone()).await;
        expect(&error, "FORBIDDEN", None);
        let new_long = json!({"hsIncidentId": incident["id"], "establishmentIds": [w.premises],
            "reasons": "Serious threats to staff."});
        let error = w.fail_as(&w.token(Role::ServiceManager), "excludeLongTerm", new_long.clone()).await;
        expect(&error, "FORBIDDEN", None);
        // Nor may a Head of Service of another service.
        let error = w.fail_as(&w.outsider(Role::HeadOfService), "excludeLongTerm", make_long.clone()).await;
        expect(&error, "NOT_FOUND", None);
        // With the Head of Service's agreement, recorded: the temporary one becomes long-term.
        let long = w.only("excludeLongTerm", make_long).await;
        assert_eq!(long["id"], temporary["id"], "{long}");
        assert_eq!(long["kind"], "long_term");
        assert_eq!(long["agreedByRole"], "head_of_service");
        assert_eq!(long["agreedBy"], "head_of_service-HOU");
        assert_eq!(long["authorisedBy"], "service_manager-HOU");
        assert_eq!(long["agreementReasons"], "The threats continue; a fortnight is not enough.");
        assert!(long["agreedAt"].is_string());
        assert!(long["endsOn"].is_null(), "until lifted: {long}");
        assert_eq!(long["inForce"], true);
        assert_eq!(long["establishmentIds"], temporary["establishmentIds"]);
        // Only a temporary exclusion in force is made long-term.
        let again = json!({"exclusionId": long["id"], "version": long["version"], "reasons": "r"});
        w.fail("excludeLongTerm", again, "BAD_USER_INPUT", Some("exclusionId")).await;
        // The Service Director may agree a new long-term one directly, with an end date.
        let mut input = new_long.clone();
        input["endsOn"] = json!(days(180));
        let direct = w.act_as(&w.token(Role::ServiceDirector), "excludeLongTerm", input).await;
        assert_eq!(direct["kind"], "long_term", "{direct}");
        assert_eq!(direct["agreedByRole"], "service_director");
        assert_eq!(direct["healthAndSafety"], true);
        assert_eq!(direct["endsOn"], json!(days(180)));
        // A Health & Safety exclusion names its incident.
        let no_incident = json!({"caseId": incident["caseId"], "establishmentIds": [w.premises], "reasons": "r"});
        w.fail("excludeLongTerm", no_incident, "BAD_USER_INPUT", Some("hsIncidentId")).await;
        // A Service manager may not lift a long-term exclusion; the Head of Service may.
        let lift = json!({"exclusionId": long["id"], "version": long["version"], "reasons": "Reviewed: no longer needed."});
        let error = w.fail_as(&w.token(Role::ServiceManager), "liftExclusion", lift.clone()).await;
        expect(&error, "FORBIDDEN", None);
        let lifted = w.act_as(&w.token(Role::HeadOfService), "liftExclusion", lift).await;
        assert_eq!(lifted["inForce"], false);
        let case = w.case(&incident["caseId"]).await;
        let timeline = app.graphql("query($id: ID!) { case(id: $id) { timeline { kind summary } } }", json!({"id": incident["caseId"]})).await;
        let summaries: Vec<&str> = timeline["data"]["case"]["timeline"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
        assert!(summaries.iter().any(|s| s.starts_with("temporary exclusion from premises")), "{timeline}");
        assert!(summaries.contains(&"exclusion made long-term until lifted, agreed by the head of service"), "{timeline}");
        assert!(summaries.iter().any(|s| s.starts_with("long term exclusion from premises") && s.contains("(Health & Safety: no appeal)")), "{timeline}");
        let kinds: Vec<&str> = case["exclusions"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["long_term", "long_term"], "{case}");
    }

    async fn hs_v1_reference_and_police_referral_recorded_3_3(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Police Customer", true).await;
        // The Service manager records the HS V1 form's reference (3.3).
        let input = json!({"hsIncidentId": incident["id"], "version": incident["version"], "hsV1Reference": "HSV1-2026-0042"});
        let recorded = w.only("recordHsV1Reference", input.clone()).await;
        assert_eq!(recorded["hsV1Reference"], "HSV1-2026-0042", "{recorded}");
        assert_eq!(recorded["hsV1Recorded"], true);
        assert_eq!(recorded["version"], 2);
        w.fail("recordHsV1Reference", input, "CONFLICT", None).await;
        w.fail("recordHsV1Reference", json!({"hsIncidentId": incident["id"], "version": 2, "hsV1Reference": " "}), "BAD_USER_INPUT", Some("hsV1Reference")).await;
        // And the report to the police: date, reference, reason (3.3 ii).
        let referral = json!({"hsIncidentId": incident["id"], "referredOn": today(), "policeReference": "SWP-123456", "reason": "threat"});
        let police = w.only("recordPoliceReferral", referral).await;
        assert_eq!(police["reason"], "threat", "{police}");
        assert_eq!(police["policeReference"], "SWP-123456");
        assert_eq!(police["caseId"], incident["caseId"]);
        assert_eq!(police["hsIncidentId"], incident["id"]);
        assert_eq!(police["referredBy"], "service_manager-HOU");
        // Any assault is reported (3.5), here by the Head of Service on the case.
        let assault = json!({"caseId": incident["caseId"], "referredOn": days(-1), "reason": "assault", "notes": "Pushed a receptionist."});
        let reported = w.act_as(&w.token(Role::HeadOfService), "recordPoliceReferral", assault).await;
        assert_eq!(reported["reason"], "assault");
        assert!(reported["policeReference"].is_null());
        // The reason is one of the policy's; `other` says what; not in the future.
        w.fail("recordPoliceReferral", json!({"caseId": incident["caseId"], "referredOn": today(), "reason": "burglary"}), "BAD_USER_INPUT", Some("reason")).await;
        w.fail("recordPoliceReferral", json!({"caseId": incident["caseId"], "referredOn": today(), "reason": "other"}), "BAD_USER_INPUT", Some("notes")).await;
        w.fail("recordPoliceReferral", json!({"caseId": incident["caseId"], "referredOn": days(1), "reason": "threat"}), "BAD_USER_INPUT", Some("referredOn")).await;
        w.fail("recordPoliceReferral", json!({"referredOn": today(), "reason": "threat"}), "BAD_USER_INPUT", Some("caseId")).await;
        let case = w.case(&incident["caseId"]).await;
        assert_eq!(case["hsIncidents"][0]["hsV1Reference"], "HSV1-2026-0042", "{case}");
        let reasons: Vec<&str> = case["policeReferrals"].as_array().unwrap().iter().map(|p| p["reason"].as_str().unwrap()).collect();
        assert_eq!(reasons.len(), 2, "{case}");
        assert!(reasons.contains(&"threat") && reasons.contains(&"assault"), "{case}");
    }

    async fn call_termination_noted_on_the_case_file_3_4(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Caller Customer", false).await;
        let input = json!({
            "caseId": incident["caseId"],
            "terminatedAt": (Utc::now() - Duration::minutes(10)).to_rfc3339(),
            "warningGiven": "I said I would end the call if the abuse continued.",
            "reason": "He continued to swear at me after the warning.",
        });
        let call = w.only("recordCallTermination", input.clone()).await;
        assert_eq!(call["warningGiven"], "I said I would end the call if the abuse continued.", "{call}");
        assert_eq!(call["reason"], "He continued to swear at me after the warning.");
        assert_eq!(call["terminatedBy"], "officer-HOU");
        assert_eq!(call["caseId"], incident["caseId"]);
        let case = w.case(&incident["caseId"]).await;
        assert_eq!(case["callTerminations"][0]["id"], call["id"], "{case}");
        // The warning and the reason are both required; the time is not in the future.
        let mut no_warning = input.clone();
        no_warning["warningGiven"] = json!("");
        w.fail("recordCallTermination", no_warning, "BAD_USER_INPUT", Some("warningGiven")).await;
        let mut no_reason = input.clone();
        no_reason["reason"] = json!(" ");
        w.fail("recordCallTermination", no_reason, "BAD_USER_INPUT", Some("reason")).await;
        let mut future = input.clone();
        future["terminatedAt"] = json!((Utc::now() + Duration::hours(2)).to_rfc3339());
        w.fail("recordCallTermination", future, "BAD_USER_INPUT", Some("terminatedAt")).await;
        let mut contact = input.clone();
        contact["contactId"] = json!("999");
        w.fail("recordCallTermination", contact, "BAD_USER_INPUT", Some("contactId")).await;
        // A customer with no open case in the service: the note opens one.
        let opened = w.act("recordCallTermination", json!({
            "newCustomer": {"displayName": "New Caller"}, "serviceCode": HOU,
            "terminatedAt": Utc::now().to_rfc3339(), "warningGiven": "Warned.", "reason": "Abuse continued.",
        })).await;
        assert_ne!(opened["caseId"], incident["caseId"]);
        assert_eq!(w.case(&opened["caseId"]).await["stage"], "reported");
    }

    async fn harassment_referred_to_head_of_service_and_reported_to_police_3_5(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Harassing Customer", false).await;
        let case_id = incident["caseId"].clone();
        let first = w.call(&case_id).await;
        let second = w.call(&case_id).await;
        let elsewhere = w.threat("Someone Else", false).await;
        let unrelated = w.call(&elsewhere["caseId"]).await;
        let refer = json!({"caseId": case_id, "callTerminationIds": [second["id"], first["id"]],
            "referredTo": "Head of Housing", "reasons": "Twelve abusive calls in two weeks despite warnings."});
        // The calls must be this case's terminated calls, each once, at least one.
        let mut wrong = refer.clone();
        wrong["callTerminationIds"] = json!([first["id"], unrelated["id"]]);
        w.fail("referHarassment", wrong, "BAD_USER_INPUT", Some("callTerminationIds")).await;
        let mut twice = refer.clone();
        twice["callTerminationIds"] = json!([first["id"], first["id"]]);
        w.fail("referHarassment", twice, "BAD_USER_INPUT", Some("callTerminationIds")).await;
        let mut none = refer.clone();
        none["callTerminationIds"] = json!([]);
        w.fail("referHarassment", none, "BAD_USER_INPUT", Some("callTerminationIds")).await;
        // The Service manager refers it to the Head of Service (3.5).
        let referral = w.only("referHarassment", refer).await;
        assert_eq!(referral["reportedToPolice"], false, "{referral}");
        assert!(referral["policeReferralId"].is_null());
        assert_eq!(referral["callTerminationIds"], json!([first["id"], second["id"]]));
        assert_eq!(referral["referredTo"], "Head of Housing");
        assert_eq!(referral["referredBy"], "service_manager-HOU");
        // The Head of Service reports it to the police.
        let report = json!({"harassmentReferralId": referral["id"], "version": referral["version"],
            "referredOn": today(), "policeReference": "SWP-777"});
        let mut early = report.clone();
        early["referredOn"] = json!(days(-1));
        w.fail("reportHarassmentToPolice", early, "BAD_USER_INPUT", Some("referredOn")).await;
        let reported = w.only("reportHarassmentToPolice", report.clone()).await;
        assert_eq!(reported["reportedToPolice"], true, "{reported}");
        assert_eq!(reported["version"], 2);
        let case = w.case(&case_id).await;
        let police = &case["policeReferrals"][0];
        assert_eq!(police["id"], reported["policeReferralId"], "{case}");
        assert_eq!(police["reason"], "harassment");
        assert_eq!(police["policeReference"], "SWP-777");
        assert_eq!(police["referredBy"], "head_of_service-HOU");
        assert_eq!(case["harassmentReferrals"][0]["callTerminationIds"], json!([first["id"], second["id"]]));
        // Once only.
        let mut again = report;
        again["version"] = json!(2);
        w.fail("reportHarassmentToPolice", again, "CONFLICT", None).await;
    }

    async fn no_appeal_against_a_health_and_safety_exclusion_3_6(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Appealing Customer", true).await;
        let exclusion = w.excluded(&incident).await;
        let appeal = json!({"exclusionId": exclusion["id"], "receivedOn": today(), "grounds": "I did nothing wrong."});
        // Legal Services logs appeals: an appeal against an H&S exclusion is refused (3.6).
        let legal = w.token(Role::LegalServices);
        let error = w.fail_as(&legal, "logExclusionAppeal", appeal.clone()).await;
        expect(&error, "NO_RIGHT_OF_APPEAL", None);
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("3.6") && message.contains("Health & Safety"), "{message}");
        // An exclusion not made for Health & Safety has no appeal either: the policy gives one
        // against the Stage 1 warning only (6.1).
        let other = w.act_as(&w.token(Role::HeadOfService), "excludeLongTerm", json!({
            "caseId": incident["caseId"], "healthAndSafety": false, "establishmentIds": [w.premises],
            "endsOn": days(90), "reasons": "Repeated disruption at the office (2.2)."})).await;
        assert_eq!(other["healthAndSafety"], false, "{other}");
        let error = w.fail_as(&legal, "logExclusionAppeal", json!({"exclusionId": other["id"], "receivedOn": today(), "grounds": "g"})).await;
        expect(&error, "NO_RIGHT_OF_APPEAL", None);
        assert!(error["message"].as_str().unwrap().contains("6.1"), "{error}");
        // Only Legal Services logs appeals; an unknown exclusion is not found.
        let error = w.fail_as(&w.token(Role::ServiceManager), "logExclusionAppeal", appeal).await;
        expect(&error, "FORBIDDEN", None);
        let error = w.fail_as(&legal, "logExclusionAppeal", json!({"exclusionId": "999", "receivedOn": today(), "grounds": "g"})).await;
        expect(&error, "NOT_FOUND", None);
    }

    async fn recording_request_agreed_or_refused_with_reason_4_1_4_2(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Recording Customer", false).await;
        let case_id = incident["caseId"].clone();
        let asked = (Utc::now() - Duration::hours(2)).to_rfc3339();
        let agreed = w.only("recordRecordingRequest", json!({
            "caseId": case_id, "requestedAt": asked, "context": "Meeting about rent arrears", "agreed": true,
        })).await;
        assert_eq!(agreed["agreed"], true, "{agreed}");
        assert_eq!(agreed["staffMember"], "Test officer-HOU");
        assert!(agreed["refusalReason"].is_null());
        // 4.2: no obligation to agree; a refusal gives its reason.
        let refuse = json!({"caseId": case_id, "requestedAt": asked, "context": "Telephone call about repairs",
            "staffMember": "A. Officer", "agreed": false});
        w.fail("recordRecordingRequest", refuse.clone(), "BAD_USER_INPUT", Some("refusalReason")).await;
        let mut with_reason = refuse.clone();
        with_reason["refusalReason"] = json!("I find being recorded intimidating (4.1).");
        let refused = w.act("recordRecordingRequest", with_reason).await;
        assert_eq!(refused["agreed"], false, "{refused}");
        assert_eq!(refused["staffMember"], "A. Officer");
        assert_eq!(refused["refusalReason"], "I find being recorded intimidating (4.1).");
        let mut both = refuse;
        both["agreed"] = json!(true);
        both["refusalReason"] = json!("no");
        w.fail("recordRecordingRequest", both, "BAD_USER_INPUT", Some("refusalReason")).await;
        let case = w.case(&case_id).await;
        let answers: Vec<&Value> = case["recordingRequests"].as_array().unwrap().iter().map(|r| &r["agreed"]).collect();
        assert_eq!(answers, vec![&json!(true), &json!(false)], "{case}");
        // An elected Member records a request only on a case they reported behaviour on.
        let member = app.token_for("member-1", &[Role::ElectedMember], &[]);
        let input = json!({"caseId": case_id, "requestedAt": asked, "context": "Surgery appointment", "agreed": true});
        let error = w.fail_as(&member, "recordRecordingRequest", input.clone()).await;
        expect(&error, "NOT_FOUND", None);
        let customer = app.graphql("query($id: ID!) { case(id: $id) { customer { id } } }", json!({"id": case_id})).await;
        w.act_as(&member, "reportBehaviour", json!({
            "customerId": customer["data"]["case"]["customer"]["id"], "serviceCode": HOU,
            "behaviours": ["aggressive_intimidating_threatening"], "channel": "in_person",
            "occurredAt": Utc::now().to_rfc3339(), "description": "Shouted at my surgery."})).await;
        // The Member reads back the record's facts; its free text and names are for council
        // staff only.
        let before = w.audit_count().await;
        let body = app.graphql_as(&member, "mutation($input: RecordRecordingRequestInput!) { recordRecordingRequest(input: $input) { id caseId agreed staffMember } }", json!({"input": input})).await;
        assert_eq!(body["data"]["recordRecordingRequest"]["agreed"], true, "{body}");
        assert!(body["data"]["recordRecordingRequest"]["staffMember"].is_null(), "{body}");
        expect(&body["errors"][0], "FORBIDDEN", None);
        assert_eq!(w.audit_count().await, before + 1);
        let case = w.case(&case_id).await;
        assert_eq!(case["recordingRequests"][2]["staffMember"], "Test member-1", "{case}");
    }

    async fn covert_recording_reported_as_behaviour_4_4(app) {
        let w = World::new(&app).await;
        let case = w.act_as(&w.token(Role::Officer), "reportBehaviour", json!({
            "newCustomer": {"displayName": "Covert Customer"}, "serviceCode": HOU,
            "behaviours": ["covert_recording"], "channel": "in_person",
            "occurredAt": (Utc::now() - Duration::hours(1)).to_rfc3339(),
            "description": "A phone was found recording in his bag during the meeting (fictional).",
        })).await;
        assert_eq!(case["stage"], "reported", "{case}");
        assert_eq!(case["reports"], json!([{"behaviours": ["covert_recording"]}]));
        let read = w.case(&case["id"]).await;
        assert_eq!(read["reports"][0]["behaviours"], json!(["covert_recording"]), "{read}");
    }

    async fn another_services_staff_cannot_see_or_act_on_these_records_5_4(app) {
        let w = World::new(&app).await;
        let incident = w.threat("Private Customer", true).await;
        let case_id = incident["caseId"].clone();
        let exclusion = w.excluded(&incident).await;
        w.act("recordHsV1Reference", json!({"hsIncidentId": incident["id"], "version": 1, "hsV1Reference": "HSV1-SECRET"})).await;
        w.act("recordPoliceReferral", json!({"caseId": case_id, "referredOn": today(), "policeReference": "SWP-SECRET", "reason": "threat"})).await;
        let call = w.call(&case_id).await;
        w.act("referHarassment", json!({"caseId": case_id, "callTerminationIds": [call["id"]], "referredTo": "HoS", "reasons": "SECRET reasons"})).await;
        w.act("recordRecordingRequest", json!({"caseId": case_id, "requestedAt": Utc::now().to_rfc3339(), "context": "SECRET meeting", "agreed": false, "refusalReason": "SECRET refusal"})).await;
        // Another service's staff neither see the case nor act on its records.
        for role in [Role::Officer, Role::ServiceManager, Role::HeadOfService] {
            let body = w.read_as(&w.outsider(role), &case_id).await;
            expect(&body["errors"][0], "NOT_FOUND", None);
            assert!(!body.to_string().contains("SECRET"), "{body}");
        }
        let lift = json!({"exclusionId": exclusion["id"], "version": exclusion["version"], "reasons": "r"});
        expect(&w.fail_as(&w.outsider(Role::ServiceManager), "liftExclusion", lift).await, "NOT_FOUND", None);
        expect(&w.fail_as(&w.outsider(Role::ServiceManager), "excludeTemporarily", w.temporary(&incident, Some(days(3)))).await, "NOT_FOUND", None);
        expect(&w.fail_as(&w.outsider(Role::ServiceManager), "recordPoliceReferral", json!({"caseId": case_id, "referredOn": today(), "reason": "threat"})).await, "NOT_FOUND", None);
        // Staff of someone holding both services' roles see both.
        let both = app.token_for("both", &[Role::ServiceManager], &[HOU, OTH]);
        assert!(w.read_as(&both, &case_id).await["errors"].is_null());
        // The Standards Committee sees that the records exist, never their free text,
        // references or names (8.2).
        let committee = app.token_for("committee", &[Role::StandardsCommittee], &[]);
        let body = w.read_as(&committee, &case_id).await;
        let data = body["data"].to_string();
        assert!(!data.contains("SECRET"), "{data}");
        assert!(!data.contains("fictional"), "{data}");
        assert!(!data.contains("service_manager-HOU"), "{data}");
        let case = &body["data"]["case"];
        assert_eq!(case["exclusions"][0]["healthAndSafety"], true, "{body}");
        assert!(case["exclusions"][0]["reasons"].is_null());
        assert!(case["policeReferrals"][0]["policeReference"].is_null());
        assert!(case["policeReferrals"][0]["reason"].is_null());
        assert_eq!(case["hsIncidents"][0]["hsV1Recorded"], true);
        assert!(case["hsIncidents"][0]["hsV1Reference"].is_null());
        // Its timeline (8.2) shows each record, without names or free text.
        let timeline = app.graphql_as(&committee, "query($id: ID!) { case(id: $id) { timeline { kind summary } } }", json!({"id": case_id})).await;
        assert!(timeline["errors"].is_null(), "{timeline}");
        let kinds: Vec<&str> = timeline["data"]["case"]["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        for kind in ["threat_reported", "exclusion_imposed", "police_referral", "call_terminated", "harassment_referred", "recording_request"] {
            assert!(kinds.contains(&kind), "{kind} missing: {timeline}");
        }
        let text = timeline.to_string();
        assert!(!text.contains("SECRET") && !text.contains("fictional") && !text.contains("HOU"), "{text}");
        let refused: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["extensions"]["code"].as_str().unwrap()).collect();
        assert!(!refused.is_empty() && refused.iter().all(|c| *c == "FORBIDDEN"), "{body}");
        // An elected Member who reported on the case reads none of these records.
        let member = app.token_for("member-2", &[Role::ElectedMember], &[]);
        let customer = app.graphql("query($id: ID!) { case(id: $id) { customer { id } } }", json!({"id": case_id})).await;
        w.act_as(&member, "reportBehaviour", json!({
            "customerId": customer["data"]["case"]["customer"]["id"], "serviceCode": HOU,
            "behaviours": ["aggressive_intimidating_threatening"], "channel": "telephone",
            "occurredAt": Utc::now().to_rfc3339(), "description": "Rang me at home."})).await;
        let body = w.read_as(&member, &case_id).await;
        let data = body["data"].to_string();
        assert!(!data.contains("SECRET") && !data.contains("fictional"), "{data}");
        assert!(body["data"]["case"]["exclusions"].is_null(), "{body}");
        assert!(body["data"]["case"]["policeReferrals"].is_null(), "{body}");
        // Legal Services and the Monitoring Officer see every service.
        let mo = app.token_for("mo", &[Role::MonitoringOfficer], &[]);
        let body = w.read_as(&mo, &case_id).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["case"]["policeReferrals"][0]["policeReference"], "SWP-SECRET");
    }

    async fn one_audit_row_per_mutation_and_retries_are_idempotent(app) {
        let w = World::new(&app).await;
        let officer = w.token(Role::Officer);
        let input = json!({"newCustomer": {"displayName": "Retry Customer"}, "serviceCode": HOU,
            "reasons": "Threatened me at the desk.", "imminentRisk": true});
        let before = w.audit_count().await;
        let first = w.send(&officer, "reportThreat", input.clone(), Some("threat-1")).await;
        assert!(first["errors"].is_null(), "{first}");
        let again = w.send(&officer, "reportThreat", input.clone(), Some("threat-1")).await;
        assert_eq!(again["data"], first["data"], "a retry returns the first result");
        assert_eq!(w.audit_count().await, before + 1, "one audit row for the call and its retry");
        let other = w.send(&officer, "reportThreat", json!({"caseId": first["data"]["reportThreat"]["caseId"], "reasons": "x", "imminentRisk": false}), Some("threat-1")).await;
        expect(&other["errors"][0], "BAD_USER_INPUT", Some("idempotencyKey"));
        let incident = first["data"]["reportThreat"].clone();
        let manager = w.token(Role::ServiceManager);
        let input = w.temporary(&incident, Some(days(7)));
        let one = w.send(&manager, "excludeTemporarily", input.clone(), Some("exclude-1")).await;
        let two = w.send(&manager, "excludeTemporarily", input, Some("exclude-1")).await;
        assert!(one["errors"].is_null(), "{one}");
        assert_eq!(one["data"], two["data"]);
        assert_eq!(w.audit_count().await, before + 2);
        let case = w.case(&incident["caseId"]).await;
        assert_eq!(case["hsIncidents"].as_array().unwrap().len(), 1);
        assert_eq!(case["exclusions"].as_array().unwrap().len(), 1);
        // The audit row names what was done, to which record, on which case.
        use sea_orm::{EntityTrait, QueryOrder};
        let last = entities::audit_event::Entity::find()
            .order_by_desc(entities::audit_event::Column::Id)
            .one(&app.db).await.unwrap().unwrap();
        assert_eq!(last.action, "exclusion.temporary");
        assert_eq!(last.entity_type, "exclusion");
        assert_eq!(last.entity_id.as_deref(), one["data"]["excludeTemporarily"]["id"].as_str());
        assert_eq!(Some(last.case_id.unwrap().to_string()), incident["caseId"].as_str().map(String::from));
    }
}
