//! The `upc-worker` command line and what each command does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use api::config::Settings;
use api::reports::model::Edition;
use clap::{Parser, Subcommand, ValueEnum};
use entities::service;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::watch;

use crate::report::ReportRequest;
use crate::runner::{self, AnnualReportJob, Outcome, RunnerSettings};

/// The UPC reporting worker.
#[derive(Debug, Parser)]
#[command(name = "upc-worker", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `upc-worker`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run until SIGTERM or Ctrl-C, processing report jobs from the database queue and running
    /// the scheduled jobs (`schedule_*` settings) at their times. On the signal, no new job is
    /// claimed; the running one may finish within `worker_shutdown_grace_seconds`, else it is
    /// handed back to the queue (a scheduled run: given up for another worker). Exits 0.
    Run(RunArgs),
    /// Claim one due report job, run it and exit (0 when it is done, or when nothing was due;
    /// 1 when it failed).
    Once(RunArgs),
    /// Build a report straight from the database into files in a directory, without the queue.
    Report(ReportArgs),
    /// Apply the retention schedule now (anonymise what is due), or list it with `--dry-run`.
    Retention(crate::retention::command::RetentionArgs),
    /// Print each scheduled job's setting and its next fire times (UTC), then exit.
    Schedule(ScheduleArgs),
    /// Close the cases that have ended — a Stage 1 warning whose period is over with no
    /// further behaviour reported, a Stage 2 case whose restrictions all ended after review —
    /// writing to each customer; or list them with `--dry-run`. Safe to run often and from
    /// several workers at once.
    Endings(crate::endings::EndingsArgs),
    /// Check that the database is reachable and fully migrated, then exit.
    Check,
}

/// Options of `schedule`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScheduleArgs {
    /// How many fire times to list per job.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub count: u16,
}

/// Options of `run` and `once`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Test only: wait this many milliseconds inside each job before building it, so a test can
    /// stop or kill the worker mid-job.
    #[arg(long, hide = true, value_name = "MS")]
    pub test_pause_in_job_ms: Option<u64>,
}

/// Which edition to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EditionArg {
    /// For publication: counts from 1 to 4 suppressed, no free text.
    Public,
    /// For the Standards Committee: every count, with free text.
    Internal,
}

impl From<EditionArg> for Edition {
    fn from(e: EditionArg) -> Self {
        match e {
            EditionArg::Public => Edition::Public,
            EditionArg::Internal => Edition::Internal,
        }
    }
}

/// Options of `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// The year the reporting year starts in (2024 for April 2024 to March 2025).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=2999))]
    pub year: i32,
    /// Directory to write the files into (created if missing; files of the same name replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Public (suppressed) or internal edition.
    #[arg(long, value_enum, default_value_t = EditionArg::Public)]
    pub edition: EditionArg,
    /// Only this service (its code, e.g. `HOUSING`); repeatable. All services when omitted.
    #[arg(long = "service", value_name = "CODE")]
    pub services: Vec<String>,
}

/// Run the parsed command line: what `upc-worker` does.
pub async fn execute(cli: Cli) -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    api::telemetry::init(&settings.log, settings.log_format);
    if let Command::Schedule(args) = &cli.command {
        return print_schedule(&settings, args);
    }
    let db = match crate::startup::open_migrated(&settings).await {
        Ok(db) => db,
        Err(e) => return fail(&format!("{e:#}")),
    };
    match cli.command {
        Command::Check => {
            eprintln!("upc-worker: database reachable and migrated");
            ExitCode::SUCCESS
        }
        Command::Run(args) => {
            let stop = match stop_on_signal() {
                Ok(stop) => stop,
                Err(e) => return fail(&e),
            };
            let runner = runner_settings(&settings, &args);
            let job = AnnualReportJob {
                year_start_month: settings.reporting_year_start_month,
            };
            let scheduler = crate::scheduler::SchedulerSettings {
                worker_id: runner.worker_id.clone(),
                ..crate::scheduler::SchedulerSettings::from_settings(&settings)
            };
            tokio::join!(
                runner::run(&db, &runner, &job, stop.clone()),
                crate::scheduler::run(&db, &scheduler, stop),
            );
            ExitCode::SUCCESS
        }
        // Answered before the database is opened.
        Command::Schedule(args) => print_schedule(&settings, &args),
        Command::Once(args) => once(&db, &settings, &args).await,
        Command::Retention(args) => {
            let schedule = crate::retention::Schedule::from_settings(&settings);
            crate::retention::command::run(&db, schedule, &args).await
        }
        Command::Endings(args) => crate::endings::run(&db, &settings.lifecycle(), &args).await,
        Command::Report(args) => match offline_report(&db, &settings, &args).await {
            Ok(files) => {
                for file in &files {
                    println!("{}", file.display());
                }
                eprintln!(
                    "upc-worker: wrote {} files to {}",
                    files.len(),
                    args.out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&format!("{e:#}")),
        },
    }
}

