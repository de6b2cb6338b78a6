//! Settings: built-in defaults, overridden by an optional TOML file (`UPC_CONFIG_FILE`), overridden
//! by `UPC_*` environment variables. An unknown key in either place is an error, so a typo
//! never silently falls back to a default.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::auth::{AuthSettings, Role};

/// One setting: its file key, the environment variable that overrides it, its default and what
/// it does. The README's configuration table is checked against this list by a test.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// Key in the TOML settings file.
    pub key: &'static str,
    /// Environment variable (always `UPC_` + the key in capitals).
    pub env: &'static str,
    /// Default, as a person would write it.
    pub default: &'static str,
    /// What the setting does.
    pub help: &'static str,
}

macro_rules! settings_table {
    ($( $key:literal => $env:literal, $default:literal, $help:literal; )*) => {
        /// Every setting the binaries accept.
        pub const SETTINGS: &[SettingSpec] = &[
            $( SettingSpec { key: $key, env: $env, default: $default, help: $help }, )*
        ];
    };
}

settings_table! {
    "data_dir" => "UPC_DATA_DIR", "./data", "Directory for the embedded SQLite database and the embedded signing secret.";
    "database_url" => "UPC_DATABASE_URL", "sqlite://<data_dir>/upc.sqlite", "Database: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.";
    "bind" => "UPC_BIND", "127.0.0.1:8080", "Address and port the API listens on.";
    "run_migrations" => "UPC_RUN_MIGRATIONS", "true", "Apply pending migrations at start-up (set false when a separate step migrates).";
    "db_max_connections" => "UPC_DB_MAX_CONNECTIONS", "2 × CPUs, 4 to 20", "PostgreSQL pool size: twice the CPUs the API may use, at least 4 and at most 20 (SQLite always uses one writer connection). More connections than the database can run at once only add contention (`docs/performance.md`).";
    "db_connect_timeout_seconds" => "UPC_DB_CONNECT_TIMEOUT_SECONDS", "5", "How long to wait for a database connection.";
    "log" => "UPC_LOG", "info,sea_orm_migration=warn", "Log filter (tracing `EnvFilter` syntax, e.g. `info,sqlx=warn`).";
    "log_format" => "UPC_LOG_FORMAT", "text", "`text` for people, `json` for log collectors.";
    "auth_jwks" => "UPC_AUTH_JWKS", "(unset: embedded HS256)", "JWKS URL (`https://…`) or file path of the identity provider's signing keys.";
    "auth_issuer" => "UPC_AUTH_ISSUER", "(unset)", "Required `iss` of tokens; required when `auth_jwks` is set.";
    "auth_audience" => "UPC_AUTH_AUDIENCE", "(unset)", "Required `aud` of tokens; required when `auth_jwks` is set.";
    "auth_leeway_seconds" => "UPC_AUTH_LEEWAY_SECONDS", "30", "Clock-skew leeway for `exp` and `nbf`.";
    "auth_roles_claim" => "UPC_AUTH_ROLES_CLAIM", "roles", "Token claim holding the user's roles (an array of strings).";
    "auth_role_map" => "UPC_AUTH_ROLE_MAP", "(empty)", "Comma-separated `APP_ROLE=role` pairs, e.g. `UPC.LegalServices=legal_services`.";
    "auth_services_claim" => "UPC_AUTH_SERVICES_CLAIM", "services", "Token claim holding the user's service codes; absent: the staff directory is used.";
    "auth_name_claim" => "UPC_AUTH_NAME_CLAIM", "name", "Token claim holding the user's display name.";
    "auth_object_id_claim" => "UPC_AUTH_OBJECT_ID_CLAIM", "oid", "Token claim holding the identity provider's stable object id, recorded in the staff directory at sign-in.";
    "review_period_months" => "UPC_REVIEW_PERIOD_MONTHS", "12", "Months from a decision to restrict to its review (policy 7.1: never more than 12).";
    "warning_period_months" => "UPC_WARNING_PERIOD_MONTHS", "12", "Months a Stage 1 warning runs from the date of its letter; with no further behaviour reported by then the case closes (1 to 24).";
    "reporting_year_start_month" => "UPC_REPORTING_YEAR_START_MONTH", "4", "First month of the reporting year (4 = April to March).";
    "legal_services_address" => "UPC_LEGAL_SERVICES_ADDRESS", "(policy 6.1 address)", "Where appeals are sent; printed in letters.";
    // --- hardening (issue 8): profile, limits, rate limits, operations
    "profile" => "UPC_PROFILE", "embedded", "`embedded` (introspection, field suggestions and GraphiQL on) or `production` (all three off).";
    "graphql_max_depth" => "UPC_GRAPHQL_MAX_DEPTH", "15", "Deepest field nesting a GraphQL operation may have (the standard introspection query needs 15).";
    "graphql_max_complexity" => "UPC_GRAPHQL_MAX_COMPLEXITY", "5000", "Highest complexity an operation may have: each field costs 1, and a list's fields cost once per row its `first` asks for (`cases`: default 50).";
    "graphql_max_aliases" => "UPC_GRAPHQL_MAX_ALIASES", "30", "Most aliases in one GraphQL document.";
    "graphql_max_recursive_depth" => "UPC_GRAPHQL_MAX_RECURSIVE_DEPTH", "32", "Deepest nesting of selections and fragments the parser follows (stops fragment cycles); 1 to 64.";
    "graphql_max_batch" => "UPC_GRAPHQL_MAX_BATCH", "10", "Most operations in one batched POST (a JSON array); 0 refuses batches. At most `rate_limit_burst`.";
    "graphql_planned_reads" => "UPC_GRAPHQL_PLANNED_READS", "true", "Answer the case list from a plan made once per document (one statement per kind of record, authorisation decided once per request; `docs/performance.md`); `false` resolves every field through the schema.";
    "http_max_body_bytes" => "UPC_HTTP_MAX_BODY_BYTES", "1048576", "Largest request body accepted on `/graphql` (bytes); larger: HTTP 413.";
    "http_request_timeout_seconds" => "UPC_HTTP_REQUEST_TIMEOUT_SECONDS", "30", "Longest a request may take to arrive and be answered; then HTTP 408 and its transaction is rolled back.";
    "http_cors_origins" => "UPC_HTTP_CORS_ORIGINS", "(empty: same origin only)", "Comma-separated origins allowed to call the API from a browser, e.g. `https://intranet.example.gov.uk`.";
    "rate_limit_per_minute" => "UPC_RATE_LIMIT_PER_MINUTE", "300", "GraphQL operations per minute per signed-in user (token subject); 0 turns rate limiting off.";
    "rate_limit_burst" => "UPC_RATE_LIMIT_BURST", "60", "Operations a user may send at once before the per-minute rate applies.";
    "rate_limit_anonymous_per_minute" => "UPC_RATE_LIMIT_ANONYMOUS_PER_MINUTE", "30", "Requests per minute per client address without a valid token.";
    "rate_limit_anonymous_burst" => "UPC_RATE_LIMIT_ANONYMOUS_BURST", "10", "Requests without a valid token a client address may send at once.";
    "shutdown_grace_seconds" => "UPC_SHUTDOWN_GRACE_SECONDS", "20", "On SIGTERM or Ctrl-C: longest wait for in-flight requests to finish before exiting.";
    "db_acquire_timeout_seconds" => "UPC_DB_ACQUIRE_TIMEOUT_SECONDS", "10", "Longest a request waits for a pooled database connection.";
    "db_statement_timeout_seconds" => "UPC_DB_STATEMENT_TIMEOUT_SECONDS", "30", "Longest one SQL statement may run (PostgreSQL `statement_timeout`); 0 for none.";
    "metrics_enabled" => "UPC_METRICS_ENABLED", "true", "Serve Prometheus metrics at `/metrics` (on `metrics_bind`, and on the public port only with `metrics_token`).";
    // --- operations (issue 20): metrics, proxies, Health & Safety limits
    "metrics_bind" => "UPC_METRICS_BIND", "127.0.0.1:9464", "Address and port of the metrics listener (`/metrics` only, no token); `off` for none. Keep it off the public network.";
    "metrics_token" => "UPC_METRICS_TOKEN", "(unset)", "When set (at least 32 characters), the public port also serves `/metrics` to `Authorization: Bearer <token>`; unset: the public port does not serve `/metrics` at all.";
    "trusted_proxies" => "UPC_TRUSTED_PROXIES", "(empty: none)", "Comma-separated CIDR blocks of reverse proxies, e.g. `10.0.0.0/8,::1/128`. Only from these peers is the client's address taken from `Forwarded` / `X-Forwarded-For` (for rate limits, access records and audit).";
    "exclusion_temporary_max_days" => "UPC_EXCLUSION_TEMPORARY_MAX_DAYS", "14", "Longest temporary Health & Safety exclusion (3.2) a Service manager may make, in days (1–90); longer needs the Head of Service's long-term exclusion.";
    // --- accountability (issue 7): subject access requests
    "subject_access_staff_names" => "UPC_SUBJECT_ACCESS_STAFF_NAMES", "redacted", "In a subject access bundle, names and sign-in ids of council staff and Members: `redacted` or `shown`.";
    // --- reporting worker (issue 6): the report job queue
    "worker_poll_ms" => "UPC_WORKER_POLL_MS", "1000", "How often an idle reporting worker looks for a queued report job (milliseconds, at least 10).";
    "worker_lease_seconds" => "UPC_WORKER_LEASE_SECONDS", "60", "A worker's lease on the job it runs; renewed every third of it, and a job whose worker stopped renewing is run again once it lapses.";
    "worker_retry_base_seconds" => "UPC_WORKER_RETRY_BASE_SECONDS", "30", "Back-off before retrying a failed report job: this many seconds × 2^(attempts − 1).";
    "worker_shutdown_grace_seconds" => "UPC_WORKER_SHUTDOWN_GRACE_SECONDS", "30", "On SIGTERM or Ctrl-C: longest a worker waits for its running job to finish before handing it back to the queue.";
    "retention_years_after_restriction" => "UPC_RETENTION_YEARS_AFTER_RESTRICTION", "6", "Retention: a closed case is anonymised this many whole years after its last restriction or exclusion ended (1–100).";
    "retention_years_after_closure" => "UPC_RETENTION_YEARS_AFTER_CLOSURE", "2", "Retention: a case closed without any restriction or exclusion is anonymised this many whole years after it closed (1–100).";
    // --- the worker's scheduler (issue 20): cron expressions in UTC, or `off`
    "schedule_retention" => "UPC_SCHEDULE_RETENTION", "0 2 * * *", "When the worker applies the retention schedule: a cron expression (minute hour day-of-month month day-of-week, UTC), or `off`.";
    "schedule_case_endings" => "UPC_SCHEDULE_CASE_ENDINGS", "0 1 * * *", "When the worker closes Stage 1 cases whose warning period has lapsed: a cron expression (UTC), or `off`.";
    "schedule_review_reminders" => "UPC_SCHEDULE_REVIEW_REMINDERS", "0 6 * * *", "When the worker reminds service teams of restriction reviews falling due: a cron expression (UTC), or `off`.";
    "review_reminder_days" => "UPC_REVIEW_REMINDER_DAYS", "14", "Review reminders: a restriction whose review is due within this many days (0–366), or overdue, gets one reminder per review date.";
}

