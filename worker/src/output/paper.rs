//! `committee-paper.html`: the Monitoring Officer's annual report to the Standards Committee
//! (policy 8.1), as a paper that prints cleanly on A4.
//!
//! This module turns the [`AnnualReport`] into what the page shows (labels in the policy's
//! words, every count beside the previous year's, "withheld" for a withheld count, the
//! charts laid out by [`super::chart`]); the template `templates/committee_paper.html` only
//! arranges it, with HTML autoescaping on, so no text from the case record can become markup.
//! The public edition never shows free text, whatever the report holds.

use std::collections::HashMap;

use api::reports::model::{
    AnnualReport, CaseRow, Check, Edition, Figure, METRICS, STAGES, SUPPRESS_AT_OR_BELOW,
    SUPPRESSED_TEXT,
};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::London;
use entities::enums::RestrictionKind;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::chart::{self, Chart, Series, SeriesKind, Value, thousands};

const TEMPLATE_NAME: &str = "committee_paper.html";
const TEMPLATE: &str = include_str!("../../templates/committee_paper.html");

/// The most cases listed by reference in each of the paper's case tables (the policy not shown
/// as followed; the reasons for Stage 2 at once); the rest are in `cases.csv`.
const MOST_EXCEPTIONS_LISTED: usize = 200;

/// Render the committee paper.
pub fn committee_paper(report: &AnnualReport) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template(TEMPLATE_NAME, TEMPLATE)?;
    let paper = Paper::new(report);
    Ok(env.get_template(TEMPLATE_NAME)?.render(Serde(&paper))?)
}

/// A count as the paper prints it.
#[derive(Clone, Debug, Serialize)]
struct Cell {
    text: String,
    suppressed: bool,
}

impl Cell {
    fn of(count: Option<i64>, suppressed: bool) -> Cell {
        Cell {
            text: match count {
                Some(n) => thousands(n),
                // A withheld count's words may wrap in a narrow column, but not apart.
                None if suppressed => SUPPRESSED_TEXT.replace(' ', "\u{a0}"),
                None => "–".to_string(),
            },
            suppressed: count.is_none(),
        }
    }
}

/// This year's count beside the previous year's.
#[derive(Clone, Debug, Serialize)]
struct Pair {
    current: Cell,
    previous: Cell,
}

impl Pair {
    fn of(figure: &Figure) -> Pair {
        Pair {
            current: Cell::of(figure.count, figure.count_suppressed),
            previous: Cell::of(figure.previous_count, figure.previous_count_suppressed),
        }
    }

    fn missing() -> Pair {
        Pair::of(&Figure::default())
    }
}

/// One line of a figures table.
#[derive(Clone, Debug, Serialize)]
struct Line {
    label: String,
    figures: Pair,
    change: String,
}

impl Line {
    fn of(label: String, figure: &Figure) -> Line {
        let change = match (figure.count, figure.previous_count) {
            (Some(now), Some(then)) if now > then => format!("up {}", thousands(now - then)),
            (Some(now), Some(then)) if now < then => format!("down {}", thousands(then - now)),
            (Some(_), Some(_)) => "no change".to_string(),
            _ => String::new(),
        };
        Line {
            label,
            figures: Pair::of(figure),
            change,
        }
    }
}

/// A titled group of lines (a stage of the policy).
#[derive(Clone, Debug, Serialize)]
struct Group {
    title: String,
    lines: Vec<Line>,
}

/// A table of rows (services, restriction types, months) by columns (metrics, kinds), each
/// cell this year beside the previous year.
#[derive(Clone, Debug, Serialize)]
struct Grid {
    title: String,
    row_heading: String,
    columns: Vec<String>,
    rows: Vec<GridRow>,
}

#[derive(Clone, Debug, Serialize)]
struct GridRow {
    label: String,
    cells: Vec<Pair>,
}

/// One policy check of 8.2, counted over the cases.
#[derive(Clone, Debug, Serialize)]
struct CheckLine {
    label: String,
    met: Cell,
    not_met: Cell,
    not_applicable: Cell,
}

/// A case whose record does not show the policy was followed.
#[derive(Clone, Debug, Serialize)]
struct Exception {
    reference: String,
    service: String,
    stage: String,
    not_met: String,
    notes: Option<String>,
}

