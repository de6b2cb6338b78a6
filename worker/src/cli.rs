//! The `upc-worker` command line.

use clap::{Parser, Subcommand};

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
    /// Run until SIGTERM, processing report jobs from the database queue.
    Run,
    /// Check that the database is reachable and fully migrated, then exit.
    Check,
}
