//! The synthetic data set (`upc-api seed --scale N`, issue 9): a deterministic, realistic case
//! record for benchmarks and load tests, never for production.
//!
//! At scale 1 it holds 25 services, 20,000 customers, 30,000 cases, about 60,000 restrictions of
//! every kind and about 90,000 decisions (determinations, Stage 1 warnings, appeal decisions,
//! Stage 2 decisions and endorsed reviews), with behaviour reports, contacts, breaches and
//! letters in plausible proportions, opened across five reporting years (April 2021 to March
//! 2026). Every record follows the policy's order: a warning only after a determination that
//! the behaviour was unreasonable, an appeal within the warning's window, Stage 2 after a
//! warning (or immediately, with exceptional reasons), restrictions from a Stage 2 decision, a
//! review when the review date has passed. Names are made up.
//!
//! The same scale and seed always give the same rows. Rows are written in bulk (multi-row
//! inserts of about 30,000 values each) in one transaction, so a failed seed leaves nothing.

mod names;

use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use entities::enums::{
    AppealOutcome, Behaviour, BreachOutcome, CaseStage, CaseStatus, ConsultedRole, ContactChannel,
    ContactDirection, ContactOutcome, CustomerKind, DeciderRole, Language, LetterKind,
    ReportChannel, ReporterRole, RestrictionStatus, ReviewRecommendation, WarningStatus,
};
use entities::restriction_parameters::{
    ClockTime, ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact,
    RestrictionParameters, TelephoneTimes, Termination, TimeLimits, Weekday,
};
use entities::{
    appeal, behaviour_report, behaviour_report_type, breach, contact, customer, determination,
    establishment, letter, restriction, review, service, stage_1_warning, stage_2_decision,
    upc_case,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, Set, TransactionTrait,
};

/// How large a data set to make: 1.0 is the default (20,000 customers, 30,000 cases); 11 makes
/// about a million decisions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale(f64);

impl Scale {
    /// The default scale.
    pub const DEFAULT: Scale = Scale(1.0);

    /// A scale between 0.001 (20 customers) and 100.
    pub fn new(scale: f64) -> Result<Scale, SeedError> {
        if scale.is_finite() && (0.001..=100.0).contains(&scale) {
            Ok(Scale(scale))
        } else {
            Err(SeedError::BadScale(scale))
        }
    }

    /// Customers at this scale.
    pub fn customers(self) -> i64 {
        ((20_000.0 * self.0).round() as i64).max(20)
    }

    /// Services at this scale: 25 per 1.0 (one council's worth), at least 3.
    pub fn services(self) -> i64 {
        ((25.0 * self.0).round() as i64).max(3)
    }
}

/// Why a seed was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The scale is out of range.
    #[error("scale {0} is out of range: give a number from 0.001 to 100")]
    BadScale(f64),
    /// The database already holds services, customers or cases.
    #[error(
        "the database already holds a case record ({0}); seed only an empty, migrated database"
    )]
    NotEmpty(String),
    /// The database refused a statement.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Rows written, per table, and how long it took.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedCounts {
    /// Services.
    pub services: u64,
    /// Establishments (two per service).
    pub establishments: u64,
    /// Customers.
    pub customers: u64,
    /// Cases.
    pub cases: u64,
    /// Behaviour reports.
    pub behaviour_reports: u64,
    /// Determinations (decisions).
    pub determinations: u64,
    /// Stage 1 warnings (decisions).
    pub stage_1_warnings: u64,
    /// Appeals, all decided (decisions).
    pub appeals: u64,
    /// Stage 2 decisions (decisions).
    pub stage_2_decisions: u64,
    /// Restrictions.
    pub restrictions: u64,
    /// Reviews held and endorsed (decisions).
    pub reviews: u64,
    /// Breaches.
    pub breaches: u64,
    /// Contacts.
    pub contacts: u64,
    /// Letters.
    pub letters: u64,
    /// Milliseconds taken.
    pub elapsed_ms: u64,
}

impl SeedCounts {
    /// Decisions: determinations, Stage 1 warnings, appeal decisions, Stage 2 decisions and
    /// endorsed reviews.
    pub fn decisions(&self) -> u64 {
        self.determinations
            + self.stage_1_warnings
            + self.appeals
            + self.stage_2_decisions
            + self.reviews
    }
}

/// The first day cases are opened on (the start of the first of five reporting years).
const FIRST_DAY: (i32, u32, u32) = (2021, 4, 1);
/// Days in the five reporting years April 2021 to March 2026.
const SPAN_DAYS: i64 = 1826;
/// The data set's "today": reviews due before it have been held.
const AS_OF: (i32, u32, u32) = (2026, 11, 1);
/// Values per multi-row insert (SQLite allows 32,766 bound values per statement).
const VALUES_PER_INSERT: usize = 30_000;
/// Cases generated before their rows are written.
const CASES_PER_BATCH: i64 = 2_000;

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default())
        .and_utc()
}

