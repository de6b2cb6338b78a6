//! The desk's contact check on the embedded SQLite database with 10,000 customers (issue 5:
//! target under 5 ms at p99). Run: `cargo bench -p api --bench contact_check`.
//!
//! It seeds a fresh embedded database (one service's 10,000 customers, each with a case; a
//! quarter restricted, with every kind of restriction, and some earlier contacts), then times
//! random checks two ways, after a warm-up: the check itself (the store's `check_facts`, the
//! statements it runs, and the domain's evaluation), and the whole GraphQL query as the server executes
//! it (parsing, validation, the authorisation guard, the resolver), without the HTTP hop.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use api::auth::{Principal, Role};
use api::authz::RequestContext;
use api::config::Settings;
use api::domain::contact::Proposed;
use api::server::App;
use chrono::Utc;
use entities::enums::{
    CaseStage, CaseStatus, ContactChannel, ContactDirection, ContactOutcome, CustomerKind,
    Language, RestrictionStatus,
};
use entities::restriction_parameters::{
    ClockTime, ContactForm, EstablishmentExclusion, NamedContact, RestrictionParameters,
    TelephoneTimes, Termination, TimeLimits, Weekday,
};
use entities::{contact, customer, establishment, restriction, service, upc_case};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};

const CUSTOMERS: i64 = 10_000;
const WARM_UP: usize = 500;
const SAMPLES: usize = 5_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::embedded(dir.path());
    settings.log = "warn".into();
    let app = App::prepare(settings).await?;
    let db = app.state().db.clone();
    let started = Instant::now();
    let service_id = seed(&db).await?;
    println!(
        "seeded {CUSTOMERS} customers ({} restricted) in {:.1} s",
        CUSTOMERS / 4,
        started.elapsed().as_secs_f64()
    );

    let mut rng = StdRng::seed_from_u64(5);
    let channels = ContactChannel::ALL;
    let mut direct = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let proposed = Proposed {
            channel: channels[rng.random_range(0..channels.len())],
            at: Utc::now(),
            officer: None,
            establishment_id: Some(rng.random_range(1..=3)),
        };
        let customer = rng.random_range(1..=CUSTOMERS);
        let t = Instant::now();
        let verdict = api::store::facts::check_facts(&db, service_id, customer, &proposed)
            .await
            .map_err(|e| format!("contact check failed: {e:?}"))?
            .check(&proposed);
        let elapsed = t.elapsed();
        std::hint::black_box(verdict);
        if i >= WARM_UP {
            direct.push(elapsed);
        }
    }

    let schema = app.state().schema.clone();
    let principal = Principal {
        subject: "bench-officer".into(),
        name: None,
        roles: BTreeSet::from([Role::Officer]),
        services: BTreeSet::from(["HOU".to_string()]),
        services_from_directory: false,
    };
    let query = "query($input: ContactCheckInput!) { contactCheck(input: $input) { allowed findings { kind blocks instruction } } }";
    let mut graphql = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let variables = serde_json::json!({"input": {
            "customerId": rng.random_range(1..=CUSTOMERS).to_string(),
            "serviceCode": "HOU",
            "channel": channels[rng.random_range(0..channels.len())].as_str(),
            "establishmentId": rng.random_range(1..=3).to_string(),
        }});
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(api::graphql::loaders::case_data_loader(
                db.clone(),
                None,
                true,
            ))
            .data(RequestContext {
                principal: principal.clone().into(),
                request_id: format!("bench-{i}"),
                client_address: None,
            });
        let t = Instant::now();
        let response = schema.execute(request).await;
        let elapsed = t.elapsed();
        if !response.errors.is_empty() {
            return Err(format!("contact check failed: {:?}", response.errors).into());
        }
        if i >= WARM_UP {
            graphql.push(elapsed);
        }
    }

    println!();
    println!(
        "| measurement (embedded SQLite, {CUSTOMERS} customers) | samples | p50 | p90 | p99 | p99.9 | max | over 5 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, samples) in [
        ("contact check (statements + evaluation)", &mut direct),
        ("contactCheck GraphQL query, in process", &mut graphql),
    ] {
        samples.sort();
        let slow = samples.iter().filter(|d| d.as_millis() >= 5).count();
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {slow} |",
            samples.len(),
            ms(percentile(samples, 0.50)),
            ms(percentile(samples, 0.90)),
            ms(percentile(samples, 0.99)),
            ms(percentile(samples, 0.999)),
            ms(samples.last().copied().unwrap_or_default()),
        );
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Service HOU with three establishments; 10,000 customers each with a case; every fourth
/// restricted (cycling through the kinds of restriction), with a few earlier contacts each.
async fn seed(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    let now = Utc::now();
    let today = now.date_naive();
    let txn = db.begin().await?;
    let svc = service::ActiveModel {
        code: Set("HOU".into()),
        name: Set("Housing".into()),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for name in ["One4All Centre", "Civic Centre", "Library"] {
        establishment::ActiveModel {
            service_id: Set(Some(svc.id)),
            name: Set(name.into()),
            address: Set("1 High Street".into()),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let ids: Vec<i64> = (1..=CUSTOMERS).collect();
    for chunk in ids.chunks(500) {
        customer::Entity::insert_many(chunk.iter().map(|i| customer::ActiveModel {
            id: Set(*i),
            reference: Set(format!("C-{i:06}")),
            kind: Set(CustomerKind::Person),
            display_name: Set(format!("Customer {i}")),
            preferred_language: Set(Language::En),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        upc_case::Entity::insert_many(chunk.iter().map(|i| upc_case::ActiveModel {
            id: Set(*i),
            reference: Set(format!("UPC-2026-{i:05}")),
            customer_id: Set(*i),
            service_id: Set(svc.id),
            stage: Set(if i % 4 == 0 {
                CaseStage::Stage2Restricted
            } else {
                CaseStage::Reported
            }),
            status: Set(CaseStatus::Open),
            opened_at: Set(now),
            flagged_for_review: Set(false),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        let restricted: Vec<i64> = chunk.iter().copied().filter(|i| i % 4 == 0).collect();
        if !restricted.is_empty() {
            restriction::Entity::insert_many(restricted.iter().map(|i| {
                let parameters = kind_for(*i);
                restriction::ActiveModel {
                    case_id: Set(*i),
                    service_id: Set(svc.id),
                    kind: Set(parameters.kind()),
                    parameters: Set(parameters),
                    starts_on: Set(today - chrono::Duration::days(30)),
                    review_due_on: Set(today + chrono::Duration::days(300)),
                    status: Set(RestrictionStatus::Active),
                    permanent: Set(false),
                    version: Set(1),
                    created_at: Set(now),
                    ..Default::default()
                }
            }))
            .exec(&txn)
            .await?;
        }
        contact::Entity::insert_many(chunk.iter().flat_map(|i| {
            (0..3).map(move |k| contact::ActiveModel {
                customer_id: Set(*i),
                service_id: Set(svc.id),
                case_id: Set(Some(*i)),
                channel: Set(ContactChannel::Telephone),
                direction: Set(ContactDirection::Inbound),
                occurred_at: Set(now - chrono::Duration::days(k * 2 + 1)),
                recorded_by: Set("seed".into()),
                summary: Set("Called about repairs".into()),
                outcome: Set(ContactOutcome::Replied),
                safeguarding_concern: Set(false),
                version: Set(1),
                created_at: Set(now),
                ..Default::default()
            })
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(svc.id)
}

fn kind_for(i: i64) -> RestrictionParameters {
    match (i / 4) % 5 {
        0 => RestrictionParameters::TimeLimits(TimeLimits {
            max_contacts: 3,
            per_days: 7,
            max_minutes_per_contact: Some(15),
        }),
        1 => RestrictionParameters::TelephoneTimes(TelephoneTimes {
            days: vec![Weekday::Tuesday, Weekday::Thursday],
            from: ClockTime::new(10, 0).unwrap_or_else(|| unreachable!("10:00 is a time")),
            to: ClockTime::new(12, 0).unwrap_or_else(|| unreachable!("12:00 is a time")),
        }),
        2 => RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
            establishment_ids: vec![1, 2],
        }),
        3 => RestrictionParameters::NamedContact(NamedContact {
            officer_name: Some("the Housing Manager".into()),
            ..Default::default()
        }),
        _ => {
            if i % 3 == 0 {
                RestrictionParameters::Termination(Termination {
                    permanent_exclusion_from_premises: false,
                })
            } else {
                RestrictionParameters::ContactForm(ContactForm {
                    permitted_channels: vec![ContactChannel::Letter, ContactChannel::Email],
                })
            }
        }
    }
}
