//! The load benchmark (issue 9): `cargo bench -p api --bench load`.
//!
//! It starts a throwaway PostgreSQL cluster from the machine's own binaries (as the test suite
//! does), seeds it with `upc-api seed` at the default scale, runs the real `upc-api` binary
//! (built with the benchmark profile) against it, and drives it over HTTP with 16 concurrent
//! connections: for each measurement a warm-up, then three runs of 15 s, and the medians.
//! Beside the case list it runs the same data as one hand-written SQL statement through
//! `pgbench -M prepared` at the same concurrency, in the same run, as the ceiling. It ends with
//! the API's resident memory and its cold start to `/readyz` on the embedded SQLite database.
//!
//! Settings (environment): `UPC_BENCH_SCALE` (1), `UPC_BENCH_SECONDS` (15), `UPC_BENCH_WARMUP`
//! (5), `UPC_BENCH_RUNS` (3), `UPC_BENCH_CONCURRENCY` (16). The load generator runs in this
//! process, on the same machine as the server and PostgreSQL, as pgbench's client does.

#[path = "../../tests/src/postgres.rs"]
#[expect(
    dead_code,
    reason = "the test harness's cluster helpers the benchmark does not use"
)]
mod postgres;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

type BoxError = Box<dyn Error + Send + Sync>;

const API: &str = env!("CARGO_BIN_EXE_upc-api");

const CASE_LIST: &str = "query { cases(first: 50) { edges { node { id reference serviceName customer { displayName } restrictions { kind startsOn reviewDueOn } } } } }";

/// The case list's data as one statement: the ceiling pgbench measures.
const CASE_LIST_SQL: &str = "SELECT c.id, c.reference, s.name AS service_name, cu.display_name, \
(SELECT json_agg(json_build_object('kind', r.kind, 'starts_on', r.starts_on, 'review_due_on', r.review_due_on) ORDER BY r.starts_on, r.id) \
 FROM restriction r WHERE r.case_id = c.id) AS restrictions \
FROM upc_case c JOIN service s ON s.id = c.service_id JOIN customer cu ON cu.id = c.customer_id \
ORDER BY c.id LIMIT 50;\n";

const CONTACT_CHECK: &str = "query($input: ContactCheckInput!) { contactCheck(input: $input) { allowed findings { kind blocks instruction } } }";

const TIMELINE: &str =
    "query($id: ID!) { case(id: $id) { reference timeline { at kind recordId summary } } }";

const CHANNELS: [&str; 6] = ["in_person", "telephone", "letter", "email", "fax", "web"];

struct Config {
    scale: f64,
    seconds: u64,
    warmup: u64,
    runs: usize,
    concurrency: usize,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T, BoxError> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("{name}={text} is not a valid value").into()),
        Err(_) => Ok(default),
    }
}

impl Config {
    fn from_env() -> Result<Self, BoxError> {
        Ok(Config {
            scale: env_or("UPC_BENCH_SCALE", 1.0)?,
            seconds: env_or("UPC_BENCH_SECONDS", 15)?,
            warmup: env_or("UPC_BENCH_WARMUP", 5)?,
            runs: env_or("UPC_BENCH_RUNS", 3)?,
            concurrency: env_or("UPC_BENCH_CONCURRENCY", 16)?,
        })
    }
}

