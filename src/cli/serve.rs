//! `silkroute serve`: flags and environment (clap, flags > env) over the TOML
//! config file over defaults, then logging, the real services, and the server
//! until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use silkroute::paths::DataDir;
use silkroute::server::{self, ConfigLayer, LogFormat, ServerConfig, StoreTable};

use super::Outcome;

/// Serve the web app and JSON API.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]. Beyond loopback an access token is required.
    #[arg(long, env = "SILKROUTE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Access token (generated and printed once when listening beyond loopback without one).
    #[arg(long, env = "SILKROUTE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Config file [default: <data dir>/config.toml].
    #[arg(long, env = "SILKROUTE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Never download anything; the model must be installed.
    #[arg(long, env = "SILKROUTE_OFFLINE", num_args = 0..=1, default_missing_value = "true")]
    pub offline: Option<bool>,
    /// Model id from the manifest, or a path to a GGUF file.
    #[arg(long, env = "SILKROUTE_MODEL")]
    pub model: Option<String>,
    /// Draft model (manifest id or GGUF path) with the model's tokenizer, for
    /// speculative decoding of interactive localizations: same output, more
    /// tokens per step (e.g. qwen2.5-coder-0.5b-instruct-q4_k_m for the default
    /// model) [default: none].
    #[arg(long, env = "SILKROUTE_DRAFT_MODEL")]
    pub draft_model: Option<String>,
    /// Log format.
    #[arg(long, env = "SILKROUTE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Limit for JSON and form bodies, bytes [default: 1 MiB].
    #[arg(long, env = "SILKROUTE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Limit for uploaded files, bytes [default: 64 MiB].
    #[arg(long, env = "SILKROUTE_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<usize>,
    /// Interactive localizations in flight before answering 503 [default: 8].
    #[arg(long, env = "SILKROUTE_QUEUE_CAPACITY")]
    pub queue_capacity: Option<usize>,
    /// Currency of catalog prices that name none (ISO 4217) [default: `currency` in
    /// the config file, else CNY for Chinese catalogs].
    #[arg(long, env = "SILKROUTE_CURRENCY")]
    pub currency: Option<String>,
    /// Job items this server works on at once [default: 4]; 0 leaves a shared
    /// store's jobs to `silkroute worker` processes (UI and search only).
    #[arg(long, env = "SILKROUTE_WORKERS")]
    pub workers: Option<usize>,
    /// Host names (besides the address and `localhost`) the server answers to,
    /// comma-separated; any other Host header gets 421.
    #[arg(long, env = "SILKROUTE_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Option<Vec<String>>,
}

impl ServeArgs {
    fn layer(&self, store: Option<&str>) -> ConfigLayer {
        ConfigLayer {
            listen: self.listen,
            token: self.token.clone(),
            offline: self.offline,
            model: self.model.clone(),
            draft_model: self.draft_model.clone(),
            log_format: self.log_format,
            max_body_bytes: self.max_body_bytes,
            max_upload_bytes: self.max_upload_bytes,
            queue_capacity: self.queue_capacity,
            currency: self.currency.clone(),
            workers: self.workers,
            store: store.map(|u| StoreTable {
                url: Some(u.to_string()),
            }),
            allowed_hosts: self.allowed_hosts.clone(),
            ..ConfigLayer::default()
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => b.json().try_init(),
        LogFormat::Pretty => b.try_init(),
    };
}

/// Run the server.
pub fn run(data: &DataDir, store: Option<&str>, args: ServeArgs) -> anyhow::Result<Outcome> {
    let data = data.clone();
    let (file, must_exist) = match &args.config {
        Some(p) => (p.clone(), true),
        None => (ServerConfig::default_file(&data), false),
    };
    let layer = args
        .layer(store)
        .over(ConfigLayer::from_file(&file, must_exist)?);
    let mut config = ServerConfig::resolve(layer, data)?;
    config.config_file = file;
    init_logging(config.log_format);
    std::fs::create_dir_all(config.data_dir.root())
        .with_context(|| format!("create data dir {}", config.data_dir.root().display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        match (&config.token, config.token_generated) {
            (Some(t), true) => {
                println!("silkroute: access token (shown once): {t}");
                println!("silkroute: open http://{addr}/?token={t}");
            }
            (Some(_), false) => println!("silkroute: listening on http://{addr}/ (token required)"),
            (None, _) => println!("silkroute: listening on http://{addr}/"),
        }
        let state = tokio::task::spawn_blocking(move || server::build(config)).await??;
        server::serve(listener, state, server::shutdown_signal()).await
    })?;
    Ok(Outcome::Ok)
}
