//! Catalog files in and out: CSV/TSV (any delimiter, legacy encodings), JSON,
//! JSON Lines, XLSX and Shopify's product CSV, read and written as streams.
//!
//! The main types are [`CatalogReader`] (from [`open`]), an iterator of
//! `Result<`[`Record`]`, `[`Reject`]`>` that never panics and never stops at a bad
//! row, and [`CatalogWriter`] (from [`create`]). Readers: the CLI (`silkroute
//! catalog`, `silkroute batch`) and the server's jobs service (an uploaded
//! catalog becomes a job); writers: `silkroute catalog convert` and the job
//! outputs (`job::CatalogOutput`).
//!
//! Every row that comes in comes out once, either as a [`Record`] (a validated
//! [`Listing`] and the physical line where its record starts) or as a [`Reject`]
//! (file, line, column, reason): `rows = accepted + rejected` in [`ReadStats`].
//! Rejects: missing sku or title, duplicate sku, a price that is not a number, a
//! cell over [`MAX_CELL_BYTES`](crate::listing::MAX_CELL_BYTES), undecodable bytes,
//! a row whose field count differs from the header's, malformed JSON.
//!
//! Memory: CSV, TSV, JSON, JSON Lines and Shopify are read and written record by
//! record; the only state that grows with the file is the duplicate-sku table
//! (16 bytes per sku: a 64-bit hash and the first line). XLSX is streamed from
//! the workbook's XML with every part's inflated size bounded (see `xlsx.rs`)
//! and written in `rust_xlsxwriter`'s constant-memory mode.
//!
//! Bounds per row: a header of more than [`MAX_COLUMNS`] columns makes the file
//! unusable; a listing with more than [`MAX_LIST_ITEMS`] bullets, keywords,
//! attributes or images, more than [`MAX_EXTRAS`] extra columns or more than
//! [`MAX_VARIANTS`] variants is a reject naming the field.
//!
//! Spreadsheet safety: CSV, TSV, Shopify and XLSX writers put an apostrophe before
//! any cell that starts with `=`, `+`, `-`, `@`, tab or CR (after any apostrophes),
//! so a spreadsheet shows it as text instead of running it. Readers take that
//! apostrophe off again only in files whose header is silkroute's own
//! ([`CANONICAL_HEADER`]) and in Shopify files, so silkroute's files round-trip.
//!
//! ```no_run
//! use silkroute::catalog::{self, Format, ReadOptions};
//! let mut reader = catalog::open("products.csv".as_ref(), &ReadOptions::default())?;
//! let mut out = catalog::create("products.jsonl".as_ref(), Format::JsonLines)?;
//! let mut rejects = Vec::new();
//! for item in &mut reader {
//!     match item {
//!         Ok(record) => out.write(&record.listing)?,
//!         Err(reject) => rejects.push(reject),
//!     }
//! }
//! out.finish()?;
//! println!("{} rows, {} accepted", reader.stats().rows, reader.stats().accepted);
//! # Ok::<(), silkroute::catalog::CatalogError>(())
//! ```

mod columns;
mod csv;
mod detect;
mod json;
mod rejects;
mod shopify;
mod xlsx;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::listing::{Listing, ListingError};

pub use columns::{CANONICAL_HEADER, guard_formula, unguard};
pub use json::{deserialize_listing, listing_from_json};
pub use rejects::{RejectWriter, write_rejects};

/// Largest XLSX file read.
pub const MAX_XLSX_BYTES: u64 = 100 * 1024 * 1024;
/// Most columns a header (and so a row) may have.
pub const MAX_COLUMNS: usize = 1024;
/// Most bullets, keywords, attributes or images one listing may carry.
pub const MAX_LIST_ITEMS: usize = 256;
/// Most extra (uninterpreted) columns one listing may carry.
pub const MAX_EXTRAS: usize = MAX_COLUMNS;
/// Most variants one listing may carry.
pub const MAX_VARIANTS: usize = MAX_SHOPIFY_ROWS_PER_HANDLE;
/// Largest single record (CSV row, JSON element, JSON line, Shopify product) read.
pub const MAX_RECORD_BYTES: usize = 8 * 1024 * 1024;
/// Most rows one Shopify handle may span.
pub const MAX_SHOPIFY_ROWS_PER_HANDLE: usize = 1000;

