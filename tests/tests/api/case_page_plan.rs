//! Issue 18: the planned case page (`case(id)`, `api::graphql::plan`) answers byte for byte as
//! the schema does — for every case of the generator's data and for cases with every kind of
//! record, for every role (an elected Member's page shows only their own reports), with every
//! field a plan writes — records who looked exactly as the schema path does, leaves cases the
//! caller may not see to the schema's `NOT_FOUND`, and on PostgreSQL reads the whole page with
//! one statement.

use api::auth::Role;
use api::store::reads;
use entities::{
    behaviour_report, customer, exclusion, hs_incident, letter, restriction, service,
    stage_2_decision, upc_case,
};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use tests::{Backend, TestApp, db_tests};

use crate::access_records::council::*;
use crate::read_plan::{paths, raw, small, twice};

/// The intranet's case page, as the side-by-side benchmark asks for it.
const CASE_PAGE: &str = "query($id: ID!) { case(id: $id) {
  reference stage status serviceName customer { displayName }
  timeline { at kind recordId summary }
  stage2Decisions { id immediate decidedOn consultedRole reviewDueOn serviceTeamNotifiedAt }
  stage1Warnings { id letterDate appealDeadline status consultedOn copiedToFeedbackOfficer }
  restrictions { kind startsOn reviewDueOn }
  letters { id kind language issuedAt sentAt }
} }";

/// Every field a case page's plan writes, with aliases, fragments and `__typename`.
const EVERYTHING: &str = "query Page($id: ID!) { __typename page: case(id: $id) { ...Head
  __typename id reference serviceCode serviceName stage status openedAt closedAt closureReason
  appealDeadline reviewDueOn flaggedForReview flagReason version allowedSteps
  customer { __typename id reference kind preferredLanguage displayName address email phone version mergedIntoId mergedAt }
  restrictions { __typename id kind startsOn endsOn reviewDueOn status permanent liftedOn version parameters liftedReason }
  timeline { __typename at kind recordId summary }
  determinations { __typename id unreasonable deciderRole decidedAt reasons }
  stage1Warnings { __typename id letterDate appealDeadline status consultedOn serviceDirectorConsulted
    adjustmentsConsidered proportionality copiedToFeedbackOfficer centralRecordAt version }
  appeals { __typename id warningId receivedOn acceptedLate outcome groupDirectorNotifiedAt decidedAt
    customerToldAt grounds lateReason decisionReasons version }
  stage2Decisions { __typename id immediate decidedOn consultedRole reviewDueOn serviceTeamNotifiedAt
    consultedName exceptionalReasons adjustmentsConsidered proportionality reasons }
  reviews { __typename id dueOn recommendation recommendedOn heldInTime endorsed endorsedOn customerToldAt
    recommendationReasons endorsementReasons }
  letters { __typename id kind language issuedAt sentAt templateId version subject bodyText bodyHtml }
} }
fragment Head on Case { when: openedAt ref: reference customer { id } }";

/// A page that reads no customer, no service and no records.
const BARE: &str = "query($id: ID!) { case(id: $id) { id stage version } }";

/// The generator's case ids, in order.
async fn case_ids(app: &TestApp) -> Vec<i64> {
    upc_case::Entity::find()
        .order_by_asc(upc_case::Column::Id)
        .all(&app.db)
        .await
        .expect("cases")
        .iter()
        .map(|c| c.id)
        .collect()
}

