//! A throwaway PostgreSQL cluster for the test run, started from the machine's own PostgreSQL
//! binaries (`initdb`, `postgres` on PATH or under `/usr/lib/postgresql/*/bin`).
//!
//! One cluster per test process; each test gets its own database copied from a migrated
//! template. The cluster lives in a temporary directory owned by the `postgres` user (PostgreSQL
//! refuses to run as root) and listens only on a Unix socket in that directory. Its lifetime is
//! tied to this process through a pipe: when the test process exits for any reason, the pipe
//! closes, the wrapper script stops PostgreSQL and deletes the directory.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::OnceCell;

/// Set to `1` (CI does) to make a missing PostgreSQL fail the suite instead of skipping it.
pub const REQUIRE_ENV: &str = "UPC_REQUIRE_POSTGRES";

/// A running cluster.
pub struct PgCluster {
    socket_dir: PathBuf,
    /// Kept so the pipe to the wrapper's stdin stays open for the life of the process.
    _wrapper: Mutex<Child>,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();
static TEMPLATE: OnceCell<Result<(), String>> = OnceCell::const_new();
const TEMPLATE_DB: &str = "upc_template";

impl PgCluster {
    /// URL of a database in this cluster, as the `postgres` superuser over the socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}",
            self.socket_dir.display()
        )
    }

    /// The socket directory (for `psql -h`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }
}

/// The cluster, started on first use; `Err` says why PostgreSQL is not available.
pub fn cluster() -> Result<&'static PgCluster, String> {
    CLUSTER.get_or_init(start).as_ref().map_err(Clone::clone)
}

/// True when the run must fail rather than skip without PostgreSQL.
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A fresh, migrated database for one test; its URL.
pub async fn fresh_database() -> Result<String, String> {
    let cluster = cluster()?;
    TEMPLATE
        .get_or_init(|| async {
            let admin = Database::connect(cluster.url("postgres"))
                .await
                .map_err(|e| format!("connecting to the test cluster: {e}"))?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {TEMPLATE_DB}"))
                .await
                .map_err(|e| format!("creating the template database: {e}"))?;
            let _ = admin.close().await;
            let template = Database::connect(cluster.url(TEMPLATE_DB))
                .await
                .map_err(|e| format!("connecting to the template database: {e}"))?;
            Migrator::up(&template, None)
                .await
                .map_err(|e| format!("migrating the template database: {e}"))?;
            let _ = template.close().await;
            Ok(())
        })
        .await
        .clone()?;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(cluster.url("postgres"))
        .await
        .map_err(|e| format!("connecting to the test cluster: {e}"))?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
        .await
        .map_err(|e| format!("creating test database: {e}"))?;
    let _ = admin.close().await;
    Ok(cluster.url(&name))
}

/// An empty database (not migrated), for migration tests.
pub async fn empty_database() -> Result<String, String> {
    let cluster = cluster()?;
    let name = format!("e_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(cluster.url("postgres"))
        .await
        .map_err(|e| format!("connecting to the test cluster: {e}"))?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| format!("creating test database: {e}"))?;
    let _ = admin.close().await;
    Ok(cluster.url(&name))
}

