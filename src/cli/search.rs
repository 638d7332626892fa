//! `silkroute search QUERY` (the index in the data directory, read-only, so it
//! works while `silkroute serve` writes it) and `silkroute index rebuild`
//! (recreate the index from the store). Library side: [`silkroute::index`].

use std::io::Write;
use std::time::Instant;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use silkroute::index::{
    IndexError, IndexOptions, SearchIndex, SearchQuery, SearchResults, Snippet, Sort,
    rebuild_from_store,
};
use silkroute::listing::Status;
use silkroute::paths::DataDir;
use silkroute::store::{Store, StoreLocation, StoreOptions};

use super::Outcome;

/// Search the listings in every language.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words, "quoted phrases", skus or model numbers (empty lists everything).
    #[arg(default_value = "")]
    query: String,
    /// Only this market (`source` for source listings).
    #[arg(long)]
    market: Option<String>,
    /// Only this language (ISO 639-1); the query is analysed for it.
    #[arg(long)]
    lang: Option<String>,
    /// Only this status: draft, localized, needs_review, approved.
    #[arg(long, value_parser = parse_status)]
    status: Option<Status>,
    /// Only this brand (exact).
    #[arg(long)]
    brand: Option<String>,
    /// Only this category: a path (`Home > Kitchen`), a path prefix or one segment.
    #[arg(long)]
    category: Option<String>,
    /// Lowest price, inclusive.
    #[arg(long)]
    min_price: Option<f64>,
    /// Highest price, inclusive.
    #[arg(long)]
    max_price: Option<f64>,
    /// Result order.
    #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
    sort: SortArg,
    /// Page number, from 1.
    #[arg(long, default_value_t = 1)]
    page: usize,
    /// Hits per page (1 to 100).
    #[arg(long, default_value_t = 20)]
    per_page: usize,
    /// Print the results as JSON (hits, facets, total, took_ms).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SortArg {
    /// Best match first.
    Relevance,
    /// Cheapest first.
    Price,
    /// Most expensive first.
    PriceDesc,
    /// Most recently changed first.
    Changed,
    /// Most check findings first.
    Findings,
}

fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s)
        .ok_or_else(|| format!("`{s}`: expected draft, localized, needs_review or approved"))
}

/// The search index.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Recreate the index from the store (every listing and localization).
    Rebuild(RebuildArgs),
}

/// Options of `index rebuild`.
#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Writer memory in MiB (all indexing threads together).
    #[arg(long, default_value_t = 128)]
    heap_mb: usize,
}

/// Run `silkroute search`.
pub fn search(data: &DataDir, args: SearchArgs) -> anyhow::Result<Outcome> {
    let index = SearchIndex::open_read_only(&data.index())?;
    let q = SearchQuery {
        text: args.query,
        market: args.market,
        lang: args.lang,
        status: args.status,
        brand: args.brand,
        category: args.category,
        min_price: args.min_price,
        max_price: args.max_price,
        sort: match args.sort {
            SortArg::Relevance => Sort::Relevance,
            SortArg::Price => Sort::Price,
            SortArg::PriceDesc => Sort::PriceDesc,
            SortArg::Changed => Sort::Updated,
            SortArg::Findings => Sort::Findings,
        },
        page: args.page,
        per_page: args.per_page,
    };
    let results = index.search(&q)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
    } else {
        // Listing text can carry terminal escape sequences: print it inert.
        let mut text = Vec::new();
        print_results(&mut text, &q, &results)?;
        out.write_all(super::printable(&String::from_utf8_lossy(&text)).as_bytes())?;
    }
    Ok(Outcome::Ok)
}

fn print_results(out: &mut impl Write, q: &SearchQuery, r: &SearchResults) -> std::io::Result<()> {
    let first = (q.page - 1) * q.per_page;
    if r.hits.is_empty() {
        writeln!(out, "no results ({} matched, {:.1} ms)", r.total, r.took_ms)?;
    } else {
        writeln!(
            out,
            "{}-{} of {} ({:.1} ms)",
            first + 1,
            first + r.hits.len(),
            r.total,
            r.took_ms
        )?;
    }
    for h in &r.hits {
        let price = match (h.price, &h.currency) {
            (Some(p), Some(c)) => format!("  {p:.2} {c}"),
            (Some(p), None) => format!("  {p:.2}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "\n{}  [{} {} {}]{}\n  {}\n  {}",
            h.sku,
            h.market,
            h.language,
            h.status,
            price,
            h.title,
            terminal_snippet(&h.snippet)
        )?;
    }
    let f = &r.facets;
    writeln!(out)?;
    for (name, values) in [
        ("market", &f.market),
        ("language", &f.language),
        ("status", &f.status),
        ("brand", &f.brand),
        ("category", &f.category),
    ] {
        if values.is_empty() {
            continue;
        }
        let list: Vec<String> = values.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        writeln!(out, "{name:>9}: {}", list.join(", "))?;
    }
    Ok(())
}

/// A snippet for a terminal: matched words in `[…]`, on one line.
fn terminal_snippet(s: &Snippet) -> String {
    s.parts()
        .into_iter()
        .map(|(t, hl)| if hl { format!("[{t}]") } else { t.to_string() })
        .collect::<String>()
        .replace('\n', " ")
}

/// Run `silkroute index …`.
pub fn index(data: &DataDir, loc: &StoreLocation, cmd: IndexCommand) -> anyhow::Result<Outcome> {
    match cmd {
        IndexCommand::Rebuild(a) => rebuild(data, loc, a),
    }
}

fn rebuild(data: &DataDir, loc: &StoreLocation, args: RebuildArgs) -> anyhow::Result<Outcome> {
    if !loc.is_shared() && !data.store().is_file() {
        bail!(
            "no store at {}: nothing to index (import or localize listings first)",
            data.store().display()
        );
    }
    let started = Instant::now();
    let store = Store::open_at(
        loc,
        data,
        &StoreOptions {
            read_only: true,
            ..StoreOptions::default()
        },
        "silkroute index rebuild",
    )?;
    let options = IndexOptions {
        writer_heap_bytes: args.heap_mb.max(15) << 20,
        commit_interval: None,
        ..IndexOptions::default()
    };
    // Open first (taking the writer lock, so a running server is never pulled
    // from under); only an index of another schema is deleted and recreated.
    let index = match SearchIndex::open_with(&data.index(), options.clone()) {
        Err(IndexError::SchemaMismatch { .. }) => SearchIndex::recreate(&data.index(), options)?,
        other => other?,
    };
    let mut err = std::io::stderr();
    let done = rebuild_from_store(&store, &index, &data.index_cursor(), &mut |i, total| {
        let _ = write!(err, "\rindexing {i}/{total} documents");
    })?;
    let _ = writeln!(err);
    println!(
        "indexed {} documents ({} listings, {} localizations) in {:.2} s; index {} MiB at {}",
        done.documents,
        done.listings,
        done.localizations,
        started.elapsed().as_secs_f64(),
        index.size_on_disk() / (1 << 20),
        data.index().display()
    );
    Ok(Outcome::Ok)
}
