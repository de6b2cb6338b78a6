//! The report's files: JSON, one CSV and one Parquet file per table, and the committee paper.
//!
//! Every file is a pure function of the [`AnnualReport`]: rendering the same report twice gives
//! the same bytes (no clock, no random ids, no hash-map order), so a job that runs twice writes
//! the same artifact set.

mod chart;
mod csv;
mod paper;
mod parquet;
mod tables;

use anyhow::Context;
use api::reports::model::{AnnualReport, TABLES};

pub use self::paper::committee_paper;
pub use self::tables::frame;

/// `report.json`.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// `{table}.csv`.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// `{table}.parquet`.
pub const PARQUET_CONTENT_TYPE: &str = "application/vnd.apache.parquet";
/// `committee-paper.html`.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The report as JSON.
pub const JSON_FILE: &str = "report.json";
/// The committee paper.
pub const PAPER_FILE: &str = "committee-paper.html";

/// One file of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// File name, e.g. `summary.csv`.
    pub name: String,
    /// MIME type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Render every file of `report`: `report.json`, then `{table}.csv` and `{table}.parquet` for
/// each table of [`TABLES`] in order, then `committee-paper.html`.
pub fn render(report: &AnnualReport) -> anyhow::Result<Vec<Artifact>> {
    let mut artifacts = Vec::with_capacity(2 + 2 * TABLES.len());
    artifacts.push(Artifact {
        name: JSON_FILE.to_string(),
        content_type: JSON_CONTENT_TYPE,
        bytes: serde_json::to_vec(report).context("writing report.json")?,
    });
    for table in TABLES {
        let mut frame = frame(report, table)?;
        artifacts.push(Artifact {
            name: format!("{table}.csv"),
            content_type: CSV_CONTENT_TYPE,
            bytes: csv::write(&frame).with_context(|| format!("writing {table}.csv"))?,
        });
        artifacts.push(Artifact {
            name: format!("{table}.parquet"),
            content_type: PARQUET_CONTENT_TYPE,
            bytes: parquet::write(&mut frame)
                .with_context(|| format!("writing {table}.parquet"))?,
        });
    }
    artifacts.push(Artifact {
        name: PAPER_FILE.to_string(),
        content_type: HTML_CONTENT_TYPE,
        bytes: committee_paper(report)
            .context("writing the committee paper")?
            .into_bytes(),
    });
    Ok(artifacts)
}
