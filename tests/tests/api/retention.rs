//! Retention (issue 7, item 4), on both databases, over the seeded data set: the dry run lists
//! exactly the closed cases the schedule makes due and changes nothing; the run anonymises them
//! (names, contact details, free text; audit payloads erased, hashes intact), registers and
//! audits each disposal without the erased content, leaves every other case alone, and the
//! annual reports for past years give the same figures afterwards.

use std::collections::BTreeSet;

use api::audit::verify::{Outcome, verify};
use api::audit::{self, Change};
use api::auth::Principal;
use api::authz::RequestContext;
use api::reports::model::{AnnualReport, Edition};
use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Europe::London;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use serde_json::json;
use tests::db_tests;
use worker::report::{ReportRequest, build};
use worker::retention::{REMOVED, Schedule, apply, plan};

const SCHEDULE: Schedule = Schedule {
    years_after_restriction: 1,
    years_after_closure: 1,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or(NaiveDate::MIN)
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = rows(db, sql).await;
    row[0].try_get_by_index::<i64>(0).unwrap()
}

/// Every figure of the reports for the seeded years, without what may change (when it was
/// generated, and the free-text notes, which retention removes).
async fn reports(db: &DatabaseConnection) -> Vec<AnnualReport> {
    let mut all = Vec::new();
    for year in 2021..=2025 {
        let request = ReportRequest {
            reporting_year: year,
            year_start_month: 4,
            services: None,
            edition: Edition::Internal,
        };
        let mut report = build(db, &request, &|_| {})
            .await
            .expect("the report builds");
        report.generated_at = DateTime::<Utc>::UNIX_EPOCH;
        for case in &mut report.cases {
            case.notes = None;
        }
        all.push(report);
    }
    all
}

/// Add chained audit events with payloads to `case_id` (the seed writes none).
async fn audit_case(db: &DatabaseConnection, case_id: i64, text: &str) {
    let context = RequestContext {
        client_address: None,
        principal: Principal {
            subject: "officer-1".into(),
            name: Some("An Officer".into()),
            roles: BTreeSet::new(),
            services: BTreeSet::new(),
            services_from_directory: false,
        }
        .into(),
        request_id: "test".into(),
    };
    let txn = db.begin().await.unwrap();
    audit::record(
        &txn,
        &context,
        Change {
            action: "behaviour.report",
            entity_type: "behaviour_report",
            entity_id: "1".into(),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({ "description": text })),
            reason: Some(text.into()),
        },
    )
    .await
    .map_err(|e| e.message())
    .unwrap();
    txn.commit().await.unwrap();
}

/// What the schedule should make of one closed case, worked out from plain SQL.
async fn expected_due(db: &DatabaseConnection, case_id: i64, closed_at: DateTime<Utc>) -> bool {
    let closed_on = closed_at.with_timezone(&London).date_naive();
    let ends = rows(
        db,
        &format!(
            "SELECT lifted_on, ends_on FROM restriction WHERE case_id = {case_id} \
             UNION ALL SELECT lifted_on, ends_on FROM exclusion WHERE case_id = {case_id}"
        ),
    )
    .await;
    let mut basis = closed_on;
    let mut years = SCHEDULE.years_after_closure;
    for row in ends {
        let lifted: Option<NaiveDate> = row.try_get_by_index(0).unwrap();
        let ends_on: Option<NaiveDate> = row.try_get_by_index(1).unwrap();
        let end = match (lifted, ends_on) {
            (Some(l), _) => l,
            (None, Some(e)) if e <= today() => e,
            _ => return false,
        };
        years = SCHEDULE.years_after_restriction;
        basis = basis.max(end);
    }
    basis + Months::new(12 * years) <= today()
}

