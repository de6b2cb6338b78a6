//! `upc-worker endings [--dry-run]`: close the cases that have ended (a Stage 1 warning whose
//! period is over with no further behaviour reported; a Stage 2 case whose restrictions all
//! ended after review), or list them. The rules are in `api::domain::endings`; the run is
//! `api::store::commands::endings::close_ended_cases`, which a scheduler may call directly.

use std::process::ExitCode;

use api::domain::lifecycle::LifecycleSettings;
use api::store::commands::endings::{EndingsRun, close_ended_cases, ended_cases};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clap::Args;
use sea_orm::DatabaseConnection;

/// Options of `upc-worker endings`.
#[derive(Debug, Clone, Args)]
pub struct EndingsArgs {
    /// List the cases that would be closed, one JSON object per line, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With `--dry-run`: list what would be closed as of this date (YYYY-MM-DD, noon UTC)
    /// instead of now.
    #[arg(long, value_name = "DATE", requires = "dry_run")]
    pub as_of: Option<NaiveDate>,
}

/// Run the command on `db`: closed (or closable) cases as JSON lines on standard output, a
/// summary on standard error.
pub async fn run(
    db: &DatabaseConnection,
    settings: &LifecycleSettings,
    args: &EndingsArgs,
) -> ExitCode {
    let now = args.as_of.map_or_else(Utc::now, |day| {
        DateTime::from_naive_utc_and_offset(day.and_time(NaiveTime::MIN), Utc)
            + chrono::Duration::hours(12)
    });
    let result = if args.dry_run {
        ended_cases(db, settings, now).await
    } else {
        close_ended_cases(db, settings, now).await
    };
    let run: EndingsRun = match result {
        Ok(run) => run,
        Err(e) => {
            eprintln!("upc-worker: error: closing ended cases: {}", e.message());
            return ExitCode::FAILURE;
        }
    };
    for closed in &run.closed {
        match serde_json::to_string(closed) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("upc-worker: error: {e}"),
        }
    }
    if args.dry_run {
        eprintln!(
            "upc-worker: dry run as of {now}: {} of {} candidate case(s) would be closed; nothing was changed",
            run.closed.len(),
            run.checked
        );
    } else {
        eprintln!(
            "upc-worker: endings: {} of {} candidate case(s) closed",
            run.closed.len(),
            run.checked
        );
    }
    ExitCode::SUCCESS
}