/// Free text for the Committee (internal edition only).
#[derive(Clone, Debug, Serialize)]
struct Note {
    reference: String,
    service: String,
    text: String,
}

#[derive(Clone, Debug, Serialize)]
struct Charts {
    restriction_types: Chart,
    services: Vec<Chart>,
    monthly: Vec<Chart>,
}

/// Everything the template shows.
#[derive(Clone, Debug, Serialize)]
struct Paper {
    title: String,
    year: String,
    previous_year: String,
    period: String,
    prepared_on: String,
    public: bool,
    services: String,
    service_count: usize,
    narrative: Vec<String>,
    summary: Vec<Line>,
    stages: Vec<Group>,
    year_end: Vec<Line>,
    restriction_types: Grid,
    monthly: Grid,
    service_tables: Vec<Grid>,
    service_restriction_types: Vec<Grid>,
    checks: Vec<CheckLine>,
    cases_total: String,
    cases_followed: Cell,
    cases_not_followed: Cell,
    exceptions: Vec<Exception>,
    exceptions_not_listed: usize,
    notes: Vec<Note>,
    notes_not_listed: usize,
    charts: Charts,
    suppressed_text: &'static str,
    suppress_at_or_below: i64,
}

/// `1 April 2024`.
fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn metric_label(metric: &str) -> String {
    METRICS
        .iter()
        .find(|(name, _)| *name == metric)
        .map_or_else(
            || metric.replace('_', " "),
            |(_, label)| (*label).to_string(),
        )
}

/// Short column headings for the wide by-service tables.
fn metric_heading(metric: &str) -> String {
    match metric {
        "reports" => "Reports",
        "determinations" => "Determinations",
        "determinations_unreasonable" => "Found unreasonable",
        "stage_1_warnings" => "Stage 1 warnings",
        "appeals_received" => "Appeals received",
        "appeals_upheld" => "Appeals upheld",
        "appeals_not_upheld" => "Appeals not upheld",
        "stage_2_decisions" => "Stage 2 decisions",
        "stage_2_immediate" => "Of which at once",
        "restrictions_imposed" => "Restrictions imposed",
        "exclusions_temporary" => "Temporary exclusions",
        "exclusions_long_term" => "Long-term exclusions",
        "exclusions_permanent" => "Permanent exclusions",
        "exclusions_extended" => "Exclusions extended",
        "police_referrals" => "Police referrals",
        "reviews" => "Reviews held",
        "reviews_continue" => "Continue",
        "reviews_partially_remove" => "Partly remove",
        "reviews_fully_remove" => "Fully remove",
        "restrictions_lifted" => "Restrictions lifted",
        "breaches" => "Breaches",
        other => return metric_label(other),
    }
    .to_string()
}

fn stage_label(stage: &str) -> String {
    STAGES.iter().find(|(name, _)| *name == stage).map_or_else(
        || stage.replace('_', " "),
        |(_, label)| (*label).to_string(),
    )
}

/// Where a case stood at the year end, in words.
fn year_end_label(stage: &str) -> String {
    match stage {
        "reported" => "Reported, not yet determined".to_string(),
        "determined_unreasonable" => "Behaviour found unreasonable".to_string(),
        "stage_1_warning" => "Stage 1 warning issued".to_string(),
        "stage_2_restricted" => "Stage 2: restricted contact".to_string(),
        "closed" => "Closed".to_string(),
        other => other.replace('_', " "),
    }
}

/// The seven restrictions of 5.3, in the policy's words.
fn restriction_label(kind: &str) -> String {
    match kind {
        "time_limits" => "Contact within time limits",
        "named_contact" => "Named officer, team, time or place",
        "telephone_times" => "Telephone on set days and times",
        "establishment_exclusion" => "Exclusion from establishments",
        "contact_form" => "Contact in a particular form",
        "contact_agreement" => "Agreement about further contact",
        "termination" => "Termination of contact",
        other => return other.replace('_', " "),
    }
    .to_string()
}

