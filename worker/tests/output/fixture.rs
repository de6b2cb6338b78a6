//! Annual reports built by hand for the output tests: every table filled with varied counts
//! (zeros, ones to fours that the public edition withholds, hundreds), text that needs escaping
//! in HTML and in CSV, and cases with every kind of check.

use api::reports::model::{
    AnnualReport, CaseRow, Check, Edition, FORMAT_VERSION, Figure, METRICS, MonthRow,
    POLICY_CHECKS, PolicyCheckRow, RESTRICTION_METRICS, RestrictionTypeRow, STAGES,
    SUPPRESS_AT_OR_BELOW, ServiceRef, ServiceRestrictionRow, ServiceRow, StageRow, SummaryRow,
    stage_of,
};
use chrono::{Datelike, Months, NaiveDate, TimeZone, Utc};
use entities::enums::RestrictionKind;

/// Text that must never reach the HTML as markup.
pub const SCRIPT: &str = "<script>alert(\"x\")</script>";

/// Free text in the internal edition's notes: markup, a comma, quotes and a line break, which
/// the CSV must quote and the HTML must escape.
pub const NOTE: &str = "Threats to staff, \"serious\" & repeated\n<script>alert(\"x\")</script>";

const SERVICE_NAMES: &[&str] = &[
    "Adult Social Care",
    "Bereavement Services",
    "Children's Services",
    "Council Tax & Benefits <Revenues>",
    "Customer Services",
    "Education and Inclusion",
    "Environmental Health and Trading Standards",
    "Highways",
    "Housing Advice",
    "Leisure Centres",
    "Libraries",
    "Licensing",
    "Parking Services",
    "Parks and Countryside",
    "Planning",
    "Public Health and Protection",
    "Regeneration",
    "Registration Services",
    "Schools Admissions",
    "Street Care",
    "Transport",
    "Waste and Recycling",
    "Welfare Rights",
    "Youth Engagement",
    "Building Control",
];

/// A small deterministic random number generator (so the fixture is the same every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A count: a quarter zeros, a quarter 1 to 4, the rest up to `max`.
    fn count(&mut self, max: u64) -> i64 {
        match self.next() % 4 {
            0 => 0,
            1 => (1 + self.next() % 4) as i64,
            _ => (5 + self.next() % max.max(1)) as i64,
        }
    }
}

/// `[previous, this]` as the edition shows them.
fn figure(counts: (i64, i64), edition: Edition) -> Figure {
    let hide = |n: i64| edition == Edition::Public && (1..=SUPPRESS_AT_OR_BELOW).contains(&n);
    Figure {
        count: (!hide(counts.1)).then_some(counts.1),
        previous_count: (!hide(counts.0)).then_some(counts.0),
        count_suppressed: hide(counts.1),
        previous_count_suppressed: hide(counts.0),
    }
}

fn check(rng: &mut Lcg) -> Check {
    match rng.next() % 6 {
        0 => Check::NotMet,
        1 | 2 => Check::NotApplicable,
        _ => Check::Met,
    }
}

