//! A finished job's files: one output per market in the job's format, the
//! catalog's rejects (`rejects.csv`) and the report (`report.json`,
//! `report.txt`). Everything is written from the store, ordered by row index,
//! through a temporary file that is synced and renamed, so a resumed job writes
//! exactly the bytes an uninterrupted one would, and a crash never leaves half
//! a file under the final name.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::JobError;
use crate::catalog::guard_formula;
use crate::listing::{LocalizedListing, Status};
use crate::store::{ItemStatus, Job, Store};

/// Writes the localized listings of one market in an output format. The
/// built-in [`BasicWriter`] does `csv` and `jsonl`; the CLI plugs in the
/// catalog writers for the other formats.
pub trait OutputWriter: Send + Sync {
    /// The file extension for a format name, or an error naming the format.
    fn extension(&self, format: &str) -> Result<String, JobError>;

    /// Write `listings` (in order) to `path` in `format`. The file must not
    /// contain anything that varies between runs (timestamps).
    fn write(
        &self,
        format: &str,
        path: &Path,
        listings: &[LocalizedListing],
    ) -> Result<(), JobError>;
}

/// `csv` (one row per listing, bullets and keywords joined with ` | `) and
/// `jsonl` (one `LocalizedListing` per line, without the creation time).
#[derive(Debug, Default, Clone, Copy)]
pub struct BasicWriter;

impl OutputWriter for BasicWriter {
    fn extension(&self, format: &str) -> Result<String, JobError> {
        match format {
            "csv" | "jsonl" => Ok(format.to_string()),
            other => Err(JobError::Format(format!(
                "output format `{other}` is not supported (supported: csv, jsonl)"
            ))),
        }
    }

    fn write(
        &self,
        format: &str,
        path: &Path,
        listings: &[LocalizedListing],
    ) -> Result<(), JobError> {
        let io = |source| JobError::Output {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(path).map_err(io)?;
        match format {
            "jsonl" => {
                let mut w = std::io::BufWriter::new(file);
                for l in listings {
                    let mut v = serde_json::to_value(l).map_err(|e| io(e.into()))?;
                    if let Some(p) = v.get_mut("provenance").and_then(|p| p.as_object_mut()) {
                        p.remove("created_at");
                    }
                    serde_json::to_writer(&mut w, &v).map_err(|e| io(e.into()))?;
                    w.write_all(b"\n").map_err(io)?;
                }
                w.flush().map_err(io)
            }
            "csv" => {
                let mut w = csv::Writer::from_writer(file);
                let csv_err = |e: csv::Error| io(std::io::Error::other(e));
                w.write_record([
                    "sku",
                    "market",
                    "language",
                    "title",
                    "description",
                    "bullets",
                    "keywords",
                    "brand",
                    "category",
                    "price",
                    "currency",
                    "status",
                    "warnings",
                    "model",
                ])
                .map_err(csv_err)?;
                for l in listings {
                    let warnings: Vec<String> = l
                        .warnings
                        .iter()
                        .map(|w| format!("{}: {}", w.field, w.code))
                        .collect();
                    w.write_record([
                        l.sku.as_str(),
                        &l.market,
                        &l.language,
                        &l.title,
                        &l.description,
                        &l.bullets.join(" | "),
                        &l.keywords.join(" | "),
                        l.brand.as_deref().unwrap_or(""),
                        l.category.as_deref().unwrap_or(""),
                        &l.price
                            .as_ref()
                            .map(|p| p.amount.to_string())
                            .unwrap_or_default(),
                        l.price.as_ref().map_or("", |p| p.currency.as_str()),
                        l.status.as_str(),
                        &warnings.join("; "),
                        &l.provenance.model,
                    ])
                    .map_err(csv_err)?;
                }
                w.flush().map_err(io)
            }
            other => Err(JobError::Format(format!(
                "output format `{other}` is not supported"
            ))),
        }
    }
}

/// Writes outputs through the catalog writers, so a job's output is in the
/// input's format (CSV, TSV, JSON, JSON Lines, XLSX, Shopify) with silkroute's
/// canonical columns, spreadsheet-formula guarding included, and reads back
/// with `silkroute catalog`. The market, review status and warnings of each
/// row go into its `extra` fields (the `extra` column in CSV). Used by
/// `silkroute batch` and the server.
#[derive(Debug, Default, Clone, Copy)]
pub struct CatalogOutput;

fn catalog_format(format: &str) -> Result<crate::catalog::Format, JobError> {
    format.parse().map_err(|_| {
        JobError::Format(format!(
            "output format `{format}` is not supported (supported: csv, tsv, json, jsonl, xlsx, shopify)"
        ))
    })
}

/// A localized listing as a catalog row.
pub fn localized_as_listing(l: &LocalizedListing) -> crate::listing::Listing {
    let mut extra = indexmap::IndexMap::new();
    extra.insert("market".to_string(), l.market.clone());
    extra.insert("status".to_string(), l.status.as_str().to_string());
    if !l.warnings.is_empty() {
        let w: Vec<String> = l
            .warnings
            .iter()
            .map(|w| format!("{}: {} ({})", w.field, w.code, w.message))
            .collect();
        extra.insert("warnings".to_string(), w.join("; "));
    }
    extra.insert("model".to_string(), l.provenance.model.clone());
    crate::listing::Listing {
        sku: l.sku.clone(),
        title: l.title.clone(),
        description: l.description.clone(),
        bullets: l.bullets.clone(),
        brand: l.brand.clone(),
        category: l.category.clone(),
        attributes: l.attributes.clone(),
        price: l.price.clone(),
        keywords: l.keywords.clone(),
        images: l.images.clone(),
        language: Some(l.language.clone()),
        variants: Vec::new(),
        extra,
    }
}

impl OutputWriter for CatalogOutput {
    fn extension(&self, format: &str) -> Result<String, JobError> {
        use crate::catalog::Format;
        Ok(match catalog_format(format)? {
            Format::Csv | Format::Shopify => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Xlsx => "xlsx",
        }
        .to_string())
    }