db_tests! {
    async fn retention_dry_run_then_run_keeps_every_report_figure(app) {
        let db = &app.db;
        api::seed::seed(db, api::seed::Scale::new(0.01).unwrap(), 7).await.unwrap();

        // Every closed case, classified from SQL.
        let closed = rows(db, "SELECT id, reference, closed_at FROM upc_case WHERE status = 'closed' ORDER BY reference").await;
        let mut expected = BTreeSet::new();
        for row in &closed {
            let id: i64 = row.try_get_by_index(0).unwrap();
            let reference: String = row.try_get_by_index(1).unwrap();
            let closed_at: DateTime<Utc> = row.try_get_by_index(2).unwrap();
            if expected_due(db, id, closed_at).await {
                expected.insert(reference);
            }
        }
        assert!(expected.len() >= 5, "the seed should make some cases due: {}", expected.len());
        assert!(expected.len() < closed.len(), "and keep some closed cases");

        // The dry run: the list, and nothing changed.
        let due = plan(db, &SCHEDULE, today()).await.unwrap();
        let listed: BTreeSet<String> = due.iter().map(|d| d.case_reference.clone()).collect();
        assert_eq!(listed, expected);
        for d in &due {
            assert!(!d.why(&SCHEDULE).is_empty());
            assert!(d.due_on <= today() && d.basis_on < d.due_on);
        }
        let target = &due[0];
        let kept_case = count(db, "SELECT MIN(id) FROM upc_case WHERE status <> 'closed'").await;
        let kept_description: String = rows(db, &format!(
            "SELECT description FROM behaviour_report WHERE case_id = {kept_case} ORDER BY id LIMIT 1"
        )).await[0].try_get_by_index(0).unwrap();
        let secret = "the customer shouted at Ms Example in Reception";
        audit_case(db, target.case_id, secret).await;
        audit_case(db, kept_case, secret).await;
        assert_eq!(count(db, "SELECT COUNT(*) FROM disposal").await, 0);
        assert_eq!(
            count(db, &format!("SELECT COUNT(*) FROM behaviour_report WHERE case_id = {} AND description = '{REMOVED}'", target.case_id)).await,
            0,
            "the dry run changes nothing"
        );

        let before = reports(db).await;
        let summary = apply(db, &SCHEDULE, &due).await.unwrap();
        assert_eq!(summary.cases, due.len() as u64);
        let customers_due = due.iter().filter(|d| d.customer_too).count() as u64;
        assert_eq!(summary.customers, customers_due);
        assert!(customers_due > 0, "some customer had all cases due");
        assert!(summary.audit_events_redacted >= 1);

        // The reports for past years give the same figures.
        let after = reports(db).await;
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.summary, a.summary, "summary {}", b.reporting_year_label);
            assert_eq!(b.by_service, a.by_service);
            assert_eq!(b.by_stage, a.by_stage);
            assert_eq!(b.by_restriction_type, a.by_restriction_type);
            assert_eq!(b.service_by_restriction_type, a.service_by_restriction_type);
            assert_eq!(b.monthly, a.monthly);
            assert_eq!(b.cases, a.cases, "case records and checks {}", b.reporting_year_label);
        }
        assert!(before.iter().any(|r| !r.cases.is_empty()));

        // Anonymised: free text of every disposed case, and the audit payloads.
        let ids: Vec<String> = due.iter().map(|d| d.case_id.to_string()).collect();
        let ids = ids.join(",");
        for (table, column) in [
            ("behaviour_report", "description"),
            ("behaviour_report", "reporter_name"),
            ("determination", "reasons"),
            ("letter", "body_text"),
            ("letter", "body_html"),
            ("stage_2_decision", "reasons"),
            ("breach", "description"),
        ] {
            let left = count(db, &format!(
                "SELECT COUNT(*) FROM {table} WHERE case_id IN ({ids}) AND {column} <> '{REMOVED}'"
            )).await;
            assert_eq!(left, 0, "{table}.{column} still holds text");
        }
        assert!(count(db, &format!("SELECT COUNT(*) FROM letter WHERE case_id IN ({ids})")).await > 0);
        let left = count(db, &format!(
            "SELECT COUNT(*) FROM audit_event WHERE case_id IN ({ids}) AND redacted_at IS NULL \
             AND action <> 'retention.anonymise_case'"
        )).await;
        assert_eq!(left, 0, "audit payloads of disposed cases are erased");
        let gone_customers: Vec<i64> = due.iter().filter(|d| d.customer_too).map(|d| d.customer_id).collect();
        for customer in &gone_customers {
            let row = &rows(db, &format!("SELECT display_name, email, phone, address FROM customer WHERE id = {customer}")).await[0];
            assert_eq!(row.try_get_by_index::<String>(0).unwrap(), REMOVED);
            for i in 1..4 {
                assert_eq!(row.try_get_by_index::<Option<String>>(i).unwrap(), None);
            }
        }
        // Register and audit: one of each per disposal, without the erased content.
        assert_eq!(count(db, "SELECT COUNT(*) FROM disposal WHERE entity_type = 'upc_case'").await, due.len() as i64);
        assert_eq!(count(db, "SELECT COUNT(*) FROM disposal WHERE entity_type = 'customer'").await, customers_due as i64);
        let events = rows(db, &format!(
            "SELECT after, reason FROM audit_event WHERE action = 'retention.anonymise_case' AND case_id = {}",
            target.case_id
        )).await;
        assert_eq!(events.len(), 1);
        let after: serde_json::Value = events[0].try_get_by_index(0).unwrap();
        assert_eq!(after["case_reference"], json!(target.case_reference));
        assert!(!after.to_string().contains("Ms Example"));
        let reason: String = events[0].try_get_by_index(1).unwrap();
        assert!(reason.contains("fell due"), "{reason}");

        // Everything else is as it was.
        let still: String = rows(db, &format!(
            "SELECT description FROM behaviour_report WHERE case_id = {kept_case} ORDER BY id LIMIT 1"
        )).await[0].try_get_by_index(0).unwrap();
        assert_eq!(still, kept_description);
        assert_eq!(
            count(db, &format!("SELECT COUNT(*) FROM audit_event WHERE case_id = {kept_case} AND redacted_at IS NULL")).await,
            1
        );

        // The chain verifies, reporting the erased payloads; a second run finds nothing due.
        match verify(db, 500, None).await.unwrap() {
            Outcome::Intact(intact) => assert_eq!(intact.redacted, summary.audit_events_redacted),
            Outcome::Broken(broken) => panic!("chain broken after retention: {broken:?}"),
        }
        assert!(plan(db, &SCHEDULE, today()).await.unwrap().is_empty());
    }
}