fn runner_settings(settings: &Settings, args: &RunArgs) -> RunnerSettings {
    let mut runner = RunnerSettings::from_settings(settings);
    runner.pause_in_job = args
        .test_pause_in_job_ms
        .map(std::time::Duration::from_millis);
    runner
}

/// `upc-worker schedule`: one line per job, `job<TAB>setting<TAB>next fire times`.
fn print_schedule(settings: &Settings, args: &ScheduleArgs) -> ExitCode {
    let scheduler = crate::scheduler::SchedulerSettings::from_settings(settings);
    let now = chrono::Utc::now();
    for (job, setting, times) in
        crate::scheduler::upcoming(&scheduler, now, usize::from(args.count))
    {
        let times: Vec<String> = times
            .iter()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .collect();
        let next = if times.is_empty() {
            "never".to_string()
        } else {
            times.join(" ")
        };
        println!("{}\t{setting}\t{next}", job.as_str());
    }
    ExitCode::SUCCESS
}

/// `upc-worker once`.
async fn once(db: &DatabaseConnection, settings: &Settings, args: &RunArgs) -> ExitCode {
    let stop = match stop_on_signal() {
        Ok(stop) => stop,
        Err(e) => return fail(&e),
    };
    let runner = runner_settings(settings, args);
    let job = AnnualReportJob {
        year_start_month: settings.reporting_year_start_month,
    };
    match runner::run_once(db, &runner, &job, stop).await {
        Ok(None) => {
            eprintln!("upc-worker: the queue is empty: no report job is due");
            ExitCode::SUCCESS
        }
        Ok(Some(outcome)) => match outcome {
            Outcome::Done { job_id, artifacts } => {
                eprintln!("upc-worker: report job {job_id} done ({artifacts} files)");
                ExitCode::SUCCESS
            }
            Outcome::Released { job_id } => {
                eprintln!("upc-worker: stopped; report job {job_id} handed back to the queue");
                ExitCode::SUCCESS
            }
            Outcome::Retrying { job_id, reason } => fail(&format!(
                "report job {job_id} failed and will be retried: {reason}"
            )),
            Outcome::Failed { job_id, reason } => {
                fail(&format!("report job {job_id} failed: {reason}"))
            }
            Outcome::LeaseLost { job_id } => fail(&format!(
                "report job {job_id} was taken over by another worker; this run was discarded"
            )),
            Outcome::Unrecorded { job_id } => fail(&format!(
                "the result of report job {job_id} could not be stored; it will run again"
            )),
        },
        Err(e) => fail(&format!("cannot claim a report job: {e}")),
    }
}

/// `upc-worker report`: build and render, then write each file into `args.out`. Returns the
/// paths written.
pub async fn offline_report(
    db: &DatabaseConnection,
    settings: &Settings,
    args: &ReportArgs,
) -> anyhow::Result<Vec<PathBuf>> {
    let services = service_ids(db, &args.services).await?;
    let request = ReportRequest {
        reporting_year: args.year,
        year_start_month: settings.reporting_year_start_month,
        services,
        edition: args.edition.into(),
    };
    let report = crate::report::build(db, &request, &|_| {}).await?;
    let artifacts = tokio::task::spawn_blocking(move || crate::output::render(&report))
        .await
        .context("rendering the report")??;
    write_files(&args.out, &artifacts)
}

/// Service codes to ids; an unknown code is an error naming it.
async fn service_ids(
    db: &DatabaseConnection,
    codes: &[String],
) -> anyhow::Result<Option<Vec<i64>>> {
    if codes.is_empty() {
        return Ok(None);
    }
    let found = service::Entity::find()
        .filter(service::Column::Code.is_in(codes.iter().map(String::as_str)))
        .all(db)
        .await
        .context("reading services")?;
    let mut ids = Vec::with_capacity(codes.len());
    for code in codes {
        match found.iter().find(|s| &s.code == code) {
            Some(s) => ids.push(s.id),
            None => anyhow::bail!("--service {code}: no service has that code"),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

fn write_files(dir: &Path, artifacts: &[crate::output::Artifact]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::with_capacity(artifacts.len());
    for artifact in artifacts {
        // Names come from the renderer; refuse anything that is not a plain file name.
        if artifact.name.is_empty()
            || artifact.name.contains(['/', '\\'])
            || artifact.name.starts_with('.')
        {
            anyhow::bail!("refusing to write a file named `{}`", artifact.name);
        }
        let path = dir.join(&artifact.name);
        std::fs::write(&path, &artifact.bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A receiver that turns `true` on SIGTERM or SIGINT (Ctrl-C). The handlers are installed
/// before this returns, so a signal arriving at any later moment is seen.
pub fn stop_on_signal() -> Result<watch::Receiver<bool>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("stop requested; no new report job will be claimed");
        let _ = tx.send(true);
        // Keep the sender alive so receivers see `true`, not a closed channel, and keep the
        // handlers installed so a second signal does not kill the process mid-handover.
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
    });
    Ok(rx)
}

/// One clear line on standard error and a non-zero exit.
fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("upc-worker: error: {e}");
    ExitCode::FAILURE
}
