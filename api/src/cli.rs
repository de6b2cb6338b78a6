//! The `upc-api` command line (kept in the library so tests can check that compose.yaml and the
//! README only use commands the binary accepts).

use clap::{Parser, Subcommand};

/// The UPC case system's API server.
#[derive(Debug, Parser)]
#[command(name = "upc-api", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands of `upc-api`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending migrations and exit (the one-off migration step in production).
    Migrate,
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Exit 0 when the local server's /readyz answers 200 (a container health check).
    Healthcheck,
}
