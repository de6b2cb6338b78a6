//! No Docker engine runs here, so compose.yaml and the Dockerfile are checked as documents
//! against what the binaries actually accept.

use clap::CommandFactory;
use serde_norway::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn compose() -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/compose.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn service<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["services"]
        .get(name)
        .unwrap_or_else(|| panic!("compose.yaml has no `{name}` service"))
}

fn subcommands(cmd: clap::Command) -> Vec<String> {
    cmd.get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect()
}

/// The binary and subcommand a service runs, checked against the binaries' own CLIs.
fn assert_command_accepted(svc: &Value, name: &str) {
    let cmd: Vec<String> = svc["command"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{name}: command must be a list"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let accepted = match cmd[0].as_str() {
        "upc-api" => subcommands(api::cli::Cli::command()),
        "upc-worker" => subcommands(worker::cli::Cli::command()),
        other => panic!("{name}: unknown binary {other}"),
    };
    assert!(
        accepted.contains(&cmd[1]),
        "{name}: `{}` is not a subcommand of {} ({accepted:?})",
        cmd[1],
        cmd[0]
    );
}

fn environment(svc: &Value) -> Vec<(String, String)> {
    svc["environment"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_string(),
                        v.as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn compose_runs_postgres_16_with_a_named_volume_and_health_check() {
    let c = compose();
    let db = service(&c, "db");
    assert!(db["image"].as_str().unwrap().starts_with("postgres:16"));
    let volume = db["volumes"][0].as_str().unwrap();
    let name = volume.split(':').next().unwrap();
    assert!(
        c["volumes"].get(name).is_some(),
        "volume {name} must be a named volume declared at the top level"
    );
    assert!(db["healthcheck"]["test"].is_sequence());
}

#[test]
fn compose_migrates_once_before_api_and_worker() {
    let c = compose();
    let migrate = service(&c, "migrate");
    assert_command_accepted(migrate, "migrate");
    assert_eq!(migrate["command"][1].as_str(), Some("migrate"));
    assert_eq!(
        migrate["depends_on"]["db"]["condition"].as_str(),
        Some("service_healthy")
    );
    for name in ["api", "worker"] {
        let svc = service(&c, name);
        assert_command_accepted(svc, name);
        assert_eq!(
            svc["depends_on"]["migrate"]["condition"].as_str(),
            Some("service_completed_successfully"),
            "{name} must wait for the migration step"
        );
        let env = environment(svc);
        assert!(
            env.iter()
                .any(|(k, v)| k == "UPC_RUN_MIGRATIONS" && v == "false"),
            "{name} must not migrate itself (races)"
        );
    }
    let api = service(&c, "api");
    let check: Vec<&str> = api["healthcheck"]["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(check[0], "CMD");
    assert!(subcommands(api::cli::Cli::command()).contains(&check[2].to_string()));
}

#[test]
fn compose_environment_uses_only_settings_the_binaries_accept() {
    let c = compose();
    let known: Vec<&str> = api::config::SETTINGS.iter().map(|s| s.env).collect();
    for name in ["migrate", "api", "worker"] {
        for (key, _) in environment(service(&c, name)) {
            assert!(
                known.contains(&key.as_str()),
                "{name}: {key} is not a setting upc-api/upc-worker accept"
            );
        }
        let svc = service(&c, name);
        assert!(
            svc.get("build").is_some(),
            "{name} is built from the Dockerfile"
        );
    }
}

#[test]
fn compose_hard_codes_no_secret() {
    let c = compose();
    for (name, svc) in c["services"].as_mapping().unwrap() {
        for (key, value) in environment(svc) {
            let secretish = key.contains("PASSWORD") || key == "UPC_DATABASE_URL";
            if secretish {
                assert!(
                    value.contains("${"),
                    "{}: {key} must come from the environment, not be written in compose.yaml",
                    name.as_str().unwrap()
                );
            }
        }
    }
}

#[test]
fn dockerfile_is_multi_stage_and_ships_both_binaries() {
    let text = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).unwrap();
    let froms = text.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(froms >= 2, "the Dockerfile must be multi-stage");
    assert!(text.contains("upc-api") && text.contains("upc-worker"));
    assert!(
        text.contains("USER "),
        "the runtime image must not run as root"
    );
}