/// Where appeals go, from section 6.1 of the policy.
pub use crate::domain::lifecycle::LEGAL_SERVICES_ADDRESS as DEFAULT_LEGAL_SERVICES_ADDRESS;

/// The environment variable naming an optional settings file.
pub const CONFIG_FILE_ENV: &str = "UPC_CONFIG_FILE";

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Which kind of deployment: decides what the API shows about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A developer's or a demonstration machine: introspection, field suggestions and GraphiQL.
    Embedded,
    /// The council's servers: no introspection, no field suggestions, no GraphiQL.
    Production,
}

/// Limits on a GraphQL request (issue 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// Deepest field nesting.
    pub max_depth: usize,
    /// Highest complexity.
    pub max_complexity: usize,
    /// Most aliases per document.
    pub max_aliases: usize,
    /// Deepest nesting the parser follows (selections and fragments).
    pub max_recursive_depth: usize,
    /// Most operations in one batch; 0 refuses batches.
    pub max_batch: usize,
    /// Answer introspection queries.
    pub introspection: bool,
    /// Suggest field names in validation errors.
    pub suggestions: bool,
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Answer the case list from plans (`graphql::plan`).
    pub planned_reads: bool,
}

/// HTTP limits and browser rules (issue 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body on `/graphql`, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds.
    pub request_timeout_seconds: u64,
    /// Origins allowed by CORS; empty: none.
    pub cors_origins: Vec<String>,
}

/// Rate limits (issue 8); `per_minute == 0` turns them off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Operations per minute per signed-in user.
    pub per_minute: u32,
    /// A user's burst.
    pub burst: u32,
    /// Requests per minute per client address without a valid token.
    pub anonymous_per_minute: u32,
    /// An address's burst.
    pub anonymous_burst: u32,
}