/// The by-service tables of Appendix A: at most five metrics each, so that a withheld count's
/// words fit their column on a landscape page.
const SERVICE_TABLES: &[(&str, &[&str])] = &[
    (
        "reports, determinations and Stage 1 warnings (5.1)",
        &[
            "reports",
            "determinations",
            "determinations_unreasonable",
            "stage_1_warnings",
        ],
    ),
    (
        "appeals (6)",
        &["appeals_received", "appeals_upheld", "appeals_not_upheld"],
    ),
    (
        "Stage 2 restricted contact (5.3)",
        &[
            "stage_2_decisions",
            "stage_2_immediate",
            "restrictions_imposed",
            "restrictions_lifted",
            "breaches",
        ],
    ),
    (
        "reviews (7)",
        &[
            "reviews",
            "reviews_continue",
            "reviews_partially_remove",
            "reviews_fully_remove",
        ],
    ),
    (
        "health and safety (3)",
        &[
            "exclusions_temporary",
            "exclusions_long_term",
            "exclusions_permanent",
            "exclusions_extended",
            "police_referrals",
        ],
    ),
];

/// Services per chart in Appendix A, so that a chart fits its page (a synthetic data set of many
/// councils has hundreds).
const SERVICES_PER_CHART: usize = 30;

/// Restriction types per table in Appendix B, for the same reason.
const KINDS_PER_TABLE: usize = 4;

/// The checks of 8.2: the column of the `cases` table, and what it asks.
const CHECKS: &[(&str, &str)] = &[
    (
        "warning_before_stage_2",
        "Stage 1 warning before Stage 2, or the exceptional reasons recorded (5.1)",
    ),
    (
        "appeal_rights_given",
        "Right of appeal given with each Stage 1 warning (6.1)",
    ),
    ("appeal_decided", "Each appeal decided (6.2)"),
    (
        "customer_told",
        "Customer told in writing of each decision (5.1, 6.2, 6.4, 7.4)",
    ),
    (
        "review_within_period",
        "Review held within 12 months of restricting contact (7.1)",
    ),
    (
        "adjustments_considered",
        "Reasonable adjustments considered (Equality Act 2010)",
    ),
];

fn check_of(case: &CaseRow, column: &str) -> Check {
    match column {
        "warning_before_stage_2" => case.warning_before_stage_2,
        "appeal_rights_given" => case.appeal_rights_given,
        "appeal_decided" => case.appeal_decided,
        "customer_told" => case.customer_told,
        "review_within_period" => case.review_within_period,
        _ => case.adjustments_considered,
    }
}

/// The restriction kinds in the policy's order, then any the report has that this code does
/// not know (so nothing is dropped).
fn restriction_kinds<'a>(found: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut kinds: Vec<String> = RestrictionKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    for kind in found {
        if !kinds.iter().any(|k| k == kind) {
            kinds.push(kind.to_string());
        }
    }
    kinds
}

fn metric_order(metric: &str) -> usize {
    METRICS
        .iter()
        .position(|(name, _)| *name == metric)
        .unwrap_or(METRICS.len())
}