db_tests! {
    async fn planned_case_pages_are_the_schemas_byte_for_byte(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let legal = app.token(Role::LegalServices, &[]);
        let ids = case_ids(&app).await;
        let mut timeline = 0;
        for query in [CASE_PAGE, EVERYTHING, BARE] {
            // Each case with a document text of its own (a comment naming the case), so the
            // schema answers the first of each pair and the plan it learnt the second.
            let mut planned_pages = 0;
            for id in ids.iter().step_by(3) {
                let vars = json!({"id": id.to_string()});
                let query = format!("{query}\n# case {id}");
                let (_, schema_before) = paths(&app).await;
                let first = raw(&app, &legal, &query, &vars).await;
                let (before, schema_after) = paths(&app).await;
                assert_eq!(schema_after - schema_before, 1, "the schema answered first");
                let second = raw(&app, &legal, &query, &vars).await;
                let (after, _) = paths(&app).await;
                assert_eq!(String::from_utf8_lossy(&first), String::from_utf8_lossy(&second), "case {id}: {query}");
                planned_pages += after - before;
                let body: Value = serde_json::from_slice(&second).expect("JSON");
                assert!(body["errors"].is_null(), "{body}");
                timeline += body["data"]["case"]["timeline"].as_array().map_or(0, Vec::len);
            }
            assert_eq!(planned_pages, ids.iter().step_by(3).count() as u64, "{query}");
        }
        assert!(timeline > 100, "the pages have timelines: {timeline} entries");
        // An integer id is taken as the resolver takes it.
        let (_, planned) = twice(&app, &legal, CASE_PAGE, json!({"id": ids[0]})).await;
        assert!(planned);
    }

    async fn pages_with_every_kind_of_record_are_the_schemas(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Planned Page", "PLAN").await;
        let other = c.everything_about("Other Page", "OTHER").await;
        let legal = app.token(Role::LegalServices, &[]);
        for case in [&made.restricted_case, &other.restricted_case] {
            let (body, planned) = twice(&app, &legal, EVERYTHING, json!({"id": case})).await;
            assert!(planned, "{body}");
            let page = &body["data"]["page"];
            // (No Stage 1 warning: the Health & Safety route goes straight to Stage 2.)
            for list in ["timeline", "restrictions", "determinations", "stage2Decisions", "letters"] {
                assert!(page[list].as_array().is_some_and(|l| !l.is_empty()), "{list}: {page}");
            }
            // Health & Safety records are on the timeline too.
            let kinds: Vec<&str> = page["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
            assert!(kinds.iter().any(|k| k.contains("exclusion")), "{kinds:?}");
            assert!(page["restrictions"].as_array().expect("list").iter().any(|r| r["parameters"].is_object()), "{page}");
        }
        // The page as read for a plan (on PostgreSQL decoded from JSON) is the rows as read
        // column by column.
        let legal = api::domain::roles::Principal {
            subject: "legal".into(),
            name: None,
            roles: [Role::LegalServices].into(),
            services: Default::default(),
            services_from_directory: false,
        };
        let parts = api::store::case_page::PageParts {
            customer: true,
            service: true,
            reports: true,
            kinds: api::store::case_page::all_kinds(),
        };
        let id: i64 = made.restricted_case.parse().expect("an id");
        let page = api::store::case_page::case_page(&app.db, &legal, id, None, &parts).await.expect("read").expect("the case");
        let case = upc_case::Entity::find_by_id(id).one(&app.db).await.expect("read").expect("the case");
        assert_eq!(page.case, case);
        assert_eq!(page.customer, customer::Entity::find_by_id(case.customer_id).one(&app.db).await.expect("read"));
        assert_eq!(page.service, service::Entity::find_by_id(case.service_id).one(&app.db).await.expect("read"));
        let reports = reads::reports_of(&app.db, &[id], None).await.expect("read").remove(&id).unwrap_or_default();
        assert_eq!(page.records.reports.len(), reports.len());
        for (line, (report, behaviours)) in page.records.reports.iter().zip(&reports) {
            assert_eq!((line.id, line.occurred_at, line.reporter_role, &line.behaviours), (report.id, report.occurred_at, report.reporter_role, behaviours));
        }
        async fn rows<E: reads::CaseChild>(db: &sea_orm::DatabaseConnection, id: i64) -> Vec<E::Model> {
            reads::children_of::<E, _>(db, &[id]).await.expect("read").remove(&id).unwrap_or_default()
        }
        assert_eq!(page.records.letters, rows::<letter::Entity>(&app.db, id).await);
        assert_eq!(page.records.restrictions, rows::<restriction::Entity>(&app.db, id).await);
        assert_eq!(page.records.exclusions, rows::<exclusion::Entity>(&app.db, id).await);
        assert_eq!(page.records.decisions, rows::<stage_2_decision::Entity>(&app.db, id).await);
        assert_eq!(page.records.incidents, rows::<hs_incident::Entity>(&app.db, id).await);
        assert!(!page.records.letters.is_empty() && !page.records.exclusions.is_empty() && !page.records.incidents.is_empty());
    }

    async fn every_role_gets_the_schemas_case_page(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        // A case reported on by two people, one of whom signs in as an elected Member.
        let reports = behaviour_report::Entity::find().order_by_asc(behaviour_report::Column::Id).all(&app.db).await.expect("reports");
        let (case_id, reporter) = reports
            .iter()
            .find(|r| reports.iter().any(|o| o.case_id == r.case_id && o.reported_by != r.reported_by))
            .map(|r| (r.case_id, r.reported_by.clone()))
            .expect("a case with two reporters");
        let legal = app.token(Role::LegalServices, &[]);
        let service: String = app
            .graphql_as(&legal, "query($id: ID!) { case(id: $id) { serviceCode } }", json!({"id": case_id.to_string()}))
            .await["data"]["case"]["serviceCode"]
            .as_str()
            .expect("a service code")
            .to_string();
        let other_service = if service == "HOU" { "CTX" } else { "HOU" };
        // What a Member may read of a case (`allowedSteps` is worked out from the reports they
        // may see).
        let member_page = "query($id: ID!) { case(id: $id) { reference stage status allowedSteps } }";
        let tokens = [
            ("legal", legal.clone(), [true, true, true]),
            ("monitoring", app.token(Role::MonitoringOfficer, &[]), [true, true, true]),
            ("officer", app.token_for("officer-x", &[Role::Officer], &[service.as_str()]), [true, true, true]),
            ("manager", app.token_for("manager-x", &[Role::ServiceManager], &[service.as_str()]), [true, true, true]),
            // A Member may not read the process record: the schema answers field by field.
            ("member", app.token_for(&reporter, &[Role::ElectedMember], &[]), [false, false, true]),
            // The Committee may not read names: the schema answers.
            ("committee", app.token(Role::StandardsCommittee, &[]), [false, false, true]),
            // Another service's officer, or a Member who reported nothing, may not see the case
            // at all: the schema's NOT_FOUND.
            ("other service", app.token_for("officer-y", &[Role::Officer], &[other_service]), [false, false, false]),
            ("other member", app.token_for("member-nobody", &[Role::ElectedMember], &[]), [false, false, false]),
        ];
        for (who, token, expected) in &tokens {
            for (query, expect_planned) in [CASE_PAGE, EVERYTHING, member_page].into_iter().zip(expected) {
                let (body, planned) = twice(&app, token, query, json!({"id": case_id.to_string()})).await;
                assert_eq!(planned, *expect_planned, "{who}: {query}: {body}");
                assert!(!planned || body["errors"].is_null(), "{who}: {body}");
                if !expect_planned && query == member_page {
                    assert_eq!(body["errors"][0]["extensions"]["code"], json!("NOT_FOUND"), "{who}: {body}");
                }
            }
        }

        // The page read for the Member holds only their own reports (as the resolvers' loader
        // reads them), the Legal Services officer's every report.
        let principal = |subject: &str, role: Role| api::domain::roles::Principal {
            subject: subject.to_string(),
            name: None,
            roles: [role].into(),
            services: Default::default(),
            services_from_directory: false,
        };
        let parts = api::store::case_page::PageParts { reports: true, ..Default::default() };
        let member = principal(&reporter, Role::ElectedMember);
        let page = api::store::case_page::case_page(&app.db, &member, case_id, Some(&reporter), &parts)
            .await
            .expect("read")
            .expect("the Member's case");
        let theirs = reports.iter().filter(|r| r.case_id == case_id && r.reported_by == reporter).count();
        assert_eq!(page.records.reports.len(), theirs);
        let everyone = api::store::case_page::case_page(&app.db, &principal("legal", Role::LegalServices), case_id, None, &parts)
            .await
            .expect("read")
            .expect("the case");
        let all = reports.iter().filter(|r| r.case_id == case_id).count();
        assert_eq!(everyone.records.reports.len(), all);
        assert!(theirs < all);
        // Nobody's case is nobody's page.
        let nobody = principal("member-nobody", Role::ElectedMember);
        assert!(api::store::case_page::case_page(&app.db, &nobody, case_id, Some("member-nobody"), &parts).await.expect("read").is_none());
    }

    async fn a_planned_case_page_records_who_looked_as_the_schema_does(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Looked At", "LOOK").await;
        let reader = app.token_for("reader-7", &[Role::LegalServices], &[]);
        let before = tests::access_records(&app.db).await.len();
        let query = "query($id: ID!) { case(id: $id) { id customer { displayName email } letters { id subject bodyText } timeline { at } } }";
        let (_, planned) = twice(&app, &reader, query, json!({"id": made.restricted_case})).await;
        assert!(planned);
        let rows = tests::access_records(&app.db).await;
        let rows = &rows[before..];
        let mut requests: Vec<&str> = rows.iter().map(|r| r.request_id.as_str()).collect();
        requests.dedup();
        assert_eq!(requests.len(), 2, "one batch of records per request: {rows:?}");
        let of = |request: &str| {
            let mut out: Vec<_> = rows
                .iter()
                .filter(|r| r.request_id == request)
                .map(|r| (r.case_id, r.customer_id, r.category, r.operation.clone(), r.actor_sub.clone()))
                .collect();
            out.sort();
            out
        };
        let (schema, plan) = (of(requests[0]), of(requests[1]));
        assert_eq!(schema.len(), 3, "identity, contact details and letters: {schema:?}");
        assert_eq!(schema, plan);
        // Nothing sensitive selected, nothing recorded, planned or not.
        let all = tests::access_records(&app.db).await.len();
        let (_, planned) = twice(&app, &reader, CASE_PAGE.replace("customer { displayName }", "customer { id }").as_str(), json!({"id": made.restricted_case})).await;
        assert!(planned);
        assert_eq!(tests::access_records(&app.db).await.len(), all);
    }

    async fn a_planned_case_page_costs_one_statement_on_postgres(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Counted", "COUNT").await;
        let legal = app.token(Role::LegalServices, &[]);
        let vars = json!({"id": made.restricted_case});
        let (schema_body, schema_statements) = app.graphql_counting(&legal, CASE_PAGE, vars.clone()).await;
        let (before, _) = paths(&app).await;
        let (planned_body, planned_statements) = app.graphql_counting(&legal, CASE_PAGE, vars).await;
        let (after, _) = paths(&app).await;
        assert_eq!(after - before, 1, "planned");
        assert_eq!(schema_body, planned_body);
        match app.backend {
            // The page in one statement, and the access record.
            Backend::Postgres => assert_eq!(planned_statements, 2, "schema: {schema_statements}"),
            // The case, customer, service, reports and their types, then one per kind, and the
            // access record.
            Backend::Sqlite => assert!(planned_statements >= 17, "{planned_statements}"),
        }
    }
}
