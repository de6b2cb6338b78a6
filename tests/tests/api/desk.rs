//! At the point of contact, through HTTP on both databases: the contact check for every kind of
//! restriction at, inside and outside its parameters (5.3), only ever for the service asked
//! about (5.4); the contact log with its screening of repeat correspondence (5.2) and its
//! breaches (5.6); and the deadlines list.

use api::auth::Role;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{TestApp, db_tests};

/// Services HOU (with two establishments and two officers) and LEI, set up by an administrator.
struct Desk<'a> {
    app: &'a TestApp,
    /// Establishment ids: the One4All Centre and the Civic Centre, both run by HOU.
    one4all: String,
    civic: String,
    /// Staff directory ids of two HOU officers.
    named: i64,
    other_officer: i64,
}

const CHECK: &str = "query($input: ContactCheckInput!) { contactCheck(input: $input) { allowed serviceCode findings { restrictionId exclusionId kind blocks instruction } } }";
const LOG: &str = "mutation($input: LogContactInput!) { logContact(input: $input) { allowed breachIds findings { kind blocks } contact { id outcome version raisesNewIssue } } }";

impl<'a> Desk<'a> {
    async fn new(app: &'a TestApp) -> Desk<'a> {
        let admin = app.token(Role::Admin, &[]);
        for code in ["HOU", "LEI"] {
            let body = app
                .graphql_as(
                    &admin,
                    "mutation($c: String!, $n: String!) { createService(input: {code: $c, name: $n}) { code } }",
                    json!({"c": code, "n": format!("Service {code}")}),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
        }
        let mut ids = Vec::new();
        for place in ["One4All Centre", "Civic Centre"] {
            let e = app
                .graphql_as(
                    &admin,
                    "mutation($n: String!) { createEstablishment(input: {name: $n, address: \"1 High St\", serviceCode: \"HOU\"}) { id } }",
                    json!({"n": place}),
                )
                .await;
            ids.push(
                e["data"]["createEstablishment"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        // The staff directory has no API yet: two officers, added as test set-up.
        for name in ["Named Officer", "Other Officer"] {
            app.db
                .execute_unprepared(&format!(
                    "INSERT INTO staff_member (display_name, active, version, created_at) VALUES ('{name}', true, 1, CURRENT_TIMESTAMP)"
                ))
                .await
                .unwrap();
        }
        Desk {
            app,
            one4all: ids[0].clone(),
            civic: ids[1].clone(),
            named: 1,
            other_officer: 2,
        }
    }

    fn token(&self, role: Role) -> String {
        self.app
            .token_for(&format!("desk-{}", role.as_str()), &[role], &["HOU"])
    }

    async fn ok(&self, role: Role, query: &str, vars: Value) -> Value {
        let body = self.app.graphql_as(&self.token(role), query, vars).await;
        assert!(body["errors"].is_null(), "{body}");
        body["data"].clone()
    }

    /// A new customer in HOU with one restriction of the given parameters (Stage 2 at once,
    /// with exceptional reasons, the shortest lawful route). Returns (customer id, case).
    async fn restricted(&self, name: &str, parameters: Value) -> (String, Value) {
        let case = self
            .ok(
                Role::Officer,
                "mutation($i: ReportBehaviourInput!) { reportBehaviour(input: $i) { id version customer { id } } }",
                json!({"i": {"newCustomer": {"displayName": name}, "serviceCode": "HOU",
                    "behaviours": ["aggressive_intimidating_threatening"], "channel": "in_person",
                    "occurredAt": Utc::now().to_rfc3339(), "description": "Threatened staff (fictional)"}}),
            )
            .await["reportBehaviour"]
            .clone();
        let customer = case["customer"]["id"].as_str().unwrap().to_string();
        let case = self
            .ok(
                Role::ServiceManager,
                "mutation($i: DetermineBehaviourInput!) { determineBehaviour(input: $i) { id version } }",
                json!({"i": {"caseId": case["id"], "version": case["version"], "unreasonable": true, "reasons": "Threats"}}),
            )
            .await["determineBehaviour"]
            .clone();
        let case = self
            .ok(
                Role::GroupDirector,
                "mutation($i: DecideStage2Input!) { decideStage2(input: $i) { id version flaggedForReview restrictions { id } } }",
                json!({"i": {"caseId": case["id"], "version": case["version"],
                    "exceptionalReasons": "Threats of violence (fictional)",
                    "consultedRole": "legal_services", "consultedName": "Legal", "adjustmentsConsidered": "None known",
                    "proportionality": "Least restrictive", "reasons": "Threats",
                    "restrictions": [{"parameters": parameters}]}}),
            )
            .await["decideStage2"]
            .clone();
        (customer, case)
    }

    async fn check(
        &self,
        customer: &str,
        service: &str,
        channel: &str,
        at: DateTime<Utc>,
        extra: Value,
    ) -> Value {
        let mut input = json!({"customerId": customer, "serviceCode": service, "channel": channel, "at": at.to_rfc3339()});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        self.ok(Role::Officer, CHECK, json!({"input": input})).await["contactCheck"].clone()
    }

    async fn allowed(
        &self,
        customer: &str,
        channel: &str,
        at: DateTime<Utc>,
        extra: Value,
    ) -> bool {
        let check = self.check(customer, "HOU", channel, at, extra).await;
        let findings = check["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "one restriction, one finding: {check}");
        assert!(!findings[0]["instruction"].as_str().unwrap().is_empty());
        assert_eq!(check["allowed"], !findings[0]["blocks"].as_bool().unwrap());
        check["allowed"].as_bool().unwrap()
    }

    async fn log(&self, role: Role, input: Value) -> Value {
        self.ok(role, LOG, json!({"input": input})).await["logContact"].clone()
    }
}

/// `hh:mm` UK local time on the next `weekday` at least two days from now.
fn uk(weekday: Weekday, hour: u32, minute: u32) -> DateTime<Utc> {
    let mut day: NaiveDate = Utc::now().date_naive() + Duration::days(2);
    while day.weekday() != weekday {
        day += Duration::days(1);
    }
    London
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

db_tests! {
    async fn contact_check_for_every_restriction_kind_5_3(app) {
        let d = Desk::new(&app).await;
        let noon = uk(Weekday::Tue, 11, 0);

        // Time limits: at most 2 contacts in any 7 days.
        let (c, _) = d.restricted("Time Limits", json!({"timeLimits": {"maxContacts": 2, "perDays": 7}})).await;
        let now = Utc::now();
        assert!(d.allowed(&c, "telephone", now, json!({})).await);
        for _ in 0..2 {
            d.log(Role::Officer, json!({"customerId": c, "serviceCode": "HOU", "channel": "telephone", "direction": "inbound", "summary": "Called"})).await;
        }
        assert!(!d.allowed(&c, "telephone", now + Duration::minutes(1), json!({})).await, "the third contact in 7 days");
        assert!(d.allowed(&c, "telephone", now + Duration::days(8), json!({})).await, "outside the window the count starts again");

        // A named officer.
        let (c, _) = d.restricted("Named Contact", json!({"namedContact": {"staffMemberId": d.named.to_string()}})).await;
        assert!(d.allowed(&c, "telephone", noon, json!({"officerStaffId": d.named.to_string()})).await);
        assert!(!d.allowed(&c, "telephone", noon, json!({"officerStaffId": d.other_officer.to_string()})).await);
        let unknown = d.check(&c, "HOU", "telephone", noon, json!({})).await;
        assert_eq!(unknown["allowed"], true);
        assert!(unknown["findings"][0]["instruction"].as_str().unwrap().contains("Named Officer"), "{unknown}");

        // Telephone on Tuesdays and Thursdays, 10:00 to 12:00 UK time.
        let (c, _) = d.restricted("Telephone Times", json!({"telephoneTimes": {"days": ["tuesday", "thursday"], "from": "10:00", "to": "12:00"}})).await;
        assert!(d.allowed(&c, "telephone", uk(Weekday::Tue, 10, 0), json!({})).await, "at the start");
        assert!(d.allowed(&c, "telephone", uk(Weekday::Thu, 11, 59), json!({})).await, "inside");
        assert!(!d.allowed(&c, "telephone", uk(Weekday::Tue, 12, 0), json!({})).await, "at the end");
        assert!(!d.allowed(&c, "telephone", uk(Weekday::Tue, 9, 59), json!({})).await, "before");
        assert!(!d.allowed(&c, "telephone", uk(Weekday::Wed, 11, 0), json!({})).await, "another day");
        assert!(d.allowed(&c, "letter", uk(Weekday::Wed, 11, 0), json!({})).await, "a letter is not a call");

        // Exclusion from the One4All Centre only.
        let (c, _) = d.restricted("Excluded", json!({"establishmentExclusion": {"establishmentIds": [d.one4all]}})).await;
        assert!(!d.allowed(&c, "in_person", noon, json!({"establishmentId": d.one4all})).await);
        assert!(d.allowed(&c, "in_person", noon, json!({"establishmentId": d.civic})).await);
        assert!(d.allowed(&c, "letter", noon, json!({})).await);

        // Letter only.
        let (c, _) = d.restricted("Letter Only", json!({"contactForm": {"permittedChannels": ["letter"]}})).await;
        assert!(d.allowed(&c, "letter", noon, json!({})).await);
        assert!(!d.allowed(&c, "telephone", noon, json!({})).await);
        assert!(!d.allowed(&c, "email", noon, json!({})).await);

        // A contact agreement: contact goes on, under its terms.
        let (c, _) = d.restricted("Agreement", json!({"contactAgreement": {"terms": "One email a week to the housing team"}})).await;
        let agreed = d.check(&c, "HOU", "email", noon, json!({})).await;
        assert_eq!(agreed["allowed"], true);
        assert!(agreed["findings"][0]["instruction"].as_str().unwrap().contains("One email a week"), "{agreed}");

        // Termination: nothing at all.
        let (c, _) = d.restricted("Terminated", json!({"termination": {"permanentExclusionFromPremises": true}})).await;
        for channel in ["letter", "telephone", "email", "in_person", "web"] {
            assert!(!d.allowed(&c, channel, noon, json!({})).await, "{channel}");
        }

        // 5.4: the same customer contacting another service is unaffected.
        let elsewhere = d.app.graphql_as(&d.app.token_for("lei-officer", &[Role::Officer], &["LEI"]), CHECK,
            json!({"input": {"customerId": c, "serviceCode": "LEI", "channel": "telephone"}})).await;
        assert_eq!(elsewhere["data"]["contactCheck"], json!({"allowed": true, "serviceCode": "LEI", "findings": []}), "{elsewhere}");
    }

    async fn a_restriction_is_checked_only_while_in_force(app) {
        let d = Desk::new(&app).await;
        let (c, case) = d.restricted("Ended", json!({"contactForm": {"permittedChannels": ["letter"]}})).await;
        // Before the decision there was no restriction; it starts today.
        assert_eq!(d.check(&c, "HOU", "telephone", Utc::now() - Duration::days(3), json!({})).await["allowed"], true);
        assert_eq!(d.check(&c, "HOU", "telephone", Utc::now(), json!({})).await["allowed"], false);
        let r = &case["restrictions"][0];
        d.ok(Role::GroupDirector, "mutation($i: LiftRestrictionInput!) { liftRestriction(input: $i) { status } }",
            json!({"i": {"restrictionId": r["id"], "version": 1, "reasons": "No longer needed"}})).await;
        assert_eq!(d.check(&c, "HOU", "telephone", Utc::now() + Duration::days(1), json!({})).await["allowed"], true);
    }

    async fn checks_are_for_your_own_services_5_4(app) {
        let d = Desk::new(&app).await;
        let (c, _) = d.restricted("Scoped", json!({"contactForm": {"permittedChannels": ["letter"]}})).await;
        let lei = d.app.token_for("lei-officer", &[Role::Officer], &["LEI"]);
        let body = d.app.graphql_as(&lei, CHECK, json!({"input": {"customerId": c, "serviceCode": "HOU", "channel": "letter"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let member = d.app.token_for("member", &[Role::ElectedMember], &[]);
        let body = d.app.graphql_as(&member, CHECK, json!({"input": {"customerId": c, "serviceCode": "HOU", "channel": "letter"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let bad = d.app.graphql_as(&d.token(Role::Officer), CHECK, json!({"input": {"customerId": c, "serviceCode": "HOU", "channel": "pigeon"}})).await;
        assert_eq!((bad["errors"][0]["extensions"]["code"].clone(), bad["errors"][0]["extensions"]["field"].clone()), (json!("BAD_USER_INPUT"), json!("channel")), "{bad}");
    }

    async fn a_breach_is_recorded_and_an_ignored_exclusion_flags_review_5_6(app) {
        let d = Desk::new(&app).await;
        let (c, case) = d.restricted("Ignored", json!({"establishmentExclusion": {"establishmentIds": [d.one4all]}})).await;
        assert_eq!(case["flaggedForReview"], false);
        let audit_before = audit_count(&app).await;
        let logged = d.log(Role::Officer, json!({"customerId": c, "serviceCode": "HOU", "channel": "in_person", "direction": "inbound",
            "establishmentId": d.one4all, "summary": "Came in and refused to leave"})).await;
        assert_eq!(logged["allowed"], false, "{logged}");
        assert_eq!(logged["breachIds"].as_array().unwrap().len(), 1);
        assert_eq!(audit_count(&app).await, audit_before + 1, "one mutation, one audit event");
        let now = d.ok(Role::Officer, "query($id: ID!) { case(id: $id) { flaggedForReview breaches { restrictionId flaggedForReview outcome } } }", json!({"id": case["id"]})).await["case"].clone();
        assert_eq!(now["flaggedForReview"], true);
        assert_eq!(now["breaches"], json!([{"restrictionId": case["restrictions"][0]["id"], "flaggedForReview": true, "outcome": "pending"}]));
        let deadlines = d.ok(Role::ServiceManager, "{ deadlines { kind caseId overdue } }", json!({})).await["deadlines"].clone();
        assert!(deadlines.as_array().unwrap().iter().any(|x| x["kind"] == "breach_awaiting_review" && x["caseId"] == case["id"]), "{deadlines}");

        // Allowed contact records no breach; outbound contact never breaches.
        let fine = d.log(Role::Officer, json!({"customerId": c, "serviceCode": "HOU", "channel": "in_person", "direction": "inbound",
            "establishmentId": d.civic, "summary": "At the Civic Centre"})).await;
        assert_eq!((fine["allowed"].clone(), fine["breachIds"].clone()), (json!(true), json!([])));

        // A breach of letter-only is recorded but does not flag the case (only exclusions do, 5.6).
        let (c2, case2) = d.restricted("Letter Only", json!({"contactForm": {"permittedChannels": ["letter"]}})).await;
        let rang = d.log(Role::Officer, json!({"customerId": c2, "serviceCode": "HOU", "channel": "telephone", "direction": "inbound", "summary": "Rang"})).await;
        assert_eq!(rang["breachIds"].as_array().unwrap().len(), 1);
        let now = d.ok(Role::Officer, "query($id: ID!) { case(id: $id) { flaggedForReview breaches { flaggedForReview } } }", json!({"id": case2["id"]})).await["case"].clone();
        assert_eq!(now, json!({"flaggedForReview": false, "breaches": [{"flaggedForReview": false}]}));
    }

    async fn an_exclusion_from_premises_is_checked_too_3_2(app) {
        let d = Desk::new(&app).await;
        let (c, case) = d.restricted("Premises", json!({"contactForm": {"permittedChannels": ["letter", "in_person"]}})).await;
        // A temporary Health & Safety exclusion from the Civic Centre, as test set-up.
        let case_id = case["id"].as_str().unwrap();
        let today = Utc::now().date_naive();
        app.db.execute_unprepared(&format!(
            "INSERT INTO exclusion (case_id, kind, health_and_safety, starts_on, ends_on, reasons, authorised_by, version, created_at) \
             VALUES ({case_id}, 'temporary', true, '{today}', '{}', 'Threatened staff', 'manager', 1, CURRENT_TIMESTAMP)",
            today + Duration::days(14))).await.unwrap();
        app.db.execute_unprepared(&format!(
            "INSERT INTO exclusion_establishment (exclusion_id, establishment_id, version, created_at) VALUES (1, {}, 1, CURRENT_TIMESTAMP)", d.civic)).await.unwrap();
        let at_civic = d.check(&c, "HOU", "in_person", Utc::now(), json!({"establishmentId": d.civic})).await;
        assert_eq!(at_civic["allowed"], false, "{at_civic}");
        let kinds: Vec<&str> = at_civic["findings"].as_array().unwrap().iter().filter(|f| f["blocks"] == true).map(|f| f["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["premises_exclusion"]);
        let elsewhere = d.check(&c, "HOU", "in_person", Utc::now(), json!({"establishmentId": d.one4all})).await;
        assert_eq!(elsewhere["allowed"], true, "{elsewhere}");
        let later = d.check(&c, "HOU", "in_person", Utc::now() + Duration::days(15), json!({"establishmentId": d.civic})).await;
        assert_eq!(later["allowed"], true, "the temporary exclusion has ended: {later}");
        let deadlines = d.ok(Role::ServiceManager, "{ deadlines(withinDays: 30) { kind } }", json!({})).await["deadlines"].clone();
        assert!(deadlines.as_array().unwrap().iter().any(|x| x["kind"] == "temporary_exclusion_ending"), "{deadlines}");
    }

    async fn repeat_correspondence_is_screened_and_filed_items_wait_for_a_manager_5_2(app) {
        let d = Desk::new(&app).await;
        let (c, _) = d.restricted("Prolific", json!({"contactForm": {"permittedChannels": ["letter"]}})).await;
        let base = json!({"customerId": c, "serviceCode": "HOU", "channel": "letter", "direction": "inbound", "summary": "Same complaint again",
            "repeatCorrespondence": true});
        let unread = d.app.graphql_as(&d.token(Role::Officer), LOG, json!({"input": base})).await;
        assert_eq!(unread["errors"][0]["extensions"]["field"], "raisesNewIssue", "{unread}");
        let mut filed = base.clone();
        filed["raisesNewIssue"] = json!(false);
        let filed = d.log(Role::Officer, filed).await;
        assert_eq!(filed["contact"]["outcome"], "placed_on_file");
        let mut fresh = base.clone();
        fresh["raisesNewIssue"] = json!(true);
        assert_eq!(d.log(Role::Officer, fresh).await["contact"]["outcome"], "pending", "a new issue is dealt with on its merits (9.1)");

        let queue = d.ok(Role::ServiceManager, "{ filedCorrespondence { id } }", json!({})).await["filedCorrespondence"].clone();
        assert_eq!(queue, json!([{"id": filed["contact"]["id"]}]));
        let deadlines = d.ok(Role::ServiceManager, "{ deadlines { kind recordId } }", json!({})).await["deadlines"].clone();
        assert!(deadlines.as_array().unwrap().contains(&json!({"kind": "filed_correspondence_awaiting_review", "recordId": filed["contact"]["id"]})), "{deadlines}");
        // An officer may not clear the queue; a manager reads it.
        let review = "mutation($i: ReviewFiledContactInput!) { reviewFiledContact(input: $i) { filedReviewedAt raisesNewIssue safeguardingConcern outcome } }";
        let vars = json!({"i": {"contactId": filed["contact"]["id"], "version": 1, "raisesNewIssue": false, "safeguardingConcern": true}});
        let officer = d.app.graphql_as(&d.token(Role::Officer), review, vars.clone()).await;
        assert_eq!(officer["errors"][0]["extensions"]["code"], "FORBIDDEN", "{officer}");
        let read = d.ok(Role::ServiceManager, review, vars.clone()).await["reviewFiledContact"].clone();
        assert!(read["filedReviewedAt"].is_string());
        assert_eq!((read["safeguardingConcern"].clone(), read["outcome"].clone()), (json!(true), json!("placed_on_file")));
        assert_eq!(d.ok(Role::ServiceManager, "{ filedCorrespondence { id } }", json!({})).await["filedCorrespondence"], json!([]));
        let again = d.app.graphql_as(&d.token(Role::ServiceManager), review, json!({"i": {"contactId": filed["contact"]["id"], "version": 2, "raisesNewIssue": false, "safeguardingConcern": false}})).await;
        assert_eq!(again["errors"][0]["extensions"]["code"], "INVALID_TRANSITION", "{again}");
    }

    async fn deadlines_list_appeals_reviews_and_unsent_letters(app) {
        let d = Desk::new(&app).await;
        let (_, restricted) = d.restricted("Restricted", json!({"contactForm": {"permittedChannels": ["letter"]}})).await;
        let deadlines = d.ok(Role::ServiceManager, "{ deadlines(withinDays: 366) { kind caseId dueOn overdue } }", json!({})).await["deadlines"].clone();
        let kinds: Vec<&str> = deadlines.as_array().unwrap().iter().filter(|x| x["caseId"] == restricted["id"]).map(|x| x["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"review_due"), "{deadlines}");
        assert!(kinds.contains(&"letter_not_sent"), "{deadlines}");
        // Within 14 days the review (a year away) is not listed; the unsent letter is.
        let soon = d.ok(Role::ServiceManager, "{ deadlines { kind caseId } }", json!({})).await["deadlines"].clone();
        assert!(!soon.as_array().unwrap().iter().any(|x| x["kind"] == "review_due"), "{soon}");
        // Another service's staff see none of it.
        let lei = d.app.token_for("lei-manager", &[Role::ServiceManager], &["LEI"]);
        let theirs = d.app.graphql_as(&lei, "{ deadlines(withinDays: 366) { kind } }", json!({})).await;
        assert_eq!(theirs["data"]["deadlines"], json!([]), "{theirs}");
    }
}

async fn audit_count(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entities::audit_event::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}