/// The validated settings the binaries run with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Directory for the embedded database and secret.
    pub data_dir: PathBuf,
    /// Database connection URL.
    pub database_url: String,
    /// Listen address.
    pub bind: SocketAddr,
    /// Apply migrations at start-up.
    pub run_migrations: bool,
    /// PostgreSQL pool size.
    pub db_max_connections: u32,
    /// Connection timeout in seconds.
    pub db_connect_timeout_seconds: u64,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// JWKS location (None: embedded HS256).
    pub auth_jwks: Option<String>,
    /// Required token issuer.
    pub auth_issuer: Option<String>,
    /// Required token audience.
    pub auth_audience: Option<String>,
    /// Leeway for time claims.
    pub auth_leeway_seconds: u64,
    /// Claim carrying roles.
    pub auth_roles_claim: String,
    /// Identity-provider role value → our role.
    pub auth_role_map: BTreeMap<String, Role>,
    /// Claim carrying service codes.
    pub auth_services_claim: String,
    /// Claim carrying the display name.
    pub auth_name_claim: String,
    /// Claim carrying the identity provider's object id (staff directory at sign-in).
    pub auth_object_id_claim: String,
    /// Review period in months (1–12).
    pub review_period_months: u32,
    /// How long a Stage 1 warning runs from its letter's date, in months (1–24).
    pub warning_period_months: u32,
    /// First month of the reporting year (1–12).
    pub reporting_year_start_month: u32,
    /// Legal Services' postal address for appeals.
    pub legal_services_address: String,
    /// Embedded or production.
    pub profile: Profile,
    /// GraphQL limits.
    pub graphql: GraphqlLimits,
    /// HTTP limits.
    pub http: HttpLimits,
    /// Rate limits.
    pub rate_limit: RateLimitSettings,
    /// Longest wait for in-flight requests at shutdown, in seconds.
    pub shutdown_grace_seconds: u64,
    /// Longest wait for a pooled connection, in seconds.
    pub db_acquire_timeout_seconds: u64,
    /// PostgreSQL statement timeout in seconds (0: none).
    pub db_statement_timeout_seconds: u64,
    /// Serve `/metrics`.
    pub metrics_enabled: bool,
    /// Where metrics, proxies and operational limits are set (issue 20).
    pub operations: Operations,
    /// Staff names in subject access bundles: redacted or shown (issue 7).
    pub subject_access_staff_names: crate::subject_access::StaffNames,
    /// The reporting worker's queue settings (issue 6).
    pub worker: WorkerSettings,
    /// Retention schedule: years after a case's last restriction or exclusion ended.
    pub retention_years_after_restriction: u32,
    /// Retention schedule: years after a case closed without restriction or exclusion.
    pub retention_years_after_closure: u32,
}

/// A retention period in whole years, 1 to 100.
fn years(raw: &BTreeMap<&'static str, Raw>, key: &str, default: u32) -> Result<u32, ConfigError> {
    let value = number(raw, key)?.unwrap_or(default);
    if (1..=100).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(
            raw,
            key,
            "must be a whole number of years from 1 to 100",
        ))
    }
}

/// A setting that could not be used: says which one, where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A raw value and where it came from, so errors can say "UPC_BIND (environment)".
struct Raw {
    value: toml::Value,
    origin: String,
}