    fn write(
        &self,
        format: &str,
        path: &Path,
        listings: &[LocalizedListing],
    ) -> Result<(), JobError> {
        let f = catalog_format(format)?;
        let err = |e: crate::catalog::CatalogError| JobError::Output {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        };
        let mut w = crate::catalog::create(path, f).map_err(err)?;
        for l in listings {
            w.write(&localized_as_listing(l)).map_err(err)?;
        }
        w.finish().map_err(err)
    }
}

/// The report of a finished job: counts, warnings by code, the items a person
/// must look at, and the failed items. Deterministic (no times).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Job id.
    pub job: i64,
    /// The catalog, as given.
    pub catalog: String,
    /// Markets, in order.
    pub markets: Vec<String>,
    /// Accepted catalog rows.
    pub rows: u64,
    /// Rejected catalog rows (see `rejects.csv`).
    pub rejected: u64,
    /// Items (rows times markets).
    pub items: u64,
    /// Items localized.
    pub succeeded: u64,
    /// Items that failed.
    pub failed: u64,
    /// Localized items that need a person's review.
    pub needs_review: u64,
    /// Warnings by check code, over all items.
    pub warnings: BTreeMap<String, u64>,
    /// Per market: `[succeeded, failed, needs_review]`.
    pub per_market: BTreeMap<String, [u64; 3]>,
    /// Items that need review, in row order.
    pub review: Vec<ReportItem>,
    /// Items that failed, in row order.
    pub failures: Vec<ReportItem>,
    /// Output files written (names inside the output directory).
    pub outputs: Vec<String>,
}

/// One item named in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportItem {
    /// Row index among accepted rows.
    pub row: u32,
    /// Catalog line.
    pub line: u64,
    /// Sku.
    pub sku: String,
    /// Market.
    pub market: String,
    /// Warning codes (review) or the error (failure).
    pub why: String,
}

impl Report {
    /// The human summary (also written as `report.txt`).
    pub fn summary(&self) -> String {
        let mut s = format!(
            "job {}: {} rows x {} markets = {} items: {} localized ({} need review), {} failed; {} rows rejected\n",
            self.job,
            self.rows,
            self.markets.len(),
            self.items,
            self.succeeded,
            self.needs_review,
            self.failed,
            self.rejected
        );
        for (code, n) in &self.warnings {
            s.push_str(&format!("  warning {code}: {n}\n"));
        }
        for r in self.review.iter().take(20) {
            s.push_str(&format!(
                "  review line {} {} {}: {}\n",
                r.line, r.sku, r.market, r.why
            ));
        }
        if self.review.len() > 20 {
            s.push_str(&format!(
                "  ... and {} more to review (report.json)\n",
                self.review.len() - 20
            ));
        }
        for r in self.failures.iter().take(20) {
            s.push_str(&format!(
                "  failed line {} {} {}: {}\n",
                r.line, r.sku, r.market, r.why
            ));
        }
        if self.failures.len() > 20 {
            s.push_str(&format!(
                "  ... and {} more failures (report.json)\n",
                self.failures.len() - 20
            ));
        }
        s.push_str(&format!("outputs: {}\n", self.outputs.join(", ")));
        s
    }
}

/// Keep a name safe as a file name component: ASCII letters, digits, `.`, `-`
/// and `_`; anything else becomes `_`, and a leading dot is replaced.
fn safe_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// Write `fill`'s output to `dir/name` atomically: a temporary file in the same
/// directory, synced, then renamed over the final name, and the directory synced.
fn atomic<F>(dir: &Path, name: &str, fill: F) -> Result<(), JobError>
where
    F: FnOnce(&Path) -> Result<(), JobError>,
{
    let final_path = dir.join(name);
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| JobError::Output {
            path: final_path.clone(),
            source,
        })?;
    // The writer opens the path itself; the handle only reserves the name and
    // removes the file if anything below fails.
    fill(tmp.path())?;
    let io = |source| JobError::Output {
        path: final_path.clone(),
        source,
    };
    File::open(tmp.path())
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    tmp.persist(&final_path).map_err(|e| io(e.error))?;
    // The rename is durable only once the directory is synced too.
    crate::paths::sync_dir(dir).map_err(io)?;
    Ok(())
}

