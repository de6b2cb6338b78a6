//! Issue 18: a contact check finds its service by code (`store::service_ids`), then reads its
//! facts — the customer's cases there, their restrictions, exclusions and premises — in one
//! statement on PostgreSQL (`facts::contact_check_facts`), then the inbound contacts and the
//! names of named officers, teams and premises, when it needs them, in one more; logging a
//! contact still reads them one by one (`facts::check_facts`). Both must give the same facts for
//! every case of the seeded data set (restrictions of every kind, time limits with earlier
//! inbound contacts, named officers and premises) and for a customer excluded from premises
//! (section 3), at times before, during and after the restrictions; an unknown service is the
//! same error both ways. A service's id, once found, is kept: a code not found is not.

use api::domain::contact::Proposed;
use api::store::facts;
use api::store::service_ids::ServiceIds;
use chrono::{Duration, Utc};
use entities::enums::ContactChannel;
use entities::{contact, service, upc_case};
use sea_orm::{EntityTrait, QueryOrder};
use tests::db_tests;

use crate::access_records::council::*;
use crate::read_plan::small;

fn proposed(at: chrono::DateTime<Utc>) -> Proposed {
    Proposed {
        channel: ContactChannel::Telephone,
        at,
        officer: None,
        establishment_id: None,
    }
}

/// The facts both ways for `customer_id` in the service `code` at `at`: equal, or the test fails.
async fn same_facts(
    db: &sea_orm::DatabaseConnection,
    code: &str,
    customer_id: i64,
    at: chrono::DateTime<Utc>,
) -> api::domain::contact::CheckFacts {
    let service = facts::service_by_code(db, code).await.expect("the service");
    let found = ServiceIds::new().find(db, code).await.expect("the service");
    assert_eq!(found, (service.id, service.code.clone()));
    let together = facts::contact_check_facts(db, service.id, customer_id, at)
        .await
        .expect("facts in one statement");
    let one_by_one = facts::check_facts(db, service.id, customer_id, &proposed(at))
        .await
        .expect("facts one by one");
    assert_eq!(
        together, one_by_one,
        "customer {customer_id} in {code} at {at}"
    );
    together
}

