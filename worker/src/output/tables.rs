//! The report's tables as polars frames, for the CSV and Parquet files.
//!
//! Each frame has exactly the row struct's serde field names as columns, in declaration order,
//! with [`Figure`] flattened into `count`, `previous_count`, `count_suppressed`,
//! `previous_count_suppressed`. The types never depend on the data: counts are nullable
//! `Int64`, flags `Boolean`, dates `Date`, everything else `String` (a policy check as its
//! snake_case name), so an empty table has the same columns as a full one and a Power BI
//! refresh never meets a changed schema.

use anyhow::bail;
use api::reports::model::{AnnualReport, Check, Figure};
use chrono::NaiveDate;
use polars::prelude::*;

/// The frame of one table of [`api::reports::model::TABLES`].
pub fn frame(report: &AnnualReport, table: &str) -> anyhow::Result<DataFrame> {
    let columns = match table {
        "summary" => {
            let rows = &report.summary;
            let mut c = vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("metric", rows, |r| &r.metric),
            ];
            c.extend(figures(rows, |r| &r.figure));
            c
        }
        "by_service" => {
            let rows = &report.by_service;
            let mut c = vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("service_code", rows, |r| &r.service_code),
                text("service_name", rows, |r| &r.service_name),
                text("metric", rows, |r| &r.metric),
            ];
            c.extend(figures(rows, |r| &r.figure));
            c
        }
        "by_stage" => {
            let rows = &report.by_stage;
            let mut c = vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("stage", rows, |r| &r.stage),
                text("metric", rows, |r| &r.metric),
            ];
            c.extend(figures(rows, |r| &r.figure));
            c
        }
        "by_restriction_type" => {
            let rows = &report.by_restriction_type;
            let mut c = vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("restriction_type", rows, |r| &r.restriction_type),
                text("metric", rows, |r| &r.metric),
            ];
            c.extend(figures(rows, |r| &r.figure));
            c
        }
        "service_by_restriction_type" => {
            let rows = &report.service_by_restriction_type;
            let mut c = vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("service_code", rows, |r| &r.service_code),
                text("service_name", rows, |r| &r.service_name),
                text("restriction_type", rows, |r| &r.restriction_type),
                text("metric", rows, |r| &r.metric),
            ];
            c.extend(figures(rows, |r| &r.figure));
            c
        }
        "monthly" => {
            let rows = &report.monthly;
            let mut c = vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("month", rows, |r| &r.month),
                text("metric", rows, |r| &r.metric),
            ];
            c.extend(figures(rows, |r| &r.figure));
            c
        }
        "policy_checks" => {
            let rows = &report.policy_checks;
            vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("check", rows, |r| &r.check),
                text("outcome", rows, |r| &r.outcome),
                Column::new(
                    "count".into(),
                    rows.iter().map(|r| r.count).collect::<Vec<_>>(),
                ),
                flag("count_suppressed", rows, |r| r.count_suppressed),
            ]
        }
        "cases" => {
            let rows = &report.cases;
            vec![
                text("reporting_year", rows, |r| &r.reporting_year),
                text("case_reference", rows, |r| &r.case_reference),
                text("service_code", rows, |r| &r.service_code),
                text("stage_at_year_end", rows, |r| &r.stage_at_year_end),
                date("opened_on", rows, |r| Some(r.opened_on)),
                date("closed_on", rows, |r| r.closed_on),
                text("restriction_types", rows, |r| &r.restriction_types),
                check("warning_before_stage_2", rows, |r| r.warning_before_stage_2),
                check("appeal_rights_given", rows, |r| r.appeal_rights_given),
                check("appeal_decided", rows, |r| r.appeal_decided),
                check("customer_told", rows, |r| r.customer_told),
                check("review_within_period", rows, |r| r.review_within_period),
                check("adjustments_considered", rows, |r| r.adjustments_considered),
                flag("policy_followed", rows, |r| r.policy_followed),
                Column::new(
                    "notes".into(),
                    rows.iter().map(|r| r.notes.as_deref()).collect::<Vec<_>>(),
                ),
            ]
        }
        other => bail!("the report has no table called {other}"),
    };
    Ok(DataFrame::new(columns)?)
}

fn text<T>(name: &str, rows: &[T], value: impl Fn(&T) -> &String) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(|r| value(r).as_str()).collect::<Vec<_>>(),
    )
}

fn flag<T>(name: &str, rows: &[T], value: impl Fn(&T) -> bool) -> Column {
    Column::new(name.into(), rows.iter().map(value).collect::<Vec<_>>())
}

fn date<T>(name: &str, rows: &[T], value: impl Fn(&T) -> Option<NaiveDate>) -> Column {
    Column::new(name.into(), rows.iter().map(value).collect::<Vec<_>>())
}

fn check<T>(name: &str, rows: &[T], value: impl Fn(&T) -> Check) -> Column {
    Column::new(
        name.into(),
        rows.iter()
            .map(|r| check_name(value(r)))
            .collect::<Vec<_>>(),
    )
}

/// A check's snake_case name, as serde writes it in `report.json`.
pub(crate) fn check_name(check: Check) -> &'static str {
    match check {
        Check::Met => "met",
        Check::NotMet => "not_met",
        Check::NotApplicable => "not_applicable",
    }
}

/// The four columns of a flattened [`Figure`].
fn figures<T>(rows: &[T], figure: impl Fn(&T) -> &Figure) -> [Column; 4] {
    let count = |name: &str, value: fn(&Figure) -> Option<i64>| {
        Column::new(
            name.into(),
            rows.iter().map(|r| value(figure(r))).collect::<Vec<_>>(),
        )
    };
    let suppressed = |name: &str, value: fn(&Figure) -> bool| {
        Column::new(
            name.into(),
            rows.iter().map(|r| value(figure(r))).collect::<Vec<_>>(),
        )
    };
    [
        count("count", |f| f.count),
        count("previous_count", |f| f.previous_count),
        suppressed("count_suppressed", |f| f.count_suppressed),
        suppressed("previous_count_suppressed", |f| f.previous_count_suppressed),
    ]
}
