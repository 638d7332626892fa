//! Server configuration: a TOML file, `SILKROUTE_*` environment variables and
//! command-line flags, merged in that order of precedence (flags > env > file >
//! defaults). The CLI (`src/cli/serve.rs`) parses flags and environment with clap
//! into a [`ConfigLayer`], reads the file into another, and calls
//! [`ServerConfig::resolve`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::paths::DataDir;
use crate::store::StoreLocation;

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default limit for JSON and form bodies (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default limit for catalog and glossary uploads (64 MiB).
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// Default number of interactive localizations in flight before 503.
pub const DEFAULT_QUEUE_CAPACITY: usize = 8;
/// Default number of job items worked on at once (the engine batches them).
pub const DEFAULT_WORKERS: usize = 4;
/// Default time a client has to send a request's headers, which is also how
/// long an idle keep-alive connection is kept (hyper starts the same timer
/// when it waits for the next request), in seconds.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 15;
/// Default number of open connections; more wait in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Default number of live event streams (job progress, streamed localizations).
pub const DEFAULT_MAX_EVENT_STREAMS: usize = 32;
/// Default time an interactive localization may wait for room in the model's
/// queue, in seconds.
pub const DEFAULT_LOCALIZE_TIMEOUT_SECS: u64 = 300;

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

/// One source of settings; every field optional. The TOML file has exactly these
/// keys (unknown keys are an error naming the key).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Access token (required when `listen` is not loopback).
    pub token: Option<String>,
    /// Never download anything (models must already be installed).
    pub offline: Option<bool>,
    /// Model id to load (default: the manifest's default model).
    pub model: Option<String>,
    /// Draft model (id or GGUF path) for speculative decoding of interactive
    /// localizations (default: none, speculation off).
    pub draft_model: Option<String>,
    /// Log format.
    pub log_format: Option<LogFormat>,
    /// Limit for JSON and form request bodies, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Limit for uploaded files, in bytes.
    pub max_upload_bytes: Option<usize>,
    /// Interactive localizations in flight before the server answers 503.
    pub queue_capacity: Option<usize>,
    /// The data directory's default source currency (ISO 4217): catalog prices
    /// that name none are read in it.
    pub currency: Option<String>,
    /// Host names the server answers to besides its address and `localhost`.
    pub allowed_hosts: Option<Vec<String>>,
    /// Seconds to send a request's headers (and an idle keep-alive's life).
    pub header_timeout_secs: Option<u64>,
    /// Most open connections.
    pub max_connections: Option<usize>,
    /// Most live event streams.
    pub max_event_streams: Option<usize>,
    /// Seconds an interactive localization may wait for the model's queue.
    pub localize_timeout_secs: Option<u64>,
    /// Job items this server works on at once (0: none, UI and search only,
    /// when `silkroute worker` processes do the jobs of a shared store).
    pub workers: Option<usize>,
    /// `[store]`: where the store is.
    pub store: Option<StoreTable>,
}

/// The `[store]` table of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreTable {
    /// `sqlite` (the data directory's file, the default) or a `postgres://` URL.
    pub url: Option<String>,
}

impl ConfigLayer {
    /// Read a TOML file; a missing file at the default path is an empty layer.
    pub fn from_file(path: &Path, must_exist: bool) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Self::default());
            }
            Err(e) => return Err(e).with_context(|| format!("config file {}", path.display())),
        };
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }

    /// `self` where set, else `lower`.
    pub fn over(self, lower: ConfigLayer) -> ConfigLayer {
        ConfigLayer {
            listen: self.listen.or(lower.listen),
            token: self.token.or(lower.token),
            offline: self.offline.or(lower.offline),
            model: self.model.or(lower.model),
            draft_model: self.draft_model.or(lower.draft_model),
            log_format: self.log_format.or(lower.log_format),
            max_body_bytes: self.max_body_bytes.or(lower.max_body_bytes),
            max_upload_bytes: self.max_upload_bytes.or(lower.max_upload_bytes),
            queue_capacity: self.queue_capacity.or(lower.queue_capacity),
            currency: self.currency.or(lower.currency),
            workers: self.workers.or(lower.workers),
            store: match (self.store, lower.store) {
                (Some(StoreTable { url: Some(u) }), _) => Some(StoreTable { url: Some(u) }),
                (_, lower) => lower,
            },
            allowed_hosts: self.allowed_hosts.or(lower.allowed_hosts),
            header_timeout_secs: self.header_timeout_secs.or(lower.header_timeout_secs),
            max_connections: self.max_connections.or(lower.max_connections),
            max_event_streams: self.max_event_streams.or(lower.max_event_streams),
            localize_timeout_secs: self.localize_timeout_secs.or(lower.localize_timeout_secs),
        }
    }
}

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Access token; `Some` means every request (but health probes) needs it.
    pub token: Option<String>,
    /// True when the token was generated (print it once).
    pub token_generated: bool,
    /// Never download anything.
    pub offline: bool,
    /// Model id to load.
    pub model: Option<String>,
    /// Draft model for speculative decoding of interactive requests.
    pub draft_model: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// Limit for JSON and form bodies.
    pub max_body_bytes: usize,
    /// Limit for uploads.
    pub max_upload_bytes: usize,
    /// Interactive localizations in flight before 503.
    pub queue_capacity: usize,
    /// Default source currency for catalog prices that name none.
    pub currency: Option<String>,
    /// The config file read (and written by the settings page).
    pub config_file: PathBuf,
    /// Job items worked on here at once (0: none).
    pub workers: usize,
    /// Where the store is.
    pub store: StoreLocation,
    /// Host names answered besides IP addresses and `localhost`.
    pub allowed_hosts: Vec<String>,
    /// Header read (and keep-alive idle) timeout.
    pub header_timeout: std::time::Duration,
    /// Most open connections.
    pub max_connections: usize,
    /// Most live event streams.
    pub max_event_streams: usize,
    /// How long an interactive localization may wait for the model's queue.
    pub localize_timeout: std::time::Duration,
    /// The data directory.
    pub data_dir: DataDir,
}

