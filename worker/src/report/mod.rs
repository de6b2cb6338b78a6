//! Building the annual report (policy section 8) from the case record, aggregated with polars.
//!
//! [`build`] reads each table once (narrow columns, see [`facts`]), turns every counted record
//! into one row of a long `events` frame and aggregates it with `group_by` ([`aggregate`]),
//! works out each case's stage and policy checks per case ([`checks`]), then lays the counts
//! out as the model's tidy tables with every cell present, suppressing small numbers in the
//! public edition ([`suppress`]) and writing the plain-English summary ([`narrative`]).
//!
//! On PostgreSQL the tables are read in one `REPEATABLE READ` read-only transaction, so the
//! figures agree with each other; on SQLite (one connection, shared with the API when the worker
//! runs in-process) each table is read on its own, leaving the connection free in between.

mod aggregate;
mod checks;
mod facts;
mod narrative;
mod suppress;

use std::collections::HashMap;

use anyhow::Context;
use api::reports::model::{
    AnnualReport, CaseRow, Edition, FORMAT_VERSION, METRICS, MonthRow, POLICY_CHECKS,
    PolicyCheckRow, RESTRICTION_METRICS, RestrictionTypeRow, STAGES, ServiceRef,
    ServiceRestrictionRow, ServiceRow, StageRow, SummaryRow, stage_of,
};
use chrono::{Datelike, Months, NaiveDate, Utc};
use entities::enums::RestrictionKind;
use polars::prelude::*;
use sea_orm::{AccessMode, DatabaseConnection, DbBackend, IsolationLevel, TransactionTrait};

use self::aggregate::metric_index;
use self::suppress::figure;

/// What to report on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRequest {
    /// The year the reporting year starts in (2024 for April 2024 – March 2025).
    pub reporting_year: i32,
    /// First month of the reporting year (1–12; the council's is 4).
    pub year_start_month: u32,
    /// Ids of the services to include; `None` for all.
    pub services: Option<Vec<i64>>,
    /// Public or internal edition.
    pub edition: Edition,
}

/// The reporting year's bounds, as local dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    /// The year it starts in.
    pub year: i32,
    /// The month it starts in (1–12).
    pub start_month: u32,
    /// First day of the previous year.
    pub previous_start: NaiveDate,
    /// First day (inclusive).
    pub start: NaiveDate,
    /// First day of the next year (exclusive).
    pub end: NaiveDate,
}

impl Period {
    fn new(year: i32, start_month: u32) -> anyhow::Result<Period> {
        anyhow::ensure!(
            (1..=12).contains(&start_month),
            "the reporting year's first month must be from 1 to 12, not {start_month}"
        );
        let start = NaiveDate::from_ymd_opt(year, start_month, 1)
            .with_context(|| format!("{year} is not a reporting year this system can show"))?;
        let end = start
            .checked_add_months(Months::new(12))
            .context("the reporting year ends out of range")?;
        let previous_start = start
            .checked_sub_months(Months::new(12))
            .context("the previous year starts out of range")?;
        Ok(Period {
            year,
            start_month,
            previous_start,
            start,
            end,
        })
    }

    /// `2024-25`, or `2024` when the year starts in January.
    fn label_of(year: i32, start_month: u32) -> String {
        if start_month == 1 {
            year.to_string()
        } else {
            format!("{year}-{:02}", (year + 1).rem_euclid(100))
        }
    }

    fn label(&self) -> String {
        Self::label_of(self.year, self.start_month)
    }

    fn previous_label(&self) -> String {
        Self::label_of(self.year - 1, self.start_month)
    }

    /// `YYYY-MM` of the year's `n`th month (0-based).
    fn month(&self, n: u32) -> String {
        let first = self
            .start
            .checked_add_months(Months::new(n))
            .unwrap_or(self.start);
        format!("{:04}-{:02}", first.year(), first.month())
    }
}

