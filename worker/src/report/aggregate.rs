//! The counted events of the report and their aggregation with polars.
//!
//! Every metric becomes rows of one long `events` frame — `case_id`, `service_id` (the case's
//! service, or the restriction's for restrictions imposed and lifted), `metric` (index in
//! `METRICS`), `kind` (index in `RestrictionKind::ALL`, null when none) and `date` (local) —
//! restricted to the included services and to the two years shown. Each table is then one
//! `group_by` over it.

use std::collections::HashMap;

use api::reports::model::METRICS;
use entities::enums::ReviewRecommendation;
use polars::prelude::*;

use super::Period;
use super::facts::{APPEAL_NOT_UPHELD, APPEAL_UPHELD, ExclusionEvent, Facts, days};

/// The index of a metric in `METRICS` (names here are the model's own).
pub(crate) fn metric_index(name: &str) -> u32 {
    METRICS
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or(usize::MAX) as u32
}

/// A local date as a polars `Date` literal.
pub(crate) fn day(date: chrono::NaiveDate) -> Expr {
    lit(days(date)).cast(DataType::Date)
}

/// Counts this year (`[1]`) and the previous year (`[0]`), by key.
pub(crate) type Counts = HashMap<Vec<i64>, [i64; 2]>;

/// The report's counts.
pub(crate) struct Aggregates {
    /// By `[metric]`.
    pub summary: Counts,
    /// By `[service_id, metric]`.
    pub by_service: Counts,
    /// By `[kind, metric]` (rows with a kind only).
    pub by_kind: Counts,
    /// By `[service_id, kind]`, restrictions imposed only.
    pub service_kind: Counts,
    /// By `[metric, month]` (month 0 = the year's first).
    pub monthly: Counts,
    /// Cases (ids) with a counted event this year.
    pub active_cases: Vec<i64>,
}

fn no_kind() -> Expr {
    lit(Null {}).cast(DataType::Int32)
}

/// Shape one source into event rows: `case_id`, `metric`, `kind`, `date`.
fn shape(lf: LazyFrame, metric: &str, kind: Expr, date: &str, keep: Option<Expr>) -> LazyFrame {
    let lf = match keep {
        Some(condition) => lf.filter(condition),
        None => lf,
    };
    lf.select([
        col("case_id"),
        lit(metric_index(metric))
            .cast(DataType::UInt32)
            .alias("metric"),
        kind.cast(DataType::Int32).alias("kind"),
        col(date).alias("date"),
    ])
}

/// Every counted event of the included services, all dates.
pub(crate) fn events(
    facts: &Facts,
    included_cases: &LazyFrame,
    included_services: &LazyFrame,
) -> PolarsResult<LazyFrame> {
    let by_case = |lf: LazyFrame| {
        lf.inner_join(
            included_cases
                .clone()
                .select([col("case_id"), col("service_id")]),
            col("case_id"),
            col("case_id"),
        )
        .select([
            col("case_id"),
            col("service_id"),
            col("metric"),
            col("kind"),
            col("date"),
        ])
    };
    let reports = facts.reports.clone().lazy();
    let determinations = facts.determinations.clone().lazy();
    let warnings = facts.warnings.clone().lazy();
    let appeals = facts.appeals.clone().lazy();
    let stage_2 = facts.stage_2.clone().lazy();
    let exclusions = facts.exclusions.clone().lazy();
    let referrals = facts.police_referrals.clone().lazy();
    let reviews = facts.reviews.clone().lazy();
    let breaches = facts.breaches.clone().lazy().left_join(
        facts
            .restrictions
            .clone()
            .lazy()
            .select([col("id").alias("restriction_id"), col("kind")]),
        col("restriction_id"),
        col("restriction_id"),
    );

    let mut frames = vec![
        by_case(shape(reports, "reports", no_kind(), "date", None)),
        by_case(shape(
            determinations.clone(),
            "determinations",
            no_kind(),
            "date",
            None,
        )),
        by_case(shape(
            determinations,
            "determinations_unreasonable",
            no_kind(),
            "date",
            Some(col("unreasonable")),
        )),
        by_case(shape(warnings, "stage_1_warnings", no_kind(), "date", None)),
        by_case(shape(
            appeals.clone(),
            "appeals_received",
            no_kind(),
            "date",
            None,
        )),
        by_case(shape(
            appeals.clone(),
            "appeals_upheld",
            no_kind(),
            "decided",
            Some(col("outcome").eq(lit(APPEAL_UPHELD))),
        )),
        by_case(shape(
            appeals,
            "appeals_not_upheld",
            no_kind(),
            "decided",
            Some(col("outcome").eq(lit(APPEAL_NOT_UPHELD))),
        )),
        by_case(shape(
            stage_2.clone(),
            "stage_2_decisions",
            no_kind(),
            "date",
            None,
        )),
        by_case(shape(
            stage_2,
            "stage_2_immediate",
            no_kind(),
            "date",
            Some(col("immediate")),
        )),
        by_case(shape(
            referrals,
            "police_referrals",
            no_kind(),
            "date",
            None,
        )),
        by_case(shape(reviews.clone(), "reviews", no_kind(), "date", None)),
        by_case(shape(breaches, "breaches", col("kind"), "date", None)),
    ];
    for (event, metric) in [
        (ExclusionEvent::Temporary, "exclusions_temporary"),
        (ExclusionEvent::LongTerm, "exclusions_long_term"),
        (ExclusionEvent::Permanent, "exclusions_permanent"),
        (ExclusionEvent::Extended, "exclusions_extended"),
    ] {
        frames.push(by_case(shape(
            exclusions.clone(),
            metric,
            no_kind(),
            "date",
            Some(col("kind").eq(lit(event as i32))),
        )));
    }
    for (recommendation, metric) in [
        (ReviewRecommendation::Continue, "reviews_continue"),
        (
            ReviewRecommendation::PartiallyRemove,
            "reviews_partially_remove",
        ),
        (ReviewRecommendation::FullyRemove, "reviews_fully_remove"),
    ] {
        let code = ReviewRecommendation::ALL
            .iter()
            .position(|r| *r == recommendation)
            .unwrap_or(0) as i32;
        frames.push(by_case(shape(
            reviews.clone(),
            metric,
            no_kind(),
            "date",
            Some(col("recommendation").eq(lit(code))),
        )));
    }
    // Restrictions count under their own service.
    for (metric, date) in [
        ("restrictions_imposed", "date"),
        ("restrictions_lifted", "lifted"),
    ] {
        frames.push(
            facts
                .restrictions
                .clone()
                .lazy()
                .select([
                    col("case_id"),
                    col("service_id"),
                    lit(metric_index(metric))
                        .cast(DataType::UInt32)
                        .alias("metric"),
                    col("kind"),
                    col(date).alias("date"),
                ])
                .inner_join(
                    included_services.clone(),
                    col("service_id"),
                    col("service_id"),
                ),
        );
    }
    concat(frames, UnionArgs::default())
}

