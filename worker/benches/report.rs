//! The reporting benchmark (issue 6): `cargo bench -p worker --bench report`.
//!
//! It starts a throwaway PostgreSQL cluster from the machine's own binaries (as the test suite
//! and the API's load benchmark do), seeds it with the synthetic data set at scale 11 (about
//! 1,000,000 decisions: the same `api::seed::seed` that `upc-api seed --scale 11` runs, with its
//! default random seed), then times the real `upc-worker report --year Y --out DIR` (built with
//! the benchmark profile) as a child process: wall time and peak resident memory. Beside it, in
//! the same run, PostgreSQL copies the same rows and columns the report engine reads
//! (`COPY (SELECT …) TO STDOUT` through `psql`) as the floor: no report can be built faster
//! than its rows can be read out.
//!
//! Settings (environment): `UPC_BENCH_SCALE` (11), `UPC_BENCH_YEAR` (2024, the year 2024-25;
//! the data set covers April 2021 to March 2026), `UPC_BENCH_RUNS` (3),
//! `UPC_BENCH_EDITION` (`internal`).

#[path = "../../tests/src/postgres.rs"]
#[expect(
    dead_code,
    reason = "the test harness's cluster helpers the benchmark does not use"
)]
mod postgres;

use std::error::Error;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::Database;

type BoxError = Box<dyn Error + Send + Sync>;

const WORKER: &str = env!("CARGO_BIN_EXE_upc-worker");

/// `upc-api seed`'s default random seed (`api::cli::SeedArgs`).
const SEED: u64 = 9;

/// The rows and columns the report engine reads (`worker/src/report/facts.rs`), table by
/// table, in the order it reads them. Keep in step with the engine.
const COPIES: &[&str] = &[
    "SELECT id, code, name FROM service ORDER BY code",
    "SELECT id, service_id, reference, opened_at, closed_at FROM upc_case ORDER BY id",
    "SELECT id, case_id, occurred_at FROM behaviour_report ORDER BY id",
    "SELECT id, case_id, decided_at, unreasonable FROM determination ORDER BY id",
    "SELECT id, case_id, letter_date, adjustments_considered FROM stage_1_warning ORDER BY id",
    "SELECT id, case_id, received_on, decided_at, outcome FROM appeal ORDER BY id",
    "SELECT id, case_id, decided_on, warning_id, immediate, exceptional_reasons, \
     adjustments_considered, review_due_on FROM stage_2_decision ORDER BY id",
    "SELECT id, case_id, service_id, kind, starts_on, lifted_on FROM restriction ORDER BY id",
    "SELECT id, case_id, kind, starts_on FROM exclusion ORDER BY id",
    "SELECT id, case_id, referred_on FROM police_referral ORDER BY id",
    "SELECT id, case_id, recommended_on, recommendation, endorsed FROM review ORDER BY id",
    "SELECT id, case_id, restriction_id, occurred_at FROM breach ORDER BY id",
    "SELECT id, regarding_type, regarding_id, issued_at FROM letter \
     WHERE regarding_type IN ('stage_1_warning', 'appeal', 'stage_2_decision', 'review') \
     AND regarding_id IS NOT NULL ORDER BY id",
];

struct Config {
    scale: f64,
    year: i32,
    runs: usize,
    edition: String,
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
            scale: env_or("UPC_BENCH_SCALE", 11.0)?,
            year: env_or("UPC_BENCH_YEAR", 2024)?,
            runs: env_or::<usize>("UPC_BENCH_RUNS", 3)?.max(1),
            edition: env_or("UPC_BENCH_EDITION", "internal".to_string())?,
        })
    }
}

/// One timed run of a child process.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    wall: Duration,
    /// Peak resident set size in KiB, when it could be measured.
    peak_kib: Option<u64>,
}

/// `upc-worker`, without the benchmark's own variables (the settings refuse unknown `UPC_*`).
fn worker(url: &str, data: &Path) -> Command {
    let time = Path::new("/usr/bin/time");
    let mut c = if time.is_file() {
        let mut c = Command::new(time);
        c.arg("-v").arg(WORKER);
        c
    } else {
        Command::new(WORKER)
    };
    for (name, _) in std::env::vars() {
        if name.starts_with("UPC_") {
            c.env_remove(name);
        }
    }
    c.env("UPC_DATABASE_URL", url)
        .env("UPC_DATA_DIR", data)
        .env("UPC_LOG", "warn");
    c
}

/// The peak resident set size `/usr/bin/time -v` reports, in KiB.
fn time_peak(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|n| n.trim().parse().ok())
}

