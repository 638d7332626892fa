//! The command line: clap definitions and one file per command group. Errors are
//! `anyhow` here; exit codes are 0 (ok), 1 (some rows rejected or checks failed)
//! and 2 (unusable input or arguments).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod batch;
mod catalog;
mod llm;
mod localize;
mod models;
mod search;
mod serve;
mod worker;

/// silkroute: localize product listings for foreign markets, locally.
#[derive(Debug, Parser)]
#[command(name = "silkroute", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (store, index, models). Default: $SILKROUTE_HOME or ~/.local/share/silkroute.
    #[arg(long, global = true, env = "SILKROUTE_HOME")]
    pub data_dir: Option<std::path::PathBuf>,
    /// The store: `sqlite` (the data directory's file, the default) or a
    /// postgres:// URL shared by many machines. Default: $SILKROUTE_STORE, else
    /// `[store] url` in <data dir>/config.toml.
    #[arg(long, global = true, env = "SILKROUTE_STORE", hide_env_values = true)]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and JSON API (127.0.0.1:8080; loads the default model in the background).
    Serve(serve::ServeArgs),
    /// Catalog files: check, convert, generate.
    Catalog(catalog::CatalogArgs),
    /// Install, verify and locate the language models (list | install | verify | path).
    Models(models::ModelsArgs),
    /// Localize a whole catalog into markets as a resumable job.
    Batch(batch::BatchArgs),
    /// List, show, resume or cancel batch jobs.
    #[command(subcommand)]
    Jobs(batch::JobsCommand),
    /// Stream a language model's answer to a prompt.
    Generate(llm::GenerateArgs),
    /// Speed benchmarks (`bench llm`).
    Bench(llm::BenchArgs),
    /// Localize one listing for a market.
    Localize(localize::LocalizeArgs),
    /// List or show market profiles.
    Markets(localize::MarketsArgs),
    /// Run the localization dev set: naive prompt vs pipeline.
    Eval(localize::EvalArgs),
    /// Search the listings in every language (filters, facets, snippets).
    Search(search::SearchArgs),
    /// The search index (`index rebuild`).
    #[command(subcommand)]
    Index(search::IndexCommand),
    /// Work on job items from a shared (PostgreSQL) store, on this machine.
    Worker(worker::WorkerArgs),
    /// List the workers of a shared store: model, throughput, current items.
    Workers(worker::WorkersArgs),
}

/// Outcome of a command that ran: maps to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went through.
    Ok,
    /// It ran, but some rows were rejected or some checks failed.
    Partial,
}

/// Parse arguments, run, and map the result to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // `serve` sets up its own logging; other commands log only when asked
    // (RUST_LOG=silkroute=debug shows each generation and pipeline round).
    // `worker` logs each item at info by default (its logs are its record).
    let logs = std::env::var_os("RUST_LOG").is_some() || matches!(cli.command, Command::Worker(_));
    if !matches!(cli.command, Command::Serve(_)) && logs {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .with_writer(std::io::stderr)
            .try_init();
    }
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", printable(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// Text safe to print on a terminal: control characters other than newline
/// and tab (ESC starts terminal escape sequences, which a catalog cell or a
/// file name could carry to recolour, retitle or rewrite the screen) and the
/// bidirectional overrides are shown as `\u{..}` escapes.
pub(crate) fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if bad(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Where the store is: `--store` / `SILKROUTE_STORE`, else `[store] url` in
/// the data directory's config.toml, else the data directory's SQLite file.
fn store_location(
    flag: Option<&str>,
    data: &silkroute::paths::DataDir,
) -> anyhow::Result<silkroute::store::StoreLocation> {
    use anyhow::Context;
    use silkroute::store::StoreLocation;
    if let Some(s) = flag {
        return Ok(StoreLocation::parse(s)?);
    }
    let file = silkroute::server::ServerConfig::default_file(data);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StoreLocation::DataDir),
        Err(e) => return Err(e).with_context(|| format!("config file {}", file.display())),
    };
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("config file {}", file.display()))?;
    match table
        .get("store")
        .and_then(|s| s.get("url"))
        .and_then(|u| u.as_str())
    {
        Some(url) => Ok(StoreLocation::parse(url)
            .with_context(|| format!("config file {}: [store] url", file.display()))?),
        None => Ok(StoreLocation::DataDir),
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let data_dir = silkroute::paths::DataDir::resolve(cli.data_dir.as_deref());
    let store = || store_location(cli.store.as_deref(), &data_dir);
    match cli.command {
        Command::Serve(a) => serve::run(&data_dir, cli.store.as_deref(), a),
        Command::Catalog(a) => catalog::run(&data_dir, a),
        Command::Models(args) => models::run(&data_dir, args),
        Command::Batch(args) => batch::batch(&data_dir, &store()?, args),
        Command::Jobs(cmd) => batch::jobs(&data_dir, &store()?, cmd),
        Command::Generate(a) => llm::generate(&data_dir, a),
        Command::Bench(a) => llm::bench(&data_dir, a),
        Command::Localize(a) => localize::localize(a, &data_dir),
        Command::Markets(a) => localize::markets(a, &data_dir),
        Command::Eval(a) => localize::eval(a, &data_dir),
        Command::Search(a) => search::search(&data_dir, a),
        Command::Index(c) => search::index(&data_dir, &store()?, c),
        Command::Worker(a) => worker::worker(&data_dir, &store()?, a),
        Command::Workers(a) => worker::workers(&data_dir, &store()?, a),
    }
}
