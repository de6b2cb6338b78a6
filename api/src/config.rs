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
    "db_max_connections" => "UPC_DB_MAX_CONNECTIONS", "10", "PostgreSQL pool size (SQLite always uses one writer connection).";
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
    "review_period_months" => "UPC_REVIEW_PERIOD_MONTHS", "12", "Months from a decision to restrict to its review (policy 7.1: never more than 12).";
    "reporting_year_start_month" => "UPC_REPORTING_YEAR_START_MONTH", "4", "First month of the reporting year (4 = April to March).";
    "legal_services_address" => "UPC_LEGAL_SERVICES_ADDRESS", "(policy 6.1 address)", "Where appeals are sent; printed in letters.";
}

/// Where appeals go, from section 6.1 of the policy.
pub const DEFAULT_LEGAL_SERVICES_ADDRESS: &str = "Service Director - Legal Services, Legal Services, The Pavilions, Clydach Vale, Tonypandy, Rhondda Cynon Taf. CF40 1NY";

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
    /// Review period in months (1–12).
    pub review_period_months: u32,
    /// First month of the reporting year (1–12).
    pub reporting_year_start_month: u32,
    /// Legal Services' postal address for appeals.
    pub legal_services_address: String,
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
        let reporting_year_start_month = number(raw, "reporting_year_start_month")?.unwrap_or(4);
        if !(1..=12).contains(&reporting_year_start_month) {
            return Err(invalid(
                raw,
                "reporting_year_start_month",
                "must be a month from 1 to 12",
            ));
        }
        let db_max_connections = number(raw, "db_max_connections")?.unwrap_or(10);
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
            review_period_months,
            reporting_year_start_month,
            legal_services_address: string(raw, "legal_services_address")?
                .unwrap_or_else(|| DEFAULT_LEGAL_SERVICES_ADDRESS.into()),
        })
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
            ..AuthSettings::default()
        }
    }

    /// True when the database is the embedded SQLite one.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
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
}