/// Build the report. `progress` is told the percentage done (0–100) as work proceeds.
pub async fn build(
    db: &DatabaseConnection,
    request: &ReportRequest,
    progress: &(dyn Fn(u8) + Sync),
) -> anyhow::Result<AnnualReport> {
    let period = Period::new(request.reporting_year, request.year_start_month)?;
    progress(0);
    let facts = if db.get_database_backend() == DbBackend::Postgres {
        let txn = db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
            .context("starting the report's read transaction")?;
        let facts = facts::load(&txn, progress, 2, 70).await?;
        txn.commit().await.context("ending the read transaction")?;
        facts
    } else {
        facts::load(db, progress, 2, 70).await?
    };
    let generated_at = Utc::now();
    // polars works synchronously: keep it off the async runtime's threads, passing its
    // progress back through a channel (closed when the work ends).
    let request = request.clone();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<u8>();
    let work = tokio::task::spawn_blocking(move || {
        let tell = move |percent: u8| {
            // The receiver lives until the work ends; a failed send only loses a progress tick.
            let _ = sender.send(percent);
        };
        assemble(&facts, &request, &period, tell, generated_at)
    });
    while let Some(percent) = receiver.recv().await {
        progress(percent);
    }
    let report = work.await.context("the report's aggregation stopped")??;
    progress(100);
    Ok(report)
}

/// The included services (all, or the request's subset), ordered by code.
fn services_of(facts: &facts::Facts, request: &ReportRequest) -> anyhow::Result<Vec<ServiceRef>> {
    match &request.services {
        None => Ok(facts.services.clone()),
        Some(ids) => {
            if let Some(unknown) = ids
                .iter()
                .find(|id| !facts.services.iter().any(|s| s.id == **id))
            {
                anyhow::bail!("there is no service with id {unknown}");
            }
            Ok(facts
                .services
                .iter()
                .filter(|s| ids.contains(&s.id))
                .cloned()
                .collect())
        }
    }
}