db_tests! {
    async fn seeded_check_facts_are_the_same_in_one_statement(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let services: Vec<service::Model> = service::Entity::find().all(&app.db).await.expect("services");
        let code = |id: i64| services.iter().find(|s| s.id == id).expect("a service").code.clone();
        let cases = upc_case::Entity::find().order_by_asc(upc_case::Column::Id).all(&app.db).await.expect("cases");
        assert!(cases.len() > 50, "{} cases", cases.len());
        let (mut restrictions, mut inbound, mut named, mut checks) = (0, 0, 0, 0);
        for (n, case) in cases.iter().enumerate() {
            // The case's own service, and (every fifth case) another one where the customer
            // may have no case at all.
            let mut services_checked = vec![case.service_id];
            if n % 5 == 0 {
                services_checked.push(services[n % services.len()].id);
            }
            for service_id in services_checked {
                for at in [case.opened_at - Duration::days(1), case.opened_at + Duration::days(200), Utc::now()] {
                    let f = same_facts(&app.db, &code(service_id), case.customer_id, at).await;
                    checks += 1;
                    restrictions += f.restrictions.len();
                    inbound += f.inbound.len();
                    named += f.names.staff.len() + f.names.teams.len() + f.names.establishments.len();
                }
            }
        }
        // Just after each contact the data set holds, so time limits find earlier contacts.
        for contact in contact::Entity::find().order_by_asc(contact::Column::Id).all(&app.db).await.expect("contacts") {
            let f = same_facts(&app.db, &code(contact.service_id), contact.customer_id, contact.occurred_at + Duration::hours(1)).await;
            checks += 1;
            restrictions += f.restrictions.len();
            inbound += f.inbound.len();
        }
        assert!(restrictions > 0 && inbound > 0 && named > 0,
            "{checks} checks: {restrictions} restrictions, {inbound} inbound contacts, {named} names");
    }

    async fn exclusions_from_premises_are_the_same_in_one_statement(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Excluded Customer", "FACTS").await;
        let free = c.new_case("Unrestricted Customer", HOU, "FACTS-FREE").await;
        let customer: i64 = made.customer_id.parse().expect("a customer id");
        let free_customer: i64 = free["customer"]["id"].as_str().expect("an id").parse().expect("a customer id");
        let mut exclusions = 0;
        let mut premises = 0;
        for code in [HOU, OTH] {
            for who in [customer, free_customer, 999_999] {
                for at in [Utc::now() - Duration::days(30), Utc::now() + Duration::hours(1), Utc::now() + Duration::days(60)] {
                    let f = same_facts(&app.db, code, who, at).await;
                    exclusions += f.exclusions.len();
                    premises += f.exclusions.iter().map(|x| x.establishment_ids.len()).sum::<usize>();
                }
            }
        }
        assert!(exclusions > 0 && premises > 0, "{exclusions} exclusions, {premises} premises");
        // No service with the code: the same error both ways.
        let err = ServiceIds::new().find(&app.db, "NOPE").await.expect_err("no service");
        let by_code = facts::service_by_code(&app.db, "NOPE").await.expect_err("no service");
        assert_eq!(format!("{err:?}"), format!("{by_code:?}"));
    }

    async fn named_officers_and_teams_are_the_same_in_one_statement(app) {
        use entities::enums::RestrictionKind;
        use entities::restriction_parameters::{NamedContact, RestrictionParameters, TimeLimits};
        use entities::{restriction, staff_member, staff_team};
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let services: Vec<service::Model> = service::Entity::find().all(&app.db).await.expect("services");
        let all = restriction::Entity::find().order_by_asc(restriction::Column::Id).all(&app.db).await.expect("restrictions");
        // Two restrictions on one case: one names an officer, the other a team, and a third of
        // the case's (when there is one) limits contact in time.
        let case_id = all.windows(2).find(|w| w[0].case_id == w[1].case_id).expect("a case with two restrictions")[0].case_id;
        let on_case: Vec<&restriction::Model> = all.iter().filter(|r| r.case_id == case_id).collect();
        let service_id = on_case[0].service_id;
        let team = staff_team::ActiveModel {
            service_id: Set(service_id),
            name: Set("Facts Team".into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("a team");
        let officer = staff_member::ActiveModel {
            display_name: Set("Facts Officer".into()),
            team_id: Set(Some(team.id)),
            active: Set(true),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("an officer");
        let named = [
            NamedContact { staff_member_id: Some(officer.id), ..Default::default() },
            NamedContact { team_id: Some(team.id), ..Default::default() },
        ];
        for (r, n) in on_case.iter().zip(named) {
            let mut m: restriction::ActiveModel = (*r).clone().into();
            m.kind = Set(RestrictionKind::NamedContact);
            m.parameters = Set(RestrictionParameters::NamedContact(n));
            m.status = Set(entities::enums::RestrictionStatus::Active);
            m.update(&app.db).await.expect("named");
        }
        if let Some(r) = on_case.get(2) {
            let mut m: restriction::ActiveModel = (*r).clone().into();
            m.kind = Set(RestrictionKind::TimeLimits);
            m.parameters = Set(RestrictionParameters::TimeLimits(TimeLimits { per_days: 30, max_contacts: 2, max_minutes_per_contact: None }));
            m.update(&app.db).await.expect("time limits");
        }
        let case = upc_case::Entity::find_by_id(case_id).one(&app.db).await.expect("read").expect("the case");
        let code = services.iter().find(|s| s.id == service_id).expect("the service").code.clone();
        for at in [case.opened_at + Duration::days(200), Utc::now()] {
            let f = same_facts(&app.db, &code, case.customer_id, at).await;
            assert_eq!(f.names.staff.get(&officer.id).map(String::as_str), Some("Facts Officer"), "{f:?}");
            assert_eq!(f.names.teams.get(&team.id).map(String::as_str), Some("Facts Team"), "{f:?}");
        }
    }

    async fn services_are_found_by_code_and_kept_once_found(app) {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let services: Vec<service::Model> = service::Entity::find().all(&app.db).await.expect("services");
        let ids = ServiceIds::new();
        let first = &services[0];
        assert_eq!(ids.known(&first.code), None);
        let found = ids.find(&app.db, &format!("  {} ", first.code)).await.expect("found");
        assert_eq!(found, (first.id, first.code.clone()), "by its code, trimmed");
        assert_eq!(ids.known(&first.code), Some(first.id), "kept");
        // Renamed and taken out of use, a service keeps its code and id.
        let mut renamed: service::ActiveModel = first.clone().into();
        renamed.name = Set("Renamed".into());
        renamed.active = Set(false);
        renamed.update(&app.db).await.expect("renamed");
        assert_eq!(ids.find(&app.db, &first.code).await.expect("found"), (first.id, first.code.clone()));
        // A code not found is not kept: the service may be added later.
        let err = ids.find(&app.db, "LATER").await.expect_err("no service yet");
        assert!(format!("{err:?}").contains("no service with code LATER"), "{err:?}");
        assert_eq!(ids.known("LATER"), None);
        let later = service::ActiveModel { code: Set("LATER".into()), name: Set("Added later".into()), ..Default::default() }
            .insert(&app.db)
            .await
            .expect("added");
        assert_eq!(ids.find(&app.db, "LATER").await.expect("found once added"), (later.id, "LATER".to_string()));
        // Codes are matched exactly, as the database matches them.
        assert!(ids.find(&app.db, "later").await.is_err());
    }

    async fn a_service_added_after_a_check_of_its_code_is_checked(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let admin = app.token(api::auth::Role::Admin, &[]);
        let officer = app.token(api::auth::Role::Officer, &["NEWSVC"]);
        let customer = upc_case::Entity::find().one(&app.db).await.expect("read").expect("a case").customer_id;
        let check = "query($input: ContactCheckInput!) { contactCheck(input: $input) { allowed serviceCode } }";
        let input = serde_json::json!({"input": {"customerId": customer.to_string(), "serviceCode": "NEWSVC", "channel": "telephone"}});
        // Twice each: the schema answers a document first, its plan after.
        for _ in 0..2 {
            let body = app.graphql_as(&officer, check, input.clone()).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        }
        let made = app
            .graphql_as(&admin, "mutation { createService(input: {code: \"NEWSVC\", name: \"New service\"}) { code } }", serde_json::json!({}))
            .await;
        assert!(made["errors"].is_null(), "{made}");
        for _ in 0..2 {
            let body = app.graphql_as(&officer, check, input.clone()).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(body["data"]["contactCheck"], serde_json::json!({"allowed": true, "serviceCode": "NEWSVC"}));
        }
    }
}
