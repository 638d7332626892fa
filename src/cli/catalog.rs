//! `silkroute catalog check|convert|generate`: validate a catalog file, convert it
//! to another format (rejects to a CSV next to the output), or write a synthetic
//! catalog for benchmarks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::Outcome;
use silkroute::catalog::{self, CatalogReader, Format, ReadOptions, RejectWriter};
use silkroute::paths::DataDir;

/// Catalog files: check and convert.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    command: CatalogCommand,
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Detect a file's format and encoding, validate every row, print a summary.
    Check(CheckArgs),
    /// Convert a catalog to another format (by the output's extension or --to).
    Convert(ConvertArgs),
    /// Write a synthetic CSV catalog of N rows (for benchmarks).
    Generate(GenerateArgs),
}

/// How to read the input (everything is detected when not given).
#[derive(Debug, Args)]
struct InputArgs {
    /// Text encoding of a CSV/TSV (utf-8, gb18030, gbk, big5, shift_jis, euc-kr, windows-1252).
    #[arg(long)]
    encoding: Option<String>,
    /// CSV delimiter: a single character, or `tab`.
    #[arg(long)]
    delimiter: Option<String>,
    /// XLSX sheet to read (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Column mapping, FIELD=HEADER pairs: `title=Product Name,sku=Item No`.
    #[arg(long)]
    map: Option<String>,
    /// Currency for prices that carry none [default: `currency` in the data
    /// directory's config.toml, else CNY for Chinese catalogs; Shopify files: USD].
    #[arg(long, env = "SILKROUTE_CURRENCY")]
    currency: Option<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The catalog file.
    file: PathBuf,
    /// Input format (csv, tsv, json, jsonl, xlsx, shopify); default: by extension.
    #[arg(long)]
    format: Option<String>,
    #[command(flatten)]
    input: InputArgs,
    /// Write every reject to this CSV file.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// How many rejects to print.
    #[arg(long, default_value_t = 10)]
    show: usize,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    /// Input catalog.
    input: PathBuf,
    /// Output catalog (format from its extension: .csv .tsv .json .jsonl .xlsx .shopify.csv).
    output: PathBuf,
    /// Input format; default: by the input's extension.
    #[arg(long)]
    from: Option<String>,
    /// Output format; default: by the output's extension.
    #[arg(long, alias = "format")]
    to: Option<String>,
    #[command(flatten)]
    input_args: InputArgs,
    /// Where to write rejects; default: OUTPUT.rejects.csv (only when there are any).
    #[arg(long)]
    rejects: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Output CSV file.
    output: PathBuf,
    /// Number of rows.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
}

/// Run a `silkroute catalog` command.
pub fn run(data: &DataDir, args: CatalogArgs) -> anyhow::Result<Outcome> {
    match args.command {
        CatalogCommand::Check(a) => check(data, a),
        CatalogCommand::Convert(a) => convert(data, a),
        CatalogCommand::Generate(a) => generate(a),
    }
}

/// The currency for prices that name none: `--currency`, else the data
/// directory's default.
pub(crate) fn source_currency(
    flag: Option<&str>,
    data: &DataDir,
) -> anyhow::Result<Option<String>> {
    match flag {
        Some(c) => Ok(Some(
            silkroute::server::currency_code(c).context("--currency")?,
        )),
        None => silkroute::server::default_currency(data),
    }
}

fn read_options(
    data: &DataDir,
    format: Option<&str>,
    a: &InputArgs,
) -> anyhow::Result<ReadOptions> {
    let delimiter = match a.delimiter.as_deref() {
        None => None,
        Some("tab" | "\\t" | "\t") => Some(b'\t'),
        Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
        Some(d) => bail!("--delimiter must be one ASCII character or `tab`, not `{d}`"),
    };
    Ok(ReadOptions {
        format: format.map(str::parse).transpose()?,
        encoding: a.encoding.clone(),
        delimiter,
        sheet: a.sheet.clone(),
        mapping: match &a.map {
            Some(m) => ReadOptions::parse_mapping(m)?,
            None => Vec::new(),
        },
        currency: source_currency(a.currency.as_deref(), data)?,
    })
}

fn summary(reader: &CatalogReader, first: &[catalog::Reject], shown: usize) -> String {
    let s = reader.stats();
    let mut out = format!(
        "{}: {} ({}), rows {}, accepted {}, rejected {}\n",
        reader.file(),
        reader.format(),
        reader.encoding(),
        s.rows,
        s.accepted,
        s.rejected
    );
    if !s.languages.is_empty() {
        let langs: Vec<String> = s
            .languages
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect();
        out.push_str(&format!("languages: {}\n", langs.join(", ")));
    }
    if let Some(why) = &s.stopped_early {
        out.push_str(&format!("warning: {why}\n"));
    }
    if let Some((n, line)) = s.currency_inferred {
        out.push_str(&format!(
            "warning: {n} price(s) name no currency (first on line {line}); the catalog is in \
             Chinese, so they were read as {}. If they are not yuan, pass --currency or set the \
             data directory's default currency (`currency` in config.toml, or the settings page)\n",
            catalog::CHINESE_CATALOG_CURRENCY
        ));
    }
    if !first.is_empty() {
        out.push_str(&format!("rejects (first {}):\n", first.len().min(shown)));
        for r in first.iter().take(shown) {
            out.push_str(&format!("  {r}\n"));
        }
    }
    out
}

