//! `silkroute localize`, `silkroute markets` and `silkroute eval`: the command-line
//! side of the localization pipeline. Arguments are validated into a [`Config`]
//! first (paths read, market resolved), then the work runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use silkroute::Listing;
use silkroute::index::PairIndex;
use silkroute::listing::Status;
use silkroute::llm::Generate;
use silkroute::localize::{
    EvalEvent, EvalOptions, EvalSystem, ExampleBank, FieldEvent, Glossary, InMemoryTm,
    LocalizeOptions, MAX_BEST_OF, Pipeline, PipelineOptions, QualityConfig, QualityOptions, Rates,
    Templates, Terminology, eval_size, is_blocking, load_dev_set, run_eval,
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
    /// Systems to run, in this order (comma separated): `naive` (one prompt per
    /// listing, nothing checked), `baseline` (the pipeline without retrieved
    /// examples, best-of-N or round trip), `retrieval` (the baseline with
    /// retrieved examples only) and `pipeline` (as quality.toml and the flags
    /// below say).
    #[arg(long, value_delimiter = ',', default_value = "naive,pipeline")]
    pub systems: Vec<String>,
    /// Write every scored field as JSON Lines: source, reference, each system's
    /// output with its findings and scores.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `pipeline` without retrieved examples (the fixed examples instead).
    #[arg(long)]
    pub no_retrieval: bool,
    /// `pipeline` with N candidates for every field kind that has best-of-N in
    /// quality.toml (1 = greedy only).
    #[arg(long)]
    pub best_of: Option<usize>,
    /// `pipeline` without the round trip (no round-trip scores or flags).
    #[arg(long)]
    pub no_roundtrip: bool,
    /// A quality.toml for `pipeline` instead of the built-in one (retrieval k,
    /// candidates and temperature per field kind, round-trip thresholds).
    #[arg(long)]
    pub quality: Option<PathBuf>,
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
    quality: QualityConfig,
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
            // Read as a JSON catalog's listing is ("price": "24.95 USD" too),
            // the same rules as the API's.
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: line {}, column {}: {e}",
                    file.display(),
                    e.line(),
                    e.column()
                )
            })?;
            let listing: Listing = silkroute::catalog::listing_from_json(value)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
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
        let (templates, quality) = match &self.templates {
            Some(d) => (Templates::from_dir(d)?, QualityConfig::from_dir(d)?),
            None => (Templates::builtin()?, QualityConfig::builtin()?),
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
            quality,
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

/// The built-in example bank, with the data directory's seller bank (read
/// only: a running server may be writing it) in front when there is one.
fn example_bank(data: Option<&DataDir>, quality: &QualityConfig) -> anyhow::Result<ExampleBank> {
    let started = std::time::Instant::now();
    let mut bank = ExampleBank::builtin(quality.retrieval_options())?;
    if let Some(data) = data
        && let Some(seller) = PairIndex::open_read_only(&data.bank())
            .with_context(|| format!("example bank {}", data.bank().display()))?
    {
        bank = bank.with_seller(seller);
    }
    let (builtin, seller) = bank.len();
    tracing::info!(
        builtin,
        seller,
        ms = started.elapsed().as_millis() as u64,
        "example bank loaded"
    );
    Ok(bank)
}

/// Run `silkroute localize`.
pub fn localize(args: LocalizeArgs, data: &DataDir) -> anyhow::Result<Outcome> {
    let cfg = args.validate(data)?;
    let bank = Arc::new(example_bank(Some(data), &cfg.quality)?);
    let generator = load_generator(data, args.model.as_deref())?;
    let pipeline = Pipeline::new(
        generator,
        Arc::new(cfg.templates),
        Arc::new(Terminology::builtin()?),
        PipelineOptions {
            tm: Some(Arc::new(InMemoryTm::new())),
            quality: cfg.quality.options(Some(bank)),
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

/// The systems `silkroute eval` knows.
const EVAL_SYSTEMS: [&str; 4] = ["naive", "baseline", "retrieval", "pipeline"];

/// Run `silkroute eval`.
pub fn eval(args: EvalArgs, data: &DataDir) -> anyhow::Result<Outcome> {
    for s in &args.systems {
        if !EVAL_SYSTEMS.contains(&s.as_str()) {
            bail!(
                "--systems: unknown system `{s}` (known: {})",
                EVAL_SYSTEMS.join(", ")
            );
        }
    }
    if args.systems.is_empty() {
        bail!("--systems: name at least one system");
    }
    for s in &args.split {
        if !matches!(s.as_str(), "dev" | "critical") {
            bail!("--split: `{s}` is not a split (dev, critical)");
        }
    }
    let mut sets = Vec::with_capacity(args.split.len());
    for split in &args.split {
        let critical = split == "critical";
        let dir = if critical {
            args.dev_set.join("critical")
        } else {
            args.dev_set.clone()
        };
        let set = load_dev_set(&dir)?;
        let opts = EvalOptions {
            limit: args.limit,
            langs: args.langs.clone(),
            concurrency: args.concurrency,
            convert_units: critical,
        };
        sets.push((split.as_str(), dir, set, opts));
    }
    let reg = registry(data)?;
    let out_file = match &args.out {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("--out {}", p.display()))?,
        )),
        None => None,
    };
    let mut quality = match &args.quality {
        Some(p) => QualityConfig::parse(
            &std::fs::read_to_string(p).with_context(|| format!("--quality {}", p.display()))?,
            &p.display().to_string(),
        )?,
        None => QualityConfig::builtin()?,
    };
    if args.no_retrieval {
        quality.retrieval.enabled = false;
    }
    if args.no_roundtrip {
        quality.roundtrip.enabled = false;
    }
    if let Some(n) = args.best_of {
        if n == 0 || n > MAX_BEST_OF {
            bail!("--best-of: 1 to {MAX_BEST_OF}");
        }
        for b in quality.best_of.values_mut() {
            b.n = n;
        }
    }
    // The dev set is scored against the built-in bank only: a data
    // directory's approved translations are not part of the evaluation.
    let wants_bank =
        |s: &String| s == "retrieval" || (s == "pipeline" && quality.retrieval.enabled);
    let bank = if args.systems.iter().any(wants_bank) {
        Some(Arc::new(example_bank(None, &quality)?))
    } else {
        None
    };
    let generator = load_generator(data, args.model.as_deref())?;
    let templates = Arc::new(Templates::builtin()?);
    let terminology = Arc::new(Terminology::builtin()?);
    let pipeline_for = |name: &str| {
        Pipeline::new(
            generator.clone(),
            templates.clone(),
            terminology.clone(),
            PipelineOptions {
                max_attempts: args.attempts,
                quality: match name {
                    "pipeline" => quality.options(bank.clone()),
                    // Today's pipeline with retrieved examples only.
                    "retrieval" => QualityOptions {
                        examples: bank.clone(),
                        protect_examples: quality.retrieval.protect,
                        ..Default::default()
                    },
                    _ => Default::default(),
                },
                ..Default::default()
            },
        )
    };
    let pipelines: Vec<(String, Pipeline)> = args
        .systems
        .iter()
        .map(|s| (s.clone(), pipeline_for(s)))
        .collect();
    let systems: Vec<EvalSystem<'_>> = pipelines
        .iter()
        .map(|(name, p)| EvalSystem {
            name,
            pipeline: p,
            naive: name == "naive",
        })
        .collect();
    let total: usize = sets
        .iter()
        .map(|(_, _, set, opts)| eval_size(set, opts))
        .sum();
    let total = (total * systems.len()) as u64;
    let progress = EvalProgress::new(total);
    let write_err: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);
    let out_file = std::sync::Mutex::new(out_file);
    let mut reports = Vec::with_capacity(sets.len());
    for (split, dir, set, opts) in &sets {
        let report = run_eval(&systems, &reg, set, opts, &|e| match e {
            EvalEvent::Records(records) => {
                let mut f = out_file.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(f) = f.as_mut() {
                    for r in records {
                        let res = serde_json::to_writer(&mut *f, r)
                            .map_err(std::io::Error::other)
                            .and_then(|_| writeln!(f));
                        if let Err(e) = res {
                            write_err
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert(e);
                        }
                    }
                    let _ = f.flush();
                }
            }
            e => progress.event(&e),
        })?;
        reports.push((split, dir, report));
    }
    progress.finish();
    if let Some(e) = write_err.into_inner().unwrap_or_else(|e| e.into_inner()) {
        bail!("--out: {e}");
    }
    if let Some(mut f) = out_file.into_inner().unwrap_or_else(|e| e.into_inner()) {
        f.flush().context("--out")?;
    }
    for (split, dir, report) in reports {
        println!("split: {split} ({})", dir.display());
        print!("{report}");
    }
    Ok(Outcome::Ok)
}

