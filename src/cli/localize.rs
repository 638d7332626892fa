//! `silkroute localize`, `silkroute markets` and `silkroute eval`: the command-line
//! side of the localization pipeline. Arguments are validated into a [`Config`]
//! first (paths read, market resolved), then the work runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use silkroute::Listing;
use silkroute::listing::Status;
use silkroute::llm::Generate;
use silkroute::localize::{
    EvalOptions, FieldEvent, Glossary, InMemoryTm, LocalizeOptions, Pipeline, PipelineOptions,
    Rates, Templates, Terminology, is_blocking, load_dev_set, run_eval,
};
use silkroute::market::{MarketProfile, MarketRegistry};
use silkroute::paths::DataDir;

use super::Outcome;

/// Largest listing file accepted.
const MAX_LISTING_BYTES: u64 = 4 * 1024 * 1024;

/// `silkroute localize`.
#[derive(Debug, Args)]
pub struct LocalizeArgs {
    /// Target market profile id (see `silkroute markets list`).
    #[arg(long)]
    pub market: String,
    /// The listings, one JSON file each (the `Listing` shape: sku, title,
    /// bullets, description …), localized in turn by one loaded model.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Model id from the manifest, or a path to a .gguf file (default: the default model).
    #[arg(long)]
    pub model: Option<String>,
    /// Seller glossary CSV: source,target_lang,target (empty target = do not translate).
    #[arg(long)]
    pub glossary: Option<PathBuf>,
    /// Exchange rates CSV: from,to,rate.
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Keep the original quantity in brackets after converted units.
    #[arg(long)]
    pub keep_original_units: bool,
    /// Keywords for this market to work into the title (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub keywords: Vec<String>,
    /// Prompt templates directory overriding the built-in ones.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Print the result as JSON (one line per listing when there are several).
    #[arg(long)]
    pub json: bool,
}

/// `silkroute markets`.
#[derive(Debug, Args)]
pub struct MarketsArgs {
    #[command(subcommand)]
    /// What to do.
    pub action: MarketsAction,
}

/// `silkroute markets list|show`.
#[derive(Debug, Subcommand)]
pub enum MarketsAction {
    /// List every market profile (built-in and from <data dir>/markets).
    List,
    /// Show one profile in full.
    Show {
        /// Profile id.
        id: String,
    },
}

/// `silkroute eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model id or .gguf path (default: the default model).
    #[arg(long)]
    pub model: Option<String>,
    /// Dev set directory.
    #[arg(long, default_value = "tests/data/eval")]
    pub dev_set: PathBuf,
    /// At most N listings per source language.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Target languages to run (comma separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub langs: Vec<String>,
    /// Listings localized at once by the pipeline.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Generation attempts per segment.
    #[arg(long, default_value_t = 3)]
    pub attempts: usize,
    /// Splits to run: `dev` (the dev set's own directory) and `critical` (its
    /// `critical/` directory: standard sizes, compound units, HTML, brands; units
    /// converted for the market).
    #[arg(long, value_delimiter = ',', default_value = "dev,critical")]
    pub split: Vec<String>,
}

/// Validated `localize` configuration.
struct Config {
    listings: Vec<(PathBuf, Listing)>,
    profile: MarketProfile,
    opts: LocalizeOptions,
    templates: Templates,
}

fn read_bounded(p: &Path, what: &str) -> anyhow::Result<String> {
    let m = std::fs::metadata(p).with_context(|| format!("{what} {}", p.display()))?;
    if m.len() > MAX_LISTING_BYTES {
        bail!(
            "{what} {}: {} bytes, over the {MAX_LISTING_BYTES}-byte limit",
            p.display(),
            m.len()
        );
    }
    std::fs::read_to_string(p).with_context(|| format!("{what} {}", p.display()))
}

fn registry(data: &DataDir) -> anyhow::Result<MarketRegistry> {
    Ok(MarketRegistry::with_user_dir(&data.markets())?)
}

impl LocalizeArgs {
    fn validate(&self, data: &DataDir) -> anyhow::Result<Config> {
        let reg = registry(data)?;
        let profile = reg.get(&self.market)?.clone();
        let mut listings = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let text = read_bounded(file, "listing")?;
            let listing: Listing = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: line {}, column {}: {e}",
                    file.display(),
                    e.line(),
                    e.column()
                )
            })?;
            listing
                .validate()
                .with_context(|| format!("{}", file.display()))?;
            listings.push((file.clone(), listing));
        }
        let glossary = match &self.glossary {
            Some(p) => Glossary::from_csv(&read_bounded(p, "glossary")?, &p.display().to_string())?,
            None => Glossary::default(),
        };
        let rates = match &self.rates {
            Some(p) => Some(
                Rates::from_csv(&read_bounded(p, "rates")?, &p.display().to_string())?
                    .with_reference()?,
            ),
            None => None,
        };
        let templates = match &self.templates {
            Some(d) => Templates::from_dir(d)?,
            None => Templates::builtin()?,
        };
        Ok(Config {
            listings,
            profile,
            opts: LocalizeOptions {
                glossary,
                rates,
                keep_original_units: self.keep_original_units,
                market_keywords: self.keywords.clone(),
                ..Default::default()
            },
            templates,
        })
    }
}

/// Load the model as a shared generator.
fn load_generator(data: &DataDir, model: Option<&str>) -> anyhow::Result<Arc<dyn Generate>> {
    // The default model (or a manifest id) is installed on first use.
    let path = silkroute::llm::resolve_model(data, model, false)?;
    eprintln!("loading model {}", path.display());
    let engine = silkroute::llm::Engine::load(&path, silkroute::llm::EngineOptions::default())
        .with_context(|| format!("loading {}", path.display()))?;
    Ok(Arc::new(engine))
}