fn check(data: &DataDir, a: CheckArgs) -> anyhow::Result<Outcome> {
    let opts = read_options(data, a.format.as_deref(), &a.input)?;
    let mut reader = catalog::open(&a.file, &opts)?;
    let mut first = Vec::new();
    let mut rejects = a.rejects.as_deref().map(RejectWriter::create).transpose()?;
    for item in &mut reader {
        if let Err(r) = item {
            if let Some(w) = rejects.as_mut() {
                w.write(&r)?;
            }
            if first.len() < a.show {
                first.push(r);
            }
        }
    }
    if let Some(w) = rejects {
        w.finish()?;
    }
    print!("{}", super::printable(&summary(&reader, &first, a.show)));
    Ok(if reader.stats().rejected > 0 {
        Outcome::Partial
    } else {
        Outcome::Ok
    })
}

fn default_rejects_path(output: &Path) -> PathBuf {
    let mut name = output
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".rejects.csv");
    output.with_file_name(name)
}

fn convert(data: &DataDir, a: ConvertArgs) -> anyhow::Result<Outcome> {
    let opts = read_options(data, a.from.as_deref(), &a.input_args)?;
    let out_format: Format = match &a.to {
        Some(f) => f.parse()?,
        None => Format::from_path(&a.output)
            .ok_or_else(|| catalog::CatalogError::UnknownFormat(a.output.clone()))?,
    };
    if a.input.canonicalize().ok() == a.output.canonicalize().ok() && a.output.exists() {
        bail!("{}: input and output are the same file", a.output.display());
    }
    let start = Instant::now();
    let mut reader = catalog::open(&a.input, &opts)?;
    let mut writer = catalog::create(&a.output, out_format)?;
    let rejects_path = a
        .rejects
        .clone()
        .unwrap_or_else(|| default_rejects_path(&a.output));
    let mut rejects: Option<RejectWriter> = None;
    let mut first = Vec::new();
    for item in &mut reader {
        match item {
            Ok(rec) => writer
                .write(&rec.listing)
                .with_context(|| format!("{}:{}", reader_file(&a.input), rec.line))?,
            Err(r) => {
                if rejects.is_none() {
                    rejects = Some(RejectWriter::create(&rejects_path)?);
                }
                if let Some(w) = rejects.as_mut() {
                    w.write(&r)?;
                }
                if first.len() < 10 {
                    first.push(r);
                }
            }
        }
    }
    writer.finish()?;
    if let Some(w) = rejects {
        w.finish()?;
    }
    let secs = start.elapsed().as_secs_f64();
    let s = reader.stats();
    let mut out = std::io::stdout().lock();
    write!(out, "{}", super::printable(&summary(&reader, &first, 10)))?;
    writeln!(
        out,
        "wrote {} listings to {} ({}) in {:.2} s, {:.0} rows/s",
        s.accepted,
        a.output.display(),
        out_format,
        secs,
        s.rows as f64 / secs.max(1e-9)
    )?;
    if let Some(kib) = peak_rss_kib() {
        writeln!(out, "peak memory {:.1} MiB", kib as f64 / 1024.0)?;
    }
    if s.rejected > 0 {
        writeln!(out, "rejects written to {}", rejects_path.display())?;
    }
    Ok(if s.rejected > 0 {
        Outcome::Partial
    } else {
        Outcome::Ok
    })
}

/// This process's peak resident memory (VmHWM), on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reader_file(p: &Path) -> String {
    p.display().to_string()
}

fn generate(a: GenerateArgs) -> anyhow::Result<Outcome> {
    let file = std::fs::File::create(&a.output).with_context(|| a.output.display().to_string())?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record([
        "sku",
        "title",
        "description",
        "brand",
        "category",
        "price",
        "currency",
        "keywords",
        "image",
        "color",
        "material",
    ])?;
    let adjectives = [
        "Stainless",
        "Insulated",
        "Compact",
        "Foldable",
        "Ergonomic",
        "Waterproof",
        "Wireless",
        "Bamboo",
    ];
    let nouns = [
        "Water Bottle",
        "Desk Lamp",
        "Phone Stand",
        "Backpack",
        "Yoga Mat",
        "Kettle",
        "Notebook",
        "Umbrella",
    ];
    let colors = ["Black", "White", "Red", "Blue", "Green"];
    let materials = ["Steel", "Plastic", "Bamboo", "Cotton", "Aluminium"];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let start = Instant::now();
    for i in 0..a.rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pick = |n: usize, shift: u32| ((x >> shift) as usize) % n;
        let adj = adjectives[pick(adjectives.len(), 3)];
        let noun = nouns[pick(nouns.len(), 11)];
        let title = format!("{adj} {noun}, {} ml \"Pro\" edition", 100 + pick(900, 19));
        let desc = format!(
            "A {} {} for home and travel.\nMade of {}; easy to clean, built to last.",
            adj.to_lowercase(),
            noun.to_lowercase(),
            materials[pick(materials.len(), 23)].to_lowercase()
        );
        let price = format!("{}.{:02}", 5 + pick(200, 29), pick(100, 37));
        w.write_record([
            format!("SKU-{i:08}").as_str(),
            &title,
            &desc,
            "Acme",
            "Home > Kitchen",
            &price,
            "USD",
            &format!("{}, {}, gift", adj.to_lowercase(), noun.to_lowercase()),
            &format!("https://img.example.com/{i}.jpg"),
            colors[pick(colors.len(), 41)],
            materials[pick(materials.len(), 47)],
        ])?;
    }
    w.flush()?;
    eprintln!(
        "wrote {} rows to {} in {:.2} s",
        a.rows,
        a.output.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(Outcome::Ok)
}