/// Seed an empty, migrated database with the data set for `scale` and `seed`, in one
/// transaction.
pub async fn seed(
    db: &DatabaseConnection,
    scale: Scale,
    seed: u64,
) -> Result<SeedCounts, SeedError> {
    let started = Instant::now();
    for (what, count) in [
        ("services", service::Entity::find().count(db).await?),
        ("customers", customer::Entity::find().count(db).await?),
        ("cases", upc_case::Entity::find().count(db).await?),
    ] {
        if count > 0 {
            return Err(SeedError::NotEmpty(format!("{count} {what}")));
        }
    }
    let txn = db.begin().await?;
    let mut generator = Generator::new(scale, seed);
    generator.services(&txn).await?;
    let customers = scale.customers();
    let mut next_customer = 1;
    while next_customer <= customers {
        let last = (next_customer + CASES_PER_BATCH * 2 / 3).min(customers);
        let mut rows = Rows::default();
        for id in next_customer..=last {
            generator.customer(id, &mut rows);
        }
        rows.write(&txn, &mut generator.counts).await?;
        next_customer = last + 1;
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        for table in [
            "service",
            "establishment",
            "customer",
            "upc_case",
            "behaviour_report",
            "determination",
            "stage_1_warning",
            "appeal",
            "stage_2_decision",
            "restriction",
            "review",
            "breach",
            "contact",
            "letter",
        ] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .await?;
        }
        txn.execute_unprepared("ANALYZE").await?;
    }
    txn.commit().await?;
    let mut counts = generator.counts;
    counts.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(counts)
}

/// Next ids, per table (the database is empty, so they start at 1).
#[derive(Default)]
struct Ids {
    case: i64,
    report: i64,
    determination: i64,
    warning: i64,
    appeal: i64,
    stage_2: i64,
    restriction: i64,
    review: i64,
    breach: i64,
    contact: i64,
    letter: i64,
}

fn next(id: &mut i64) -> i64 {
    *id += 1;
    *id
}

struct Generator {
    rng: StdRng,
    scale: Scale,
    services: Vec<(i64, String)>,
    /// Each service's two establishments.
    establishments: Vec<[i64; 2]>,
    ids: Ids,
    counts: SeedCounts,
    now: DateTime<Utc>,
}

/// One batch of rows, per table, in insertion order (parents first).
#[derive(Default)]
struct Rows {
    customers: Vec<customer::ActiveModel>,
    cases: Vec<upc_case::ActiveModel>,
    reports: Vec<behaviour_report::ActiveModel>,
    report_types: Vec<behaviour_report_type::ActiveModel>,
    determinations: Vec<determination::ActiveModel>,
    warnings: Vec<stage_1_warning::ActiveModel>,
    appeals: Vec<appeal::ActiveModel>,
    stage_2: Vec<stage_2_decision::ActiveModel>,
    restrictions: Vec<restriction::ActiveModel>,
    reviews: Vec<review::ActiveModel>,
    contacts: Vec<contact::ActiveModel>,
    breaches: Vec<breach::ActiveModel>,
    letters: Vec<letter::ActiveModel>,
}

async fn insert_all<A, C>(txn: &C, rows: Vec<A>, columns: usize) -> Result<u64, DbErr>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let count = rows.len() as u64;
    let per_statement = (VALUES_PER_INSERT / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(count)
}

impl Rows {
    async fn write<C: ConnectionTrait>(
        self,
        txn: &C,
        counts: &mut SeedCounts,
    ) -> Result<(), DbErr> {
        counts.customers += insert_all(txn, self.customers, 12).await?;
        counts.cases += insert_all(txn, self.cases, 16).await?;
        counts.behaviour_reports += insert_all(txn, self.reports, 10).await?;
        insert_all(txn, self.report_types, 4).await?;
        counts.determinations += insert_all(txn, self.determinations, 10).await?;
        counts.stage_1_warnings += insert_all(txn, self.warnings, 15).await?;
        counts.appeals += insert_all(txn, self.appeals, 16).await?;
        counts.stage_2_decisions += insert_all(txn, self.stage_2, 16).await?;
        counts.restrictions += insert_all(txn, self.restrictions, 15).await?;
        counts.reviews += insert_all(txn, self.reviews, 16).await?;
        counts.contacts += insert_all(txn, self.contacts, 18).await?;
        counts.breaches += insert_all(txn, self.breaches, 12).await?;
        counts.letters += insert_all(txn, self.letters, 16).await?;
        Ok(())
    }
}