/// Run `silkroute localize`.
pub fn localize(args: LocalizeArgs, data: &DataDir) -> anyhow::Result<Outcome> {
    let cfg = args.validate(data)?;
    let generator = load_generator(data, args.model.as_deref())?;
    let pipeline = Pipeline::new(
        generator,
        Arc::new(cfg.templates),
        Arc::new(Terminology::builtin()?),
        PipelineOptions {
            tm: Some(Arc::new(InMemoryTm::new())),
            ..Default::default()
        },
    );
    let quiet = args.json;
    let several = cfg.listings.len() > 1;
    let mut any_review = false;
    for (i, (file, listing)) in cfg.listings.iter().enumerate() {
        let started = std::time::Instant::now();
        let out = pipeline
            .localize_with_progress(listing, &cfg.profile, &cfg.opts, &mut |e| {
                if quiet {
                    return;
                }
                match e {
                    FieldEvent::Retry {
                        field,
                        attempt,
                        reasons,
                    } => {
                        eprintln!("  {field}: attempt {attempt} ({})", reasons.join(", "))
                    }
                    FieldEvent::Done {
                        field, warnings, ..
                    } if !warnings.is_empty() => {
                        eprintln!("  {field}: {} warning(s)", warnings.len())
                    }
                    _ => {}
                }
            })
            .with_context(|| format!("{}", file.display()))?;
        let secs = started.elapsed().as_secs_f64();
        any_review |= out.status == Status::NeedsReview;
        let mut stdout = std::io::stdout().lock();
        if args.json && several {
            serde_json::to_writer(&mut stdout, &out)?;
            writeln!(stdout)?;
        } else if args.json {
            serde_json::to_writer_pretty(&mut stdout, &out)?;
            writeln!(stdout)?;
        } else {
            if i > 0 {
                writeln!(stdout, "\n")?;
            }
            print_listing(&mut stdout, &out, secs)?;
        }
    }
    Ok(if any_review {
        Outcome::Partial
    } else {
        Outcome::Ok
    })
}

/// The human-readable form of one localized listing.
fn print_listing(
    stdout: &mut impl Write,
    out: &silkroute::listing::LocalizedListing,
    secs: f64,
) -> std::io::Result<()> {
    writeln!(
        stdout,
        "{} → {} ({}), {:.1} s, status: {}",
        out.sku, out.market, out.language, secs, out.status
    )?;
    writeln!(stdout, "\nTitle: {}", out.title)?;
    for b in &out.bullets {
        writeln!(stdout, "  • {b}")?;
    }
    if !out.description.is_empty() {
        writeln!(stdout, "\nDescription:\n{}", out.description)?;
    }
    for a in &out.attributes {
        writeln!(stdout, "  {}: {}", a.name, a.value)?;
    }
    if !out.keywords.is_empty() {
        writeln!(stdout, "\nSearch terms: {}", out.keywords.join(", "))?;
    }
    if let Some(p) = &out.price {
        writeln!(stdout, "Price: {} {}", p.amount, p.currency)?;
    }
    if !out.warnings.is_empty() {
        writeln!(stdout, "\nWarnings:")?;
        for w in &out.warnings {
            let mark = if is_blocking(&w.code) { "!" } else { "-" };
            writeln!(stdout, " {mark} {} [{}] {}", w.field, w.code, w.message)?;
        }
    }
    Ok(())
}

/// Run `silkroute markets`.
pub fn markets(args: MarketsArgs, data: &DataDir) -> anyhow::Result<Outcome> {
    let reg = registry(data)?;
    let mut out = std::io::stdout().lock();
    match args.action {
        MarketsAction::List => {
            for p in reg.iter() {
                writeln!(
                    out,
                    "{:<20} {:<5} {:<4} {:<9} title≤{:<4} {}",
                    p.id,
                    p.language,
                    p.currency,
                    format!("{:?}", p.measurement).to_lowercase(),
                    p.title.max_chars,
                    p.name
                )?;
            }
        }
        MarketsAction::Show { id } => {
            let p = reg.get(&id)?;
            writeln!(out, "{}", toml::to_string_pretty(p)?)?;
        }
    }
    Ok(Outcome::Ok)
}

/// Run `silkroute eval`.
pub fn eval(args: EvalArgs, data: &DataDir) -> anyhow::Result<Outcome> {
    for s in &args.split {
        if !matches!(s.as_str(), "dev" | "critical") {
            bail!("--split: `{s}` is not a split (dev, critical)");
        }
    }
    let reg = registry(data)?;
    let generator = load_generator(data, args.model.as_deref())?;
    let pipeline = Pipeline::new(
        generator,
        Arc::new(Templates::builtin()?),
        Arc::new(Terminology::builtin()?),
        PipelineOptions {
            max_attempts: args.attempts,
            ..Default::default()
        },
    );
    for split in &args.split {
        let critical = split == "critical";
        let dir = if critical {
            args.dev_set.join("critical")
        } else {
            args.dev_set.clone()
        };
        let set = load_dev_set(&dir)?;
        let report = run_eval(
            &pipeline,
            &reg,
            &set,
            &EvalOptions {
                limit: args.limit,
                langs: args.langs.clone(),
                concurrency: args.concurrency,
                convert_units: critical,
            },
        )?;
        println!("split: {split} ({})", dir.display());
        print!("{report}");
    }
    Ok(Outcome::Ok)
}