impl Settings {
    /// Settings from the process environment (and the file it names, if any).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Settings from an explicit set of variables (the environment, in production).
    pub fn from_vars<I>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("UPC_"))
            .collect();
        if let Some((_, file)) = vars.iter().find(|(k, _)| k == CONFIG_FILE_ENV) {
            read_file(Path::new(file), &mut raw)?;
        }
        for (name, value) in &vars {
            if name == CONFIG_FILE_ENV {
                continue;
            }
            let spec = SETTINGS.iter().find(|s| s.env == name).ok_or_else(|| {
                ConfigError(format!(
                    "unknown setting {name} in the environment (known: {})",
                    SETTINGS
                        .iter()
                        .map(|s| s.env)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            raw.insert(
                spec.key,
                Raw {
                    value: toml::Value::String(value.clone()),
                    origin: format!("{name} (environment)"),
                },
            );
        }
        Self::from_raw(&raw)
    }

    /// Defaults only: the embedded SQLite set-up under `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        let raw = BTreeMap::from([(
            "data_dir",
            Raw {
                value: toml::Value::String(data_dir.display().to_string()),
                origin: "default".into(),
            },
        )]);
        match Self::from_raw(&raw) {
            Ok(s) => s,
            // The defaults are constants validated by a unit test; this arm is unreachable.
            Err(e) => unreachable!("built-in defaults are invalid: {e}"),
        }
    }

    fn from_raw(raw: &BTreeMap<&'static str, Raw>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(string(raw, "data_dir")?.unwrap_or_else(|| "./data".into()));
        let database_url = match string(raw, "database_url")? {
            Some(url) => url,
            None => format!("sqlite://{}/upc.sqlite", data_dir.display()),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                raw,
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let bind_text = string(raw, "bind")?.unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.parse::<SocketAddr>().map_err(|_| {
            invalid(
                raw,
                "bind",
                "must be an address and port such as 127.0.0.1:8080",
            )
        })?;
        let log_format = match string(raw, "log_format")?.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(invalid(raw, "log_format", "must be `text` or `json`")),
        };
        let review_period_months = number(raw, "review_period_months")?.unwrap_or(12);
        if !(1..=12).contains(&review_period_months) {
            return Err(invalid(
                raw,
                "review_period_months",
                "must be from 1 to 12 (policy 7.1: a review no later than 12 months after the decision)",
            ));
        }
        let warning_period_months = number(raw, "warning_period_months")?.unwrap_or(12);
        if !(1..=24).contains(&warning_period_months) {
            return Err(invalid(
                raw,
                "warning_period_months",
                "must be from 1 to 24 (months a Stage 1 warning runs from the date of its letter)",
            ));
        }
        let reporting_year_start_month = number(raw, "reporting_year_start_month")?.unwrap_or(4);
        if !(1..=12).contains(&reporting_year_start_month) {
            return Err(invalid(
                raw,
                "reporting_year_start_month",
                "must be a month from 1 to 12",
            ));
        }
        let db_max_connections =
            number(raw, "db_max_connections")?.unwrap_or_else(default_db_max_connections);
        if db_max_connections == 0 {
            return Err(invalid(raw, "db_max_connections", "must be at least 1"));
        }
        let auth_jwks = string(raw, "auth_jwks")?.filter(|s| !s.is_empty());
        let auth_issuer = string(raw, "auth_issuer")?.filter(|s| !s.is_empty());
        let auth_audience = string(raw, "auth_audience")?.filter(|s| !s.is_empty());
        if auth_jwks.is_some() {
            if auth_issuer.is_none() {
                return Err(ConfigError(
                    "UPC_AUTH_ISSUER (auth_issuer) is required when UPC_AUTH_JWKS is set".into(),
                ));
            }
            if auth_audience.is_none() {
                return Err(ConfigError(
                    "UPC_AUTH_AUDIENCE (auth_audience) is required when UPC_AUTH_JWKS is set"
                        .into(),
                ));
            }
        }
        let auth_role_map = match string(raw, "auth_role_map")? {
            None => BTreeMap::new(),
            Some(text) => {
                parse_role_map(&text).map_err(|why| invalid(raw, "auth_role_map", &why))?
            }
        };
        let hardening = Hardening::from_raw(raw)?;
        Ok(Self {
            data_dir,
            database_url,
            bind,
            run_migrations: boolean(raw, "run_migrations")?.unwrap_or(true),
            db_max_connections,
            db_connect_timeout_seconds: number(raw, "db_connect_timeout_seconds")?.unwrap_or(5),
            log: string(raw, "log")?.unwrap_or_else(|| "info,sea_orm_migration=warn".into()),
            log_format,
            auth_jwks,
            auth_issuer,
            auth_audience,
            auth_leeway_seconds: number(raw, "auth_leeway_seconds")?.unwrap_or(30),
            auth_roles_claim: string(raw, "auth_roles_claim")?.unwrap_or_else(|| "roles".into()),
            auth_role_map,
            auth_services_claim: string(raw, "auth_services_claim")?
                .unwrap_or_else(|| "services".into()),
            auth_name_claim: string(raw, "auth_name_claim")?.unwrap_or_else(|| "name".into()),
            auth_object_id_claim: string(raw, "auth_object_id_claim")?
                .unwrap_or_else(|| "oid".into()),
            review_period_months,
            warning_period_months,
            reporting_year_start_month,
            legal_services_address: string(raw, "legal_services_address")?
                .unwrap_or_else(|| DEFAULT_LEGAL_SERVICES_ADDRESS.into()),
            profile: hardening.profile,
            graphql: hardening.graphql,
            http: hardening.http,
            rate_limit: hardening.rate_limit,
            shutdown_grace_seconds: hardening.shutdown_grace_seconds,
            db_acquire_timeout_seconds: hardening.db_acquire_timeout_seconds,
            db_statement_timeout_seconds: hardening.db_statement_timeout_seconds,
            metrics_enabled: hardening.metrics_enabled,
            operations: Operations::from_raw(raw, bind)?,
            retention_years_after_restriction: years(raw, "retention_years_after_restriction", 6)?,
            retention_years_after_closure: years(raw, "retention_years_after_closure", 2)?,
            worker: WorkerSettings::from_raw(raw)?,
            subject_access_staff_names: match string(raw, "subject_access_staff_names")?
                .as_deref()
                .map(str::trim)
            {
                None | Some("redacted") => crate::subject_access::StaffNames::Redacted,
                Some("shown") => crate::subject_access::StaffNames::Shown,
                Some(_) => {
                    return Err(invalid(
                        raw,
                        "subject_access_staff_names",
                        "must be `redacted` or `shown`",
                    ));
                }
            },
        })
    }

    /// The lifecycle settings the policy's steps (and the worker's endings run) need.
    pub fn lifecycle(&self) -> crate::domain::lifecycle::LifecycleSettings {
        crate::domain::lifecycle::LifecycleSettings {
            review_period_months: self.review_period_months,
            warning_period_months: self.warning_period_months,
            legal_services_address: self.legal_services_address.clone(),
            exclusion_temporary_max_days: self.operations.exclusion_temporary_max_days,
        }
    }

    /// The authentication settings derived from these.
    pub fn auth_settings(&self) -> AuthSettings {
        AuthSettings {
            jwks: self.auth_jwks.clone(),
            issuer: self.auth_issuer.clone(),
            audience: self.auth_audience.clone(),
            leeway_seconds: self.auth_leeway_seconds,
            roles_claim: self.auth_roles_claim.clone(),
            role_map: self.auth_role_map.clone(),
            services_claim: self.auth_services_claim.clone(),
            name_claim: self.auth_name_claim.clone(),
            object_id_claim: self.auth_object_id_claim.clone(),
            ..AuthSettings::default()
        }
    }

    /// True when the database is the embedded SQLite one.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// The hardening settings (issue 8), read apart from the rest so they stay in one place.
struct Hardening {
    profile: Profile,
    graphql: GraphqlLimits,
    http: HttpLimits,
    rate_limit: RateLimitSettings,
    shutdown_grace_seconds: u64,
    db_acquire_timeout_seconds: u64,
    db_statement_timeout_seconds: u64,
    metrics_enabled: bool,
}

