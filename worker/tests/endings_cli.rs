//! `upc-worker endings` as a process, on both databases, over the seeded data set (whose Stage 1
//! warnings were issued years ago): `--dry-run` prints one JSON line per case that has ended —
//! the same list the library gives — and changes nothing; without it the same cases are closed,
//! each with its letter and audit event; a second run closes nothing.

#![expect(
    clippy::expect_used,
    reason = "a test reports a failed set-up or a wrong answer by panicking"
)]

use std::collections::BTreeSet;
use std::process::{Command, Output};

use api::domain::lifecycle::LifecycleSettings;
use api::store::commands::endings::ended_cases;
use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};
use tests::app::TestApp;
use tests::db_tests;

const WORKER: &str = env!("CARGO_BIN_EXE_upc-worker");

fn endings(app: &TestApp, dry_run: bool) -> Output {
    let mut command = Command::new(WORKER);
    command.arg("endings");
    if dry_run {
        command.arg("--dry-run");
    }
    for (name, _) in std::env::vars() {
        if name.starts_with("UPC_") {
            command.env_remove(name);
        }
    }
    let output = command
        .env("UPC_DATABASE_URL", &app.database_url)
        .env("UPC_DATA_DIR", &app.data_dir)
        .env("UPC_RUN_MIGRATIONS", "false")
        .env("UPC_LOG", "warn")
        .output()
        .expect("upc-worker runs");
    assert!(
        output.status.success(),
        "upc-worker endings failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The case references printed, one JSON object per line.
fn listed(output: &Output) -> BTreeSet<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let reason = v["reason"].as_str().expect("a reason");
            assert!(
                reason.starts_with("warning period ended")
                    || reason.starts_with("restrictions ended"),
                "{v}"
            );
            v["reference"].as_str().expect("a reference").to_string()
        })
        .collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = &app.db;
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count");
    rows[0].try_get_by_index::<i64>(0).expect("a count")
}

db_tests! {
    async fn endings_command_lists_then_closes_the_ended_cases(app) {
        api::seed::seed(&app.db, api::seed::Scale::new(0.01).expect("scale"), 5)
            .await
            .expect("seeded");
        let expected: BTreeSet<String> =
            ended_cases(&app.db, &LifecycleSettings::default(), Utc::now())
                .await
                .expect("the library's list")
                .closed
                .into_iter()
                .map(|c| c.reference)
                .collect();
        assert!(!expected.is_empty(), "the seed has warnings whose period is over");
        let open_before = count(&app, "SELECT COUNT(*) FROM upc_case WHERE status = 'open'").await;

        let dry = endings(&app, true);
        assert_eq!(listed(&dry), expected);
        assert!(String::from_utf8_lossy(&dry.stderr).contains("nothing was changed"));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM upc_case WHERE status = 'open'").await,
            open_before,
            "the dry run changes nothing"
        );

        let run = endings(&app, false);
        assert_eq!(listed(&run), expected);
        let closed = expected.len() as i64;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM upc_case WHERE status = 'open'").await,
            open_before - closed
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM letter WHERE kind = 'case_closed'").await,
            closed,
            "one letter per case closed"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_event WHERE action = 'case.close_ended' \
                 AND actor_sub = 'system:endings'"
            )
            .await,
            closed,
            "one audit event per case closed"
        );

        let again = endings(&app, false);
        assert!(again.stdout.is_empty(), "a second run closes nothing");
        assert!(endings(&app, true).stdout.is_empty(), "nothing is left to close");
    }
}