/// Errors that make a file unusable (exit code 2). Bad rows are [`Reject`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The format cannot be told from the file name.
    #[error(
        "{0}: cannot tell the format from the file name; pass --format (csv, tsv, json, jsonl, xlsx, shopify)"
    )]
    UnknownFormat(PathBuf),
    /// A `--format` value that is not a format.
    #[error("unknown format `{0}` (csv, tsv, json, jsonl, xlsx, shopify)")]
    FormatName(String),
    /// An `--encoding` label that encoding_rs does not know.
    #[error(
        "unknown encoding `{0}` (try utf-8, gb18030, gbk, big5, shift_jis, euc-kr, windows-1252)"
    )]
    Encoding(String),
    /// A `--map` entry that does not fit the file.
    #[error("--map: {0}")]
    Mapping(String),
    /// The file cannot be read as a catalog at all (no header, no sku column, not a JSON array, ...).
    #[error("{path}: {message}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        message: String,
    },
    /// Writing a listing failed (a value the format cannot hold, a full disk, ...).
    #[error("{path}: {message}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// What went wrong, naming the sku and field when there is one.
        message: String,
    },
}

impl CatalogError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CatalogError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn unusable(path: &Path, message: impl Into<String>) -> Self {
        CatalogError::Unusable {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
    pub(crate) fn write(path: &Path, message: impl Into<String>) -> Self {
        CatalogError::Write {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// A catalog file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma- (or `;`, `|`) separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// A JSON array of listings.
    Json,
    /// One JSON listing per line.
    JsonLines,
    /// An Excel workbook (first sheet, or `--sheet`).
    Xlsx,
    /// Shopify's product CSV (one listing per Handle, variants kept).
    Shopify,
}

impl Format {
    /// The format a file name implies (`.csv`, `.tsv`, `.json`, `.jsonl`/`.ndjson`,
    /// `.xlsx`, `.shopify.csv`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        if name.ends_with(".shopify.csv") {
            return Some(Format::Shopify);
        }
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "csv" | "txt" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::JsonLines,
            "xlsx" | "xlsm" | "xls" | "ods" => Format::Xlsx,
            _ => return None,
        })
    }

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Xlsx => "xlsx",
            Format::Shopify => "shopify",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_lowercase().as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "json" => Format::Json,
            "jsonl" | "ndjson" | "jsonlines" | "json-lines" => Format::JsonLines,
            "xlsx" | "excel" => Format::Xlsx,
            "shopify" => Format::Shopify,
            other => return Err(CatalogError::FormatName(other.to_string())),
        })
    }
}

/// How to read a file. `Default` detects everything.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Format; detected from the file name (and a Shopify header) when `None`.
    pub format: Option<Format>,
    /// Encoding label (`gbk`, `shift_jis`, ...); detected when `None`.
    pub encoding: Option<String>,
    /// CSV delimiter; detected among `,` `;` tab `|` when `None`.
    pub delimiter: Option<u8>,
    /// XLSX sheet name; the first sheet when `None`.
    pub sheet: Option<String>,
    /// Column mapping, field -> header (`("title", "Product Name")`).
    pub mapping: Vec<(String, String)>,
    /// Currency for prices that carry none (Shopify files default to `USD`).
    pub currency: Option<String>,
}

impl ReadOptions {
    /// Parse a `--map` value: `title=Product Name,sku=Item No`.
    pub fn parse_mapping(s: &str) -> Result<Vec<(String, String)>, CatalogError> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let (f, h) = p
                    .split_once('=')
                    .ok_or_else(|| CatalogError::Mapping(format!("`{p}` is not FIELD=HEADER")))?;
                Ok((f.trim().to_string(), h.trim().to_string()))
            })
            .collect()
    }
}

/// One accepted listing and the physical line (1-based) where its record starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Line where the record starts (for XLSX: the sheet row; for JSON: the line of `{`).
    pub line: u64,
    /// The validated listing.
    pub listing: Listing,
}

/// One problem of a row: the column (header name or field) at fault, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub column: Option<String>,
    pub reason: String,
}

impl Problem {
    pub(crate) fn new(column: Option<String>, reason: impl Into<String>) -> Self {
        Self {
            column,
            reason: reason.into(),
        }
    }
}