/// What a case's history came to, for its own row.
struct Outcome {
    stage: CaseStage,
    closed_on: Option<NaiveDate>,
    closure_reason: Option<&'static str>,
    appeal_deadline: Option<NaiveDate>,
    review_due_on: Option<NaiveDate>,
    flagged: bool,
}

impl Generator {
    fn new(scale: Scale, seed: u64) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            scale,
            services: Vec::new(),
            establishments: Vec::new(),
            ids: Ids::default(),
            counts: SeedCounts::default(),
            now: at(date(AS_OF), 9, 0),
        }
    }

    async fn services<C: ConnectionTrait>(&mut self, txn: &C) -> Result<(), DbErr> {
        let mut services = Vec::new();
        let mut establishments = Vec::new();
        for n in 0..self.scale.services() {
            let (code, name) = names::SERVICES[(n as usize) % names::SERVICES.len()];
            let council = n / names::SERVICES.len() as i64;
            let (code, name) = if council == 0 {
                (code.to_string(), name.to_string())
            } else {
                (
                    format!("{code}{}", council + 1),
                    format!("{name} (council {})", council + 1),
                )
            };
            let id = n + 1;
            services.push(service::ActiveModel {
                id: Set(id),
                code: Set(code.clone()),
                name: Set(name.clone()),
                active: Set(true),
                version: Set(1),
                created_at: Set(self.now),
            });
            let mut pair = [0; 2];
            for (k, place) in ["Civic Centre", "One Stop Shop"].iter().enumerate() {
                let eid = id * 2 - 1 + k as i64;
                pair[k] = eid;
                establishments.push(establishment::ActiveModel {
                    id: Set(eid),
                    service_id: Set(Some(id)),
                    name: Set(format!("{name}, {place}")),
                    address: Set(format!("{} High Street", eid)),
                    active: Set(true),
                    version: Set(1),
                    created_at: Set(self.now),
                });
            }
            self.services.push((id, name));
            self.establishments.push(pair);
        }
        self.counts.services = insert_all(txn, services, 6).await?;
        self.counts.establishments = insert_all(txn, establishments, 7).await?;
        Ok(())
    }

    fn customer(&mut self, id: i64, rows: &mut Rows) {
        let first = *names::FIRST.choose(&mut self.rng).unwrap_or(&"Sam");
        let last = *names::LAST.choose(&mut self.rng).unwrap_or(&"Jones");
        let kind = match self.rng.random_range(0..100) {
            0..=94 => CustomerKind::Person,
            95..=97 => CustomerKind::SeveralPeople,
            _ => CustomerKind::Group,
        };
        let display_name = match kind {
            CustomerKind::Person => format!("{first} {last}"),
            CustomerKind::SeveralPeople => format!("{first} and {} {last}", {
                *names::FIRST.choose(&mut self.rng).unwrap_or(&"Alex")
            }),
            CustomerKind::Group => format!("{last} Street Residents' Group"),
        };
        let welsh = self.rng.random_bool(0.05);
        rows.customers.push(customer::ActiveModel {
            id: Set(id),
            reference: Set(format!("C-{id:07}")),
            kind: Set(kind),
            display_name: Set(display_name),
            address: Set(Some(format!(
                "{} {} Road, {}",
                self.rng.random_range(1..200),
                last,
                names::TOWNS.choose(&mut self.rng).unwrap_or(&"Newport")
            ))),
            email: Set(self.rng.random_bool(0.7).then(|| {
                format!(
                    "{}.{}{}@example.org",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    id
                )
            })),
            phone: Set(self
                .rng
                .random_bool(0.8)
                .then(|| format!("01632 {:06}", id % 1_000_000))),
            preferred_language: Set(if welsh { Language::Cy } else { Language::En }),
            disability_or_unmet_need_noted: Set(self
                .rng
                .random_bool(0.1)
                .then(|| "Prefers written contact; reads large print".to_string())),
            service_id: Set(None),
            merged_into_id: Set(None),
            merged_at: Set(None),
            version: Set(1),
            created_at: Set(self.now),
        });
        // Three customers in two have one case, one in two has two (in different services).
        let cases = if id % 2 == 0 { 2 } else { 1 };
        let first_service = self.rng.random_range(0..self.services.len());
        for k in 0..cases {
            let service = (first_service + k * 7) % self.services.len();
            self.case(id, service, rows);
        }
    }

    fn pick_staff(&mut self) -> String {
        let first = *names::FIRST.choose(&mut self.rng).unwrap_or(&"Chris");
        let last = *names::LAST.choose(&mut self.rng).unwrap_or(&"Evans");
        format!("{first} {last}")
    }

    fn case(&mut self, customer_id: i64, service: usize, rows: &mut Rows) {
        let case_id = next(&mut self.ids.case);
        let (service_id, _) = self.services[service].clone();
        let opened_on = date(FIRST_DAY) + Duration::days(self.rng.random_range(0..SPAN_DAYS));
        let opened_at = at(opened_on, self.rng.random_range(9..17), 0);
        let as_of = date(AS_OF);

        // Behaviour reports: one to three, the first on the day the case opened.
        let mut first_report = None;
        for r in 0..self.rng.random_range(1..=3) {
            let report_id = next(&mut self.ids.report);
            first_report.get_or_insert(report_id);
            let occurred = opened_at + Duration::days(r * self.rng.random_range(1..10));
            let how_many = self.rng.random_range(1..=2);
            let behaviours: Vec<Behaviour> = Behaviour::ALL
                .choose_multiple(&mut self.rng, how_many)
                .copied()
                .collect();
            let reporter = self.pick_staff();
            rows.reports.push(behaviour_report::ActiveModel {
                id: Set(report_id),
                case_id: Set(case_id),
                reported_by: Set(format!(
                    "seed-{}",
                    reporter.to_lowercase().replace(' ', ".")
                )),
                reporter_name: Set(reporter),
                reporter_role: Set(*[
                    ReporterRole::Officer,
                    ReporterRole::Officer,
                    ReporterRole::Officer,
                    ReporterRole::ServiceManager,
                    ReporterRole::HeadOfService,
                    ReporterRole::ElectedMember,
                ]
                .choose(&mut self.rng)
                .unwrap_or(&ReporterRole::Officer)),
                channel: Set(*ReportChannel::ALL
                    .choose(&mut self.rng)
                    .unwrap_or(&ReportChannel::Telephone)),
                occurred_at: Set(occurred),
                description: Set(names::DESCRIPTIONS
                    .choose(&mut self.rng)
                    .unwrap_or(&"Repeated calls")
                    .to_string()),
                version: Set(1),
                created_at: Set(occurred),
            });
            for behaviour in behaviours {
                rows.report_types.push(behaviour_report_type::ActiveModel {
                    report_id: Set(report_id),
                    behaviour: Set(behaviour),
                    version: Set(1),
                    created_at: Set(occurred),
                });
            }
        }

        // Contacts: two to five in the case's service.
        for _ in 0..self.rng.random_range(2..=5) {
            self.contact(customer_id, service, case_id, opened_on, None, rows);
        }

        // Determination.
        let determined_on = opened_on + Duration::days(self.rng.random_range(3..21));
        let unreasonable = self.rng.random_bool(0.88);
        rows.determinations.push(determination::ActiveModel {
            id: Set(next(&mut self.ids.determination)),
            case_id: Set(case_id),
            report_id: Set(first_report),
            decided_by: Set(self.pick_staff()),
            decider_role: Set(if self.rng.random_bool(0.7) {
                DeciderRole::ServiceManager
            } else {
                DeciderRole::HeadOfService
            }),
            unreasonable: Set(unreasonable),
            reasons: Set(if unreasonable {
                "The contact is unreasonably persistent and takes up a disproportionate amount of officers' time.".into()
            } else {
                "The contact, while frequent, is a reasonable pursuit of an open complaint.".into()
            }),
            decided_at: Set(at(determined_on, 11, 0)),
            version: Set(1),
            created_at: Set(at(determined_on, 11, 0)),
        });
        let mut outcome = Outcome {
            stage: CaseStage::DeterminedUnreasonable,
            closed_on: None,
            closure_reason: None,
            appeal_deadline: None,
            review_due_on: None,
            flagged: false,
        };
        if !unreasonable {
            outcome.stage = CaseStage::Closed;
            outcome.closed_on = Some(determined_on);
            outcome.closure_reason = Some("Behaviour determined not unreasonable");
            self.push_case(case_id, customer_id, service_id, opened_at, outcome, rows);
            return;
        }

        // Stage 1 warning (78%), Stage 2 straight away in exceptional cases (6%), or no further
        // step yet (16%).
        let roll = self.rng.random_range(0..100);
        let mut warning = None;
        let stage_2_on = if roll < 78 {
            let letter_date = determined_on + Duration::days(self.rng.random_range(2..10));
            let deadline = working_days_after(letter_date, 10);
            let warning_id = next(&mut self.ids.warning);
            let appealed = self.rng.random_bool(0.18);
            let upheld = appealed && self.rng.random_bool(0.25);
            rows.warnings.push(stage_1_warning::ActiveModel {
                id: Set(warning_id),
                case_id: Set(case_id),
                determination_id: Set(Some(self.ids.determination)),
                issued_by: Set(self.pick_staff()),
                letter_date: Set(letter_date),
                service_director_consulted: Set(self.pick_staff()),
                consulted_on: Set(letter_date - Duration::days(1)),
                adjustments_considered: Set("Considered whether a disability or unmet need explains the contact; offered a single point of contact.".into()),
                proportionality: Set("A warning is the least restrictive step that may change the behaviour.".into()),
                feedback_officer_copied: Set(true),
                legal_services_notified_at: Set(Some(at(letter_date, 15, 0))),
                appeal_deadline: Set(deadline),
                period_ends_on: Set(letter_date.checked_add_months(chrono::Months::new(12))),
                status: Set(if upheld { WarningStatus::Withdrawn } else { WarningStatus::Active }),
                version: Set(1),
                created_at: Set(at(letter_date, 14, 0)),
            });
            self.letter(
                case_id,
                LetterKind::Stage1Warning,
                "stage_1_warning",
                warning_id,
                letter_date,
                rows,
            );
            warning = Some(warning_id);
            outcome.stage = CaseStage::Stage1Warning;
            outcome.appeal_deadline = Some(deadline);
            if appealed {
                let received = letter_date + Duration::days(self.rng.random_range(1..12));
                let decided = received + Duration::days(self.rng.random_range(10..25));
                let appeal_id = next(&mut self.ids.appeal);
                rows.appeals.push(appeal::ActiveModel {
                    id: Set(appeal_id),
                    case_id: Set(case_id),
                    warning_id: Set(warning_id),
                    received_on: Set(received),
                    grounds: Set("The customer says the calls were about a new repair.".into()),
                    logged_by: Set(self.pick_staff()),
                    accepted_late: Set(false),
                    late_reason: Set(None),
                    group_director_notified_at: Set(Some(at(received, 12, 0))),
                    outcome: Set(if upheld {
                        AppealOutcome::Upheld
                    } else {
                        AppealOutcome::NotUpheld
                    }),
                    decided_by: Set(Some(self.pick_staff())),
                    decided_at: Set(Some(at(decided, 10, 0))),
                    decision_reasons: Set(Some(if upheld {
                        "The contacts raised new issues; the warning is withdrawn.".into()
                    } else {
                        "The warning was proportionate and properly given.".into()
                    })),
                    customer_told_at: Set(Some(at(decided, 16, 0))),
                    version: Set(2),
                    created_at: Set(at(received, 11, 0)),
                });
                self.letter(
                    case_id,
                    LetterKind::AppealOutcome,
                    "appeal",
                    appeal_id,
                    decided,
                    rows,
                );
                if upheld {
                    outcome.stage = CaseStage::Closed;
                    outcome.closed_on = Some(decided);
                    outcome.closure_reason = Some("Appeal upheld; warning withdrawn");
                    self.push_case(case_id, customer_id, service_id, opened_at, outcome, rows);
                    return;
                }
            }
            self.rng
                .random_bool(0.7)
                .then(|| letter_date + Duration::days(self.rng.random_range(30..120)))
        } else if roll < 84 {
            Some(determined_on + Duration::days(self.rng.random_range(1..5)))
        } else {
            None
        };
        let Some(decided_on) = stage_2_on else {
            self.push_case(case_id, customer_id, service_id, opened_at, outcome, rows);
            return;
        };

        // Stage 2: the decision, two to six restrictions, breaches, reviews.
        let immediate = warning.is_none();
        let stage_2_id = next(&mut self.ids.stage_2);
        let first_review = add_months(decided_on, if self.rng.random_bool(0.3) { 6 } else { 12 });
        rows.stage_2.push(stage_2_decision::ActiveModel {
            id: Set(stage_2_id),
            case_id: Set(case_id),
            warning_id: Set(warning),
            immediate: Set(immediate),
            exceptional_reasons: Set(immediate.then(|| {
                "Threats of violence to staff at the counter: waiting for a warning would put staff at risk.".to_string()
            })),
            decided_by: Set(self.pick_staff()),
            decided_on: Set(decided_on),
            consulted_role: Set(if self.rng.random_bool(0.6) {
                ConsultedRole::LegalServices
            } else {
                ConsultedRole::MonitoringOfficer
            }),
            consulted_name: Set(self.pick_staff()),
            adjustments_considered: Set("Written contact offered in large print; a named officer as single point of contact.".into()),
            proportionality: Set("The restrictions are the least needed to protect staff time while keeping access to services.".into()),
            reasons: Set("The behaviour continued after the warning.".into()),
            review_due_on: Set(first_review),
            service_team_notified_at: Set(Some(at(decided_on, 16, 0))),
            version: Set(1),
            created_at: Set(at(decided_on, 15, 0)),
        });
        self.letter(
            case_id,
            LetterKind::Stage2Decision,
            "stage_2_decision",
            stage_2_id,
            decided_on,
            rows,
        );
        outcome.stage = CaseStage::Stage2Restricted;
        outcome.appeal_deadline = None;

        let how_many = self.rng.random_range(2..=6);
        let kinds = [0, 1, 2, 3, 4, 5, 6]
            .choose_multiple(&mut self.rng, how_many)
            .copied()
            .collect::<Vec<_>>();
        let mut restrictions = Vec::new();
        for kind in kinds {
            let id = next(&mut self.ids.restriction);
            let parameters = self.parameters(kind, service);
            let temporary = kind == 0 && self.rng.random_bool(0.5);
            restrictions.push((id, parameters, temporary));
        }

        // Reviews while the review date has passed: continue, partially or fully remove.
        let mut due = first_review;
        let mut lifted_on: Option<(NaiveDate, Vec<i64>)> = None;
        let mut partially = Vec::new();
        // At most two reviews held; a third that has come due is left overdue (as some are).
        let mut held_reviews = 0;
        while due < as_of && lifted_on.is_none() && held_reviews < 2 {
            held_reviews += 1;
            let held = due - Duration::days(self.rng.random_range(0..21));
            let roll = self.rng.random_range(0..100);
            let recommendation = match roll {
                0..=54 => ReviewRecommendation::Continue,
                55..=74 => ReviewRecommendation::PartiallyRemove,
                _ => ReviewRecommendation::FullyRemove,
            };
            let still: Vec<i64> = restrictions
                .iter()
                .map(|(id, _, _)| *id)
                .filter(|id| !partially.contains(id))
                .collect();
            let removing: Vec<i64> = match recommendation {
                ReviewRecommendation::Continue => Vec::new(),
                ReviewRecommendation::PartiallyRemove => still.iter().take(1).copied().collect(),
                ReviewRecommendation::FullyRemove => still.clone(),
            };
            let review_id = next(&mut self.ids.review);
            rows.reviews.push(review::ActiveModel {
                id: Set(review_id),
                case_id: Set(case_id),
                due_on: Set(due),
                conducted_by: Set(Some(self.pick_staff())),
                recommendation: Set(Some(recommendation)),
                recommendation_reasons: Set(Some("Contact over the period reviewed.".into())),
                recommended_on: Set(Some(held)),
                endorsed: Set(Some(true)),
                endorsed_by: Set(Some(self.pick_staff())),
                endorsed_on: Set(Some(held + Duration::days(2))),
                endorsement_reasons: Set(Some("Agreed.".into())),
                customer_told_at: Set(Some(at(held + Duration::days(3), 10, 0))),
                remove_restriction_ids: Set((!removing.is_empty()).then(|| {
                    removing
                        .iter()
                        .map(|id| id.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                })),
                version: Set(3),
                created_at: Set(at(held, 9, 0)),
            });
            self.letter(
                case_id,
                LetterKind::ReviewOutcome,
                "review",
                review_id,
                held + Duration::days(2),
                rows,
            );
            match recommendation {
                ReviewRecommendation::FullyRemove => {
                    lifted_on = Some((held + Duration::days(2), removing));
                }
                ReviewRecommendation::PartiallyRemove => {
                    partially.extend(removing);
                    due = add_months(due, 12);
                }
                ReviewRecommendation::Continue => due = add_months(due, 12),
            }
        }
        for (id, parameters, temporary) in restrictions {
            let ends_on = temporary.then(|| add_months(decided_on, 3));
            let lifted = match &lifted_on {
                Some((on, ids)) if ids.contains(&id) => Some(*on),
                _ if partially.contains(&id) => Some(add_months(decided_on, 12)),
                _ => None,
            };
            let status = if lifted.is_some() {
                RestrictionStatus::Lifted
            } else if ends_on.is_some_and(|end| end < as_of) {
                RestrictionStatus::Expired
            } else {
                RestrictionStatus::Active
            };
            let permanent = status == RestrictionStatus::Active && self.rng.random_bool(0.03);
            // Breaches of about one restriction in sixteen, during its life.
            if self.rng.random_range(0..16) == 0 {
                let on = decided_on + Duration::days(self.rng.random_range(5..60));
                let contact_id = self.contact(
                    customer_id,
                    service,
                    case_id,
                    on,
                    Some(ContactOutcome::Referred),
                    rows,
                );
                let exclusion =
                    matches!(parameters, RestrictionParameters::EstablishmentExclusion(_));
                let pending = on > as_of - Duration::days(30);
                outcome.flagged |= exclusion && pending;
                rows.breaches.push(breach::ActiveModel {
                    id: Set(next(&mut self.ids.breach)),
                    case_id: Set(case_id),
                    restriction_id: Set(Some(id)),
                    exclusion_id: Set(None),
                    contact_id: Set(Some(contact_id)),
                    occurred_at: Set(at(on, 14, 30)),
                    description: Set("Contact outside the terms of the restriction.".into()),
                    recorded_by: Set(self.pick_staff()),
                    flagged_for_review: Set(exclusion),
                    outcome: Set(if pending {
                        BreachOutcome::Pending
                    } else {
                        *[
                            BreachOutcome::NoAction,
                            BreachOutcome::NoAction,
                            BreachOutcome::Extended,
                            BreachOutcome::MadePermanent,
                        ]
                        .choose(&mut self.rng)
                        .unwrap_or(&BreachOutcome::NoAction)
                    }),
                    version: Set(1),
                    created_at: Set(at(on, 15, 0)),
                });
            }
            rows.restrictions.push(restriction::ActiveModel {
                id: Set(id),
                case_id: Set(case_id),
                service_id: Set(service_id),
                decision_id: Set(Some(stage_2_id)),
                kind: Set(parameters.kind()),
                parameters: Set(parameters),
                starts_on: Set(decided_on),
                ends_on: Set(ends_on),
                review_due_on: Set(due.min(add_months(decided_on, 12 * 6))),
                status: Set(status),
                permanent: Set(permanent),
                lifted_on: Set(lifted),
                lifted_reason: Set(lifted.map(|_| "Removed on review".to_string())),
                version: Set(1),
                created_at: Set(at(decided_on, 15, 0)),
            });
        }
        if let Some((on, _)) = lifted_on {
            outcome.stage = CaseStage::Closed;
            outcome.closed_on = Some(on);
            outcome.closure_reason = Some("All restrictions removed on review");
        } else {
            outcome.review_due_on = Some(due);
        }
        self.push_case(case_id, customer_id, service_id, opened_at, outcome, rows);
    }

    fn push_case(
        &mut self,
        case_id: i64,
        customer_id: i64,
        service_id: i64,
        opened_at: DateTime<Utc>,
        outcome: Outcome,
        rows: &mut Rows,
    ) {
        let year = reporting_year(opened_at.date_naive());
        rows.cases.push(upc_case::ActiveModel {
            id: Set(case_id),
            reference: Set(format!("UPC-{year}-{case_id:06}")),
            customer_id: Set(customer_id),
            service_id: Set(service_id),
            stage: Set(outcome.stage),
            status: Set(if outcome.closed_on.is_some() {
                CaseStatus::Closed
            } else {
                CaseStatus::Open
            }),
            opened_at: Set(opened_at),
            closed_at: Set(outcome.closed_on.map(|d| at(d, 17, 0))),
            closure_reason: Set(outcome.closure_reason.map(str::to_string)),
            appeal_deadline: Set(outcome.appeal_deadline),
            review_due_on: Set(outcome.review_due_on),
            flagged_for_review: Set(outcome.flagged),
            flag_reason: Set(outcome
                .flagged
                .then(|| "An exclusion was breached (5.6)".to_string())),
            version: Set(1),
            created_at: Set(opened_at),
        });
    }

    /// A contact in the case's service on or after `from`; its id.
    fn contact(
        &mut self,
        customer_id: i64,
        service: usize,
        case_id: i64,
        from: NaiveDate,
        outcome: Option<ContactOutcome>,
        rows: &mut Rows,
    ) -> i64 {
        let id = next(&mut self.ids.contact);
        let on = from + Duration::days(self.rng.random_range(0..90));
        let channel = *ContactChannel::ALL
            .choose(&mut self.rng)
            .unwrap_or(&ContactChannel::Telephone);
        let outcome = outcome.unwrap_or_else(|| match self.rng.random_range(0..10) {
            0..=5 => ContactOutcome::Replied,
            6..=7 => ContactOutcome::PlacedOnFile,
            8 => ContactOutcome::NoActionNeeded,
            _ => ContactOutcome::Referred,
        });
        let filed = outcome == ContactOutcome::PlacedOnFile;
        let reviewed = filed && on < date(AS_OF) - Duration::days(14);
        rows.contacts.push(contact::ActiveModel {
            id: Set(id),
            customer_id: Set(customer_id),
            service_id: Set(self.services[service].0),
            case_id: Set(Some(case_id)),
            channel: Set(channel),
            direction: Set(ContactDirection::Inbound),
            occurred_at: Set(at(
                on,
                self.rng.random_range(8..18),
                self.rng.random_range(0..60),
            )),
            officer_staff_id: Set(None),
            establishment_id: Set(
                (channel == ContactChannel::InPerson).then(|| self.establishments[service][0])
            ),
            recorded_by: Set(self.pick_staff()),
            summary: Set(names::SUMMARIES
                .choose(&mut self.rng)
                .unwrap_or(&"Asked about the complaint")
                .to_string()),
            outcome: Set(outcome),
            raises_new_issue: Set(filed.then_some(false)),
            filed_reviewed_at: Set(reviewed.then(|| at(on + Duration::days(7), 10, 0))),
            filed_reviewed_by: Set(reviewed.then(|| self.pick_staff())),
            safeguarding_concern: Set(false),
            version: Set(1),
            created_at: Set(at(on, 18, 0)),
        });
        id
    }

    fn letter(
        &mut self,
        case_id: i64,
        kind: LetterKind,
        regarding: &str,
        regarding_id: i64,
        on: NaiveDate,
        rows: &mut Rows,
    ) {
        let id = next(&mut self.ids.letter);
        let (subject, body) = names::letter_text(kind);
        rows.letters.push(letter::ActiveModel {
            id: Set(id),
            case_id: Set(case_id),
            kind: Set(kind),
            language: Set(Language::En),
            template_id: Set(None),
            subject: Set(subject.to_string()),
            body_text: Set(body.to_string()),
            body_html: Set(format!("<p>{body}</p>")),
            issued_at: Set(at(on, 14, 0)),
            issued_by: Set(self.pick_staff()),
            sent_at: Set(Some(at(on, 16, 0))),
            sent_by: Set(Some("seed-post-room".into())),
            regarding_type: Set(Some(regarding.to_string())),
            regarding_id: Set(Some(regarding_id)),
            version: Set(2),
            created_at: Set(at(on, 14, 0)),
        });
    }

    fn parameters(&mut self, kind: u8, service: usize) -> RestrictionParameters {
        let clock = |h| ClockTime::new(h, 0).unwrap_or_else(|| unreachable!("{h}:00 is a time"));
        match kind {
            0 => RestrictionParameters::TimeLimits(TimeLimits {
                max_contacts: self.rng.random_range(1..=5),
                per_days: *[7, 14, 28].choose(&mut self.rng).unwrap_or(&7),
                max_minutes_per_contact: self.rng.random_bool(0.5).then_some(15),
            }),
            1 => RestrictionParameters::NamedContact(NamedContact {
                officer_name: Some(format!("{} (named officer)", self.pick_staff())),
                ..Default::default()
            }),
            2 => {
                let days = Weekday::ALL
                    .choose_multiple(&mut self.rng, 2)
                    .copied()
                    .collect();
                let from = self.rng.random_range(9..14);
                RestrictionParameters::TelephoneTimes(TelephoneTimes {
                    days,
                    from: clock(from),
                    to: clock(from + 2),
                })
            }
            3 => RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                establishment_ids: vec![self.establishments[service][0]],
            }),
            4 => RestrictionParameters::ContactForm(ContactForm {
                permitted_channels: vec![ContactChannel::Letter, ContactChannel::Email],
            }),
            5 => RestrictionParameters::ContactAgreement(ContactAgreement {
                terms: "One email a week to the named officer; urgent repairs by telephone.".into(),
                signed_on: None,
            }),
            _ => RestrictionParameters::Termination(Termination {
                permanent_exclusion_from_premises: false,
            }),
        }
    }
}

