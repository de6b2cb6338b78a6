//! The demonstration data set (`upc-api demo-data`): it loads a case at every stage, and a
//! second load is refused without writing anything.

use api::calendar::Calendar;
use api::demo::{self, DemoSummary};
use api::error::ApiError;
use chrono::{Datelike, Months, Weekday};
use entities::enums::{CaseStage, CaseStatus, CustomerKind, Language, RestrictionKind};
use entities::{
    behaviour_report, behaviour_report_type, customer, customer_member, determination,
    establishment, letter, reasonable_adjustment, representative, restriction, service,
    staff_member, staff_member_service, staff_team, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use tests::db_tests;

/// The counts actually in the database, in the shape of the summary.
async fn counts(db: &DatabaseConnection) -> DemoSummary {
    DemoSummary {
        services: service::Entity::find().count(db).await.unwrap(),
        establishments: establishment::Entity::find().count(db).await.unwrap(),
        staff_teams: staff_team::Entity::find().count(db).await.unwrap(),
        staff_members: staff_member::Entity::find().count(db).await.unwrap(),
        staff_member_services: staff_member_service::Entity::find()
            .count(db)
            .await
            .unwrap(),
        customers: customer::Entity::find().count(db).await.unwrap(),
        customer_members: customer_member::Entity::find().count(db).await.unwrap(),
        representatives: representative::Entity::find().count(db).await.unwrap(),
        reasonable_adjustments: reasonable_adjustment::Entity::find()
            .count(db)
            .await
            .unwrap(),
        cases: upc_case::Entity::find().count(db).await.unwrap(),
        behaviour_reports: behaviour_report::Entity::find().count(db).await.unwrap(),
        behaviour_report_types: behaviour_report_type::Entity::find()
            .count(db)
            .await
            .unwrap(),
        determinations: determination::Entity::find().count(db).await.unwrap(),
        stage_1_warnings: stage_1_warning::Entity::find().count(db).await.unwrap(),
        stage_2_decisions: stage_2_decision::Entity::find().count(db).await.unwrap(),
        restrictions: restriction::Entity::find().count(db).await.unwrap(),
        letters: letter::Entity::find().count(db).await.unwrap(),
    }
}

/// The one case at `stage`.
async fn case_at(db: &DatabaseConnection, stage: CaseStage) -> upc_case::Model {
    let mut cases = upc_case::Entity::find()
        .filter(upc_case::Column::Stage.eq(stage))
        .all(db)
        .await
        .unwrap();
    assert_eq!(cases.len(), 1, "one demo case at {stage}");
    cases.pop().unwrap()
}

db_tests! {
    async fn demo_data_loads_a_case_at_every_stage(app) {
        let empty = counts(&app.db).await;
        assert_eq!(empty, DemoSummary::default(), "a fresh database is empty");

        let summary = demo::load(&app.db).await.unwrap();
        assert_eq!(counts(&app.db).await, summary, "the summary counts what was written");
        assert_eq!(summary.services, 3);
        assert_eq!(summary.establishments, 3);
        assert_eq!(summary.staff_teams, 2);
        assert_eq!(summary.customers, 4);
        assert_eq!(summary.cases, 5);
        assert_eq!(summary.restrictions, 2);
        // Letters as the steps write them: the two Stage 1 warnings and the Stage 2 decision.
        assert_eq!(summary.letters, 3);
        assert!(
            summary.to_string().starts_with("3 services, 3 establishments, 2 staff teams"),
            "{summary}"
        );
        assert!(summary.to_string().contains("4 customers, 5 cases"), "{summary}");

        let codes: Vec<String> = service::Entity::find()
            .order_by_asc(service::Column::Code)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.code)
            .collect();
        assert_eq!(codes, ["CS", "HOU", "LEI"]);
        let officer = staff_member::Entity::find()
            .filter(staff_member::Column::Subject.eq("demo-officer-cs"))
            .one(&app.db)
            .await
            .unwrap();
        assert!(officer.is_some(), "staff directory uses demo- subjects");

        // Customers: one Welsh speaker, one group of two, one represented with an adjustment.
        let customers = customer::Entity::find().all(&app.db).await.unwrap();
        assert!(customers.iter().any(|c| c.preferred_language == Language::Cy));
        let group = customers.iter().find(|c| c.kind == CustomerKind::Group).unwrap();
        let members = customer_member::Entity::find()
            .filter(customer_member::Column::CustomerId.eq(group.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(members, 2);
        let represented = representative::Entity::find().one(&app.db).await.unwrap().unwrap();
        let adjustment = reasonable_adjustment::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert_eq!(represented.customer_id, adjustment.customer_id);

        // Every stage has its case.
        for &stage in CaseStage::ALL {
            case_at(&app.db, stage).await;
        }

        let reported = case_at(&app.db, CaseStage::Reported).await;
        assert_eq!(reported.status, CaseStatus::Open);
        let report = behaviour_report::Entity::find()
            .filter(behaviour_report::Column::CaseId.eq(reported.id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let types = behaviour_report_type::Entity::find()
            .filter(behaviour_report_type::Column::ReportId.eq(report.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(types, 2, "the new report names two behaviour types");
        let undetermined = determination::Entity::find()
            .filter(determination::Column::CaseId.eq(reported.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(undetermined, 0);

        let closed = case_at(&app.db, CaseStage::Closed).await;
        assert_eq!(closed.status, CaseStatus::Closed);
        assert!(closed.closed_at.is_some() && closed.closure_reason.is_some());
        let not_unreasonable = determination::Entity::find()
            .filter(determination::Column::CaseId.eq(closed.id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(!not_unreasonable.unreasonable);

        let warned = case_at(&app.db, CaseStage::Stage1Warning).await;
        let warning = stage_1_warning::Entity::find()
            .filter(stage_1_warning::Column::CaseId.eq(warned.id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(warned.appeal_deadline, Some(warning.appeal_deadline));
        assert!(warning.consulted_on <= warning.letter_date);
        assert!(!warning.adjustments_considered.is_empty() && !warning.proportionality.is_empty());
        // The warning went through the policy's own calendar: weekends and bank holidays of
        // England and Wales do not count (6.1).
        let calendar = Calendar::new([]);
        let working_days = warning
            .letter_date
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= warning.appeal_deadline)
            .filter(|d| calendar.is_working_day(*d))
            .count();
        assert_eq!(working_days, 15, "appeal window of 15 working days");
        assert!(calendar.is_working_day(warning.appeal_deadline));
        assert!(!matches!(warning.appeal_deadline.weekday(), Weekday::Sat | Weekday::Sun));

        let restricted = case_at(&app.db, CaseStage::Stage2Restricted).await;
        let decision = stage_2_decision::Entity::find()
            .filter(stage_2_decision::Column::CaseId.eq(restricted.id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(decision.warning_id.is_some() && !decision.immediate);
        assert_eq!(decision.review_due_on, decision.decided_on + Months::new(12));
        assert_eq!(restricted.review_due_on, Some(decision.review_due_on));
        let restrictions = restriction::Entity::find()
            .filter(restriction::Column::DecisionId.eq(decision.id))
            .order_by_asc(restriction::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let kinds: Vec<RestrictionKind> = restrictions.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [RestrictionKind::ContactForm, RestrictionKind::TelephoneTimes]);
        for r in &restrictions {
            assert_eq!(r.parameters.kind(), r.kind);
            assert_eq!(r.parameters.validate(), Ok(()));
            assert_eq!(r.review_due_on, decision.review_due_on);
            assert_eq!(r.service_id, restricted.service_id);
        }
        // Its warning letter and its decision letter, both marked sent.
        let letters = letter::Entity::find()
            .filter(letter::Column::CaseId.eq(restricted.id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(letters.len(), 2);
        assert!(letters.iter().all(|l| l.sent_at.is_some()), "{letters:?}");
    }

    async fn demo_data_is_refused_a_second_time(app) {
        let first = demo::load(&app.db).await.unwrap();
        let before = counts(&app.db).await;
        assert_eq!(before, first);

        let second = demo::load(&app.db).await;
        assert_eq!(
            second,
            Err(ApiError::Conflict("demo data already loaded".into())),
            "a second load is refused"
        );
        assert_eq!(counts(&app.db).await, before, "the refused load wrote nothing");
    }
}
