//! Reading configuration from environment variables.
//!
//! Every service reads its settings through [`Env`], so that a bad value fails
//! at start-up with a message naming the variable instead of surfacing later
//! as an obscure connection error.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// Default Postgres URL: the local server with trust auth.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/hoofbeat";
/// Default RabbitMQ URL: the local broker with the guest account.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for environment variable {name}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable's name, e.g. `DATABASE_URL`.
    pub name: String,
    /// The offending value as given.
    pub value: String,
    /// What was expected.
    pub reason: String,
}

/// A source of settings: the process environment, or a map in tests (so that
/// tests never mutate the process-wide environment).
#[derive(Debug, Clone, Default)]
pub struct Env {
    overrides: Option<HashMap<String, String>>,
}

impl Env {
    /// Reads the real process environment.
    pub fn process() -> Self {
        Self { overrides: None }
    }

    /// Reads only the given pairs (for tests).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            overrides: Some(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// The raw value of a variable, if set and not empty.
    pub fn raw(&self, name: &str) -> Option<String> {
        let v = match &self.overrides {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        v.filter(|s| !s.trim().is_empty())
    }

    /// A string with a default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    /// A parsed value with a default; a value that does not parse is an error
    /// naming the variable.
    pub fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v.trim().parse::<T>().map_err(|e| ConfigError {
                name: name.to_owned(),
                value: v.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// A positive integer within `min..=max`.
    pub fn bounded(
        &self,
        name: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<u64, ConfigError> {
        let v = self.parse(name, default)?;
        if (min..=max).contains(&v) {
            Ok(v)
        } else {
            Err(ConfigError {
                name: name.to_owned(),
                value: v.to_string(),
                reason: format!("must be between {min} and {max}"),
            })
        }
    }

    /// A duration given in milliseconds, within `min_ms..=max_ms`.
    pub fn millis(
        &self,
        name: &str,
        default_ms: u64,
        min_ms: u64,
        max_ms: u64,
    ) -> Result<Duration, ConfigError> {
        self.bounded(name, default_ms, min_ms, max_ms)
            .map(Duration::from_millis)
    }

    /// A boolean (`true/false/1/0/yes/no/on/off`).
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError {
                    name: name.to_owned(),
                    value: v,
                    reason: "expected true or false".to_owned(),
                }),
            },
        }
    }

    /// A URL whose scheme must be one of `schemes`.
    pub fn url(&self, name: &str, default: &str, schemes: &[&str]) -> Result<String, ConfigError> {
        let v = self.string(name, default);
        let scheme = v.split_once("://").map(|(s, _)| s);
        match scheme {
            Some(s) if schemes.contains(&s) => Ok(v),
            _ => Err(ConfigError {
                name: name.to_owned(),
                value: redact_url(&v),
                reason: format!(
                    "expected a URL starting with {}",
                    schemes.join(":// or ") + "://"
                ),
            }),
        }
    }
}

/// Hides the password of a URL so that it can be logged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{path}")
            } else {
                format!("{scheme}://{user}@{host}{path}")
            }
        }
        None => url.to_owned(),
    }
}

/// Settings common to the API and the worker: where the database and the
/// broker are, and how long to wait for them.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `AMQP_URL`.
    pub amqp_url: String,
    /// `HOOFBEAT_AMQP_PREFIX`: prefix of every exchange and queue name.
    pub amqp_prefix: String,
    /// `HOOFBEAT_DB_MAX_CONNECTIONS`.
    pub db_max_connections: u32,
    /// `HOOFBEAT_DB_MIN_CONNECTIONS` (default 2, at most the maximum):
    /// connections opened at start-up and kept open, so that the first
    /// requests and jobs do not pay for connecting.
    pub db_min_connections: u32,
    /// `HOOFBEAT_DB_TIMEOUT_MS`: how long to wait for a database connection
    /// before answering 503, so that a dead database never hangs a caller.
    pub db_timeout: Duration,
    /// `HOOFBEAT_AMQP_TIMEOUT_MS`: connect and publish-confirm timeout.
    pub amqp_timeout: Duration,
    /// `HOOFBEAT_RETRY_DELAYS_MS`: one retry queue per delay (comma-separated
    /// milliseconds). The API and the worker declare the same queues, so both
    /// must be given the same value.
    pub retry_delays: Vec<Duration>,
    /// `HOOFBEAT_DELIVERY_LIMIT`: redeliveries (crashes, requeues) before the
    /// broker dead-letters a message.
    pub delivery_limit: u32,
    /// `HOOFBEAT_MAX_ATTEMPTS` (default 5): attempts before a job is dead —
    /// the worker's retries and the API's stuck-job sweeper share the budget.
    pub max_attempts: u32,
    /// `HOOFBEAT_TREND_DEBOUNCE_MS` (default 2000): how long a horse's trend
    /// job waits in the outbox before it is published. Every analysis or
    /// deletion for the horse meanwhile is covered by that one job, so a
    /// burst of sessions costs one trend run per period, not one per session.
    pub trend_debounce: Duration,
}