fn assemble(
    facts: &facts::Facts,
    request: &ReportRequest,
    period: &Period,
    progress: impl Fn(u8),
    generated_at: chrono::DateTime<Utc>,
) -> anyhow::Result<AnnualReport> {
    let edition = request.edition;
    let label = period.label();
    let previous_label = period.previous_label();
    let services = services_of(facts, request)?;

    let service_ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let included_services =
        DataFrame::new(vec![Column::new("service_id".into(), service_ids)])?.lazy();
    let included_cases = facts.cases.clone().lazy().inner_join(
        included_services.clone(),
        col("service_id"),
        col("service_id"),
    );

    let events = aggregate::events(facts, &included_cases, &included_services)?;
    let counts = aggregate::aggregate(events, period)?;
    progress(80);

    let steps = checks::with_first_steps(facts, included_cases)
        .collect()?
        .lazy();
    let at_year_end = checks::cases_at_year_end(&steps, period.end, period.start)?;

    // The cases of the year: a counted event in it, or opened in it.
    let opened = steps
        .clone()
        .filter(
            col("opened")
                .gt_eq(aggregate::day(period.start))
                .and(col("opened").lt(aggregate::day(period.end))),
        )
        .select([col("case_id")])
        .collect()?;
    let mut selected: Vec<i64> = opened
        .column("case_id")?
        .i64()?
        .into_iter()
        .flatten()
        .collect();
    selected.extend(&counts.active_cases);
    selected.sort_unstable();
    selected.dedup();
    let records = checks::case_records(facts, &steps, &selected, period.end)?;
    progress(90);

    let zero = [0, 0];
    let get = |table: &aggregate::Counts, key: &[i64]| *table.get(key).unwrap_or(&zero);

    let summary: Vec<SummaryRow> = METRICS
        .iter()
        .map(|(metric, _)| SummaryRow {
            reporting_year: label.clone(),
            metric: (*metric).to_string(),
            figure: figure(
                get(&counts.summary, &[i64::from(metric_index(metric))]),
                Edition::Internal,
            ),
        })
        .collect();

    let mut by_service = Vec::new();
    for service in &services {
        for (metric, _) in METRICS {
            by_service.push(ServiceRow {
                reporting_year: label.clone(),
                service_code: service.code.clone(),
                service_name: service.name.clone(),
                metric: (*metric).to_string(),
                figure: figure(
                    get(
                        &counts.by_service,
                        &[service.id, i64::from(metric_index(metric))],
                    ),
                    Edition::Internal,
                ),
            });
        }
    }

    let mut by_stage = Vec::new();
    for (stage, _) in STAGES {
        for (metric, _) in METRICS.iter().filter(|(m, _)| stage_of(m) == *stage) {
            by_stage.push(StageRow {
                reporting_year: label.clone(),
                stage: (*stage).to_string(),
                metric: (*metric).to_string(),
                figure: figure(
                    get(&counts.summary, &[i64::from(metric_index(metric))]),
                    Edition::Internal,
                ),
            });
        }
    }
    for stage in checks::YEAR_END_STAGES {
        by_stage.push(StageRow {
            reporting_year: label.clone(),
            stage: (*stage).to_string(),
            metric: "cases_at_year_end".to_string(),
            figure: figure(*at_year_end.get(*stage).unwrap_or(&zero), Edition::Internal),
        });
    }

    let mut by_restriction_type = Vec::new();
    for (k, kind) in RestrictionKind::ALL.iter().enumerate() {
        for metric in RESTRICTION_METRICS {
            by_restriction_type.push(RestrictionTypeRow {
                reporting_year: label.clone(),
                restriction_type: kind.as_str().to_string(),
                metric: (*metric).to_string(),
                figure: figure(
                    get(
                        &counts.by_kind,
                        &[k as i64, i64::from(metric_index(metric))],
                    ),
                    Edition::Internal,
                ),
            });
        }
    }

    let mut service_by_restriction_type = Vec::new();
    for service in &services {
        for (k, kind) in RestrictionKind::ALL.iter().enumerate() {
            service_by_restriction_type.push(ServiceRestrictionRow {
                reporting_year: label.clone(),
                service_code: service.code.clone(),
                service_name: service.name.clone(),
                restriction_type: kind.as_str().to_string(),
                metric: "restrictions_imposed".to_string(),
                figure: figure(
                    get(&counts.service_kind, &[service.id, k as i64]),
                    Edition::Internal,
                ),
            });
        }
    }

    let mut monthly = Vec::new();
    for month in 0..12u32 {
        let name = period.month(month);
        for (metric, _) in METRICS {
            monthly.push(MonthRow {
                reporting_year: label.clone(),
                month: name.clone(),
                metric: (*metric).to_string(),
                figure: figure(
                    get(
                        &counts.monthly,
                        &[i64::from(metric_index(metric)), i64::from(month)],
                    ),
                    Edition::Internal,
                ),
            });
        }
    }

    let codes: HashMap<i64, &str> = services.iter().map(|s| (s.id, s.code.as_str())).collect();
    let mut cases: Vec<CaseRow> = records
        .into_iter()
        .map(|r| {
            let checks = [
                r.warning_before_stage_2,
                r.appeal_rights_given,
                r.appeal_decided,
                r.customer_told,
                r.review_within_period,
                r.adjustments_considered,
            ];
            CaseRow {
                reporting_year: label.clone(),
                case_reference: r.reference,
                service_code: codes
                    .get(&r.service_id)
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                stage_at_year_end: r.stage_at_year_end,
                opened_on: r.opened_on,
                closed_on: r.closed_on,
                restriction_types: r.restriction_types,
                warning_before_stage_2: r.warning_before_stage_2,
                appeal_rights_given: r.appeal_rights_given,
                appeal_decided: r.appeal_decided,
                customer_told: r.customer_told,
                review_within_period: r.review_within_period,
                adjustments_considered: r.adjustments_considered,
                policy_followed: !checks.contains(&api::reports::model::Check::NotMet),
                notes: match edition {
                    Edition::Internal => r.notes,
                    Edition::Public => None,
                },
            }
        })
        .collect();

    let mut policy_checks = policy_checks(&cases, &label);
    let (mut summary, mut by_service, mut by_stage) = (summary, by_service, by_stage);
    let (mut by_restriction_type, mut service_by_restriction_type, mut monthly) =
        (by_restriction_type, service_by_restriction_type, monthly);
    if edition == Edition::Public {
        // Small counts withheld, and whatever would give them away; no per-case rows, which
        // would let anyone count them back.
        suppress::withhold(suppress::Tables {
            summary: &mut summary,
            by_service: &mut by_service,
            by_stage: &mut by_stage,
            by_restriction_type: &mut by_restriction_type,
            service_by_restriction_type: &mut service_by_restriction_type,
            monthly: &mut monthly,
            policy_checks: &mut policy_checks,
        });
        cases.clear();
    }
    let narrative = narrative::sentences(&summary, &label, &previous_label);
    Ok(AnnualReport {
        format_version: FORMAT_VERSION,
        edition,
        reporting_year: period.year,
        reporting_year_label: label,
        previous_year_label: previous_label,
        period_start: period.start,
        period_end: period.end.pred_opt().unwrap_or(period.end),
        services_subset: request.services.is_some(),
        services,
        generated_at,
        narrative,
        summary,
        by_service,
        by_stage,
        by_restriction_type,
        service_by_restriction_type,
        monthly,
        policy_checks,
        cases,
    })
}

