//! `upc-worker retention` as a process, on both databases: `--dry-run` prints one JSON line per
//! case the schedule makes due (the same list the library plans) and changes nothing; without it
//! the same cases are anonymised and registered.

#![expect(
    clippy::expect_used,
    reason = "a test reports a failed set-up or a wrong answer by panicking"
)]

use std::collections::BTreeSet;
use std::process::{Command, Output};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Statement};
use tests::app::TestApp;
use tests::db_tests;
use worker::retention::{Schedule, plan};

const WORKER: &str = env!("CARGO_BIN_EXE_upc-worker");
const AS_OF: &str = "2032-01-01";

fn retention(app: &TestApp, dry_run: bool) -> Output {
    let mut command = Command::new(WORKER);
    command.arg("retention").args(["--as-of", AS_OF]);
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
        "upc-worker retention failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

async fn disposals(app: &TestApp) -> i64 {
    let db = &app.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM disposal WHERE entity_type = 'upc_case'",
        ))
        .await
        .expect("count");
    rows[0].try_get_by_index::<i64>(0).expect("a count")
}

db_tests! {
    async fn retention_command_lists_then_applies_the_schedule(app) {
        api::seed::seed(&app.db, api::seed::Scale::new(0.01).expect("scale"), 5)
            .await
            .expect("seeded");
        // The defaults: 6 years after restrictions end, 2 after a closure without any.
        let schedule = Schedule { years_after_restriction: 6, years_after_closure: 2 };
        let as_of: NaiveDate = AS_OF.parse().expect("a date");
        let planned: BTreeSet<String> = plan(&app.db, &schedule, as_of)
            .await
            .expect("plan")
            .into_iter()
            .map(|d| d.case_reference)
            .collect();
        assert!(!planned.is_empty(), "the seed has cases due by {AS_OF}");

        let dry = retention(&app, true);
        let listed: BTreeSet<String> = String::from_utf8_lossy(&dry.stdout)
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
                assert!(v["why"].as_str().is_some_and(|w| w.contains("fell due")), "{v}");
                v["case_reference"].as_str().expect("a reference").to_string()
            })
            .collect();
        assert_eq!(listed, planned);
        assert!(String::from_utf8_lossy(&dry.stderr).contains("nothing was changed"));
        assert_eq!(disposals(&app).await, 0, "the dry run changes nothing");

        let run = retention(&app, false);
        let summary: serde_json::Value =
            serde_json::from_slice(&run.stdout).expect("the run's summary");
        assert_eq!(summary["cases"].as_u64(), Some(planned.len() as u64));
        assert_eq!(disposals(&app).await, planned.len() as i64);
        let again = retention(&app, true);
        assert!(again.stdout.is_empty(), "nothing is due after the run");
    }
}
