//! The entities and the migrated schema agree: same tables, same columns, same enum values,
//! and values survive a round trip through the database.

use chrono::{NaiveDate, TimeZone, Utc};
use entities::prelude::*;
use entities::{
    audit_event, customer, report_artifact, report_job, restriction, service, upc_case,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, Database, DatabaseConnection, EntityTrait};
use serde_json::json;

#[expect(
    clippy::expect_used,
    reason = "test set-up: if the database cannot open, no test can run"
)]
async fn migrated() -> DatabaseConnection {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite opens");
    Migrator::up(&db, None).await.expect("migrations run");
    db
}

/// Selecting every column of an entity fails if the table or any column is missing. Records
/// the table read in `$read`.
macro_rules! assert_readable {
    ($db:expr, $read:expr, $entity:ident) => {
        $entity::find()
            .all(&$db)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", stringify!($entity)));
        $read.push(sea_orm::EntityName::table_name(&$entity));
    };
}

#[tokio::test]
async fn every_entity_reads_from_the_migrated_schema() {
    let db = migrated().await;
    let mut read: Vec<&str> = Vec::new();
    assert_readable!(db, read, Service);
    assert_readable!(db, read, Establishment);
    assert_readable!(db, read, StaffTeam);
    assert_readable!(db, read, StaffRole);
    assert_readable!(db, read, StaffMember);
    assert_readable!(db, read, StaffMemberService);
    assert_readable!(db, read, Customer);
    assert_readable!(db, read, CustomerMember);
    assert_readable!(db, read, Representative);
    assert_readable!(db, read, ReasonableAdjustment);
    assert_readable!(db, read, UpcCase);
    assert_readable!(db, read, Contact);
    assert_readable!(db, read, BehaviourReport);
    assert_readable!(db, read, BehaviourReportType);
    assert_readable!(db, read, HsIncident);
    assert_readable!(db, read, PoliceReferral);
    assert_readable!(db, read, CallTermination);
    assert_readable!(db, read, Exclusion);
    assert_readable!(db, read, ExclusionEstablishment);
    assert_readable!(db, read, Determination);
    assert_readable!(db, read, Stage1Warning);
    assert_readable!(db, read, Appeal);
    assert_readable!(db, read, Stage2Decision);
    assert_readable!(db, read, Restriction);
    assert_readable!(db, read, Breach);
    assert_readable!(db, read, Review);
    assert_readable!(db, read, NewIssueConsideration);
    assert_readable!(db, read, RecordingRequest);
    assert_readable!(db, read, LetterTemplate);
    assert_readable!(db, read, Letter);
    assert_readable!(db, read, AuditEvent);
    assert_readable!(db, read, ReportJob);
    assert_readable!(db, read, ReportArtifact);
    assert_readable!(db, read, ClosureDay);
    assert_readable!(db, read, IdempotencyKey);
    assert_readable!(db, read, Notification);
    assert_readable!(db, read, NotificationRead);
    assert_readable!(db, read, HarassmentReferral);
    assert_readable!(db, read, HarassmentReferralCall);
    assert_readable!(db, read, AccessRead);
    assert_readable!(db, read, Disposal);
    assert_readable!(db, read, ScheduledRun);
    assert_readable!(db, read, Stage1WarningAdjustment);
    assert_readable!(db, read, Stage2DecisionAdjustment);
    assert_readable!(db, read, ReviewAdjustment);
    let mut tables = migration::table_names();
    tables.sort_unstable();
    read.sort_unstable();
    assert_eq!(read, tables, "one entity per table");
}

fn stored<E: sea_orm::ActiveEnum<Value = String>>(all: &[E]) -> Vec<String> {
    all.iter().map(sea_orm::ActiveEnum::to_value).collect()
}