/// One timed run: requests per second and latency percentiles.
#[derive(Clone, Copy, Default)]
struct Run {
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// The median of runs, figure by figure.
fn median(runs: &[Run]) -> Run {
    let pick = |f: &dyn Fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    Run {
        rate: pick(&|r| r.rate),
        p50: Duration::from_secs_f64(pick(&|r| r.p50.as_secs_f64())),
        p99: Duration::from_secs_f64(pick(&|r| r.p99.as_secs_f64())),
        errors: runs.iter().map(|r| r.errors).sum(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// What to send: a GraphQL body per request, from the worker's random numbers.
type MakeBody = Arc<dyn Fn(&mut StdRng) -> String + Send + Sync>;

/// `concurrency` workers send requests back to back for `seconds`.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &MakeBody,
    concurrency: usize,
    seconds: u64,
) -> Run {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (client, url, token, body) = (
            client.clone(),
            url.to_string(),
            token.to_string(),
            body.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(worker as u64 + 1);
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let payload = body(&mut rng);
                let t = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(payload)
                    .send()
                    .await;
                let ok = match response {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => !contains(&b, b"\"errors\""),
                        Err(_) => false,
                    },
                    _ => false,
                };
                latencies.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        if let Ok((l, e)) = w.await {
            all.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    Run {
        rate: all.len() as f64 / elapsed,
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        errors,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `upc-api`, without the benchmark's own variables (the API refuses unknown `UPC_*` settings).
fn api() -> Command {
    let mut c = Command::new(API);
    for (name, _) in std::env::vars() {
        if name.starts_with("UPC_BENCH_") || name == "UPC_REQUIRE_POSTGRES" {
            c.env_remove(name);
        }
    }
    c
}

/// The API's settings for the benchmark: the seeded database, a scratch data directory (the
/// embedded signing secret), no rate limit (one client sends thousands of requests a second).
fn api_command(url: &str, data: &Path) -> Command {
    let mut c = api();
    c.env("UPC_DATABASE_URL", url)
        .env("UPC_DATA_DIR", data)
        .env("UPC_LOG", "warn")
        .env("UPC_RATE_LIMIT_PER_MINUTE", "0")
        .env("UPC_RATE_LIMIT_ANONYMOUS_PER_MINUTE", "0")
        .env("UPC_DB_MAX_CONNECTIONS", "16");
    c
}

fn output(mut command: Command) -> Result<String, BoxError> {
    let out = command.output()?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn free_port() -> Result<u16, BoxError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Start `upc-api serve` and wait until `/readyz` answers 200; the server and the time taken.
async fn serve(mut command: Command) -> Result<(Server, Duration), BoxError> {
    let port = free_port()?;
    command
        .arg("serve")
        .env("UPC_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let child = command.spawn()?;
    let mut server = Server { child, base };
    loop {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
            && r.status().is_success()
        {
            return Ok((server, started.elapsed()));
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!("upc-api serve exited ({status})").into());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("upc-api did not become ready in 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Resident memory (VmRSS) in MiB.
    fn rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn pgbench_binary() -> Result<PathBuf, BoxError> {
    postgres::find_binary("pgbench").ok_or_else(|| "pgbench not found (install postgresql)".into())
}

/// One pgbench run of the case-list statement; transactions per second.
fn pgbench(
    bin: &Path,
    socket: &Path,
    script: &Path,
    database: &str,
    concurrency: usize,
    seconds: u64,
) -> Result<f64, BoxError> {
    let mut c = Command::new(bin);
    c.args(["-n", "-M", "prepared", "-U", "postgres"])
        .arg("-h")
        .arg(socket)
        .arg("-c")
        .arg(concurrency.to_string())
        .arg("-j")
        .arg("2")
        .arg("-T")
        .arg(seconds.to_string())
        .arg("-f")
        .arg(script)
        .arg(database);
    let text = output(c)?;
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no tps in pgbench's output: {text}").into())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cores} cores ({cpu}), {memory:.0} GiB")
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let cfg = Config::from_env()?;
    let pgbench_bin = pgbench_binary()?;
    let postgres_version = postgres::find_binary("postgres")
        .map(|p| {
            output({
                let mut c = Command::new(p);
                c.arg("--version");
                c
            })
        })
        .transpose()?
        .unwrap_or_default();
    println!("machine: {}; {postgres_version}", machine());

    let cluster = postgres::OwnCluster::start()?;
    let url = cluster.migrated_database("upc_bench").await?;
    let data = tempfile::Builder::new().prefix("upc-bench-").tempdir()?;

    let started = Instant::now();
    let mut seed = api_command(&url, data.path());
    seed.args(["seed", "--scale", &cfg.scale.to_string()]);
    let counts: serde_json::Value = serde_json::from_str(&output(seed)?)?;
    println!(
        "seeded scale {} in {:.1} s: {counts}",
        cfg.scale,
        started.elapsed().as_secs_f64()
    );

    // What the random requests pick from.
    let db = Database::connect(&url).await?;
    let backend = db.get_database_backend();
    let cases: Vec<(i64, i64, String)> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT c.id, c.customer_id, s.code FROM upc_case c JOIN service s ON s.id = c.service_id ORDER BY c.id",
        ))
        .await?
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get_by_index(0).ok()?,
                r.try_get_by_index(1).ok()?,
                r.try_get_by_index(2).ok()?,
            ))
        })
        .collect();
    let codes: Vec<String> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT code FROM service ORDER BY id",
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index(0).ok())
        .collect();
    db.close().await?;
    if cases.is_empty() {
        return Err("the seeded database has no cases".into());
    }

    let (server, _) = serve(api_command(&url, data.path())).await?;
    let token = |args: &[&str]| -> Result<String, BoxError> {
        let mut c = api_command(&url, data.path());
        c.arg("token").args(args).args(["--ttl", "2h"]);
        output(c)
    };
    let legal = token(&["--role", "legal_services", "--sub", "bench-legal"])?;
    let mut officer_args = vec!["--role", "officer", "--sub", "bench-officer"];
    for code in &codes {
        officer_args.extend(["--service", code.as_str()]);
    }
    let officer = token(&officer_args)?;
    let rss_before = server.rss_mib();

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.concurrency)
        .build()?;
    let graphql = format!("{}/graphql", server.base);

    let case_list: MakeBody = Arc::new(|_| json!({ "query": CASE_LIST }).to_string());
    let customers = cases.iter().map(|c| c.1).max().unwrap_or(1);
    let check_cases = Arc::new(cases.clone());
    let check_codes = Arc::new(codes.clone());
    // A random customer and channel; the service is one of the customer's cases' (so
    // restrictions are evaluated) half the time, any service the other half.
    let contact_check: MakeBody = Arc::new(move |rng| {
        let (customer, code) = if rng.random_bool(0.5) {
            let (_, customer, code) = &check_cases[rng.random_range(0..check_cases.len())];
            (*customer, code.clone())
        } else {
            (
                rng.random_range(1..=customers),
                check_codes[rng.random_range(0..check_codes.len())].clone(),
            )
        };
        json!({
            "query": CONTACT_CHECK,
            "variables": {"input": {
                "customerId": customer.to_string(),
                "serviceCode": code,
                "channel": CHANNELS[rng.random_range(0..CHANNELS.len())],
            }}
        })
        .to_string()
    });
    let timeline_cases = Arc::new(cases.iter().map(|c| c.0).collect::<Vec<_>>());
    let timeline: MakeBody = Arc::new(move |rng| {
        let id = timeline_cases[rng.random_range(0..timeline_cases.len())];
        json!({ "query": TIMELINE, "variables": {"id": id.to_string()} }).to_string()
    });

    let script = data.path().join("case_list.sql");
    std::fs::write(&script, CASE_LIST_SQL)?;

    // Warm up, then alternate the API's case list and pgbench's, run by run.
    drive(
        &client,
        &graphql,
        &legal,
        &case_list,
        cfg.concurrency,
        cfg.warmup,
    )
    .await;
    pgbench(
        &pgbench_bin,
        cluster.socket_dir(),
        &script,
        "upc_bench",
        cfg.concurrency,
        cfg.warmup.max(1),
    )?;
    let mut list_runs = Vec::new();
    let mut ceiling_runs = Vec::new();
    for _ in 0..cfg.runs {
        list_runs.push(
            drive(
                &client,
                &graphql,
                &legal,
                &case_list,
                cfg.concurrency,
                cfg.seconds,
            )
            .await,
        );
        ceiling_runs.push(Run {
            rate: pgbench(
                &pgbench_bin,
                cluster.socket_dir(),
                &script,
                "upc_bench",
                cfg.concurrency,
                cfg.seconds,
            )?,
            ..Run::default()
        });
    }
    let mut other = Vec::new();
    for (name, token, body) in [
        (
            "contact check (random customer, service, channel)",
            &officer,
            &contact_check,
        ),
        ("one case's full timeline", &legal, &timeline),
    ] {
        drive(&client, &graphql, token, body, cfg.concurrency, cfg.warmup).await;
        let mut runs = Vec::new();
        for _ in 0..cfg.runs {
            runs.push(drive(&client, &graphql, token, body, cfg.concurrency, cfg.seconds).await);
        }
        other.push((name, median(&runs)));
    }
    let rss_after = server.rss_mib();
    drop(server);

    // Cold start on the embedded database: a first start (creates and migrates the database)
    // and a restart over it, three of each.
    let mut first = Vec::new();
    let mut again = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::Builder::new().prefix("upc-cold-").tempdir()?;
        let embedded = || {
            let mut c = api();
            c.env("UPC_DATA_DIR", dir.path()).env("UPC_LOG", "warn");
            c
        };
        let (s, took) = serve(embedded()).await?;
        drop(s);
        first.push(took);
        let (s, took) = serve(embedded()).await?;
        drop(s);
        again.push(took);
    }
    first.sort();
    again.sort();

    let list = median(&list_runs);
    let ceiling = median(&ceiling_runs);
    println!();
    println!(
        "scale {} on PostgreSQL, {} concurrent connections, {} runs of {} s after {} s warm-up (medians)",
        cfg.scale, cfg.concurrency, cfg.runs, cfg.seconds, cfg.warmup
    );
    println!();
    println!("| measurement | requests/s | p50 | p99 | errors |");
    println!("|---|---|---|---|---|");
    println!(
        "| case list, 50 cases with customer, service, restrictions (API) | {:.0} | {} | {} | {} |",
        list.rate,
        ms(list.p50),
        ms(list.p99),
        list.errors
    );
    println!(
        "| the same data, one SQL statement (pgbench -M prepared) | {:.0} | | | |",
        ceiling.rate
    );
    println!(
        "| **API case list as a share of pgbench** | **{:.0}%** | | | |",
        100.0 * list.rate / ceiling.rate.max(f64::MIN_POSITIVE)
    );
    for (name, run) in &other {
        println!(
            "| {name} | {:.0} | {} | {} | {} |",
            run.rate,
            ms(run.p50),
            ms(run.p99),
            run.errors
        );
    }
    println!();
    println!("| resource | value |");
    println!("|---|---|");
    println!("| API resident memory after start | {rss_before:.1} MiB |");
    println!("| API resident memory after load | {rss_after:.1} MiB |");
    println!(
        "| cold start to /readyz, embedded SQLite, new database (median of 3) | {} |",
        ms(first[1])
    );
    println!(
        "| cold start to /readyz, embedded SQLite, existing database (median of 3) | {} |",
        ms(again[1])
    );
    Ok(())
}
