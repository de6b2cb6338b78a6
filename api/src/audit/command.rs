//! `upc-api audit verify` and `upc-api audit head`: what they print and how they exit.
//!
//! Exit codes: 0 the chain is intact (and contains the expected head, when one was given);
//! [`EXIT_BROKEN`] an event does not verify; [`EXIT_HEAD_MISSING`] the chain is intact but no
//! longer contains the expected head (its tail was removed or rewritten); 1 the check could not
//! be made (no database, not migrated); 2 the command line was wrong.

use std::process::ExitCode;

use super::verify::{self, Outcome};
use crate::cli::{AuditCommand, AuditVerifyArgs};
use crate::config::Settings;

/// Exit code when an event does not verify.
pub const EXIT_BROKEN: u8 = 3;
/// Exit code when the chain is intact but does not contain the expected head.
pub const EXIT_HEAD_MISSING: u8 = 4;

/// Run an `upc-api audit` command against the configured database.
pub async fn run(settings: &Settings, command: AuditCommand) -> ExitCode {
    if let Some(path) = missing_sqlite_file(settings) {
        return fail(&format!("no database at {path}"));
    }
    let db = match crate::db::connect(settings).await {
        Ok(db) => db,
        Err(e) => return fail(&e),
    };
    let code = match command {
        AuditCommand::Verify(args) => verify_command(&db, args).await,
        AuditCommand::Head => head_command(&db).await,
    };
    let _ = db.close().await;
    code
}

async fn verify_command(db: &sea_orm::DatabaseConnection, args: AuditVerifyArgs) -> ExitCode {
    let expect = args.expect_head.as_deref().map(str::trim);
    if let Some(hash) = expect
        && !is_hash(hash)
    {
        return fail(&format!(
            "--expect-head: `{hash}` is not a hash (64 hexadecimal digits, as `audit head` prints)"
        ));
    }
    let expect = expect.map(str::to_ascii_lowercase);
    let outcome = match verify::verify(db, args.page_size, expect.as_deref()).await {
        Ok(outcome) => outcome,
        Err(e) => {
            return fail(&format!(
                "reading the audit trail failed: {e} (is the database migrated? `upc-api migrate`)"
            ));
        }
    };
    match outcome {
        Outcome::Broken(broken) => {
            println!(
                "broken: event {}: {}; {} expected {}, found {}",
                broken.id,
                broken.fault.describe(),
                broken.fault.hash_name(),
                broken.expected,
                broken.found.as_deref().unwrap_or("(none)"),
            );
            println!(
                "{} events before it verified; nothing after it was checked",
                broken.intact_before
            );
            ExitCode::from(EXIT_BROKEN)
        }
        Outcome::Intact(intact) => {
            println!(
                "intact: {} events, head {}",
                intact.events,
                intact.head.as_deref().unwrap_or("none")
            );
            if intact.redacted > 0 {
                println!(
                    "redacted: {} (payload erased by retention; hashes intact)",
                    intact.redacted
                );
            }
            match (expect, intact.expected_head) {
                (None, _) => ExitCode::SUCCESS,
                (Some(hash), Some(found)) => {
                    println!(
                        "expected head {hash} found: event {} ({} of {}; {} events since)",
                        found.id,
                        found.position,
                        intact.events,
                        intact.events - found.position
                    );
                    ExitCode::SUCCESS
                }
                (Some(hash), None) => {
                    println!(
                        "missing: expected head {hash} is not in the chain (events were deleted or the chain was rewritten since it was exported)"
                    );
                    ExitCode::from(EXIT_HEAD_MISSING)
                }
            }
        }
    }
}

async fn head_command(db: &sea_orm::DatabaseConnection) -> ExitCode {
    match verify::head(db).await {
        Ok(head) => match serde_json::to_string(&head) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Err(e) => fail(&format!("reading the audit trail failed: {e}")),
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The embedded database's path when it does not exist: checking must not create an empty one.
fn missing_sqlite_file(settings: &Settings) -> Option<String> {
    if !settings.is_sqlite() {
        return None;
    }
    let url = &settings.database_url;
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(':') || std::path::Path::new(path).exists() {
        None
    } else {
        Some(path.to_string())
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("upc-api: error: {e}");
    ExitCode::FAILURE
}