impl CommonConfig {
    /// Reads the common settings.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let amqp_prefix = env.string("HOOFBEAT_AMQP_PREFIX", "hoofbeat");
        if amqp_prefix.is_empty()
            || !amqp_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(ConfigError {
                name: "HOOFBEAT_AMQP_PREFIX".into(),
                value: amqp_prefix,
                reason: "use letters, digits, '-', '_' or '.'".into(),
            });
        }
        Ok(Self {
            database_url: env.url(
                "DATABASE_URL",
                DEFAULT_DATABASE_URL,
                &["postgres", "postgresql"],
            )?,
            amqp_url: env.url("AMQP_URL", DEFAULT_AMQP_URL, &["amqp", "amqps"])?,
            amqp_prefix,
            db_max_connections: env.bounded("HOOFBEAT_DB_MAX_CONNECTIONS", 10, 1, 1000)? as u32,
            db_min_connections: env.bounded("HOOFBEAT_DB_MIN_CONNECTIONS", 2, 0, 1000)? as u32,
            db_timeout: env.millis("HOOFBEAT_DB_TIMEOUT_MS", 2000, 50, 600_000)?,
            amqp_timeout: env.millis("HOOFBEAT_AMQP_TIMEOUT_MS", 5000, 50, 600_000)?,
            retry_delays: retry_delays(env)?,
            delivery_limit: env.bounded("HOOFBEAT_DELIVERY_LIMIT", 10, 1, 1000)? as u32,
            max_attempts: env.bounded("HOOFBEAT_MAX_ATTEMPTS", 5, 1, 100)? as u32,
            trend_debounce: env.millis("HOOFBEAT_TREND_DEBOUNCE_MS", 2000, 0, 600_000)?,
        })
    }
}

/// Default retry delays: 5 s, 30 s, 2 min, 10 min, 30 min.
pub const DEFAULT_RETRY_DELAYS_MS: &str = "5000,30000,120000,600000,1800000";

fn retry_delays(env: &Env) -> Result<Vec<Duration>, ConfigError> {
    let raw = env.string("HOOFBEAT_RETRY_DELAYS_MS", DEFAULT_RETRY_DELAYS_MS);
    let bad = |reason: &str| ConfigError {
        name: "HOOFBEAT_RETRY_DELAYS_MS".into(),
        value: raw.clone(),
        reason: reason.into(),
    };
    let delays = raw
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<u64>()
                .map_err(|_| bad("expected comma-separated milliseconds, e.g. 5000,30000"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if delays.is_empty()
        || delays.len() > 20
        || delays.iter().any(|&d| d == 0 || d > u64::from(u32::MAX))
    {
        return Err(bad("give 1 to 20 delays, each between 1 ms and 49 days"));
    }
    Ok(delays.into_iter().map(Duration::from_millis).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_unset() {
        let c = CommonConfig::from_env(&Env::from_pairs::<_, String, String>([])).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.db_timeout, Duration::from_millis(2000));
    }

    #[test]
    fn bad_value_names_the_variable() {
        let env = Env::from_pairs([("HOOFBEAT_DB_TIMEOUT_MS", "soon")]);
        let err = CommonConfig::from_env(&env).unwrap_err();
        assert_eq!(err.name, "HOOFBEAT_DB_TIMEOUT_MS");
        assert!(err.to_string().contains("HOOFBEAT_DB_TIMEOUT_MS"));

        let env = Env::from_pairs([("DATABASE_URL", "mysql://x:secret@h/db")]);
        let err = CommonConfig::from_env(&env).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn out_of_range_is_rejected() {
        let env = Env::from_pairs([("HOOFBEAT_DB_MAX_CONNECTIONS", "0")]);
        assert_eq!(
            CommonConfig::from_env(&env).unwrap_err().name,
            "HOOFBEAT_DB_MAX_CONNECTIONS"
        );
    }

    #[test]
    fn retry_delays_parse() {
        let c =
            CommonConfig::from_env(&Env::from_pairs([("HOOFBEAT_RETRY_DELAYS_MS", "100, 200")]))
                .unwrap();
        assert_eq!(
            c.retry_delays,
            vec![Duration::from_millis(100), Duration::from_millis(200)]
        );
        for bad in ["", "0", "a,b", "100,,200"] {
            let env = Env::from_pairs([("HOOFBEAT_RETRY_DELAYS_MS", bad)]);
            if bad.is_empty() {
                assert_eq!(CommonConfig::from_env(&env).unwrap().retry_delays.len(), 5);
            } else {
                assert_eq!(
                    CommonConfig::from_env(&env).unwrap_err().name,
                    "HOOFBEAT_RETRY_DELAYS_MS"
                );
            }
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("amqp://guest:guest@h:5672/%2f"),
            "amqp://guest:***@h:5672/%2f"
        );
        assert_eq!(
            redact_url("postgres://postgres@h/db"),
            "postgres://postgres@h/db"
        );
    }
}
