//! `upc-worker`: the reporting worker (see [`worker::cli`]).

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    worker::cli::execute(worker::cli::Cli::parse()).await
}