/// Read a grouped frame (`keys…`, `year`, `n`) into [`Counts`].
fn read_counts(df: &DataFrame, keys: &[&str]) -> PolarsResult<Counts> {
    let mut key_columns = Vec::with_capacity(keys.len());
    for key in keys {
        key_columns.push(df.column(key)?.cast(&DataType::Int64)?);
    }
    let year = df.column("year")?.cast(&DataType::Int64)?;
    let n = df.column("n")?.cast(&DataType::Int64)?;
    let key_values: Vec<&Int64Chunked> = key_columns
        .iter()
        .map(|c| c.i64())
        .collect::<PolarsResult<_>>()?;
    let (year, n) = (year.i64()?, n.i64()?);
    let mut counts = Counts::new();
    for row in 0..df.height() {
        // A null key (no kind) is left out: such rows belong to no cell of the table.
        let Some(key) = key_values
            .iter()
            .map(|c| c.get(row))
            .collect::<Option<Vec<i64>>>()
        else {
            continue;
        };
        let slot = usize::from(year.get(row) == Some(1));
        counts.entry(key).or_insert([0, 0])[slot] += n.get(row).unwrap_or(0);
    }
    Ok(counts)
}

fn grouped(events: &DataFrame, keep: Option<Expr>, keys: &[&str]) -> PolarsResult<Counts> {
    let mut lf = events.clone().lazy();
    if let Some(condition) = keep {
        lf = lf.filter(condition);
    }
    let mut by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    by.push(col("year"));
    let df = lf.group_by(by).agg([len().alias("n")]).collect()?;
    read_counts(&df, keys)
}

/// Aggregate the events of the two years shown.
pub(crate) fn aggregate(events: LazyFrame, period: &Period) -> PolarsResult<Aggregates> {
    let base = period.year * 12 + period.start_month as i32;
    let month = ((col("date").dt().year().cast(DataType::Int32) * lit(12)
        + col("date").dt().month().cast(DataType::Int32))
        - lit(base)
        + lit(24))
        % lit(12);
    let window = events
        .filter(
            col("date")
                .gt_eq(day(period.previous_start))
                .and(col("date").lt(day(period.end))),
        )
        .with_columns([
            col("date")
                .gt_eq(day(period.start))
                .cast(DataType::Int32)
                .alias("year"),
            month.alias("month"),
        ])
        .collect()?;

    let active = window
        .clone()
        .lazy()
        .filter(col("year").eq(lit(1)))
        .group_by([col("case_id")])
        .agg([len().alias("n")])
        .collect()?;
    let active_cases = active
        .column("case_id")?
        .i64()?
        .into_iter()
        .flatten()
        .collect();

    Ok(Aggregates {
        summary: grouped(&window, None, &["metric"])?,
        by_service: grouped(&window, None, &["service_id", "metric"])?,
        by_kind: grouped(
            &window,
            Some(col("kind").is_not_null()),
            &["kind", "metric"],
        )?,
        service_kind: grouped(
            &window,
            Some(
                col("metric").eq(lit(metric_index("restrictions_imposed")).cast(DataType::UInt32)),
            ),
            &["service_id", "kind"],
        )?,
        monthly: grouped(&window, None, &["metric", "month"])?,
        active_cases,
    })
}
