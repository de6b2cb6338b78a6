//! `upc-worker`: the reporting worker.

use std::process::ExitCode;

use api::config::Settings;
use clap::Parser;
use worker::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    api::telemetry::init(&settings.log, settings.log_format);
    let db = match worker::startup::open_migrated(&settings).await {
        Ok(db) => db,
        Err(e) => return fail(&format!("{e:#}")),
    };
    match cli.command {
        Command::Check => {
            eprintln!("upc-worker: database reachable and migrated");
            ExitCode::SUCCESS
        }
        Command::Run => {
            // Report generation is not built yet (see the reporting-worker issue); until then
            // the worker only holds its connection and stops cleanly on SIGTERM.
            tracing::warn!("upc-worker: report generation is not available in this version");
            let _ = tokio::signal::ctrl_c().await;
            drop(db);
            ExitCode::SUCCESS
        }
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("upc-worker: error: {e}");
    ExitCode::FAILURE
}
