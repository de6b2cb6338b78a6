//! The committee paper's plain-English summary: a few short sentences built from the summary
//! table, saying "a withheld number" wherever the edition withholds a count.

use api::reports::model::{Figure, SUPPRESSED_TEXT, SummaryRow};

/// `12 Stage 1 warnings`, `1 Stage 1 warning`, `a withheld number of Stage 1 warnings`.
fn quantity(count: Option<i64>, singular: &str, plural: &str) -> String {
    match count {
        Some(1) => format!("1 {singular}"),
        Some(n) => format!("{n} {plural}"),
        None => format!("a {SUPPRESSED_TEXT} number of {plural}"),
    }
}

fn number(count: Option<i64>) -> String {
    count.map_or_else(|| format!("a {SUPPRESSED_TEXT} number"), |n| n.to_string())
}

/// `up from 9 in 2023-24`, `down from …`, `the same as …`, or `compared with a withheld number …`.
fn change(figure: &Figure, previous_label: &str) -> String {
    let previous = number(figure.previous_count);
    match (figure.count, figure.previous_count) {
        (Some(now), Some(then)) if now > then => format!("up from {previous} in {previous_label}"),
        (Some(now), Some(then)) if now < then => {
            format!("down from {previous} in {previous_label}")
        }
        (Some(_), Some(_)) => format!("the same as in {previous_label}"),
        _ => format!("compared with {previous} in {previous_label}"),
    }
}

/// The summary's sentences.
pub(crate) fn sentences(summary: &[SummaryRow], label: &str, previous_label: &str) -> Vec<String> {
    let empty = Figure::default();
    let get = |metric: &str| {
        summary
            .iter()
            .find(|row| row.metric == metric)
            .map_or(&empty, |row| &row.figure)
    };
    let reports = get("reports");
    let warnings = get("stage_1_warnings");
    let stage_2 = get("stage_2_decisions");
    let exclusions = [
        ("temporary", get("exclusions_temporary")),
        ("long-term", get("exclusions_long_term")),
        ("permanent", get("exclusions_permanent")),
        ("extended", get("exclusions_extended")),
    ];
    let excluded = if exclusions.iter().all(|(_, f)| f.count == Some(0)) {
        "excluded no one from premises".to_string()
    } else {
        format!(
            "excluded customers from premises ({})",
            exclusions
                .iter()
                .map(|(kind, f)| format!("{kind}: {}", number(f.count)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    vec![
        format!(
            "In {label} the council received {} of unreasonably persistent behaviour, {}.",
            quantity(reports.count, "report", "reports"),
            change(reports, previous_label),
        ),
        format!(
            "It made {}, finding the behaviour unreasonable in {}.",
            quantity(
                get("determinations").count,
                "determination",
                "determinations"
            ),
            number(get("determinations_unreasonable").count),
        ),
        format!(
            "It issued {}, {}, and received {}: {} upheld and {} not upheld.",
            quantity(warnings.count, "Stage 1 warning", "Stage 1 warnings"),
            change(warnings, previous_label),
            quantity(get("appeals_received").count, "appeal", "appeals"),
            number(get("appeals_upheld").count),
            number(get("appeals_not_upheld").count),
        ),
        format!(
            "It made {} restricting contact ({} of them at once, without a warning), {}, imposing {} and lifting {}.",
            quantity(stage_2.count, "Stage 2 decision", "Stage 2 decisions"),
            number(get("stage_2_immediate").count),
            change(stage_2, previous_label),
            quantity(
                get("restrictions_imposed").count,
                "restriction",
                "restrictions"
            ),
            number(get("restrictions_lifted").count),
        ),
        format!(
            "It held {} of restrictions and recorded {} of them.",
            quantity(get("reviews").count, "review", "reviews"),
            quantity(get("breaches").count, "breach", "breaches"),
        ),
        format!(
            "For the safety of staff it {excluded} and made {}.",
            quantity(
                get("police_referrals").count,
                "police referral",
                "police referrals"
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, count: Option<i64>, previous_count: Option<i64>) -> SummaryRow {
        SummaryRow {
            reporting_year: "2024-25".into(),
            metric: metric.into(),
            figure: Figure {
                count,
                previous_count,
                count_suppressed: count.is_none(),
                previous_count_suppressed: previous_count.is_none(),
            },
        }
    }

    #[test]
    fn says_a_withheld_number_for_withheld_counts() {
        let summary = vec![
            row("reports", Some(12), Some(9)),
            row("stage_1_warnings", None, Some(7)),
        ];
        let text = sentences(&summary, "2024-25", "2023-24");
        assert!((3..=6).contains(&text.len()));
        assert!(text[0].contains("12 reports"));
        assert!(text[0].contains("up from 9 in 2023-24"));
        assert!(text[2].contains("a withheld number of Stage 1 warnings"));
        assert!(text[2].contains("compared with 7 in 2023-24"));
    }
}
