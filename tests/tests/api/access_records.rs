//! Who looked (issue 7), through HTTP, on both databases: reads of sensitive fields write access
//! records — a whole page of cases in one `INSERT` of one row per kind of information — naming the reader, the case, the customer
//! and what was read; reads of nothing sensitive write none; a read whose reader cannot be
//! recorded is not answered.

use api::auth::Role;
use entities::access_read::{AccessCategory, Record};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::json;
use tests::{TestApp, db_tests};

use self::council::*;

/// Driving the API to make records, shared by the accountability tests (this file,
/// `audit_queries.rs` and `subject_access.rs`).
pub(crate) mod council {
    use api::auth::Role;
    use chrono::{Duration, NaiveDate, Utc};
    use serde_json::{Value, json};
    use tests::TestApp;

    /// The service most records are made in.
    pub const HOU: &str = "HOU";
    /// A second service, where the customer also has a case.
    pub const OTH: &str = "OTH";
    /// A third service, where the customer has no case (a contact there belongs to no case).
    pub const LEI: &str = "LEI";

    pub fn today() -> NaiveDate {
        Utc::now().date_naive()
    }

    /// Three services, premises for HOU, driving records through the API.
    pub struct Council<'a> {
        pub app: &'a TestApp,
        /// HOU's premises.
        pub premises: String,
    }

    /// One customer's records as made by [`Council::everything_about`].
    pub struct Made {
        pub customer_id: String,
        /// The HOU case (restricted, with Health & Safety records).
        pub restricted_case: String,
    }

    impl<'a> Council<'a> {
        pub async fn new(app: &'a TestApp) -> Council<'a> {
            let admin = app.token(Role::Admin, &[]);
            let mut premises = String::new();
            for code in [HOU, OTH, LEI] {
                let body = app
                    .graphql_as(
                        &admin,
                        "mutation($c: String!) { createService(input: {code: $c, name: $c}) { code } \
                         createEstablishment(input: {name: \"Office\", address: \"1 High Street\", serviceCode: $c}) { id } }",
                        json!({"c": code}),
                    )
                    .await;
                assert!(body["errors"].is_null(), "{body}");
                if code == HOU {
                    premises = body["data"]["createEstablishment"]["id"]
                        .as_str()
                        .expect("an establishment id")
                        .to_string();
                }
            }
            Council { app, premises }
        }

        /// A token for `role` in `service`, subject `<role>-<service>`.
        pub fn token(&self, role: Role, service: &str) -> String {
            self.app
                .token_for(&format!("{}-{service}", role.as_str()), &[role], &[service])
        }

        /// `op` with `input` as `role` in `service`, selecting `fields`: must succeed.
        pub async fn act(
            &self,
            role: Role,
            service: &str,
            op: &str,
            input: Value,
            fields: &str,
        ) -> Value {
            let ty = format!("{}{}Input", op[..1].to_uppercase(), &op[1..]);
            let doc = format!("mutation($input: {ty}!) {{ {op}(input: $input) {{ {fields} }} }}");
            let body = self
                .app
                .graphql_as(&self.token(role, service), &doc, json!({"input": input}))
                .await;
            assert!(body["errors"].is_null(), "{op} failed: {body}");
            body["data"][op].clone()
        }

        /// A case's current version (read without any sensitive field).
        pub async fn version(&self, case_id: &str) -> i64 {
            let body = self
                .app
                .graphql(
                    "query($id: ID!) { case(id: $id) { version } }",
                    json!({"id": case_id}),
                )
                .await;
            body["data"]["case"]["version"]
                .as_i64()
                .unwrap_or_else(|| panic!("{body}"))
        }

        /// An officer's report about a new customer in `service`: the case (`id`, `customer`).
        pub async fn new_case(&self, name: &str, service: &str, marker: &str) -> Value {
            self.act(
                Role::Officer,
                service,
                "reportBehaviour",
                json!({
                    "newCustomer": {"displayName": name, "address": "1 Test Street\nTonypandy", "email": "someone@example.org"},
                    "serviceCode": service,
                    "behaviours": ["numerous_repeat_calls"],
                    "channel": "telephone",
                    "occurredAt": (Utc::now() - Duration::days(10)).to_rfc3339(),
                    "description": format!("Called thirty times in a day ({marker})."),
                }),
                "id version customer { id }",
            )
            .await
        }

        /// A report about an existing customer in `service`, opening a case there.
        pub async fn case_for(&self, customer_id: &str, service: &str, marker: &str) -> Value {
            self.act(
                Role::Officer,
                service,
                "reportBehaviour",
                json!({
                    "customerId": customer_id,
                    "serviceCode": service,
                    "behaviours": ["aggressive_intimidating_threatening"],
                    "channel": "in_person",
                    "occurredAt": (Utc::now() - Duration::days(9)).to_rfc3339(),
                    "description": format!("Shouted at reception ({marker})."),
                }),
                "id version customer { id }",
            )
            .await
        }

        /// Determine the case's behaviour unreasonable (as its service's Service manager).
        pub async fn determine(&self, case_id: &str, service: &str, marker: &str) {
            let version = self.version(case_id).await;
            self.act(
                Role::ServiceManager,
                service,
                "determineBehaviour",
                json!({"caseId": case_id, "version": version, "unreasonable": true,
                    "reasons": format!("Thirty calls in a day is unreasonable ({marker}).")}),
                "id",
            )
            .await;
        }

        /// Determined, then warned by the Head of Service: the case has a Stage 1 warning and
        /// its letter.
        pub async fn warn(&self, case_id: &str, service: &str, marker: &str) {
            self.determine(case_id, service, marker).await;
            let version = self.version(case_id).await;
            self.act(
                Role::HeadOfService,
                service,
                "issueStage1Warning",
                json!({"caseId": case_id, "version": version,
                    "reasons": format!("You telephoned thirty times ({marker})."),
                    "serviceDirectorConsulted": "Director of the service", "consultedOn": today(),
                    "adjustmentsConsidered": "None are due.", "proportionality": "The least step."}),
                "id",
            )
            .await;
        }

        /// A police referral with reference `reference` on the case (Service manager).
        pub async fn police(&self, case_id: &str, service: &str, reference: &str) -> Value {
            self.act(
                Role::ServiceManager,
                service,
                "recordPoliceReferral",
                json!({"caseId": case_id, "referredOn": today(), "reason": "threat",
                    "policeReference": reference}),
                "id",
            )
            .await
        }

        /// Records of every kind about a new customer `name`, their free text carrying `marker`:
        /// a HOU case restricted at once with breaches, a new issue, a review, Health & Safety
        /// records, a request to record and a contact; an OTH case warned, appealed, not upheld;
        /// a contact with LEI outside any case.
        pub async fn everything_about(&self, name: &str, marker: &str) -> Made {
            let case = self.new_case(name, HOU, marker).await;
            let case_id = case["id"].as_str().expect("case id").to_string();
            let customer_id = case["customer"]["id"]
                .as_str()
                .expect("customer id")
                .to_string();
            self.determine(&case_id, HOU, marker).await;
            let version = self.version(&case_id).await;
            let decided = self
                .act(
                    Role::GroupDirector,
                    HOU,
                    "decideStage2",
                    json!({"caseId": case_id, "version": version,
                        "exceptionalReasons": format!("Staff were threatened ({marker})."),
                        "consultedRole": "legal_services", "consultedName": "Service Director - Legal Services",
                        "adjustmentsConsidered": "Offered an advocate.", "proportionality": "Least restrictive.",
                        "reasons": format!("Continued abuse ({marker})."),
                        "restrictions": [
                            {"parameters": {"establishmentExclusion": {"establishmentIds": [self.premises]}},
                             "endsOn": today() + Duration::days(90)},
                            {"parameters": {"contactForm": {"permittedChannels": ["letter"]}}},
                        ]}),
                    "id restrictions { id }",
                )
                .await;
            let restriction = decided["restrictions"][0]["id"].clone();
            self.act(
                Role::Officer,
                HOU,
                "recordBreach",
                json!({"restrictionId": restriction,
                    // Now: the restriction started today, and two hours ago is yesterday
                    // between midnight and two in the morning.
                    "occurredAt": Utc::now().to_rfc3339(),
                    "description": format!("Came to the office despite the exclusion ({marker}).")}),
                "id",
            )
            .await;
            let version = self.version(&case_id).await;
            self.act(
                Role::GroupDirector,
                HOU,
                "considerNewIssue",
                json!({"caseId": case_id, "version": version,
                    "description": format!("A new repair request ({marker})."),
                    "restrictionsRemainAppropriate": true, "reasons": "Dealt with by letter."}),
                "id",
            )
            .await;
            let version = self.version(&case_id).await;
            self.act(
                Role::LegalServices,
                HOU,
                "recommendReview",
                json!({"caseId": case_id, "version": version, "recommendation": "continue",
                    "reasons": format!("Behaviour continues ({marker}).")}),
                "id",
            )
            .await;
            let version = self.version(&case_id).await;
            self.act(
                Role::GroupDirector,
                HOU,
                "endorseReview",
                json!({"caseId": case_id, "version": version, "endorsed": true, "reasons": "Agreed."}),
                "id",
            )
            .await;
            // Health & Safety (section 3) and recording (section 4).
            let incident = self
                .act(
                    Role::Officer,
                    HOU,
                    "reportThreat",
                    json!({"caseId": case_id, "imminentRisk": true,
                        "reasons": format!("Said he would wait for me after work ({marker}).")}),
                    "id version",
                )
                .await;
            self.act(
                Role::ServiceManager,
                HOU,
                "excludeTemporarily",
                json!({"hsIncidentId": incident["id"], "establishmentIds": [self.premises],
                    "endsOn": today() + Duration::days(14),
                    "reasons": format!("Threatened an officer ({marker}).")}),
                "id",
            )
            .await;
            self.act(
                Role::ServiceManager,
                HOU,
                "recordHsV1Reference",
                json!({"hsIncidentId": incident["id"], "version": incident["version"],
                    "hsV1Reference": format!("HSV1-{marker}")}),
                "id",
            )
            .await;
            self.police(&case_id, HOU, &format!("SWP-{marker}")).await;
            let call = self
                .act(
                    Role::Officer,
                    HOU,
                    "recordCallTermination",
                    json!({"caseId": case_id,
                        "terminatedAt": (Utc::now() - Duration::hours(1)).to_rfc3339(),
                        "warningGiven": "I said I would end the call.",
                        "reason": format!("He kept swearing ({marker}).")}),
                    "id",
                )
                .await;
            self.act(
                Role::ServiceManager,
                HOU,
                "referHarassment",
                json!({"caseId": case_id, "callTerminationIds": [call["id"]],
                    "referredTo": "Head of Housing",
                    "reasons": format!("Abusive calls ({marker}).")}),
                "id",
            )
            .await;
            self.act(
                Role::Officer,
                HOU,
                "recordRecordingRequest",
                json!({"caseId": case_id, "requestedAt": (Utc::now() - Duration::hours(3)).to_rfc3339(),
                    "context": format!("Meeting about rent ({marker})."), "agreed": true}),
                "id",
            )
            .await;
            self.act(
                Role::Officer,
                HOU,
                "logContact",
                json!({"customerId": customer_id, "serviceCode": HOU, "channel": "letter",
                    "direction": "inbound", "summary": format!("A letter about repairs ({marker}).")}),
                "allowed",
            )
            .await;
            self.act(
                Role::Officer,
                LEI,
                "logContact",
                json!({"customerId": customer_id, "serviceCode": LEI, "channel": "telephone",
                    "direction": "inbound", "summary": format!("Asked about the pool ({marker}).")}),
                "allowed",
            )
            .await;
            // The OTH case: warned, appeal logged and not upheld (6.1, 6.2).
            let other = self.case_for(&customer_id, OTH, marker).await;
            let other_id = other["id"].as_str().expect("case id").to_string();
            self.warn(&other_id, OTH, marker).await;
            let version = self.version(&other_id).await;
            self.act(
                Role::LegalServices,
                OTH,
                "logAppeal",
                json!({"caseId": other_id, "version": version, "receivedOn": today(),
                    "grounds": format!("Nobody answered ({marker}).")}),
                "id",
            )
            .await;
            let version = self.version(&other_id).await;
            self.act(
                Role::GroupDirector,
                OTH,
                "decideAppeal",
                json!({"caseId": other_id, "version": version, "upheld": false,
                    "reasons": format!("The call log shows thirty calls ({marker}).")}),
                "id",
            )
            .await;
            Made {
                customer_id,
                restricted_case: case_id,
            }
        }
    }
}

