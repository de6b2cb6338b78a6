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

/// A running `upc-api serve` in `dir`: the child, its base URL and its standard error so far.
struct Server {
    child: std::process::Child,
    base: String,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut c = upc_api(dir);
        c.env("UPC_BIND", "127.0.0.1:0").stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("lines").push(line.clone());
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut url = None;
        while Instant::now() < deadline && url.is_none() {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
                && let Some(i) = line.find("http://")
            {
                url = line[i..]
                    .split(|c: char| c.is_whitespace() || c == '"')
                    .next()
                    .map(str::to_string);
            }
        }
        let url = url.expect("the server logs the URL it listens on");
        Server {
            child,
            base: url.trim_end_matches("/graphql").to_string(),
            lines,
        }
    }

    fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Wait for the process to exit, at most `limit`; its success.
    fn wait(&mut self, limit: Duration) -> Option<bool> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    fn stderr(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }
}

fn mint(dir: &Path) -> String {
    let out = upc_api(dir)
        .args(["token", "--role", "legal_services"])
        .output()
        .expect("token command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Send the head of a POST and the first half of its body; the rest is sent by `finish`.
fn half_request(addr: &str, token: &str, body: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    let (first, _) = body.split_at(body.len() / 2);
    write!(
        s,
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .expect("writes");
    s.flush().expect("flushes");
    s
}

fn finish(mut s: std::net::TcpStream, body: &str) -> String {
    use std::io::{Read, Write};
    let (_, rest) = body.split_at(body.len() / 2);
    s.write_all(rest.as_bytes()).expect("writes the rest");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn a_request_in_flight_during_sigterm_completes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let token = mint(dir.path());
    let body = r#"{"query":"{ me { subject } }"}"#;
    let in_flight = half_request(&server.addr(), &token, body);
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    // Shutting down: no new connections are taken ...
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(server.addr()).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        std::net::TcpStream::connect(server.addr()).is_err(),
        "the listener closes on SIGTERM"
    );
    // ... but the request already in flight is answered in full.
    let answer = finish(in_flight, body);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""subject":"local-legal_services""#),
        "{answer}"
    );
    assert_eq!(
        server.wait(Duration::from_secs(30)),
        Some(true),
        "exits cleanly once drained"
    );
}

#[test]
fn shutdown_waits_for_in_flight_requests_no_longer_than_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[("UPC_SHUTDOWN_GRACE_SECONDS", "1")]);
    let token = mint(dir.path());
    // A request whose body never finishes (the request timeout, 30 s, is far away).
    let _stuck = half_request(&server.addr(), &token, r#"{"query":"{ me { subject } }"}"#);
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    assert_eq!(
        server.wait(Duration::from_secs(15)),
        Some(true),
        "the process exits after the grace period instead of waiting for the stuck request"
    );
    assert!(
        server
            .stderr()
            .iter()
            .any(|l| l.contains("grace period over")),
        "{:?}",
        server.stderr()
    );
}

#[test]
fn json_logs_carry_request_id_user_and_operation_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[("UPC_LOG_FORMAT", "json"), ("UPC_LOG", "info")],
    );
    let token = mint(dir.path());
    let post = |body: &str| finish(half_request(&server.addr(), &token, body), body);
    let answer = post(r#"{"query":"query Who { me { subject } }","operationName":"Who"}"#);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A real database failure: the table the next query reads is renamed away.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let url = format!("sqlite://{}/data/upc.sqlite", dir.path().display());
        let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
        db.execute_unprepared("ALTER TABLE upc_case RENAME TO upc_case_gone")
            .await
            .unwrap();
        db.close().await.unwrap();
    });
    let answer = post(r#"{"query":"{ cases(first: 1) { nodes { id } } }"}"#);
    let json_start = answer.find("\r\n\r\n").map_or(0, |i| i + 4);
    let body: serde_json::Value = serde_json::from_str(&answer[json_start..]).expect("JSON body");
    let correlation = body["errors"][0]["extensions"]["correlationId"]
        .as_str()
        .expect("a correlation id")
        .to_string();
    assert!(!answer.contains("upc_case"), "{answer}");
    server.terminate();
    assert_eq!(server.wait(Duration::from_secs(30)), Some(true));

    let lines = server.stderr();
    let events: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let access = events
        .iter()
        .find(|e| e["fields"]["message"] == "request" && e["span"]["operation"] == "query:Who")
        .unwrap_or_else(|| panic!("an access line for the operation: {lines:#?}"));
    assert_eq!(access["span"]["user"], "local-legal_services");
    assert_eq!(access["fields"]["status"], 200);
    assert!(uuid_like(
        access["span"]["request_id"].as_str().unwrap_or_default()
    ));
    // The detail of the failure is logged under the id the client was given.
    let failure = events
        .iter()
        .find(|e| e["fields"]["correlation_id"] == correlation.as_str())
        .unwrap_or_else(|| panic!("the failure is logged with its correlation id: {lines:#?}"));
    assert!(
        failure["fields"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("upc_case"),
        "{failure}"
    );
    let signature = token.rsplit('.').next().unwrap_or_default();
    for line in &lines {
        assert!(!line.contains(&token), "a token was logged: {line}");
        assert!(!line.contains(signature), "a token was logged: {line}");
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}