/// `VmHWM` (peak resident set size) of a running process, in KiB.
fn proc_peak(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

/// Run `upc-worker report` once into a fresh directory; the run and the files written.
fn report_once(
    cfg: &Config,
    url: &str,
    data: &Path,
    out: &Path,
) -> Result<(Run, Vec<(String, u64)>), BoxError> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    let mut command = worker(url, data);
    command
        .arg("report")
        .arg("--year")
        .arg(cfg.year.to_string())
        .arg("--out")
        .arg(out)
        .arg("--edition")
        .arg(&cfg.edition)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn()?;
    // Drain stderr on a thread so a chatty child never blocks on a full pipe.
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut polled = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        polled = proc_peak(child.id()).or(polled);
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed();
    let stderr = reader.join().map_err(|_| "stderr reader panicked")?;
    if !status.success() {
        return Err(format!("upc-worker report failed ({status}): {}", stderr.trim()).into());
    }
    let peak_kib = time_peak(&stderr).or(polled);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(out)? {
        let entry = entry?;
        files.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.metadata()?.len(),
        ));
    }
    files.sort();
    Ok((Run { wall, peak_kib }, files))
}

/// What one `psql` run of the copies gave.
#[derive(Clone, Copy, Debug, Default)]
struct Copied {
    wall: Duration,
    rows: u64,
    bytes: u64,
}

/// `COPY (…) TO STDOUT` for every table the engine reads, in one `psql` session.
fn copy_once(psql: &Path, socket: &Path, database: &str) -> Result<Copied, BoxError> {
    let script: String = COPIES
        .iter()
        .map(|select| format!("COPY ({select}) TO STDOUT;\n"))
        .collect();
    let mut child = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h"])
        .arg(socket)
        .arg("-d")
        .arg(database)
        .arg("-c")
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let started = Instant::now();
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut buffer = vec![0u8; 1 << 20];
    let (mut rows, mut bytes) = (0u64, 0u64);
    loop {
        let n = stdout.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        rows += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    let output = child.wait_with_output()?;
    let wall = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "psql COPY failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(Copied { wall, rows, bytes })
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_string(),
        |k| format!("{:.0} MiB", k as f64 / 1024.0),
    )
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

fn psql_binary() -> Result<PathBuf, BoxError> {
    postgres::find_binary("psql").ok_or_else(|| "psql not found (install postgresql)".into())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let cfg = Config::from_env()?;
    let psql = psql_binary()?;
    println!("machine: {}", machine());

    let cluster = postgres::OwnCluster::start()?;
    let database = "upc_bench";
    let url = cluster.migrated_database(database).await?;
    let data = tempfile::Builder::new().prefix("upc-bench-").tempdir()?;

    let scale = api::seed::Scale::new(cfg.scale)?;
    let db = Database::connect(&url).await?;
    let counts = api::seed::seed(&db, scale, SEED).await?;
    db.close().await?;
    println!(
        "seeded scale {} in {:.1} s: {} cases, {} restrictions, {} decisions",
        cfg.scale,
        counts.elapsed_ms as f64 / 1000.0,
        counts.cases,
        counts.restrictions,
        counts.decisions()
    );

    // Warm the cache once each way, then alternate the two, run by run.
    let out = data.path().join("report");
    let (_, files) = report_once(&cfg, &url, data.path(), &out)?;
    let warm = copy_once(&psql, cluster.socket_dir(), database)?;
    let mut reports = Vec::new();
    let mut copies = Vec::new();
    for _ in 0..cfg.runs {
        reports.push(report_once(&cfg, &url, data.path(), &out)?.0);
        copies.push(copy_once(&psql, cluster.socket_dir(), database)?);
    }

    let report_wall = median(reports.iter().map(|r| r.wall).collect());
    let peak = reports.iter().filter_map(|r| r.peak_kib).max();
    let copy_wall = median(copies.iter().map(|c| c.wall).collect());
    let total_bytes: u64 = files.iter().map(|(_, b)| b).sum();

    println!();
    println!(
        "scale {} on PostgreSQL ({} decisions), year {}-{:02}, {} edition, median of {} runs after a warm-up",
        cfg.scale,
        counts.decisions(),
        cfg.year,
        (cfg.year + 1) % 100,
        cfg.edition,
        cfg.runs
    );
    println!();
    println!("| measurement | wall time | peak memory |");
    println!("|---|---|---|");
    println!(
        "| `upc-worker report` (read, aggregate, write {} files, {:.1} MiB) | {} | {} |",
        files.len(),
        total_bytes as f64 / 1024.0 / 1024.0,
        secs(report_wall),
        mib(peak)
    );
    println!(
        "| PostgreSQL `COPY … TO STDOUT` of the same rows and columns ({} rows, {:.1} MiB, psql) | {} | |",
        warm.rows,
        warm.bytes as f64 / 1024.0 / 1024.0,
        secs(copy_wall)
    );
    println!(
        "| **report as a multiple of the COPY** | **{:.1}×** | |",
        report_wall.as_secs_f64() / copy_wall.as_secs_f64().max(f64::MIN_POSITIVE)
    );
    println!();
    println!(
        "runs (report, COPY): {}",
        reports
            .iter()
            .zip(&copies)
            .map(|(r, c)| format!("({}, {})", secs(r.wall), secs(c.wall)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
