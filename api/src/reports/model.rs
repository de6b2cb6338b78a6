//! The annual report's content (policy section 8), as the worker writes it to `report.json` and
//! the API reads it back for GraphQL. No polars here: the worker aggregates, this is the shape.
//!
//! Every table is *tidy*: one row per figure, with the same snake_case columns every time (the
//! CSV and Parquet files use exactly these field names, in this order).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The version of this shape written into every report; bump it when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// Counts from 1 to this are withheld in the public edition (primary suppression); so is any
/// count from which one of them could be worked out by subtraction from the totals (secondary
/// suppression).
pub const SUPPRESS_AT_OR_BELOW: i64 = 4;

/// What the public edition shows in place of a withheld count. The same for both kinds of
/// suppression, so that a reader cannot tell a count of 1 to 4 from one withheld to protect it.
pub const SUPPRESSED_TEXT: &str = "withheld";

/// What [`SUPPRESSED_TEXT`] means, for the paper's notes.
pub const SUPPRESSED_MEANING: &str = "Withheld: a count from 1 to 4, which could identify a person, or a count withheld so that such a count cannot be worked out from the totals.";

/// The figures of the report, by their stable names (the `metric` column). The order here is
/// the order of the summary table and of the committee paper.
pub const METRICS: &[(&str, &str)] = &[
    ("reports", "Reports of behaviour"),
    ("determinations", "Determinations"),
    (
        "determinations_unreasonable",
        "Determinations: behaviour unreasonable",
    ),
    ("stage_1_warnings", "Stage 1 warnings"),
    ("appeals_received", "Appeals received"),
    ("appeals_upheld", "Appeals upheld"),
    ("appeals_not_upheld", "Appeals not upheld"),
    ("stage_2_decisions", "Stage 2 decisions"),
    (
        "stage_2_immediate",
        "Stage 2 decisions made at once, without a warning",
    ),
    ("restrictions_imposed", "Restrictions imposed"),
    ("exclusions_temporary", "Exclusions: temporary"),
    ("exclusions_long_term", "Exclusions: long-term"),
    ("exclusions_permanent", "Exclusions: permanent"),
    ("exclusions_extended", "Exclusions: extended"),
    ("police_referrals", "Police referrals"),
    ("reviews", "Reviews held"),
    ("reviews_continue", "Reviews: continue restrictions"),
    (
        "reviews_partially_remove",
        "Reviews: partially remove restrictions",
    ),
    ("reviews_fully_remove", "Reviews: fully remove restrictions"),
    ("restrictions_lifted", "Restrictions lifted"),
    ("breaches", "Breaches"),
];

/// The policy stage each metric belongs to (the `stage` column of `by_stage`).
pub const STAGES: &[(&str, &str)] = &[
    ("report", "Report and determination (5.1)"),
    ("stage_1", "Stage 1: warning and appeal (5.1, 6)"),
    ("stage_2", "Stage 2: restricted contact and review (5.3, 7)"),
    ("health_and_safety", "Health and safety (3)"),
];

/// The stage a metric is counted under in `by_stage`.
pub fn stage_of(metric: &str) -> &'static str {
    match metric {
        "reports" | "determinations" | "determinations_unreasonable" => "report",
        "stage_1_warnings" | "appeals_received" | "appeals_upheld" | "appeals_not_upheld" => {
            "stage_1"
        }
        "exclusions_temporary"
        | "exclusions_long_term"
        | "exclusions_permanent"
        | "exclusions_extended"
        | "police_referrals" => "health_and_safety",
        _ => "stage_2",
    }
}

/// The metrics that have a restriction type (the `by_restriction_type` table): restrictions
/// imposed and lifted by their kind, breaches by the kind of the restriction breached.
pub const RESTRICTION_METRICS: &[&str] =
    &["restrictions_imposed", "restrictions_lifted", "breaches"];

/// Which edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edition {
    /// For publication: counts from 1 to 4 withheld (and what would give them away), no free
    /// text, no per-case rows.
    Public,
    /// For the Standards Committee: every count, with free text.
    Internal,
}

/// A service included in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRef {
    /// Service id.
    pub id: i64,
    /// Service code, e.g. `HOU`.
    pub code: String,
    /// Service name.
    pub name: String,
}

/// One figure beside the previous year's. In the public edition a withheld count (1 to 4, or
/// one that would give such a count away) is `None` with its `*_suppressed` flag set; in the
/// internal edition the flags are always false.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    /// This reporting year's count.
    pub count: Option<i64>,
    /// The previous reporting year's count.
    pub previous_count: Option<i64>,
    /// `count` was withheld (public edition).
    pub count_suppressed: bool,
    /// `previous_count` was suppressed.
    pub previous_count_suppressed: bool,
}

/// A row of the `summary` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Reporting year label, e.g. `2024-25`.
    pub reporting_year: String,
    /// Metric name (see [`METRICS`]).
    pub metric: String,
    /// The figure.
    #[serde(flatten)]
    pub figure: Figure,
}

/// A row of the `by_service` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// Service code.
    pub service_code: String,
    /// Service name.
    pub service_name: String,
    /// Metric name.
    pub metric: String,
    /// The figure.
    #[serde(flatten)]
    pub figure: Figure,
}

/// A row of the `by_stage` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// Stage (see [`STAGES`]).
    pub stage: String,
    /// Metric name.
    pub metric: String,
    /// The figure.
    #[serde(flatten)]
    pub figure: Figure,
}

/// A row of the `by_restriction_type` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionTypeRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// Restriction kind as stored (`time_limits`, … `termination`).
    pub restriction_type: String,
    /// Metric name (see [`RESTRICTION_METRICS`]).
    pub metric: String,
    /// The figure.
    #[serde(flatten)]
    pub figure: Figure,
}