#[tokio::test]
async fn enum_checks_list_exactly_the_rust_values() {
    use sea_orm::{ConnectionTrait, Statement};

    let db = migrated().await;
    let columns: Vec<(&str, &str, Vec<String>)> = vec![
        ("customer", "kind", stored(CustomerKind::ALL)),
        ("customer", "preferred_language", stored(Language::ALL)),
        ("upc_case", "stage", stored(CaseStage::ALL)),
        ("upc_case", "status", stored(CaseStatus::ALL)),
        ("contact", "channel", stored(ContactChannel::ALL)),
        ("contact", "direction", stored(ContactDirection::ALL)),
        ("contact", "outcome", stored(ContactOutcome::ALL)),
        (
            "behaviour_report",
            "reporter_role",
            stored(ReporterRole::ALL),
        ),
        ("behaviour_report", "channel", stored(ReportChannel::ALL)),
        ("behaviour_report_type", "behaviour", stored(Behaviour::ALL)),
        (
            "police_referral",
            "reason",
            stored(PoliceReferralReason::ALL),
        ),
        ("exclusion", "kind", stored(ExclusionKind::ALL)),
        (
            "exclusion",
            "agreed_by_role",
            stored(ExclusionAgreedByRole::ALL),
        ),
        ("determination", "decider_role", stored(DeciderRole::ALL)),
        ("stage_1_warning", "status", stored(WarningStatus::ALL)),
        (
            "reasonable_adjustment",
            "status",
            stored(AdjustmentStatus::ALL),
        ),
        ("appeal", "outcome", stored(AppealOutcome::ALL)),
        (
            "stage_2_decision",
            "consulted_role",
            stored(ConsultedRole::ALL),
        ),
        ("restriction", "kind", stored(RestrictionKind::ALL)),
        ("restriction", "status", stored(RestrictionStatus::ALL)),
        ("breach", "outcome", stored(BreachOutcome::ALL)),
        (
            "review",
            "recommendation",
            stored(ReviewRecommendation::ALL),
        ),
        ("letter_template", "kind", stored(LetterKind::ALL)),
        ("letter_template", "language", stored(Language::ALL)),
        ("letter", "kind", stored(LetterKind::ALL)),
        ("letter", "language", stored(Language::ALL)),
        ("report_job", "edition", stored(ReportEdition::ALL)),
        (
            "access_read",
            "category",
            stored(entities::access_read::AccessCategory::ALL),
        ),
        ("report_job", "status", stored(ReportJobStatus::ALL)),
        (
            "disposal",
            "entity_type",
            stored(entities::enums::DisposalEntity::ALL),
        ),
        (
            "disposal",
            "rule",
            stored(entities::enums::DisposalRule::ALL),
        ),
        (
            "scheduled_run",
            "job",
            stored(entities::enums::ScheduledJob::ALL),
        ),
        (
            "scheduled_run",
            "status",
            stored(entities::enums::ScheduledRunStatus::ALL),
        ),
        (
            "notification",
            "event",
            stored(entities::notification::AlertEvent::ALL),
        ),
        (
            "notification",
            "restriction_kind",
            stored(RestrictionKind::ALL),
        ),
    ];
    for (table, column, values) in columns {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                [table.into()],
            ))
            .await
            .expect("sqlite_master is readable")
            .expect("table exists");
        let sql: String = row.try_get("", "sql").expect("sql column");
        let quoted: Vec<String> = values.iter().map(|value| format!("'{value}'")).collect();
        let expected = format!("\"{column}\" IN ({})", quoted.join(", "));
        assert!(
            sql.contains(&expected),
            "{table}.{column}: expected {expected} in {sql}"
        );
    }
}

#[tokio::test]
async fn rows_round_trip_through_the_database() {
    let db = migrated().await;
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
        .single()
        .expect("valid time");
    let on = |day| NaiveDate::from_ymd_opt(2026, 3, day).expect("valid date");

    let housing = service::ActiveModel {
        code: Set("HOUSING".into()),
        name: Set("Housing".into()),
        active: Set(true),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("service");
    assert_eq!(housing.version, 1, "version starts at 1");

    let person = customer::ActiveModel {
        reference: Set("C-000001".into()),
        kind: Set(CustomerKind::SeveralPeople),
        display_name: Set("The Customers".into()),
        preferred_language: Set(Language::Cy),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("customer");

    let case = upc_case::ActiveModel {
        reference: Set("UPC-2026-0001".into()),
        customer_id: Set(person.id),
        service_id: Set(housing.id),
        stage: Set(CaseStage::Stage2Restricted),
        status: Set(CaseStatus::Open),
        opened_at: Set(at),
        review_due_on: Set(Some(on(31))),
        flagged_for_review: Set(false),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("case");

    let parameters = RestrictionParameters::TelephoneTimes(TelephoneTimes {
        days: vec![Weekday::Tuesday],
        from: "10:00".parse().expect("time"),
        to: "12:00".parse().expect("time"),
    });
    let inserted = restriction::ActiveModel {
        case_id: Set(case.id),
        service_id: Set(housing.id),
        kind: Set(parameters.kind()),
        parameters: Set(parameters.clone()),
        starts_on: Set(on(2)),
        review_due_on: Set(on(31)),
        status: Set(RestrictionStatus::Active),
        permanent: Set(false),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("restriction");
    let read = Restriction::find_by_id(inserted.id)
        .one(&db)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(read, inserted);
    assert_eq!(read.parameters, parameters);
    assert_eq!(read.kind, RestrictionKind::TelephoneTimes);
    assert_eq!(read.starts_on, on(2));

    let read_case = UpcCase::find_by_id(case.id)
        .one(&db)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(read_case.opened_at, at);
    assert_eq!(read_case.stage, CaseStage::Stage2Restricted);

    let event = audit_event::ActiveModel {
        occurred_at: Set(at),
        actor_sub: Set("sub-1".into()),
        actor_roles: Set("group_director".into()),
        action: Set("restriction.impose".into()),
        entity_type: Set("restriction".into()),
        entity_id: Set(Some(inserted.id.to_string())),
        case_id: Set(Some(case.id)),
        after: Set(Some(json!({"b": 1, "a": [true, null]}))),
        hash: Set("abc".into()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("audit event");
    assert_eq!(event.after, Some(json!({"b": 1, "a": [true, null]})));

    let job = report_job::ActiveModel {
        requested_by: Set("sub-mo".into()),
        reporting_year: Set(2025),
        services: Set(Some(json!([housing.id]))),
        edition: Set(ReportEdition::Internal),
        status: Set(ReportJobStatus::Queued),
        progress: Set(0),
        attempts: Set(0),
        max_attempts: Set(3),
        run_after: Set(at),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("report job");
    let artifact = report_artifact::ActiveModel {
        job_id: Set(job.id),
        name: Set("report.csv".into()),
        content_type: Set("text/csv".into()),
        content: Set(vec![0, 159, 146, 150]),
        sha256: Set("00".into()),
        size_bytes: Set(4),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("artifact");
    assert_eq!(artifact.content, vec![0, 159, 146, 150]);
}
