//! The `upc-api` binary as an operator meets it: starts with no configuration, and refuses bad
//! configuration with one clear line and a non-zero exit, never a panic.
#![expect(clippy::expect_used, reason = "a test reports failure by panicking")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_upc-api");

/// The binary with a clean environment (only PATH), in `dir`.
fn upc_api(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    c
}

fn run_to_end(mut c: Command) -> (bool, String) {
    let out = c.output().expect("binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_one_clear_line(stderr: &str, needle: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].starts_with("upc-api: error: "), "{stderr}");
    assert!(lines[0].contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn starts_with_no_configuration_on_embedded_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = upc_api(dir.path())
        // Port 0 so parallel runs never clash; everything else is the built-in default.
        .env("UPC_BIND", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut url = None;
    while Instant::now() < deadline && url.is_none() {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
            && let Some(i) = line.find("http://")
        {
            let rest = &line[i..];
            url = Some(rest.split_whitespace().next().unwrap().to_string());
        }
    }
    let url = url.expect("the server logs the URL it listens on");
    assert!(url.ends_with("/graphql"), "{url}");
    let base = url.trim_end_matches("/graphql");
    let health = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{base}/healthz"),
        ])
        .output();
    let status = match health {
        Ok(out) => String::from_utf8_lossy(&out.stdout).to_string(),
        Err(_) => {
            // No curl: fall back to a raw HTTP request.
            use std::io::{Read, Write};
            let addr = base.trim_start_matches("http://");
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut buf = String::new();
            s.read_to_string(&mut buf).unwrap();
            buf.split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string()
        }
    };
    assert_eq!(status, "200");
    assert!(
        dir.path().join("data/upc.sqlite").is_file(),
        "the SQLite file appears under the working directory"
    );
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = upc_api(dir.path());
    c.env("UPC_BIND", "not-an-address");
    let (ok, stderr) = run_to_end(c);
    assert!(!ok);
    assert_one_clear_line(&stderr, "UPC_BIND");
}

#[test]
fn an_unknown_setting_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = upc_api(dir.path());
    c.env("UPC_DATABSE_URL", "sqlite://x");
    let (ok, stderr) = run_to_end(c);
    assert!(!ok);
    assert_one_clear_line(&stderr, "unknown setting UPC_DATABSE_URL");
}

#[test]
fn an_unreachable_database_stops_start_up_without_leaking_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = upc_api(dir.path());
    c.env("UPC_DATABASE_URL", "postgres://upc:hunter2@127.0.0.1:1/upc")
        .env("UPC_DB_CONNECT_TIMEOUT_SECONDS", "2");
    let (ok, stderr) = run_to_end(c);
    assert!(!ok);
    assert_one_clear_line(&stderr, "cannot connect to database");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_failed_migration_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    // A table of the same name but another shape makes the first migration fail.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let url = format!("sqlite://{}/data/upc.sqlite?mode=rwc", dir.path().display());
        let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
        db.execute_unprepared("CREATE TABLE service (unrelated INTEGER)")
            .await
            .unwrap();
        db.close().await.unwrap();
    });
    let (ok, stderr) = run_to_end(upc_api(dir.path()));
    assert!(!ok);
    assert_one_clear_line(&stderr, "migrating database");
}

#[test]
fn schema_command_prints_the_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let out = upc_api(dir.path()).arg("schema").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("type Query"));
}