/// A price cell with an amount but no currency (none in the cell, no currency
/// column, no default): the reader infers one or reports the row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BarePrice {
    /// The price column's header (or field name).
    pub column: String,
    /// The cell as written.
    pub cell: String,
    /// The amount.
    pub amount: rust_decimal::Decimal,
    /// The file's header is in Chinese.
    pub chinese_header: bool,
}

/// What a format's source makes of one record, before the catalog-wide checks.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub line: u64,
    pub listing: Listing,
    /// Problems the source found in the record's cells.
    pub problems: Vec<Problem>,
    /// A price whose currency nothing names.
    pub bare_price: Option<BarePrice>,
}

impl Draft {
    /// A listing the source found nothing wrong with.
    pub(crate) fn new(line: u64, listing: Listing) -> Self {
        Self {
            line,
            listing,
            problems: Vec::new(),
            bare_price: None,
        }
    }
}

/// The currency assumed for prices without one in a Chinese catalog.
pub const CHINESE_CATALOG_CURRENCY: &str = "CNY";

/// One rejected row: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reject {
    /// The input file as given.
    pub file: String,
    /// Physical line (1-based) where the record starts.
    pub line: u64,
    /// The column (header name or field), when one is at fault.
    pub column: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl Reject {
    /// A reject for every problem of one record: one problem keeps its column;
    /// several are listed in the reason, each with its column, and `column` is
    /// `None`.
    pub(crate) fn of_problems(file: &str, line: u64, mut problems: Vec<Problem>) -> Self {
        let (column, reason) = if problems.len() == 1 {
            let p = problems.remove(0);
            (p.column, p.reason)
        } else {
            let parts: Vec<String> = problems
                .into_iter()
                .map(|p| match p.column {
                    Some(c) => format!("column `{c}`: {}", p.reason),
                    None => p.reason,
                })
                .collect();
            (None, parts.join("; "))
        };
        Reject {
            file: file.to_string(),
            line,
            column,
            reason,
        }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(c) = &self.column {
            write!(f, "column `{c}`: ")?;
        }
        f.write_str(&self.reason)
    }
}

/// Counts so far. `rows == accepted + rejected` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Records read (non-blank rows; one Shopify product counts as one).
    pub rows: u64,
    /// Records accepted.
    pub accepted: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Accepted listings per source language (given or detected).
    pub languages: BTreeMap<String, u64>,
    /// Set when an I/O or size error stopped reading before the end of the file.
    pub stopped_early: Option<String>,
    /// Prices that named no currency and were taken as [`CHINESE_CATALOG_CURRENCY`]
    /// because the catalog is in Chinese: how many, and the first line.
    pub currency_inferred: Option<(u64, u64)>,
}

/// An item coming out of a format's source, before catalog-wide validation.
pub(crate) type Item = Result<Draft, Reject>;

/// A validating, counting stream of listings from one file. Build it with [`open`].
pub struct CatalogReader {
    file: String,
    format: Format,
    encoding: String,
    stats: ReadStats,
    inner: Box<dyn Iterator<Item = Item> + Send>,
    seen: HashMap<u64, u64>,
    hasher: RandomState,
}

impl std::fmt::Debug for CatalogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogReader")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("encoding", &self.encoding)
            .field("stats", &self.stats)
            .finish()
    }
}

impl CatalogReader {
    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }
    /// The encoding being decoded (`UTF-8`, `GBK`, `Shift_JIS`, ...).
    pub fn encoding(&self) -> &str {
        &self.encoding
    }
    /// Counts so far (final once the iterator returned `None`).
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }
    /// The file name used in rejects.
    pub fn file(&self) -> &str {
        &self.file
    }

    fn reject(&mut self, r: Reject) -> Option<Result<Record, Reject>> {
        self.stats.rows += 1;
        self.stats.rejected += 1;
        if r.reason.starts_with(STOP_PREFIX) {
            self.stats.stopped_early = Some(r.reason.clone());
        }
        Some(Err(r))
    }
}

/// Reason prefix of a reject after which the source yields nothing more.
pub(crate) const STOP_PREFIX: &str = "reading stopped: ";

