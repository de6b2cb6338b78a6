//! The case lifecycle through HTTP, on both databases: every step of the policy (sections 2, 5,
//! 6, 7 and 9), who may take it, when it is legal, what it writes (one audit event, the letters
//! to the customer) and what it refuses.

use api::auth::Role;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use tests::db_tests;

use self::drive::*;

/// Driving the API one step at a time, with sensible inputs, so the tests read like the policy.
pub(crate) mod drive {
    use api::auth::Role;
    use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
    use entities::{audit_event, stage_1_warning, upc_case};
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
        Set,
    };
    use serde_json::{Value, json};
    use tests::TestApp;

    /// Every field of a case the tests look at.
    pub const CASE: &str = "id reference serviceCode stage status version allowedSteps \
        appealDeadline reviewDueOn flaggedForReview closureReason \
        customer { id preferredLanguage } reports { id } determinations { id unreasonable } \
        stage1Warnings { id letterDate appealDeadline status } \
        appeals { id outcome acceptedLate lateReason groupDirectorNotifiedAt decidedAt customerToldAt } \
        stage2Decisions { id immediate decidedOn consultedRole reviewDueOn exceptionalReasons } \
        restrictions { id version kind status reviewDueOn startsOn endsOn permanent liftedOn } \
        breaches { id restrictionId flaggedForReview outcome } \
        reviews { id dueOn recommendation heldInTime endorsed endorsedOn customerToldAt } \
        newIssueConsiderations { id restrictionsRemainAppropriate consideredOn reasons } \
        letters { id kind language subject bodyText bodyHtml sentAt version templateId } \
        timeline { kind }";

    /// A service and an establishment it runs, created by an administrator.
    const SET_UP: &str = "mutation($code: String!, $name: String!) { \
        createService(input: {code: $code, name: $name}) { code } \
        createEstablishment(input: {name: \"One4All Centre\", address: \"1 High Street\", serviceCode: $code}) { id } }";

    /// The fields of a letter marked sent.
    const LETTER: &str = "id kind version sentAt";

    /// A service code no test creates cases in: tokens for it belong to "another service".
    pub const OTHER_SERVICE: &str = "OTH";

    /// The steps legal on a restricted case with restrictions in force and no review pending.
    pub const RESTRICTED_STEPS: &[&str] = &[
        "reportBehaviour",
        "imposeRestriction",
        "varyRestriction",
        "extendRestriction",
        "makeRestrictionPermanent",
        "liftRestriction",
        "recordBreach",
        "considerNewIssue",
        "recommendReview",
    ];

    /// The reasons given for the warning, quoted in its letter.
    pub const WARNING_REASONS: &str = "You telephoned the housing team 30 times in one day.";

    /// The roles the policy names for each mutation (the first one takes it in these tests).
    pub fn named(op: &str) -> &'static [Role] {
        use Role::*;
        match op {
            "reportBehaviour" => &[Officer, ElectedMember],
            "determineBehaviour" => &[ServiceManager, HeadOfService],
            "issueStage1Warning" => &[HeadOfService],
            "logAppeal" | "recommendReview" | "markLetterSent" => &[LegalServices],
            "recordBreach" => &[Officer, ServiceManager, HeadOfService],
            _ => &[GroupDirector],
        }
    }

    /// Today, as the server sees it.
    pub fn today() -> NaiveDate {
        Utc::now().date_naive()
    }

    /// `n` days from today (negative: ago).
    pub fn days(n: i64) -> NaiveDate {
        today() + Duration::days(n)
    }

    /// `n` months from today.
    pub fn months(n: u32) -> NaiveDate {
        today() + Months::new(n)
    }

    /// A date as letters write it, e.g. `15 December 2026` or `15 Rhagfyr 2026`.
    pub fn written(date: NaiveDate, language: &str) -> String {
        let names = if language == "cy" {
            "Ionawr Chwefror Mawrth Ebrill Mai Mehefin Gorffennaf Awst Medi Hydref Tachwedd Rhagfyr"
        } else {
            "January February March April May June July August September October November December"
        };
        let month = names
            .split(' ')
            .nth(date.month0() as usize)
            .unwrap_or_default();
        format!("{} {month} {}", date.day(), date.year())
    }

    /// A date field of a response.
    pub fn date(value: &Value) -> NaiveDate {
        value
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a date: {value}"))
    }

    /// `value` with the member at JSON `pointer` set to `new` (added if absent).
    pub fn with(mut value: Value, pointer: &str, new: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
        let slot = value
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent}"));
        match slot {
            Value::Array(items) => items[key.parse::<usize>().expect("an index")] = new,
            other => {
                other[key] = new;
            }
        }
        value
    }

    /// The names of the steps the case allows now.
    pub fn steps(case: &Value) -> Vec<&str> {
        strings(&case["allowedSteps"])
    }

    fn strings(list: &Value) -> Vec<&str> {
        list.as_array()
            .unwrap_or_else(|| panic!("not a list: {list}"))
            .iter()
            .map(|v| v.as_str().unwrap_or_default())
            .collect()
    }

    /// The kinds of the case's letters, oldest first.
    pub fn letter_kinds(case: &Value) -> Vec<&str> {
        list(case, "letters")
            .iter()
            .map(|l| l["kind"].as_str().unwrap_or_default())
            .collect()
    }

    /// The kinds of the case's timeline entries.
    pub fn timeline(case: &Value) -> Vec<&str> {
        list(case, "timeline")
            .iter()
            .map(|l| l["kind"].as_str().unwrap_or_default())
            .collect()
    }

    /// A list of records of the case.
    pub fn list<'v>(case: &'v Value, field: &str) -> &'v Vec<Value> {
        case[field]
            .as_array()
            .unwrap_or_else(|| panic!("no {field} in {case}"))
    }

    /// The newest letter of the case.
    pub fn last_letter(case: &Value) -> &Value {
        list(case, "letters").last().expect("a letter")
    }

    /// Assert the case's stage, status and the steps it allows.
    pub fn assert_at(case: &Value, stage: &str, allowed: &[&str]) {
        assert_eq!(case["stage"], stage, "{case}");
        let status = if stage == "closed" { "closed" } else { "open" };
        assert_eq!(case["status"], status, "{case}");
        assert_eq!(steps(case), allowed, "allowed steps at {stage}");
    }

    /// Assert the letter's text says each of `texts`.
    pub fn mentions(letter: &Value, texts: &[&str]) {
        let body = letter["bodyText"].as_str().unwrap_or_default();
        for text in texts {
            assert!(
                body.contains(text),
                "the {} letter does not say {text:?}:\n{body}",
                letter["kind"]
            );
        }
    }

    /// Assert an error's code and, for bad input, the field it names.
    pub fn expect(error: &Value, code: &str, field: Option<&str>) {
        assert_eq!(error["extensions"]["code"], code, "{error}");
        if let Some(field) = field {
            assert_eq!(error["extensions"]["field"], field, "{error}");
        }
    }

    /// Assert an `INVALID_TRANSITION` naming the current state and the legal steps.
    pub fn expect_transition(error: &Value, current: &str, allowed: &[&str]) {
        expect(error, "INVALID_TRANSITION", None);
        assert_eq!(error["extensions"]["currentState"], current, "{error}");
        assert_eq!(strings(&error["extensions"]["allowedSteps"]), allowed);
    }

    /// The GraphQL document sending `op` its input.
    fn document(op: &str) -> String {
        let ty = format!("{}{}Input", op[..1].to_uppercase(), &op[1..]);
        if op == "markLetterSent" {
            format!("mutation($input: {ty}!) {{ {op}(input: $input) {{ {LETTER} }} }}")
        } else {
            format!(
                "mutation($input: {ty}!, $key: String) {{ {op}(input: $input, idempotencyKey: $key) {{ {CASE} }} }}"
            )
        }
    }

    /// One service's staff and an establishment of theirs, driving cases through the API.
    pub struct World<'a> {
        /// The server.
        pub app: &'a TestApp,
        /// The service's code.
        pub service: &'static str,
        /// An establishment the service runs.
        pub establishment: String,
    }

    impl<'a> World<'a> {
        /// Create the service and an establishment (as an administrator).
        pub async fn new(app: &'a TestApp, service: &'static str) -> World<'a> {
            let admin = app.token(Role::Admin, &[]);
            let name = if service == "HOU" { "Housing" } else { service };
            let body = app
                .graphql_as(&admin, SET_UP, json!({"code": service, "name": name}))
                .await;
            let establishment = body["data"]["createEstablishment"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string();
            World {
                app,
                service,
                establishment,
            }
        }

        /// A token for `role` in this service.
        pub fn token(&self, role: Role) -> String {
            let subject = format!("{}-{}", role.as_str(), self.service);
            self.app.token_for(&subject, &[role], &[self.service])
        }

        /// How many audit events there are.
        pub async fn audit_count(&self) -> u64 {
            audit_event::Entity::find()
                .count(&self.app.db)
                .await
                .expect("count audit events")
        }

        /// Send `op` with `input` (and an idempotency key) as the holder of `token`.
        pub async fn send(&self, token: &str, op: &str, input: Value, key: Option<&str>) -> Value {
            self.app
                .graphql_as(token, &document(op), json!({"input": input, "key": key}))
                .await
        }

        /// Take `op` as the holder of `token`: it must succeed and write one audit event; on a
        /// case (`prev` as read before) it bumps the version by exactly one.
        pub async fn act_as(
            &self,
            token: &str,
            op: &str,
            prev: Option<&Value>,
            input: Value,
        ) -> Value {
            let before = self.audit_count().await;
            let body = self.send(token, op, input, None).await;
            assert!(body["errors"].is_null(), "{op} failed: {body}");
            let result = body["data"][op].clone();
            assert_eq!(
                self.audit_count().await,
                before + 1,
                "{op} writes one audit event"
            );
            if let Some(prev) = prev {
                assert_eq!(result["id"], prev["id"], "{op} acts on the same case");
                assert_eq!(
                    result["version"].as_i64(),
                    prev["version"].as_i64().map(|v| v + 1),
                    "{op} bumps the case version by one"
                );
            }
            result
        }

        /// Take `op` on `case` as the first role the policy names for it.
        pub async fn act(&self, op: &str, case: &Value, input: Value) -> Value {
            self.act_as(&self.token(named(op)[0]), op, Some(case), input)
                .await
        }

        /// Send `op` as the holder of `token` (with `key`): it must be refused, writing nothing.
        /// The first error.
        pub async fn fail_as(
            &self,
            token: &str,
            op: &str,
            input: Value,
            key: Option<&str>,
        ) -> Value {
            let before = self.audit_count().await;
            let body = self.send(token, op, input, key).await;
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

        /// Send `op` as the first role the policy names for it: it must be refused.
        pub async fn fail(&self, op: &str, input: Value) -> Value {
            self.fail_as(&self.token(named(op)[0]), op, input, None)
                .await
        }

        /// Take `op` as the first role the policy names for it, after checking that every role
        /// it does not name is refused (`FORBIDDEN`), and so is each named service role from
        /// another service (`FORBIDDEN` or `NOT_FOUND`), without writing anything.
        pub async fn only(&self, op: &str, prev: Option<&Value>, input: Value) -> Value {
            let named = named(op);
            for role in Role::ALL {
                let (token, codes) = if !named.contains(&role) {
                    (self.token(role), &["FORBIDDEN"][..])
                } else if matches!(role, Role::LegalServices | Role::ElectedMember) {
                    // They act for every service.
                    continue;
                } else {
                    let outsider = format!("{}-elsewhere", role.as_str());
                    (
                        self.app.token_for(&outsider, &[role], &[OTHER_SERVICE]),
                        &["FORBIDDEN", "NOT_FOUND"][..],
                    )
                };
                let error = self.fail_as(&token, op, input.clone(), None).await;
                let code = error["extensions"]["code"].as_str().unwrap_or_default();
                assert!(
                    codes.contains(&code),
                    "{} ({}named) got {code} for {op}: {error}",
                    role.as_str(),
                    if named.contains(&role) { "" } else { "not " }
                );
            }
            self.act_as(&self.token(named[0]), op, prev, input).await
        }

        /// The case as Legal Services reads it now.
        pub async fn case(&self, case: &Value) -> Value {
            let body = self
                .app
                .graphql(
                    &format!("query($id: ID!) {{ case(id: $id) {{ {CASE} }} }}"),
                    json!({"id": case["id"]}),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            body["data"]["case"].clone()
        }

        /// The `appealDeadline` query for a letter dated `letter_date`.
        pub async fn appeal_deadline(&self, letter_date: NaiveDate) -> NaiveDate {
            let body = self
                .app
                .graphql(
                    "query($d: NaiveDate!) { appealDeadline(letterDate: $d) }",
                    json!({"d": letter_date}),
                )
                .await;
            date(&body["data"]["appealDeadline"])
        }

        /// Mark `letter` sent as `role`; the letter as sent.
        pub async fn mark_sent(&self, role: Role, letter: &Value) -> Value {
            let input = json!({"letterId": letter["id"], "version": letter["version"]});
            self.act_as(&self.token(role), "markLetterSent", None, input)
                .await
        }

        /// A first report about a new customer, of behaviour ten days ago.
        pub fn first_report(&self, name: &str, language: &str) -> Value {
            json!({
                "newCustomer": {"displayName": name, "address": "1 Test Street\nTonypandy", "preferredLanguage": language},
                "serviceCode": self.service,
                "behaviours": ["numerous_repeat_calls", "insisting_on_manager"],
                "channel": "telephone",
                "occurredAt": (Utc::now() - Duration::days(10)).to_rfc3339(),
                "description": "Called the housing team 30 times in one day (fictional).",
            })
        }

        /// A further report about the case's customer, of behaviour `ago` before now.
        pub fn further_report(&self, case: &Value, ago: Duration) -> Value {
            json!({
                "customerId": case["customer"]["id"],
                "serviceCode": self.service,
                "behaviours": ["aggressive_intimidating_threatening"],
                "channel": "in_person",
                "occurredAt": (Utc::now() - ago).to_rfc3339(),
                "description": "Shouted at reception staff (fictional).",
            })
        }

        /// Open a case with `input` (an officer's report): version 1, stage `reported`.
        pub async fn open(&self, input: Value) -> Value {
            let case = self
                .act_as(&self.token(Role::Officer), "reportBehaviour", None, input)
                .await;
            assert_eq!(case["version"], 1, "{case}");
            assert_at(
                &case,
                "reported",
                &["reportBehaviour", "determineBehaviour"],
            );
            case
        }

        /// A new case about `name`, determined unreasonable.
        pub async fn determined(&self, name: &str, language: &str) -> Value {
            let case = self.open(self.first_report(name, language)).await;
            self.act("determineBehaviour", &case, determine(&case, true))
                .await
        }

        /// A new case about `name` with a Stage 1 warning dated today.
        pub async fn warned(&self, name: &str, language: &str) -> Value {
            let case = self.determined(name, language).await;
            self.act("issueStage1Warning", &case, warning(&case)).await
        }

        /// A new case about `name` restricted at once (exceptionally) by an exclusion from the
        /// establishment ending in three months and letter-only contact.
        pub async fn restricted(&self, name: &str) -> Value {
            let case = self.determined(name, "en").await;
            let restrictions = json!([self.exclusion(Some(months(3))), letter_only()]);
            self.act("decideStage2", &case, immediate_stage2(&case, restrictions))
                .await
        }

        /// Exclusion from the service's establishment.
        pub fn exclusion(&self, ends_on: Option<NaiveDate>) -> Value {
            json!({
                "parameters": {"establishmentExclusion": {"establishmentIds": [self.establishment]}},
                "endsOn": ends_on,
            })
        }

        /// Test set-up behind the API's back: a warning is dated today at the earliest (it
        /// cannot precede the determination), so to test what happens after its letter date, or
        /// after its appeal deadline, the standing warning is moved back to `letter_date` with
        /// the deadline the calendar gives for that date, on the warning and on the case.
        pub async fn backdate_warning(&self, case: &Value, letter_date: NaiveDate) -> NaiveDate {
            let deadline = self.appeal_deadline(letter_date).await;
            let id: i64 = case["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("id");
            let db = &self.app.db;
            let found = stage_1_warning::Entity::find()
                .filter(stage_1_warning::Column::CaseId.eq(id))
                .filter(stage_1_warning::Column::Status.eq(entities::enums::WarningStatus::Active))
                .one(db)
                .await
                .expect("read warning")
                .expect("a standing warning");
            let mut w = found.into_active_model();
            w.letter_date = Set(letter_date);
            w.appeal_deadline = Set(deadline);
            w.update(db).await.expect("backdate warning");
            let mut c = upc_case::Entity::find_by_id(id)
                .one(db)
                .await
                .expect("read case")
                .expect("the case")
                .into_active_model();
            c.appeal_deadline = Set(Some(deadline));
            c.update(db).await.expect("move the case's deadline");
            deadline
        }

        /// Test set-up behind the API's back: move the case's review date.
        pub async fn move_review(&self, case: &Value, due_on: NaiveDate) {
            let id: i64 = case["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("id");
            let mut c = upc_case::Entity::find_by_id(id)
                .one(&self.app.db)
                .await
                .expect("read case")
                .expect("the case")
                .into_active_model();
            c.review_due_on = Set(Some(due_on));
            c.update(&self.app.db).await.expect("move the review");
        }
    }

    /// Letter-only contact.
    pub fn letter_only() -> Value {
        json!({"parameters": {"contactForm": {"permittedChannels": ["letter"]}}})
    }

    /// Telephone contact on Mondays and Thursdays between `from` and `to`.
    pub fn telephone(from: &str, to: &str) -> Value {
        json!({"parameters": {"telephoneTimes": {"days": ["monday", "thursday"], "from": from, "to": to}}})
    }

    /// The case's id and version, and `rest`.
    fn on(case: &Value, rest: Value) -> Value {
        let mut input = json!({"caseId": case["id"], "version": case["version"]});
        if let (Some(input), Value::Object(rest)) = (input.as_object_mut(), rest) {
            input.extend(rest);
        }
        input
    }

    /// The restriction's id and version, and `rest`.
    fn on_restriction(restriction: &Value, rest: Value) -> Value {
        let mut input =
            json!({"restrictionId": restriction["id"], "version": restriction["version"]});
        if let (Some(input), Value::Object(rest)) = (input.as_object_mut(), rest) {
            input.extend(rest);
        }
        input
    }

    /// `determineBehaviour` input.
    pub fn determine(case: &Value, unreasonable: bool) -> Value {
        on(
            case,
            json!({"unreasonable": unreasonable, "reasons": "Thirty calls in a day is unreasonable (2.3)."}),
        )
    }

    /// `issueStage1Warning` input, dated today.
    pub fn warning(case: &Value) -> Value {
        on(
            case,
            json!({
                "reasons": WARNING_REASONS,
                "serviceDirectorConsulted": "Director of Housing",
                "consultedOn": today(),
                "adjustmentsConsidered": "No disability or unmet need is known; none are due.",
                "proportionality": "A warning is the least restrictive step that may work.",
            }),
        )
    }

    /// `logAppeal` input, received on `received_on`.
    pub fn appeal(case: &Value, received_on: NaiveDate) -> Value {
        on(
            case,
            json!({"receivedOn": received_on, "grounds": "I only called because nobody answered."}),
        )
    }

    /// `decideAppeal` input.
    pub fn appeal_decision(case: &Value, upheld: bool) -> Value {
        on(
            case,
            json!({"upheld": upheld, "reasons": "The call log shows thirty calls."}),
        )
    }

    /// `decideStage2` input after a warning, consulting Legal Services.
    pub fn stage2(case: &Value, restrictions: Value) -> Value {
        on(
            case,
            json!({
                "consultedRole": "legal_services",
                "consultedName": "Service Director - Legal Services",
                "adjustmentsConsidered": "Offered contact through an advocate; declined.",
                "proportionality": "Letter-only contact still lets the customer raise new issues.",
                "reasons": "The behaviour continued after the warning.",
                "restrictions": restrictions,
            }),
        )
    }

    /// `decideStage2` input at once, without a warning, with exceptional reasons.
    pub fn immediate_stage2(case: &Value, restrictions: Value) -> Value {
        with(
            stage2(case, restrictions),
            "/exceptionalReasons",
            json!("Staff were threatened with violence."),
        )
    }

    /// `recordBreach` input: the restriction was ignored just now (restrictions here start
    /// today, and an hour ago is yesterday between midnight and one in the morning).
    pub fn breach(restriction: &Value) -> Value {
        json!({
            "restrictionId": restriction["id"],
            "occurredAt": Utc::now().to_rfc3339(),
            "description": "Came to the One4All Centre despite the exclusion.",
        })
    }

    /// `extendRestriction` input, answering `breach` if given.
    pub fn extend(restriction: &Value, ends_on: NaiveDate, breach: Option<&Value>) -> Value {
        on_restriction(
            restriction,
            json!({"endsOn": ends_on, "reasons": "The exclusion was ignored (5.6).", "breachId": breach.map(|b| &b["id"])}),
        )
    }

    /// `makeRestrictionPermanent` input, answering `breach` if given.
    pub fn permanent(restriction: &Value, breach: Option<&Value>) -> Value {
        on_restriction(
            restriction,
            json!({"reasons": "Repeatedly ignored (5.6).", "breachId": breach.map(|b| &b["id"])}),
        )
    }

    /// `varyRestriction` input.
    pub fn vary(restriction: &Value, parameters: Value) -> Value {
        on_restriction(
            restriction,
            json!({"parameters": parameters, "reasons": "The team's hours changed."}),
        )
    }

    /// `liftRestriction` input.
    pub fn lift(restriction: &Value) -> Value {
        on_restriction(restriction, json!({"reasons": "No longer necessary."}))
    }

    /// `imposeRestriction` input.
    pub fn impose(case: &Value, restriction: Value) -> Value {
        on(
            case,
            json!({"restriction": restriction, "reasons": "Calls continued.", "proportionality": "Calls remain possible at set times."}),
        )
    }

    /// `considerNewIssue` input.
    pub fn new_issue(case: &Value, remain: bool) -> Value {
        on(
            case,
            json!({"description": "A new repair request.", "restrictionsRemainAppropriate": remain, "reasons": "The repair is dealt with by letter."}),
        )
    }

    /// `recommendReview` input, removing `remove` for a partial removal.
    pub fn recommend(case: &Value, recommendation: &str, remove: &[&Value]) -> Value {
        let ids: Vec<&Value> = remove.iter().map(|r| &r["id"]).collect();
        on(
            case,
            json!({
                "recommendation": recommendation,
                "reasons": "Contact during the restriction period has been reasonable.",
                "removeRestrictionIds": if ids.is_empty() { Value::Null } else { json!(ids) },
            }),
        )
    }

    /// `endorseReview` input.
    pub fn endorse(case: &Value, endorsed: bool) -> Value {
        on(
            case,
            json!({"endorsed": endorsed, "reasons": "I agree with Legal Services."}),
        )
    }
}

db_tests! {
    async fn full_lifecycle_through_http(app) {
        let w = World::new(&app, "HOU").await;
        // 2.3: an officer reports a new customer.
        let case = w.open(w.first_report("Alex Example", "en")).await;
        assert!(letter_kinds(&case).is_empty());

        // 5.1: the Service manager determines the behaviour unreasonable.
        let case = w.act_as(&w.token(Role::ServiceManager), "determineBehaviour", Some(&case), determine(&case, true)).await;
        assert_at(&case, "determined_unreasonable", &["reportBehaviour", "issueStage1Warning", "decideStage2"]);
        assert!(letter_kinds(&case).is_empty());

        // 5.1, 6.1: the Head of Service warns; the appeal deadline is set and written.
        let case = w.act("issueStage1Warning", &case, warning(&case)).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "logAppeal"]);
        let deadline = date(&case["appealDeadline"]);
        assert_eq!(deadline, w.appeal_deadline(today()).await);
        assert!(deadline >= days(19), "15 working days are at least 19 days: {deadline}");
        assert_eq!(case["stage1Warnings"][0]["appealDeadline"], case["appealDeadline"]);
        assert_eq!(letter_kinds(&case), ["stage_1_warning"]);
        let letter = last_letter(&case);
        assert_eq!(letter["language"], "en");
        assert!(letter["sentAt"].is_null());
        mentions(letter, &[&written(deadline, "en"), WARNING_REASONS, "Ombudsman", "CF40 1NY", "15 working days"]);
        assert!(letter["bodyHtml"].as_str().unwrap().contains(&written(deadline, "en")));
        assert!(letter["subject"].as_str().unwrap().contains(case["reference"].as_str().unwrap()));

        // 6.1, 6.2: Legal Services logs the appeal and the Group Director is notified.
        let case = w.act("logAppeal", &case, appeal(&case, today())).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "decideAppeal"]);
        let logged = &case["appeals"][0];
        assert_eq!((&logged["outcome"], &logged["acceptedLate"]), (&json!("pending"), &json!(false)));
        assert!(!logged["groupDirectorNotifiedAt"].is_null());
        assert_eq!(letter_kinds(&case), ["stage_1_warning"]);

        // 6.2: not upheld; the warning stands and the customer is written to.
        let case = w.act("decideAppeal", &case, appeal_decision(&case, false)).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour"]);
        assert_eq!(case["appeals"][0]["outcome"], "not_upheld");
        assert_eq!(case["stage1Warnings"][0]["status"], "active");
        assert_eq!(letter_kinds(&case), ["stage_1_warning", "appeal_outcome"]);
        mentions(last_letter(&case), &["has not been upheld", "Ombudsman"]);

        // 5.1: the behaviour continues after the warning's letter date.
        w.backdate_warning(&case, days(-1)).await;
        let case = w.act("reportBehaviour", &case, w.further_report(&case, Duration::zero())).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "decideStage2"]);

        // 5.1, 5.3: the Group Director, consulting Legal Services, restricts contact.
        let ends = months(3);
        let restrictions = json!([w.exclusion(Some(ends)), letter_only()]);
        let case = w.act("decideStage2", &case, stage2(&case, restrictions)).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        let review = months(12);
        assert_eq!(date(&case["reviewDueOn"]), review);
        assert!(case["appealDeadline"].is_null());
        let decision = &case["stage2Decisions"][0];
        assert_eq!((&decision["immediate"], &decision["consultedRole"]), (&json!(false), &json!("legal_services")));
        let kinds: Vec<_> = list(&case, "restrictions").iter().map(|r| (r["kind"].clone(), r["status"].clone())).collect();
        assert_eq!(kinds, [(json!("establishment_exclusion"), json!("active")), (json!("contact_form"), json!("active"))]);
        assert_eq!(date(&case["restrictions"][0]["endsOn"]), ends);
        assert_eq!(letter_kinds(&case), ["stage_1_warning", "appeal_outcome", "stage_2_decision"]);
        mentions(last_letter(&case), &[&written(review, "en"), &written(ends, "en"), "One4All Centre", "Ombudsman"]);

        // 5.6: an officer records that the exclusion was ignored; the case is flagged.
        let exclusion = case["restrictions"][0].clone();
        let case = w.act("recordBreach", &case, breach(&exclusion)).await;
        assert_eq!(case["flaggedForReview"], true);
        let ignored = case["breaches"][0].clone();
        assert_eq!((&ignored["flaggedForReview"], &ignored["outcome"]), (&json!(true), &json!("pending")));
        assert_eq!(ignored["restrictionId"], exclusion["id"]);
        assert_eq!(letter_kinds(&case).len(), 3);

        // 5.6: the Group Director extends the exclusion in answer; the flag is cleared.
        let longer = months(6);
        let case = w.act("extendRestriction", &case, extend(&exclusion, longer, Some(&ignored))).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        assert_eq!(case["flaggedForReview"], false);
        assert_eq!(case["breaches"][0]["outcome"], "extended");
        assert_eq!(date(&case["restrictions"][0]["endsOn"]), longer);
        assert_eq!(case["restrictions"][0]["version"], 2);
        assert_eq!(letter_kinds(&case).last(), Some(&"restriction_variation"));
        mentions(last_letter(&case), &[&written(longer, "en"), "Ombudsman"]);

        // 7.2, 7.3: Legal Services recommends removing letter-only contact.
        let form = case["restrictions"][1].clone();
        let case = w.act("recommendReview", &case, recommend(&case, "partially_remove", &[&form])).await;
        let mut pending_review: Vec<&str> = RESTRICTED_STEPS[..8].to_vec();
        pending_review.push("endorseReview");
        assert_at(&case, "stage_2_restricted", &pending_review);
        let reviewed = &case["reviews"][0];
        assert_eq!((&reviewed["recommendation"], &reviewed["heldInTime"]), (&json!("partially_remove"), &json!(true)));
        assert!(reviewed["endorsed"].is_null());
        assert_eq!(letter_kinds(&case).len(), 4);

        // 7.4: the Group Director endorses; letter-only contact is lifted, the exclusion stays.
        let case = w.act("endorseReview", &case, endorse(&case, true)).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        assert_eq!(case["reviews"][0]["endorsed"], true);
        let statuses: Vec<_> = list(&case, "restrictions").iter().map(|r| r["status"].clone()).collect();
        assert_eq!(statuses, [json!("active"), json!("lifted")]);
        let next_review = date(&case["reviewDueOn"]);
        assert!(next_review <= months(12), "{next_review}");
        assert_eq!(next_review, months(12));
        assert_eq!(date(&case["restrictions"][0]["reviewDueOn"]), next_review);
        assert_eq!(letter_kinds(&case), ["stage_1_warning", "appeal_outcome", "stage_2_decision", "restriction_variation", "review_outcome"]);
        mentions(last_letter(&case), &[&written(next_review, "en"), "some of the restrictions should be removed", "Ombudsman"]);

        // 6.2, 7.4: the letters are sent; the appeal and review record when the customer was told.
        let letters = list(&case, "letters").clone();
        let sent = w.mark_sent(Role::HeadOfService, &letters[0]).await;
        assert_eq!((&sent["version"], sent["sentAt"].is_null()), (&json!(2), false));
        w.mark_sent(Role::LegalServices, &letters[1]).await;
        w.mark_sent(Role::LegalServices, &letters[4]).await;
        let again = w.fail_as(&w.token(Role::LegalServices), "markLetterSent", json!({"letterId": letters[1]["id"], "version": 2}), None).await;
        expect(&again, "CONFLICT", None);
        let now = w.case(&case).await;
        assert_eq!(now["version"], case["version"], "sending letters is not a step of the case");
        assert!(!now["appeals"][0]["customerToldAt"].is_null(), "{now}");
        assert!(!now["reviews"][0]["customerToldAt"].is_null(), "{now}");
        let sent_flags: Vec<bool> = list(&now, "letters").iter().map(|l| !l["sentAt"].is_null()).collect();
        assert_eq!(sent_flags, [true, true, false, false, true]);

        // The timeline tells the whole story.
        let story = timeline(&now);
        for kind in ["report", "determination", "stage_1_warning", "appeal_logged", "appeal_decided", "stage_2_decision", "restriction_imposed", "breach", "review_recommended", "review_endorsed", "letter_issued"] {
            assert!(story.contains(&kind), "no {kind} in the timeline {story:?}");
        }
    }

    async fn wrong_role_refused_for_each_step_5_1(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.only("reportBehaviour", None, w.first_report("Sam Sample", "en")).await;
        let case = w.only("determineBehaviour", Some(&case), determine(&case, true)).await;
        let case = w.only("issueStage1Warning", Some(&case), warning(&case)).await;
        let case = w.only("logAppeal", Some(&case), appeal(&case, today())).await;
        let case = w.only("decideAppeal", Some(&case), appeal_decision(&case, false)).await;
        w.backdate_warning(&case, days(-1)).await;
        let case = w.only("reportBehaviour", Some(&case), w.further_report(&case, Duration::zero())).await;
        // An elected Member (1.2) reports behaviour aimed at them, whatever the service; they
        // may not read the case's process records, so only the case itself comes back.
        let member = app.token_for("member-1", &[Role::ElectedMember], &[]);
        let before = w.audit_count().await;
        let body = w.send(&member, "reportBehaviour", w.further_report(&case, Duration::zero()), None).await;
        let reported = &body["data"]["reportBehaviour"];
        assert_eq!((&reported["id"], &reported["version"]), (&case["id"], &json!(case["version"].as_i64().unwrap() + 1)), "{body}");
        assert_eq!(w.audit_count().await, before + 1);
        let case = w.case(&case).await;
        let restrictions = json!([w.exclusion(Some(months(3))), letter_only(), telephone("09:00", "12:00")]);
        let case = w.only("decideStage2", Some(&case), stage2(&case, restrictions)).await;
        let case = w.only("recordBreach", Some(&case), breach(&case["restrictions"][0])).await;
        let case = w.only("imposeRestriction", Some(&case), impose(&case, json!({"parameters": {"timeLimits": {"maxContacts": 2, "perDays": 7}}}))).await;
        let case = w.only("varyRestriction", Some(&case), vary(&case["restrictions"][2], telephone("10:00", "12:00")["parameters"].clone())).await;
        let case = w.only("extendRestriction", Some(&case), extend(&case["restrictions"][0], months(6), Some(&case["breaches"][0]))).await;
        let case = w.only("makeRestrictionPermanent", Some(&case), permanent(&case["restrictions"][1], None)).await;
        let case = w.only("considerNewIssue", Some(&case), new_issue(&case, true)).await;
        let case = w.only("recommendReview", Some(&case), recommend(&case, "continue", &[])).await;
        let case = w.only("endorseReview", Some(&case), endorse(&case, true)).await;
        let case = w.only("liftRestriction", Some(&case), lift(&case["restrictions"][2])).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        // Letters: Legal Services sends every decision letter; a Head of Service may send their
        // own service's warning letters, and no other.
        let letters = list(&case, "letters").clone();
        assert_eq!(letters[0]["kind"], "stage_1_warning");
        let hos = w.token(Role::HeadOfService);
        let refused = w.fail_as(&hos, "markLetterSent", json!({"letterId": letters[1]["id"], "version": 1}), None).await;
        expect(&refused, "FORBIDDEN", None);
        let outsider = app.token_for("hos-elsewhere", &[Role::HeadOfService], &[OTHER_SERVICE]);
        let hidden = w.fail_as(&outsider, "markLetterSent", json!({"letterId": letters[0]["id"], "version": 1}), None).await;
        expect(&hidden, "NOT_FOUND", None);
        w.mark_sent(Role::HeadOfService, &letters[0]).await;
        w.only("markLetterSent", None, json!({"letterId": letters[1]["id"], "version": 1})).await;
    }

    async fn stage_2_without_warning_needs_exceptional_reasons_5_1(app) {
        let w = World::new(&app, "HOU").await;
        let reported = w.open(w.first_report("Robin Roe", "en")).await;
        let early = w.fail("decideStage2", immediate_stage2(&reported, json!([letter_only()]))).await;
        expect_transition(&early, "reported", &["reportBehaviour", "determineBehaviour"]);

        let case = w.act("determineBehaviour", &reported, determine(&reported, true)).await;
        let plain = stage2(&case, json!([letter_only()]));
        let missing = w.fail("decideStage2", plain.clone()).await;
        expect(&missing, "BAD_USER_INPUT", Some("exceptionalReasons"));
        let blank = w.fail("decideStage2", with(plain, "/exceptionalReasons", json!("   "))).await;
        expect(&blank, "BAD_USER_INPUT", Some("exceptionalReasons"));

        let case = w.act("decideStage2", &case, immediate_stage2(&case, json!([letter_only()]))).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        assert_eq!(case["stage2Decisions"][0]["immediate"], true);
        assert_eq!(case["stage2Decisions"][0]["exceptionalReasons"], "Staff were threatened with violence.");
        assert!(case["stage1Warnings"].as_array().unwrap().is_empty());
        assert_eq!(letter_kinds(&case), ["stage_2_decision"]);
        mentions(last_letter(&case), &["Staff were threatened with violence.", "without a Stage 1 warning", "Ombudsman"]);
    }

    async fn stage_2_after_warning_needs_continued_behaviour_5_1(app) {
        let w = World::new(&app, "HOU").await;
        // Straight after the warning: nothing has continued yet.
        let case = w.warned("Jo Bloggs", "en").await;
        let input = |case: &Value| stage2(case, json!([letter_only()]));
        let refused = w.fail("decideStage2", input(&case)).await;
        expect_transition(&refused, "stage_1_warning", &["reportBehaviour", "logAppeal"]);
        // Behaviour reported on the letter's own date is not "after" the letter (it may have
        // come first): the policy's rule is on dates.
        let same_day = w.warned("Jo Bloggs Two", "en").await;
        let same_day = w.act("reportBehaviour", &same_day, w.further_report(&same_day, Duration::zero())).await;
        assert!(!steps(&same_day).contains(&"decideStage2"), "{same_day}");

        // Behaviour that happened before the letter does not count, even reported after it.
        w.backdate_warning(&case, days(-3)).await;
        let case = w.act("reportBehaviour", &case, w.further_report(&case, Duration::days(5))).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "logAppeal"]);
        expect(&w.fail("decideStage2", input(&case)).await, "INVALID_TRANSITION", None);

        // Behaviour after the letter date does.
        let case = w.act("reportBehaviour", &case, w.further_report(&case, Duration::zero())).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "logAppeal", "decideStage2"]);

        // 6.2: but not while an appeal is pending.
        let case = w.act("logAppeal", &case, appeal(&case, today())).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "decideAppeal"]);
        let pending = w.fail("decideStage2", input(&case)).await;
        expect_transition(&pending, "stage_1_warning", &["reportBehaviour", "decideAppeal"]);
        assert!(pending["message"].as_str().unwrap().contains("appeal"), "{pending}");
        let case = w.act("decideAppeal", &case, appeal_decision(&case, false)).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "decideStage2"]);

        // After a warning, exceptional reasons are not for this decision.
        let exceptional = w.fail("decideStage2", with(input(&case), "/exceptionalReasons", json!("Urgent."))).await;
        expect(&exceptional, "BAD_USER_INPUT", Some("exceptionalReasons"));
        let case = w.act("decideStage2", &case, input(&case)).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        assert_eq!(case["stage2Decisions"][0]["immediate"], false);
        mentions(last_letter(&case), &["Your behaviour has continued since that warning."]);
    }

    async fn appeal_deadline_across_easter_and_christmas_6_1(app) {
        let w = World::new(&app, "HOU").await;
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Good Friday 3 and Easter Monday 6 April 2026 are skipped.
        assert_eq!(w.appeal_deadline(d("2026-03-26")).await, d("2026-04-20"));
        // Christmas Day, Boxing Day (moved to Monday 28th) and New Year's Day are skipped.
        assert_eq!(w.appeal_deadline(d("2026-12-11")).await, d("2027-01-06"));
        let body = app.graphql_as(&w.token(Role::Officer), "{ bankHolidays(year: 2026) { day } }", json!({})).await;
        let holidays = body["data"]["bankHolidays"].to_string();
        for day in ["2026-04-03", "2026-04-06", "2026-12-25", "2026-12-28"] {
            assert!(holidays.contains(day), "{day} missing from {holidays}");
        }

        // An administrator's closure day moves the deadline by a day; removing it moves it back.
        let admin = app.token(Role::Admin, &[]);
        let add = "mutation($day: NaiveDate!) { addClosureDay(input: {day: $day, description: \"Extra day at Christmas\"}) { id day } }";
        let before = w.audit_count().await;
        let body = app.graphql_as(&admin, add, json!({"day": "2026-12-24"})).await;
        let closure = body["data"]["addClosureDay"]["id"].clone();
        assert!(closure.is_string(), "{body}");
        assert_eq!(w.audit_count().await, before + 1);
        assert_eq!(w.appeal_deadline(d("2026-12-11")).await, d("2027-01-07"));
        let twice = app.graphql_as(&admin, add, json!({"day": "2026-12-24"})).await;
        expect(&twice["errors"][0], "CONFLICT", None);
        let officer = app.graphql_as(&w.token(Role::Officer), add, json!({"day": "2026-12-23"})).await;
        expect(&officer["errors"][0], "FORBIDDEN", None);
        let body = app.graphql_as(&admin, "mutation($id: ID!) { removeClosureDay(id: $id) { day } }", json!({"id": closure})).await;
        assert_eq!(body["data"]["removeClosureDay"]["day"], "2026-12-24", "{body}");
        assert_eq!(w.appeal_deadline(d("2026-12-11")).await, d("2027-01-06"));

        // A warning issued now skips a closure day in its window.
        let usual = w.appeal_deadline(today()).await;
        let body = app.graphql_as(&admin, add, json!({"day": usual})).await;
        assert!(body["errors"].is_null(), "{body}");
        let case = w.warned("Pat Doe", "en").await;
        let deadline = date(&case["appealDeadline"]);
        assert!(deadline > usual, "{deadline} should be after {usual}");
        assert_eq!(deadline, w.appeal_deadline(today()).await);
    }

    async fn late_appeal_refused_unless_reason_given_6_1(app) {
        let w = World::new(&app, "HOU").await;
        let letter_date = days(-40);

        // Received today, long after the deadline.
        let case = w.warned("Lee Late", "en").await;
        let deadline = w.backdate_warning(&case, letter_date).await;
        assert!(deadline < today(), "{deadline}");
        let late = w.fail("logAppeal", appeal(&case, today())).await;
        expect(&late, "APPEAL_OUT_OF_TIME", None);
        let blank = w.fail("logAppeal", with(appeal(&case, today()), "/lateReason", json!("  "))).await;
        expect(&blank, "APPEAL_OUT_OF_TIME", None);
        let reason = "The customer was in hospital until last week.";
        let case = w.act("logAppeal", &case, with(appeal(&case, today()), "/lateReason", json!(reason))).await;
        assert_at(&case, "stage_1_warning", &["reportBehaviour", "decideAppeal"]);
        assert_eq!((&case["appeals"][0]["acceptedLate"], &case["appeals"][0]["lateReason"]), (&json!(true), &json!(reason)));
        assert!(timeline(&case).contains(&"appeal_logged"));

        // The deadline itself is in time; the day after is not.
        let case = w.warned("Ola Ontime", "en").await;
        let deadline = w.backdate_warning(&case, letter_date).await;
        let after = w.fail("logAppeal", appeal(&case, deadline + Duration::days(1))).await;
        expect(&after, "APPEAL_OUT_OF_TIME", None);
        let before_letter = w.fail("logAppeal", appeal(&case, letter_date - Duration::days(1))).await;
        expect(&before_letter, "BAD_USER_INPUT", Some("receivedOn"));
        let future = w.fail("logAppeal", appeal(&case, days(1))).await;
        expect(&future, "BAD_USER_INPUT", Some("receivedOn"));
        let case = w.act("logAppeal", &case, appeal(&case, deadline)).await;
        assert_eq!(case["appeals"][0]["acceptedLate"], false);
        assert!(case["appeals"][0]["lateReason"].is_null());
    }

    async fn upheld_appeal_withdraws_warning_6_2(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.warned("Uma Upheld", "en").await;
        let case = w.act("logAppeal", &case, appeal(&case, today())).await;
        let case = w.act("decideAppeal", &case, appeal_decision(&case, true)).await;
        assert_at(&case, "closed", &[]);
        assert_eq!(case["stage1Warnings"][0]["status"], "withdrawn");
        assert_eq!(case["appeals"][0]["outcome"], "upheld");
        assert!(case["appealDeadline"].is_null());
        assert!(case["closureReason"].as_str().unwrap().contains("appeal upheld"));
        assert_eq!(letter_kinds(&case), ["stage_1_warning", "appeal_outcome"]);
        mentions(last_letter(&case), &["Your appeal has been upheld", "The warning has been withdrawn", "Ombudsman"]);
        let told = w.mark_sent(Role::LegalServices, last_letter(&case)).await;
        assert!(!told["sentAt"].is_null());
        assert!(!w.case(&case).await["appeals"][0]["customerToldAt"].is_null());

        // Nothing more happens on it; new behaviour opens a new case.
        let refused = w.fail("decideStage2", stage2(&case, json!([letter_only()]))).await;
        expect_transition(&refused, "closed", &[]);
        let fresh = w.open(w.further_report(&case, Duration::zero())).await;
        assert_ne!(fresh["id"], case["id"]);
        assert_ne!(fresh["reference"], case["reference"]);
        assert_eq!(fresh["customer"]["id"], case["customer"]["id"]);
        assert_eq!(w.case(&case).await["status"], "closed");
    }

    async fn review_due_never_beyond_12_months_7_1(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.determined("Rae Review", "en").await;
        let input = immediate_stage2(&case, json!([letter_only()]));
        let beyond = w.fail("decideStage2", with(input.clone(), "/reviewDueOn", json!(months(12) + Duration::days(1)))).await;
        expect(&beyond, "BAD_USER_INPUT", Some("reviewDueOn"));
        let before = w.fail("decideStage2", with(input.clone(), "/reviewDueOn", json!(days(-1)))).await;
        expect(&before, "BAD_USER_INPUT", Some("reviewDueOn"));
        let case = w.act("decideStage2", &case, with(input, "/reviewDueOn", json!(months(12)))).await;
        assert_eq!(date(&case["reviewDueOn"]), months(12));
        assert_eq!(date(&case["stage2Decisions"][0]["reviewDueOn"]), months(12));
        // A further restriction is reviewed with the others, never later.
        let case = w.act("imposeRestriction", &case, impose(&case, telephone("09:00", "10:00"))).await;
        assert_eq!(date(&case["restrictions"][1]["reviewDueOn"]), months(12));
        // By default the review falls 12 months after the decision.
        let other = w.restricted("Rae Default").await;
        assert_eq!(date(&other["reviewDueOn"]), months(12));

        // Welsh practice: a six-month review period (UPC_REVIEW_PERIOD_MONTHS=6).
        let six = tests::TestApp::spawn_with(app.backend, |s| s.review_period_months = 6).await.expect("a second server");
        let w6 = World::new(&six, "HOU").await;
        let case = w6.determined("Sion Six", "en").await;
        let input = immediate_stage2(&case, json!([letter_only(), w6.exclusion(None)]));
        let seven = w6.fail("decideStage2", with(input.clone(), "/reviewDueOn", json!(months(7)))).await;
        expect(&seven, "BAD_USER_INPUT", Some("reviewDueOn"));
        let case = w6.act("decideStage2", &case, input).await;
        assert_eq!(date(&case["reviewDueOn"]), months(6));
        mentions(last_letter(&case), &[&written(months(6), "en")]);
        let case = w6.act("recommendReview", &case, recommend(&case, "continue", &[])).await;
        let case = w6.act("endorseReview", &case, endorse(&case, true)).await;
        assert_eq!(date(&case["reviewDueOn"]), months(6));
        assert_eq!(date(&case["restrictions"][0]["reviewDueOn"]), months(6));
    }

    async fn restrictions_of_one_service_invisible_in_another_5_4(app) {
        let housing = World::new(&app, "HOU").await;
        let leisure = World::new(&app, "LEI").await;
        let case = housing.restricted("Max Mustermann").await;
        let restriction = case["restrictions"][0].clone();

        // A Group Director of another service can neither see nor change them.
        let director = leisure.token(Role::GroupDirector);
        let seen = app.graphql_as(&director, "query($id: ID!) { case(id: $id) { id restrictions { id } } }", json!({"id": case["id"]})).await;
        expect(&seen["errors"][0], "NOT_FOUND", None);
        for (op, input) in [
            ("extendRestriction", extend(&restriction, months(6), None)),
            ("liftRestriction", lift(&restriction)),
            ("imposeRestriction", impose(&case, letter_only())),
        ] {
            let refused = leisure.fail_as(&director, op, input, None).await;
            expect(&refused, "NOT_FOUND", None);
        }
        // An officer of another service sees no case, no letter and no review, and cannot
        // record a breach.
        let officer = leisure.token(Role::Officer);
        let body = app.graphql_as(&officer, "{ cases { nodes { id } } reviewsDue(withinDays: 366) { dueOn } }", json!({})).await;
        assert_eq!(body["data"]["cases"]["nodes"], json!([]), "{body}");
        assert_eq!(body["data"]["reviewsDue"], json!([]), "{body}");
        let letter = app.graphql_as(&officer, "query($id: ID!) { letter(id: $id) { id } }", json!({"id": last_letter(&case)["id"]})).await;
        expect(&letter["errors"][0], "NOT_FOUND", None);
        let breach = leisure.fail_as(&officer, "recordBreach", breach(&restriction), None).await;
        expect(&breach, "NOT_FOUND", None);

        // The same customer in the other service has a case of their own, unrestricted.
        let report = with(leisure.further_report(&case, Duration::zero()), "/serviceCode", json!("LEI"));
        let theirs = leisure.open(report).await;
        assert_ne!(theirs["id"], case["id"]);
        assert_eq!(theirs["serviceCode"], "LEI");
        assert!(list(&theirs, "restrictions").is_empty());
        // Housing's restrictions are untouched and still Housing's alone.
        let ours = housing.case(&case).await;
        assert_eq!(ours["serviceCode"], "HOU");
        assert_eq!(ours["version"], case["version"]);
        assert!(list(&ours, "restrictions").iter().all(|r| r["status"] == "active"));
    }

    async fn no_step_after_closure(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.restricted("Cy Closed").await;
        let first = case["restrictions"][0].clone();
        let case = w.act("liftRestriction", &case, lift(&first)).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        let second = case["restrictions"][1].clone();
        let case = w.act("liftRestriction", &case, lift(&second)).await;
        assert_at(&case, "closed", &[]);
        assert!(case["reviewDueOn"].is_null());
        assert_eq!(letter_kinds(&case), ["stage_2_decision", "restriction_variation", "restriction_variation"]);
        mentions(last_letter(&case), &["Ombudsman"]);

        let attempts = [
            ("determineBehaviour", determine(&case, true)),
            ("issueStage1Warning", warning(&case)),
            ("logAppeal", appeal(&case, today())),
            ("decideAppeal", appeal_decision(&case, false)),
            ("decideStage2", stage2(&case, json!([letter_only()]))),
            ("imposeRestriction", impose(&case, letter_only())),
            ("considerNewIssue", new_issue(&case, true)),
            ("recommendReview", recommend(&case, "continue", &[])),
            ("endorseReview", endorse(&case, true)),
            ("varyRestriction", vary(&second, letter_only()["parameters"].clone())),
            ("makeRestrictionPermanent", permanent(&second, None)),
            ("liftRestriction", lift(&second)),
            ("recordBreach", breach(&first)),
        ];
        for (op, input) in attempts {
            let refused = w.fail(op, input).await;
            expect_transition(&refused, "closed", &[]);
            assert!(refused["message"].as_str().unwrap().contains("closed"), "{op}: {refused}");
        }
        let fresh = w.open(w.further_report(&case, Duration::zero())).await;
        assert_ne!(fresh["id"], case["id"]);
    }

    async fn determination_no_closes_the_case_5_1(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.open(w.first_report("Nia Nobody", "en")).await;
        let case = w.act_as(&w.token(Role::HeadOfService), "determineBehaviour", Some(&case), determine(&case, false)).await;
        assert_at(&case, "closed", &[]);
        assert!(case["closureReason"].as_str().unwrap().contains("Thirty calls in a day"), "{case}");
        assert!(list(&case, "stage1Warnings").is_empty());
        let refused = w.fail("issueStage1Warning", warning(&case)).await;
        expect_transition(&refused, "closed", &[]);
        let again = w.fail("determineBehaviour", determine(&case, true)).await;
        expect_transition(&again, "closed", &[]);
        let fresh = w.open(w.further_report(&case, Duration::zero())).await;
        assert_ne!(fresh["id"], case["id"]);
        assert_eq!(fresh["customer"]["id"], case["customer"]["id"]);
    }

    async fn new_issue_considered_9_1(app) {
        let w = World::new(&app, "HOU").await;
        let early = w.open(w.first_report("Ned Newissue", "en")).await;
        let refused = w.fail("considerNewIssue", new_issue(&early, true)).await;
        expect_transition(&refused, "reported", &["reportBehaviour", "determineBehaviour"]);

        let case = w.restricted("Ned Newissue Two").await;
        let letters = letter_kinds(&case).len();
        let blank = w.fail("considerNewIssue", with(new_issue(&case, true), "/reasons", json!(" "))).await;
        expect(&blank, "BAD_USER_INPUT", Some("reasons"));
        let case = w.act("considerNewIssue", &case, new_issue(&case, true)).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        let considered = &case["newIssueConsiderations"][0];
        assert_eq!((&considered["restrictionsRemainAppropriate"], date(&considered["consideredOn"])), (&json!(true), today()));
        assert_eq!(considered["reasons"], "The repair is dealt with by letter.");
        // Restrictions no longer appropriate: recorded; changing them is a separate step.
        let case = w.act("considerNewIssue", &case, new_issue(&case, false)).await;
        assert_eq!(case["newIssueConsiderations"][1]["restrictionsRemainAppropriate"], false);
        assert!(list(&case, "restrictions").iter().all(|r| r["status"] == "active"));
        assert_eq!(letter_kinds(&case).len(), letters);
        assert!(timeline(&case).contains(&"new_issue_considered"));
    }

    async fn full_removal_on_review_closes_the_case_7_4(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.restricted("Fay Fullremoval").await;
        let all: Vec<&Value> = list(&case, "restrictions").iter().collect();
        let everything = w.fail("recommendReview", recommend(&case, "partially_remove", &all)).await;
        expect(&everything, "BAD_USER_INPUT", Some("removeRestrictionIds"));
        let none = w.fail("recommendReview", recommend(&case, "partially_remove", &[])).await;
        expect(&none, "BAD_USER_INPUT", Some("removeRestrictionIds"));
        let endorse_early = w.fail("endorseReview", endorse(&case, true)).await;
        expect_transition(&endorse_early, "stage_2_restricted", RESTRICTED_STEPS);

        // Not endorsed: the restrictions continue, with a new review date.
        let case = w.act("recommendReview", &case, recommend(&case, "fully_remove", &[])).await;
        assert!(steps(&case).contains(&"endorseReview") && !steps(&case).contains(&"recommendReview"));
        let twice = w.fail("recommendReview", recommend(&case, "continue", &[])).await;
        expect(&twice, "INVALID_TRANSITION", None);
        let case = w.act("endorseReview", &case, endorse(&case, false)).await;
        assert_at(&case, "stage_2_restricted", RESTRICTED_STEPS);
        assert_eq!(case["reviews"][0]["endorsed"], false);
        assert!(list(&case, "restrictions").iter().all(|r| r["status"] == "active"));
        mentions(last_letter(&case), &["has not endorsed", &written(months(12), "en")]);

        // Endorsed: every restriction is lifted and the case closed.
        let case = w.act("recommendReview", &case, recommend(&case, "fully_remove", &[])).await;
        let case = w.act("endorseReview", &case, endorse(&case, true)).await;
        assert_at(&case, "closed", &[]);
        assert!(case["reviewDueOn"].is_null());
        assert_eq!(case["flaggedForReview"], false);
        assert!(list(&case, "restrictions").iter().all(|r| r["status"] == "lifted" && date(&r["liftedOn"]) == today()));
        assert_eq!(letter_kinds(&case), ["stage_2_decision", "review_outcome", "review_outcome"]);
        mentions(last_letter(&case), &["all of the restrictions should be removed", "No restrictions now apply", "Ombudsman"]);
        let told = w.mark_sent(Role::LegalServices, last_letter(&case)).await;
        assert!(!told["sentAt"].is_null());
        let now = w.case(&case).await;
        assert!(now["reviews"][0]["customerToldAt"].is_null());
        assert!(!now["reviews"][1]["customerToldAt"].is_null());
    }

    async fn reasonable_adjustments_and_proportionality_required(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.determined("Ada Adjust", "en").await;
        let stage_2 = immediate_stage2(&case, json!([letter_only()]));
        for field in ["adjustmentsConsidered", "proportionality"] {
            for blank in ["", "   "] {
                let pointer = format!("/{field}");
                let warning = w.fail("issueStage1Warning", with(warning(&case), &pointer, json!(blank))).await;
                expect(&warning, "BAD_USER_INPUT", Some(field));
                let restriction = w.fail("decideStage2", with(stage_2.clone(), &pointer, json!(blank))).await;
                expect(&restriction, "BAD_USER_INPUT", Some(field));
            }
        }
        let blank_imposition = w.restricted("Ada Adjust Two").await;
        let refused = w.fail("imposeRestriction", with(impose(&blank_imposition, letter_only()), "/proportionality", json!(" "))).await;
        expect(&refused, "BAD_USER_INPUT", Some("proportionality"));
        assert_eq!(w.case(&case).await["version"], case["version"]);
    }

    async fn stale_version_is_conflict(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.open(w.first_report("Stan Stale", "en")).await;
        for version in [0, 2] {
            let refused = w.fail("determineBehaviour", with(determine(&case, true), "/version", json!(version))).await;
            expect(&refused, "CONFLICT", None);
        }
        let determined = w.act("determineBehaviour", &case, determine(&case, true)).await;
        // The version read before the determination is now stale.
        let stale = w.fail("issueStage1Warning", with(warning(&determined), "/version", case["version"].clone())).await;
        expect(&stale, "CONFLICT", None);

        // Two Heads of Service warning at once: one wins; the other is told the case changed
        // (CONFLICT) or, if it read the case after the first committed, that the step is no
        // longer legal.
        let input = warning(&determined);
        let (one, two) = (w.token(Role::HeadOfService), app.token_for("second-head", &[Role::HeadOfService], &["HOU"]));
        let (a, b) = tokio::join!(
            w.send(&one, "issueStage1Warning", input.clone(), None),
            w.send(&two, "issueStage1Warning", input, None),
        );
        let codes: Vec<&Value> = [&a, &b].iter().map(|r| &r["errors"][0]["extensions"]["code"]).collect();
        assert_eq!(codes.iter().filter(|c| c.is_null()).count(), 1, "exactly one succeeds: {a} {b}");
        assert!(codes.contains(&&json!("CONFLICT")) || codes.contains(&&json!("INVALID_TRANSITION")), "{a} {b}");
        let now = w.case(&determined).await;
        assert_eq!((list(&now, "stage1Warnings").len(), letter_kinds(&now).len()), (1, 1));

        // Restriction steps check the restriction's version.
        let restricted = w.restricted("Stan Stale Two").await;
        let exclusion = restricted["restrictions"][0].clone();
        let old = with(extend(&exclusion, months(4), None), "/version", json!(2));
        expect(&w.fail("extendRestriction", old).await, "CONFLICT", None);
        let restricted = w.act("extendRestriction", &restricted, extend(&exclusion, months(4), None)).await;
        expect(&w.fail("liftRestriction", lift(&exclusion)).await, "CONFLICT", None);
        let current = restricted["restrictions"][0].clone();
        w.act("liftRestriction", &restricted, lift(&current)).await;
        // And a letter's.
        let letter = last_letter(&restricted);
        let stale_letter = json!({"letterId": letter["id"], "version": 7});
        expect(&w.fail_as(&w.token(Role::LegalServices), "markLetterSent", stale_letter, None).await, "CONFLICT", None);
    }

    async fn idempotency_key_replays_first_result_and_refuses_different_input(app) {
        let w = World::new(&app, "HOU").await;
        let officer = w.token(Role::Officer);
        let report = w.first_report("Ivy Idem", "en");
        let before = w.audit_count().await;
        let first = w.send(&officer, "reportBehaviour", report.clone(), Some("report-1")).await;
        let again = w.send(&officer, "reportBehaviour", report.clone(), Some("report-1")).await;
        assert!(first["errors"].is_null(), "{first}");
        assert_eq!(again["data"], first["data"], "the retry gets the first result");
        assert_eq!(w.audit_count().await, before + 1, "one report, one audit event");
        let case = first["data"]["reportBehaviour"].clone();
        assert_eq!(list(&w.case(&case).await, "reports").len(), 1);

        let manager = w.token(Role::ServiceManager);
        let input = determine(&case, true);
        let first = w.send(&manager, "determineBehaviour", input.clone(), Some("det-1")).await;
        let again = w.send(&manager, "determineBehaviour", input.clone(), Some("det-1")).await;
        assert_eq!(again["data"], first["data"]);
        assert_eq!(first["data"]["determineBehaviour"]["version"], 2, "{first}");
        assert_eq!(w.audit_count().await, before + 2);
        assert_eq!(list(&w.case(&case).await, "determinations").len(), 1);

        // The same key with another input, or for another step, is refused.
        let other = w.fail_as(&manager, "determineBehaviour", with(input.clone(), "/reasons", json!("Other reasons.")), Some("det-1")).await;
        expect(&other, "BAD_USER_INPUT", Some("idempotencyKey"));
        let blank = w.fail_as(&manager, "determineBehaviour", input.clone(), Some("  ")).await;
        expect(&blank, "BAD_USER_INPUT", Some("idempotencyKey"));

        // Keys belong to their caller: the Head of Service's "report-1" is a new request.
        let determined = first["data"]["determineBehaviour"].clone();
        let head = w.token(Role::HeadOfService);
        let warned = w.send(&head, "issueStage1Warning", warning(&determined), Some("report-1")).await;
        assert!(warned["errors"].is_null(), "{warned}");
        assert_eq!(w.audit_count().await, before + 3);
        // The same caller reusing a key for another step is refused.
        let reused = w.fail_as(&head, "determineBehaviour", determine(&determined, true), Some("report-1")).await;
        expect(&reused, "BAD_USER_INPUT", Some("idempotencyKey"));
        // A late retry of the determination writes nothing and gets the first result: the case
        // as it stood after the determination, although it has moved on since.
        let late = w.send(&manager, "determineBehaviour", input, Some("det-1")).await;
        let replayed = &late["data"]["determineBehaviour"];
        assert_eq!(replayed["id"], case["id"], "{late}");
        assert_eq!((&replayed["version"], &replayed["stage"]), (&json!(2), &json!("determined_unreasonable")), "{late}");
        assert_eq!(w.audit_count().await, before + 3);
        assert_eq!(list(&w.case(&case).await, "determinations").len(), 1);
    }

    async fn welsh_customer_gets_welsh_letters(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.warned("Siân Jones", "cy").await;
        assert_eq!(case["customer"]["preferredLanguage"], "cy");
        let deadline = date(&case["appealDeadline"]);
        let letter = last_letter(&case);
        assert_eq!(letter["language"], "cy");
        assert!(letter["subject"].as_str().unwrap().starts_with("Rhybudd ffurfiol"), "{letter}");
        mentions(letter, &["Annwyl Siân Jones", &written(deadline, "cy"), "Ombwdsmon Gwasanaethau Cyhoeddus Cymru"]);
        assert!(!letter["bodyText"].as_str().unwrap().contains(&written(deadline, "en")));
        assert!(letter["bodyHtml"].as_str().unwrap().contains("lang=\"cy\""));

        let case = w.act("logAppeal", &case, appeal(&case, today())).await;
        let case = w.act("decideAppeal", &case, appeal_decision(&case, false)).await;
        w.backdate_warning(&case, days(-1)).await;
        let case = w.act("reportBehaviour", &case, w.further_report(&case, Duration::zero())).await;
        let case = w.act("decideStage2", &case, stage2(&case, json!([w.exclusion(Some(months(2)))]))).await;
        mentions(last_letter(&case), &[&written(months(12), "cy"), &written(months(2), "cy"), "One4All Centre", "Ombwdsmon"]);
        let case = w.act("extendRestriction", &case, extend(&case["restrictions"][0], months(5), None)).await;
        mentions(last_letter(&case), &[&written(months(5), "cy")]);
        let languages: Vec<&Value> = list(&case, "letters").iter().map(|l| &l["language"]).collect();
        assert_eq!(languages, [&json!("cy"); 4]);
        // An English-speaking customer of the same service gets English letters.
        let english = w.warned("John Smith", "en").await;
        assert_eq!(last_letter(&english)["language"], "en");
        mentions(last_letter(&english), &["Dear John Smith", &written(deadline, "en")]);
    }

    async fn letter_templates_are_versioned_and_validated(app) {
        let w = World::new(&app, "HOU").await;
        let legal = w.token(Role::LegalServices);
        let current = "query($kind: String!, $language: String!) { currentLetterTemplate(kind: $kind, language: $language) { id templateVersion subject body active } }";
        let en = json!({"kind": "stage_1_warning", "language": "en"});
        let builtin = app.graphql_as(&legal, current, en.clone()).await["data"]["currentLetterTemplate"].clone();
        assert_eq!((&builtin["id"], &builtin["templateVersion"]), (&Value::Null, &json!(0)), "{builtin}");
        let (subject, body) = (builtin["subject"].as_str().unwrap(), builtin["body"].as_str().unwrap());
        let old = w.warned("Tom Template", "en").await;
        assert!(last_letter(&old)["templateId"].is_null());

        let create = "mutation($input: CreateLetterTemplateInput!) { createLetterTemplate(input: $input) { id templateVersion active } }";
        let template = |subject: &str, body: &str| json!({"input": {"kind": "stage_1_warning", "language": "en", "subject": subject, "body": body}});
        let before = w.audit_count().await;
        let refusals = [
            (legal.clone(), template(subject, &body.replace("{{ ombudsman }}", "")), "BAD_USER_INPUT", Some("body")),
            (legal.clone(), template(subject, &body.replace("{{ appeal_deadline }}", "soon")), "BAD_USER_INPUT", Some("body")),
            (legal.clone(), template(subject, &format!("{body}\n{{{{ shoe_size }}}}")), "BAD_USER_INPUT", Some("body")),
            (legal.clone(), template(subject, &body.replace("{% endif %}", "")), "BAD_USER_INPUT", Some("body")),
            (legal.clone(), template(" ", body), "BAD_USER_INPUT", Some("subject")),
            (legal.clone(), with(template(subject, body), "/input/kind", json!("love_letter")), "BAD_USER_INPUT", Some("kind")),
            (w.token(Role::Officer), template(subject, body), "FORBIDDEN", None),
        ];
        for (token, vars, code, field) in refusals {
            let body = app.graphql_as(&token, create, vars).await;
            assert!(body["data"].is_null(), "{body}");
            expect(&body["errors"][0], code, field);
        }
        assert_eq!(w.audit_count().await, before, "refused templates write nothing");

        // A revised version becomes the one new letters use.
        let revised = format!("{body}\nThis letter follows the council's revised template.\n");
        let made = app.graphql_as(&legal, create, template(subject, &revised)).await;
        let v1 = made["data"]["createLetterTemplate"].clone();
        assert_eq!((&v1["templateVersion"], &v1["active"]), (&json!(1), &json!(true)), "{made}");
        assert_eq!(w.audit_count().await, before + 1);
        let now = app.graphql_as(&legal, current, en.clone()).await["data"]["currentLetterTemplate"].clone();
        assert_eq!((&now["id"], &now["body"]), (&v1["id"], &json!(revised.trim())));
        let case = w.warned("Tina Template", "en").await;
        assert_eq!(last_letter(&case)["templateId"], v1["id"]);
        mentions(last_letter(&case), &["revised template", "Ombudsman", &written(date(&case["appealDeadline"]), "en")]);

        // Another version (by an administrator) supersedes it; earlier versions stay on record.
        let admin = app.token(Role::Admin, &[]);
        let made = app.graphql_as(&admin, create, template(subject, &revised.replace("revised", "second revised"))).await;
        let v2 = made["data"]["createLetterTemplate"].clone();
        assert_eq!(v2["templateVersion"], 2, "{made}");
        let all = app.graphql_as(&legal, "{ letterTemplates(kind: \"stage_1_warning\", language: \"en\") { id templateVersion active } }", json!({})).await;
        assert_eq!(all["data"]["letterTemplates"], json!([{"id": v2["id"], "templateVersion": 2, "active": true}, {"id": v1["id"], "templateVersion": 1, "active": false}]));
        assert_eq!(last_letter(&w.case(&case).await)["templateId"], v1["id"], "issued letters keep their template");
        let newest = w.warned("Tara Template", "en").await;
        assert_eq!(last_letter(&newest)["templateId"], v2["id"]);
        // The Welsh letter is untouched.
        let cy = app.graphql_as(&legal, current, json!({"kind": "stage_1_warning", "language": "cy"})).await;
        assert_eq!(cy["data"]["currentLetterTemplate"]["templateVersion"], 0);
        let officer = app.graphql_as(&w.token(Role::Officer), current, en).await;
        expect(&officer["errors"][0], "FORBIDDEN", None);
    }

    async fn reviews_due_lists_due_and_overdue_7_1(app) {
        let w = World::new(&app, "HOU").await;
        let within = |case: &Value, due: i64| with(immediate_stage2(case, json!([letter_only()])), "/reviewDueOn", json!(days(due)));
        let soon = w.determined("Dee Soon", "en").await;
        let soon = w.act("decideStage2", &soon, within(&soon, 10)).await;
        let later = w.restricted("Dee Later").await;
        let overdue = w.restricted("Dee Overdue").await;
        w.move_review(&overdue, days(-5)).await;
        let closed = w.determined("Dee Closed", "en").await;
        let closed = w.act("decideStage2", &closed, within(&closed, 20)).await;
        let closed = w.act("liftRestriction", &closed, lift(&closed["restrictions"][0])).await;
        assert_eq!(closed["status"], "closed");

        let query = "query($within: Int) { reviewsDue(withinDays: $within) { dueOn overdue daysRemaining case { id } } }";
        let due = |body: &Value| -> Vec<(Value, NaiveDate, bool, i64)> {
            body["data"]["reviewsDue"].as_array().unwrap_or_else(|| panic!("{body}")).iter()
                .map(|r| (r["case"]["id"].clone(), date(&r["dueOn"]), r["overdue"].as_bool().unwrap(), r["daysRemaining"].as_i64().unwrap()))
                .collect()
        };
        let officer = w.token(Role::Officer);
        let default = app.graphql_as(&officer, query, json!({})).await;
        assert_eq!(due(&default), [(overdue["id"].clone(), days(-5), true, -5), (soon["id"].clone(), days(10), false, 10)]);
        let year = app.graphql_as(&officer, query, json!({"within": 366})).await;
        let year_ahead = (months(12) - today()).num_days();
        assert_eq!(due(&year).last(), Some(&(later["id"].clone(), months(12), false, year_ahead)));
        assert_eq!(due(&year).len(), 3);
        let today_only = app.graphql_as(&officer, query, json!({"within": 0})).await;
        assert_eq!(due(&today_only).len(), 1);
        for bad in [-1, 367] {
            let body = app.graphql_as(&officer, query, json!({"within": bad})).await;
            expect(&body["errors"][0], "BAD_USER_INPUT", Some("withinDays"));
        }
        let elsewhere = app.token_for("officer-elsewhere", &[Role::Officer], &[OTHER_SERVICE]);
        let none = app.graphql_as(&elsewhere, query, json!({"within": 366})).await;
        assert_eq!(due(&none), []);
        let legal = app.graphql_as(&w.token(Role::LegalServices), query, json!({})).await;
        assert_eq!(due(&legal), due(&default));
    }

    async fn ignored_exclusion_made_permanent_5_6(app) {
        let w = World::new(&app, "HOU").await;
        let case = w.restricted("Pip Permanent").await;
        let (exclusion, form) = (case["restrictions"][0].clone(), case["restrictions"][1].clone());
        // Writing when only letters are allowed is a breach, but not an ignored exclusion.
        let case = w.act("recordBreach", &case, breach(&form)).await;
        assert_eq!((&case["flaggedForReview"], &case["breaches"][0]["flaggedForReview"]), (&json!(false), &json!(false)));
        let case = w.act("recordBreach", &case, breach(&exclusion)).await;
        assert_eq!((&case["flaggedForReview"], &case["breaches"][1]["flaggedForReview"]), (&json!(true), &json!(true)));
        let wrong = w.fail("makeRestrictionPermanent", permanent(&exclusion, Some(&case["breaches"][0]))).await;
        expect(&wrong, "BAD_USER_INPUT", Some("breachId"));
        let case = w.act("makeRestrictionPermanent", &case, permanent(&exclusion, Some(&case["breaches"][1]))).await;
        let made = &case["restrictions"][0];
        assert_eq!((&made["permanent"], &made["endsOn"], &made["status"]), (&json!(true), &Value::Null, &json!("active")));
        assert_eq!(case["breaches"][1]["outcome"], "made_permanent");
        assert_eq!(case["breaches"][0]["outcome"], "pending");
        assert_eq!(case["flaggedForReview"], false);
        assert_eq!(letter_kinds(&case).last(), Some(&"restriction_variation"));
        let again = w.fail("makeRestrictionPermanent", permanent(made, None)).await;
        expect(&again, "BAD_USER_INPUT", Some("restrictionId"));
        // A permanent restriction is still reviewed (7.1), and has no end to extend.
        assert_eq!(date(&made["reviewDueOn"]), months(12));
        let extend = w.fail("extendRestriction", extend(made, months(24), None)).await;
        expect(&extend, "BAD_USER_INPUT", Some("endsOn"));
    }

    async fn bad_input_names_the_field(app) {
        let w = World::new(&app, "HOU").await;
        let report = w.first_report("Bea Bad", "en");
        let case = w.determined("Bea Bad Two", "en").await;
        let decision = immediate_stage2(&case, json!([letter_only()]));
        let restricted = w.restricted("Bea Bad Three").await;
        let (exclusion, form) = (&restricted["restrictions"][0], &restricted["restrictions"][1]);
        let first = "/restrictions/0";
        let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
        let cases: Vec<(&str, Value, &str)> = vec![
            ("reportBehaviour", with(report.clone(), "/behaviours", json!(["shouting"])), "behaviours"),
            ("reportBehaviour", with(report.clone(), "/behaviours", json!([])), "behaviours"),
            ("reportBehaviour", with(report.clone(), "/behaviours", json!(["covert_recording", "covert_recording"])), "behaviours"),
            ("reportBehaviour", with(report.clone(), "/channel", json!("carrier_pigeon")), "channel"),
            ("reportBehaviour", with(report.clone(), "/description", json!("  ")), "description"),
            ("reportBehaviour", with(report.clone(), "/occurredAt", json!(tomorrow)), "occurredAt"),
            ("reportBehaviour", with(report.clone(), "/serviceCode", json!("NOPE")), "serviceCode"),
            ("reportBehaviour", with(report.clone(), "/newCustomer", Value::Null), "customerId"),
            ("reportBehaviour", with(report.clone(), "/newCustomer/preferredLanguage", json!("fr")), "newCustomer.preferredLanguage"),
            ("reportBehaviour", with(report.clone(), "/newCustomer/displayName", json!(" ")), "newCustomer.displayName"),
            ("determineBehaviour", with(determine(&case, true), "/caseId", json!("abc")), "caseId"),
            ("determineBehaviour", with(determine(&case, true), "/reasons", json!("")), "reasons"),
            ("issueStage1Warning", with(warning(&case), "/consultedOn", json!(days(1))), "consultedOn"),
            ("issueStage1Warning", with(warning(&case), "/letterDate", json!(days(30))), "letterDate"),
            ("issueStage1Warning", with(with(warning(&case), "/letterDate", json!(days(-1))), "/consultedOn", json!(days(-2))), "letterDate"),
            ("decideStage2", with(decision.clone(), "/restrictions", json!([])), "restrictions"),
            ("decideStage2", with(decision.clone(), first, telephone("17:00", "09:00")), "restrictions[0].parameters"),
            ("decideStage2", with(decision.clone(), first, telephone("25:00", "26:00")), "restrictions[0].parameters.from"),
            ("decideStage2", with(decision.clone(), "/restrictions/0/parameters", json!({"telephoneTimes": {"days": ["funday"], "from": "09:00", "to": "10:00"}})), "restrictions[0].parameters.days"),
            ("decideStage2", with(decision.clone(), "/restrictions/0/parameters/contactForm/permittedChannels", json!(["carrier_pigeon"])), "restrictions[0].parameters.permittedChannels"),
            ("decideStage2", with(decision.clone(), "/restrictions/0/parameters", json!({"establishmentExclusion": {"establishmentIds": ["999999"]}})), "restrictions[0].parameters.establishmentIds"),
            ("decideStage2", with(decision.clone(), "/restrictions/0/parameters", json!({"timeLimits": {"maxContacts": 0, "perDays": 7}})), "restrictions[0].parameters"),
            ("decideStage2", with(decision.clone(), "/restrictions/0/parameters", json!({"namedContact": {}})), "restrictions[0].parameters"),
            ("decideStage2", with(decision.clone(), "/restrictions/0/startsOn", json!(days(-1))), "restrictions[0].startsOn"),
            ("decideStage2", with(with(decision.clone(), "/restrictions/0/startsOn", json!(days(5))), "/restrictions/0/endsOn", json!(days(4))), "restrictions[0].endsOn"),
            ("decideStage2", with(decision.clone(), "/consultedRole", json!("mayor")), "consultedRole"),
            ("decideStage2", with(decision.clone(), "/decidedOn", json!(days(1))), "decidedOn"),
            ("recommendReview", recommend(&restricted, "abolish", &[]), "recommendation"),
            ("recommendReview", recommend(&restricted, "continue", &[form]), "removeRestrictionIds"),
            ("varyRestriction", vary(form, telephone("09:00", "10:00")["parameters"].clone()), "parameters"),
            ("varyRestriction", with(vary(form, letter_only()["parameters"].clone()), "/endsOn", json!(days(-1))), "endsOn"),
            ("extendRestriction", extend(exclusion, days(1), None), "endsOn"),
            ("extendRestriction", extend(form, months(6), None), "endsOn"),
            ("recordBreach", with(breach(exclusion), "/occurredAt", json!(tomorrow)), "occurredAt"),
            ("recordBreach", with(breach(exclusion), "/description", json!("")), "description"),
        ];
        for (op, input, field) in cases {
            let refused = w.fail(op, input.clone()).await;
            assert_eq!(refused["extensions"]["code"], "BAD_USER_INPUT", "{op} {input}: {refused}");
            assert_eq!(refused["extensions"]["field"], field, "{op} {input}: {refused}");
        }
        assert_eq!(w.case(&restricted).await["version"], restricted["version"]);
    }

    async fn stage_2_letter_names_who_was_consulted_5_3(app) {
        // 5.3: the Group Director consults Legal Services *or* the Monitoring Officer; the
        // letter must not tell the customer it was Legal Services when it was not.
        let w = World::new(&app, "HOU").await;
        let case = w.determined("Mo Consulted", "en").await;
        let input = with(immediate_stage2(&case, json!([letter_only()])), "/consultedRole", json!("monitoring_officer"));
        let input = with(input, "/consultedName", json!("The Monitoring Officer"));
        let case = w.act("decideStage2", &case, input).await;
        assert_eq!(case["stage2Decisions"][0]["consultedRole"], "monitoring_officer");
        let text = last_letter(&case)["bodyText"].as_str().unwrap().to_string();
        assert!(!text.contains("in consultation with Legal Services"), "the letter names the wrong adviser:\n{text}");
        mentions(last_letter(&case), &["Monitoring Officer"]);
    }

    async fn restriction_outside_your_services_is_indistinguishable_from_missing_5_4(app) {
        // 5.4: staff of another service must not learn that a restriction exists, nor which
        // case it belongs to.
        let housing = World::new(&app, "HOU").await;
        let leisure = World::new(&app, "LEI").await;
        let case = housing.restricted("Ria Hidden").await;
        let director = leisure.token(Role::GroupDirector);
        let existing = leisure.fail_as(&director, "liftRestriction", lift(&case["restrictions"][0]), None).await;
        let missing = leisure.fail_as(&director, "liftRestriction", json!({"restrictionId": "999999", "version": 1, "reasons": "x"}), None).await;
        expect(&existing, "NOT_FOUND", None);
        expect(&missing, "NOT_FOUND", None);
        let message = existing["message"].as_str().unwrap();
        assert!(!message.contains(&format!("case {}", case["id"].as_str().unwrap())), "the refusal names the hidden case: {message}");
        assert_eq!(message.replace(case["restrictions"][0]["id"].as_str().unwrap(), "N"), missing["message"].as_str().unwrap().replace("999999", "N"), "a hidden restriction is refused like a missing one");
    }

    async fn directory_and_admin_mutations_accept_idempotency_keys(app) {
        let admin = app.token(Role::Admin, &[]);
        let before = app.graphql_as(&admin, "{ services { id } }", json!({})).await;
        let create = "mutation($k: String) { createService(input: {code: \"IDM\", name: \"Idem\"}, idempotencyKey: $k) { id code version } }";
        let first = app.graphql_as(&admin, create, json!({"k": "svc-1"})).await;
        let again = app.graphql_as(&admin, create, json!({"k": "svc-1"})).await;
        assert!(first["errors"].is_null(), "{first}");
        assert_eq!(again, first, "the retry gets the first result, not a CONFLICT");
        let after = app.graphql_as(&admin, "{ services { id } }", json!({})).await;
        assert_eq!(after["data"]["services"].as_array().unwrap().len(), before["data"]["services"].as_array().unwrap().len() + 1);

        let add = "mutation($k: String) { addClosureDay(input: {day: \"2031-01-02\", description: \"Extra day\"}, idempotencyKey: $k) { id day } }";
        let added = app.graphql_as(&admin, add, json!({"k": "day-1"})).await;
        let id = added["data"]["addClosureDay"]["id"].clone();
        let remove = "mutation($id: ID!, $k: String) { removeClosureDay(id: $id, idempotencyKey: $k) { id day } }";
        let removed = app.graphql_as(&admin, remove, json!({"id": id, "k": "rm-1"})).await;
        // The day is gone; the retry still answers with what the first call removed.
        let again = app.graphql_as(&admin, remove, json!({"id": id, "k": "rm-1"})).await;
        assert!(removed["errors"].is_null(), "{removed}");
        assert_eq!(again, removed);
        let without_key = app.graphql_as(&admin, remove, json!({"id": id})).await;
        assert_eq!(without_key["errors"][0]["extensions"]["code"], "NOT_FOUND", "{without_key}");
    }
}