impl Paper {
    fn new(report: &AnnualReport) -> Paper {
        let year = report.reporting_year_label.clone();
        let previous_year = report.previous_year_label.clone();
        let public = report.edition == Edition::Public;

        let summary: Vec<Line> = report
            .summary
            .iter()
            .map(|row| Line::of(metric_label(&row.metric), &row.figure))
            .collect();

        // By stage: each stage of the policy with its metrics in the summary's order; the
        // cases' positions at the year end apart.
        let mut stage_names: Vec<&str> = STAGES.iter().map(|(s, _)| *s).collect();
        for row in &report.by_stage {
            if row.metric != "cases_at_year_end" && !stage_names.contains(&row.stage.as_str()) {
                stage_names.push(&row.stage);
            }
        }
        let stages = stage_names
            .iter()
            .filter_map(|stage| {
                let mut rows: Vec<_> = report
                    .by_stage
                    .iter()
                    .filter(|r| r.stage == *stage && r.metric != "cases_at_year_end")
                    .collect();
                rows.sort_by_key(|r| metric_order(&r.metric));
                (!rows.is_empty()).then(|| Group {
                    title: stage_label(stage),
                    lines: rows
                        .iter()
                        .map(|r| Line::of(metric_label(&r.metric), &r.figure))
                        .collect(),
                })
            })
            .collect();
        let year_end = report
            .by_stage
            .iter()
            .filter(|r| r.metric == "cases_at_year_end")
            .map(|r| Line::of(year_end_label(&r.stage), &r.figure))
            .collect();

        // By restriction type: kinds down, imposed / lifted / breaches across.
        let kinds = restriction_kinds(
            report
                .by_restriction_type
                .iter()
                .map(|r| r.restriction_type.as_str())
                .chain(
                    report
                        .service_by_restriction_type
                        .iter()
                        .map(|r| r.restriction_type.as_str()),
                ),
        );
        let restriction_metrics = ["restrictions_imposed", "restrictions_lifted", "breaches"];
        let restriction_types = Grid {
            title: format!("Restrictions by type, {year} and {previous_year}"),
            row_heading: "Restriction (5.3)".to_string(),
            columns: restriction_metrics
                .iter()
                .map(|m| metric_heading(m))
                .collect(),
            rows: kinds
                .iter()
                .map(|kind| GridRow {
                    label: restriction_label(kind),
                    cells: restriction_metrics
                        .iter()
                        .map(|metric| {
                            report
                                .by_restriction_type
                                .iter()
                                .find(|r| &r.restriction_type == kind && r.metric == *metric)
                                .map_or_else(Pair::missing, |r| Pair::of(&r.figure))
                        })
                        .collect(),
                })
                .collect(),
        };

        // Monthly: months down, a few headline metrics across.
        let mut months: Vec<&str> = Vec::new();
        for row in &report.monthly {
            if !months.contains(&row.month.as_str()) {
                months.push(&row.month);
            }
        }
        let month_metrics = [
            "reports",
            "stage_1_warnings",
            "stage_2_decisions",
            "restrictions_imposed",
        ];
        let month_figure = |month: &str, metric: &str| {
            report
                .monthly
                .iter()
                .find(|r| r.month == month && r.metric == metric)
                .map(|r| &r.figure)
        };
        let monthly = Grid {
            title: format!("Each month of {year}, beside the same month of {previous_year}"),
            row_heading: "Month".to_string(),
            columns: month_metrics.iter().map(|m| metric_heading(m)).collect(),
            rows: months
                .iter()
                .map(|month| GridRow {
                    label: month_label(month, "%B %Y"),
                    cells: month_metrics
                        .iter()
                        .map(|metric| {
                            month_figure(month, metric).map_or_else(Pair::missing, Pair::of)
                        })
                        .collect(),
                })
                .collect(),
        };

        // By service: services down, metrics across, in three tables by stage (a table of all
        // twenty would not fit the page).
        let mut services: Vec<(&str, &str)> = Vec::new();
        for row in &report.by_service {
            if !services.iter().any(|(code, _)| *code == row.service_code) {
                services.push((&row.service_code, &row.service_name));
            }
        }
        let by_service: HashMap<(&str, &str), &Figure> = report
            .by_service
            .iter()
            .map(|r| ((r.service_code.as_str(), r.metric.as_str()), &r.figure))
            .collect();
        let service_figure = |code: &str, metric: &str| by_service.get(&(code, metric)).copied();
        let mut groups: Vec<(String, Vec<&str>)> = SERVICE_TABLES
            .iter()
            .map(|(title, metrics)| ((*title).to_string(), metrics.to_vec()))
            .collect();
        let others: Vec<&str> = METRICS
            .iter()
            .map(|(m, _)| *m)
            .filter(|m| !SERVICE_TABLES.iter().any(|(_, ms)| ms.contains(m)))
            .collect();
        if !others.is_empty() {
            groups.push(("Other figures".to_string(), others));
        }
        let service_tables = groups
            .iter()
            .map(|(title, metrics)| Grid {
                title: format!("By service: {title}"),
                row_heading: "Service".to_string(),
                columns: metrics.iter().map(|m| metric_heading(m)).collect(),
                rows: services
                    .iter()
                    .map(|(code, name)| GridRow {
                        label: format!("{name} ({code})"),
                        cells: metrics
                            .iter()
                            .map(|m| service_figure(code, m).map_or_else(Pair::missing, Pair::of))
                            .collect(),
                    })
                    .collect(),
            })
            .collect();

        let mut kind_services: Vec<(&str, &str)> = Vec::new();
        for row in &report.service_by_restriction_type {
            if !kind_services
                .iter()
                .any(|(code, _)| *code == row.service_code)
            {
                kind_services.push((&row.service_code, &row.service_name));
            }
        }
        let kind_tables = kinds.chunks(KINDS_PER_TABLE).count();
        let service_restriction_types = kinds
            .chunks(KINDS_PER_TABLE)
            .enumerate()
            .map(|(i, chunk)| Grid {
                title: if kind_tables > 1 {
                    format!(
                        "Restrictions imposed, by service and type ({} of {kind_tables})",
                        i + 1
                    )
                } else {
                    "Restrictions imposed, by service and type".to_string()
                },
                row_heading: "Service".to_string(),
                columns: chunk.iter().map(|k| restriction_label(k)).collect(),
                rows: kind_services
                    .iter()
                    .map(|(code, name)| GridRow {
                        label: format!("{name} ({code})"),
                        cells: chunk
                            .iter()
                            .map(|kind| {
                                report
                                    .service_by_restriction_type
                                    .iter()
                                    .find(|r| {
                                        r.service_code == *code && &r.restriction_type == kind
                                    })
                                    .map_or_else(Pair::missing, |r| Pair::of(&r.figure))
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();

        // The checks of 8.2, counted over the year's cases (withheld in the public edition
        // like every other count).
        let check_cell = |check: &str, outcome: &str| {
            report
                .policy_checks
                .iter()
                .find(|r| r.check == check && r.outcome == outcome)
                .map_or_else(
                    || Cell::of(None, false),
                    |r| Cell::of(r.count, r.count_suppressed),
                )
        };
        let checks = CHECKS
            .iter()
            .map(|(column, label)| CheckLine {
                label: (*label).to_string(),
                met: check_cell(column, "met"),
                not_met: check_cell(column, "not_met"),
                not_applicable: check_cell(column, "not_applicable"),
            })
            .collect();
        // The cases themselves are in the internal edition only (and never listed in a public
        // paper, even from a report that carried them).
        let not_followed: Vec<&CaseRow> = if public {
            Vec::new()
        } else {
            report.cases.iter().filter(|c| !c.policy_followed).collect()
        };
        let exceptions = not_followed
            .iter()
            .take(MOST_EXCEPTIONS_LISTED)
            .map(|case| Exception {
                reference: case.case_reference.clone(),
                service: case.service_code.clone(),
                stage: year_end_label(&case.stage_at_year_end),
                not_met: CHECKS
                    .iter()
                    .filter(|(column, _)| check_of(case, column) == Check::NotMet)
                    .map(|(column, _)| check_heading(column))
                    .collect::<Vec<_>>()
                    .join("; "),
                notes: if public { None } else { case.notes.clone() },
            })
            .collect();
        let notes = if public {
            Vec::new()
        } else {
            report
                .cases
                .iter()
                .filter_map(|case| {
                    case.notes.as_ref().map(|text| Note {
                        reference: case.case_reference.clone(),
                        service: case.service_code.clone(),
                        text: text.clone(),
                    })
                })
                .collect()
        };
        let notes_not_listed = notes.len().saturating_sub(MOST_EXCEPTIONS_LISTED);
        let notes: Vec<Note> = notes.into_iter().take(MOST_EXCEPTIONS_LISTED).collect();

        let charts = Charts {
            restriction_types: restriction_chart(report, &kinds),
            services: ["reports", "restrictions_imposed"]
                .iter()
                .flat_map(|metric| {
                    let parts = services.chunks(SERVICES_PER_CHART).count();
                    services
                        .chunks(SERVICES_PER_CHART)
                        .enumerate()
                        .map(move |(part, chunk)| (*metric, chunk, (part + 1, parts)))
                })
                .enumerate()
                .map(|(i, (metric, chunk, part))| {
                    service_chart(report, chunk, metric, i, part, &service_figure)
                })
                .collect(),
            monthly: ["reports", "restrictions_imposed"]
                .iter()
                .enumerate()
                .map(|(i, metric)| {
                    let labels: Vec<String> = months.iter().map(|m| month_label(m, "%b")).collect();
                    let figures: Vec<Figure> = months
                        .iter()
                        .map(|m| month_figure(m, metric).cloned().unwrap_or_default())
                        .collect();
                    chart::monthly(
                        &format!("chart-monthly-{i}"),
                        &format!(
                            "{} by month, {year} and {previous_year}",
                            metric_label(metric)
                        ),
                        &labels,
                        &two_series(report, &figures),
                    )
                })
                .collect(),
        };

        let services_text = if report.services_subset {
            let names: Vec<String> = report
                .services
                .iter()
                .map(|s| format!("{} ({})", s.name, s.code))
                .collect();
            format!(
                "{} of the council's services: {}",
                report.services.len(),
                names.join(", ")
            )
        } else {
            format!("All {} services", report.services.len())
        };

        Paper {
            title: format!("Unreasonably persistent customers: annual report {year}"),
            year,
            previous_year,
            period: format!(
                "{} to {}",
                long_date(report.period_start),
                long_date(report.period_end)
            ),
            prepared_on: long_date(
                London
                    .from_utc_datetime(&report.generated_at.naive_utc())
                    .date_naive(),
            ),
            public,
            services: services_text,
            service_count: report.services.len(),
            narrative: report.narrative.clone(),
            summary,
            stages,
            year_end,
            restriction_types,
            monthly,
            service_tables,
            service_restriction_types,
            checks,
            cases_total: check_cell("cases", "in_year").text,
            cases_followed: check_cell("policy_followed", "met"),
            cases_not_followed: check_cell("policy_followed", "not_met"),
            exceptions_not_listed: not_followed.len().saturating_sub(MOST_EXCEPTIONS_LISTED),
            exceptions,
            notes,
            notes_not_listed,
            charts,
            suppressed_text: SUPPRESSED_TEXT,
            suppress_at_or_below: SUPPRESS_AT_OR_BELOW,
        }
    }
}

/// A check's short name, for the list of cases.
fn check_heading(column: &str) -> &'static str {
    match column {
        "warning_before_stage_2" => "warning before Stage 2",
        "appeal_rights_given" => "right of appeal given",
        "appeal_decided" => "appeal decided",
        "customer_told" => "customer told",
        "review_within_period" => "review on time",
        _ => "adjustments considered",
    }
}

/// `2024-04` as `April 2024` (`%B %Y`) or `Apr` (`%b`).
fn month_label(month: &str, format: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_or_else(|_| month.to_string(), |d| d.format(format).to_string())
}

/// This year's and the previous year's series of `figures`.
fn two_series(report: &AnnualReport, figures: &[Figure]) -> [Series; 2] {
    [
        Series {
            name: report.reporting_year_label.clone(),
            kind: SeriesKind::Current,
            values: figures.iter().map(Value::current).collect(),
        },
        Series {
            name: report.previous_year_label.clone(),
            kind: SeriesKind::Previous,
            values: figures.iter().map(Value::previous).collect(),
        },
    ]
}

fn restriction_chart(report: &AnnualReport, kinds: &[String]) -> Chart {
    let figures: Vec<Figure> = kinds
        .iter()
        .map(|kind| {
            report
                .by_restriction_type
                .iter()
                .find(|r| &r.restriction_type == kind && r.metric == "restrictions_imposed")
                .map(|r| r.figure.clone())
                .unwrap_or_default()
        })
        .collect();
    let labels: Vec<String> = kinds.iter().map(|k| restriction_label(k)).collect();
    chart::horizontal(
        "chart-restriction-types",
        &format!(
            "Restrictions imposed by type, {} and {}",
            report.reporting_year_label, report.previous_year_label
        ),
        &labels,
        &two_series(report, &figures),
        11.0,
    )
}

fn service_chart<'a>(
    report: &AnnualReport,
    services: &[(&str, &str)],
    metric: &str,
    index: usize,
    (part, parts): (usize, usize),
    figure: &dyn Fn(&str, &str) -> Option<&'a Figure>,
) -> Chart {
    let figures: Vec<Figure> = services
        .iter()
        .map(|(code, _)| figure(code, metric).cloned().unwrap_or_default())
        .collect();
    let labels: Vec<String> = services
        .iter()
        .map(|(_, name)| (*name).to_string())
        .collect();
    let of = if parts > 1 {
        format!(" ({part} of {parts})")
    } else {
        String::new()
    };
    chart::horizontal(
        &format!("chart-services-{index}"),
        &format!(
            "{} by service, {} and {}{of}",
            metric_label(metric),
            report.reporting_year_label,
            report.previous_year_label
        ),
        &labels,
        &two_series(report, &figures),
        9.0,
    )
}
