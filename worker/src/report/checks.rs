//! Where each case stood at a year end, and the policy checks of 8.2 on each case of the year,
//! as polars `group_by`s per case over the records dated before the period end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use api::reports::model::Check;
use chrono::NaiveDate;
use entities::enums::RestrictionKind;
use polars::prelude::*;

use super::aggregate::day;
use super::facts::{APPEAL_PENDING, Facts, from_days};

/// The values of `stage_at_year_end`, in the order the `by_stage` table lists them.
pub(crate) const YEAR_END_STAGES: &[&str] = &[
    "reported",
    "determined_unreasonable",
    "stage_1_warning",
    "stage_2_restricted",
    "closed",
];

/// The included cases with the first date of each step (`first_stage_2`, `first_warning`,
/// `first_unreasonable`), from which a stage at any date follows.
pub(crate) fn with_first_steps(facts: &Facts, included_cases: LazyFrame) -> LazyFrame {
    let first = |lf: LazyFrame, name: &str| {
        lf.group_by([col("case_id")])
            .agg([col("date").min().alias(name)])
    };
    included_cases
        .left_join(
            first(facts.stage_2.clone().lazy(), "first_stage_2"),
            col("case_id"),
            col("case_id"),
        )
        .left_join(
            first(facts.warnings.clone().lazy(), "first_warning"),
            col("case_id"),
            col("case_id"),
        )
        .left_join(
            first(
                facts
                    .determinations
                    .clone()
                    .lazy()
                    .filter(col("unreasonable")),
                "first_unreasonable",
            ),
            col("case_id"),
            col("case_id"),
        )
}

/// The stage at the end of the day before `end` (a text expression over [`with_first_steps`]).
pub(crate) fn stage_at(end: NaiveDate) -> Expr {
    when(col("closed").lt(day(end)))
        .then(lit("closed"))
        .when(col("first_stage_2").lt(day(end)))
        .then(lit("stage_2_restricted"))
        .when(col("first_warning").lt(day(end)))
        .then(lit("stage_1_warning"))
        .when(col("first_unreasonable").lt(day(end)))
        .then(lit("determined_unreasonable"))
        .otherwise(lit("reported"))
}

/// Cases opened before each year end, by their stage then: `[previous, this]` per stage.
pub(crate) fn cases_at_year_end(
    steps: &LazyFrame,
    end: NaiveDate,
    previous_end: NaiveDate,
) -> PolarsResult<HashMap<String, [i64; 2]>> {
    let mut counts: HashMap<String, [i64; 2]> = HashMap::new();
    for (slot, at) in [(0, previous_end), (1, end)] {
        let df = steps
            .clone()
            .filter(col("opened").lt(day(at)))
            .select([stage_at(at).alias("stage")])
            .group_by([col("stage")])
            .agg([len().cast(DataType::Int64).alias("n")])
            .collect()?;
        let stage = df.column("stage")?.str()?;
        let n = df.column("n")?.i64()?;
        for (stage, n) in stage.into_iter().zip(n) {
            if let (Some(stage), Some(n)) = (stage, n) {
                counts.entry(stage.to_string()).or_insert([0, 0])[slot] = n;
            }
        }
    }
    Ok(counts)
}

/// One case of the year with its checks, before suppression and labelling.
#[derive(Clone, Debug)]
pub(crate) struct CaseRecord {
    pub reference: String,
    pub service_id: i64,
    pub stage_at_year_end: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub restriction_types: String,
    pub warning_before_stage_2: Check,
    pub appeal_rights_given: Check,
    pub appeal_decided: Check,
    pub customer_told: Check,
    pub review_within_period: Check,
    pub adjustments_considered: Check,
    /// Exceptional reasons of the immediate Stage 2 decisions, in date order.
    pub notes: Option<String>,
}

/// The checks, by name: each is a frame of items (`case_id`, `ok`).
const CHECKS: &[&str] = &[
    "warning_before_stage_2",
    "appeal_rights_given",
    "appeal_decided",
    "customer_told",
    "review_within_period",
    "adjustments_considered",
];

fn check_of(applicable: i64, failing: i64) -> Check {
    if applicable == 0 {
        Check::NotApplicable
    } else if failing == 0 {
        Check::Met
    } else {
        Check::NotMet
    }
}