impl ServerConfig {
    /// The default config file: `<DataDir>/config.toml`.
    pub fn default_file(data: &DataDir) -> PathBuf {
        data.root().join("config.toml")
    }

    /// Merge `layer` (already flags > env > file) over the defaults and validate.
    /// A non-loopback address without a token gets a freshly generated one.
    pub fn resolve(layer: ConfigLayer, data_dir: DataDir) -> anyhow::Result<Self> {
        let listen = match layer.listen {
            Some(l) => l,
            None => DEFAULT_LISTEN.parse().context("default listen address")?,
        };
        let max_body_bytes = layer.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        let max_upload_bytes = layer.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD_BYTES);
        let queue_capacity = layer.queue_capacity.unwrap_or(DEFAULT_QUEUE_CAPACITY);
        anyhow::ensure!(
            max_body_bytes >= 1024,
            "max_body_bytes must be at least 1024"
        );
        anyhow::ensure!(
            max_upload_bytes >= 1024,
            "max_upload_bytes must be at least 1024"
        );
        anyhow::ensure!(queue_capacity >= 1, "queue_capacity must be at least 1");
        let header_timeout_secs = layer
            .header_timeout_secs
            .unwrap_or(DEFAULT_HEADER_TIMEOUT_SECS);
        anyhow::ensure!(
            (1..=3600).contains(&header_timeout_secs),
            "header_timeout_secs must be 1 to 3600"
        );
        let max_connections = layer.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
        anyhow::ensure!(max_connections >= 4, "max_connections must be at least 4");
        let max_event_streams = layer.max_event_streams.unwrap_or(DEFAULT_MAX_EVENT_STREAMS);
        anyhow::ensure!(
            max_event_streams >= 1,
            "max_event_streams must be at least 1"
        );
        let localize_timeout_secs = layer
            .localize_timeout_secs
            .unwrap_or(DEFAULT_LOCALIZE_TIMEOUT_SECS);
        anyhow::ensure!(
            localize_timeout_secs >= 1,
            "localize_timeout_secs must be at least 1"
        );
        let allowed_hosts = layer.allowed_hosts.unwrap_or_default();
        for h in &allowed_hosts {
            anyhow::ensure!(
                !h.is_empty()
                    && h.len() <= 253
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)),
                "allowed_hosts: `{h}` is not a host name"
            );
        }
        let mut token = layer.token.filter(|t| !t.is_empty());
        if let Some(t) = &token {
            anyhow::ensure!(
                t.len() >= 16 && t.len() <= 256 && t.bytes().all(|b| b.is_ascii_graphic()),
                "token must be 16 to 256 printable ASCII characters"
            );
        }
        let currency = layer
            .currency
            .as_deref()
            .map(currency_code)
            .transpose()
            .context("currency")?;
        let mut token_generated = false;
        if token.is_none() && !listen.ip().is_loopback() {
            token = Some(random_token());
            token_generated = true;
        }
        Ok(Self {
            listen,
            token,
            token_generated,
            offline: layer.offline.unwrap_or(false),
            model: layer.model,
            draft_model: layer.draft_model.filter(|d| !d.is_empty()),
            log_format: layer.log_format.unwrap_or_default(),
            max_body_bytes,
            max_upload_bytes,
            queue_capacity,
            currency,
            config_file: Self::default_file(&data_dir),
            workers: layer.workers.unwrap_or(DEFAULT_WORKERS),
            store: match layer.store.and_then(|s| s.url) {
                Some(url) => StoreLocation::parse(&url).context("[store] url")?,
                None => StoreLocation::DataDir,
            },
            allowed_hosts,
            header_timeout: std::time::Duration::from_secs(header_timeout_secs),
            max_connections,
            max_event_streams,
            localize_timeout: std::time::Duration::from_secs(localize_timeout_secs),
            data_dir,
        })
    }

    /// A configuration for tests: loopback, no token, default limits.
    pub fn for_tests(data_dir: DataDir) -> Self {
        Self::resolve(ConfigLayer::default(), data_dir).expect("defaults are valid")
    }
}