impl Iterator for CatalogReader {
    type Item = Result<Record, Reject>;
    fn next(&mut self) -> Option<Self::Item> {
        let draft = match self.inner.next()? {
            Ok(d) => d,
            Err(r) => return self.reject(r),
        };
        let Draft {
            line,
            listing: mut l,
            mut problems,
            bare_price,
        } = draft;
        if let Some((field, n, max)) = over_count(&l) {
            problems.push(Problem::new(
                Some(field.to_string()),
                format!("{n} {field}, over the limit of {max} per listing"),
            ));
        }
        for e in l.problems() {
            problems.push(match e {
                ListingError::Missing(f) => {
                    Problem::new(Some(f.to_string()), format!("missing {f}"))
                }
                ListingError::TooLong { field, len, max } => Problem::new(
                    Some(field),
                    format!("cell is {len} bytes, over the {max}-byte limit"),
                ),
                ListingError::Currency(c) => Problem::new(
                    Some("currency".into()),
                    format!("currency `{c}` is not an ISO 4217 code"),
                ),
            });
        }
        let h = self.hasher.hash_one(l.sku.as_str());
        let first_line = (!l.sku.trim().is_empty())
            .then(|| self.seen.get(&h).copied())
            .flatten();
        if let Some(first) = first_line {
            problems.push(Problem::new(
                Some("sku".into()),
                format!("duplicate sku `{}` (first on line {first})", l.sku),
            ));
        }
        if l.language.is_none() {
            l.language = detect::detect_language(&l.text_for_detection());
        }
        if let Some(bare) = bare_price {
            if chinese_catalog(l.language.as_deref(), bare.chinese_header) {
                l.price = Some(crate::listing::Price {
                    amount: bare.amount,
                    currency: CHINESE_CATALOG_CURRENCY.to_string(),
                });
                if problems.is_empty() {
                    let (n, _) = self.stats.currency_inferred.get_or_insert((0, line));
                    *n += 1;
                }
            } else {
                problems.push(Problem::new(
                    Some(bare.column),
                    columns::no_currency(&bare.cell),
                ));
            }
        }
        if !problems.is_empty() {
            let r = Reject::of_problems(&self.file, line, problems);
            return self.reject(r);
        }
        self.seen.insert(h, line);
        let lang = l.language.as_deref().unwrap_or("unknown");
        match self.stats.languages.get_mut(lang) {
            Some(n) => *n += 1,
            None => {
                self.stats.languages.insert(lang.to_string(), 1);
            }
        }
        self.stats.rows += 1;
        self.stats.accepted += 1;
        Some(Ok(Record { line, listing: l }))
    }
}

/// Whether a price without a currency is taken as yuan: the listing is in
/// Chinese, or the file's header is and the listing is not Japanese or Korean
/// (whose own catalogs share Han characters in their headers).
fn chinese_catalog(language: Option<&str>, chinese_header: bool) -> bool {
    match language {
        Some("zh") => true,
        Some("ja" | "ko") => false,
        _ => chinese_header,
    }
}

/// The first list field of a listing with more items than a catalog row may
/// carry: `(field, count, limit)`.
fn over_count(l: &Listing) -> Option<(&'static str, usize, usize)> {
    [
        ("bullets", l.bullets.len(), MAX_LIST_ITEMS),
        ("keywords", l.keywords.len(), MAX_LIST_ITEMS),
        ("attributes", l.attributes.len(), MAX_LIST_ITEMS),
        ("images", l.images.len(), MAX_LIST_ITEMS),
        ("extra", l.extra.len(), MAX_EXTRAS),
        ("variants", l.variants.len(), MAX_VARIANTS),
    ]
    .into_iter()
    .find(|(_, n, max)| n > max)
}

/// A header wider than [`MAX_COLUMNS`] makes the file unusable.
fn check_width(path: &Path, header: &[String]) -> Result<(), CatalogError> {
    if header.len() > MAX_COLUMNS {
        return Err(CatalogError::unusable(
            path,
            format!(
                "the header has {} columns, over the limit of {MAX_COLUMNS}",
                header.len()
            ),
        ));
    }
    Ok(())
}

/// Read the first bytes of a file for sniffing; returns them and whether that is all of it.
pub(crate) fn read_prefix(
    file: &mut File,
    path: &Path,
    n: usize,
) -> Result<(Vec<u8>, bool), CatalogError> {
    let mut buf = Vec::with_capacity(n);
    file.by_ref()
        .take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| CatalogError::io(path, e))?;
    let complete = buf.len() < n;
    Ok((buf, complete))
}

