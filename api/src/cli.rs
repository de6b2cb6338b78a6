//! The `upc-api` command line (kept in the library so tests can check that compose.yaml and the
//! README only use commands the binary accepts).

use clap::{Parser, Subcommand};

mod entry;

pub use entry::{BackgroundTask, main, shutdown_signal};

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
    /// Load the small demonstration data set (a few services, customers and cases).
    DemoData,
    /// Print a bearer token for the embedded signing secret (embedded mode only), so a newcomer
    /// can call the API at once.
    Token(TokenArgs),
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Exit 0 when the local server's /readyz answers 200 (a container health check).
    Healthcheck,
    /// Check or export the tamper-evident audit trail (`audit verify`, `audit head`).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Fill an empty database with the synthetic data set for benchmarks (never production).
    Seed(SeedArgs),
}

/// Arguments of `upc-api token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// A role the token holds (repeatable), e.g. `officer`, `legal_services`.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// A service code the holder belongs to (repeatable), e.g. `CS`.
    #[arg(long = "service")]
    pub services: Vec<String>,
    /// The subject (user id); defaults to `local-<first role>`.
    #[arg(long)]
    pub sub: Option<String>,
    /// The display name.
    #[arg(long)]
    pub name: Option<String>,
    /// How long the token is valid: `90s`, `30m`, `8h`, `7d`.
    #[arg(long, default_value = "8h")]
    pub ttl: String,
}

/// Arguments of `upc-api seed`.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Size: 1 is 25 services, 20,000 customers, 30,000 cases, about 90,000 decisions;
    /// 11 is about a million decisions.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// The random seed; the same scale and seed always make the same rows.
    #[arg(long, default_value_t = 9)]
    pub seed: u64,
}

/// The commands of `upc-api audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain in order and report the first broken event, or "intact" with the
    /// count and head hash. Exit 0 intact, 3 broken, 4 expected head missing, 1 could not check.
    Verify(AuditVerifyArgs),
    /// Print the chain's head hash, event count and time as one JSON line, to keep outside the
    /// database (check it later with `audit verify --expect-head`).
    Head,
}

/// Arguments of `upc-api audit verify`.
#[derive(Debug, clap::Args)]
pub struct AuditVerifyArgs {
    /// A head hash exported earlier (`audit head`): the chain must still contain it, or events
    /// were deleted or rewritten since (exit 4).
    #[arg(long, value_name = "HASH")]
    pub expect_head: Option<String>,
    /// Events read per query (memory use grows with it, not with the size of the trail).
    #[arg(long, default_value_t = crate::audit::verify::DEFAULT_PAGE_SIZE, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub page_size: u64,
}

/// Parse a duration written `90s`, `30m`, `8h` or `7d`.
pub fn parse_ttl(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 90s, 30m, 8h or 7d"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration such as 90s, 30m, 8h or 7d"
            ));
        }
    };
    if seconds == 0 {
        return Err("the duration must be more than zero".into());
    }
    Ok(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_ttl("30m").unwrap().as_secs(), 1800);
        assert_eq!(parse_ttl("8h").unwrap().as_secs(), 28_800);
        assert_eq!(parse_ttl("7d").unwrap().as_secs(), 604_800);
        assert!(parse_ttl("8").is_err());
        assert!(parse_ttl("0h").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
