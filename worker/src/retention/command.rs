//! `upc-worker retention [--dry-run]`: apply the schedule now, or list what it would do.

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use chrono_tz::Europe::London;
use clap::Args;
use sea_orm::DatabaseConnection;

use super::{Schedule, apply, plan};

/// Options of `upc-worker retention`.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// List what would be anonymised and why, one JSON object per line, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the schedule as of this date (YYYY-MM-DD) instead of today, e.g. to preview.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

/// Run the command on `db`.
pub async fn run(db: &DatabaseConnection, schedule: Schedule, args: &RetentionArgs) -> ExitCode {
    let today = args
        .as_of
        .unwrap_or_else(|| Utc::now().with_timezone(&London).date_naive());
    let due = match plan(db, &schedule, today).await {
        Ok(due) => due,
        Err(e) => {
            eprintln!("upc-worker: error: reading the retention plan: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let customers = due.iter().filter(|d| d.customer_too).count();
    if args.dry_run {
        for d in &due {
            let line = serde_json::json!({
                "case_reference": d.case_reference,
                "customer_reference": d.customer_reference,
                "rule": d.rule.as_str(),
                "basis_on": d.basis_on,
                "due_on": d.due_on,
                "customer_too": d.customer_too,
                "why": d.why(&schedule),
            });
            println!("{line}");
        }
        eprintln!(
            "upc-worker: dry run as of {today}: {} case(s) and {customers} customer(s) would be anonymised; nothing was changed",
            due.len()
        );
        return ExitCode::SUCCESS;
    }
    match apply(db, &schedule, &due).await {
        Ok(summary) => {
            match serde_json::to_string(&summary) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("upc-worker: error: {e}"),
            }
            eprintln!(
                "upc-worker: retention as of {today}: {} case(s) and {} customer(s) anonymised, {} audit payload(s) erased (run {})",
                summary.cases, summary.customers, summary.audit_events_redacted, summary.run_id
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("upc-worker: error: applying the retention schedule: {e:#}");
            ExitCode::FAILURE
        }
    }
}
