//! Opening the database (embedded SQLite or PostgreSQL) and applying migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::config::Settings;

/// Why the database could not be opened or migrated. The message says what and where, without
/// the password of the URL.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    /// The data directory for the embedded database could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The database did not answer.
    #[error("cannot connect to database {url}: {detail}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver's message.
        detail: String,
    },
    /// A migration failed.
    #[error("migrating database {url} failed: {detail}")]
    Migrate {
        /// The URL, password removed.
        url: String,
        /// The migration's message.
        detail: String,
    },
}

/// The URL with any password replaced, safe to log.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// How long a pooled connection may lie idle before it is tested on being lent again.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Open the configured database, creating the embedded SQLite file and its directory if needed.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbSetupError> {
    let url = settings.database_url.clone();
    let safe = redact_url(&url);
    let mut options = ConnectOptions::new(url.clone());
    options
        .connect_timeout(Duration::from_secs(settings.db_connect_timeout_seconds))
        .acquire_timeout(Duration::from_secs(settings.db_acquire_timeout_seconds))
        // The pool tests a connection with a round trip to the database before lending it only
        // when it has lain idle (a restarted server, a proxy or firewall that dropped it): by
        // default every statement would pay that round trip, and a contact check or a page of
        // cases runs several. A connection lent and released a moment ago is known to work (the
        // pool tests it on release too); should it fail all the same, the request's error is
        // told from the database's absence as any failure is (`DbHealth`, 503).
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false);
    if settings.is_sqlite() {
        if let Some(dir) = sqlite_parent_dir(&url) {
            std::fs::create_dir_all(&dir).map_err(|source| DbSetupError::DataDir {
                path: dir.clone(),
                source,
            })?;
        }
        // SQLite allows one writer at a time; a single pooled connection serialises writes
        // instead of failing them with "database is locked".
        options.max_connections(1).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(settings.db_max_connections);
        if settings.db_statement_timeout_seconds > 0 {
            options.statement_timeout(Duration::from_secs(settings.db_statement_timeout_seconds));
        }
    }
    Database::connect(options)
        .await
        .map_err(|e| DbSetupError::Connect {
            url: safe,
            detail: e.to_string(),
        })
}

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection, settings: &Settings) -> Result<(), DbSetupError> {
    Migrator::up(db, None)
        .await
        .map_err(|e| DbSetupError::Migrate {
            url: redact_url(&settings.database_url),
            detail: e.to_string(),
        })
}

/// True when the database answers a trivial query.
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Which database family the connection talks to, in words.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

fn sqlite_parent_dir(url: &str) -> Option<String> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_logged() {
        assert_eq!(
            redact_url("postgres://upc:s3cret@db:5432/upc"),
            "postgres://upc:***@db:5432/upc"
        );
        assert_eq!(
            redact_url("sqlite://./data/upc.sqlite"),
            "sqlite://./data/upc.sqlite"
        );
    }

    #[test]
    fn sqlite_directory_is_found() {
        assert_eq!(
            sqlite_parent_dir("sqlite://./data/upc.sqlite").as_deref(),
            Some("./data")
        );
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
        assert_eq!(
            sqlite_parent_dir("sqlite:///tmp/a/b.db?mode=rwc").as_deref(),
            Some("/tmp/a")
        );
    }
}
