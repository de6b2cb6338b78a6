//! `upc`: everything `upc-api` does (the same commands, see [`api::cli::main`]), and under
//! `serve` (the default) an in-process reporting worker on the server's own database connection
//! (on the embedded SQLite, the one writer connection) with its scheduler (retention, case
//! endings, review reminders at their `schedule_*` times), stopping with the server. The embedded
//! quick start runs this, so a report asked for in GraphQL appears without a second process.

use api::cli::BackgroundTask;
use worker::runner::{AnnualReportJob, RunnerSettings};
use worker::scheduler::SchedulerSettings;

// As in `upc-api`: a GraphQL response is thousands of small allocations (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let worker: BackgroundTask = Box::new(|db, settings, stop| {
        Box::pin(async move {
            let runner = RunnerSettings::from_settings(&settings);
            let job = AnnualReportJob {
                year_start_month: settings.reporting_year_start_month,
            };
            let scheduler = SchedulerSettings {
                worker_id: runner.worker_id.clone(),
                ..SchedulerSettings::from_settings(&settings)
            };
            tokio::join!(
                worker::runner::run(&db, &runner, &job, stop.clone()),
                worker::scheduler::run(&db, &scheduler, stop),
            );
        })
    });
    api::cli::main(Some(worker)).await
}