impl Hardening {
    fn from_raw(raw: &BTreeMap<&'static str, Raw>) -> Result<Self, ConfigError> {
        let profile = match string(raw, "profile")?.as_deref().map(str::trim) {
            None | Some("embedded") => Profile::Embedded,
            Some("production") => Profile::Production,
            Some(_) => {
                return Err(invalid(
                    raw,
                    "profile",
                    "must be `embedded` or `production`",
                ));
            }
        };
        let embedded = profile == Profile::Embedded;
        let at_least_one = |key: &str, value: usize| {
            if value == 0 {
                Err(invalid(raw, key, "must be at least 1"))
            } else {
                Ok(value)
            }
        };
        let max_depth = at_least_one(
            "graphql_max_depth",
            number(raw, "graphql_max_depth")?.unwrap_or(15),
        )?;
        let max_complexity = at_least_one(
            "graphql_max_complexity",
            number(raw, "graphql_max_complexity")?.unwrap_or(5000),
        )?;
        let max_aliases = number(raw, "graphql_max_aliases")?.unwrap_or(30);
        let max_recursive_depth: usize = number(raw, "graphql_max_recursive_depth")?.unwrap_or(32);
        if !(1..=64).contains(&max_recursive_depth) {
            return Err(invalid(
                raw,
                "graphql_max_recursive_depth",
                "must be from 1 to 64 (deeper risks the parser's stack)",
            ));
        }
        let max_batch: usize = number(raw, "graphql_max_batch")?.unwrap_or(10);
        let max_body_bytes = at_least_one(
            "http_max_body_bytes",
            number(raw, "http_max_body_bytes")?.unwrap_or(1_048_576),
        )?;
        let request_timeout_seconds: u64 =
            number(raw, "http_request_timeout_seconds")?.unwrap_or(30);
        if request_timeout_seconds == 0 {
            return Err(invalid(
                raw,
                "http_request_timeout_seconds",
                "must be at least 1",
            ));
        }
        let cors_origins = match string(raw, "http_cors_origins")? {
            None => Vec::new(),
            Some(text) => {
                parse_origins(&text).map_err(|why| invalid(raw, "http_cors_origins", &why))?
            }
        };
        let per_minute: u32 = number(raw, "rate_limit_per_minute")?.unwrap_or(300);
        let burst: u32 = number(raw, "rate_limit_burst")?.unwrap_or(60);
        let anonymous_per_minute: u32 =
            number(raw, "rate_limit_anonymous_per_minute")?.unwrap_or(30);
        let anonymous_burst: u32 = number(raw, "rate_limit_anonymous_burst")?.unwrap_or(10);
        if per_minute > 0 {
            for (key, value) in [
                ("rate_limit_burst", burst),
                ("rate_limit_anonymous_per_minute", anonymous_per_minute),
                ("rate_limit_anonymous_burst", anonymous_burst),
            ] {
                if value == 0 {
                    return Err(invalid(
                        raw,
                        key,
                        "must be at least 1 while rate limiting is on",
                    ));
                }
            }
            if max_batch > burst as usize {
                return Err(invalid(
                    raw,
                    "graphql_max_batch",
                    &format!(
                        "must not exceed rate_limit_burst ({burst}): a batch counts one per operation"
                    ),
                ));
            }
        }
        Ok(Self {
            profile,
            graphql: GraphqlLimits {
                max_depth,
                max_complexity,
                max_aliases,
                max_recursive_depth,
                max_batch,
                introspection: embedded,
                suggestions: embedded,
                graphiql: embedded,
                planned_reads: boolean(raw, "graphql_planned_reads")?.unwrap_or(true),
            },
            http: HttpLimits {
                max_body_bytes,
                request_timeout_seconds,
                cors_origins,
            },
            rate_limit: RateLimitSettings {
                per_minute,
                burst,
                anonymous_per_minute,
                anonymous_burst,
            },
            shutdown_grace_seconds: number(raw, "shutdown_grace_seconds")?.unwrap_or(20),
            db_acquire_timeout_seconds: at_least_one(
                "db_acquire_timeout_seconds",
                number(raw, "db_acquire_timeout_seconds")?.unwrap_or(10),
            )? as u64,
            db_statement_timeout_seconds: number(raw, "db_statement_timeout_seconds")?
                .unwrap_or(30),
            metrics_enabled: boolean(raw, "metrics_enabled")?.unwrap_or(true),
        })
    }
}

/// The metrics listener, the reverse proxies the API trusts and the longest temporary
/// exclusion (issue 20).
#[derive(Clone, PartialEq, Eq)]
pub struct Operations {
    /// Address of the metrics-only listener; `None`: no such listener.
    pub metrics_bind: Option<SocketAddr>,
    /// Bearer token that opens `/metrics` on the public port; `None`: not served there.
    pub metrics_token: Option<String>,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: crate::proxies::TrustedProxies,
    /// Longest temporary Health & Safety exclusion, in days.
    pub exclusion_temporary_max_days: u32,
}

impl fmt::Debug for Operations {
    // The metrics token is a secret: never in a log line or a panic message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operations")
            .field("metrics_bind", &self.metrics_bind)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(set)"),
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "exclusion_temporary_max_days",
                &self.exclusion_temporary_max_days,
            )
            .finish()
    }
}

/// The shortest metrics token accepted: a guessable token would reopen `/metrics`.
pub const METRICS_TOKEN_MIN_CHARS: usize = 32;

impl Operations {
    fn from_raw(raw: &BTreeMap<&'static str, Raw>, bind: SocketAddr) -> Result<Self, ConfigError> {
        let metrics_bind = match string(raw, "metrics_bind")?.as_deref().map(str::trim) {
            None => Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            Some("off") => None,
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    raw,
                    "metrics_bind",
                    "must be an address and port such as 127.0.0.1:9464, or `off`",
                )
            })?),
        };
        if let Some(addr) = metrics_bind
            && addr.port() != 0
            && addr.port() == bind.port()
            && (addr.ip() == bind.ip() || addr.ip().is_unspecified() || bind.ip().is_unspecified())
        {
            return Err(invalid(
                raw,
                "metrics_bind",
                &format!(
                    "must not be the API's own address ({bind}): metrics need a port of their own"
                ),
            ));
        }
        let metrics_token = string(raw, "metrics_token")?.filter(|t| !t.is_empty());
        if let Some(token) = &metrics_token
            && (token.chars().count() < METRICS_TOKEN_MIN_CHARS
                || token.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(invalid(
                raw,
                "metrics_token",
                &format!(
                    "must be at least {METRICS_TOKEN_MIN_CHARS} characters without spaces (e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        let trusted_proxies = match string(raw, "trusted_proxies")? {
            None => crate::proxies::TrustedProxies::default(),
            Some(text) => crate::proxies::TrustedProxies::parse(&text)
                .map_err(|why| invalid(raw, "trusted_proxies", &why))?,
        };
        let exclusion_temporary_max_days: u32 =
            number(raw, "exclusion_temporary_max_days")?.unwrap_or(14);
        if !(1..=90).contains(&exclusion_temporary_max_days) {
            return Err(invalid(
                raw,
                "exclusion_temporary_max_days",
                "must be a whole number of days from 1 to 90 (longer exclusions are long-term ones, 3.2)",
            ));
        }
        Ok(Self {
            metrics_bind,
            metrics_token,
            trusted_proxies,
            exclusion_temporary_max_days,
        })
    }
}

/// The reporting worker's queue settings (issue 6): `worker_*`; and its scheduler's (issue 20):
/// `schedule_*`, `review_reminder_days`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// How often an idle worker looks for a job, in milliseconds.
    pub poll_ms: u64,
    /// Length of a worker's lease on its job, in seconds.
    pub lease_seconds: u64,
    /// Retry back-off base, in seconds (× 2^(attempts − 1)).
    pub retry_base_seconds: u64,
    /// Longest wait for the running job at shutdown, in seconds.
    pub shutdown_grace_seconds: u64,
    /// When the scheduler applies the retention schedule.
    pub schedule_retention: JobSchedule,
    /// When it closes lapsed Stage 1 cases.
    pub schedule_case_endings: JobSchedule,
    /// When it writes review reminders.
    pub schedule_review_reminders: JobSchedule,
    /// Remind of reviews due within this many days (0–366).
    pub review_reminder_days: u32,
}

/// When a recurring job of the worker's scheduler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSchedule {
    /// Never (the setting is `off`).
    Off,
    /// At the fire times of a cron expression, in UTC.
    Cron {
        /// The expression as the setting gives it.
        expression: String,
        /// As parsed.
        schedule: Box<cron::Schedule>,
    },
}