/// Open a catalog file: detect its format (by name, then a Shopify header) and
/// encoding, read its header, and return the stream of records and rejects.
pub fn open(path: &Path, opts: &ReadOptions) -> Result<CatalogReader, CatalogError> {
    let format = match opts.format {
        Some(f) => f,
        None => Format::from_path(path)
            .ok_or_else(|| CatalogError::UnknownFormat(path.to_path_buf()))?,
    };
    let file_label = path.display().to_string();
    let (format, encoding, inner): (Format, String, Box<dyn Iterator<Item = Item> + Send>) =
        match format {
            Format::Csv | Format::Tsv | Format::Shopify => {
                let forced_tab = (format == Format::Tsv).then_some(b'\t');
                let (rows, header, enc) = csv::CsvRows::open(
                    path,
                    &file_label,
                    opts.encoding.as_deref(),
                    opts.delimiter.or(forced_tab),
                )?;
                check_width(path, &header)?;
                let shopify = format == Format::Shopify
                    || (opts.format.is_none()
                        && opts.mapping.is_empty()
                        && shopify::looks_like_shopify(&header));
                if shopify {
                    let src = shopify::ShopifySource::new(
                        Box::new(rows),
                        header,
                        &file_label,
                        path,
                        opts,
                    )?;
                    (Format::Shopify, enc, Box::new(src))
                } else {
                    let src = csv::Tabular::new(Box::new(rows), header, path, opts)?;
                    (format, enc, Box::new(src))
                }
            }
            Format::Json | Format::JsonLines => {
                let (src, fmt) = json::open(path, &file_label, format, opts.currency.as_deref())?;
                (fmt, "UTF-8".to_string(), src)
            }
            Format::Xlsx => {
                let (rows, header) =
                    xlsx::XlsxRows::open(path, &file_label, opts.sheet.as_deref())?;
                check_width(path, &header)?;
                let shopify = opts.mapping.is_empty() && shopify::looks_like_shopify(&header);
                if shopify {
                    let src = shopify::ShopifySource::new(
                        Box::new(rows),
                        header,
                        &file_label,
                        path,
                        opts,
                    )?;
                    (Format::Xlsx, "UTF-8".to_string(), Box::new(src))
                } else {
                    let src = csv::Tabular::new(Box::new(rows), header, path, opts)?;
                    (Format::Xlsx, "UTF-8".to_string(), Box::new(src))
                }
            }
        };
    Ok(CatalogReader {
        file: file_label,
        format,
        encoding,
        stats: ReadStats::default(),
        inner,
        seen: HashMap::new(),
        hasher: RandomState::new(),
    })
}

/// A streaming writer of one catalog file. Output goes to a temporary file next to
/// the target and is moved into place by [`finish`](CatalogWriter::finish), so an
/// interrupted run never leaves a half-written catalog under the real name.
pub trait CatalogWriter {
    /// Append one listing.
    fn write(&mut self, listing: &Listing) -> Result<(), CatalogError>;
    /// Flush and move the file into place.
    fn finish(self: Box<Self>) -> Result<(), CatalogError>;
}

/// Create a writer for `path` in `format`.
pub fn create(path: &Path, format: Format) -> Result<Box<dyn CatalogWriter>, CatalogError> {
    Ok(match format {
        Format::Csv => Box::new(csv::CsvWriter::create(path, b',')?),
        Format::Tsv => Box::new(csv::CsvWriter::create(path, b'\t')?),
        Format::Json => Box::new(json::JsonWriter::create(path, false)?),
        Format::JsonLines => Box::new(json::JsonWriter::create(path, true)?),
        Format::Xlsx => Box::new(xlsx::XlsxWriter::create(path)?),
        Format::Shopify => Box::new(shopify::ShopifyWriter::create(path)?),
    })
}

/// A temporary file in the target's directory, persisted on finish.
pub(crate) fn temp_for(path: &Path) -> Result<tempfile::NamedTempFile, CatalogError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".silkroute-")
        .tempfile_in(dir)
        .map_err(|e| CatalogError::io(path, e))
}

/// Sync the finished temporary file, rename it over `path`, and sync the
/// directory, so a crash leaves the old file or the whole new one.
pub(crate) fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), CatalogError> {
    tmp.as_file()
        .sync_all()
        .map_err(|e| CatalogError::io(path, e))?;
    tmp.persist(path)
        .map_err(|e| CatalogError::io(path, e.error))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    crate::paths::sync_dir(dir).map_err(|e| CatalogError::io(path, e))
}