/// Write a job's rejects to `<out dir>/rejects.csv` (page by page from the
/// store, every cell formula-guarded) and return its path.
pub fn write_rejects_file(store: &Store, job: &Job) -> Result<PathBuf, JobError> {
    let dir = PathBuf::from(&job.out_dir);
    std::fs::create_dir_all(&dir).map_err(|source| JobError::Output {
        path: dir.clone(),
        source,
    })?;
    atomic(&dir, "rejects.csv", |p| {
        let io = |e: csv::Error| JobError::Output {
            path: p.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let mut w = csv::Writer::from_path(p).map_err(io)?;
        w.write_record(["file", "line", "column", "reason"])
            .map_err(io)?;
        // Page by page from the store; every cell formula-guarded like the
        // catalog writers' (a header name or a file name is the seller's text).
        let mut failed = None;
        store.for_each_reject(job.id, |r| {
            let line = r.line.to_string();
            let cells = [r.file.as_str(), &line, &r.column, &r.reason];
            if let Err(e) = w.write_record(cells.iter().map(|c| guard_formula(c).into_owned())) {
                failed.get_or_insert(e);
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(io(e));
        }
        w.flush().map_err(|source| JobError::Output {
            path: p.to_path_buf(),
            source,
        })
    })?;
    Ok(dir.join("rejects.csv"))
}

/// Write every output of a finished job and return its report.
pub(crate) fn write_job_outputs(
    store: &Store,
    job: &Job,
    writer: &dyn OutputWriter,
) -> Result<Report, JobError> {
    let dir = PathBuf::from(&job.out_dir);
    std::fs::create_dir_all(&dir).map_err(|source| JobError::Output {
        path: dir.clone(),
        source,
    })?;
    let ext = writer.extension(&job.format)?;
    let stem = Path::new(&job.catalog_path)
        .file_stem()
        .map(|s| safe_name(&s.to_string_lossy()))
        .unwrap_or_else(|| "catalog".into());
    let items = store.job_items(job.id)?;

    let mut report = Report {
        job: job.id,
        catalog: job.catalog_path.clone(),
        markets: job.markets.clone(),
        rows: job.rows,
        rejected: job.rejected,
        items: items.len() as u64,
        succeeded: 0,
        failed: 0,
        needs_review: 0,
        warnings: BTreeMap::new(),
        per_market: job.markets.iter().map(|m| (m.clone(), [0; 3])).collect(),
        review: Vec::new(),
        failures: Vec::new(),
        outputs: Vec::new(),
    };
    let mut per_market: Vec<Vec<LocalizedListing>> = vec![Vec::new(); job.markets.len()];
    for it in items {
        let counts = report.per_market.entry(it.market.clone()).or_default();
        match (it.status, it.result) {
            (ItemStatus::Succeeded, Some(loc)) => {
                report.succeeded += 1;
                counts[0] += 1;
                for w in &loc.warnings {
                    *report.warnings.entry(w.code.clone()).or_default() += 1;
                }
                if loc.status == Status::NeedsReview {
                    report.needs_review += 1;
                    counts[2] += 1;
                    let codes: Vec<&str> = loc.warnings.iter().map(|w| w.code.as_str()).collect();
                    report.review.push(ReportItem {
                        row: it.key.row_index,
                        line: it.line,
                        sku: it.sku.clone(),
                        market: it.market.clone(),
                        why: codes.join(", "),
                    });
                }
                if let Some(v) = per_market.get_mut(it.key.market_index as usize) {
                    v.push(loc);
                }
            }
            (status, _) => {
                report.failed += 1;
                counts[1] += 1;
                report.failures.push(ReportItem {
                    row: it.key.row_index,
                    line: it.line,
                    sku: it.sku,
                    market: it.market,
                    why: match status {
                        ItemStatus::Pending => "not processed".into(),
                        _ => it.error.unwrap_or_default(),
                    },
                });
            }
        }
    }

    for (market, listings) in job.markets.iter().zip(&per_market) {
        let name = format!("{stem}.{}.{ext}", safe_name(market));
        atomic(&dir, &name, |p| writer.write(&job.format, p, listings))?;
        report.outputs.push(name);
    }

    write_rejects_file(store, job)?;
    report.outputs.push("rejects.csv".into());

    let json = serde_json::to_string_pretty(&report).map_err(|e| JobError::Output {
        path: dir.join("report.json"),
        source: e.into(),
    })?;
    atomic(&dir, "report.json", |p| write_text(p, &json))?;
    let summary = report.summary();
    atomic(&dir, "report.txt", |p| write_text(p, &summary))?;
    Ok(report)
}

fn write_text(path: &Path, text: &str) -> Result<(), JobError> {
    std::fs::write(path, text).map_err(|source| JobError::Output {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("amazon.de"), "amazon.de");
        assert_eq!(safe_name("../../etc/passwd"), "_.._.._etc_passwd");
        assert_eq!(safe_name(".hidden"), "_.hidden");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("Katalog März"), "Katalog_M_rz");
    }
}
