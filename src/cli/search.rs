//! `silkroute search QUERY` (the index in the data directory, read-only, so it
//! works while `silkroute serve` writes it) and `silkroute index rebuild`
//! (recreate the index from the store). Library side: [`silkroute::index`].

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use silkroute::index::{
    FeedCursor, IndexDoc, IndexError, IndexOptions, SearchIndex, SearchQuery, SearchResults, Sort,
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
            terminal_snippet(&h.snippet_html)
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

/// The index's HTML snippet for a terminal: marks become `[…]`, entities are
/// decoded.
fn terminal_snippet(html: &str) -> String {
    html.replace("<mark>", "[")
        .replace("</mark>", "]")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace('\n', " ")
}

/// Run `silkroute index …`.
pub fn index(data: &DataDir, loc: &StoreLocation, cmd: IndexCommand) -> anyhow::Result<Outcome> {
    match cmd {
        IndexCommand::Rebuild(a) => rebuild(data, loc, a),
    }
}

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now())
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
    // Where the index will stand in the store's change feed: read before the
    // store, so a change made while rebuilding is applied again by the server.
    let cursor = FeedCursor {
        store: store.store_id()?,
        seq: store.feed_head()?,
    };
    let localizations = store.localizations().context("read the localizations")?;
    let localized: std::collections::HashSet<&str> = localizations
        .iter()
        .map(|l| l.listing.sku.as_str())
        .collect();
    let mut docs: Vec<IndexDoc> = Vec::new();
    const PAGE: usize = 1000;
    let mut offset = 0;
    loop {
        let page = store
            .listing_page(PAGE, offset)
            .context("read the listings")?;
        let n = page.len();
        for (listing, at) in page {
            let status = if localized.contains(listing.sku.as_str()) {
                Status::Localized
            } else {
                Status::Draft
            };
            docs.push(IndexDoc::from_source(&listing, status, parse_time(&at)));
        }
        offset += n;
        if n < PAGE {
            break;
        }
    }
    let sources = docs.len();
    for l in &localizations {
        docs.push(IndexDoc::from_localized(
            &l.listing,
            parse_time(&l.updated_at),
        ));
    }
    let total = docs.len();
    let read_s = started.elapsed().as_secs_f64();
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
    let step = (total / 20).max(1000);
    let n = index.rebuild(docs.into_iter().enumerate().map(|(i, d)| {
        if i > 0 && i % step == 0 {
            let _ = write!(err, "\rindexing {i}/{total} documents");
        }
        d
    }))?;
    let _ = writeln!(err, "\rindexing {total}/{total} documents");
    cursor.save(&data.index_cursor())?;
    println!(
        "indexed {n} documents ({sources} listings, {} localizations) in {:.2} s (store read {:.2} s); index {} MiB at {}",
        localizations.len(),
        started.elapsed().as_secs_f64(),
        read_s,
        index.size_on_disk() / (1 << 20),
        data.index().display()
    );
    Ok(Outcome::Ok)
}