/// A report for 2024-25 with `services` services and `cases` cases.
pub fn report(services: usize, cases: usize, edition: Edition) -> AnnualReport {
    let mut rng = Lcg(20_240_401);
    let label = "2024-25".to_string();
    let services: Vec<ServiceRef> = (0..services)
        .map(|i| {
            let name = SERVICE_NAMES[i % SERVICE_NAMES.len()];
            ServiceRef {
                id: i as i64 + 1,
                code: format!("S{:02}", i + 1),
                name: if i < SERVICE_NAMES.len() {
                    name.to_string()
                } else {
                    format!("{name} {}", i / SERVICE_NAMES.len() + 1)
                },
            }
        })
        .collect();

    // Counts per service and metric, summed for the summary so the tables agree.
    let mut totals = vec![(0i64, 0i64); METRICS.len()];
    let mut by_service = Vec::new();
    for service in &services {
        for (m, (metric, _)) in METRICS.iter().enumerate() {
            let counts = (rng.count(40), rng.count(40));
            totals[m].0 += counts.0;
            totals[m].1 += counts.1;
            by_service.push(ServiceRow {
                reporting_year: label.clone(),
                service_code: service.code.clone(),
                service_name: service.name.clone(),
                metric: (*metric).to_string(),
                figure: figure(counts, edition),
            });
        }
    }
    // Small totals, so the public summary withholds this year's count of one metric and the
    // previous year's of another.
    for (metric, counts) in [("police_referrals", (6, 3)), ("appeals_upheld", (2, 9))] {
        if let Some(m) = METRICS.iter().position(|(name, _)| *name == metric) {
            totals[m] = counts;
        }
    }
    let summary: Vec<SummaryRow> = METRICS
        .iter()
        .zip(&totals)
        .map(|((metric, _), counts)| SummaryRow {
            reporting_year: label.clone(),
            metric: (*metric).to_string(),
            figure: figure(*counts, edition),
        })
        .collect();

    let mut by_stage: Vec<StageRow> = METRICS
        .iter()
        .zip(&totals)
        .map(|((metric, _), counts)| StageRow {
            reporting_year: label.clone(),
            stage: stage_of(metric).to_string(),
            metric: (*metric).to_string(),
            figure: figure(*counts, edition),
        })
        .collect();
    debug_assert!(
        STAGES
            .iter()
            .all(|(s, _)| by_stage.iter().any(|r| r.stage == *s))
    );
    for stage in [
        "reported",
        "determined_unreasonable",
        "stage_1_warning",
        "stage_2_restricted",
        "closed",
    ] {
        by_stage.push(StageRow {
            reporting_year: label.clone(),
            stage: stage.to_string(),
            metric: "cases_at_year_end".to_string(),
            figure: figure((rng.count(300), rng.count(300)), edition),
        });
    }

    let mut by_restriction_type = Vec::new();
    for kind in RestrictionKind::ALL {
        for metric in RESTRICTION_METRICS {
            by_restriction_type.push(RestrictionTypeRow {
                reporting_year: label.clone(),
                restriction_type: kind.as_str().to_string(),
                metric: (*metric).to_string(),
                figure: figure((rng.count(120), rng.count(120)), edition),
            });
        }
    }

    let mut service_by_restriction_type = Vec::new();
    for service in &services {
        for kind in RestrictionKind::ALL {
            service_by_restriction_type.push(ServiceRestrictionRow {
                reporting_year: label.clone(),
                service_code: service.code.clone(),
                service_name: service.name.clone(),
                restriction_type: kind.as_str().to_string(),
                metric: "restrictions_imposed".to_string(),
                figure: figure((rng.count(15), rng.count(15)), edition),
            });
        }
    }

    let start = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default();
    let mut monthly = Vec::new();
    for month in 0..12 {
        let day = start
            .checked_add_months(Months::new(month))
            .unwrap_or_default();
        for (metric, _) in METRICS {
            monthly.push(MonthRow {
                reporting_year: label.clone(),
                month: format!("{}-{:02}", day.year(), day.month()),
                metric: (*metric).to_string(),
                figure: figure((rng.count(60), rng.count(60)), edition),
            });
        }
    }

    let stages = [
        "reported",
        "determined_unreasonable",
        "stage_1_warning",
        "stage_2_restricted",
        "closed",
    ];
    let case_rows: Vec<CaseRow> = (0..cases)
        .map(|i| {
            let service = &services[i % services.len().max(1)];
            let opened_on = start
                .checked_add_days(chrono::Days::new(rng.next() % 365))
                .unwrap_or(start);
            let closed = i % 5 == 4;
            let checks = [
                check(&mut rng),
                check(&mut rng),
                check(&mut rng),
                check(&mut rng),
                check(&mut rng),
                check(&mut rng),
            ];
            let kinds: Vec<&str> = RestrictionKind::ALL
                .iter()
                .filter(|_| rng.next().is_multiple_of(4))
                .map(|k| k.as_str())
                .collect();
            CaseRow {
                reporting_year: label.clone(),
                case_reference: format!("UPC-2024-{:04}", i + 1),
                service_code: service.code.clone(),
                stage_at_year_end: stages[i % stages.len()].to_string(),
                opened_on,
                closed_on: closed.then(|| {
                    opened_on
                        .checked_add_days(chrono::Days::new(30))
                        .unwrap_or(opened_on)
                }),
                restriction_types: kinds.join(";"),
                warning_before_stage_2: checks[0],
                appeal_rights_given: checks[1],
                appeal_decided: checks[2],
                customer_told: checks[3],
                review_within_period: checks[4],
                adjustments_considered: checks[5],
                policy_followed: !checks.contains(&Check::NotMet),
                notes: (edition == Edition::Internal && i % 7 == 3).then(|| {
                    if i == 3 {
                        NOTE.to_string()
                    } else {
                        format!("Immediate Stage 2: assault on an officer at reception (case {i}).")
                    }
                }),
            }
        })
        .collect();

    // The checks of 8.2 counted over the cases; the public edition withholds 1 to 4 and has
    // no per-case rows.
    let withheld = |n: usize| edition == Edition::Public && (1..=4).contains(&n);
    let check_row = |check: &str, outcome: &str, n: usize| PolicyCheckRow {
        reporting_year: label.clone(),
        check: check.to_string(),
        outcome: outcome.to_string(),
        count: (!withheld(n)).then_some(n as i64),
        count_suppressed: withheld(n),
    };
    let mut policy_checks = Vec::new();
    for (i, check) in POLICY_CHECKS.iter().enumerate() {
        for (outcome, value) in [
            ("met", Check::Met),
            ("not_met", Check::NotMet),
            ("not_applicable", Check::NotApplicable),
        ] {
            let n = case_rows
                .iter()
                .filter(|c| {
                    [
                        c.warning_before_stage_2,
                        c.appeal_rights_given,
                        c.appeal_decided,
                        c.customer_told,
                        c.review_within_period,
                        c.adjustments_considered,
                    ][i] == value
                })
                .count();
            policy_checks.push(check_row(check, outcome, n));
        }
    }
    let followed = case_rows.iter().filter(|c| c.policy_followed).count();
    policy_checks.push(check_row("policy_followed", "met", followed));
    policy_checks.push(check_row(
        "policy_followed",
        "not_met",
        case_rows.len() - followed,
    ));
    policy_checks.push(check_row("cases", "in_year", case_rows.len()));
    let case_rows = if edition == Edition::Public {
        Vec::new()
    } else {
        case_rows
    };

    AnnualReport {
        format_version: FORMAT_VERSION,
        edition,
        reporting_year: 2024,
        reporting_year_label: label,
        previous_year_label: "2023-24".to_string(),
        period_start: start,
        period_end: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default(),
        services_subset: false,
        services,
        generated_at: Utc
            .with_ymd_and_hms(2025, 5, 6, 23, 30, 0)
            .single()
            .unwrap_or_default(),
        narrative: vec![
            "In 2024-25 the council received 412 reports of unreasonably persistent behaviour, up from 380 in 2023-24.".to_string(),
            format!("One report quoted a customer as writing {SCRIPT} in an email."),
            "The council issued 57 Stage 1 warnings, down from 61 in 2023-24.".to_string(),
            if edition == Edition::Public {
                "There were a withheld number of police referrals, compared with 6 in 2023-24.".to_string()
            } else {
                "There were 3 police referrals, down from 6 in 2023-24.".to_string()
            },
        ],
        summary,
        by_service,
        by_stage,
        by_restriction_type,
        service_by_restriction_type,
        monthly,
        policy_checks,
        cases: case_rows,
    }
}

/// The same report with no rows in any table.
pub fn empty(edition: Edition) -> AnnualReport {
    AnnualReport {
        services: Vec::new(),
        narrative: Vec::new(),
        summary: Vec::new(),
        by_service: Vec::new(),
        by_stage: Vec::new(),
        by_restriction_type: Vec::new(),
        service_by_restriction_type: Vec::new(),
        monthly: Vec::new(),
        policy_checks: Vec::new(),
        cases: Vec::new(),
        ..report(1, 0, edition)
    }
}