/// Progress of `silkroute eval` on stderr: a bar on a terminal, else a line
/// when a system starts and finishes a language pair and every 30 seconds.
struct EvalProgress {
    bar: indicatif::ProgressBar,
    terminal: bool,
    started: std::time::Instant,
    last_line: std::sync::Mutex<(std::time::Instant, usize, usize)>,
}

impl EvalProgress {
    fn new(total: u64) -> Self {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            if terminal {
                indicatif::ProgressDrawTarget::stderr()
            } else {
                indicatif::ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} listings  {msg}  elapsed {elapsed}  ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Self {
            bar,
            terminal,
            started: std::time::Instant::now(),
            last_line: std::sync::Mutex::new((std::time::Instant::now(), 0, 0)),
        }
    }

    fn event(&self, e: &EvalEvent<'_>) {
        let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
        match *e {
            EvalEvent::Started {
                pair,
                system,
                listings,
            } => {
                last.1 = 0;
                last.2 = listings;
                self.bar.set_message(format!("{pair} {system}"));
                if !self.terminal {
                    eprintln!(
                        "eval: {pair} {system}: {listings} listings ({:.0} s elapsed)",
                        self.started.elapsed().as_secs_f64()
                    );
                }
            }
            EvalEvent::Listing { pair, system, done } => {
                self.bar.inc((done - last.1.min(done)) as u64);
                last.1 = done;
                if !self.terminal && (done == last.2 || last.0.elapsed().as_secs() >= 30) {
                    last.0 = std::time::Instant::now();
                    eprintln!(
                        "eval: {pair} {system}: {done}/{} ({:.0} s elapsed)",
                        last.2,
                        self.started.elapsed().as_secs_f64()
                    );
                }
            }
            EvalEvent::Records(_) => {}
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