/// The case rows for `selected` (case ids) among `steps` (see [`with_first_steps`]), ordered by
/// reference, with checks over the records dated before `end`.
pub(crate) fn case_records(
    facts: &Facts,
    steps: &LazyFrame,
    selected: &[i64],
    end: NaiveDate,
) -> PolarsResult<Vec<CaseRecord>> {
    let before = |df: &DataFrame| df.clone().lazy().filter(col("date").lt(day(end)));
    // Letters per record they concern. The records checked are those dated before the end;
    // the evidence that the customer was told is a letter marked sent (it has a sent date),
    // whenever it went; a letter generated but never sent is "not met" (issue 19).
    let letters = |kind: i32| {
        facts
            .letters
            .clone()
            .lazy()
            .filter(col("regarding_type").eq(lit(kind)))
            .group_by([col("regarding_id")])
            .agg([len().alias("letters")])
    };
    let told = |items: LazyFrame, kind: i32| {
        items
            .left_join(letters(kind), col("id"), col("regarding_id"))
            .select([col("case_id"), col("letters").is_not_null().alias("ok")])
    };
    let warnings = before(&facts.warnings);
    let appeals = before(&facts.appeals);
    let stage_2 = before(&facts.stage_2);
    let endorsed_reviews = before(&facts.reviews).filter(col("endorsed"));
    let first_review = facts
        .reviews
        .clone()
        .lazy()
        .filter(col("date").is_not_null())
        .group_by([col("case_id")])
        .agg([col("date").min().alias("first_review")]);

    let items: Vec<LazyFrame> = vec![
        stage_2.clone().select([
            col("case_id"),
            col("warning_id")
                .is_not_null()
                .or(col("immediate").and(col("reasons")))
                .alias("ok"),
        ]),
        told(warnings.clone(), 0),
        appeals.clone().select([
            col("case_id"),
            col("outcome").neq(lit(APPEAL_PENDING)).alias("ok"),
        ]),
        concat(
            [
                told(warnings.clone(), 0),
                told(appeals.filter(col("outcome").neq(lit(APPEAL_PENDING))), 1),
                told(stage_2.clone(), 2),
                told(endorsed_reviews, 3),
            ],
            UnionArgs::default(),
        )?,
        stage_2
            .clone()
            .filter(col("review_due").lt(day(end)))
            .left_join(first_review, col("case_id"), col("case_id"))
            .select([
                col("case_id"),
                col("first_review")
                    .lt_eq(col("review_due"))
                    .fill_null(lit(false))
                    .alias("ok"),
            ]),
        concat(
            [
                warnings.select([col("case_id"), col("adjustments").alias("ok")]),
                stage_2.select([col("case_id"), col("adjustments").alias("ok")]),
            ],
            UnionArgs::default(),
        )?,
    ];

    let chosen = DataFrame::new(vec![Column::new("case_id".into(), selected.to_vec())])?.lazy();
    let mut rows = chosen.inner_join(
        steps.clone().with_column(stage_at(end).alias("stage_end")),
        col("case_id"),
        col("case_id"),
    );
    for (name, items) in CHECKS.iter().zip(items) {
        let per_case = items.group_by([col("case_id")]).agg([
            len().cast(DataType::Int64).alias(format!("{name}_n")),
            col("ok")
                .not()
                .cast(DataType::Int64)
                .sum()
                .alias(format!("{name}_bad")),
        ]);
        rows = rows.left_join(per_case, col("case_id"), col("case_id"));
    }
    let rows = rows
        .sort(["reference"], SortMultipleOptions::default())
        .collect()?;

    // Kinds of restriction imposed before the end, per selected case.
    let kinds_df = facts
        .restrictions
        .clone()
        .lazy()
        .filter(col("date").lt(day(end)))
        .inner_join(
            rows.clone().lazy().select([col("case_id")]),
            col("case_id"),
            col("case_id"),
        )
        .group_by([col("case_id"), col("kind")])
        .agg([len().alias("n")])
        .collect()?;
    let mut kinds: HashMap<i64, BTreeSet<&'static str>> = HashMap::new();
    for (case_id, kind) in kinds_df
        .column("case_id")?
        .i64()?
        .into_iter()
        .zip(kinds_df.column("kind")?.i32()?)
    {
        if let (Some(case_id), Some(kind)) = (case_id, kind)
            && let Some(kind) = RestrictionKind::ALL.get(kind as usize)
        {
            kinds.entry(case_id).or_default().insert(kind.as_str());
        }
    }

    // Exceptional reasons of immediate Stage 2 decisions before the end, per case.
    let mut reasons: HashMap<i64, BTreeMap<(NaiveDate, i64), &str>> = HashMap::new();
    for r in &facts.reasons {
        if r.decided_on < end {
            reasons
                .entry(r.case_id)
                .or_default()
                .insert((r.decided_on, r.id), r.text.as_str());
        }
    }

    let case_id = rows.column("case_id")?.i64()?;
    let reference = rows.column("reference")?.str()?;
    let service_id = rows.column("service_id")?.i64()?;
    let opened = rows.column("opened")?.cast(&DataType::Int32)?;
    let opened = opened.i32()?;
    let closed = rows.column("closed")?.cast(&DataType::Int32)?;
    let closed = closed.i32()?;
    let stage = rows.column("stage_end")?.str()?;
    let mut counts: Vec<(Int64Chunked, Int64Chunked)> = Vec::new();
    for name in CHECKS {
        counts.push((
            rows.column(&format!("{name}_n"))?.i64()?.clone(),
            rows.column(&format!("{name}_bad"))?.i64()?.clone(),
        ));
    }
    let end_days = super::facts::days(end);
    let mut records = Vec::with_capacity(rows.height());
    for row in 0..rows.height() {
        let id = case_id.get(row).unwrap_or_default();
        let check = |k: usize| {
            check_of(
                counts[k].0.get(row).unwrap_or(0),
                counts[k].1.get(row).unwrap_or(0),
            )
        };
        records.push(CaseRecord {
            reference: reference.get(row).unwrap_or_default().to_string(),
            service_id: service_id.get(row).unwrap_or_default(),
            stage_at_year_end: stage.get(row).unwrap_or("reported").to_string(),
            opened_on: from_days(opened.get(row).unwrap_or_default()),
            closed_on: closed.get(row).filter(|d| *d < end_days).map(from_days),
            restriction_types: kinds
                .get(&id)
                .map(|k| k.iter().copied().collect::<Vec<_>>().join(";"))
                .unwrap_or_default(),
            warning_before_stage_2: check(0),
            appeal_rights_given: check(1),
            appeal_decided: check(2),
            customer_told: check(3),
            review_within_period: check(4),
            adjustments_considered: check(5),
            notes: reasons
                .get(&id)
                .map(|r| r.values().copied().collect::<Vec<_>>().join("; ")),
        });
    }
    Ok(records)
}