/// The checks of 8.2 counted over the year's cases: for each check its outcomes, then whether
/// the policy was followed, then the number of cases.
fn policy_checks(cases: &[CaseRow], label: &str) -> Vec<PolicyCheckRow> {
    use api::reports::model::Check;
    let row = |check: &str, outcome: &str, count: usize| PolicyCheckRow {
        reporting_year: label.to_string(),
        check: check.to_string(),
        outcome: outcome.to_string(),
        count: Some(count as i64),
        count_suppressed: false,
    };
    let mut rows = Vec::new();
    for (i, check) in POLICY_CHECKS.iter().enumerate() {
        let of = |c: &CaseRow| {
            [
                c.warning_before_stage_2,
                c.appeal_rights_given,
                c.appeal_decided,
                c.customer_told,
                c.review_within_period,
                c.adjustments_considered,
            ][i]
        };
        for (outcome, value) in [
            ("met", Check::Met),
            ("not_met", Check::NotMet),
            ("not_applicable", Check::NotApplicable),
        ] {
            rows.push(row(
                check,
                outcome,
                cases.iter().filter(|c| of(c) == value).count(),
            ));
        }
    }
    let followed = cases.iter().filter(|c| c.policy_followed).count();
    rows.push(row("policy_followed", "met", followed));
    rows.push(row("policy_followed", "not_met", cases.len() - followed));
    rows.push(row("cases", "in_year", cases.len()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_bounds() {
        let p = Period::new(2024, 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.label(), "2024-25");
        assert_eq!(p.previous_label(), "2023-24");
        assert_eq!(
            p.start,
            NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default()
        );
        assert_eq!(
            p.end,
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap_or_default()
        );
        assert_eq!(
            p.previous_start,
            NaiveDate::from_ymd_opt(2023, 4, 1).unwrap_or_default()
        );
        assert_eq!(p.month(0), "2024-04");
        assert_eq!(p.month(11), "2025-03");
        let p = Period::new(2024, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.label(), "2024");
        assert_eq!(p.previous_label(), "2023");
        assert_eq!(Period::label_of(1999, 4), "1999-00");
        assert!(Period::new(2024, 13).is_err());
        assert!(Period::new(2024, 0).is_err());
    }

    #[test]
    fn every_metric_has_an_index() {
        for (i, (metric, _)) in METRICS.iter().enumerate() {
            assert_eq!(metric_index(metric) as usize, i);
        }
    }
}