/// A row of the `service_by_restriction_type` table: restrictions imposed, per service and kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRestrictionRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// Service code.
    pub service_code: String,
    /// Service name.
    pub service_name: String,
    /// Restriction kind.
    pub restriction_type: String,
    /// Metric name (always `restrictions_imposed`).
    pub metric: String,
    /// The figure.
    #[serde(flatten)]
    pub figure: Figure,
}

/// A row of the `monthly` table: a metric in one calendar month of the year, beside the same
/// month of the previous year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// Month, `YYYY-MM`.
    pub month: String,
    /// Metric name.
    pub metric: String,
    /// The figure.
    #[serde(flatten)]
    pub figure: Figure,
}

/// The outcome of one policy check on one case (8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The policy was followed.
    Met,
    /// It was not (or the record does not show it).
    NotMet,
    /// The check does not apply to this case (e.g. no appeal was made).
    NotApplicable,
}

/// A row of the `policy_checks` table: how many of the year's cases met, did not meet, or were
/// not subject to one check of 8.2 (`check` a column of the `cases` table, or `policy_followed`
/// with `met` / `not_met`), and the number of cases (`check` = `cases`, `outcome` =
/// `in_year`). The public edition has these counts (suppressed like the others) and no
/// per-case rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCheckRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// The check (see [`POLICY_CHECKS`]), `policy_followed` or `cases`.
    pub check: String,
    /// `met`, `not_met`, `not_applicable` (or `in_year` for the number of cases).
    pub outcome: String,
    /// How many cases.
    pub count: Option<i64>,
    /// `count` was withheld (public edition).
    pub count_suppressed: bool,
}

/// The checks of 8.2, as the columns of the `cases` table, in order.
pub const POLICY_CHECKS: &[&str] = &[
    "warning_before_stage_2",
    "appeal_rights_given",
    "appeal_decided",
    "customer_told",
    "review_within_period",
    "adjustments_considered",
];

/// A row of the `cases` table: one case's anonymised process record with the checks of 8.2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    /// Reporting year label.
    pub reporting_year: String,
    /// Case reference (never a name).
    pub case_reference: String,
    /// Service code.
    pub service_code: String,
    /// Where the case stood at the end of the year: `reported`, `determined_unreasonable`,
    /// `stage_1_warning`, `stage_2_restricted` or `closed`.
    pub stage_at_year_end: String,
    /// When it was opened.
    pub opened_on: NaiveDate,
    /// When it was closed, if by the end of the year.
    pub closed_on: Option<NaiveDate>,
    /// Kinds of restriction imposed on the case by the end of the year, `;`-separated, sorted.
    pub restriction_types: String,
    /// Each Stage 2 decision followed a warning, or was made at once with exceptional reasons
    /// recorded (5.1).
    pub warning_before_stage_2: Check,
    /// Each warning letter gave the right of appeal (a Stage 1 warning letter was issued, 6.1).
    pub appeal_rights_given: Check,
    /// Each appeal was decided (6.2).
    pub appeal_decided: Check,
    /// The customer was told of each decision: a letter for each warning, appeal decision,
    /// Stage 2 decision and endorsed review.
    pub customer_told: Check,
    /// Each review that fell due by the end of the year was held by its due date (7.1).
    pub review_within_period: Check,
    /// Reasonable adjustments were considered for each warning and Stage 2 decision (Equality
    /// Act 2010; ombudsmen's guidance).
    pub adjustments_considered: Check,
    /// Every applicable check was met.
    pub policy_followed: bool,
    /// Free text for the Committee (e.g. the exceptional reasons for an immediate Stage 2).
    /// Always `None` in the public edition.
    pub notes: Option<String>,
}

/// The annual report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReport {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Edition.
    pub edition: Edition,
    /// The year it starts in (2024 for April 2024 – March 2025).
    pub reporting_year: i32,
    /// Label, e.g. `2024-25`.
    pub reporting_year_label: String,
    /// The previous year's label.
    pub previous_year_label: String,
    /// First day of the year.
    pub period_start: NaiveDate,
    /// Last day of the year (inclusive).
    pub period_end: NaiveDate,
    /// The services included (all when the request named none).
    pub services: Vec<ServiceRef>,
    /// Whether the request named a subset of services.
    pub services_subset: bool,
    /// When it was generated.
    pub generated_at: DateTime<Utc>,
    /// Plain-English summary paragraphs for the committee paper.
    pub narrative: Vec<String>,
    /// One row per metric.
    pub summary: Vec<SummaryRow>,
    /// Per service and metric.
    pub by_service: Vec<ServiceRow>,
    /// Per stage and metric.
    pub by_stage: Vec<StageRow>,
    /// Per restriction kind and metric.
    pub by_restriction_type: Vec<RestrictionTypeRow>,
    /// Restrictions imposed per service and kind.
    pub service_by_restriction_type: Vec<ServiceRestrictionRow>,
    /// Per month and metric.
    pub monthly: Vec<MonthRow>,
    /// The checks of 8.2 counted over the year's cases.
    #[serde(default)]
    pub policy_checks: Vec<PolicyCheckRow>,
    /// Each case with activity in the year (internal edition only: the public edition carries
    /// no per-case rows, which would give back every withheld count).
    pub cases: Vec<CaseRow>,
}

/// The file names of a report's artifacts (one per table, plus the paper and the JSON), as
/// served at `GET /reports/{id}/{file}`.
pub const TABLES: &[&str] = &[
    "summary",
    "by_service",
    "by_stage",
    "by_restriction_type",
    "service_by_restriction_type",
    "monthly",
    "policy_checks",
    "cases",
];