impl JobSchedule {
    /// `off`, or a cron expression of five fields (minute, hour, day of month, month, day of
    /// week; as in crontab) or six (seconds first), or `@daily`, `@hourly`, `@weekly`,
    /// `@monthly`, `@yearly`. Times are UTC.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(JobSchedule::Off);
        }
        let fields = text.split_whitespace().count();
        let expression = if text.starts_with('@') {
            text.to_string()
        } else if fields == 5 {
            format!("0 {text}")
        } else if fields == 6 {
            text.to_string()
        } else {
            return Err(format!(
                "`{text}` is not a cron expression: give five fields (minute hour day-of-month month day-of-week, e.g. `0 2 * * *` for 02:00 UTC daily), or `off`"
            ));
        };
        expression
            .parse::<cron::Schedule>()
            .map(|s| JobSchedule::Cron {
                expression: text.to_string(),
                schedule: Box::new(s),
            })
            .map_err(|e| {
                format!(
                    "`{text}` is not a cron expression ({e}): give five fields (minute hour day-of-month month day-of-week, e.g. `0 2 * * *` for 02:00 UTC daily), or `off`"
                )
            })
    }

    /// The first fire time strictly after `after`; `None` when off (or never again).
    pub fn next_after(
        &self,
        after: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            JobSchedule::Off => None,
            JobSchedule::Cron { schedule, .. } => schedule.after(&after).next(),
        }
    }

    /// The latest fire time at or before `at`; `None` when off (or never yet).
    pub fn latest_at_or_before(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            JobSchedule::Off => None,
            // Fire times are whole seconds: the one before the next whole second after `at`.
            JobSchedule::Cron { schedule, .. } => {
                let bound =
                    chrono::SubsecRound::trunc_subsecs(at, 0) + chrono::Duration::seconds(1);
                schedule.after(&bound).next_back().filter(|t| *t <= at)
            }
        }
    }

    /// As the setting is written: `off`, or the expression.
    pub fn describe(&self) -> &str {
        match self {
            JobSchedule::Off => "off",
            JobSchedule::Cron { expression, .. } => expression,
        }
    }
}

/// A `schedule_*` setting, with its default.
fn job_schedule(
    raw: &BTreeMap<&'static str, Raw>,
    key: &str,
    default: &str,
) -> Result<JobSchedule, ConfigError> {
    let text = string(raw, key)?.unwrap_or_else(|| default.to_string());
    JobSchedule::parse(&text).map_err(|why| invalid(raw, key, &why))
}

impl WorkerSettings {
    fn from_raw(raw: &BTreeMap<&'static str, Raw>) -> Result<Self, ConfigError> {
        let poll_ms: u64 = number(raw, "worker_poll_ms")?.unwrap_or(1000);
        if poll_ms < 10 {
            return Err(invalid(raw, "worker_poll_ms", "must be at least 10"));
        }
        let lease_seconds: u64 = number(raw, "worker_lease_seconds")?.unwrap_or(60);
        if !(1..=86_400).contains(&lease_seconds) {
            return Err(invalid(
                raw,
                "worker_lease_seconds",
                "must be from 1 to 86400 seconds",
            ));
        }
        let retry_base_seconds: u64 = number(raw, "worker_retry_base_seconds")?.unwrap_or(30);
        if retry_base_seconds > 86_400 {
            return Err(invalid(
                raw,
                "worker_retry_base_seconds",
                "must be from 0 to 86400 seconds",
            ));
        }
        let review_reminder_days: u32 = number(raw, "review_reminder_days")?.unwrap_or(14);
        if review_reminder_days > 366 {
            return Err(invalid(
                raw,
                "review_reminder_days",
                "must be from 0 to 366 days",
            ));
        }
        Ok(Self {
            poll_ms,
            lease_seconds,
            retry_base_seconds,
            shutdown_grace_seconds: number(raw, "worker_shutdown_grace_seconds")?.unwrap_or(30),
            schedule_retention: job_schedule(raw, "schedule_retention", "0 2 * * *")?,
            schedule_case_endings: job_schedule(raw, "schedule_case_endings", "0 1 * * *")?,
            schedule_review_reminders: job_schedule(raw, "schedule_review_reminders", "0 6 * * *")?,
            review_reminder_days,
        })
    }
}

/// `https://a.example, http://localhost:3000` → the origins, each checked to be scheme, host
/// and optional port with nothing after.
fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or_else(|| {
                format!("`{origin}` is not an origin such as https://intranet.example")
            })?;
        if rest.is_empty() || rest.contains(['/', '*', ' ', '?', '#']) {
            return Err(format!(
                "`{origin}` is not an origin (scheme, host and port only; no `*`, no path)"
            ));
        }
        origins.push(origin.to_string());
    }
    Ok(origins)
}