/// Every access record, oldest first.
async fn records(app: &TestApp) -> Vec<Record> {
    tests::access_records(&app.db).await
}

async fn count(app: &TestApp) -> u64 {
    records(app).await.len() as u64
}

const SENSITIVE_PAGE: &str = "query($n: Int) { cases(first: $n) { nodes { id reference \
    customer { id displayName address } reports { id description } letters { id subject } } } }";
const PLAIN_PAGE: &str = "query($n: Int) { cases(first: $n) { nodes { id reference \
    customer { id } reports { id } letters { id } } } }";

db_tests! {
    async fn a_page_of_50_cases_records_its_reads_in_one_insert(app) {
        let c = Council::new(&app).await;
        for i in 0..50 {
            c.new_case(&format!("Customer {i}"), HOU, &format!("page {i}")).await;
        }
        let reader = app.token_for("reader-1", &[Role::LegalServices], &[]);
        // The same page without sensitive fields, to know what the page costs by itself.
        let (body, plain5) = app.graphql_counting(&reader, PLAIN_PAGE, json!({"n": 5})).await;
        assert!(body["errors"].is_null(), "{body}");
        let (_, plain50) = app.graphql_counting(&reader, PLAIN_PAGE, json!({"n": 50})).await;
        assert_eq!(plain5, plain50, "the page's loaders batch");
        assert_eq!(count(&app).await, 0, "ids and references are not sensitive");

        let (body, five) = app.graphql_counting(&reader, SENSITIVE_PAGE, json!({"n": 5})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["cases"]["nodes"].as_array().unwrap().len(), 5);
        let after_five = records(&app).await;
        // Per case: identity, contact details, behaviour description (no letters yet).
        assert_eq!(after_five.len(), 5 * 3, "{after_five:?}");
        let (body, fifty) = app.graphql_counting(&reader, SENSITIVE_PAGE, json!({"n": 50})).await;
        assert_eq!(body["data"]["cases"]["nodes"].as_array().unwrap().len(), 50, "{body}");
        let all = records(&app).await;
        assert_eq!(all.len(), 5 * 3 + 50 * 3);
        // Stored one row per request and kind of information: three for each page.
        let rows = entities::access_read::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(rows, 2 * 3, "one row per request and kind");

        // As many statements for 50 cases as for 5: the page's, plus one INSERT.
        assert_eq!(five, fifty, "a list page costs one insert, not one per row");
        assert_eq!(five, plain5 + 1, "the reads cost exactly one statement");

        // Each record names the reader, the request, the case and its customer.
        let page: Vec<&Record> = all[15..].iter().collect();
        let request = &page[0].request_id;
        assert!(page.iter().all(|r| &r.request_id == request && r.actor_sub == "reader-1"));
        assert!(page.iter().all(|r| r.actor_roles == "legal_services" && r.actor_name.as_deref() == Some("Test reader-1")));
        assert_ne!(&after_five[0].request_id, request, "one request id per request");
        let cases: Vec<i64> = body["data"]["cases"]["nodes"].as_array().unwrap().iter()
            .map(|n| n["id"].as_str().unwrap().parse().unwrap()).collect();
        for case in &cases {
            let mut kinds: Vec<AccessCategory> = page.iter().filter(|r| r.case_id == Some(*case)).map(|r| r.category).collect();
            kinds.sort();
            assert_eq!(kinds, [AccessCategory::CustomerIdentity, AccessCategory::ContactDetails, AccessCategory::BehaviourDescription], "case {case}");
        }
        let customers = app.db.query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, customer_id FROM upc_case".to_string(),
        )).await.unwrap();
        for row in customers {
            let case: i64 = row.try_get("", "id").unwrap();
            let customer: i64 = row.try_get("", "customer_id").unwrap();
            assert!(page.iter().filter(|r| r.case_id == Some(case)).all(|r| r.customer_id == Some(customer)));
        }
        assert!(page.iter().all(|r| r.operation == "query:cases"), "{:?}", page[0].operation);

        // A batch of operations is one request: its reads are written together, each
        // operation's own (1,200 rows here, more than one INSERT carries: one transaction).
        let mut batch: Vec<_> = (0..8).map(|_| json!({"query": SENSITIVE_PAGE, "variables": {"n": 50}})).collect();
        batch.push(json!({"query": "{ me { subject } }"}));
        let answers: serde_json::Value = app.client.post(format!("{}/graphql", app.base_url))
            .bearer_auth(&reader).json(&batch).send().await.unwrap().json().await.unwrap();
        assert_eq!(answers.as_array().map(Vec::len), Some(9), "{answers}");
        assert!(answers.as_array().unwrap().iter().all(|a| a["errors"].is_null()), "{answers}");
        let batched = records(&app).await;
        let new = &batched[all.len()..];
        assert_eq!(new.len(), 8 * 150);
        assert!(new.iter().all(|r| r.request_id == new[0].request_id && r.operation == "query:cases"));
    }

    async fn letters_and_police_references_record_what_was_read_and_by_whom(app) {
        let c = Council::new(&app).await;
        let case = c.new_case("Letter Reader", HOU, "letters").await;
        let case_id = case["id"].as_str().unwrap().to_string();
        let customer: i64 = case["customer"]["id"].as_str().unwrap().parse().unwrap();
        c.warn(&case_id, HOU, "letters").await;
        c.police(&case_id, HOU, "SWP-4242").await;
        assert_eq!(count(&app).await, 0, "making the records read nothing sensitive");

        // Legal Services reads the case's letters.
        let lawyer = app.token_for("lawyer-7", &[Role::LegalServices], &[]);
        let body = app.graphql_as(&lawyer, "query Letters($id: ID!) { case(id: $id) { letters { id kind bodyText } } }", json!({"id": case_id})).await;
        let letter_id = body["data"]["case"]["letters"][0]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_string();
        let read = records(&app).await;
        assert_eq!(read.len(), 1, "{read:?}");
        assert_eq!(read[0].category, AccessCategory::Letter);
        assert_eq!(read[0].actor_sub, "lawyer-7");
        assert_eq!(read[0].case_id, Some(case_id.parse().unwrap()));
        assert_eq!(read[0].customer_id, Some(customer));
        // The operation as the logs name it: the type and the root fields (the client sent no
        // operationName).
        assert_eq!(read[0].operation, "query:case");

        // One letter by id: the customer is found from the case.
        let body = app.graphql_as(&lawyer, "query($id: ID!) { letter(id: $id) { subject } }", json!({"id": letter_id})).await;
        assert!(body["data"]["letter"]["subject"].is_string(), "{body}");
        let read = records(&app).await;
        assert_eq!(read.len(), 2);
        assert_eq!((read[1].category, read[1].customer_id), (AccessCategory::Letter, Some(customer)));

        // A Service manager of the service reads the police reference.
        let manager = c.token(Role::ServiceManager, HOU);
        let body = app.graphql_as(&manager, "query($id: ID!) { case(id: $id) { policeReferrals { policeReference } } }", json!({"id": case_id})).await;
        assert_eq!(body["data"]["case"]["policeReferrals"][0]["policeReference"], "SWP-4242", "{body}");
        let read = records(&app).await;
        assert_eq!(read.len(), 3);
        assert_eq!(read[2].category, AccessCategory::PoliceReference);
        assert_eq!(read[2].actor_sub, "service_manager-HOU");
        assert_eq!(read[2].actor_roles, "service_manager");
        assert_eq!(read[2].case_id, Some(case_id.parse().unwrap()));

        // Aliases and fragments are reads too.
        let body = app.graphql_as(&manager, "query($id: ID!) { case(id: $id) { ...F } } fragment F on Case { pr: policeReferrals { ref: policeReference } }", json!({"id": case_id})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(count(&app).await, 4);

        // The dates and reasons of the same records are not.
        let body = app.graphql_as(&manager, "query($id: ID!) { case(id: $id) { policeReferrals { id referredOn reason } letters { id kind sentAt } } }", json!({"id": case_id})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(count(&app).await, 4);
    }

    async fn non_sensitive_queries_write_no_access_records(app) {
        let c = Council::new(&app).await;
        let case = c.new_case("Quiet Customer", HOU, "quiet").await;
        c.warn(case["id"].as_str().unwrap(), HOU, "quiet").await;
        let legal = app.token(Role::LegalServices, &[]);
        for doc in [
            "{ me { subject roles } services { code } }",
            "{ cases { nodes { id reference stage status customer { id reference kind } reports { id channel behaviours } letters { id kind } timeline { kind summary } allowedSteps } } }",
            "{ deadlines(withinDays: 60) { kind summary } reviewsDue { dueOn } }",
        ] {
            let body = app.graphql_as(&legal, doc, json!({})).await;
            assert!(body["errors"].is_null(), "{body}");
        }
        // A field the policy refuses is not a read: the Standards Committee (8.2).
        let committee = app.token(Role::StandardsCommittee, &[]);
        let body = app.graphql_as(&committee, "{ cases { nodes { reference reports { description } letters { subject } customer { displayName } } } }", json!({})).await;
        let codes: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["extensions"]["code"].as_str().unwrap()).collect();
        assert!(!codes.is_empty() && codes.iter().all(|c| *c == "FORBIDDEN"), "{body}");
        assert_eq!(count(&app).await, 0, "{:?}", records(&app).await);
        // ...whereas a name is.
        let body = app.graphql_as(&legal, "{ customers(search: \"quiet\") { displayName } }", json!({})).await;
        assert_eq!(body["data"]["customers"][0]["displayName"], "Quiet Customer", "{body}");
        let read = records(&app).await;
        assert_eq!(read.len(), 1);
        assert_eq!((read[0].category, read[0].case_id), (AccessCategory::CustomerIdentity, None));
    }

    async fn a_read_that_cannot_be_recorded_is_not_answered(app) {
        let c = Council::new(&app).await;
        let case = c.new_case("Unrecorded Customer", HOU, "unrecorded").await;
        // Behind the API's back, the table of access records goes.
        app.db.execute_unprepared("DROP TABLE access_read").await.unwrap();
        let legal = app.token(Role::LegalServices, &[]);
        let body = app.graphql_as(&legal, "query($id: ID!) { case(id: $id) { customer { displayName } } }", json!({"id": case["id"]})).await;
        assert!(body["data"].is_null(), "the name must not be answered: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{body}");
        assert!(body["errors"][0]["extensions"]["correlationId"].is_string(), "{body}");
        assert!(!body.to_string().contains("Unrecorded Customer"));
        assert!(!body.to_string().contains("access_read"), "no internals: {body}");
        // What is not sensitive is still answered.
        let body = app.graphql_as(&legal, "query($id: ID!) { case(id: $id) { reference customer { id } } }", json!({"id": case["id"]})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert!(body["data"]["case"]["reference"].is_string());
    }
}

/// Group commit (`api::access::writer`): many requests' records in one commit, each request
/// answered only once its own are committed.
mod group_commit {
    use std::collections::BTreeSet;

    use api::access::writer::Row;
    use api::auth::Role;
    use chrono::{TimeZone, Utc};
    use entities::access_read::{self, AccessCategory};
    use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
    use serde_json::{Value, json};
    use tests::{Backend, TestApp, db_tests};

    use super::council::{Council, HOU};

    const PAGE: &str =
        "query { cases(first: 50) { nodes { reference customer { displayName } } } }";

    /// `(upc_access_record_batches_total, upc_access_records_written_total)` from `/metrics`.
    async fn totals(app: &TestApp) -> (u64, u64) {
        let text = app.metrics().await.text().await.unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{name} in {text}"))
        };
        (
            value("upc_access_record_batches_total"),
            value("upc_access_records_written_total"),
        )
    }

    /// Send `PAGE` as the holder of `token`; the request id, the body, and how many access
    /// records of that request were in the table the moment the answer arrived.
    async fn read_page(
        client: reqwest::Client,
        url: String,
        db: sea_orm::DatabaseConnection,
        token: String,
    ) -> (String, Value, u64) {
        let response = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({"query": PAGE}))
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        let body: Value = response.json().await.unwrap();
        let recorded = tests::access_records_of(&db, &id).await.len() as u64;
        (id, body, recorded)
    }

    /// `n` readers at once, every `poison_every`th of them (if any) the one whose records the
    /// database refuses; `(poisoned, request id, body, records found on arrival)` for each.
    async fn readers_at_once(
        app: &TestApp,
        n: usize,
        poison_every: Option<usize>,
    ) -> Vec<(bool, String, Value, u64)> {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let bad = poison_every.is_some_and(|every| i % every == every - 1);
            let subject = if bad {
                "poisoned-reader".to_string()
            } else {
                format!("reader-{i}")
            };
            let token = app.token_for(&subject, &[Role::LegalServices], &[]);
            let (client, url, db) = (
                app.client.clone(),
                format!("{}/graphql", app.base_url),
                app.db.clone(),
            );
            tasks.spawn(async move {
                let (id, body, recorded) = read_page(client, url, db, token).await;
                (bad, id, body, recorded)
            });
        }
        tasks.join_all().await
    }

    db_tests! {
        async fn concurrent_readers_each_find_their_records_committed_before_the_answer(app) {
            let c = Council::new(&app).await;
            const CASES: usize = 12;
            for i in 0..CASES {
                c.new_case(&format!("Group Customer {i}"), HOU, &format!("group {i}")).await;
            }
            let (batches_before, written_before) = totals(&app).await;
            let answers = readers_at_once(&app, 40, None).await;
            assert_eq!(answers.len(), 40);
            let mut ids = BTreeSet::new();
            for (_, id, body, recorded) in &answers {
                assert!(body["errors"].is_null(), "{body}");
                assert_eq!(body["data"]["cases"]["nodes"].as_array().map(Vec::len), Some(CASES), "{body}");
                // One customer name per case, committed before the answer was sent.
                assert_eq!(*recorded, CASES as u64, "request {id}");
                ids.insert(id.clone());
            }
            assert_eq!(ids.len(), 40, "one request id per request");

            let all = tests::access_records(&app.db).await;
            assert_eq!(all.len(), 40 * CASES, "no record written twice");
            let distinct: BTreeSet<_> = all.iter().map(|r| (r.request_id.clone(), r.case_id, r.category)).collect();
            assert_eq!(distinct.len(), all.len(), "no duplicates");
            assert!(all.iter().all(|r| ids.contains(&r.request_id) && r.category == AccessCategory::CustomerIdentity
                && r.customer_id.is_some() && r.operation == "query:cases"));
            for r in &all {
                assert_eq!(r.actor_name.as_deref(), Some(format!("Test {}", r.actor_sub).as_str()));
            }

            let (batches, written) = totals(&app).await;
            assert_eq!(written - written_before, (40 * CASES) as u64);
            // However the requests met the writer, they took at most one commit each.
            let commits = batches - batches_before;
            assert!((1..=40).contains(&commits), "{commits} commits");
        }

        async fn a_reader_whose_records_are_refused_fails_alone(app) {
            let c = Council::new(&app).await;
            for i in 0..3 {
                c.new_case(&format!("Poison Customer {i}"), HOU, &format!("poison {i}")).await;
            }
            // Behind the API's back, the database refuses one reader's records.
            match app.backend {
                Backend::Sqlite => {
                    app.db.execute_unprepared(
                        "CREATE TRIGGER test_poison BEFORE INSERT ON access_read \
                         WHEN NEW.actor_sub = 'poisoned-reader' BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
                    ).await.unwrap();
                }
                Backend::Postgres => {
                    app.db.execute_unprepared(
                        "CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                         IF NEW.actor_sub = 'poisoned-reader' THEN RAISE EXCEPTION 'poisoned'; END IF; \
                         RETURN NEW; END $$",
                    ).await.unwrap();
                    app.db.execute_unprepared(
                        "CREATE TRIGGER test_poison BEFORE INSERT ON access_read \
                         FOR EACH ROW EXECUTE FUNCTION test_poison()",
                    ).await.unwrap();
                }
            }
            let answers = readers_at_once(&app, 24, Some(6)).await;
            assert_eq!(answers.iter().filter(|(bad, ..)| *bad).count(), 4);
            for (bad, id, body, recorded) in &answers {
                if *bad {
                    assert!(body["data"].is_null(), "the names must not be answered: {body}");
                    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{body}");
                    assert!(!body.to_string().contains("Poison Customer"), "{body}");
                    assert_eq!(*recorded, 0, "request {id}");
                } else {
                    assert!(body["errors"].is_null(), "{body}");
                    assert_eq!(body["data"]["cases"]["nodes"].as_array().map(Vec::len), Some(3), "{body}");
                    assert_eq!(*recorded, 3, "request {id}");
                }
            }
            let all = tests::access_records(&app.db).await;
            assert_eq!(all.len(), 20 * 3);
            assert!(all.iter().all(|r| r.actor_sub != "poisoned-reader"));
        }

        async fn the_writer_stores_what_it_is_given_nulls_included(app) {
            let metrics = api::metrics::Metrics::new();
            let writer = api::access::AccessWriter::start(app.db.clone(), metrics.clone());
            let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 15).unwrap();
            // More rows than one SQLite INSERT carries, every combination of absent values, and
            // rows of one record and of many.
            let rows: Vec<Row> = (0..1200i64).map(|i| Row {
                occurred_at: at + chrono::Duration::seconds(i),
                actor_sub: format!("sub-{i}"),
                actor_name: (i % 2 == 0).then(|| format!("Name {i} — O'Brien")),
                actor_roles: "legal_services,admin".into(),
                request_id: format!("req-{}", i / 100),
                client_address: (i % 3 == 0).then(|| "2001:db8::1".to_string()),
                operation: "query:cases".into(),
                category: AccessCategory::ALL[i as usize % AccessCategory::ALL.len()],
                records: (0..(i % 4)).map(|k| ((k % 5 != 0 || i % 2 == 0).then_some(i * 10 + k), (k % 3 != 1).then_some(10_000 + i + k))).chain([((i % 5 != 0).then_some(i), (i % 7 != 0).then_some(10_000 + i))]).collect(),
            }).collect();
            let records: usize = rows.iter().map(|r| r.records.len()).sum();
            writer.write(rows.clone()).await.unwrap();
            assert_eq!(metrics.access_record_totals(), (1, records as u64));
            let stored = access_read::Entity::find().order_by_asc(access_read::Column::Id).all(&app.db).await.unwrap();
            assert_eq!(stored.len(), rows.len());
            for (s, r) in stored.iter().zip(&rows) {
                let back = Row {
                    occurred_at: s.occurred_at,
                    actor_sub: s.actor_sub.clone(),
                    actor_name: s.actor_name.clone(),
                    actor_roles: s.actor_roles.clone(),
                    request_id: s.request_id.clone(),
                    client_address: s.client_address.clone(),
                    operation: s.operation.clone(),
                    category: s.category,
                    records: s.records().map(|x| (x.case_id, x.customer_id)).collect(),
                };
                assert_eq!(&back, r);
            }
            // Nothing to write is not a write.
            writer.write(Vec::new()).await.unwrap();
            assert_eq!(metrics.access_record_totals(), (1, records as u64));
        }
    }
}