/// `day` plus `n` working days (weekends skipped; bank holidays are ignored in synthetic data).
fn working_days_after(day: NaiveDate, n: u32) -> NaiveDate {
    let mut d = day;
    let mut left = n;
    while left > 0 {
        d += Duration::days(1);
        if d.weekday().number_from_monday() <= 5 {
            left -= 1;
        }
    }
    d
}

fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(chrono::Months::new(months))
        .unwrap_or(day)
}

/// The reporting year (April to March) a day falls in, by its first calendar year.
fn reporting_year(day: NaiveDate) -> i32 {
    if day.month() >= 4 {
        day.year()
    } else {
        day.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bounds() {
        assert!(Scale::new(0.0).is_err());
        assert!(Scale::new(f64::NAN).is_err());
        assert!(Scale::new(101.0).is_err());
        assert_eq!(Scale::DEFAULT.customers(), 20_000);
        assert_eq!(Scale::DEFAULT.services(), 25);
        assert_eq!(Scale::new(0.01).map(Scale::customers).ok(), Some(200));
    }

    #[test]
    fn working_days_skip_weekends() {
        // Friday 2 October 2026 + 10 working days = Friday 16 October.
        assert_eq!(
            working_days_after(date((2026, 10, 2)), 10),
            date((2026, 10, 16))
        );
    }

    #[test]
    fn reporting_years_start_in_april() {
        assert_eq!(reporting_year(date((2026, 3, 31))), 2025);
        assert_eq!(reporting_year(date((2026, 4, 1))), 2026);
    }
}