/// A currency code as the config and forms take it: an ISO 4217 code in any
/// case; returned upper case.
pub fn currency_code(s: &str) -> anyhow::Result<String> {
    let c = s.trim().to_ascii_uppercase();
    anyhow::ensure!(
        crate::listing::is_iso4217(&c),
        "`{}` is not an ISO 4217 currency code such as CNY or USD",
        s.trim().chars().take(16).collect::<String>()
    );
    Ok(c)
}

/// The data directory's default source currency: `currency` in its
/// `config.toml` (`None` when the file or the key is missing).
pub fn default_currency(data: &DataDir) -> anyhow::Result<Option<String>> {
    let path = ServerConfig::default_file(data);
    ConfigLayer::from_file(&path, false)?
        .currency
        .as_deref()
        .map(currency_code)
        .transpose()
        .with_context(|| format!("config file {}: currency", path.display()))
}

/// Set (or with `None` remove) the `currency` key of a config file, keeping
/// every other line as it is. The file has no tables (every key of
/// [`ConfigLayer`] is top-level), so the key is one line at the top; the result
/// is parsed before it replaces the file.
pub fn save_currency(path: &Path, currency: Option<&str>) -> anyhow::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("config file {}", path.display())),
    };
    let is_key = |l: &str| {
        l.trim_start()
            .strip_prefix("currency")
            .is_some_and(|r| r.trim_start().starts_with('='))
    };
    let mut text = String::new();
    if let Some(c) = currency {
        text.push_str(&format!("currency = \"{}\"\n", currency_code(c)?));
    }
    for line in old.lines().filter(|l| !is_key(l)) {
        text.push_str(line);
        text.push('\n');
    }
    toml::from_str::<ConfigLayer>(&text)
        .with_context(|| format!("config file {}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    crate::paths::write_durably(path, text.as_bytes())
        .with_context(|| format!("config file {}", path.display()))
}

/// 32 random bytes as hex: access tokens, CSRF tokens, upload names.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_flags_over_env_over_file_over_defaults() {
        let file: ConfigLayer = toml::from_str(
            "listen = \"127.0.0.1:9000\"\nqueue_capacity = 3\nmax_body_bytes = 4096\n",
        )
        .unwrap();
        let env = ConfigLayer {
            queue_capacity: Some(5),
            ..Default::default()
        };
        let flags = ConfigLayer {
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Default::default()
        };
        let c = ServerConfig::resolve(flags.over(env.over(file)), DataDir::at("/tmp/x")).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.queue_capacity, 5);
        assert_eq!(c.max_body_bytes, 4096);
        assert_eq!(c.max_upload_bytes, DEFAULT_MAX_UPLOAD_BYTES);
        assert!(c.token.is_none());
    }

    #[test]
    fn currency_is_validated_saved_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::at(dir.path());
        assert_eq!(default_currency(&data).unwrap(), None);
        let file = ServerConfig::default_file(&data);
        std::fs::write(&file, "# mine\nqueue_capacity = 3\ncurrency = \"usd\"\n").unwrap();
        assert_eq!(default_currency(&data).unwrap().as_deref(), Some("USD"));
        save_currency(&file, Some("cny")).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains("# mine") && text.contains("queue_capacity = 3"),
            "{text}"
        );
        assert_eq!(text.matches("currency").count(), 1, "{text}");
        assert_eq!(default_currency(&data).unwrap().as_deref(), Some("CNY"));
        save_currency(&file, None).unwrap();
        assert_eq!(default_currency(&data).unwrap(), None);
        assert!(save_currency(&file, Some("yuan")).is_err());
        let layer = ConfigLayer {
            currency: Some("euro".into()),
            ..Default::default()
        };
        let e = ServerConfig::resolve(layer, data).unwrap_err();
        assert!(format!("{e:#}").contains("euro"), "{e:#}");
    }

    #[test]
    fn non_loopback_gets_a_token_and_unknown_keys_are_named() {
        let layer = ConfigLayer {
            listen: Some("0.0.0.0:8080".parse().unwrap()),
            ..Default::default()
        };
        let c = ServerConfig::resolve(layer, DataDir::at("/tmp/x")).unwrap();
        assert!(c.token_generated);
        assert_eq!(c.token.unwrap().len(), 64);
        let e = toml::from_str::<ConfigLayer>("lisen = \"x\"").unwrap_err();
        assert!(e.to_string().contains("lisen"), "{e}");
    }
}
