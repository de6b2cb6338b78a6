//! The policy driven without GraphQL: the same commands the mutations run, called through the
//! store's session (`api::store::Session`) as the command line and the demonstration data do,
//! on both databases. What they write is then read back through the API like any case.

use std::collections::BTreeSet;

use api::auth::{Principal, Role};
use api::authz::RequestContext;
use api::domain::behaviour::ReportBehaviour;
use api::domain::correspondence::MarkLetterSent;
use api::domain::customers::{CustomerChoice, NewCustomer};
use api::domain::directory::{NewService, ServiceCode};
use api::domain::lifecycle::LifecycleSettings;
use api::domain::restrictions::RestrictionTerms;
use api::domain::stage1::{DetermineBehaviour, IssueWarning};
use api::domain::stage2::DecideStage2;
use api::domain::values::{CaseId, LetterId, RecordId, Text};
use api::error::ApiError;
use api::store::Session;
use chrono::{Days, Utc};
use entities::enums::{
    Behaviour, CaseStage, ConsultedRole, ContactChannel, CustomerKind, Language, LetterKind,
    ReportChannel,
};
use entities::restriction_parameters::{ContactForm, RestrictionParameters};
use entities::{audit_event, letter, notification, upc_case};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tests::db_tests;

/// Someone signed in with `roles` in Housing.
fn signed_in(subject: &str, roles: &[Role]) -> RequestContext {
    RequestContext {
        client_address: None,
        principal: Principal {
            subject: subject.into(),
            name: Some(subject.into()),
            roles: roles.iter().copied().collect(),
            services: BTreeSet::from(["HOU".to_string()]),
            services_from_directory: false,
        }
        .into(),
        request_id: format!("domain-test-{subject}"),
    }
}

fn text(value: &str) -> Text {
    Text::parse("test", value).unwrap()
}

db_tests! {
    async fn a_case_runs_from_report_to_restriction_through_the_domain_without_graphql(app) {
        let settings = LifecycleSettings::default();
        let admin = signed_in("admin", &[Role::Admin]);
        let officer = signed_in("officer", &[Role::Officer]);
        let manager = signed_in("manager", &[Role::ServiceManager]);
        let head = signed_in("head", &[Role::HeadOfService]);
        let director = signed_in("director", &[Role::GroupDirector]);
        let legal = signed_in("legal", &[Role::LegalServices]);
        let now = Utc::now();
        let as_of = |who, days_ago: u64| {
            Session::new(&app.db, who, &settings, None).at(now - Days::new(days_ago))
        };

        as_of(&admin, 40)
            .create_service(NewService { code: ServiceCode::parse("HOU").unwrap(), name: text("Housing") }, None)
            .await
            .unwrap();
        let report = |days| ReportBehaviour {
            customer: CustomerChoice::New(NewCustomer {
                display_name: text("Mr Test Customer"),
                kind: CustomerKind::Person,
                address: None,
                email: None,
                phone: None,
                preferred_language: Language::Cy,
            }),
            service_code: "HOU".into(),
            behaviours: vec![Behaviour::NumerousRepeatCalls],
            channel: ReportChannel::Telephone,
            occurred_at: now - Days::new(days),
            description: text("Eleven calls in a morning"),
        };
        let case = as_of(&officer, 30).report_behaviour(report(30), None).await.unwrap();
        assert_eq!(case.stage, CaseStage::Reported);
        let id = CaseId::from_key(case.id);
        let case = as_of(&manager, 28)
            .determine_behaviour(id, DetermineBehaviour {
                version: case.version,
                unreasonable: true,
                reasons: text("The calls disrupt the service (2.3)"),
                report: None,
            }, None)
            .await
            .unwrap();
        let warned_on = (now - Days::new(25)).date_naive();
        let case = as_of(&head, 25)
            .issue_stage_1_warning(id, IssueWarning {
adjustment_ids: Vec::new(),
                version: case.version,
                letter_date: None,
                reasons: text("Repeated calls"),
                service_director_consulted: text("The Service Director"),
                consulted_on: warned_on,
                adjustments_considered: text("No unmet need is known"),
                proportionality: text("A warning is the least step"),
            }, None)
            .await
            .unwrap();
        assert_eq!(case.stage, CaseStage::Stage1Warning);

        // The behaviour continues: the second report is filed on the same case (5.1).
        let mut second = report(5);
        second.customer = CustomerChoice::Existing(api::domain::values::CustomerId::from_key(case.customer_id));
        let case = as_of(&officer, 5).report_behaviour(second, None).await.unwrap();
        assert_eq!(case.id, id.get(), "filed on the open case");

        let decide = |version| DecideStage2 {
adjustment_ids: Vec::new(),
            version,
            exceptional_reasons: None,
            consulted_role: ConsultedRole::LegalServices,
            consulted_name: text("A Lawyer"),
            adjustments_considered: text("No unmet need is known"),
            proportionality: text("Letters only is the least restrictive that works"),
            reasons: text("The calls continued after the warning"),
            decided_on: None,
            review_due_on: None,
            restrictions: vec![RestrictionTerms {
                field: "restrictions[0]".into(),
                parameters: RestrictionParameters::ContactForm(ContactForm {
                    permitted_channels: vec![ContactChannel::Letter],
                }),
                starts_on: None,
                ends_on: None,
            }],
        };
        // The Head of Service may not restrict contact: refused, and nothing is written.
        let audit_before = audit_event::Entity::find().count(&app.db).await.unwrap();
        let refused = as_of(&head, 1).decide_stage_2(id, decide(case.version), None).await;
        assert!(matches!(refused, Err(ApiError::Forbidden(_))), "{refused:?}");
        assert_eq!(audit_event::Entity::find().count(&app.db).await.unwrap(), audit_before);

        let case = as_of(&director, 1).decide_stage_2(id, decide(case.version), None).await.unwrap();
        assert_eq!(case.stage, CaseStage::Stage2Restricted);
        assert!(case.review_due_on.is_some());

        // Every step wrote its audit event; the service team was told (5.5); two letters, in
        // Welsh, the customer's language.
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::CaseId.eq(case.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(events, 5, "report, determination, warning, report, decision");
        assert_eq!(notification::Entity::find().count(&app.db).await.unwrap(), 1);
        let letters = letter::Entity::find()
            .filter(letter::Column::CaseId.eq(case.id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(letters.len(), 2);
        assert!(letters.iter().all(|l| l.language == Language::Cy));
        let decision_letter = letters.iter().find(|l| l.kind == LetterKind::Stage2Decision).unwrap();
        let sent = as_of(&legal, 0)
            .mark_letter_sent(LetterId::from_key(decision_letter.id), MarkLetterSent { version: decision_letter.version }, None)
            .await
            .unwrap();
        assert!(sent.sent_at.is_some());

        // The same case, read through GraphQL as the intranet reads it.
        let token = app.token(Role::GroupDirector, &["HOU"]);
        let body = app
            .graphql_as(&token, "query($id: ID!) { case(id: $id) { stage allowedSteps restrictions { kind } letters { kind sentAt } } }", json!({"id": case.id.to_string()}))
            .await;
        let read = &body["data"]["case"];
        assert_eq!(read["stage"], "stage_2_restricted", "{body}");
        assert_eq!(read["restrictions"][0]["kind"], "contact_form", "{body}");
        assert!(read["allowedSteps"].as_array().unwrap().iter().any(|s| s == "imposeRestriction"), "{body}");
        let stored = upc_case::Entity::find_by_id(case.id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(stored.version, case.version, "the letter sent does not change the case");
    }
}