fn read_file(path: &Path, raw: &mut BTreeMap<&'static str, Raw>) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "cannot read settings file {} (from {CONFIG_FILE_ENV}): {e}",
            path.display()
        ))
    })?;
    let table: toml::Table = text.parse().map_err(|e| {
        ConfigError(format!(
            "settings file {} is not valid TOML: {e}",
            path.display()
        ))
    })?;
    for (key, value) in table {
        let spec = SETTINGS.iter().find(|s| s.key == key).ok_or_else(|| {
            ConfigError(format!(
                "unknown setting `{key}` in {} (known: {})",
                path.display(),
                SETTINGS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        raw.insert(
            spec.key,
            Raw {
                value,
                origin: format!("`{key}` in {}", path.display()),
            },
        );
    }
    Ok(())
}

fn origin(raw: &BTreeMap<&'static str, Raw>, key: &str) -> String {
    raw.get(key)
        .map(|r| r.origin.clone())
        .unwrap_or_else(|| key.to_string())
}

fn invalid(raw: &BTreeMap<&'static str, Raw>, key: &str, why: &str) -> ConfigError {
    ConfigError(format!("invalid setting {}: {why}", origin(raw, key)))
}

fn string(raw: &BTreeMap<&'static str, Raw>, key: &str) -> Result<Option<String>, ConfigError> {
    match raw.get(key).map(|r| &r.value) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(raw, key, "must be a string")),
    }
}

/// The PostgreSQL pool when none is set: twice the CPUs this process may use
/// (`available_parallelism`, which honours CPU quotas), from 4 to 20. On a machine the API shares
/// with PostgreSQL, connections beyond what the cores can run add only switching: measured on 2
/// cores, 4 connections served a quarter more contact checks than 16, with a lower p99.
pub fn default_db_max_connections() -> u32 {
    let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cpus.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .clamp(4, 20)
}

fn number<T: TryFrom<i64> + std::str::FromStr>(
    raw: &BTreeMap<&'static str, Raw>,
    key: &str,
) -> Result<Option<T>, ConfigError> {
    let bad = || invalid(raw, key, "must be a whole number");
    match raw.get(key).map(|r| &r.value) {
        None => Ok(None),
        Some(toml::Value::Integer(i)) => T::try_from(*i).map(Some).map_err(|_| bad()),
        Some(toml::Value::String(s)) => s.trim().parse::<T>().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn boolean(raw: &BTreeMap<&'static str, Raw>, key: &str) -> Result<Option<bool>, ConfigError> {
    match raw.get(key).map(|r| &r.value) {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
        Some(toml::Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(invalid(raw, key, "must be true or false")),
        },
        Some(_) => Err(invalid(raw, key, "must be true or false")),
    }
}

fn parse_role_map(text: &str) -> Result<BTreeMap<String, Role>, String> {
    let mut map = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (from, to) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not of the form APP_ROLE=role"))?;
        let role = to.trim().parse::<Role>().map_err(|_| {
            format!(
                "`{}` is not a role (roles: {})",
                to.trim(),
                Role::ALL
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        map.insert(from.trim().to_string(), role);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_embedded_sqlite_under_data_dir() {
        let s = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(s.database_url, "sqlite://./data/upc.sqlite");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.review_period_months, 12);
        assert_eq!(s.reporting_year_start_month, 4);
        assert!(s.auth_jwks.is_none());
        assert!(s.is_sqlite());
        let e = Settings::embedded("/tmp/x");
        assert_eq!(e.database_url, "sqlite:///tmp/x/upc.sqlite");
    }

    #[test]
    fn default_pool_is_twice_the_cpus_from_4_to_20() {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let expected = u32::try_from(cpus * 2).unwrap().clamp(4, 20);
        let s = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(s.db_max_connections, expected);
        assert!((4..=20).contains(&s.db_max_connections));
        let s = Settings::from_vars(vars(&[("UPC_DB_MAX_CONNECTIONS", "16")])).unwrap();
        assert_eq!(s.db_max_connections, 16);
        assert!(Settings::from_vars(vars(&[("UPC_DB_MAX_CONNECTIONS", "0")])).is_err());
    }

    #[test]
    fn unknown_environment_key_is_an_error() {
        let err = Settings::from_vars(vars(&[("UPC_BINDD", "x")])).unwrap_err();
        assert!(err.0.contains("unknown setting UPC_BINDD"), "{err}");
    }

    #[test]
    fn non_upc_variables_are_ignored() {
        assert!(Settings::from_vars(vars(&[("PATH", "/bin"), ("HOME", "/root")])).is_ok());
    }

    #[test]
    fn bad_value_names_the_setting_and_its_origin() {
        let err = Settings::from_vars(vars(&[("UPC_BIND", "nowhere")])).unwrap_err();
        assert!(err.0.contains("UPC_BIND (environment)"), "{err}");
        let err = Settings::from_vars(vars(&[("UPC_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.0.contains("UPC_DATABASE_URL"), "{err}");
    }

    #[test]
    fn review_period_never_above_twelve_months_7_1() {
        assert!(Settings::from_vars(vars(&[("UPC_REVIEW_PERIOD_MONTHS", "13")])).is_err());
        assert!(Settings::from_vars(vars(&[("UPC_REVIEW_PERIOD_MONTHS", "0")])).is_err());
        let s = Settings::from_vars(vars(&[("UPC_REVIEW_PERIOD_MONTHS", "6")])).unwrap();
        assert_eq!(s.review_period_months, 6);
    }

    #[test]
    fn warning_period_is_one_to_twenty_four_months() {
        assert_eq!(
            Settings::from_vars(vars(&[]))
                .unwrap()
                .warning_period_months,
            12
        );
        let err = Settings::from_vars(vars(&[("UPC_WARNING_PERIOD_MONTHS", "25")])).unwrap_err();
        assert!(
            err.0.contains("UPC_WARNING_PERIOD_MONTHS (environment)"),
            "{err}"
        );
        assert!(Settings::from_vars(vars(&[("UPC_WARNING_PERIOD_MONTHS", "0")])).is_err());
        assert!(Settings::from_vars(vars(&[("UPC_WARNING_PERIOD_MONTHS", "a year")])).is_err());
        let s = Settings::from_vars(vars(&[("UPC_WARNING_PERIOD_MONTHS", "6")])).unwrap();
        assert_eq!(s.warning_period_months, 6);
        assert_eq!(s.lifecycle().warning_period_months, 6);
    }

    #[test]
    fn jwks_needs_issuer_and_audience() {
        let err = Settings::from_vars(vars(&[("UPC_AUTH_JWKS", "https://idp/keys")])).unwrap_err();
        assert!(err.0.contains("UPC_AUTH_ISSUER"), "{err}");
        let err = Settings::from_vars(vars(&[
            ("UPC_AUTH_JWKS", "https://idp/keys"),
            ("UPC_AUTH_ISSUER", "https://idp"),
        ]))
        .unwrap_err();
        assert!(err.0.contains("UPC_AUTH_AUDIENCE"), "{err}");
    }

    #[test]
    fn file_settings_are_read_and_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("upc.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nreview_period_months = 6\n").unwrap();
        let f = file.display().to_string();
        let s = Settings::from_vars(vars(&[("UPC_CONFIG_FILE", &f)])).unwrap();
        assert_eq!(s.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(s.review_period_months, 6);
        let s = Settings::from_vars(vars(&[
            ("UPC_CONFIG_FILE", &f),
            ("UPC_BIND", "127.0.0.1:1"),
        ]))
        .unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:1");
    }

    #[test]
    fn unknown_file_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("upc.toml");
        std::fs::write(&file, "bnd = \"0.0.0.0:9000\"\n").unwrap();
        let err = Settings::from_vars(vars(&[("UPC_CONFIG_FILE", &file.display().to_string())]))
            .unwrap_err();
        assert!(err.0.contains("unknown setting `bnd`"), "{err}");
    }

    #[test]
    fn hardening_defaults_are_safe_and_production_hides_the_schema() {
        let s = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(s.profile, Profile::Embedded);
        assert!(s.graphql.introspection && s.graphql.suggestions && s.graphql.graphiql);
        assert_eq!(s.graphql.max_depth, 15);
        assert_eq!(s.graphql.max_complexity, 5000);
        assert_eq!(s.graphql.max_aliases, 30);
        assert_eq!(s.graphql.max_batch, 10);
        assert_eq!(s.http.max_body_bytes, 1_048_576);
        assert!(s.http.cors_origins.is_empty());
        assert_eq!(s.rate_limit.per_minute, 300);
        let p = Settings::from_vars(vars(&[("UPC_PROFILE", "production")])).unwrap();
        assert!(!p.graphql.introspection && !p.graphql.suggestions && !p.graphql.graphiql);
        assert!(Settings::from_vars(vars(&[("UPC_PROFILE", "prod")])).is_err());
    }

    #[test]
    fn hardening_settings_are_checked() {
        for (key, value) in [
            ("UPC_GRAPHQL_MAX_DEPTH", "0"),
            ("UPC_GRAPHQL_MAX_RECURSIVE_DEPTH", "65"),
            ("UPC_HTTP_MAX_BODY_BYTES", "0"),
            ("UPC_HTTP_REQUEST_TIMEOUT_SECONDS", "0"),
            ("UPC_HTTP_CORS_ORIGINS", "*"),
            ("UPC_HTTP_CORS_ORIGINS", "https://a.example/path"),
            ("UPC_RATE_LIMIT_BURST", "0"),
            ("UPC_GRAPHQL_MAX_BATCH", "61"),
        ] {
            let err = Settings::from_vars(vars(&[(key, value)])).unwrap_err();
            assert!(err.0.contains(key), "{key}={value}: {err}");
        }
        let s = Settings::from_vars(vars(&[(
            "UPC_HTTP_CORS_ORIGINS",
            "https://intranet.example, http://localhost:3000",
        )]))
        .unwrap();
        assert_eq!(s.http.cors_origins.len(), 2);
        let off = Settings::from_vars(vars(&[
            ("UPC_RATE_LIMIT_PER_MINUTE", "0"),
            ("UPC_GRAPHQL_MAX_BATCH", "100"),
        ]))
        .unwrap();
        assert_eq!(off.graphql.max_batch, 100);
    }

    #[test]
    fn schedules_default_to_nightly_and_bad_ones_name_the_setting() {
        use chrono::TimeZone;
        let s = Settings::from_vars(vars(&[])).unwrap();
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap();
        let day = |h| chrono::Utc.with_ymd_and_hms(2026, 12, 6, h, 0, 0).unwrap();
        let next_day = |h| chrono::Utc.with_ymd_and_hms(2026, 12, 7, h, 0, 0).unwrap();
        assert_eq!(
            s.worker.schedule_retention.next_after(at),
            Some(next_day(2))
        );
        assert_eq!(
            s.worker.schedule_case_endings.next_after(at),
            Some(next_day(1))
        );
        assert_eq!(
            s.worker.schedule_review_reminders.next_after(at),
            Some(day(6))
        );
        assert_eq!(
            s.worker.schedule_retention.latest_at_or_before(at),
            Some(day(2))
        );
        assert_eq!(
            s.worker.schedule_retention.latest_at_or_before(day(2)),
            Some(day(2)),
            "a fire time is at or before itself"
        );
        assert_eq!(s.worker.review_reminder_days, 14);
        let off = Settings::from_vars(vars(&[("UPC_SCHEDULE_RETENTION", "off")])).unwrap();
        assert_eq!(off.worker.schedule_retention, JobSchedule::Off);
        assert_eq!(off.worker.schedule_retention.next_after(at), None);
        let hourly = Settings::from_vars(vars(&[(
            "UPC_SCHEDULE_REVIEW_REMINDERS",
            "30 * * * MON-FRI",
        )]))
        .unwrap();
        assert_eq!(
            hourly.worker.schedule_review_reminders.next_after(at),
            Some(chrono::Utc.with_ymd_and_hms(2026, 12, 7, 0, 30, 0).unwrap()),
            "6 December 2026 is a Sunday"
        );
        for (key, value) in [
            ("UPC_SCHEDULE_RETENTION", "every night"),
            ("UPC_SCHEDULE_CASE_ENDINGS", "0 25 * * *"),
            ("UPC_SCHEDULE_REVIEW_REMINDERS", "* *"),
            ("UPC_REVIEW_REMINDER_DAYS", "367"),
        ] {
            let err = Settings::from_vars(vars(&[(key, value)])).unwrap_err();
            assert!(err.0.contains(key), "{key}={value}: {err}");
        }
    }

    #[test]
    fn role_map_parses_pairs() {
        let s = Settings::from_vars(vars(&[(
            "UPC_AUTH_ROLE_MAP",
            "UPC.LegalServices=legal_services, UPC.Officer=officer",
        )]))
        .unwrap();
        assert_eq!(s.auth_role_map["UPC.LegalServices"], Role::LegalServices);
        assert_eq!(s.auth_role_map.len(), 2);
        assert!(Settings::from_vars(vars(&[("UPC_AUTH_ROLE_MAP", "nonsense")])).is_err());
        let err = Settings::from_vars(vars(&[("UPC_AUTH_ROLE_MAP", "X=superuser")])).unwrap_err();
        assert!(err.0.contains("superuser"), "{err}");
    }

    #[test]
    fn operations_settings_default_and_refuse_bad_values() {
        let s = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(
            s.operations.metrics_bind,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(s.operations.metrics_token, None);
        assert!(s.operations.trusted_proxies.is_empty());
        assert_eq!(s.operations.exclusion_temporary_max_days, 14);
        let s = Settings::from_vars(vars(&[
            ("UPC_METRICS_BIND", "off"),
            ("UPC_METRICS_TOKEN", &"t".repeat(32)),
            ("UPC_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32"),
            ("UPC_EXCLUSION_TEMPORARY_MAX_DAYS", "28"),
        ]))
        .unwrap();
        assert_eq!(s.operations.metrics_bind, None);
        assert!(
            s.operations
                .trusted_proxies
                .trusts("10.9.8.7".parse().unwrap())
        );
        assert_eq!(s.operations.exclusion_temporary_max_days, 28);
        assert!(
            !format!("{s:?}").contains(&"t".repeat(32)),
            "the token is never printed"
        );
        for (key, value, says) in [
            ("UPC_METRICS_BIND", "loopback", "UPC_METRICS_BIND"),
            ("UPC_METRICS_BIND", "127.0.0.1:8080", "own address"),
            ("UPC_METRICS_TOKEN", "short", "at least 32"),
            (
                "UPC_TRUSTED_PROXIES",
                "10.0.0.0/8,proxy.example",
                "proxy.example",
            ),
            ("UPC_EXCLUSION_TEMPORARY_MAX_DAYS", "0", "1 to 90"),
            ("UPC_EXCLUSION_TEMPORARY_MAX_DAYS", "365", "long-term"),
        ] {
            let err = Settings::from_vars(vars(&[(key, value)])).unwrap_err();
            assert!(err.0.contains(says), "{key}={value}: {err}");
            assert!(
                err.0.contains(key),
                "{key}={value} names the setting: {err}"
            );
        }
    }
}