/// A PostgreSQL binary: on PATH, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin").join(name);
            bin.is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Run `program args` as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_postgres(program: &Path, args: &[&str]) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn start() -> Result<PgCluster, String> {
    let initdb = find_binary("initdb").ok_or(
        "initdb not found on PATH or under /usr/lib/postgresql/*/bin (install postgresql)",
    )?;
    let postgres = find_binary("postgres").ok_or("postgres binary not found")?;
    let root = tempfile::Builder::new()
        .prefix("upc-pg-")
        .tempdir()
        .map_err(|e| format!("creating a temporary directory: {e}"))?
        .keep();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", root.display()))?;
    if running_as_root() {
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&root)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !status.success() {
            return Err("chown of the cluster directory to the postgres user failed (is there a `postgres` user?)".into());
        }
    }
    let data = root.join("data");
    let data_s = data.display().to_string();
    let out = as_postgres(
        &initdb,
        &[
            "-D",
            &data_s,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        ],
    )
    .output()
    .map_err(|e| format!("running initdb: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&root);
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // The wrapper starts postgres, then blocks reading stdin; when this process exits the pipe
    // closes, `read` returns and the wrapper stops postgres and removes the directory.
    let script = r#"
        "$1" -D "$2" -k "$3" -c listen_addresses= -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB \
             > "$3/postgres.log" 2>&1 &
        pid=$!
        read _ignored
        kill -INT "$pid" 2>/dev/null
        wait "$pid"
        rm -rf "$3"
    "#;
    let root_s = root.display().to_string();
    let sh = PathBuf::from("/bin/sh");
    let mut wrapper = as_postgres(
        &sh,
        &[
            "-c",
            script,
            "upc-pg",
            &postgres.display().to_string(),
            &data_s,
            &root_s,
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .map_err(|e| format!("starting postgres: {e}"))?;
    let socket = root.join(".s.PGSQL.5432");
    let deadline = Instant::now() + Duration::from_secs(30);
    let isready = find_binary("pg_isready");
    loop {
        if socket.exists() {
            let ready = match &isready {
                Some(bin) => Command::new(bin)
                    .args(["-q", "-h", &root_s, "-U", "postgres"])
                    .status()
                    .is_ok_and(|s| s.success()),
                None => true,
            };
            if ready {
                break;
            }
        }
        if let Ok(Some(status)) = wrapper.try_wait() {
            return Err(format!("postgres exited early ({status})"));
        }
        if Instant::now() > deadline {
            let mut log = String::new();
            if let Ok(mut f) = std::fs::File::open(root.join("postgres.log")) {
                let _ = f.read_to_string(&mut log);
            }
            let _ = wrapper.kill();
            return Err(format!("postgres did not become ready in 30 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(PgCluster {
        socket_dir: root,
        _wrapper: Mutex::new(wrapper),
    })
}

/// A PostgreSQL cluster of one test's own, which the test may stop and start again (the
/// shared cluster must never go away under the tests running beside it).
///
/// A wrapper script owns the server: it reads `stop` / `start` lines on its standard input
/// and answers each with one line when done; when the test process ends, the pipe closes and the
/// wrapper stops the server and removes the directory, as for the shared cluster.
pub struct OwnCluster {
    socket_dir: PathBuf,
    control: Mutex<(
        std::process::ChildStdin,
        std::io::BufReader<std::process::ChildStdout>,
    )>,
    _wrapper: Mutex<Child>,
}

impl OwnCluster {
    /// Create and start a cluster; `Err` says why PostgreSQL is not available.
    pub fn start() -> Result<OwnCluster, String> {
        use std::io::BufRead;
        let initdb = find_binary("initdb").ok_or("initdb not found (install postgresql)")?;
        let pg_ctl = find_binary("pg_ctl").ok_or("pg_ctl not found (install postgresql)")?;
        let root = tempfile::Builder::new()
            .prefix("upc-pg-own-")
            .tempdir()
            .map_err(|e| format!("creating a temporary directory: {e}"))?
            .keep();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", root.display()))?;
        if running_as_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&root)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("chown of the cluster directory to the postgres user failed".into());
            }
        }
        let data = root.join("data");
        let data_s = data.display().to_string();
        let out = as_postgres(
            &initdb,
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
        )
        .output()
        .map_err(|e| format!("running initdb: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&root);
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let script = r#"
            opts="-k $3 -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
            up() { "$1" -D "$2" -o "$opts" -l "$3/postgres.log" -w -t 60 start >/dev/null 2>&1; echo "start $?"; }
            down() { "$1" -D "$2" -m fast -w -t 60 stop >/dev/null 2>&1; echo "stop $?"; }
            up "$@"
            while read -r command; do
                case "$command" in
                    start) up "$@" ;;
                    stop) down "$@" ;;
                esac
            done
            "$1" -D "$2" -m immediate -w stop >/dev/null 2>&1
            rm -rf "$3"
        "#;
        let root_s = root.display().to_string();
        let mut wrapper = as_postgres(
            Path::new("/bin/sh"),
            &[
                "-c",
                script,
                "upc-pg-own",
                &pg_ctl.display().to_string(),
                &data_s,
                &root_s,
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
        let stdin = wrapper.stdin.take().ok_or("no stdin")?;
        let mut stdout = std::io::BufReader::new(wrapper.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .map_err(|e| format!("waiting for postgres: {e}"))?;
        if line.trim() != "start 0" {
            return Err(format!("postgres did not start: `{}`", line.trim()));
        }
        Ok(OwnCluster {
            socket_dir: root,
            control: Mutex::new((stdin, stdout)),
            _wrapper: Mutex::new(wrapper),
        })
    }

    /// URL of a database in this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}",
            self.socket_dir.display()
        )
    }

    /// The directory of its Unix socket (the `host` for `psql` and `pgbench`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// A new, migrated database; its URL.
    pub async fn migrated_database(&self, name: &str) -> Result<String, String> {
        let admin = Database::connect(self.url("postgres"))
            .await
            .map_err(|e| format!("connecting to the cluster: {e}"))?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("creating {name}: {e}"))?;
        let _ = admin.close().await;
        let db = Database::connect(self.url(name))
            .await
            .map_err(|e| format!("connecting to {name}: {e}"))?;
        Migrator::up(&db, None)
            .await
            .map_err(|e| format!("migrating {name}: {e}"))?;
        let _ = db.close().await;
        Ok(self.url(name))
    }

    fn command(&self, command: &str) -> Result<(), String> {
        use std::io::{BufRead, Write};
        let mut control = self.control.lock().map_err(|_| "control poisoned")?;
        let (stdin, stdout) = &mut *control;
        writeln!(stdin, "{command}").map_err(|e| format!("{command}: {e}"))?;
        stdin.flush().map_err(|e| format!("{command}: {e}"))?;
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .map_err(|e| format!("{command}: {e}"))?;
        if line.trim() == format!("{command} 0") {
            Ok(())
        } else {
            Err(format!("pg_ctl {command} answered `{}`", line.trim()))
        }
    }

    /// Stop the server (fast shutdown: sessions are ended, open transactions rolled back).
    pub fn stop(&self) -> Result<(), String> {
        self.command("stop")
    }

    /// Start the server again.
    pub fn restart(&self) -> Result<(), String> {
        self.command("start")
    }
}
